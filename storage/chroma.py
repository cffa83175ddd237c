"""Chroma adapter: the only module that knows Chroma's records, metadata and distances.

One Chroma collection per (Folio collection, embedder, schema version), so vectors of different
models never mix. On a Chroma server, which several data dirs may share, the name also carries the
id of the library (``storage.library.library_id``) and the collection records its owner: a library
never reads, writes or deletes another library's vectors. Metadata is flat: nested values (heading
path, line refs) are JSON strings. Every failure of Chroma becomes a ``StoreError`` saying what to do.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from storage.config import StoreSettings
from storage.errors import ConfigError, EngineUnavailable, StoreError
from storage.failures import explain
from storage.schema import SCHEMA_VERSION, BBox, Chunk, Hit, SourceRef

log = logging.getLogger(__name__)

GET_PAGE = 5000  # records per Chroma get
FILTER_FIRST_DOCS = 8  # a search of more documents than this tries without the filter first (see search)
COLLECTION_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")


def check_collection_name(name: str) -> str:
    if not COLLECTION_NAME.match(name):
        raise ConfigError(
            f"collection name {name!r} is not valid: use 1-48 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return name


def physical_name(collection: str, model_id: str, owner: str = "") -> str:
    """Chroma collection for a Folio collection: a hash keeps different embedders (and, on a shared
    server, different libraries: ``owner``) apart. Chroma allows 63 characters; this is at most 63."""
    key = f"{model_id}|{SCHEMA_VERSION}" + (f"|{owner}" if owner else "")
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"folio-{check_collection_name(collection)}-{digest}"


def to_metadata(chunk: Chunk) -> dict[str, str | int]:
    refs = [[r.page, r.bbox.x0, r.bbox.y0, r.bbox.x1, r.bbox.y1, r.start, r.end] for r in chunk.refs]
    return {
        "doc_id": chunk.doc_id,
        "page": chunk.pages[0] if chunk.pages else 0,
        "pages": json.dumps(list(chunk.pages)),
        "headings": json.dumps(list(chunk.headings), ensure_ascii=False),
        "refs": json.dumps(refs, separators=(",", ":")),
        "ocr_engine": chunk.ocr_engine,
        "schema_version": chunk.schema_version,
    }


def from_record(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    doc_id = str(meta["doc_id"])
    refs = tuple(
        SourceRef(doc_id=doc_id, page=int(p), bbox=BBox(x0=x0, y0=y0, x1=x1, y1=y1), start=int(s), end=int(e))
        for p, x0, y0, x1, y1, s, e in json.loads(str(meta.get("refs", "[]")))
    )
    return Chunk(
        id=chunk_id,
        doc_id=doc_id,
        text=text,
        headings=tuple(json.loads(str(meta.get("headings", "[]")))),
        refs=refs,
        ocr_engine=str(meta.get("ocr_engine", "")),
        schema_version=int(meta.get("schema_version", SCHEMA_VERSION)),
    )


def distance_to_score(distance: float) -> float:
    """Cosine distance (1 - cos, in [0, 2]) to a score in [0, 1], higher is better."""
    return max(0.0, min(1.0, 1.0 - float(distance)))


def open_client(cfg: StoreSettings, data_dir: Path) -> Any:
    """An embedded PersistentClient under ``data_dir/chroma``, or an HttpClient when a host is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if cfg.chroma_host:
        try:
            return chromadb.HttpClient(host=cfg.chroma_host, port=cfg.chroma_port, settings=chroma_settings)
        except Exception as exc:
            raise EngineUnavailable(
                f"Chroma server at {cfg.chroma_host}:{cfg.chroma_port} did not answer ({exc}); "
                "start it or unset FOLIO_CHROMA_HOST to use the embedded store"
            ) from exc
    path = data_dir / "chroma"
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        raise StoreError(explain(exc, store=str(path)) or f"cannot open the vector store {path}: {exc}") from exc


