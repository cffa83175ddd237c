"""From per-page and per-item results to the run's numbers, overall and broken down by type and document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from evals.item_scores import ItemResult
from evals.ocr_scores import PageScore
from evals.scorers import hit_at, mrr, share


def ocr_metrics(pages: Sequence[PageScore]) -> dict[str, float | None]:
    chars = sum(p.ref_chars for p in pages)
    lines = sum(p.lines_total for p in pages)
    return {
        "ocr_cer": sum(p.edit_distance for p in pages) / chars if chars else None,
        "ocr_line_recall": sum(p.lines_matched for p in pages) / lines if lines else None,
    }


def qa_metrics(items: Sequence[ItemResult]) -> dict[str, float | None]:
    """The answer metrics of the issue over ``items`` (any subset: all, one type, one document)."""
    answerable = [i for i in items if i.answerable]
    unanswerable = [i for i in items if not i.answerable]
    answered = [i for i in answerable if not i.abstained]
    ranks = [i.rank for i in answerable]
    return {
        "retrieval_hit@1": hit_at(ranks, 1),
        "retrieval_hit@5": hit_at(ranks, 5),
        "retrieval_mrr": mrr(ranks),
        "answer_accuracy": share([bool(i.correct) for i in answerable]),
        "abstain_recall": share([i.abstained for i in unanswerable]),
        "false_abstain_rate": share([i.abstained for i in answerable]),
        "citation_page_hit": share([bool(i.cites_gold_page) for i in answered]),
        "citation_box_hit": share([bool(i.box_hit) for i in answered]),
        "citation_span_recall": _span_recall(answered),
    }


def _span_recall(answered: Sequence[ItemResult]) -> float | None:
    """Mean share of an item's evidence spans that a cited box hits (answered answerable items with spans)."""
    shares = [i.spans_cited / i.spans_total for i in answered if i.spans_cited is not None and i.spans_total]
    return sum(shares) / len(shares) if shares else None


def latency_metrics(items: Sequence[ItemResult]) -> dict[str, float | None]:
    ms = [i.latency_ms for i in items if not i.error]
    if not ms:
        return {"ask_p50_ms": None, "ask_p95_ms": None}
    return {"ask_p50_ms": float(np.percentile(ms, 50)), "ask_p95_ms": float(np.percentile(ms, 95))}


def by_type(items: Sequence[ItemResult]) -> dict[str, dict[str, Any]]:
    types = sorted({i.type for i in items})
    return {t: {"n_items": sum(i.type == t for i in items), **qa_metrics([i for i in items if i.type == t])} for t in types}


def by_document(pages: Sequence[PageScore], items: Sequence[ItemResult]) -> dict[str, dict[str, Any]]:
    docs = sorted({p.doc_id for p in pages} | {i.doc_id for i in items if i.doc_id})
    out = {}
    for d in docs:
        doc_pages = [p for p in pages if p.doc_id == d]
        doc_items = [i for i in items if i.doc_id == d]
        out[d] = {"n_pages": len(doc_pages), "n_items": len(doc_items), **ocr_metrics(doc_pages), **qa_metrics(doc_items)}
    return out


def summarize(pages: Sequence[PageScore], items: Sequence[ItemResult], ingest_seconds: float | None) -> dict[str, Any]:
    """The headline numbers (the keys of the issue) plus the breakdowns."""
    n_pages = len(pages)
    return {
        **ocr_metrics(pages),
        **qa_metrics(items),
        "ingest_seconds_per_page": ingest_seconds / n_pages if ingest_seconds is not None and n_pages else None,
        **latency_metrics(items),
        "n_pages": n_pages,
        "n_items": len(items),
        "n_answerable": sum(i.answerable for i in items),
        "n_abstained": sum(i.abstained for i in items),
        "n_errors": sum(bool(i.error) for i in items),
        "pages_not_ok": sum(p.status != "ok" for p in pages),
        "by_type": by_type(items),
        "by_document": by_document(pages, items),
    }
