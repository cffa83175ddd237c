"""Where page work runs: worker processes on this machine, or Ray tasks on a cluster (``ray_work``).

Page work is everything before the store: decode, orient and OCR a page, then lay out, chunk and
embed a document. It is done by plain functions (``ingest.page_jobs``) that a ``PageWork`` runs
somewhere else and whose results come back as values; the driver alone writes (staging folder,
vectors, the commit), so the crash-safety rules of ``ingest.run`` hold unchanged.

A worker that dies (killed, out of memory, a crash in a native library) is replaced and its job
run again, up to ``ATTEMPTS`` times; then ``WorkFailed`` is raised for that job only.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from ingest.config import IngestSettings
from storage.config import StoreSettings
from storage.errors import AppError

if TYPE_CHECKING:
    from ingest.ocr import OcrEngine
    from storage.embed import Embedder

log = logging.getLogger(__name__)

PARENT_POLL_S = 1.0
ATTEMPTS = 3  # runs of one job before it counts as failed (a dying worker is retried twice)


class WorkFailed(AppError):
    """A job whose worker died on every attempt."""


class Pending(Protocol):
    def result(self) -> Any: ...

    def done(self) -> bool: ...  # True when ``result`` would not wait


class PageWork(Protocol):
    """Runs page jobs elsewhere. ``slots`` is how many run at once; ``share`` turns a large
    argument sent to many jobs (a document's bytes) into something cheap to send again."""

    slots: int
    store: StoreSettings

    def share(self, value: Any) -> Any: ...

    def submit(self, fn: Callable[..., Any], *args: Any) -> Pending: ...

    def close(self) -> None: ...


def resolve_workers(cfg: IngestSettings) -> int:
    """``cfg.workers``, with 0 meaning the number of CPU cores."""
    return cfg.workers or os.cpu_count() or 1


def build_work(cfg: IngestSettings, store: StoreSettings) -> PageWork | None:
    """The page work the settings ask for: Ray with ``ray_address``, worker processes with more than
    one worker, else None (pages are read in the ingesting process)."""
    if cfg.ray_address:
        from ingest.ray_work import RayWork

        return RayWork(cfg.ray_address, store)
    workers = resolve_workers(cfg)
    return ProcessWork(workers, store) if workers > 1 else None


class ProcessWork:
    """A pool of worker processes (started on first use, with ``spawn``: no threads inherited)."""

    def __init__(self, workers: int, store: StoreSettings) -> None:
        self.slots = workers
        self.store = store
        self._pool: ProcessPoolExecutor | None = None
        self._generation = 0
        self._lock = threading.Lock()

    def share(self, value: Any) -> Any:
        return value

    def submit(self, fn: Callable[..., Any], *args: Any) -> Pending:
        return _ProcessPending(self, fn, args)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[int, Future[Any]]:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.slots, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_follow_parent, initargs=(os.getpid(),))
            return self._generation, self._pool.submit(fn, *args)

    def _replace(self, generation: int) -> None:
        """Start a fresh pool after a worker died (once per broken pool, whoever notices first)."""
        with self._lock:
            if generation == self._generation and self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
                self._generation += 1


class _ProcessPending:
    def __init__(self, work: ProcessWork, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self._work, self._fn, self._args = work, fn, args
        self._generation, self._future = work._run(fn, args)

    def done(self) -> bool:
        return self._future.done()

    def result(self) -> Any:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._future.result()
            except BrokenProcessPool as exc:
                log.warning("a page worker died (attempt %d of %d): %s", attempt, ATTEMPTS, exc)
                self._work._replace(self._generation)
                if attempt == ATTEMPTS:
                    raise WorkFailed(f"the worker process died {ATTEMPTS} times on this job") from exc
                self._generation, self._future = self._work._run(self._fn, self._args)
        raise AssertionError("unreachable")


# -- inside a worker: the models, loaded once per worker process --------------------------------


def _follow_parent(parent: int) -> None:
    """Exit when the ingesting process is gone: after a kill -9 of the driver its idle workers
    would otherwise wait for jobs forever (the pool's queue never closes)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="folio-follow-parent", daemon=True).start()



@cache
def worker_engine(cfg: IngestSettings) -> OcrEngine:
    from ingest.ocr import build_ocr

    return build_ocr(cfg)


@cache
def worker_embedder(store: StoreSettings) -> Embedder:
    from storage.embed import build_embedder

    return build_embedder(store)
