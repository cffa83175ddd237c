"""``folio ask QUESTION...``: an answer from the collection, each claim citing a page and a box."""

from __future__ import annotations

import argparse
import sys

from cli.common import add_settings_flags, build_settings, check_collection, print_json

EMPTY_QUESTION = 'the question is empty; ask something, e.g. folio ask "How do I reset it?"'


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("ask", help="ask a question of a collection; the answer cites pages and boxes")
    p.add_argument("question", nargs="+", help="the question (quotes are optional: folio ask how do I reset it)")
    p.add_argument("--doc", dest="doc_ids", action="append", metavar="DOC_ID", help="search only this document (repeatable)")
    add_settings_flags(p, "collection", "embedder", "answerer", "json")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    question = " ".join(args.question).strip()
    if not question:
        print(f"folio: {EMPTY_QUESTION}", file=sys.stderr)
        return 2
    settings = build_settings(args)
    check_collection(settings)

    from assistant.service import ask, build_assistant

    assistant = build_assistant(settings)
    if args.json:
        print_json(ask(question, assistant, doc_ids=args.doc_ids).as_json())
        return 0
    answer = ask(question, assistant, doc_ids=args.doc_ids, stream=_print_piece)
    print()
    for c in answer.citations:
        box = ", ".join(f"{v:.0f}" for v in c.bbox.as_list())
        print(f"[{c.n}] {c.source or c.doc_id}, {c.page_name}  (box [{box}])\n    \"{c.quote}\"")
    if answer.abstained:
        for p in answer.pages[:3]:
            print(f"    closest: {p.source or p.doc_id}, {p.page_name}")
    return 0


def _print_piece(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
