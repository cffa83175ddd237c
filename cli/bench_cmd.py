"""``folio bench``: ingest pages/min vs raw OCR, ask p50/p95 at 1k/10k/100k chunks, ingest peak memory, cold start."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import add_settings_flags, build_settings, print_json

DEFAULT_SET = Path(__file__).resolve().parents[1] / "tests" / "data" / "devset-mini"


def _ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from exc
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive numbers, got {text!r}")
    return values


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("bench", help="measure ingest speed against raw OCR, ask latency by collection size, ingest peak memory, cold start")
    p.add_argument("set_dir", type=Path, nargs="?", default=DEFAULT_SET, metavar="SET_DIR",
                   help="eval set whose pages the ingest benchmark reads (default: the test fixture set)")
    p.add_argument("--images", choices=["photo", "scan"], default="photo", help="which images of the set (default photo)")
    p.add_argument("--sizes", type=_ints, default=(1000, 10000, 100000), help="collection sizes in chunks (default 1000,10000,100000)")
    p.add_argument("--questions", type=int, default=30, help="questions asked at each size (default 30)")
    p.add_argument("--pages", type=_ints, default=(10, 40), help="page counts of the memory benchmark (default 10,40)")
    p.add_argument("--cold-runs", type=int, default=5, help="fresh processes timed per command in the cold-start part (default 5)")
    p.add_argument("--copies", type=int, default=2, help="re-encoded copies of the set's pages in the parallel-ingest part (default 2)")
    p.add_argument("--only", choices=["ingest", "scale", "query", "memory", "cold", "photos"], action="append",
                   help="run only this part (repeatable); 'photos' (OCR with rectification on and off) runs only when asked")
    p.add_argument("--hard", type=Path, metavar="HARD_SET_DIR", help="hard photos of SET_DIR (harden_photos.py) for --only photos")
    p.add_argument("--out", type=Path, help="JSON file to write (default: <data dir>/bench/<time>.json)")
    add_settings_flags(p, "engine", "embedder", "json")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from evals.bench import BenchRequest, format_table, run_bench

    settings = build_settings(args)
    console = Console(stderr=True)
    request = BenchRequest(set_dir=args.set_dir, images=args.images, sizes=args.sizes, questions=args.questions,
                           memory_pages=args.pages, out=args.out, hard_dir=args.hard, cold_runs=args.cold_runs, copies=max(1, args.copies),
                           parts=tuple(args.only or ("ingest", "scale", "query", "memory", "cold")))
    results, path = run_bench(request, settings, note=lambda m: console.print(m, highlight=False, markup=False))
    if args.json:
        print_json({"saved_to": str(path), **results})
    else:
        print(format_table(results))
        print(f"saved to {path}")
    return 0
