"""Layout on real CPU-OCR output of devset-mini photos (noisier than ground truth: padded boxes, misreads)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from ingest.layout import layout_page
from ingest.pages import OcrPage, PageImage
from storage.schema import Block, BlockKind

PHOTOS = Path(__file__).parent.parent / "data" / "devset-mini" / "images" / "photo"


@pytest.fixture(scope="module")
def read():  # type: ignore[no-untyped-def]
    from ingest.ocr.cpu import CpuOcr

    engine = CpuOcr(model="tiny", threads=1)
    cache: dict[str, OcrPage] = {}

    def ocr(name: str) -> tuple[OcrPage, int, int]:
        image = Image.open(PHOTOS / f"{name}.jpg").convert("RGB")
        if name not in cache:
            cache[name] = engine.read_page(PageImage(page=1, image=image, source=name))
        return cache[name], image.width, image.height

    return ocr


def blocks_of(read, name: str) -> tuple[Block, ...]:  # type: ignore[no-untyped-def]
    page, w, h = read(name)
    lines, blocks = layout_page(page.lines, w, h)
    assert [b.text[s.start : s.end] for b in blocks for s in b.spans] == [ln.text for ln in lines]
    assert len(lines) == len(page.lines)
    return blocks


def test_ocr_of_a_two_column_photo_reads_column_by_column(read) -> None:  # type: ignore[no-untyped-def]
    text = "\n\n".join(b.text for b in blocks_of(read, "tlsh-paper_p001"))
    anchors = ["Locality Sensitive Hash", "Abstract", "There are many problems in data mining",
               "methods which allow the creation of digests", "CONSTRUCTION OF THE TLSH DIGEST"]
    positions = [text.index(a) for a in anchors]
    assert positions == sorted(positions)


def test_ocr_of_the_option_table_photo_gives_a_four_column_table(read) -> None:  # type: ignore[no-untyped-def]
    tables = [b for b in blocks_of(read, "rtklib-manual_p037") if b.kind == BlockKind.TABLE]
    assert len(tables) == 1
    rows = tables[0].text.split("\n")
    assert rows[1] == "| --- | --- | --- | --- |"
    assert all(row.count("|") == 5 for row in rows)
    assert any(row.startswith("| Elevation Mask | Set elevation mask angle in degree. |") for row in rows)
