"""``folio ui [--host HOST] [--port PORT] [--ingest PATH...]``: the Streamlit app, on this machine by default."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cli.child import check_port, run_forwarding
from cli.common import add_settings_flags, build_settings
from ui.launch import DEFAULT_HOST, DEFAULT_PORT, Launch, check_exposure, streamlit_command

if TYPE_CHECKING:
    from assistant.settings import Settings

FLAG_ENV = {"collection": "FOLIO_COLLECTION", "ocr_engine": "FOLIO_OCR_ENGINE", "embedder": "FOLIO_EMBEDDER", "answerer": "FOLIO_ANSWERER"}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("ui", help="open the chat app in the browser (Streamlit, on 127.0.0.1 by default)")
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST}); any other needs FOLIO_UI_TOKEN")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT})")
    p.add_argument("--ingest", nargs="+", type=Path, metavar="PATH", help="ingest these files or folders into the collection first")
    add_settings_flags(p, "collection", "engine", "embedder", "answerer")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = build_settings(args)
    check_exposure(args.host, settings.ui.token)
    check_port(args.host, args.port, "ui")
    if args.ingest and ingest_first(settings, args.ingest):
        print("folio: some files could not be ingested (see above); starting the app anyway", file=sys.stderr)
    env = {**os.environ, **{FLAG_ENV[name]: str(getattr(args, name)) for name in FLAG_ENV if getattr(args, name, None)}}
    launch = Launch(host=args.host, port=args.port, max_upload_mb=settings.max_file_mb)
    print(f"folio: the chat app is starting on http://{args.host}:{args.port} (Ctrl+C stops it)", file=sys.stderr, flush=True)
    code = run_forwarding(streamlit_command(launch), env)
    return 0 if code in (-signal.SIGTERM, -signal.SIGINT) else code


def ingest_first(settings: Settings, paths: list[Path]) -> int:
    """Ingest ``paths`` before serving (already stored files are skipped); returns the number that failed."""
    from assistant.wiring import ingest_seams
    from cli.progress import PageProgress
    from ingest.run import ingest_paths

    seams = ingest_seams(settings)
    try:
        with PageProgress() as progress:
            reports = ingest_paths(paths, seams, settings.ingest, progress=progress.update, on_report=progress.report)
    finally:
        if seams.work is not None:
            seams.work.close()
    failed = [r for r in reports if not r.ok]
    for r in failed:
        print(f"folio: {r.error}", file=sys.stderr)
    return len(failed) + (not reports)
