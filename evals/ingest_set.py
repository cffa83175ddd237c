"""Ingest packed eval documents into the run's collection, remembering what each took.

Documents already in the collection are not read again (``ingest_file`` recognises them by content);
a small cache file per collection, next to the eval runs, keeps the seconds each document took
when it was first ingested, so a reused collection still reports its ingest speed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.settings import Settings
from evals.pack import PackedDoc
from ingest.run import IngestReport, Progress, Seams, ingest_file, recover
from storage.errors import StoreError
from storage.schema import DocumentRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestedSet:
    """Where each set document is stored, and what ingest cost."""

    collection: str
    docs: dict[str, DocumentRecord]  # set doc_id -> stored record
    pages: dict[str, tuple[int, ...]]  # set doc_id -> set page numbers in stored order
    seconds: float | None  # ingest seconds for all pages (from the cache when reused); None if unknown
    reused: bool  # every document was already stored
    errors: tuple[str, ...]


def ingest_set(
    packed: list[PackedDoc],
    seams: Seams,
    settings: Settings,
    cache_dir: Path,
    *,
    progress: Progress | None = None,
    on_report: Callable[[IngestReport], None] | None = None,
) -> IngestedSet:
    """Ingest every packed document (stored ones are skipped by ``ingest_file``) and read back their records."""
    collection = seams.store.collection
    cache = _read_cache(cache_dir, collection)
    recover(seams)
    docs: dict[str, DocumentRecord] = {}
    errors = []
    fresh = 0
    for doc in packed:
        report = ingest_file(doc.path, seams, settings.ingest, progress=progress)
        if on_report:
            on_report(report)
        if not report.ok:
            errors.append(f"{doc.set_doc_id}: {report.error}")
            continue
        if report.doc_id != doc.stored_id:
            raise StoreError(f"{doc.path.name} was stored as {report.doc_id}, expected {doc.stored_id}")
        if not report.already_stored:
            fresh += 1
            cache[doc.stored_id] = {"seconds": report.seconds, "pages": report.pages}
        docs[doc.set_doc_id] = seams.library.get(collection, doc.stored_id)
    _write_cache(cache_dir, collection, cache)
    timed = [cache.get(d.stored_id) for d in packed]
    seconds = sum(t["seconds"] for t in timed if t) if all(timed) else None
    return IngestedSet(
        collection=collection,
        docs=docs,
        pages={d.set_doc_id: d.pages for d in packed},
        seconds=seconds,
        reused=fresh == 0 and not errors,
        errors=tuple(errors),
    )


def _cache_path(cache_dir: Path, collection: str) -> Path:
    return cache_dir / f"{collection}.json"


def _read_cache(cache_dir: Path, collection: str) -> dict[str, dict[str, float]]:
    path = _cache_path(cache_dir, collection)
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except ValueError:
        log.warning("ignoring unreadable ingest cache %s", path)
        return {}


def _write_cache(cache_dir: Path, collection: str, cache: dict[str, dict[str, float]]) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = _cache_path(cache_dir, collection).with_suffix(".tmp")
    tmp.write_text(json.dumps(cache, indent=1), encoding="utf-8")
    tmp.replace(_cache_path(cache_dir, collection))
