"""The candidate pipeline on chunks written for the test: features, the fitted model's mechanics, the answer's shape.

The models here are made in the test (one weight at a time), so each test checks a mechanism,
never the figures of the shipped fit.
"""

from dataclasses import replace

import numpy as np
import pytest

from assistant.answer import Request
from assistant.candidates import FEATURES, CandidateSettings, build_reading
from assistant.evidence import UnitScorer, quoted_phrases
from assistant.extractive import ExtractiveAnswerer
from assistant.keyword import KeywordIndex
from assistant.question import read_question
from assistant.reader import decide
from assistant.reader_model import ABSTAIN_FEATURES, AnswerShape, Linear, ReaderModel, load_model
from assistant.retrieve import Ranked
from storage.schema import Chunk
from tests.assistant.builders import image_path, make_chunk
from tests.assistant.builders import reader_model as model

LEDS = make_chunk("manual", 10, [
    "# 2.1. Batteries",
    "The battery charges whenever it is plugged in. If the battery is charging or the board draws",
    "a lot of power, the red LED will be lit. When the battery is fully charged, the green LED will be lit.",
    "When the battery is damaged or missing, both LEDs will be lit, which appears yellow.",
])
BUILD = make_chunk("guide", 6, [
    "# Install NRPE",
    "Extract the source tarball:",
    "",
    "```",
    "# tar xzf nrpe-3.2.1.tar.gz",
    "```",
    "",
    "Compile the NRPE addon:",
    "",
    "```",
    "# ./configure",
    "# make all",
    "```",
    "",
    "Install the NRPE daemon and the sample configuration file:",
    "",
    "```",
    "# make install",
    "# make install-config",
    "```",
], top=400)
TABLE = make_chunk("manual", 84, [
    "| Device | Bytes per sample | Storage | Minutes at full rate |",
    "|---|---|---|---|",
    "| TeleMetrum v2 | 16 | 8MB | 80 |",
    "| TeleMega | 32 | 8MB | 40 |",
])
CORPUS = [LEDS, BUILD, TABLE]


COVERAGE = model({"coverage": 10.0, "length": -0.5})


def reading_of(question: str, chunks: list[Chunk], corpus: list[Chunk] = CORPUS):  # type: ignore[no-untyped-def]
    scorer = UnitScorer(KeywordIndex(corpus))
    ranked = [Ranked(chunk=c, score=1.0 - 0.1 * i) for i, c in enumerate(chunks)]
    return build_reading(read_question(question, scorer.keywords), ranked, scorer, CandidateSettings(semantic_chunks=0)), scorer


def answer(question: str, chunks: list[Chunk], m: ReaderModel = COVERAGE, corpus: list[Chunk] = CORPUS):  # type: ignore[no-untyped-def]
    reading, scorer = reading_of(question, chunks, corpus)
    decision = decide(reading, m)
    request = Request(question=question, hits=[r.hit() for r in decision.ranked], scorer=scorer, image_path=image_path,
                      decision=decision, shape=m.answer)
    return ExtractiveAnswerer().answer(request), decision


def test_candidates_are_runs_of_up_to_the_window_of_one_chunks_units():
    reading, _ = reading_of("What does the red LED mean?", [LEDS, TABLE])
    assert reading.matrix.shape == (len(reading.candidates), len(FEATURES))
    assert all(c.last - c.first + 1 <= 3 and c.units[0].chunk.id == c.units[-1].chunk.id for c in reading.candidates)
    assert {c.rank for c in reading.candidates} == {0, 1}
    assert not any(s.unit.kind == "heading" for c in reading.candidates for s in c.units)  # headings are context only


def feature(reading, predicate, name: str) -> float:  # type: ignore[no-untyped-def]
    c = next(c for c in reading.candidates if predicate(c))
    return c.features[FEATURES.index(name)]


def test_features_read_the_question_once_and_the_passage_each_time():
    reading, _ = reading_of("Why is the red LED lit when the board draws 'a lot of power'?", [LEDS])
    q = reading.question
    assert q.reason and not q.procedural and q.query.phrases == ("a lot of power",)
    red = lambda c: c.first == c.last and "red LED" in c.text  # noqa: E731
    green = lambda c: c.first == c.last and "green LED" in c.text and "red" not in c.text  # noqa: E731
    assert feature(reading, red, "quoted") == 1.0 and feature(reading, green, "quoted") == 0.0
    assert feature(reading, red, "coverage") > feature(reading, green, "coverage")
    assert feature(reading, red, "rank_prior") == 1.0


def test_a_how_to_question_marks_passages_of_steps_and_commands():
    reading, _ = reading_of("How do I build and install the NRPE daemon?", [BUILD, LEDS])
    assert reading.question.procedural
    assert feature(reading, lambda c: "make all" in c.text, "procedure") > 0
    assert feature(reading, lambda c: "make all" in c.text, "procedure_chunk") == 1.0
    assert feature(reading, lambda c: "red LED" in c.text, "procedure_chunk") == 0.0


def test_numbers_identifiers_and_listed_names_are_shares_of_the_question():
    reading, _ = reading_of("How many minutes at full rate do TeleMega and TeleMetrum v2 store with 32 bytes per sample?", [TABLE])
    q = reading.question
    assert "32" in q.numbers and {"telemega", "telemetrum"} <= q.names
    row = lambda c: c.first == c.last and "TeleMega" in c.text  # noqa: E731
    assert feature(reading, row, "row") == 1.0
    assert feature(reading, row, "names") == pytest.approx(0.5)
    assert feature(reading, row, "numbers") > 0


