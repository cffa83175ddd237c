"""Builds the seams from the settings, once per entry point (CLI, app, eval runner, API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.settings import Settings
from storage.chroma import ChromaStore, check_collection_name, open_client
from storage.embed import Embedder, build_embedder
from storage.library import Library

if TYPE_CHECKING:  # the write path is imported only by entry points that write
    from ingest.run import Seams


@dataclass(frozen=True)
class StoreHandles:
    """The read side of the store: what every entry point needs to find and show documents."""

    embedder: Embedder
    store: ChromaStore
    library: Library


def open_store(settings: Settings, collection: str | None = None) -> StoreHandles:
    name = check_collection_name(collection or settings.collection)
    embedder = build_embedder(settings.store)
    client = open_client(settings.store, settings.data_dir)
    return StoreHandles(embedder=embedder, store=ChromaStore(client, name, embedder.model_id), library=Library(settings.data_dir))


def ingest_seams(settings: Settings, handles: StoreHandles | None = None) -> Seams:
    """Everything ``ingest_paths`` needs; reuses open store handles when given."""
    from ingest.ocr import build_ocr
    from ingest.run import Seams
    from ingest.work import build_work

    handles = handles or open_store(settings)
    return Seams(engine=build_ocr(settings.ingest), embedder=handles.embedder, store=handles.store, library=handles.library,
                 work=build_work(settings.ingest, settings.store))
