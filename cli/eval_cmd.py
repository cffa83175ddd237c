"""``folio eval SET_DIR``: ingest a QA set, ask its questions, score, write summary.json + report.md."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import add_settings_flags, build_settings, print_json

HEADLINE = ("ocr_cer", "ocr_line_recall", "retrieval_hit@1", "retrieval_hit@5", "retrieval_mrr", "answer_accuracy",
            "abstain_recall", "false_abstain_rate", "citation_page_hit", "citation_box_hit", "ingest_seconds_per_page",
            "ask_p50_ms", "ask_p95_ms", "n_pages", "n_items")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("eval", help="run a QA set (pages.jsonl, qa.jsonl, images/) and write scores, a report and plots")
    p.add_argument("set_dir", type=Path, metavar="SET_DIR", help="eval set folder in the dev-set format")
    p.add_argument("--images", choices=["photo", "scan"], default="photo", help="which images of the set to ingest (default photo)")
    p.add_argument("--out", type=Path, help="run folder to create (default: a new folder under <data dir>/evals)")
    add_settings_flags(p, "collection", "engine", "embedder", "answerer", "json")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cli.progress import PageProgress
    from evals.runner import Listener, RunRequest, run_eval

    settings = build_settings(args)
    with PageProgress(enabled=not args.json) as progress:
        console = progress.console

        def asked(done: int, total: int) -> None:
            if done % 10 == 0 or done == total:
                console.print(f"asked {done}/{total} questions", highlight=False)

        listener = Listener(note=lambda m: console.print(m, highlight=False, markup=False), pages=progress.update,
                            ingested=progress.report, asked=asked)
        request = RunRequest(set_dir=args.set_dir, images=args.images, out=args.out, collection=args.collection, listener=listener)
        result = run_eval(request, settings)
    if args.json:
        print_json({"run_dir": str(result.run_dir), **result.summary})
        return 0
    width = max(len(k) for k in HEADLINE)
    for key in HEADLINE:
        value = result.summary.get(key)
        print(f"{key:<{width}}  {'-' if value is None else round(value, 4)}")
    print(f"run folder: {result.run_dir}")
    return 0
