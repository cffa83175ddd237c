"""Files added in the browser, ingested with the write path, one report per file.

An upload arrives as bytes with the name the user's browser gave it. Each is written to its own
temporary folder under its own (sanitised) name, which becomes the document's name, and ingested
with ``ingest.run.ingest_file``; a file that fails gets a report with the error and the others go on.
"""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ingest.config import IngestSettings
from ingest.run import IngestReport, Progress, Seams, ingest_file, recover

_INGEST_LOCK = threading.Lock()  # one ingest at a time per app process: the CPU OCR uses the cores


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


@dataclass(frozen=True)
class Notice:
    """What the app says about one file: ``level`` is "success", "info", "warning" or "error"."""

    level: str
    text: str


def camera_name(now: datetime | None = None) -> str:
    """The document name of a photo taken with the camera input."""
    return f"camera-{(now or datetime.now()):%Y%m%d-%H%M%S}.jpg"


def safe_name(name: str) -> str:
    """A file name without folders or odd characters (it becomes the document's name)."""
    base = Path(name.replace("\\", "/")).name.strip() or "upload"
    return re.sub(r"[^\w.\- ()+]", "_", base)[:120]


def ingest_uploads(
    uploads: Sequence[Upload],
    seams: Seams,
    cfg: IngestSettings,
    *,
    progress: Progress | None = None,
    on_report: Callable[[IngestReport], None] | None = None,
    as_document: str = "",
) -> list[IngestReport]:
    """Ingest each upload into ``seams.store``'s collection; errors come back in the reports.

    With ``as_document``, the uploads are the pages of one document of that name, in their order
    (added to it when it exists): one report."""
    reports = []
    with _INGEST_LOCK, tempfile.TemporaryDirectory(prefix="folio-upload-") as tmp:
        recover(seams)
        if as_document.strip():
            from ingest.assemble import ingest_as_document

            paths = []
            for i, upload in enumerate(uploads):
                (folder := Path(tmp) / str(i)).mkdir()
                paths.append(folder / safe_name(upload.name))
                paths[-1].write_bytes(upload.data)
            report = ingest_as_document(as_document, paths, seams, cfg, progress=progress)
            if on_report:
                on_report(report)
            return [report]
        for i, upload in enumerate(uploads):
            folder = Path(tmp) / str(i)
            folder.mkdir()
            path = folder / safe_name(upload.name)
            path.write_bytes(upload.data)
            report = ingest_file(path, seams, cfg, progress=progress)
            reports.append(report)
            if on_report:
                on_report(report)
    return reports


def notice(report: IngestReport) -> Notice:
    """One friendly line about what happened to a file."""
    if report.error:
        return Notice("error", f"Could not add {report.source}: {report.error}")
    pages = _plural(report.pages, "page")
    if report.already_stored:
        return Notice("info", f"{report.source} is already in the library ({pages}).")
    text = f"Added {report.source}: {pages} read, {_plural(report.chunks, 'passage')} indexed in {report.seconds:.1f} s."
    if report.pages_fallback:
        text += f" {_plural(report.pages_fallback, 'page')} read by the CPU fallback engine."
    if report.pages_failed:
        details = "; ".join(report.page_errors[:3])
        return Notice("warning", f"{text} {_plural(report.pages_failed, 'page')} could not be read: {details}")
    return Notice("success", text)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
