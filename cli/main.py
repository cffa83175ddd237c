"""Entry point of the ``folio`` command."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from cli import (ask_cmd, bench_cmd, collections_cmd, config_cmd, docs_cmd, doctor_cmd, eval_cmd, extract_cmd, fit_cmd, ingest_cmd, local_llm_cmd,
                 serve_cmd, translate_cmd, ui_cmd)
from cli.console import quiet_libraries
from cli.suggest import unknown_command
from storage.errors import AppError

EXIT_BROKEN_PIPE = 141  # what a shell reports for a command stopped by SIGPIPE
VERBS = (ingest_cmd, ask_cmd, docs_cmd, collections_cmd, config_cmd, eval_cmd, fit_cmd, bench_cmd, doctor_cmd, extract_cmd, translate_cmd,
         ui_cmd, serve_cmd, local_llm_cmd)


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
    except KeyboardInterrupt:
        print("folio: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `folio ask ... | head`: the reader has all it wanted
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # noqa: BLE001 - every failure ends as one line (and JSON with --json)
        if args.verbose >= 2:
            logging.exception("error")
        return fail(args, one_line(exc))


def one_line(exc: BaseException) -> str:
    """What to print for a failure: Folio's own message, or what the disk, store or server fault means."""
    from storage.failures import explain

    if isinstance(exc, AppError):
        message = str(exc)
    elif isinstance(exc, RecursionError):
        message = "the input is nested too deeply to read; flatten it and run again"
    else:
        message = explain(exc) or f"unexpected error ({type(exc).__name__}: {exc}); run with -vv for the details"
    return " ".join(message.split())


def fail(args: argparse.Namespace, message: str) -> int:
    """Print ``message`` as one line on stderr, and as ``{"error": ...}`` on stdout with ``--json``."""
    if getattr(args, "json", False):
        try:
            json.dump({"error": message}, sys.stdout, ensure_ascii=False)
            sys.stdout.write("\n")
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
    print(f"folio: {message}", file=sys.stderr)
    return 1


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing it at exit does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
