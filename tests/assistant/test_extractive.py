import time

import pytest

from assistant.answer import Request
from assistant.evidence import UnitScorer, quoted_phrases
from assistant.extractive import ExtractiveAnswerer, listed_names
from assistant.keyword import KeywordIndex
from storage.schema import Chunk, Hit
from tests.assistant.builders import image_path, make_chunk

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


def ask(question: str, chunks: list[Chunk]) -> tuple[str, list]:
    scorer = UnitScorer(KeywordIndex([LEDS, BUILD, TABLE]))
    request = Request(question=question, hits=[Hit(chunk=c, score=1.0) for c in chunks], scorer=scorer, image_path=image_path)
    draft = ExtractiveAnswerer().answer(request)
    return draft.text, list(draft.citations)


def test_multi_part_question_quotes_each_part_and_cites_its_line():
    text, citations = ask("What do the red LED, the green LED and both LEDs lit mean for the battery?", [LEDS, BUILD])
    assert "red LED will be lit [1]." in text and "green LED will be lit" in text and "damaged or missing" in text
    assert "tar xzf" not in text
    red = next(c for c in citations if "red LED" in c.quote)
    assert red.page == 10 and red.doc_id == "manual" and red.image == "/images/manual/p0010.jpg"
    assert red.bbox.y0 == 140.0  # the quote starts on the chunk's second text line (y 140..170)
    assert red.bbox.y1 == 210.0  # and ends on the third


def test_procedure_is_quoted_in_order_with_every_command():
    text, citations = ask("How do I build and install the NRPE daemon from source?", [BUILD, LEDS])
    commands = ["tar xzf", "./configure", "make all", "make install", "make install-config"]
    positions = [text.index(c) for c in commands]
    assert positions == sorted(positions)
    assert "LED" not in text
    assert [c.n for c in citations] == list(range(1, len(citations) + 1))
    assert all(f"[{c.n}]" in text for c in citations)


def test_table_question_quotes_the_matching_row():
    text, citations = ask("How many bytes per sample and minutes at full rate does TeleMega have?", [TABLE, LEDS])
    assert text == "Device: TeleMega; Bytes per sample: 32; Storage: 8MB; Minutes at full rate: 40 [1]"
    assert citations[0].quote == "TeleMega | 32 | 8MB | 40"
    assert citations[0].bbox.y0 == 100 + 3 * 40  # the fourth line of the chunk


def test_extractive_answer_takes_milliseconds():
    started = time.perf_counter()
    for _ in range(20):
        ask("What do the red LED and the green LED mean?", [LEDS, BUILD, TABLE])
    assert (time.perf_counter() - started) / 20 < 0.05


ERRORS = make_chunk("guide", 20, [
    "## Received 0 bytes",
    "The check_nrpe plugin returns \"CHECK_NRPE: Received 0 bytes from daemon. Check the remote server logs for an error message.\"",
    "First thing you should do is check the remote server logs.",
    "Seriously. This error could be due to the following problem:",
    "",
    "• The plugin was unable to complete an SSL handshake with the daemon.",
], top=600)


def test_a_question_for_a_cause_reaches_the_list_of_causes_a_few_sentences_on():
    scorer = UnitScorer(KeywordIndex([LEDS, BUILD, TABLE, ERRORS]))
    request = Request(question="What usually causes 'CHECK_NRPE: Received 0 bytes from daemon'?", hits=[Hit(chunk=ERRORS, score=1.0)],
                      scorer=scorer, image_path=image_path)
    text = ExtractiveAnswerer().answer(request).text
    assert "Received 0 bytes" in text and "SSL handshake" in text
    plain = Request(question="What does check_nrpe return: 'CHECK_NRPE: Received 0 bytes from daemon'?", hits=[Hit(chunk=ERRORS, score=1.0)],
                    scorer=scorer, image_path=image_path)
    assert "SSL handshake" not in ExtractiveAnswerer().answer(plain).text  # the list is reached only when a cause is asked for


MODES = make_chunk("manual", 13, [
    "| Mode | Beeps | Description |",
    "|---|---|---|",
    "| Boost | dah dit dit dit | Accelerating upwards. |",
    "| Coast | dah dit dah dit | Decelerating. |",
    "| Drogue | dah dit dit | Descending after apogee. |",
    "| Main | dah dah | Descending below main height. |",
], top=800)


def test_a_quoted_phrase_picks_the_row_that_holds_it_whole():
    assert quoted_phrases("It beeps 'dah dit dit' (long, short, short). Which mode? rnx2rtkp's default") == ("dah dit dit",)
    scorer = UnitScorer(KeywordIndex([LEDS, BUILD, TABLE, MODES]))
    request = Request(question="The computer beeps 'dah dit dit'. Which mode is it in?", hits=[Hit(chunk=MODES, score=1.0)],
                      scorer=scorer, image_path=image_path)
    text = ExtractiveAnswerer().answer(request).text
    assert text.startswith("Mode: Drogue") and "Boost" not in text


