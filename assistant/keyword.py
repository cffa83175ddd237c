"""Keyword (BM25) search over chunks: llama-index's BM25Retriever over Folio's own analysis.

This is the only module that touches llama-index, and its types stay inside. Chroma holds the
chunk text, so the retriever is given the nodes: one ``TextNode`` per chunk whose text is the
chunk's analysed terms (``assistant.analyze``: stems of the chunk's own language, Chinese words,
German compound parts) joined by spaces. The retriever then only splits on spaces (no stemming,
no stop words of its own), so both sides of a match went through the same analysis. Nothing
here downloads anything: bm25s, PyStemmer and jieba ship what they need.
"""

from __future__ import annotations

import copy
import logging
import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from assistant.analyze import Analyzer, detect_language, vocabulary_of
from storage.schema import Chunk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeywordHit:
    chunk: Chunk
    score: float  # raw BM25 score, > 0


class KeywordIndex:
    """BM25 over a fixed set of chunks, built once and searched many times."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = {c.id: c for c in chunks}
        self.doc_ids = frozenset(c.doc_id for c in chunks)
        self.analyzer = Analyzer(vocabulary_of(c.embed_text for c in chunks))
        terms = {c.id: self.analyzer.terms(c.embed_text) for c in chunks}
        self.languages = {c.id: detect_language(c.text) for c in chunks}
        self._df = Counter(t for ts in terms.values() for t in set(ts))
        self._retriever = _bm25(terms) if chunks else None

    def __len__(self) -> int:
        return len(self.chunks)

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of an analysed term (unseen terms get the highest)."""
        n = len(self.chunks)
        df = self._df.get(term, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    @property
    def vocabulary_size(self) -> int:
        """How many distinct analysed terms the indexed chunks hold."""
        return len(self._df)

    def has(self, term: str) -> bool:
        return term in self._df

    def search(self, question: str, k: int, *, doc_ids: Collection[str] | None = None) -> list[KeywordHit]:
        """The ``k`` best chunks with a positive BM25 score, of the given documents only when set."""
        terms = self.analyzer.terms(question)
        if self._retriever is None or not terms:
            return []
        if doc_ids is not None and self.doc_ids <= set(doc_ids):
            doc_ids = None  # a filter that keeps every indexed document is no filter
        # Unfiltered, a few times k is enough; filtered by document, every chunk may be needed.
        depth = len(self.chunks) if doc_ids is not None else min(len(self.chunks), max(4 * k, 100))
        retriever = copy.copy(self._retriever)  # shares the index; a per-query depth stays thread-safe
        retriever.similarity_top_k = depth
        results = retriever.retrieve(" ".join(terms))
        hits = []
        for result in results:
            chunk = self.chunks[result.node.node_id]
            if (result.score or 0.0) <= 0.0 or (doc_ids is not None and chunk.doc_id not in doc_ids):
                continue
            hits.append(KeywordHit(chunk=chunk, score=float(result.score or 0.0)))
            if len(hits) == k:
                break
        return hits


def _bm25(terms: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    from llama_index.core.schema import TextNode
    from llama_index.retrievers.bm25 import BM25Retriever

    # bm25s sets its own logger to DEBUG on import; let the entry point's logging level decide instead.
    logging.getLogger("bm25s").setLevel(logging.NOTSET)

    nodes = [TextNode(id_=cid, text=" ".join(ts) or "_") for cid, ts in terms.items()]
    return BM25Retriever(
        nodes=nodes,
        skip_stemming=True,
        token_pattern=r"\S+",
        language=None,  # stop words were removed by the analyzer, per language
        similarity_top_k=len(nodes),
    )
