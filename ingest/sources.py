"""Input files to page images: validation by content, EXIF orientation, multi-page TIFF, PDFs.

Every problem with a user's file becomes an ``InputError`` whose message names the file and says
what to do; nothing here touches the store.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ingest.config import IngestSettings
from ingest.pages import PageImage
from storage.errors import InputError
from storage.schema import BBox, Line, doc_id_for

log = logging.getLogger(__name__)

Kind = Literal["pdf", "image"]
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp"}
SUFFIXES = IMAGE_SUFFIXES | {".pdf"}
MAX_ASPECT = 12  # a longer sliver is no page: reading it would only fail
MIN_TEXT_CHARS = 40  # a PDF page with fewer characters in its text layer is treated as scanned


@dataclass(frozen=True)
class SourceDoc:
    """A validated input file, not yet read page by page."""

    path: Path
    doc_id: str
    kind: Kind
    n_pages: int
    data: bytes

    @property
    def name(self) -> str:
        return display_name(self.path)


def display_name(path: Path) -> str:
    """The file's name as text that is always valid UTF-8 (undecodable bytes become U+FFFD)."""
    return path.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def discover(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """Expand folders recursively. Returns (files to ingest, files skipped for their type).

    Files named explicitly are always returned (and checked by content later); inside folders only
    supported types are taken, in name order, and hidden files are left out.
    """
    files: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if not child.is_file() or any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                (files if child.suffix.lower() in SUFFIXES else skipped).append(child)
        else:
            files.append(path)
    return files, skipped


def sniff(head: bytes) -> Kind | None:
    """The kind of a file from its first bytes, or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"BM")):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    return None


def open_source(path: Path, cfg: IngestSettings) -> SourceDoc:
    """Read and validate a file. Raises InputError with a one-line reason."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{display_name(path)}: the file is empty (0 bytes); export or copy it again")
    if size > cfg.max_file_mb * 1_000_000:
        raise InputError(f"{display_name(path)}: {size / 1e6:.0f} MB is over the {cfg.max_file_mb} MB limit (FOLIO_MAX_FILE_MB)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{display_name(path)}: cannot be read ({exc.strerror})") from exc
    kind = sniff(data[:16])
    if kind is None:
        raise InputError(
            f"{display_name(path)}: not an image or PDF that Folio reads (JPEG, PNG, WebP, TIFF, BMP or PDF, checked by content)"
        )
    n_pages = _count_pdf_pages(path, data, cfg) if kind == "pdf" else _count_image_frames(path, data, cfg)
    return SourceDoc(path=path, doc_id=doc_id_for(data), kind=kind, n_pages=n_pages, data=data)


def iter_pages(doc: SourceDoc, cfg: IngestSettings, *, only: int | None = None) -> Iterator[PageImage]:
    """The document's pages one at a time (memory does not grow with the page count); with
    ``only``, just that page (1-based), decoded without the pages before it."""
    indices = range(doc.n_pages) if only is None else range(only - 1, only)
    if doc.kind == "pdf":
        yield from _pdf_pages(doc, cfg, indices)
    else:
        yield from _image_pages(doc, cfg, indices)


# -- images ----------------------------------------------------------------------------------


def _open_image(path: Path, data: bytes, cfg: IngestSettings):  # type: ignore[no-untyped-def]
    import io

    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # checked below with our own limit and message
    try:
        img = Image.open(io.BytesIO(data))
    except Exception as exc:
        raise InputError(f"{display_name(path)}: not a readable image ({_reason(exc)}); check the file or export it again") from exc
    w, h = img.size
    if w * h > cfg.max_pixels:
        raise InputError(
            f"{display_name(path)}: {w}x{h} pixels is over the limit of {cfg.max_pixels:,} (FOLIO_MAX_PIXELS); "
            "reduce the image or raise the limit"
        )
    if w < 16 or h < 16:
        raise InputError(f"{display_name(path)}: {w}x{h} pixels is too small to read")
    if max(w, h) > MAX_ASPECT * min(w, h):
        raise InputError(f"{display_name(path)}: {w}x{h} pixels is not a page (one side is over {MAX_ASPECT}x the other); crop it into pages")
    return img


def _reason(exc: Exception) -> str:
    """An exception's message without object addresses (PIL names the in-memory file it read)."""
    return re.sub(r"\s*<[^>]* at 0x[0-9a-f]+>", "", str(exc)).strip() or type(exc).__name__


def _count_image_frames(path: Path, data: bytes, cfg: IngestSettings) -> int:
    img = _open_image(path, data, cfg)
    n = int(getattr(img, "n_frames", 1))
    if n > cfg.max_pages:
        raise InputError(f"{display_name(path)}: {n} pages is over the limit of {cfg.max_pages} (FOLIO_MAX_PAGES)")
    try:  # decode the first frame now, so truncated and corrupt files fail before anything is stored
        img.load()
    except Exception as exc:
        raise InputError(f"{display_name(path)}: the image is truncated or corrupt ({_reason(exc)}); copy it again") from exc
    return n


