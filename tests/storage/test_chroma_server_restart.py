"""The store on a real Chroma server that goes away and comes back: a clear error, then recovery, nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.chroma import ChromaStore, open_client
from storage.config import StoreSettings
from storage.errors import EngineUnavailable, StoreError
from tests.chroma_server import ChromaServer
from tests.storage.test_chroma import make_chunk


def test_server_gone_gives_a_clear_error_and_coming_back_loses_nothing(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    server = ChromaServer(tmp_path / "server").start()
    try:
        cfg = StoreSettings(chroma_host=server.host, chroma_port=server.port)
        store = ChromaStore(open_client(cfg, tmp_path), "binders", embedder.model_id)
        chunks = [make_chunk("doc-a", "The red LED is lit while the battery is charging."),
                  make_chunk("doc-b", "Hold the reset button for ten seconds to restore the factory settings.")]
        store.upsert(chunks, embedder.embed_documents([c.embed_text for c in chunks]))
        query = embedder.embed_query("how do I reset it?")

        server.stop()
        where = f"server at {server.host}:{server.port} stopped answering"
        with pytest.raises(StoreError, match=where):
            store.search(query, k=2)
        with pytest.raises(StoreError, match="nothing already stored is lost"):
            store.upsert(chunks[:1], embedder.embed_documents([chunks[0].embed_text]))
        with pytest.raises(EngineUnavailable, match="start it or unset FOLIO_CHROMA_HOST"):
            open_client(cfg, tmp_path)

        server.start()
        assert store.count() == 2  # the same handle recovers once the server is back
        assert store.search(query, k=1)[0].chunk == chunks[1]
        reopened = ChromaStore(open_client(cfg, tmp_path), "binders", embedder.model_id)
        assert reopened.doc_ids() == {"doc-a", "doc-b"}
    finally:
        server.stop()
