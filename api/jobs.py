"""Ingest jobs: uploaded files are ingested one at a time by a single worker thread, with progress.

One worker per process keeps the write path serial (one OCR engine, one Chroma client), while
asks go on in other threads: a document only becomes visible when ``ingest_file`` commits it.
A job records per-file progress (pages done of total) and per-file errors; a file that fails does
not stop the others, and an unexpected exception in one file is logged and reported as that
file's error. Jobs live in memory: after a restart their status is gone, while what they stored
stays (and a document cut off mid-ingest is invisible and is cleaned up by the next job).
A job whose files are the pages of one document (``document``) has one entry in its status, the
document, ingested by ``ingest_as_document`` (all of its files or none).
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from api.errors import Rejected
from api.schemas import FileProgress, JobStatus
from api.uploads import CheckedFile
from ingest.assemble import document_id, ingest_as_document
from ingest.config import IngestSettings
from ingest.run import IngestReport, Seams, ingest_file, recover
from storage.errors import AppError, NotFound
from storage.failures import explain

log = logging.getLogger(__name__)

KEEP_FINISHED = 500


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class _Job:
    id: str
    collection: str
    folder: Path
    files: list[CheckedFile]
    progress: list[FileProgress]
    document: str = ""
    state: str = "queued"
    created_at: str = field(default_factory=_now)
    started_at: str = ""
    finished_at: str = ""

    def snapshot(self) -> JobStatus:
        return JobStatus(job_id=self.id, collection=self.collection, state=self.state,  # type: ignore[arg-type]
                         created_at=self.created_at, started_at=self.started_at, finished_at=self.finished_at,
                         files=[p.model_copy() for p in self.progress])


class JobRunner:
    """Queues ingest jobs and runs them in one worker thread (started on the first job)."""

    def __init__(self, seams_for: Callable[[str], Seams], cfg: IngestSettings, *, max_waiting: int) -> None:
        self._seams_for = seams_for
        self._cfg = cfg
        self._max_waiting = max_waiting
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def submit(self, collection: str, files: Sequence[CheckedFile], folder: Path, *, document: str = "") -> JobStatus:
        """Queue the checked files of one upload (the pages of ``document`` when given); 503 when too many jobs already wait."""
        with self._lock:
            if self._waiting() >= self._max_waiting:
                raise Rejected(503, f"{self._max_waiting} ingest jobs are already waiting (FOLIO_API_MAX_QUEUED_JOBS); "
                                    "retry later", retry_after=30)
            if document:
                progress = [FileProgress(name=document, doc_id=document_id(document), state="queued",
                                         pages_total=sum(f.n_pages for f in files))]
            else:
                progress = [FileProgress(name=f.label, doc_id=f.doc_id, state="queued", pages_total=f.n_pages) for f in files]
            job = _Job(id=uuid.uuid4().hex, collection=collection, folder=folder, files=list(files), progress=progress,
                       document=document)
            self._jobs[job.id] = job
            self._forget_old()
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="folio-ingest", daemon=True)
                self._worker.start()
            snapshot = job.snapshot()
        self._queue.put(job)
        log.info("job %s: %d files for collection %r", job.id, len(files), collection)
        return snapshot

    def status(self, job_id: str) -> JobStatus:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise NotFound(f"no job {job_id} (jobs are kept in memory until the server restarts)")
            return job.snapshot()

    def waiting(self) -> int:
        """Jobs queued or running."""
        with self._lock:
            return self._waiting()

    def _waiting(self) -> int:
        return sum(j.state in ("queued", "running") for j in self._jobs.values())


    def close(self) -> None:
        if self._worker is not None:
            self._queue.put(None)

    # -- the worker ------------------------------------------------------------------------
    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            state = "failed"
            try:
                state = self._run(job)
            except Exception:  # noqa: BLE001 - the worker must survive anything one job does
                log.exception("job %s failed unexpectedly", job.id)
            finally:
                shutil.rmtree(job.folder, ignore_errors=True)  # before the job shows as finished
                self._set(job, state=state, finished_at=_now())

    def _run(self, job: _Job) -> str:
        """Ingest the job's files; its final state ("done" unless every file failed)."""
        self._set(job, state="running", started_at=_now())
        try:
            seams = self._seams_for(job.collection)
            recover(seams)
        except AppError as exc:
            for i in range(len(job.progress)):
                self._file(job, i, state="failed", error=str(exc))
            return "failed"
        if job.document:
            paths = [f.path for f in job.files]
            self._file(job, 0, state="running")
            report = self._ingest_one(job, 0, job.document, document_id(job.document),
                                      lambda progress: ingest_as_document(job.document, paths, seams, self._cfg, progress=progress))
            self._file(job, 0, **_report_fields(report))
        else:
            for i, checked in enumerate(job.files):
                self._file(job, i, state="running")
                report = self._ingest_one(job, i, checked.label, checked.doc_id,
                                          lambda progress, path=checked.path: ingest_file(path, seams, self._cfg, progress=progress))
                self._file(job, i, **_report_fields(report))
        return "failed" if all(p.state == "failed" for p in job.progress) else "done"

    def _ingest_one(self, job: _Job, index: int, label: str, doc_id: str,
                    ingest: Callable[[Callable[[str, int, int], None]], IngestReport]) -> IngestReport:
        def progress(source: str, done: int, total: int) -> None:
            self._file(job, index, pages_done=done, pages_total=total)

        try:
            return ingest(progress)
        except Exception as exc:  # noqa: BLE001 - reported as this file's error; the job goes on
            log.exception("job %s: %s failed unexpectedly", job.id, label)
            why = explain(exc)  # a full disk, a read-only folder, a store that went away: say so
            return IngestReport(source=label, doc_id=doc_id,
                                error=f"{label}: {why}" if why else
                                f"{label}: internal error while ingesting ({type(exc).__name__}); see the server log")

    def _set(self, job: _Job, **changes: str) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(job, name, value)

    def _file(self, job: _Job, index: int, **changes: object) -> None:
        with self._lock:
            job.progress[index] = job.progress[index].model_copy(update=changes)

    def _forget_old(self) -> None:
        finished = [j.id for j in self._jobs.values() if j.state in ("done", "failed")]
        for job_id in finished[: max(0, len(self._jobs) - KEEP_FINISHED)]:
            del self._jobs[job_id]


def _report_fields(report: IngestReport) -> dict[str, object]:
    fields: dict[str, object] = {
        "state": "failed" if report.error else "done",
        "error": report.error,
        "pages_failed": report.pages_failed,
        "pages_fallback": report.pages_fallback,
        "chunks": report.chunks,
        "already_stored": report.already_stored,
        "page_errors": list(report.page_errors),
    }
    if report.pages:
        fields["pages_total"] = report.pages
        if not report.error:
            fields["pages_done"] = report.pages
    return fields
