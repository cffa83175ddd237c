"""Deleting a stored document: first its manifest disappears (invisible at once), then its vectors."""

from __future__ import annotations

from storage.chroma import ChromaStore
from storage.library import Library
from storage.schema import DocumentRecord


def delete_document(library: Library, store: ChromaStore, doc_id: str) -> tuple[DocumentRecord, int]:
    record = library.delete(store.collection, doc_id)
    return record, store.delete_doc(doc_id)
