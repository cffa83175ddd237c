"""Folio's one data model: documents, pages, lines, blocks, chunks and hits.

Geometry has one convention everywhere:

* A ``BBox`` is ``(x0, y0, x1, y1)`` in **pixels of the stored page image** (the upright,
  EXIF-corrected image saved with the document), origin at the top-left, y growing downwards,
  ``x0 < x1`` and ``y0 < y1``.
* A quad is four ``(x, y)`` points in the same frame: top-left, top-right, bottom-right,
  bottom-left of the text line.
* Pages are numbered from 1. Libraries that count from 0 are converted at their adapter.
* When the stored page image is a page flattened from a photo (found, cut out and warped upright),
  the page record also keeps that photo (``PageRecord.photo``) and the homography ``to_photo`` from
  stored-image pixels to photo pixels: a box is still in stored-image pixels, and drawn on the photo
  it is the quad of its corners mapped through ``to_photo`` (``PageRecord.photo_quad``).

Everything here is persisted (the document manifest on disk, chunk metadata in Chroma), so the
models are frozen pydantic models with a ``schema_version`` on the top-level records.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]
Matrix = tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BBox(Frozen):
    """Axis-aligned box in pixels of the stored page image (top-left origin)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @model_validator(mode="after")
    def _ordered(self) -> BBox:
        if not (self.x0 <= self.x1 and self.y0 <= self.y1):
            raise ValueError(f"bbox corners out of order: {self.as_list()}")
        return self

    @classmethod
    def from_points(cls, points: list[Point] | tuple[Point, ...]) -> BBox:
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        return cls(x0=min(xs), y0=min(ys), x1=max(xs), y1=max(ys))

    def as_list(self) -> list[float]:
        return [self.x0, self.y0, self.x1, self.y1]

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def area(self) -> float:
        return self.width * self.height

    def union(self, other: BBox) -> BBox:
        return BBox(
            x0=min(self.x0, other.x0),
            y0=min(self.y0, other.y0),
            x1=max(self.x1, other.x1),
            y1=max(self.y1, other.y1),
        )

    def intersection_area(self, other: BBox) -> float:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return max(0.0, w) * max(0.0, h)

    def iou(self, other: BBox) -> float:
        inter = self.intersection_area(other)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def clamp(self, width: float, height: float) -> BBox:
        """The box clipped to a ``width`` x ``height`` image."""
        x0 = min(max(self.x0, 0.0), width)
        y0 = min(max(self.y0, 0.0), height)
        return BBox(x0=x0, y0=y0, x1=min(max(self.x1, x0), width), y1=min(max(self.y1, y0), height))


def union_all(boxes: list[BBox] | tuple[BBox, ...]) -> BBox:
    if not boxes:
        raise ValueError("union of no boxes")
    out = boxes[0]
    for b in boxes[1:]:
        out = out.union(b)
    return out


class Line(Frozen):
    """One text line as the OCR engine (or the PDF text layer) read it."""

    text: str
    bbox: BBox
    quad: Quad | None = None
    confidence: float = 1.0


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"
    STEP = "step"
    TABLE = "table"
    CAPTION = "caption"
    NOTE = "note"
    CODE = "code"
    HEADER = "header"  # running page header: kept on the page, kept out of chunks
    FOOTER = "footer"  # running page footer or page number: likewise


class Span(Frozen):
    """The characters ``text[start:end]`` of a block or chunk came from the line at ``bbox``."""

    start: int
    end: int
    bbox: BBox


class Block(Frozen):
    """A layout unit of one page, rendered as Markdown, with the boxes of its lines."""

    kind: BlockKind
    text: str
    spans: tuple[Span, ...]
    level: int = 0  # heading level (1 = top), 0 for other kinds

    @property
    def bbox(self) -> BBox:
        return union_all([s.bbox for s in self.spans])


PageStatus = Literal["ok", "fallback", "failed"]


