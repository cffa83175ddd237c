"""The OCR engine seam. Engines turn a ``PageImage`` into an ``OcrPage`` of lines with boxes."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ingest.config import IngestSettings
from ingest.pages import OcrPage, PageImage
from storage.errors import ConfigError


@runtime_checkable
class OcrEngine(Protocol):
    name: str

    def read_page(self, page: PageImage) -> OcrPage:
        """Read one page. Boxes are in pixels of ``page.image`` turned by ``OcrPage.rotation``."""
        ...


def build_ocr(cfg: IngestSettings) -> OcrEngine:
    match cfg.ocr_engine:
        case "cpu":
            from ingest.ocr.cpu import CpuOcr

            return CpuOcr(model=cfg.ocr_model, threads=cfg.ocr_threads)
        case "hunyuan":
            if not cfg.hunyuan_base_url:
                raise ConfigError(
                    "FOLIO_OCR_ENGINE=hunyuan needs FOLIO_HUNYUAN_BASE_URL (e.g. http://gpu-host:8000/v1); "
                    "or use FOLIO_OCR_ENGINE=cpu"
                )
            from ingest.ocr.cpu import CpuOcr
            from ingest.ocr.hunyuan_vllm import HunyuanVllmOcr

            return HunyuanVllmOcr(cfg, fallback=CpuOcr(model=cfg.ocr_model, threads=cfg.ocr_threads))