def _image_pages(doc: SourceDoc, cfg: IngestSettings, indices: range) -> Iterator[PageImage]:
    from PIL import ImageOps

    img = _open_image(doc.path, doc.data, cfg)
    for index in indices:
        try:
            img.seek(index)
            frame = ImageOps.exif_transpose(img)
            frame = _to_rgb(frame)
        except Exception as exc:
            raise InputError(f"{doc.name}: page {index + 1} is truncated or corrupt ({_reason(exc)})") from exc
        frame, scale = _fit(frame, cfg.max_side)
        yield PageImage(page=index + 1, image=frame, source=doc.name, scale=scale)


def _to_rgb(img):  # type: ignore[no-untyped-def]
    from PIL import Image

    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(img, mask=img.getchannel("A"))
        return background
    if img.mode.startswith("I;16") or img.mode in ("I", "F"):
        from PIL import ImageOps as _ops

        img = _ops.autocontrast(img.convert("I").point(lambda v: v / 256).convert("L"))
    return img.convert("RGB") if img.mode != "RGB" else img.copy()


def _fit(img, max_side: int):  # type: ignore[no-untyped-def]
    from PIL import Image

    longest = max(img.size)
    if longest <= max_side:
        return img, 1.0
    scale = max_side / longest
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(size, Image.Resampling.LANCZOS), scale


# -- PDFs ------------------------------------------------------------------------------------


def _open_pdf(path: Path, data: bytes):  # type: ignore[no-untyped-def]
    import pymupdf

    try:
        pdf = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:
        raise InputError(f"{display_name(path)}: not a readable PDF ({exc}); open it in a PDF viewer and save it again") from exc
    if pdf.needs_pass:
        raise InputError(f"{display_name(path)}: the PDF is password-protected; save an unprotected copy and ingest that")
    if pdf.page_count == 0:
        raise InputError(f"{display_name(path)}: the PDF has no pages")
    return pdf


def _count_pdf_pages(path: Path, data: bytes, cfg: IngestSettings) -> int:
    pdf = _open_pdf(path, data)
    n = pdf.page_count
    if n > cfg.max_pages:
        raise InputError(f"{display_name(path)}: {n} pages is over the limit of {cfg.max_pages} (FOLIO_MAX_PAGES); split the PDF")
    try:  # touch the first page so a broken page tree fails before anything is stored
        pdf[0].get_text("text")
    except Exception as exc:
        raise InputError(f"{display_name(path)}: the PDF is damaged ({exc}); repair it or print it to a new PDF") from exc
    return n


def _pdf_pages(doc: SourceDoc, cfg: IngestSettings, indices: range) -> Iterator[PageImage]:
    import pymupdf
    from PIL import Image

    pdf = _open_pdf(doc.path, doc.data)
    for index in indices:
        try:
            page = pdf[index]
            zoom = cfg.pdf_dpi / 72.0
            longest = max(page.rect.width, page.rect.height) * zoom
            if longest > cfg.max_side:
                zoom *= cfg.max_side / longest
            matrix = pymupdf.Matrix(zoom, zoom)
            pix = page.get_pixmap(matrix=matrix, alpha=False, colorspace=pymupdf.csRGB)
            image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
            lines = _text_layer(page, page.rotation_matrix * matrix, pix.width, pix.height)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"{doc.name}: page {index + 1} of the PDF is damaged ({exc})") from exc
        yield PageImage(page=index + 1, image=image, source=doc.name, scale=zoom, text_lines=lines)


def _text_layer(page, matrix, width: int, height: int) -> tuple[Line, ...] | None:  # type: ignore[no-untyped-def]
    """The page's text lines in pixels of the rendered image, or None for a scanned page."""
    import pymupdf

    lines: list[Line] = []
    for block in page.get_text("dict", flags=pymupdf.TEXTFLAGS_TEXT)["blocks"]:
        for raw in block.get("lines", []):
            text = " ".join(s["text"].strip() for s in raw["spans"] if s["text"].strip())
            if not text:
                continue
            rect = pymupdf.Rect(raw["bbox"]) * matrix
            rect.normalize()
            box = BBox(x0=rect.x0, y0=rect.y0, x1=rect.x1, y1=rect.y1).clamp(width, height)
            if box.area > 0:
                lines.append(Line(text=text, bbox=box))
    if sum(len(line.text) for line in lines) < MIN_TEXT_CHARS:
        return None
    return tuple(lines)
