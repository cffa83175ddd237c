"""Input files to page images: validation by content, EXIF orientation, multi-page TIFF, PDFs.

Every problem with a user's file becomes an ``InputError`` whose message names the file and says
what to do; nothing here touches the store.
"""

from __future__ import annotations

import logging
import os
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
    supported types are taken, in name order, and hidden files are left out. Folders are walked
    without recursion (a folder nested 1200 levels deep is fine), each folder at most once (symbolic
    links cannot loop), and a folder that cannot be read is skipped with a warning.
    """
    files: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in _walk(path):
                (files if child.suffix.lower() in SUFFIXES else skipped).append(child)
        else:
            files.append(path)
    return files, skipped


def _walk(root: Path) -> Iterator[Path]:
    """Non-hidden files under ``root`` in name order, depth first, with an explicit stack."""
    seen: set[tuple[int, int]] = set()

    def entries(folder: str) -> Iterator[os.DirEntry[str]]:
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in seen:
                return iter(())
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as it:
                return iter(sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name))
        except OSError as exc:
            log.warning("skipping folder %s: %s", display_name(Path(folder)), exc.strerror or exc)
            return iter(())

    stack = [entries(str(root))]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        try:
            if entry.is_dir():
                stack.append(entries(entry.path))
            elif entry.is_file():
                yield Path(entry.path)
        except OSError as exc:
            log.warning("skipping %s: %s", display_name(Path(entry.path)), exc.strerror or exc)


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


def frame_count(img) -> int:  # type: ignore[no-untyped-def]
    """Pages of an opened image: its frames, except that a phone JPEG's embedded previews (MPO) are no pages."""
    if getattr(img, "format", "") == "MPO":
        return 1
    return int(getattr(img, "n_frames", 1))


def frame_sizes(img, n: int) -> Iterator[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """``(width, height)`` of the first ``n`` frames, read from their headers (nothing is decoded);
    the image is left on its first frame."""
    try:
        for index in range(n):
            img.seek(index)
            yield img.size
    finally:
        img.seek(0)


def check_pixels(path: Path, img, cfg: IngestSettings, n: int) -> None:  # type: ignore[no-untyped-def]
    """Every frame within FOLIO_MAX_PIXELS before any is decoded (a TIFF may hide a huge second page)."""
    for index, (w, h) in enumerate(frame_sizes(img, n)):
        if w * h > cfg.max_pixels:
            where = f"page {index + 1} is " if n > 1 else ""
            raise InputError(
                f"{display_name(path)}: {where}{w}x{h} pixels, over the limit of {cfg.max_pixels:,} (FOLIO_MAX_PIXELS); "
                "reduce the image or raise the limit"
            )


def _reason(exc: Exception) -> str:
    """An exception's message without object addresses (PIL names the in-memory file it read)."""
    return re.sub(r"\s*<[^>]* at 0x[0-9a-f]+>", "", str(exc)).strip() or type(exc).__name__


def _count_image_frames(path: Path, data: bytes, cfg: IngestSettings) -> int:
    img = _open_image(path, data, cfg)
    try:
        n = frame_count(img)
    except Exception as exc:
        raise InputError(f"{display_name(path)}: the image's page table is corrupt ({_reason(exc)}); copy it again") from exc
    if n > cfg.max_pages:
        raise InputError(f"{display_name(path)}: {n} pages is over the limit of {cfg.max_pages} (FOLIO_MAX_PAGES)")
    try:
        check_pixels(path, img, cfg, n)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{display_name(path)}: a page of the image is corrupt ({_reason(exc)}); copy it again") from exc
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
            if img.width * img.height > cfg.max_pixels:  # checked by open_source; never decode one that is not
                raise InputError(f"{doc.name}: page {index + 1} is {img.width}x{img.height} pixels, over FOLIO_MAX_PIXELS")
            frame = ImageOps.exif_transpose(img)
            frame = _to_rgb(frame)
        except InputError:
            raise
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
            lines = _text_layer(page, page.rotation_matrix * matrix, image)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"{doc.name}: page {index + 1} of the PDF is damaged ({exc})") from exc
        yield PageImage(page=index + 1, image=image, source=doc.name, scale=zoom, text_lines=lines)


