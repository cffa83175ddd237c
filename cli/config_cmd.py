"""``folio config``: the effective settings, secrets masked."""

from __future__ import annotations

import argparse

from cli.common import build_settings, print_json


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("config", help="show the effective settings (secrets masked)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = build_settings(args)
    print_json({"fingerprint": settings.fingerprint(), **settings.public_dump()})
    return 0
