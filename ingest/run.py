"""The write path's orchestrator: a file in, a stored document (pages, chunks, vectors) out.

Stages (plain functions, values in, values out)::

    open_source -> iter_pages -> rectify_page (the page found on a photo, flattened)
      -> read_page (OCR, or the PDF text layer) -> upright page image
      -> layout_page (blocks in reading order) -> chunk_document -> embed -> store.upsert -> library.commit

A document becomes visible only at ``library.commit`` (one rename), after its chunks are in the
vector store; an interrupted ingest leaves a staging folder that the next run removes, and
re-running the same ingest stores the document once (ids are content hashes).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.chunk import chunk_document
from ingest.config import IngestSettings
from ingest.layout import layout_page, running_lines
from ingest.ocr import OcrEngine
from ingest.pages import OcrPage, PageImage
from ingest.page_numbers import printed_page_number
from ingest.rectify import rectify_pages, stored_photo
from ingest.sources import SourceDoc, discover, display_name, iter_pages, open_source
from storage.chroma import ChromaStore
from storage.embed import Embedder
from storage.errors import AppError, InputError, OcrError
from storage.library import Library
from storage.schema import Chunk, DocumentRecord, PageRecord

if TYPE_CHECKING:
    from ingest.work import PageWork

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Called as ``progress(source_name, pages_done, pages_total)`` after each page."""

PDF_TEXT_ENGINE = "pdf-text"
EMBED_BATCH = 64


