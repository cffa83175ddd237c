"""Hybrid retrieval: dense search in Chroma plus BM25, fused by weighted reciprocal rank.

Fusion is a small weighted RRF written here rather than llama-index's ``QueryFusionRetriever``:
that class fuses by node hash (so both retrievers would have to return byte-identical node
text), drops each retriever's own scores (the abstention threshold needs the dense similarity
and the keyword evidence), hard-codes RRF's k=60 and ignores retriever weights in RRF mode, and
wants an LLM object even when it generates no queries. BM25 itself is llama-index's
``BM25Retriever`` (``assistant.keyword``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from assistant.keyword import KeywordHit, KeywordIndex
from storage.chroma import ChromaStore
from storage.schema import Chunk, Hit


@dataclass(frozen=True)
class FusionSettings:
    """How dense and keyword rankings are combined (tuned on the dev set)."""

    rrf_k: float = 60.0  # reciprocal rank constant: larger flattens the rank differences
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    depth: int = 30  # how many results each retriever contributes


@dataclass(frozen=True)
class Ranked:
    """A chunk in the fused ranking, with what each retriever said about it."""

    chunk: Chunk
    score: float  # fused, in [0, 1]
    dense: float = 0.0  # cosine similarity score in [0, 1] (0: not in the dense results)
    keyword: float = 0.0  # raw BM25 score (0: no query term matched)
    dense_rank: int | None = None  # from 0
    keyword_rank: int | None = None
    pages: tuple[int, ...] = ()  # the chunk's pages, the one holding its best passage first (set by rerank; empty: chunk order)

    def page_order(self) -> tuple[int, ...]:
        return self.pages or self.chunk.pages

    def hit(self) -> Hit:
        return Hit(chunk=self.chunk, score=self.score)


def retrieve(
    query: str,
    vector: Sequence[float],
    store: ChromaStore,
    keywords: KeywordIndex,
    doc_ids: Collection[str],
    cfg: FusionSettings,
) -> list[Ranked]:
    """Chunks of ``doc_ids`` best first: dense hits for ``vector`` fused with BM25 hits for ``query``."""
    if not doc_ids:
        return []
    dense = store.search(vector, cfg.depth, doc_ids=doc_ids)
    keyword = keywords.search(query, cfg.depth, doc_ids=doc_ids)
    return fuse(dense, keyword, cfg)


def fuse(dense: Sequence[Hit], keyword: Sequence[KeywordHit], cfg: FusionSettings) -> list[Ranked]:
    """Weighted reciprocal rank fusion; the fused score is scaled so that rank 1 in both lists is 1.0."""
    chunks: dict[str, Chunk] = {}
    scores: dict[str, float] = {}
    dense_of: dict[str, tuple[int, float]] = {}
    keyword_of: dict[str, tuple[int, float]] = {}
    for rank, hit in enumerate(dense):
        chunks[hit.chunk.id] = hit.chunk
        dense_of[hit.chunk.id] = (rank, hit.score)
        scores[hit.chunk.id] = scores.get(hit.chunk.id, 0.0) + cfg.dense_weight / (cfg.rrf_k + rank + 1)
    for rank, khit in enumerate(keyword):
        chunks.setdefault(khit.chunk.id, khit.chunk)
        keyword_of[khit.chunk.id] = (rank, khit.score)
        scores[khit.chunk.id] = scores.get(khit.chunk.id, 0.0) + cfg.keyword_weight / (cfg.rrf_k + rank + 1)
    best = (cfg.dense_weight + cfg.keyword_weight) / (cfg.rrf_k + 1)
    order = sorted(scores, key=lambda cid: (-scores[cid], dense_of.get(cid, (1 << 30,))[0]))
    return [
        Ranked(
            chunk=chunks[cid],
            score=min(1.0, scores[cid] / best),
            dense=dense_of[cid][1] if cid in dense_of else 0.0,
            keyword=keyword_of[cid][1] if cid in keyword_of else 0.0,
            dense_rank=dense_of[cid][0] if cid in dense_of else None,
            keyword_rank=keyword_of[cid][0] if cid in keyword_of else None,
        )
        for cid in order
    ]