def _text_layer(page, matrix, image) -> tuple[Line, ...] | None:  # type: ignore[no-untyped-def]
    """The page's visible text lines in pixels of the rendered ``image``, or None when the page must be OCR'd.

    Only text a reader can see counts: invisible (render mode 3, fully transparent), tiny, clipped
    or white-on-white spans are left out (a span is kept when its box on the rendered page shows
    ink). A page that is mostly one image (a scan) whose visible text layer covers little of it is
    OCR'd: a garbage or partial text layer never stands in for what the scan shows.
    """
    import numpy as np
    import pymupdf

    gray = np.asarray(image.convert("L"))
    width, height = image.size
    lines: list[Line] = []
    for block in page.get_text("dict", flags=pymupdf.TEXTFLAGS_TEXT)["blocks"]:
        for raw in block.get("lines", []):
            spans = [s for s in raw["spans"] if s["text"].strip() and _span_visible(s, matrix, gray)]
            if not spans:
                continue
            text = " ".join(s["text"].strip() for s in spans)
            rect = pymupdf.Rect()
            for span in spans:
                rect |= pymupdf.Rect(span["bbox"])
            rect = rect * matrix
            rect.normalize()
            box = BBox(x0=rect.x0, y0=rect.y0, x1=rect.x1, y1=rect.y1).clamp(width, height)
            if box.area > 0:
                lines.append(Line(text=text, bbox=box))
    if sum(len(line.text) for line in lines) < MIN_TEXT_CHARS or _scan_not_covered(page, matrix, lines, width, height):
        return None
    return tuple(lines)


MIN_FONT_PT = 3.0  # smaller text is no text a reader sees
INK_CONTRAST = 48  # grey levels between the lightest and darkest pixel of a span's box when it shows ink
SCAN_SHARE = 0.7  # an image covering this share of the page makes it a scan...
SCAN_TEXT_SHARE = 0.1  # ...OCR'd unless visible text-layer lines cover at least this share of the image


def _span_visible(span: dict, matrix, gray) -> bool:  # type: ignore[no-untyped-def,type-arg]
    import pymupdf

    if int(span.get("alpha", 255)) == 0 or float(span.get("size", 0)) < MIN_FONT_PT:
        return False
    rect = pymupdf.Rect(span["bbox"]) * matrix
    rect.normalize()
    x0, y0 = max(0, int(rect.x0)), max(0, int(rect.y0))
    x1, y1 = min(gray.shape[1], int(rect.x1 + 1)), min(gray.shape[0], int(rect.y1 + 1))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return False
    region = gray[y0:y1, x0:x1]
    return int(region.max()) - int(region.min()) >= INK_CONTRAST


def _scan_not_covered(page, matrix, lines: Sequence[Line], width: int, height: int) -> bool:  # type: ignore[no-untyped-def]
    """Whether the page is mostly one image that its visible text lines do not cover."""
    import pymupdf

    try:
        infos = page.get_image_info()
    except Exception:  # noqa: BLE001 - no image list: treat as born-digital
        return False
    page_area = float(width * height) or 1.0
    for info in infos:
        rect = pymupdf.Rect(info["bbox"]) * matrix
        rect.normalize()
        rect &= pymupdf.Rect(0, 0, width, height)
        if rect.is_empty or rect.width * rect.height < SCAN_SHARE * page_area:
            continue
        covered = sum((pymupdf.Rect(*ln.bbox.as_list()) & rect).get_area() for ln in lines)
        if covered < SCAN_TEXT_SHARE * rect.width * rect.height:
            return True
    return False
