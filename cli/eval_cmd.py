"""``folio eval SET_DIR``: ingest a QA set, ask its questions, score, write summary.json + report.md."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import add_settings_flags, build_settings, print_json

HEADLINE = ("ocr_cer", "ocr_line_recall", "retrieval_hit@1", "retrieval_hit@5", "retrieval_mrr", "answer_accuracy",
            "abstain_recall", "false_abstain_rate", "citation_page_hit", "citation_box_hit", "ingest_seconds_per_page",
            "ask_p50_ms", "ask_p95_ms", "n_pages", "n_items")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("eval", help="run QA sets (pages.jsonl, qa.jsonl, images/) and write scores, a report and plots per set, pooled figures for several")
    p.add_argument("set_dirs", type=Path, nargs="+", metavar="SET_DIR", help="eval set folders in the dev-set format")
    p.add_argument("--images", choices=["photo", "scan"], default="photo", help="which images of the set to ingest (default photo)")
    p.add_argument("--out", type=Path, help="run folder to create (default: a new folder under <data dir>/evals); with several sets, one subfolder per set")
    add_settings_flags(p, "collection", "engine", "embedder", "answerer", "json")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cli.progress import PageProgress
    from evals.runner import Listener, RunRequest, pooled_summary, run_eval

    settings = build_settings(args)
    several = len(args.set_dirs) > 1
    results = []
    with PageProgress(enabled=not args.json) as progress:
        console = progress.console

        def asked(done: int, total: int) -> None:
            if done % 10 == 0 or done == total:
                console.print(f"asked {done}/{total} questions", highlight=False)

        listener = Listener(note=lambda m: console.print(m, highlight=False, markup=False), pages=progress.update,
                            ingested=progress.report, asked=asked)
        for set_dir in args.set_dirs:
            out = args.out / set_dir.name if (args.out is not None and several) else args.out
            request = RunRequest(set_dir=set_dir, images=args.images, out=out, collection=args.collection, listener=listener)
            results.append(run_eval(request, settings))
    pooled = pooled_summary([r.run_dir for r in results]) if several else None
    if args.json:
        body = {"run_dir": str(results[0].run_dir), **results[0].summary} if not several else {
            "sets": {r.summary["run"]["set_dir"]: {"run_dir": str(r.run_dir), **r.summary} for r in results}, "pooled": pooled}
        print_json(body)
        return 0
    columns = [(r.run_dir.name.split("-", 2)[-1], r.summary) for r in results] + ([("pooled", pooled)] if pooled else [])
    width = max(len(k) for k in HEADLINE)
    print(f"{'':<{width}}  " + "  ".join(f"{name[:22]:>22}" for name, _ in columns))
    for key in HEADLINE:
        cells = "  ".join(f"{_fmt(summary.get(key)):>22}" for _, summary in columns)
        print(f"{key:<{width}}  {cells}")
    for r in results:
        print(f"run folder: {r.run_dir}")
    return 0


def _fmt(value: object) -> str:
    return "-" if value is None else str(round(value, 4)) if isinstance(value, float) else str(value)
