"""Transient values of the write path (never persisted as such)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from storage.schema import Block, Line, Matrix, PageStatus

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True)
class PageImage:
    """One page ready for OCR.

    ``image`` is RGB with EXIF orientation applied (not yet turned upright if the page was
    photographed sideways: the OCR engine decides that). ``text_lines`` is set for born-digital
    PDF pages: the text layer, already in ``image``'s pixel frame, and then no OCR is needed.
    ``photo`` and ``to_photo`` are set once ``ingest.rectify`` has flattened the page found on a photo.
    """

    page: int  # 1-based
    image: Image.Image
    source: str
    scale: float = 1.0  # image pixels per source pixel
    text_lines: tuple[Line, ...] | None = None
    photo: Image.Image | None = None  # the image as photographed, when ``image`` is the page flattened from it
    to_photo: Matrix | None = None  # homography: pixels of ``image`` -> pixels of ``photo``


@dataclass(frozen=True)
class OcrPage:
    """What an engine read on a page, in the pixel frame of the page image turned by ``rotation``.

    ``rotation`` is the clockwise turn (0, 90, 180, 270) the engine found was needed to make the
    page upright; the stored page image is turned the same way so that boxes match it.
    Engines that do their own layout analysis (HunyuanOCR) also return ``blocks``.
    """

    page: int
    lines: tuple[Line, ...]
    engine: str
    status: PageStatus = "ok"
    error: str = ""
    rotation: int = 0
    blocks: tuple[Block, ...] | None = None
    seconds: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)
