"""``folio extract IMAGE --fields "a,b,c"``: field values read by HunyuanOCR, as JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import build_settings, print_json


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("extract", help="read named fields off an image with HunyuanOCR (needs FOLIO_HUNYUAN_BASE_URL)")
    p.add_argument("image", type=Path, metavar="IMAGE", help="photo or scan of one page or card (a PDF: its first page)")
    p.add_argument("--fields", required=True, help="comma-separated field names, e.g. 'Invoice number,Total'")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ingest.ocr.hunyuan_tasks import extract_from_file

    settings = build_settings(args)
    print_json(extract_from_file(args.image, args.fields.split(","), settings.ingest))
    return 0