def test_names_like_identifiers_weigh_double_in_a_question():
    keywords = KeywordIndex([LEDS, BUILD, TABLE, MODES])
    query = UnitScorer(keywords).query("What are rnx2rtkp's default mask, the TeleMega storage and the check_nrpe timeout?")
    for name in ("rnx2rtkp", "telemega", "check_nrpe"):
        assert query.weights[name] == pytest.approx(2 * keywords.idf(name))
    assert query.weights["mask"] == pytest.approx(keywords.idf("mask"))


def test_a_table_caption_leads_to_its_row_rather_than_to_prose_citing_the_table():
    table = make_chunk("paper", 4, [
        "TABLE I. FALSE POSITIVE AND DETECTION RATES FOR SDHASH",
        "",
        "| Score | FP rate | Detect rate |",
        "| --- | --- | --- |",
        "| > 0 | 0.04711% | 37.1% |",
        "| > 10 | 0.02174% | 36.1% |",
        "| > 20 | 0.01812% | 35.4% |",
        "| > 40 | 0.00544% | 32.7% |",
        "| > 50 | 0.00362% | 29.7% |",
        "| > 60 | 0.00362% | 26.0% |",
    ])
    prose = make_chunk("paper", 6, [
        "For Sdhash, the ROC curve abruptly changes in nature once the threshold hits the score of 1.",
        "From Table 1, we see that at a threshold of 1, Sdhash has a false positive rate of 0.047% and a",
        "detection rate of 37.1%.",
    ])
    scorer = UnitScorer(KeywordIndex([table, prose, LEDS]))
    question = "In Table I, what false positive rate and detection rate does Sdhash have at a score threshold above 50?"
    request = Request(question=question, hits=[Hit(chunk=prose, score=1.0), Hit(chunk=table, score=1.0)],
                      scorer=scorer, image_path=image_path)
    draft = ExtractiveAnswerer().answer(request)
    assert "Score: > 50; FP rate: 0.00362%; Detect rate: 29.7%" in draft.text and "0.047%" not in draft.text
    assert {c.page for c in draft.citations} == {4}


def test_a_question_about_each_listed_name_quotes_one_statement_per_name():
    schemes = make_chunk("paper", 1, [
        "These schemes have been released as open source code: Ssdeep, Sdhash and Nilsimsa.",
        "The Ssdeep scheme is a CTPH which segments the file. Ssdeep calculates the edit distance between",
        "digests as the similarity measure. Sdhash creates a similarity digest by identifying features with",
        "low empirical probability. Sdhash uses a similarity score by calculating a normalized entropy measure",
        "between the two digests. The Sdhash scheme is close in spirit to a random projection method where the",
        "distance between two vectors is the cosine distance. The Nilsimsa scheme is a bit sampling LSH which",
        "uses the hamming distance between the digests as the similarity measure.",
    ])
    scorer = UnitScorer(KeywordIndex([schemes, LEDS, BUILD]))
    question = "How do Ssdeep, Sdhash and Nilsimsa each measure the similarity of two digests?"
    draft = ExtractiveAnswerer().answer(Request(question=question, hits=[Hit(chunk=schemes, score=1.0)], scorer=scorer,
                                                image_path=image_path))
    assert "edit distance" in draft.text and "entropy" in draft.text and "hamming" in draft.text
    assert "cosine" not in draft.text and "released as open source" not in draft.text
    assert len(draft.citations) == 3


def test_listed_names_are_the_names_joined_by_commas_and_and():
    analyzer = KeywordIndex([LEDS]).analyzer
    assert listed_names("What area did TLSH, Sdhash and Ssdeep reach?", analyzer) == {"tlsh", "sdhash", "ssdeep"}
    assert listed_names("How do I build and install the NRPE daemon?", analyzer) == frozenset()
    assert listed_names("Soll man der Beschreibung für den Support Name und Version beifügen?", analyzer) == frozenset()  # German nouns


def test_a_why_question_prefers_the_sentence_that_gives_a_reason():
    choices = make_chunk("paper", 2, [
        "A number of choices have been made in the algorithm. A sliding window of size 5. We selected a window",
        "size of 5 because it had previously been used in the Nilsimsa hash, and it had proved effective.",
        "There are 10 possible triplets of bytes from a window of 5 bytes (A, B, C, D, E). The possible",
        "triplets are listed below.",
    ])
    scorer = UnitScorer(KeywordIndex([choices, LEDS, BUILD]))
    draft = ExtractiveAnswerer().answer(Request(question="What motivated picking a five-byte window?",
                                                hits=[Hit(chunk=choices, score=1.0)], scorer=scorer, image_path=image_path))
    assert draft.text.startswith("We selected a window size of 5 because it had previously been used in the Nilsimsa hash")
