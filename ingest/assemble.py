"""One document from several photos: the pages of a manual photographed one by one.

``ingest_as_document(name, paths, ...)`` reads each photo (or PDF, or multi-page TIFF) as the next
pages of the document called ``name``; its id comes from the name, so a later call with more
photos adds pages to the same document (photos already in it are skipped). Pages are in the order
given, after the pages already stored; when every page has a printed page number ("Page 6 of 21")
they are sorted by it. The document is rebuilt in a staging folder and replaces the stored one in
one rename, so a failure leaves the stored document as it was.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from ingest.chunk import chunk_document
from ingest.config import IngestSettings
from ingest.layout import running_lines
from ingest.pages import OcrPage
from ingest.run import EMBED_BATCH, IngestReport, Progress, Seams, _recover, _report, lay_out, read_page, store_page, with_label
from ingest.sources import discover, iter_pages, open_source
from storage.errors import AppError, InputError
from storage.schema import Chunk, DocumentRecord, PageRecord


def document_id(name: str) -> str:
    """The id of the document called ``name`` (16 hex digits, like a file's)."""
    return hashlib.sha256(f"folio-document\0{name.strip()}".encode()).hexdigest()[:16]


def ingest_as_document(name: str, paths: Sequence[Path], seams: Seams, cfg: IngestSettings, *,
                       progress: Progress | None = None) -> IngestReport:
    """Store the photos in ``paths`` as the pages of the document ``name`` (added to it if it exists)."""
    started = time.perf_counter()
    name = name.strip()
    if not name:
        return IngestReport(source=name, error="the document name is empty; give one, e.g. --as-document 'NRPE guide'")
    doc_id = document_id(name)
    files, _ = discover(paths)
    try:
        sources = [open_source(p, cfg) for p in files]
    except InputError as exc:
        return IngestReport(source=name, doc_id=doc_id, error=f"{exc}; nothing was added to {name!r}", seconds=time.perf_counter() - started)
    library, collection = seams.library, seams.store.collection
    with library.writing(collection):
        _recover(seams)
        old = library.get(collection, doc_id) if library.has(collection, doc_id) else None
        known = {p.source_id for p in old.pages} if old else set()
        fresh = [s for s in {s.doc_id: s for s in sources}.values() if s.doc_id not in known]
        if old is not None and not fresh:
            return _report(old, seconds=time.perf_counter() - started, already_stored=True)
        staging = library.staging_dir(collection, doc_id)
        try:
            record, chunks = _build(name, doc_id, old, fresh, staging, seams, cfg, progress)
            _store(doc_id, chunks, seams)
            library.commit(staging, record)
        except AppError as exc:
            library.discard_staging(staging)
            return IngestReport(source=name, doc_id=doc_id, error=f"{exc}; {name!r} is unchanged", seconds=time.perf_counter() - started)
        except BaseException:
            library.discard_staging(staging)
            raise
    return _report(record, seconds=time.perf_counter() - started)


def _build(name, doc_id, old, fresh, staging, seams, cfg, progress) -> tuple[DocumentRecord, list[Chunk]]:  # type: ignore[no-untyped-def]
    """The document's pages (old ones kept, new ones read) in the staging folder, and its chunks."""
    pages_dir = staging / "pages"
    pages_dir.mkdir()
    kept: list[tuple[PageRecord, OcrPage | None]] = []
    if old is not None:
        old_dir = seams.library.doc_dir(old.collection, doc_id)
        for p in old.pages:
            image = f"pages/old-{p.page:04d}.jpg"
            shutil.copyfile(old_dir / p.image, staging / image)
            kept.append((p.model_copy(update={"image": image}), None))
    total = sum(s.n_pages for s in fresh)
    done = 0
    for source in fresh:
        for page in iter_pages(source, cfg):
            done += 1
            page = replace(page, page=10_000 + done)  # a temporary number: store_page names the image after it
            ocr = read_page(seams.engine, page)
            record = with_label(store_page(page, ocr, pages_dir))
            kept.append((record.model_copy(update={"source": source.name, "source_id": source.doc_id}), ocr))
            if progress:
                progress(name, done, total)
    repeated = running_lines([r.lines for r, ocr in kept if ocr is not None])
    laid = [lay_out(r, ocr, repeated) if ocr is not None else r for r, ocr in kept]
    if all(p.label.isdigit() for p in laid):
        laid.sort(key=lambda p: int(p.label))  # stable: pages with the same number keep their order
    pages = []
    for number, p in enumerate(laid, start=1):
        image = f"pages/p{number:04d}.jpg"
        (staging / p.image).rename(staging / f"{image}.tmp")
        pages.append(p.model_copy(update={"page": number, "image": image}))
    for p in pages:
        (staging / f"{p.image}.tmp").rename(staging / p.image)
    engines = sorted({p.engine for p in pages if p.engine})
    chunks = chunk_document(doc_id, pages, chunk_chars=cfg.chunk_chars, ocr_engine="+".join(engines))
    record = DocumentRecord(doc_id=doc_id, source=name, collection=seams.store.collection, pages=tuple(pages),
                            ocr_engine="+".join(engines), n_chunks=len(chunks), created_at=datetime.now(UTC).isoformat(timespec="seconds"))
    return record, chunks


def _store(doc_id: str, chunks: Sequence[Chunk], seams: Seams) -> None:
    """Embed and store the chunks, replacing the document's old ones."""
    vectors = []
    for start in range(0, len(chunks), EMBED_BATCH):
        vectors.extend(seams.embedder.embed_documents([c.embed_text for c in chunks[start : start + EMBED_BATCH]]))
    seams.store.delete_doc(doc_id)
    seams.store.upsert(chunks, vectors)
