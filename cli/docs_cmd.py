"""``folio docs list`` and ``folio docs delete DOC_ID``."""

from __future__ import annotations

import argparse

from cli.common import add_settings_flags, build_settings, check_collection, print_json
from cli.console import plural


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("docs", help="list or delete stored documents")
    verbs = p.add_subparsers(dest="docs_verb", required=True, metavar="VERB")
    ls = verbs.add_parser("list", help="list the documents of a collection")
    add_settings_flags(ls, "collection", "embedder", "json")
    ls.set_defaults(handler=run_list)
    rm = verbs.add_parser("delete", help="delete a document (its pages, chunks and vectors)")
    rm.add_argument("doc_id")
    add_settings_flags(rm, "collection", "embedder", "json")
    rm.set_defaults(handler=run_delete)


def run_list(args: argparse.Namespace) -> int:
    from storage.library import Library

    settings = build_settings(args)
    check_collection(settings)
    records = Library(settings.data_dir).list(settings.collection)
    rows = [
        {"doc_id": r.doc_id, "source": r.source, "pages": r.n_pages, "chunks": r.n_chunks, "ocr_engine": r.ocr_engine, "created_at": r.created_at}
        for r in records
    ]
    if args.json:
        print_json({"collection": settings.collection, "documents": rows})
    elif not rows:
        print(f"no documents in collection {settings.collection!r}")
    else:
        for row in rows:
            print(f"{row['doc_id']}  {plural(row['pages'], 'page'):>10} {plural(row['chunks'], 'chunk'):>11}  {row['source']}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    from assistant.wiring import open_store
    from ingest.delete import delete_document

    settings = build_settings(args)
    check_collection(settings)
    handles = open_store(settings)
    record, n_chunks = delete_document(handles.library, handles.store, args.doc_id)
    if args.json:
        print_json({"deleted": record.doc_id, "source": record.source, "chunks": n_chunks})
    else:
        print(f"deleted {record.doc_id} ({record.source}): {plural(record.n_pages, 'page')}, {plural(n_chunks, 'chunk')}")
    return 0
