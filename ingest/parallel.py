"""Ingest with the page work done elsewhere (``ingest.work``): worker processes or a Ray cluster.

The driver opens each file (checks, content hash, page count), hands its pages out as jobs, keeps
at most ``2 x slots`` pages in flight across documents, writes each page image into the
document's staging folder as it comes back, has the document built (layout, chunks, embeddings)
once all its pages are read, and commits documents in input order, exactly as ``ingest.run`` does:
one writer, visible only after its commit, leftovers removed by the next run.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.config import IngestSettings
from ingest.page_jobs import PageDone, build_job, read_page_job
from ingest.pages import OcrPage
from ingest.run import IngestReport, Progress, Seams, already_stored, commit_built, encode_page, finish_document, write_page_files
from ingest.sources import SourceDoc, display_name, iter_pages, open_source
from ingest.work import PageWork, Pending, WorkFailed
from storage.errors import AppError, InputError
from storage.schema import DocumentRecord, PageRecord

log = logging.getLogger(__name__)


@dataclass
class _Doc:
    doc: SourceDoc
    staging: Path
    started: float
    waiting: int
    read: dict[int, tuple[PageRecord, OcrPage]] = field(default_factory=dict)
    error: AppError | None = None
    built: Pending | None = None


def ingest_in_parallel(files: Sequence[Path], seams: Seams, work: PageWork, cfg: IngestSettings,
                       progress: Progress | None) -> Iterator[IngestReport]:
    """Reports in input order; the caller holds the collection's writer lock."""
    queue: deque[_Doc | IngestReport] = deque()
    in_flight: deque[tuple[_Doc, int, Pending]] = deque()
    backlog = 4 * work.slots  # documents read but not yet committed, at most (their pages are held in memory)
    try:
        for path in files:
            opened = _open(path, seams, cfg)
            queue.append(opened)
            if isinstance(opened, _Doc):
                shared = work.share(opened.doc)
                for number in range(1, opened.doc.n_pages + 1):
                    in_flight.append((opened, number, work.submit(read_page_job, shared, number, cfg)))
                    while len(in_flight) > 2 * work.slots:
                        _collect(*in_flight.popleft(), seams, work, cfg, progress)
                        yield from _ready(queue, seams, backlog=backlog)
            yield from _ready(queue, seams, backlog=backlog)
        while in_flight:
            _collect(*in_flight.popleft(), seams, work, cfg, progress)
            yield from _ready(queue, seams, backlog=backlog)
        yield from _ready(queue, seams, final=True)
    finally:
        for item in queue:  # interrupted: nothing half-written stays (vectors are stored only at commit)
            if isinstance(item, _Doc):
                seams.library.discard_staging(item.staging)


def _open(path: Path, seams: Seams, cfg: IngestSettings) -> _Doc | IngestReport:
    started = time.perf_counter()
    try:
        doc = open_source(path, cfg)
    except InputError as exc:
        return IngestReport(source=display_name(path), error=str(exc), seconds=time.perf_counter() - started)
    stored = already_stored(doc, seams, started)
    if stored is not None:
        return stored
    staging = seams.library.staging_dir(seams.store.collection, doc.doc_id)
    (staging / "pages").mkdir()
    return _Doc(doc=doc, staging=staging, started=started, waiting=doc.n_pages)


def _collect(item: _Doc, number: int, pending: Pending, seams: Seams, work: PageWork, cfg: IngestSettings,
             progress: Progress | None) -> None:
    """Take one page's result into its document; submit the document's build after its last page."""
    try:
        try:
            done = pending.result()
        except WorkFailed as exc:
            done = _failed_page(item.doc, number, cfg, str(exc))
    except AppError as exc:
        item.error = item.error or exc
        done = None
    item.waiting -= 1
    if done is not None and item.error is None:
        write_page_files(item.staging / "pages", done.files)
        item.read[number] = (done.record, done.ocr)
        if progress:
            progress(item.doc.name, len(item.read), item.doc.n_pages)
    if item.waiting == 0 and item.error is None:
        read = tuple(item.read[n] for n in sorted(item.read))
        item.built = work.submit(build_job, item.doc.doc_id, read, cfg, work.store)


def _failed_page(doc: SourceDoc, number: int, cfg: IngestSettings, why: str) -> PageDone:
    """A page whose worker died on every attempt: stored with status ``failed`` and no text."""
    log.warning("%s page %d: %s", doc.name, number, why)
    page = next(iter_pages(doc, cfg, only=number))
    ocr = OcrPage(page=number, lines=(), engine="", status="failed", error=f"page work failed: {why}")
    record, files = encode_page(page, ocr)
    return PageDone(record=record, ocr=ocr, files=files)


def _ready(queue: deque[_Doc | IngestReport], seams: Seams, *, final: bool = False, backlog: int = 0) -> Iterator[IngestReport]:
    """Commit and report the documents at the head of the queue whose work is done (in order).

    Before the end (``final``) a document whose build (layout, chunks, embeddings) is still running
    is not waited for while fewer than ``backlog`` documents are queued: the driver goes on handing
    out pages instead, so that no worker sits idle while it waits."""
    while queue:
        head = queue[0]
        if isinstance(head, _Doc) and head.waiting and not final:
            return
        if (isinstance(head, _Doc) and not final and head.built is not None and len(queue) <= backlog
                and not head.built.done()):
            return
        queue.popleft()
        yield head if isinstance(head, IngestReport) else _finish(head, seams)


def _finish(item: _Doc, seams: Seams) -> IngestReport:
    def write() -> DocumentRecord:
        if item.error is not None:
            raise item.error
        assert item.built is not None
        return commit_built(item.doc, item.staging, item.built.result(), seams)

    return finish_document(item.doc, item.staging, item.started, seams, write)
