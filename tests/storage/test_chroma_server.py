"""Two data dirs on one Chroma server (issue 16.2): neither may touch the other's vectors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.wiring import store_owner
from storage.chroma import ChromaStore, open_client
from storage.config import StoreSettings
from storage.errors import StoreError
from storage.library import library_id
from storage.schema import BBox, Chunk, SourceRef
from tests.chroma_server import ChromaServer, free_port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server"), free_port()).start()
    yield server
    server.stop()


def chunk(doc_id: str, n: int) -> Chunk:
    return Chunk(id=f"c-{doc_id}-{n}", doc_id=doc_id, text=f"text {n} of {doc_id}",
                 refs=(SourceRef(doc_id=doc_id, page=1, bbox=BBox(x0=0, y0=0, x1=1, y1=1), start=0, end=4),))


def open_store(server: ChromaServer, data_dir: Path, collection: str = "manuals") -> ChromaStore:
    cfg = StoreSettings(chroma_host=server.host, chroma_port=server.port)
    return ChromaStore(open_client(cfg, data_dir), collection, "test-model", store_owner(cfg, data_dir))


def test_two_data_dirs_on_one_server_keep_their_vectors_apart(server: ChromaServer, tmp_path: Path) -> None:
    first, second = open_store(server, tmp_path / "a"), open_store(server, tmp_path / "b")
    assert library_id(tmp_path / "a") != library_id(tmp_path / "b") and first.name != second.name
    same_doc = "0123456789abcdef"  # the same file ingested into both libraries
    for store in (first, second):
        store.upsert([chunk(same_doc, 1), chunk(same_doc, 2)], [[1.0, 0.0], [0.0, 1.0]])
    assert first.delete_doc(same_doc) == 2
    assert second.doc_ids() == {same_doc} and second.count() == 2
    assert [h.chunk.doc_id for h in second.search([1.0, 0.0], 1)] == [same_doc]
    assert open_store(server, tmp_path / "b").count() == 2  # reopened: the same collection again


def test_a_collection_owned_by_another_library_is_refused(server: ChromaServer, tmp_path: Path) -> None:
    mine = open_store(server, tmp_path / "mine", "owned")
    client = open_client(StoreSettings(chroma_host=server.host, chroma_port=server.port), tmp_path)
    foreign = client.get_collection(mine.name)
    foreign.modify(metadata={"folio_library": "ffffffffffffffff"})
    with pytest.raises(StoreError, match="belongs to another Folio library"):
        open_store(server, tmp_path / "mine", "owned")