def test_the_weights_decide_which_candidate_comes_first():
    question = "What does the green LED mean when the battery is charged?"
    reading, _ = reading_of(question, [LEDS])
    longest = decide(reading, model({"length": 1.0}))
    assert longest.best.candidate.last - longest.best.candidate.first == 2
    shortest = decide(reading, model({"length": -1.0, "coverage": 0.1}))
    assert shortest.best.candidate.first == shortest.best.candidate.last
    probabilities = [s.probability for s in shortest.candidates]
    assert probabilities == sorted(probabilities, reverse=True)


def test_chunks_are_reordered_by_their_best_candidate():
    reading, _ = reading_of("What does the green LED mean?", [TABLE, BUILD, LEDS])
    decision = decide(reading, COVERAGE)
    assert decision.ranked[0].chunk.id == LEDS.id and len(decision.ranked) == 3


def test_abstention_reads_the_same_candidates_and_says_why():
    reading, _ = reading_of("Which Raspberry Pi boards can run the NRPE daemon?", [BUILD, LEDS])
    assert reading.question.unknown_focus == ("Raspberry", "Pi")
    refuse = replace(COVERAGE, abstain=Linear(features=ABSTAIN_FEATURES,
                                              weights=tuple(-10.0 if f == "unknown_focus" else 0.0 for f in ABSTAIN_FEATURES),
                                              bias=1.0, mean=tuple(0.0 for _ in ABSTAIN_FEATURES), scale=tuple(1.0 for _ in ABSTAIN_FEATURES)),
                     threshold=0.5)
    decision = decide(reading, refuse)
    assert decision.abstain and "never mention Raspberry Pi" in decision.reason
    assert not decide(reading_of("How do I build the NRPE daemon?", [BUILD, LEDS])[0], refuse).abstain


def test_neighbours_extend_the_passage_by_the_fitted_shape():
    question = "What does the red LED mean?"
    bare, _ = answer(question, [LEDS])
    assert "red LED will be lit" in bare.text and "damaged or missing" not in bare.text
    wide, _ = answer(question, [LEDS], model({"coverage": 10.0, "length": -0.5}, shape=AnswerShape(neighbours=2, neighbours_broad=2)))
    assert "red LED will be lit" in wide.text and "damaged or missing" in wide.text


def test_multi_part_question_quotes_each_part_and_cites_its_line():
    draft, _ = answer("What do the red LED, the green LED and both LEDs lit mean for the battery?", [LEDS, BUILD],
                      model({"coverage": 10.0}))
    text = draft.text
    assert "red LED will be lit [" in text and "green LED will be lit" in text and "damaged or missing" in text
    assert "tar xzf" not in text
    red = next(c for c in draft.citations if "red LED" in c.quote)
    assert red.page == 10 and red.doc_id == "manual" and red.image == "/images/manual/p0010.jpg"
    assert red.boxes[0].y0 == 140.0  # the sentence starts on the chunk's second text line (y 140..170)
    assert red.boxes[-1].y1 == 210.0  # and ends on the third


def test_procedure_is_quoted_in_order_with_every_command():
    draft, _ = answer("How do I build and install the NRPE daemon from source?", [BUILD, LEDS])
    commands = ["tar xzf", "./configure", "make all", "make install", "make install-config"]
    positions = [draft.text.index(c) for c in commands]
    assert positions == sorted(positions)
    assert "LED" not in draft.text
    assert [c.n for c in draft.citations] == list(range(1, len(draft.citations) + 1))
    assert all(f"[{c.n}]" in draft.text for c in draft.citations)


def test_table_question_quotes_the_matching_row_with_its_header():
    draft, _ = answer("How many bytes per sample and minutes at full rate does TeleMega have?", [TABLE, LEDS])
    assert draft.text == "Device: TeleMega; Bytes per sample: 32; Storage: 8MB; Minutes at full rate: 40 [1]"
    assert draft.citations[0].quote == "TeleMega | 32 | 8MB | 40"
    assert draft.citations[0].bbox.y0 == 100 + 3 * 40  # the fourth line of the chunk


def test_a_second_passage_close_to_the_best_is_quoted_when_the_shape_allows():
    question = "What do the red LED and the TeleMega storage mean?"
    alone, _ = answer(question, [LEDS, TABLE], model({"coverage": 3.0, "length": -2.0}))
    both, _ = answer(question, [LEDS, TABLE], model({"coverage": 3.0, "length": -2.0},
                                                     shape=AnswerShape(neighbours=0, neighbours_broad=0, extra_ratio=0.3, max_extra=1)))
    assert not ("TeleMega" in alone.text and "red LED" in alone.text)
    assert "TeleMega" in both.text and "red LED" in both.text


def test_quoted_phrases_and_identifier_weights():
    assert quoted_phrases("It beeps 'dah dit dit' (long, short, short). Which mode? rnx2rtkp's default") == ("dah dit dit",)
    keywords = KeywordIndex(CORPUS)
    q = read_question("What are rnx2rtkp's default mask, the TeleMega storage and the check_nrpe timeout?", keywords)
    for name in ("rnx2rtkp", "telemega", "check_nrpe"):
        assert q.query.weights[name] == pytest.approx(2 * keywords.idf(name))
    assert q.query.weights["mask"] == pytest.approx(keywords.idf("mask"))
    assert not read_question("Soll man der Beschreibung für den Support Name und Version beifügen?", keywords).names


def test_the_shipped_model_matches_the_code():
    shipped = load_model()
    assert shipped.candidate.features == FEATURES and shipped.abstain.features == ABSTAIN_FEATURES
    assert np.isfinite(shipped.candidate.weights).all() and 0.0 <= shipped.threshold <= 1.0
    draft, decision = answer("What do the red LED and the green LED mean?", [LEDS, BUILD, TABLE], shipped)
    assert decision.best is not None and draft.citations
