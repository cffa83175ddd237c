import pytest

from assistant.evidence import UnitScorer
from assistant.keyword import KeywordIndex
from assistant.rerank import RerankSettings, passage_text, rerank
from assistant.retrieve import Ranked
from storage.schema import Chunk, chunk_id
from tests.assistant.builders import make_chunk


def two_page_chunk(first: Chunk, second: Chunk) -> Chunk:
    """One chunk holding ``first`` (end of a page) and ``second`` (top of the next), as the chunker
    makes one when a section runs over a page break."""
    shift = len(first.text) + 1
    refs = first.refs + tuple(r.model_copy(update={"start": r.start + shift, "end": r.end + shift}) for r in second.refs)
    text = f"{first.text}\n{second.text}"
    return Chunk(id=chunk_id(first.doc_id, (12, 13), text), doc_id=first.doc_id, text=text, headings=(), refs=refs)


def test_a_chunk_over_a_page_break_is_listed_under_the_page_of_its_passage():
    intro = make_chunk("manual", 12, ["Altus Metrum flight computers include a beeper.", "It reports the state of the board."])
    table = make_chunk("manual", 13, ["| Mode | Beeps |", "| --- | --- |", "| Idle | dit dit |", "| Pad | dah dit dit |"])
    spanning = two_page_chunk(intro, table)
    other = make_chunk("guide", 4, ["Install the NRPE daemon on the remote host."])
    index = KeywordIndex([spanning, other])
    scorer = UnitScorer(index)
    ranked = [Ranked(chunk=spanning, score=1.0), Ranked(chunk=other, score=0.5)]
    out = rerank(ranked, scorer.query("Which mode beeps dah dit dit?"), scorer, RerankSettings())
    assert spanning.pages == (12, 13)
    assert out[0].chunk.id == spanning.id
    assert out[0].page_order() == (13, 12)
    assert out[1].page_order() == (4,)
    assert Ranked(chunk=spanning, score=1.0).page_order() == (12, 13)  # not reranked: the chunk's own order


def test_passage_similarity_lifts_the_chunk_that_says_the_same_in_other_words():
    from storage.config import StoreSettings
    from storage.embed import build_embedder

    wordy = make_chunk("manual", 2, ["The hobby shop sells a battery pack and a charger; see the shop list."])
    answer = make_chunk("manual", 5, ["Battery packs from a hobby shop have the opposite polarity and will destroy the flight computer."])
    index = KeywordIndex([wordy, answer])
    scorer = UnitScorer(index, build_embedder(StoreSettings()))
    query = scorer.query("Why must I not use a hobby shop battery pack? Will it damage the board?")
    ranked = [Ranked(chunk=wordy, score=1.0), Ranked(chunk=answer, score=0.9)]
    lexical = rerank(ranked, query, scorer, RerankSettings(semantic=0.0))
    semantic = rerank(ranked, query, scorer, RerankSettings(semantic=2.0))
    assert [r.chunk.id for r in lexical] == [wordy.id, answer.id]
    assert [r.chunk.id for r in semantic] == [answer.id, wordy.id]
    assert all(0.0 <= r.score <= 1.0 for r in semantic)


def test_the_vector_cache_of_passages_stays_bounded():
    from storage.config import StoreSettings
    from storage.embed import build_embedder

    scorer = UnitScorer(KeywordIndex([make_chunk("manual", 1, ["The battery is charged."])]), build_embedder(StoreSettings()))
    scorer.max_cached = 3
    first = scorer.similarities("battery", ["The battery is charged.", "The LED is green."])
    scorer.similarities("battery", ["Pin 1 is positive.", "Pin 2 is negative."])
    assert len(scorer._vectors) <= 3
    again = scorer.similarities("battery", ["The battery is charged.", "The LED is green."])
    assert again == pytest.approx(first, abs=1e-6)
    assert first[0] > first[1]


def test_a_passage_of_table_rows_is_embedded_with_the_tables_caption_and_header():
    table = make_chunk("paper", 4, ["TABLE I. DETECTION RATES", "", "| Score | Detect rate |", "| --- | --- |",
                                    "| > 40 | 32.7% |", "| > 50 | 29.7% |"])
    scorer = UnitScorer(KeywordIndex([table]))
    rows = [s for s in scorer.score_hits(scorer.query("detection rate above 50"), [Ranked(chunk=table, score=1.0).hit()])
            if s.unit.kind == "row"]
    assert passage_text(rows) == "TABLE I. DETECTION RATES Score | Detect rate > 40 | 32.7% > 50 | 29.7%"


def test_a_how_to_question_ranks_the_chunk_with_the_commands_above_an_introduction():
    intro = make_chunk("guide", 4, ["In order to use the NRPE add-on, you need to perform some tasks on both the monitoring",
                                    "host and the remote host that the NRPE daemon is installed on."])
    steps = make_chunk("guide", 6, ["Compile the NRPE addon from source:", "", "```", "# ./configure", "# make all", "```", "",
                                    "Install the daemon:", "", "```", "# make install", "```"])
    scorer = UnitScorer(KeywordIndex([intro, steps, make_chunk("manual", 9, ["The battery charges over USB."])]))
    ranked = [Ranked(chunk=intro, score=0.9), Ranked(chunk=steps, score=0.8)]
    question = "How do I build and install the NRPE daemon from source on the remote host?"
    assert rerank(ranked, scorer.query(question), scorer, RerankSettings(procedure=0.0))[0].chunk.id == intro.id
    assert rerank(ranked, scorer.query(question), scorer, RerankSettings())[0].chunk.id == steps.id
    other = "What does the NRPE daemon need on the remote host?"  # not a how-to question: no bonus
    assert rerank(ranked, scorer.query(other), scorer, RerankSettings())[0].chunk.id == intro.id
