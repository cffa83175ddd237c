from __future__ import annotations

from pathlib import Path

import pytest

from storage.chroma import ChromaStore, check_collection_name, distance_to_score, from_record, physical_name, to_metadata
from storage.config import StoreSettings
from storage.errors import ConfigError
from storage.chroma import open_client
from storage.schema import BBox, Chunk, SourceRef, chunk_id


def make_chunk(doc_id: str, text: str, page: int = 1) -> Chunk:
    refs = (SourceRef(doc_id=doc_id, page=page, bbox=BBox(x0=10, y0=20.5, x1=300, y1=44), start=0, end=len(text)),)
    return Chunk(id=chunk_id(doc_id, (page,), text), doc_id=doc_id, text=text, headings=("Chapter 2", "2.1 Batteries"), refs=refs, ocr_engine="test")


def test_metadata_round_trip_keeps_every_field() -> None:
    chunk = make_chunk("abcd", "Pin 1 of the connector is positive, pin 2 is negative. Größe ✓")
    meta = to_metadata(chunk)
    assert all(isinstance(v, str | int) for v in meta.values())
    assert from_record(chunk.id, chunk.text, meta) == chunk


def test_distance_to_score_is_bounded_and_monotone() -> None:
    assert distance_to_score(0.0) == 1.0
    assert distance_to_score(2.0) == 0.0
    assert distance_to_score(0.2) > distance_to_score(0.6)


def test_collection_names_are_checked_and_keep_embedders_apart() -> None:
    assert check_collection_name("manuals_2024") == "manuals_2024"
    with pytest.raises(ConfigError, match="not valid"):
        check_collection_name("../etc")
    assert physical_name("a", "model-1") != physical_name("a", "model-2")


@pytest.mark.parametrize("where", ["embedded", "server"])
def test_upsert_search_filter_delete(where: str, tmp_path: Path, embedder, request: pytest.FixtureRequest) -> None:  # type: ignore[no-untyped-def]
    cfg = StoreSettings()
    if where == "server":  # a real `chroma run` on loopback, shared by the session: a collection of this test's own
        server = request.getfixturevalue("chroma_server")
        cfg = StoreSettings(chroma_host=server.host, chroma_port=server.port)
    client = open_client(cfg, tmp_path)
    store = ChromaStore(client, f"test-{tmp_path.name[-20:].lower()}".rstrip("-_"), embedder.model_id)
    chunks = [
        make_chunk("doc-a", "Charge the battery with the USB cable before the first flight."),
        make_chunk("doc-a", "The red LED is lit while the battery is charging.", page=2),
        make_chunk("doc-b", "Die Firmware wird mit cjflash aktualisiert."),
    ]
    store.upsert(chunks, embedder.embed_documents([c.embed_text for c in chunks]))
    store.upsert(chunks, embedder.embed_documents([c.embed_text for c in chunks]))  # idempotent
    assert store.count() == 3
    hits = store.search(embedder.embed_query("what does the red light mean?"), k=3)
    assert hits[0].chunk == chunks[1]
    assert 0.0 <= hits[-1].score <= hits[0].score <= 1.0
    only_b = store.search(embedder.embed_query("battery"), k=3, doc_ids={"doc-b"})
    assert [h.chunk.doc_id for h in only_b] == ["doc-b"]
    assert store.search(embedder.embed_query("battery"), k=3, doc_ids=set()) == []
    assert store.delete_doc("doc-a") == 2
    assert store.doc_ids() == {"doc-b"}
