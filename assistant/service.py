"""The read path's one entry: ``ask(question, ...)`` -> a cited ``Answer`` (or an honest abstention).

    question -> embed -> retrieve (dense + BM25, fused) -> assess evidence -> abstain, or answer -> cite

``Assistant`` is built once per entry point from ``Settings`` (the Streamlit app caches it): it
holds the embedder, the store, the library and the answerer, and keeps a keyword index of the
collection that is rebuilt when the set of visible documents changes. Only chunks of committed
documents (whose manifest exists) are ever searched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.abstain import assess
from assistant.answer import Answerer, OnText, Request
from assistant.config import AnswerSettings
from assistant.evidence import UnitScorer
from assistant.keyword import KeywordIndex
from assistant.rerank import RerankSettings, rerank
from assistant.retrieve import FusionSettings, Ranked, retrieve
from assistant.schema import Answer, PageRef, Turn
from assistant.settings import Settings
from assistant.order import following_chunks
from storage.schema import Chunk, DocumentRecord

if TYPE_CHECKING:  # the wiring imports the write path, which asking does not need
    from assistant.wiring import StoreHandles

log = logging.getLogger(__name__)

CLOSEST_PAGES = 3


@dataclass(frozen=True)
class _Corpus:
    """The searchable state of a collection at one moment."""

    key: tuple[frozenset[str], int]  # (visible doc ids, chunk count in the store)
    keywords: KeywordIndex
    scorer: UnitScorer
    records: dict[str, DocumentRecord]
    following: dict[str, Chunk]  # chunk id -> the next chunk of its document


class Assistant:
    """Answers questions over one collection. Build once, ask many times (thread-compatible reads)."""

    def __init__(self, settings: Settings, handles: StoreHandles | None = None, answerer: Answerer | None = None) -> None:
        self.settings = settings
        self.cfg: AnswerSettings = settings.answer
        self.handles = handles or _open_store(settings, None)
        self.collection = self.handles.store.collection
        self.answerer = answerer or build_answerer(self.cfg)
        self.fusion = FusionSettings(rrf_k=self.cfg.rrf_k, dense_weight=self.cfg.dense_weight,
                                     keyword_weight=self.cfg.keyword_weight, depth=self.cfg.retrieve_depth)
        self.rerank = RerankSettings(depth=self.cfg.rerank_depth, weight=self.cfg.rerank_weight, semantic=self.cfg.rerank_semantic,
                                     procedure=self.cfg.rerank_procedure)
        self.fingerprint = settings.fingerprint()
        self._corpus: _Corpus | None = None

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        doc_ids: Collection[str] | None = None,
        stream: OnText | None = None,
    ) -> Answer:
        """Answer ``question`` from the collection (only ``doc_ids`` when given).

        ``history`` holds the earlier turns for follow-up questions; ``stream`` receives the
        answer text as it is produced. Abstains, listing the closest pages, when the evidence
        score is under ``min_score``.
        """
        started = time.perf_counter()
        corpus = self.corpus()
        allowed = set(corpus.records) if doc_ids is None else set(corpus.records) & set(doc_ids)
        query_text = _with_context(question, history)
        vector = self.handles.embedder.embed_query(query_text)
        query = corpus.scorer.query(query_text)
        ranked = retrieve(query_text, vector, self.handles.store, corpus.keywords, allowed, self.fusion)
        ranked = rerank(ranked, query, corpus.scorer, self.rerank)
        evidence = assess(query, ranked, corpus.scorer, corpus.keywords, question=question)
        pages = self.pages(ranked, corpus)
        retrieved = time.perf_counter()
        base = {"question": question, "pages": pages, "evidence": evidence.score, "settings_fingerprint": self.fingerprint}
        if not allowed or evidence.score < self.cfg.min_score:
            text = abstention_text(question, pages, no_documents=not allowed, reason=evidence.reason)
            if stream:
                stream(text)
            timings = {"retrieve": retrieved - started, "answer": 0.0, "total": time.perf_counter() - started}
            return Answer(text=text, abstained=True, answerer="abstain", timings=timings, **base)
        request = Request(question=question, hits=[r.hit() for r in ranked[: self.cfg.top_k]], scorer=corpus.scorer,
                          image_path=lambda doc_id, page: self.image_path(corpus, doc_id, page), history=history, on_text=stream,
                          search_text=query_text, following=lambda chunk: self._following(corpus, chunk, allowed),
                          documents={doc_id: record.source for doc_id, record in corpus.records.items()})
        draft = self.answerer.answer(request)
        done = time.perf_counter()
        timings = {"retrieve": retrieved - started, "answer": done - retrieved, "total": done - started}
        log.info("asked %r: %d citations, evidence %.3f, %.0f ms", question, len(draft.citations), evidence.score, 1000 * (done - started))
        if draft.abstained:  # the answerer could not stand behind any of its answer (a chat model's refusal)
            text = abstention_text(question, pages, reason=draft.note)
            if stream:
                stream(text)
            return Answer(text=text, abstained=True, dropped_ids=draft.dropped_ids, answerer=self.answerer.name, timings=timings,
                          checks=dict(draft.checks), **base)
        return Answer(text=draft.text, citations=draft.citations, dropped_ids=draft.dropped_ids,
                      answerer=self.answerer.name, timings=timings, checks=dict(draft.checks), **base)

    def corpus(self) -> _Corpus:
        """The keyword index and manifests of the visible documents, rebuilt when they change."""
        library, store = self.handles.library, self.handles.store
        visible = frozenset(library.doc_ids(self.collection))
        key = (visible, store.count())
        if self._corpus is None or self._corpus.key != key:
            chunks = store.chunks(doc_ids=visible)
            keywords = KeywordIndex(chunks)
            records = {doc_id: library.get(self.collection, doc_id) for doc_id in visible}
            self._corpus = _Corpus(key=key, keywords=keywords, scorer=UnitScorer(keywords, self.handles.embedder), records=records,
                                   following=following_chunks(chunks, records))
            log.info("keyword index of %r: %d chunks of %d documents", self.collection, len(chunks), len(visible))
        return self._corpus

    @staticmethod
    def _following(corpus: _Corpus, chunk: Chunk, allowed: Collection[str]) -> Chunk | None:
        after = corpus.following.get(chunk.id)
        return after if after is not None and after.doc_id in allowed else None

    def image_path(self, corpus: _Corpus, doc_id: str, page: int) -> str:
        record = corpus.records[doc_id]
        image = next((p.image for p in record.pages if p.page == page), "")
        return str(self.handles.library.doc_dir(self.collection, doc_id) / image) if image else ""

    def pages(self, ranked: Sequence[Ranked], corpus: _Corpus) -> tuple[PageRef, ...]:
        """Pages in the order their best chunk was retrieved (a chunk's own pages: its passage's page first)."""
        seen: dict[tuple[str, int], PageRef] = {}
        for r in ranked:
            for page in r.page_order():
                key = (r.chunk.doc_id, page)
                if key not in seen:
                    source = corpus.records[r.chunk.doc_id].source if r.chunk.doc_id in corpus.records else ""
                    seen[key] = PageRef(doc_id=r.chunk.doc_id, page=page, score=r.score,
                                        image=self.image_path(corpus, r.chunk.doc_id, page), source=source)
        return tuple(seen.values())


def _open_store(settings: Settings, collection: str | None) -> StoreHandles:
    from assistant.wiring import open_store

    return open_store(settings, collection)


def build_answerer(cfg: AnswerSettings) -> Answerer:
    match cfg.answerer:
        case "extractive":
            from assistant.extractive import ExtractiveAnswerer

            return ExtractiveAnswerer()
        case "openai":
            from assistant.llm_answer import build_openai_answerer

            return build_openai_answerer(cfg)


def build_assistant(settings: Settings, collection: str | None = None) -> Assistant:
    """The assistant of ``collection`` (default: ``settings.collection``)."""
    return Assistant(settings, _open_store(settings, collection))


def ask(
    question: str,
    assistant: Assistant,
    *,
    history: Sequence[Turn] = (),
    doc_ids: Collection[str] | None = None,
    stream: OnText | None = None,
) -> Answer:
    """The one entry the app, the API, the CLI and the eval runner use."""
    return assistant.ask(question, history=history, doc_ids=doc_ids, stream=stream)


def abstention_text(question: str, pages: Sequence[PageRef], *, no_documents: bool = False, reason: str = "") -> str:
    if no_documents:
        return "There are no documents to search yet: add some with 'folio ingest PATH'."
    closest = "; ".join(f"{p.source or p.doc_id}, page {p.page}" for p in pages[:CLOSEST_PAGES])
    text = "Your documents do not seem to answer this question." + (f" {reason}" if reason else "")
    return f"{text} The closest pages are: {closest}." if closest else text


def _with_context(question: str, history: Sequence[Turn]) -> str:
    """The retrieval query: a follow-up question is searched together with the previous question."""
    previous = [t.text for t in history if t.role == "user"]
    return f"{previous[-1]}\n{question}" if previous else question

