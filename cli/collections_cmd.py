"""``folio collections``: the collections in the data dir, with their document and page counts."""

from __future__ import annotations

import argparse

from cli.common import add_settings_flags, build_settings, print_json
from cli.console import plural


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("collections", help="list the collections (libraries) in the data dir")
    add_settings_flags(p, "json")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from storage.library import Library

    settings = build_settings(args)
    library = Library(settings.data_dir)
    rows = []
    for name in library.collections():
        records = library.list(name)
        rows.append({"collection": name, "documents": len(records), "pages": sum(r.n_pages for r in records)})
    if args.json:
        print_json({"data_dir": str(settings.data_dir), "collections": rows})
    elif not rows:
        print(f"no collections in {settings.data_dir} yet; 'folio ingest PATH --collection NAME' makes one")
    else:
        for row in rows:
            print(f"{row['collection']}  {plural(row['documents'], 'document')}, {plural(row['pages'], 'page')}")
    return 0
