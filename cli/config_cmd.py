"""``folio config``: the effective settings, each with its variable name and where its value came from."""

from __future__ import annotations

import argparse
import json

from cli.common import add_settings_flags, build_settings, print_json
from cli.origins import env_name, origins


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("config", help="show the effective settings, their variables and where each value came from (secrets masked)")
    add_settings_flags(p, "json")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = build_settings(args)
    values = settings.public_dump()
    where = origins(settings)
    if args.json:
        print_json({"fingerprint": settings.fingerprint(), **values,
                    "origins": {name: {"variable": env_name(name), "origin": where[name]} for name in values}})
        return 0
    print(f"settings fingerprint {settings.fingerprint()}; set any value with its variable (or in .env)")
    width = max(len(env_name(name)) for name in values)
    for name, value in values.items():
        shown = "(not set)" if value is None else json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value or '""'
        print(f"{env_name(name):<{width}}  {shown}  ({where[name]})")
    return 0
