"""Reading a whole collection back goes through Chroma in pages (one get of >32k records fails)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import storage.chroma
from storage.chroma import ChromaStore, open_client
from storage.config import StoreSettings
from storage.schema import BBox, Chunk, SourceRef, chunk_id


def chunk(doc_id: str, n: int) -> Chunk:
    text = f"chunk {n} of {doc_id}"
    ref = SourceRef(doc_id=doc_id, page=1, bbox=BBox(x0=0, y0=0, x1=10, y1=10), start=0, end=len(text))
    return Chunk(id=chunk_id(doc_id, (1,), text), doc_id=doc_id, text=text, refs=(ref,))


@pytest.mark.parametrize("page_size", [3, 7, 5000])
def test_chunks_and_doc_ids_read_every_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page_size: int) -> None:
    monkeypatch.setattr(storage.chroma, "GET_PAGE", page_size)
    store = ChromaStore(open_client(StoreSettings(), tmp_path), "paging", "test-model")
    chunks = [chunk(f"doc{d}", n) for d in range(3) for n in range(7)]  # 21 chunks: pages of 3 end exactly
    vectors = np.random.default_rng(0).standard_normal((len(chunks), 8)).tolist()
    store.upsert(chunks, vectors)
    assert sorted(c.id for c in store.chunks()) == sorted(c.id for c in chunks)
    assert {c.id for c in store.chunks(doc_ids={"doc1", "doc2"})} == {c.id for c in chunks if c.doc_id != "doc0"}
    assert store.doc_ids() == {"doc0", "doc1", "doc2"}


def test_a_search_of_many_documents_gives_what_the_filtered_search_gives(tmp_path: Path) -> None:
    """Many documents are searched without the filter first; a hit of another document falls back to the filter."""
    store = ChromaStore(open_client(StoreSettings(), tmp_path), "many", "test-model")
    chunks = [chunk(f"doc{d}", n) for d in range(12) for n in range(4)]
    vectors = np.random.default_rng(1).standard_normal((len(chunks), 8))
    store.upsert(chunks, vectors.tolist())
    query = vectors[5].tolist()
    every = {f"doc{d}" for d in range(12)}
    assert len(every) > storage.chroma.FILTER_FIRST_DOCS
    assert [h.chunk.id for h in store.search(query, 10, doc_ids=every)] == [h.chunk.id for h in store.search(query, 10)]
    most = every - {chunks[5].doc_id}  # the best hit is of a document left out: filtered, it is not there
    hits = store.search(query, 10, doc_ids=most)
    assert len(hits) == 10 and all(h.chunk.doc_id in most for h in hits)
    expected = [h.chunk.id for h in store.search(query, len(chunks)) if h.chunk.doc_id in most][:10]
    assert [h.chunk.id for h in hits] == expected
    assert len(store.search(query, 100, doc_ids=every)) == len(chunks)  # more asked than stored: all of them
    assert [c.id for c in store.get_chunks([chunks[7].id, "missing", chunks[2].id])] == [chunks[7].id, chunks[2].id]
