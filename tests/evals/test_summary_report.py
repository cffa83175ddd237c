"""Summary numbers and the report from hand-made per-page and per-item results."""

from __future__ import annotations

import pytest

from evals.item_scores import ItemResult
from evals.ocr_scores import PageScore
from evals.report import write_report
from evals.summary import summarize

ISSUE_KEYS = ("ocr_cer", "ocr_line_recall", "retrieval_hit@1", "retrieval_hit@5", "retrieval_mrr", "answer_accuracy",
              "abstain_recall", "false_abstain_rate", "citation_page_hit", "citation_box_hit", "ingest_seconds_per_page",
              "ask_p50_ms", "ask_p95_ms", "n_pages", "n_items")


def page(doc, n, dist, chars, matched, total):
    return PageScore(doc_id=doc, page=n, status="ok", engine="cpu", edit_distance=dist, ref_chars=chars,
                     lines_matched=matched, lines_total=total, system_lines=total)


def item(id_, type_, doc, *, rank=None, correct=None, abstained=False, page_hit=None, box=None, ms=10.0):
    return ItemResult(id=id_, type=type_, doc_id=doc, page=1 if doc else None, question="q", reference=None, answer="a",
                      abstained=abstained, evidence_score=0.5, citations=(), retrieved=(), rank=rank, correct=correct,
                      cites_gold_page=page_hit, box_hit=box, latency_ms=ms)


PAGES = [page("a", 1, 10, 100, 8, 10), page("b", 1, 30, 100, 2, 10)]
ITEMS = [
    item("a-1", "factual", "a", rank=1, correct=True, page_hit=True, box=True, ms=10),
    item("a-2", "factual", "a", rank=3, correct=False, page_hit=False, box=False, ms=20),
    item("b-1", "multi_span", "b", rank=None, correct=False, abstained=True, ms=30),
    item("b-2", "paraphrase", "b", rank=6, correct=True, page_hit=True, box=False, ms=40),
    item("un-1", "unanswerable", None, abstained=True, ms=50),
    item("un-2", "unanswerable", None, abstained=False, ms=1000),
]


def test_summary_numbers_by_hand():
    s = summarize(PAGES, ITEMS, ingest_seconds=12.0)
    assert all(k in s for k in ISSUE_KEYS)
    assert s["ocr_cer"] == pytest.approx(40 / 200)
    assert s["ocr_line_recall"] == pytest.approx(10 / 20)
    assert s["retrieval_hit@1"] == pytest.approx(1 / 4)
    assert s["retrieval_hit@5"] == pytest.approx(2 / 4)
    assert s["retrieval_mrr"] == pytest.approx((1 + 1 / 3 + 1 / 6) / 4)
    assert s["answer_accuracy"] == pytest.approx(2 / 4)
    assert s["abstain_recall"] == pytest.approx(1 / 2)
    assert s["false_abstain_rate"] == pytest.approx(1 / 4)
    assert s["citation_page_hit"] == pytest.approx(2 / 3)  # answered answerable: a-1, a-2, b-2
    assert s["citation_box_hit"] == pytest.approx(1 / 3)
    assert s["ingest_seconds_per_page"] == pytest.approx(6.0)
    assert s["ask_p50_ms"] == pytest.approx(35.0)
    assert s["ask_p95_ms"] == pytest.approx(762.5)  # numpy's linear interpolation between 50 and 1000
    assert (s["n_pages"], s["n_items"]) == (2, 6)
    assert s["by_type"]["factual"]["answer_accuracy"] == 0.5
    assert s["by_type"]["unanswerable"]["abstain_recall"] == 0.5
    assert s["by_type"]["unanswerable"]["answer_accuracy"] is None
    assert s["by_document"]["b"]["ocr_cer"] == pytest.approx(0.3)
    assert s["by_document"]["a"]["retrieval_hit@5"] == 1.0
    assert s["citation_span_recall"] is None  # no item here says how many evidence spans it has


def test_report_has_tables_and_plots(tmp_path):
    s = summarize(PAGES, ITEMS, ingest_seconds=None)
    s["settings"] = {"fingerprint": "abc123"}
    path = write_report(tmp_path, s, PAGES, ITEMS)
    text = path.read_text()
    for heading in ("## Headline", "## By item type", "## By document", "## OCR per page", "## Items"):
        assert heading in text
    assert "| ocr_cer | 0.200 |" in text and "| ingest_seconds_per_page | - |" in text
    assert "| paraphrase | 1 |" in text and "abc123" in text
    for name in ("retrieval_ranks.png", "cer_per_page.png", "latency.png"):
        png = tmp_path / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"]({name})" in text
