"""What the API serves with, built once per process: embedder, Chroma client, OCR engine, answerer.

Per collection it keeps one ``ChromaStore`` and one ``Assistant`` (built on first use). Threads
share them: asks run concurrently; the OCR engine reads one page at a time (``SerialOcr``); ingest
jobs run in one worker (``api.jobs``); a delete waits for running asks to finish and holds new ones
(``ReadWriteLock``), so an ask never sees a document vanish halfway.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.config import ApiSettings
from api.jobs import JobRunner
from api.uploads import clean_uploads
from assistant.answer import Answerer
from assistant.service import Assistant, build_answerer
from assistant.settings import Settings
from assistant.wiring import StoreHandles, store_owner
from ingest.ocr import OcrEngine, build_ocr
from ingest.pages import OcrPage, PageImage
from ingest.run import Seams
from ingest.work import PageWork, build_work
from storage.chroma import ChromaStore, check_collection_name, open_client
from storage.embed import Embedder, build_embedder
from storage.library import Library

log = logging.getLogger(__name__)


class SerialOcr:
    """An ``OcrEngine`` that reads one page at a time (the CPU engine is not thread-safe)."""

    def __init__(self, engine: OcrEngine) -> None:
        self.engine = engine
        self.name = engine.name
        self._lock = threading.Lock()

    def read_page(self, page: PageImage) -> OcrPage:
        with self._lock:
            return self.engine.read_page(page)


class ReadWriteLock:
    """Many readers at once, or one writer; a waiting writer holds back new readers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writer and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            self._cond.wait_for(lambda: not self._writer and not self._readers)
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


@dataclass(frozen=True)
class Engines:
    """The heavy, shareable parts (tests build them once and serve several apps with them)."""

    embedder: Embedder
    client: Any  # chromadb client of settings.data_dir
    ocr: OcrEngine
    work: PageWork | None = None  # page workers (FOLIO_WORKERS) or a Ray cluster (FOLIO_RAY_ADDRESS)

    @classmethod
    def build(cls, settings: Settings) -> Engines:
        return cls(embedder=build_embedder(settings.store), client=open_client(settings.store, settings.data_dir),
                   ocr=SerialOcr(build_ocr(settings.ingest)), work=build_work(settings.ingest, settings.store))


class Services:
    def __init__(self, settings: Settings, api: ApiSettings, *, engines: Engines | None = None,
                 answerer: Answerer | None = None) -> None:
        self.settings = settings
        self.engines = engines or Engines.build(settings)
        self.ocr = self.engines.ocr if isinstance(self.engines.ocr, SerialOcr) else SerialOcr(self.engines.ocr)
        self.answerer = answerer or build_answerer(settings.answer)
        self.library = Library(settings.data_dir)
        self.uploads: Path = settings.data_dir / "uploads"
        clean_uploads(self.uploads)
        self.rw = ReadWriteLock()
        self.jobs = JobRunner(self.seams, settings.ingest, max_waiting=api.api_max_queued_jobs)
        self._stores: dict[str, ChromaStore] = {}
        self._assistants: dict[str, Assistant] = {}
        self._lock = threading.Lock()

    def collection(self, name: str | None) -> str:
        return check_collection_name(name or self.settings.collection)

    def exists(self, collection: str) -> bool:
        return collection == self.settings.collection or collection in self.library.collections()

    def handles(self, collection: str) -> StoreHandles:
        with self._lock:
            store = self._stores.get(collection)
            if store is None:
                store = self._stores[collection] = ChromaStore(self.engines.client, collection, self.engines.embedder.model_id,
                                                                   store_owner(self.settings.store, self.settings.data_dir))
        return StoreHandles(embedder=self.engines.embedder, store=store, library=self.library)

    def seams(self, collection: str) -> Seams:
        handles = self.handles(collection)
        return Seams(engine=self.ocr, embedder=handles.embedder, store=handles.store, library=handles.library,
                     work=self.engines.work)

    def assistant(self, collection: str) -> Assistant:
        handles = self.handles(collection)
        with self._lock:
            assistant = self._assistants.get(collection)
            if assistant is None:
                assistant = self._assistants[collection] = Assistant(self.settings, handles, self.answerer)
        return assistant

    def close(self) -> None:
        self.jobs.close()
        if self.engines.work is not None:
            self.engines.work.close()