class PageRecord(Frozen):
    """A stored page: its image, what was read on it, and how."""

    page: int  # 1-based
    image: str  # path of the stored page image, relative to the document folder
    width: int  # stored image size in pixels
    height: int
    rotation: int = 0  # degrees (0, 90, 180, 270) the source image was turned clockwise to make it upright
    scale: float = 1.0  # stored pixels per source pixel (after rotation); < 1 when a huge image was reduced
    status: PageStatus = "ok"
    engine: str = ""  # OCR engine that produced the lines ("rapidocr", "pdf-text", "hunyuan", ...)
    error: str = ""
    label: str = ""  # the page number printed on the page ("6" from "Page 6 of 21"), "" when none was read
    source: str = ""  # file the page came from, when a document was assembled from several photos
    source_id: str = ""  # that file's content id (doc_id_for its bytes), so adding the same photo again is a no-op
    lines: tuple[Line, ...] = ()  # in reading order
    blocks: tuple[Block, ...] = ()  # in reading order
    photo: str = ""  # the original photo (EXIF-upright, reduced by ``scale``) when ``image`` was flattened from it
    to_photo: Matrix | None = None  # homography: stored-image pixels -> ``photo`` pixels (includes ``rotation``)

    def photo_quad(self, box: BBox) -> Quad:
        """The corners of a stored-image box on the original photo (the box itself when nothing was flattened)."""
        corners = ((box.x0, box.y0), (box.x1, box.y0), (box.x1, box.y1), (box.x0, box.y1))
        m = self.to_photo
        if m is None:
            return corners
        out = []
        for x, y in corners:
            d = m[2][0] * x + m[2][1] * y + m[2][2]
            out.append(((m[0][0] * x + m[0][1] * y + m[0][2]) / d, (m[1][0] * x + m[1][1] * y + m[1][2]) / d))
        return (out[0], out[1], out[2], out[3])

    @property
    def text(self) -> str:
        """The page's text in reading order, one line per line."""
        return "\n".join(line.text for line in self.lines)


class DocumentRecord(Frozen):
    """A stored document (the manifest written once all its pages are stored)."""

    doc_id: str  # first 16 hex chars of sha256(file bytes)
    source: str  # file name the user gave (no directories)
    collection: str
    pages: tuple[PageRecord, ...]
    ocr_engine: str
    n_chunks: int
    created_at: str  # ISO 8601, UTC
    schema_version: int = SCHEMA_VERSION

    @property
    def n_pages(self) -> int:
        return len(self.pages)


class SourceRef(Frozen):
    """Where ``chunk.text[start:end]`` came from: a line box on a page of a document."""

    doc_id: str
    page: int  # 1-based
    bbox: BBox
    start: int
    end: int


class Chunk(Frozen):
    """The unit that is embedded, stored in Chroma, retrieved and cited."""

    id: str  # "c-" + 12 hex chars: opaque and short so an LLM can cite it
    doc_id: str
    text: str  # layout-aware Markdown, exactly what a reader (or an LLM) sees
    headings: tuple[str, ...] = ()  # section path, outermost first
    refs: tuple[SourceRef, ...] = Field(default=())
    ocr_engine: str = ""
    schema_version: int = SCHEMA_VERSION

    @property
    def pages(self) -> tuple[int, ...]:
        return tuple(sorted({r.page for r in self.refs}))

    @property
    def embed_text(self) -> str:
        """What the embedder reads: the heading path, then the text."""
        if not self.headings:
            return self.text
        return " > ".join(self.headings) + "\n" + self.text


def chunk_id(doc_id: str, pages: tuple[int, ...], text: str) -> str:
    digest = hashlib.sha256(f"{doc_id}|{pages}|{text}".encode()).hexdigest()
    return "c-" + digest[:12]


def doc_id_for(data: bytes) -> str:
    """A document's id: the first 16 hex chars of the SHA-256 of its bytes."""
    return hashlib.sha256(data).hexdigest()[:16]


class Hit(Frozen):
    """A retrieved chunk with a score in [0, 1], higher is better."""

    chunk: Chunk
    score: float
