"""``folio translate IMAGE --to en|zh``: the image's text translated by HunyuanOCR."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import build_settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("translate", help="translate the text of an image with HunyuanOCR (needs FOLIO_HUNYUAN_BASE_URL)")
    p.add_argument("image", type=Path, metavar="IMAGE", help="photo or scan of one page, sign or card (a PDF: its first page)")
    p.add_argument("--to", dest="target", choices=["en", "zh"], default="en", help="target language (default: en)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ingest.ocr.hunyuan_tasks import translate_file

    settings = build_settings(args)
    print(translate_file(args.image, args.target, settings.ingest))
    return 0
