"""``folio ingest PATH...``: photos, scans and PDFs into a collection."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from storage.errors import AppError, InputError

from cli.common import add_settings_flags, build_settings, print_json
from cli.console import plural


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("ingest", help="read photos, scans and PDFs (files or folders) into a collection")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="image or PDF files, or folders (read recursively)")
    p.add_argument("--as-document", metavar="NAME", help="store all the given photos as the pages of one document called NAME, "
                   "in the order given (or by their printed page numbers); again with more photos adds pages to it")
    add_settings_flags(p, "collection", "engine", "embedder", "workers", "json")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from assistant.wiring import ingest_seams, update_keyword_index
    from ingest.run import ingest_paths

    settings = build_settings(args)
    check_paths(args.paths)  # before any model loads
    from cli.progress import PageProgress

    seams = ingest_seams(settings)
    try:
        with PageProgress(enabled=not args.json) as progress:
            if args.as_document is not None:
                from ingest.assemble import ingest_as_document

                reports = [ingest_as_document(args.as_document, args.paths, seams, settings.ingest, progress=progress.update)]
                progress.report(reports[0])
            else:
                reports = ingest_paths(args.paths, seams, settings.ingest, progress=progress.update, on_report=progress.report)
    finally:
        if seams.work is not None:
            seams.work.close()
    if any(r.ok and not r.already_stored for r in reports):
        try:  # the analysis of the new documents, done here instead of in the next ask
            update_keyword_index(settings, seams.store, seams.library)
        except AppError as exc:  # the next ask brings the index up to date instead; what was stored stays
            logging.getLogger(__name__).info("keyword index not updated now: %s", exc)
    if args.json:
        print_json({"documents": [r.as_json() for r in reports]})
    failed = [r for r in reports if not r.ok]
    unread = [r for r in reports if r.ok and r.pages_failed]
    if args.json:  # otherwise the progress lines have said it once already
        for r in failed:
            print(f"folio: {r.error}", file=sys.stderr)
        for r in unread:
            print(f"folio: {r.source}: {r.pages_failed} of {plural(r.pages, 'page')} could not be read and have no text", file=sys.stderr)
    return 1 if failed or unread else 0


def check_paths(paths: list[Path]) -> None:
    """Fail on a path that does not exist, or on folders without a single image or PDF, before any model loads."""
    from ingest.sources import discover

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise InputError(f"{', '.join(missing)}: no such file or folder; nothing was ingested (check the path)")
    if not discover(paths)[0]:
        raise InputError("no images or PDFs found in the given paths; folio reads JPEG, PNG, WebP, TIFF, BMP and PDF files")