@contextmanager
def guarded(what: str, store: str) -> Iterator[None]:
    """Turn a failure of Chroma (its files, its server) into a ``StoreError`` that says what to do."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(explain(exc, store=store) or f"{what} failed in the vector store {store}: {_one_line(exc)}") from exc


def _one_line(exc: BaseException) -> str:
    return re.sub(r"\s+", " ", str(exc)).strip()[:200] or type(exc).__name__


class ChromaStore:
    """A Folio collection's chunks and vectors in Chroma."""

    def __init__(self, client: Any, collection: str, model_id: str, owner: str = "") -> None:
        self.collection = collection
        self.name = physical_name(collection, model_id, owner)
        self.where = _describe(client)
        self._metadata: dict[str, Any] = {"hnsw:space": "cosine", "folio_collection": collection, "embedder": model_id}
        if owner:
            self._metadata["folio_library"] = owner
        self._client = client
        self._open(client)
        found = str((self._col.metadata or {}).get("folio_library", ""))
        if owner and found != owner:
            raise StoreError(f"the Chroma collection {self.name} belongs to another Folio library ({found or 'unknown'}), "
                             f"not to this data dir's ({owner}); Folio will not write into it: use another collection name")

    def _open(self, client: Any) -> None:
        with guarded(f"opening the collection {self.name}", self.where):
            self._col = client.get_or_create_collection(self.name, metadata=self._metadata)
        self.opened_ns = time.time_ns()

    def refresh(self) -> None:
        """See what other processes wrote since this store was opened.

        An embedded Chroma keeps the vector index in memory and does not notice writes by another
        process (a search then fails with "Error finding id" or misses the new chunks), so it is
        opened again. A server is shared by all its clients and needs nothing."""
        if not _is_embedded(self._client):
            return
        from chromadb.api.shared_system_client import SharedSystemClient

        path = self._client.get_settings().persist_directory
        with guarded("reopening", self.where):
            SharedSystemClient._identifier_to_system.pop(self._client._identifier, None)  # chromadb caches one per path
            import chromadb

            fresh = chromadb.PersistentClient(path=str(path), settings=self._client.get_settings())
        self._client = fresh
        self._open(fresh)
        log.info("reopened the vector store %s to see other processes' writes", self.where)

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk")
        if not chunks:
            return
        with guarded(f"writing {len(chunks)} chunks", self.where):
            self._col.upsert(
                ids=[c.id for c in chunks],
                documents=[c.text for c in chunks],
                metadatas=[to_metadata(c) for c in chunks],
                embeddings=[list(v) for v in vectors],
            )

    def search(self, query: Sequence[float], k: int, *, doc_ids: Collection[str] | None = None) -> list[Hit]:
        if doc_ids is not None and not doc_ids:
            return []
        n = k  # Chroma returns fewer when the collection holds fewer (counting first costs a query)
        if n <= 0:
            return []
        if doc_ids is not None and len(doc_ids) > FILTER_FIRST_DOCS:
            # A filter on many documents (every committed one, typically) costs more than the search itself
            # (hundreds of ms at 100k chunks): search unfiltered, and filter only when a hit was of another document.
            hits = self._query(query, n, None)
            if all(h.chunk.doc_id in doc_ids for h in hits):
                return hits
        return self._query(query, n, _doc_filter(doc_ids))

    def _query(self, query: Sequence[float], n: int, where: dict[str, Any] | None) -> list[Hit]:
        try:
            with guarded("searching", self.where):
                res = self._col.query(query_embeddings=[list(query)], n_results=n, where=where)
        except StoreError as exc:
            if "error finding id" not in str(exc).lower() or not _is_embedded(self._client):
                raise
            self.refresh()  # another process wrote since this index was loaded
            with guarded("searching", self.where):
                res = self._col.query(query_embeddings=[list(query)], n_results=n, where=where)
        return [
            Hit(chunk=from_record(cid, text, meta), score=distance_to_score(dist))
            for cid, text, meta, dist in zip(
                res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
            )
        ]

    def chunks(self, *, doc_ids: Collection[str] | None = None) -> list[Chunk]:
        """Every chunk (of the given documents), e.g. to build a keyword index."""
        if doc_ids is not None and not doc_ids:
            return []
        res = self._get_all(_doc_filter(doc_ids), ["documents", "metadatas"])
        return [from_record(cid, text, meta) for cid, text, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=True)]

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """The chunks with these ids that the store holds, in the order given."""
        if not ids:
            return []
        with guarded(f"reading {len(ids)} chunks", self.where):
            res = self._col.get(ids=list(ids), include=["documents", "metadatas"])
        found = {cid: from_record(cid, text, meta) for cid, text, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=True)}
        return [found[cid] for cid in ids if cid in found]

    def doc_ids(self) -> set[str]:
        res = self._get_all(None, ["metadatas"])
        return {str(m["doc_id"]) for m in res["metadatas"]}

    def _get_all(self, where: dict[str, Any] | None, include: list[str]) -> dict[str, list[Any]]:
        """``get`` in pages: one unpaged get of more than ~32k records fails ("too many SQL variables")."""
        out: dict[str, list[Any]] = {"ids": [], **{key: [] for key in include}}
        while True:
            with guarded("reading chunks", self.where):
                res = self._col.get(where=where, include=include, limit=GET_PAGE, offset=len(out["ids"]))
            for key in out:
                out[key].extend(res[key])
            if len(res["ids"]) < GET_PAGE:
                return out

    def delete_doc(self, doc_id: str) -> int:
        with guarded(f"deleting the chunks of {doc_id}", self.where):
            ids = self._col.get(where={"doc_id": doc_id}, include=[])["ids"]
            if ids:
                self._col.delete(ids=ids)
        return len(ids)

    def count(self) -> int:
        with guarded("counting chunks", self.where):
            return int(self._col.count())

    def check(self) -> None:
        """Raise ``StoreError`` unless the store answers now (health checks)."""
        self.count()


def _is_embedded(client: Any) -> bool:
    settings = getattr(client, "get_settings", lambda: None)()
    return bool(getattr(settings, "is_persistent", False)) and not getattr(settings, "chroma_server_host", None)


def _describe(client: Any) -> str:
    """Where a client's store is, for messages: the server's address or the embedded store's folder."""
    settings = getattr(client, "get_settings", lambda: None)()
    host = getattr(settings, "chroma_server_host", None)
    if host:
        return f"at {host}:{getattr(settings, 'chroma_server_http_port', '')}"
    path = getattr(settings, "persist_directory", None)
    return str(path) if path else "(Chroma)"


def _doc_filter(doc_ids: Collection[str] | None) -> dict[str, Any] | None:
    if doc_ids is None:
        return None
    ids = sorted(doc_ids)
    return {"doc_id": ids[0]} if len(ids) == 1 else {"doc_id": {"$in": ids}}
