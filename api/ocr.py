"""``POST /ocr``: one image in, its lines with boxes and its Markdown out (nothing is stored).

The image goes through the same steps as a page of an ingested document: validation by content,
EXIF orientation, OCR by the configured engine (``ingest.ocr.build_ocr``), turning upright, and
layout analysis (``ingest.layout.layout_page``, or the engine's own blocks).
"""

from __future__ import annotations

import shutil

from fastapi import APIRouter, File, UploadFile

from api.config import ApiSettings
from api.errors import Rejected
from api.form import raw_filename
from api.schemas import OcrResult, TextLine, error_responses
from api.services import Services
from api.uploads import CheckedFile, check_file, check_name, upload_folder
from ingest.config import IngestSettings
from ingest.ocr import OcrEngine
from ingest.run import lay_out, read_page, store_page
from ingest.sources import iter_pages, open_source
from storage.errors import EngineUnavailable


def router(services: Services, api: ApiSettings) -> APIRouter:
    r = APIRouter(tags=["ocr"])
    cfg = services.settings.ingest

    @r.post("/ocr", response_model=OcrResult, max_body_size=api.api_max_upload_mb * 1_000_000,
            responses=error_responses(400, 401, 413, 415, 422, 429, 502, 503),
            summary="Read one image: lines with boxes, confidence and Markdown")
    def ocr(file: UploadFile | None = File(None, description="one image (JPEG, PNG, WebP, TIFF or BMP)"),
            image: UploadFile | None = File(None, description="the same, for clients that name the field 'image'")) -> OcrResult:
        file = file or image
        if file is None:
            raise Rejected(422, "send one image as the multipart field 'file' (or 'image')", code="bad_request")
        folder = upload_folder(services.uploads, "ocr")
        try:
            label = check_name(file.filename, raw_filename(file))
            checked = check_file(label, file.file.read(), cfg, folder, images_only=True)
            if checked.n_pages > 1:
                raise Rejected(422, f"{label} has {checked.n_pages} pages; POST /ocr reads one image, "
                                    "send multi-page files to POST /documents", code="bad_file")
            return read_image(services.ocr, checked, cfg)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return r


def read_image(engine: OcrEngine, checked: CheckedFile, cfg: IngestSettings) -> OcrResult:
    """OCR and lay out the single page of a checked upload; boxes in pixels of the upright image."""
    page = next(iter_pages(open_source(checked.path, cfg), cfg))
    ocr = read_page(engine, page)
    if ocr.status == "failed":
        raise EngineUnavailable(f"OCR of {checked.label} failed: {ocr.error}")
    record = lay_out(store_page(page, ocr, checked.path.parent), ocr, frozenset())
    lines = [TextLine(text=ln.text, bbox=[round(v, 1) for v in ln.bbox.as_list()], confidence=round(ln.confidence, 4))
             for ln in record.lines]
    return OcrResult(text_lines=lines, markdown="\n\n".join(b.text for b in record.blocks), engine=ocr.engine,
                     width=record.width, height=record.height, rotation=record.rotation, status=record.status,
                     error=record.error)
