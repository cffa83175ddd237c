"""What every verb shares: building the settings from flags, the console, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from storage.errors import ConfigError, NotFound

if TYPE_CHECKING:  # settings (pydantic) are imported by the verbs that run, not by 'folio --help'
    from assistant.settings import Settings


def add_settings_flags(parser: argparse.ArgumentParser, *names: str) -> None:
    """Flags that override settings for one run (environment variables do the same)."""
    if "collection" in names:
        parser.add_argument("--collection", help="collection (library) to use [FOLIO_COLLECTION]")
    if "engine" in names:
        parser.add_argument("--engine", dest="ocr_engine", choices=["cpu", "hunyuan"], help="OCR engine [FOLIO_OCR_ENGINE]")
    if "embedder" in names:
        parser.add_argument("--embedder", choices=["e5-small", "minilm"], help="embedder [FOLIO_EMBEDDER]")
    if "answerer" in names:
        parser.add_argument("--answerer", choices=["extractive", "openai"], help="answerer [FOLIO_ANSWERER]")
    if "workers" in names:
        parser.add_argument("--workers", type=int, help="processes reading pages in parallel; 0 = one per CPU core [FOLIO_WORKERS]")
        parser.add_argument("--ray", dest="ray_address", metavar="ADDRESS", help="run the page work on this Ray cluster [FOLIO_RAY_ADDRESS]")
    if "json" in names:
        parser.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")


def build_settings(args: argparse.Namespace) -> Settings:
    """The one Settings object of this run: environment and .env, then the flags given."""
    from pydantic import ValidationError

    from assistant.settings import Settings

    overrides = {
        name: getattr(args, name)
        for name in ("collection", "ocr_engine", "embedder", "answerer", "workers", "ray_address")
        if getattr(args, name, None) is not None
    }
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(f"setting {where} (FOLIO_{where.upper()}): {first['msg']}") from exc


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def check_collection(settings: Settings) -> None:
    """An unknown collection is an error naming the known ones (with none stored yet, commands say to ingest)."""
    from storage.library import Library

    known = Library(settings.data_dir).collections()
    if known and settings.collection not in known:
        raise NotFound(f"no collection {settings.collection!r}; the collections are: {', '.join(known)} (choose one with --collection)")
