"""``folio doctor``: preflight checks, one line each; exit 1 if a required one fails."""

from __future__ import annotations

import argparse

from cli.common import add_settings_flags, build_settings, print_json


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("doctor", help="check the HunyuanOCR server, the CPU OCR engine, the embedder, the data dir, the vector store and the chat server")
    add_settings_flags(p, "engine", "embedder", "json")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from assistant.llm_check import check_chat_server
    from assistant.llm_local import check_local
    from ingest.preflight import check_embedder, run_checks

    settings = build_settings(args)
    checks = [*run_checks(settings.ingest, settings.data_dir, settings.store), check_embedder(settings.store),
              check_chat_server(settings.answer), check_local(settings.data_dir)]
    if args.json:
        print_json({"checks": [c.__dict__ for c in checks]})
    for c in checks if not args.json else ():
        mark = "skip" if c.skipped else "ok" if c.ok else "FAIL" if c.required else "warn"
        print(f"{mark:<5} {c.name:<15} {c.detail}")
    return 1 if any(c.required and not c.ok for c in checks) else 0
