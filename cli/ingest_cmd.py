"""``folio ingest PATH...``: photos, scans and PDFs into a collection."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import add_settings_flags, build_settings, print_json
from cli.progress import PageProgress


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("ingest", help="read photos, scans and PDFs (files or folders) into a collection")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="image or PDF files, or folders (read recursively)")
    add_settings_flags(p, "collection", "engine", "embedder", "workers", "json")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from assistant.wiring import ingest_seams
    from ingest.run import ingest_paths

    settings = build_settings(args)
    seams = ingest_seams(settings)
    try:
        with PageProgress(enabled=not args.json) as progress:
            reports = ingest_paths(args.paths, seams, settings.ingest, progress=progress.update, on_report=progress.report)
    finally:
        if seams.work is not None:
            seams.work.close()
    if args.json:
        print_json({"documents": [r.as_json() for r in reports]})
    failed = [r for r in reports if not r.ok]
    for r in failed:
        print(f"folio: {r.error}", file=sys.stderr)
    unread = [r for r in reports if r.ok and r.pages_failed]
    for r in unread:
        print(f"folio: {r.source}: {r.pages_failed} of {r.pages} pages could not be read and have no text", file=sys.stderr)
    if not reports:
        print("folio: no images or PDFs found in the given paths", file=sys.stderr)
        return 1
    return 1 if failed or unread else 0
