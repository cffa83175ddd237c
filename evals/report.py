"""``report.md`` and its PNG plots (matplotlib, headless) for one eval run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.item_scores import ItemResult
from evals.ocr_scores import PageScore

HEADLINE = (
    "ocr_cer", "ocr_line_recall", "retrieval_hit@1", "retrieval_hit@5", "retrieval_mrr", "answer_accuracy",
    "abstain_recall", "false_abstain_rate", "citation_page_hit", "citation_box_hit", "ingest_seconds_per_page",
    "ask_p50_ms", "ask_p95_ms", "n_pages", "n_items",
)
TYPE_COLUMNS = ("n_items", "retrieval_hit@1", "retrieval_hit@5", "retrieval_mrr", "answer_accuracy", "false_abstain_rate",
                "abstain_recall", "citation_page_hit", "citation_box_hit", "citation_span_recall")
RANK_BINS = 10
DOC_COLUMNS = ("n_pages", "n_items", "ocr_cer", "ocr_line_recall", "retrieval_hit@1", "retrieval_hit@5", "answer_accuracy",
               "citation_page_hit", "citation_box_hit")


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_report(run_dir: Path, summary: dict[str, Any], pages: Sequence[PageScore], items: Sequence[ItemResult]) -> Path:
    """Write the plots and ``report.md`` into ``run_dir``; returns the report's path."""
    plots = write_plots(run_dir, pages, items)
    path = run_dir / "report.md"
    path.write_text(render(summary, pages, items, plots), encoding="utf-8")
    return path


def render(summary: dict[str, Any], pages: Sequence[PageScore], items: Sequence[ItemResult], plots: Sequence[str]) -> str:
    run = summary.get("run", {})
    parts = [
        f"# Eval run {run.get('id', '')}",
        "",
        f"Set `{run.get('set_dir', '')}` with **{run.get('images', '')}** images; collection `{run.get('collection', '')}`"
        f"{' (reused: ingest time is from the first ingest)' if run.get('ingest_reused') else ''}; settings "
        f"`{summary.get('settings', {}).get('fingerprint', '')}`; git `{summary.get('git_sha', '')}`; {run.get('started_at', '')}.",
        "",
        "## Headline",
        table(("metric", "value"), [(k, summary.get(k)) for k in HEADLINE]),
        "",
        "## By item type",
        table(("type", *TYPE_COLUMNS), [(t, *(m.get(c) for c in TYPE_COLUMNS)) for t, m in summary["by_type"].items()]),
        "",
        "## By document",
        table(("document", *DOC_COLUMNS), [(d, *(m.get(c) for c in DOC_COLUMNS)) for d, m in summary["by_document"].items()]),
        "",
        "## OCR per page",
        table(("document", "page", "status", "CER", "line recall", "truth lines", "system lines"),
              [(p.doc_id, p.page, p.status, p.cer, p.line_recall, p.lines_total, p.system_lines) for p in pages]),
        "",
        "## Items",
        table(("id", "type", "rank", "correct", "abstained", "cites page", "box hit", "ms", "answer"),
              [(i.id, i.type, i.rank, i.correct, i.abstained, i.cites_gold_page, i.box_hit, i.latency_ms,
                _short(i.error or i.answer)) for i in items]),
        "",
        "## Plots",
        *[f"![{name}]({name})" for name in plots],
        "",
    ]
    return "\n".join(parts)


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_plots(run_dir: Path, pages: Sequence[PageScore], items: Sequence[ItemResult]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    for name, draw in (("retrieval_ranks.png", _ranks), ("cer_per_page.png", _cer), ("latency.png", _latency)):
        fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
        draw(ax, pages, items)
        fig.tight_layout()
        fig.savefig(run_dir / name)
        plt.close(fig)
        names.append(name)
    return names


def _ranks(ax: Any, pages: Sequence[PageScore], items: Sequence[ItemResult]) -> None:
    from matplotlib.ticker import MaxNLocator

    ranks = [i.rank for i in items if i.answerable]
    labels = [str(r) for r in range(1, RANK_BINS + 1)] + [f">{RANK_BINS}", "none"]
    counts = [sum(r == k for r in ranks) for k in range(1, RANK_BINS + 1)]
    counts += [sum(r is not None and r > RANK_BINS for r in ranks), sum(r is None for r in ranks)]
    ax.bar(labels, counts, color=["tab:blue"] * RANK_BINS + ["tab:gray", "tab:red"])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(title="Rank of the gold page among the retrieved pages (answerable items)", xlabel="rank", ylabel="items")


def _cer(ax: Any, pages: Sequence[PageScore], items: Sequence[ItemResult]) -> None:
    labels = [f"{p.doc_id[:14]} p{p.page}" for p in pages]
    ax.bar(range(len(pages)), [p.cer or 0.0 for p in pages], color="tab:orange")
    ax.set_xticks(range(len(pages)), labels, rotation=70, ha="right", fontsize=7)
    ax.set(title="Character error rate per page", ylabel="CER")


def _latency(ax: Any, pages: Sequence[PageScore], items: Sequence[ItemResult]) -> None:
    ms = sorted(i.latency_ms for i in items)
    ax.hist(ms, bins=min(30, max(5, len(ms) // 2)), color="tab:green")
    ax.set(title="ask() latency per question", xlabel="ms", ylabel="questions")
