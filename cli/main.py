"""Entry point of the ``folio`` command."""

from __future__ import annotations

import argparse
import logging
import sys

from cli import ask_cmd, bench_cmd, collections_cmd, config_cmd, docs_cmd, doctor_cmd, eval_cmd, extract_cmd, ingest_cmd, serve_cmd, translate_cmd, ui_cmd
from cli.console import quiet_libraries
from cli.suggest import unknown_command
from storage.errors import AppError

VERBS = (ingest_cmd, ask_cmd, docs_cmd, collections_cmd, config_cmd, eval_cmd, bench_cmd, doctor_cmd, extract_cmd, translate_cmd, ui_cmd, serve_cmd)


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("folio")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="folio", description="Ask questions of photographed manuals and scanned documents; answers cite the page and the box.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="-v for progress logs, -vv for debug logs and tracebacks")
    parser.add_argument("--version", action="version", version=f"folio {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for verb in VERBS:
        verb.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 0
    if (message := unknown_command(parser, argv)) is not None:
        print(f"folio: {message}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    level = logging.WARNING if args.verbose == 0 else logging.INFO if args.verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    quiet_libraries(args.verbose)
    try:
        return int(args.handler(args) or 0)
    except AppError as exc:
        if args.verbose >= 2:
            logging.exception("error")
        print(f"folio: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("folio: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
