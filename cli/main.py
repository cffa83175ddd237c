"""Entry point of the ``folio`` command."""

from __future__ import annotations

import argparse
import logging
import sys

from cli import (ask_cmd, bench_cmd, config_cmd, docs_cmd, doctor_cmd, eval_cmd, extract_cmd, ingest_cmd, local_llm_cmd, serve_cmd,
                 translate_cmd, ui_cmd)
from storage.errors import AppError

VERBS = (ingest_cmd, ask_cmd, docs_cmd, config_cmd, eval_cmd, bench_cmd, doctor_cmd, extract_cmd, translate_cmd, ui_cmd, serve_cmd, local_llm_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="folio", description="Ask questions of photographed manuals and scanned documents; answers cite the page and the box.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="-v for progress logs, -vv for debug logs and tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for verb in VERBS:
        verb.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING if args.verbose == 0 else logging.INFO if args.verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
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
