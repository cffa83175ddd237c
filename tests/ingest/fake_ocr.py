"""A fast OCR engine for write-path fault tests: every page reads as a few fixed lines."""

from __future__ import annotations

from ingest.pages import OcrPage, PageImage
from storage.schema import BBox, Line


class FixedOcr:
    name = "fixed"

    def read_page(self, page: PageImage) -> OcrPage:
        lines = tuple(Line(text=f"Step {n}: press the reset button of {page.source} for {n} seconds.",
                           bbox=BBox(x0=10, y0=20 + 30 * n, x1=300, y1=40 + 30 * n)) for n in range(1, 4))
        return OcrPage(page=page.page, lines=lines, engine=self.name)
