"""The read path's one entry: ``ask(question, ...)`` -> a cited ``Answer`` (or an honest abstention).

    question -> read once -> retrieve (dense + BM25, fused) -> candidate passages with features
             -> fitted reader (re-order, abstain?) -> answer from the ranked candidates -> cite

``Assistant`` is built once per entry point from ``Settings`` (the Streamlit app caches it): it
holds the embedder, the store, the library and the answerer, and keeps a keyword index of the
collection that is brought up to date when the set of visible documents changes (it is stored
on disk, ``assistant.keyword``). Only chunks of committed documents (whose manifest exists) are
ever searched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.followup import search_in_conversation
from assistant.answer import Answerer, OnText, Request
from assistant.candidates import CandidateSettings, Reading, build_reading
from assistant.config import AnswerSettings
from assistant.evidence import UnitScorer
from assistant.keyword import KeywordIndex, stored_index
from assistant.question import read_question
from assistant.reader import Decision, decide
from assistant.reader_model import MODEL_PATH, ReaderModel, load_model
from assistant.retrieve import FusionSettings, Ranked, retrieve
from assistant.schema import Answer, Citation, PageRef, Turn
from assistant.settings import Settings
from assistant.order import successor_ids
from storage.library import written_here
from assistant.page_names import named, page_label
from storage.schema import Chunk, DocumentRecord

if TYPE_CHECKING:  # the wiring imports the write path, which asking does not need
    from assistant.wiring import StoreHandles

log = logging.getLogger(__name__)

CLOSEST_PAGES = 3
CLOCK_SLACK_NS = 2_000_000_000  # file times are coarse: a write this close to opening the store may not be in it


@dataclass(frozen=True)
class _Corpus:
    """The searchable state of a collection at one moment."""

    key: tuple[frozenset[str], str]  # (visible doc ids, the library's generation)
    keywords: KeywordIndex
    scorer: UnitScorer
    records: dict[str, DocumentRecord]
    following: _Following  # the next chunk of a chunk's document


class _Following:
    """The next chunk of a chunk's document in reading order: its id is kept by the keyword index,
    the chunk is read from the store when asked."""

    def __init__(self, keywords: KeywordIndex, fetch: Callable[[Sequence[str]], Sequence[Chunk]]) -> None:
        self._keywords = keywords
        self._fetch = fetch

    def of(self, chunk: Chunk) -> Chunk | None:
        after = self._keywords.following.get(chunk.id)
        found = self._fetch([after]) if after else []
        return found[0] if found else None


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
        self.candidates = CandidateSettings(depth=self.cfg.reader_depth, max_window=self.cfg.reader_window,
                                            semantic_chunks=self.cfg.reader_semantic_chunks)
        self.model: ReaderModel = load_model(self.cfg.reader_model or MODEL_PATH)
        self.fingerprint = settings.fingerprint()
        self._corpus: _Corpus | None = None
        self._generation = ""

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
        answer text as it is produced. Abstains, listing the closest pages, when the fitted
        reader judges that the pages do not answer it.
        """
        started = time.perf_counter()
        reading, allowed = self.read(question, history=history, doc_ids=doc_ids)
        return self.finish(reading, self.model, question=question, history=history, allowed=allowed, stream=stream,
                           started=started)

    def read(self, question: str, *, history: Sequence[Turn] = (), doc_ids: Collection[str] | None = None) -> tuple[Reading, set[str]]:
        """Everything the read path knows before a fitted weight is applied: the question read once,
        the fused retrieval and the candidate passages with their features."""
        corpus = self.corpus()
        allowed = set(corpus.records) if doc_ids is None else set(corpus.records) & set(doc_ids)

        def search(text: str) -> Reading:
            vector = self.handles.embedder.embed_query(text)
            ranked = retrieve(text, vector, self.handles.store, corpus.keywords, allowed, self.fusion)
            return build_reading(read_question(text, corpus.keywords), ranked, corpus.scorer, self.candidates, vector)

        # the previous question joins the search only when this one needs it (assistant/followup.py)
        _, reading = search_in_conversation(question, history, search, lambda r: not decide(r, self.model).abstain)
        return reading, allowed

    def finish(self, reading: Reading, model: ReaderModel, *, question: str, history: Sequence[Turn] = (),
               allowed: Collection[str] = (), stream: OnText | None = None, started: float | None = None) -> Answer:
        """Apply ``model`` to ``reading``: re-order, abstain or answer, cite."""
        started = time.perf_counter() if started is None else started
        corpus = self.corpus()
        decision = decide(reading, model)
        pages = self.pages(decision.ranked, corpus)
        retrieved = time.perf_counter()
        base = {"question": question, "pages": pages, "evidence": decision.answerable, "settings_fingerprint": self.fingerprint}
        if not allowed or decision.abstain:
            text = abstention_text(question, pages, no_documents=not allowed, reason=decision.reason)
            if stream:
                stream(text)
            timings = {"retrieve": retrieved - started, "answer": 0.0, "total": time.perf_counter() - started}
            return Answer(text=text, abstained=True, answerer="abstain", timings=timings, **base)
        draft = self.answerer.answer(self.request(decision, corpus, allowed, question=question, history=history, stream=stream,
                                                  model=model))
        done = time.perf_counter()
        timings = {"retrieve": retrieved - started, "answer": done - retrieved, "total": done - started}
        log.info("asked %r: %d citations, answerable %.3f, %.0f ms", question, len(draft.citations), decision.answerable,
                 1000 * (done - started))
        if draft.abstained:  # the answerer could not stand behind any of its answer (a chat model's refusal)
            text = abstention_text(question, pages, reason=draft.note)
            if stream:
                stream(text)
            return Answer(text=text, abstained=True, dropped_ids=draft.dropped_ids, answerer=self.answerer.name, timings=timings,
                          checks=dict(draft.checks), **base)
        citations = named(tuple(self.on_photo(corpus, c) for c in draft.citations), corpus.records)
        return Answer(text=draft.text, citations=citations, dropped_ids=draft.dropped_ids,
                      answerer=self.answerer.name, timings=timings, checks=dict(draft.checks), **base)

    def request(self, decision: Decision, corpus: _Corpus, allowed: Collection[str], *, question: str,
                history: Sequence[Turn], stream: OnText | None, model: ReaderModel) -> Request:
        """What an answerer gets: the reader's decision, and the chunks in the reader's order."""
        return Request(question=question, hits=[r.hit() for r in decision.ranked[: self.cfg.top_k]], scorer=corpus.scorer,
                       image_path=lambda doc_id, page: self.image_path(corpus, doc_id, page), history=history, on_text=stream,
                       search_text=decision.reading.question.text,
                       following=lambda chunk: self._following(corpus, chunk, allowed), decision=decision, shape=model.answer,
                       documents={doc_id: record.source for doc_id, record in corpus.records.items()})

    def corpus(self) -> _Corpus:
        """The keyword index and manifests of the visible documents, rebuilt when they change."""
        library, store = self.handles.library, self.handles.store
        generation, changed_ns = library.generation(self.collection)
        if generation != self._generation:  # a commit or delete: by another process when not written here
            if generation and not written_here(generation) and changed_ns >= store.opened_ns - CLOCK_SLACK_NS:
                store.refresh()
            self._generation = generation
        visible = frozenset(library.doc_ids(self.collection))
        if not visible:
            store.check()  # nothing to search, but a store that does not answer is still an error, not an empty collection
        key = (visible, generation)  # not the store's count: a Chroma count is a scan (and an ingest's uncommitted chunks do not matter)
        if self._corpus is None or self._corpus.key != key:
            records = {doc_id: record for doc_id in sorted(visible)  # a damaged manifest hides only its own document
                       if (record := library.read(self.collection, doc_id)) is not None}
            # Only the stored keyword index is loaded; chunks are read from the store when a search finds them.
            def read(doc_ids: Sequence[str]) -> list[Chunk]:
                return store.chunks(doc_ids=doc_ids)

            prepared = stored_index(self.settings.data_dir, self.collection, {d: r.n_chunks for d, r in records.items()}, read,
                                    successor_ids(records))
            keywords = KeywordIndex(prepared=prepared, fetch=store.get_chunks)
            self._corpus = _Corpus(key=key, keywords=keywords, scorer=UnitScorer(keywords, self.handles.embedder), records=records,
                                   following=_Following(keywords, store.get_chunks))
            log.info("keyword index of %r: %d chunks of %d documents", self.collection, len(keywords), len(visible))
        return self._corpus

    @staticmethod
    def _following(corpus: _Corpus, chunk: Chunk, allowed: Collection[str]) -> Chunk | None:
        after = corpus.following.of(chunk)
        return after if after is not None and after.doc_id in allowed else None

    def image_path(self, corpus: _Corpus, doc_id: str, page: int) -> str:
        record = corpus.records[doc_id]
        image = next((p.image for p in record.pages if p.page == page), "")
        return str(self.handles.library.doc_dir(self.collection, doc_id) / image) if image else ""

    def on_photo(self, corpus: _Corpus, citation: Citation) -> Citation:
        """The citation with the photo its page was flattened from, and the map onto it (as it is otherwise)."""
        record = corpus.records.get(citation.doc_id)
        page = next((p for p in record.pages if p.page == citation.page), None) if record else None
        if page is None or page.to_photo is None or not page.photo:
            return citation
        photo = str(self.handles.library.doc_dir(self.collection, citation.doc_id) / page.photo)
        return citation.model_copy(update={"photo": photo, "to_photo": page.to_photo})

    def pages(self, ranked: Sequence[Ranked], corpus: _Corpus) -> tuple[PageRef, ...]:
        """Pages in the order their best chunk was retrieved (a chunk's own pages: its passage's page first)."""
        seen: dict[tuple[str, int], PageRef] = {}
        for r in ranked:
            for page in r.page_order():
                key = (r.chunk.doc_id, page)
                if key not in seen:
                    record = corpus.records.get(r.chunk.doc_id)
                    seen[key] = PageRef(doc_id=r.chunk.doc_id, page=page, score=r.score, image=self.image_path(corpus, r.chunk.doc_id, page),
                                        source=record.source if record else "", page_label=page_label(record, page))
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
