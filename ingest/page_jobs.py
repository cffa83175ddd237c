"""The page work as jobs a worker process or a Ray task runs: values in, values out, nothing stored.

Each job builds its models once per worker (``ingest.work.worker_engine``/``worker_embedder``) and
returns plain picklable values; the driver writes the page images and commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ingest.config import IngestSettings
from ingest.pages import OcrPage
from ingest.rectify import rectify_pages
from ingest.run import Built, build_document, encode_page, read_page
from ingest.sources import SourceDoc, iter_pages
from ingest.work import worker_embedder, worker_engine
from storage.config import StoreSettings
from storage.schema import PageRecord


@dataclass(frozen=True)
class PageDone:
    """A read page: its record (lines, no blocks yet), what the engine returned, the upright JPEG."""

    record: PageRecord
    ocr: OcrPage
    files: dict[str, bytes]  # the page image (and the photo it was flattened from) by file name


def read_page_job(doc: SourceDoc, number: int, cfg: IngestSettings) -> PageDone:
    """Decode page ``number`` (1-based) of ``doc``, OCR it (or take its PDF text layer), encode it.

    A damaged page raises ``InputError`` (the document fails, as in a local ingest); an OCR failure
    is a page with status ``failed``."""
    page = next(rectify_pages(iter_pages(doc, cfg, only=number), cfg.rectify))
    ocr = read_page(worker_engine(cfg), page)
    record, files = encode_page(page, ocr)
    return PageDone(record=record, ocr=ocr, files=files)


def build_job(doc_id: str, read: Sequence[tuple[PageRecord, OcrPage]], cfg: IngestSettings,
              store: StoreSettings) -> Built:
    """Layout, chunks and embeddings of a document whose pages are read."""
    return build_document(doc_id, read, cfg, worker_embedder(store))