@dataclass(frozen=True)
class IngestReport:
    """What happened to one input file."""

    source: str
    doc_id: str = ""
    pages: int = 0
    pages_ok: int = 0
    pages_fallback: int = 0
    pages_failed: int = 0
    chunks: int = 0
    already_stored: bool = False
    error: str = ""
    seconds: float = 0.0
    page_errors: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.error

    def as_json(self) -> dict[str, object]:
        return {
            "doc_id": self.doc_id,
            "source": self.source,
            "pages": self.pages,
            "pages_ok": self.pages_ok,
            "pages_fallback": self.pages_fallback,
            "pages_failed": self.pages_failed,
            "chunks": self.chunks,
            "already_stored": self.already_stored,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class Seams:
    """The components a write needs, built once by the entry point."""

    engine: OcrEngine
    embedder: Embedder
    store: ChromaStore
    library: Library
    work: PageWork | None = None
    """Where page work runs when it is not this process: worker processes or a Ray cluster."""


@dataclass(frozen=True)
class Built:
    """A document's page work done: laid-out pages, chunks and their vectors, ready to store."""

    pages: tuple[PageRecord, ...]
    chunks: tuple[Chunk, ...]
    vectors: tuple[tuple[float, ...], ...]
    ocr_engine: str
    model_id: str


def ingest_paths(
    paths: Sequence[Path],
    seams: Seams,
    cfg: IngestSettings,
    *,
    progress: Progress | None = None,
    on_report: Callable[[IngestReport], None] | None = None,
) -> list[IngestReport]:
    """Ingest files and folders (recursively). A bad file gets an error report; the rest go on.

    While the OCR engine reads file N+1 in this thread, one worker thread finishes file N (layout,
    chunks, embeddings, store, commit), so on a two-core machine the write path adds little to the
    OCR time. The collection's writer lock is held for the whole run.
    """
    files, skipped = discover(paths)
    for path in skipped:
        log.info("skipping %s: not an image or PDF", path)
    reports: list[IngestReport] = []

    def done(report: IngestReport) -> None:
        reports.append(report)
        if on_report:
            on_report(report)

    if seams.work is not None and (len(files) > 1 or _pages_of(files, cfg) > 1):
        from ingest.parallel import ingest_in_parallel

        with seams.library.writing(seams.store.collection):
            _recover(seams)
            for report in ingest_in_parallel(files, seams, seams.work, cfg, progress):
                done(report)
        return reports
    with seams.library.writing(seams.store.collection), ThreadPoolExecutor(1, thread_name_prefix="folio-finish") as pool:
        _recover(seams)
        pending: Future[IngestReport] | None = None
        for path in files:
            step = _read(path, seams, cfg, progress)
            if pending is not None:
                done(pending.result())
                pending = None
            if isinstance(step, IngestReport):
                done(step)
            else:
                pending = pool.submit(_finish, step, seams, cfg)
        if pending is not None:
            done(pending.result())
    return reports


def ingest_file(path: Path, seams: Seams, cfg: IngestSettings, *, progress: Progress | None = None) -> IngestReport:
    """Ingest one file into the store's collection; user errors come back in the report.

    The collection's writer lock is held while the document is written, so two processes (the
    CLI beside the app or the API) never write the same document at once.
    """
    with seams.library.writing(seams.store.collection):
        if seams.work is not None and _pages_of([path], cfg) > 1:
            from ingest.parallel import ingest_in_parallel

            return next(ingest_in_parallel([path], seams, seams.work, cfg, progress))
        step = _read(path, seams, cfg, progress)
        return step if isinstance(step, IngestReport) else _finish(step, seams, cfg)


def _pages_of(files: Sequence[Path], cfg: IngestSettings) -> int:
    """Pages of the only file (0 if unreadable): one page is read here, without worker processes."""
    try:
        return open_source(files[0], cfg).n_pages if len(files) == 1 else len(files)
    except InputError:
        return 0


def recover(seams: Seams) -> int:
    """Remove what interrupted writes left behind: staging folders of dead writers, and vectors whose
    document has no manifest (a writer killed short of its commit, a failed write whose clean-up
    failed too, a delete killed between the manifest and the vectors). Returns their documents' count."""
    with seams.library.writing(seams.store.collection):
        return _recover(seams)


def _recover(seams: Seams) -> int:
    """``recover`` with the writer lock held: no other writer can have vectors in flight now."""
    collection = seams.store.collection
    seams.library.clean_staging(collection)
    keep = seams.library.stored_ids(collection) | seams.library.staged_ids(collection)
    orphans = sorted(seams.store.doc_ids() - keep)
    for doc_id in orphans:
        seams.store.delete_doc(doc_id)
    if orphans:
        log.info("removed the vectors of %d documents without a manifest: %s", len(orphans), ", ".join(orphans))
    return len(orphans)


@dataclass(frozen=True)
class _Read:
    """A document whose pages are read and whose page images are in its staging folder."""

    doc: SourceDoc
    staging: Path
    pages: tuple[tuple[PageRecord, OcrPage], ...]
    started: float


def already_stored(doc: SourceDoc, seams: Seams, started: float) -> IngestReport | None:
    """The report of a document already in the collection; None when it is not, or when its manifest is
    damaged (then it is stored again)."""
    collection = seams.store.collection
    if not seams.library.has(collection, doc.doc_id):
        return None
    record = seams.library.read(collection, doc.doc_id)
    if record is None:
        log.warning("%s: the stored manifest of %s is damaged; storing the document again", doc.name, doc.doc_id)
        return None
    return _report(record, already_stored=True, seconds=time.perf_counter() - started)


def _read(path: Path, seams: Seams, cfg: IngestSettings, progress: Progress | None) -> _Read | IngestReport:
    """Open and read a file's pages (OCR); a report instead when it is bad or already stored."""
    started = time.perf_counter()
    try:
        doc = open_source(path, cfg)
    except InputError as exc:
        return IngestReport(source=display_name(path), error=str(exc), seconds=time.perf_counter() - started)
    collection = seams.store.collection
    stored = already_stored(doc, seams, started)
    if stored is not None:
        return stored
    staging = seams.library.staging_dir(collection, doc.doc_id)
    try:
        pages_dir = staging / "pages"
        pages_dir.mkdir()
        read: list[tuple[PageRecord, OcrPage]] = []
        for group in _groups(rectify_pages(iter_pages(doc, cfg), cfg.rectify), _batch_size(seams.engine)):
            for page, ocr in zip(group, read_pages(seams.engine, group), strict=True):
                read.append((store_page(page, ocr, pages_dir), ocr))
                if progress:
                    progress(doc.name, page.page, doc.n_pages)
    except AppError as exc:
        seams.library.discard_staging(staging)
        return _failed(doc, exc, started)
    except BaseException:
        seams.library.discard_staging(staging)
        raise
    return _Read(doc=doc, staging=staging, pages=tuple(read), started=started)


def _finish(step: _Read, seams: Seams, cfg: IngestSettings) -> IngestReport:
    """Lay out, chunk, embed and store a read document, then make it visible in one rename."""
    return finish_document(step.doc, step.staging, step.started, seams, lambda: _write(step, seams, cfg))


def finish_document(doc: SourceDoc, staging: Path, started: float, seams: Seams,
                    write: Callable[[], DocumentRecord]) -> IngestReport:
    """Run ``write`` (which commits the document staged in ``staging``) and report it; on any failure the
    staging folder is discarded, and a user-facing error becomes the document's failed report."""
    try:
        record = write()
    except AppError as exc:
        seams.library.discard_staging(staging)
        return _failed(doc, exc, started)
    except BaseException:
        seams.library.discard_staging(staging)
        raise
    return _report(record, seconds=time.perf_counter() - started)


def _failed(doc: SourceDoc, exc: AppError, started: float) -> IngestReport:
    return IngestReport(source=doc.name, doc_id=doc.doc_id, pages=doc.n_pages, error=str(exc),
                        seconds=time.perf_counter() - started)


def _write(step: _Read, seams: Seams, cfg: IngestSettings) -> DocumentRecord:
    built = build_document(step.doc.doc_id, step.pages, cfg, seams.embedder)
    return commit_built(step.doc, step.staging, built, seams)


def build_document(doc_id: str, read: Sequence[tuple[PageRecord, OcrPage]], cfg: IngestSettings,
                   embedder: Embedder) -> Built:
    """The page work after OCR: layout (with the document's running lines and printed page numbers), chunks, embeddings."""
    repeated = running_lines([record.lines for record, _ in read])
    pages = tuple(lay_out(with_label(record), ocr, repeated) for record, ocr in read)
    engines = sorted({p.engine for p in pages if p.engine})
    chunks = chunk_document(doc_id, pages, chunk_chars=cfg.chunk_chars, ocr_engine="+".join(engines))
    vectors: list[tuple[float, ...]] = []
    for start in range(0, len(chunks), EMBED_BATCH):
        batch = chunks[start : start + EMBED_BATCH]
        vectors.extend(tuple(v) for v in embedder.embed_documents([c.embed_text for c in batch]))
    return Built(pages=pages, chunks=tuple(chunks), vectors=tuple(vectors), ocr_engine="+".join(engines),
                 model_id=embedder.model_id)


def commit_built(doc: SourceDoc, staging: Path, built: Built, seams: Seams) -> DocumentRecord:
    """Store a built document's vectors, then make it visible in one rename (this process only)."""
    if built.model_id != seams.embedder.model_id:
        raise AppError(f"{doc.name}: the page workers embedded with {built.model_id}, the collection uses "
                       f"{seams.embedder.model_id}; give the workers the same FOLIO_EMBEDDER")
    seams.store.delete_doc(doc.doc_id)  # leftovers of an interrupted earlier run
    seams.store.upsert(list(built.chunks), [list(v) for v in built.vectors])
    record = DocumentRecord(
        doc_id=doc.doc_id,
        source=doc.name,
        collection=seams.store.collection,
        pages=built.pages,
        ocr_engine=built.ocr_engine,
        n_chunks=len(built.chunks),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    try:
        seams.library.commit(staging, record)
    except BaseException:
        seams.store.delete_doc(doc.doc_id)
        raise
    log.info("stored %s as %s: %d pages, %d chunks", doc.name, doc.doc_id, len(built.pages), len(built.chunks))
    return record


def _batch_size(engine: OcrEngine) -> int:
    """Pages handed to the engine at once: engines with ``read_pages`` (a server) get several."""
    return max(1, int(getattr(engine, "concurrency", 1))) if hasattr(engine, "read_pages") else 1


def _groups(pages: Iterable[PageImage], size: int) -> Iterator[list[PageImage]]:
    group: list[PageImage] = []
    for page in pages:
        group.append(page)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


def read_pages(engine: OcrEngine, pages: Sequence[PageImage]) -> list[OcrPage]:
    """Read a group of pages, concurrently when the engine can; text-layer pages need no OCR."""
    to_ocr = [p for p in pages if p.text_lines is None]
    batch = getattr(engine, "read_pages", None)
    if batch is None or len(to_ocr) <= 1:
        return [read_page(engine, p) for p in pages]
    try:
        done = dict(zip((p.page for p in to_ocr), batch(to_ocr), strict=True))
    except OcrError:  # the batch as a whole failed: read page by page so each gets its own status
        return [read_page(engine, p) for p in pages]
    return [done[p.page] if p.page in done else read_page(engine, p) for p in pages]


def read_page(engine: OcrEngine, page: PageImage) -> OcrPage:
    """OCR a page (or take its PDF text layer). A failed page is data, never an exception."""
    if page.text_lines is not None:
        return OcrPage(page=page.page, lines=page.text_lines, engine=PDF_TEXT_ENGINE)
    started = time.perf_counter()
    try:
        return engine.read_page(page)
    except OcrError as exc:
        log.warning("%s page %d: OCR failed: %s", page.source, page.page, exc)
        return OcrPage(page=page.page, lines=(), engine=engine.name, status="failed", error=str(exc),
                       seconds=time.perf_counter() - started)


def store_page(page: PageImage, ocr: OcrPage, pages_dir: Path) -> PageRecord:
    """Save the upright page image that citations point at (and the photo it was flattened from); the
    record still has no blocks."""
    record, files = encode_page(page, ocr)
    write_page_files(pages_dir, files)
    return record


def write_page_files(pages_dir: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (pages_dir / name).write_bytes(data)


def encode_page(page: PageImage, ocr: OcrPage) -> tuple[PageRecord, dict[str, bytes]]:
    """The page's record (no blocks yet) and its files: the upright image (and the photo it was
    flattened from) as JPEG bytes by file name."""
    import io

    image = page.image
    if ocr.rotation % 360:
        image = image.rotate(-ocr.rotation, expand=True)
    name = f"p{page.page:04d}.jpg"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    files = {name: buffer.getvalue()}
    photo, to_photo, photo_jpeg = stored_photo(page, ocr.rotation, f"p{page.page:04d}-photo.jpg")
    if photo_jpeg is not None:
        files[Path(photo).name] = photo_jpeg
    return PageRecord(
        page=page.page,
        image=f"pages/{name}",
        width=image.width,
        height=image.height,
        rotation=ocr.rotation % 360,
        scale=page.scale,
        status=ocr.status,
        engine=ocr.engine,
        error=ocr.error,
        lines=ocr.lines,
        photo=photo,
        to_photo=to_photo,
    ), files


def with_label(record: PageRecord) -> PageRecord:
    """The record with the page number printed on it (read before layout drops running footers)."""
    return record.model_copy(update={"label": printed_page_number(record.lines, record.height)})


def lay_out(record: PageRecord, ocr: OcrPage, repeated: set[str]) -> PageRecord:
    """Blocks in reading order: the engine's own when it has layout, else Folio's layout analysis."""
    if ocr.blocks is not None:
        return record.model_copy(update={"blocks": ocr.blocks})
    lines, blocks = layout_page(record.lines, record.width, record.height, repeated=repeated)
    return record.model_copy(update={"lines": lines, "blocks": blocks})


def _report(record: DocumentRecord, *, seconds: float, already_stored: bool = False) -> IngestReport:
    return IngestReport(
        source=record.source,
        doc_id=record.doc_id,
        pages=record.n_pages,
        pages_ok=sum(p.status == "ok" for p in record.pages),
        pages_fallback=sum(p.status == "fallback" for p in record.pages),
        pages_failed=sum(p.status == "failed" for p in record.pages),
        chunks=record.n_chunks,
        already_stored=already_stored,
        seconds=seconds,
        page_errors=tuple(f"page {p.page}: {p.error}" for p in record.pages if p.error),
    )
