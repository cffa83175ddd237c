"""Builds the seams from the settings, once per entry point (CLI, app, eval runner, API)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.settings import Settings
from storage.chroma import ChromaStore, check_collection_name, open_client
from storage.embed import Embedder, build_embedder, document_embedder
from storage.config import StoreSettings
from storage.library import Library, library_id

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
    embedder = build_embedder(settings.store, settings.models_dir or settings.data_dir / "models")
    client = open_client(settings.store, settings.data_dir)
    store = ChromaStore(client, name, embedder.model_id, store_owner(settings.store, settings.data_dir))
    return StoreHandles(embedder=embedder, store=store, library=Library(settings.data_dir))


def store_owner(cfg: StoreSettings, data_dir: Path) -> str:
    """Whose vectors a Chroma collection holds: the library's id on a (shareable) server, "" embedded."""
    return library_id(data_dir) if cfg.chroma_host else ""


def ingest_seams(settings: Settings, handles: StoreHandles | None = None) -> Seams:
    """Everything ``ingest_paths`` needs; reuses open store handles when given."""
    from ingest.ocr import build_ocr
    from ingest.run import Seams
    from ingest.work import build_work

    handles = handles or open_store(settings)
    return Seams(engine=build_ocr(settings.ingest), embedder=document_embedder(handles.embedder), store=handles.store, library=handles.library,
                 work=build_work(settings.ingest, settings.store))


def update_keyword_index(settings: Settings, store: ChromaStore, library: Library) -> None:
    """Bring the collection's stored keyword index up to date (after an ingest), so the next ask only loads it."""
    from assistant.keyword import stored_index
    from assistant.order import successor_ids

    records = {doc_id: r for doc_id in sorted(library.doc_ids(store.collection)) if (r := library.read(store.collection, doc_id)) is not None}
    stored_index(settings.data_dir, store.collection, {d: r.n_chunks for d, r in records.items()}, lambda ids: store.chunks(doc_ids=ids),
                 successor_ids(records))
