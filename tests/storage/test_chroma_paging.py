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
