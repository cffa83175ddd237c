"""Checking uploaded files before anything is stored: name, size, type by content, pixels, pages.

A file name is only a label (it becomes ``DocumentRecord.source``): it must be a bare, printable
UTF-8 name, or the upload is refused. The bytes are written into a folder the server made, under
that checked label; the stored document itself is named by its content hash (``docs/<doc_id>/``),
never by anything the client sent. The same ``ingest.sources.open_source`` that ``folio ingest``
uses then validates the file, so the API and the CLI agree on what is readable.
"""

from __future__ import annotations

import io
import os
import shutil
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from api.errors import Rejected
from ingest.config import IngestSettings
from ingest.sources import Kind, frame_count, frame_sizes, open_source, sniff
from storage.errors import InputError
from storage.library import process_alive

NAME_MAX_BYTES = 200
MIN_SIDE = 16  # pixels; the ingest refuses smaller images, and a reduced sliver must not get below this
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, written to ``path`` (a server-made folder)."""

    label: str
    path: Path
    doc_id: str
    kind: Kind
    n_pages: int


def upload_folder(root: Path, kind: str) -> Path:
    """A new folder for one request's files, named for this process so leftovers can be told apart."""
    return root / f"{kind}-{os.getpid()}-{uuid.uuid4().hex}"


def clean_uploads(root: Path) -> int:
    """Remove upload folders left by processes that died (a killed server leaves its queued files)."""
    removed = 0
    for folder in root.iterdir() if root.is_dir() else ():
        parts = folder.name.split("-")
        pid = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
        if pid is not None and pid != os.getpid() and not process_alive(pid):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def check_name(name: str | None, raw: bytes | None) -> str:
    """The label of an upload: its client name if that is a bare, printable UTF-8 file name."""
    if raw is not None:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Rejected(400, f"file name {raw[:60]!r} is not valid UTF-8; rename the file") from None
    if not name:
        raise Rejected(400, "every uploaded file needs a file name (the 'filename' of its multipart part)")
    name = unicodedata.normalize("NFC", name)
    shown = repr(name[:60])
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") or ch in BIDI_CONTROLS for ch in name):
        raise Rejected(400, f"file name {shown} contains control characters; rename the file")
    if "/" in name or "\\" in name:
        raise Rejected(400, f"file name {shown} contains a path; send the bare file name")
    if name.startswith(".") or not name.strip():
        raise Rejected(400, f"file name {shown} must not be empty or start with a dot")
    if len(name.encode("utf-8")) > NAME_MAX_BYTES:
        raise Rejected(400, f"file name {shown}... is over {NAME_MAX_BYTES} bytes; shorten it")
    return name


def check_document_name(name: str) -> str:
    """The name of the document an upload's files become the pages of (``as_document``): printable, not empty."""
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        raise Rejected(400, "as_document is empty; give the document a name, e.g. as_document=NRPE guide, or leave the field out")
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") or ch in BIDI_CONTROLS for ch in name):
        raise Rejected(400, f"as_document {name[:60]!r} contains control characters; give a printable name")
    if len(name.encode("utf-8")) > NAME_MAX_BYTES:
        raise Rejected(400, f"as_document {name[:60]!r}... is over {NAME_MAX_BYTES} bytes; shorten it")
    return name


def check_file(label: str, data: bytes, cfg: IngestSettings, folder: Path, *, images_only: bool = False) -> CheckedFile:
    """Validate one upload and write it to ``folder/label``; raise ``Rejected`` with a 4xx otherwise."""
    if not data:
        raise Rejected(400, f"{label}: the file is empty (0 bytes)")
    if len(data) > cfg.max_file_mb * 1_000_000:
        raise Rejected(413, f"{label}: {len(data) / 1e6:.0f} MB is over the {cfg.max_file_mb} MB limit (FOLIO_MAX_FILE_MB)")
    kind = sniff(data[:16])
    if kind is None:
        raise Rejected(415, f"{label}: not an image or PDF that Folio reads (JPEG, PNG, WebP, TIFF, BMP or PDF, "
                            "checked by content, not by name)")
    if images_only and kind == "pdf":
        raise Rejected(415, f"{label}: POST /ocr reads one image; send PDFs to POST /documents")
    if kind == "pdf":
        _check_pdf_limits(label, data, cfg)
    else:
        _check_image_limits(label, data, cfg)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / label
    path.write_bytes(data)
    try:
        doc = open_source(path, cfg)
    except InputError as exc:
        raise Rejected(422, str(exc), code="bad_file") from exc
    return CheckedFile(label=label, path=path, doc_id=doc.doc_id, kind=doc.kind, n_pages=doc.n_pages)


def _check_image_limits(label: str, data: bytes, cfg: IngestSettings) -> None:
    """Pixel count and frame count from the header (nothing is decoded), and no unreadable slivers."""
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise Rejected(413, f"{label}: too many pixels ({exc})") from exc
    except Exception:  # noqa: BLE001 - unreadable: open_source gives the precise message
        return
    w, h = img.size
    if w * h > cfg.max_pixels:
        raise Rejected(413, f"{label}: {w}x{h} pixels is over the limit of {cfg.max_pixels:,} (FOLIO_MAX_PIXELS)")
    try:
        frames = frame_count(img)
    except Exception:  # noqa: BLE001 - a broken frame table: open_source says so
        return
    if frames > cfg.max_pages:
        raise Rejected(413, f"{label}: {frames} pages is over the limit of {cfg.max_pages} (FOLIO_MAX_PAGES)")
    try:
        for index, (fw, fh) in enumerate(frame_sizes(img, frames)):
            if fw * fh > cfg.max_pixels:
                raise Rejected(413, f"{label}: page {index + 1} is {fw}x{fh} pixels, over the limit of {cfg.max_pixels:,} "
                                    "(FOLIO_MAX_PIXELS)")
    except Rejected:
        raise
    except Exception:  # noqa: BLE001 - a broken frame: open_source gives the precise message
        return
    scale = min(1.0, cfg.max_side / max(w, h))
    if min(w, h) >= MIN_SIDE and min(w, h) * scale < MIN_SIDE:
        raise Rejected(422, f"{label}: a {w}x{h} sliver is {min(w, h) * scale:.0f} px thin once reduced to "
                            f"{cfg.max_side} px (FOLIO_MAX_SIDE); crop it into pages", code="bad_file")


def _check_pdf_limits(label: str, data: bytes, cfg: IngestSettings) -> None:
    import pymupdf

    try:
        pdf = pymupdf.open(stream=data, filetype="pdf")
    except Exception:  # noqa: BLE001 - unreadable: open_source gives the precise message
        return
    with pdf:
        if pdf.needs_pass:
            raise Rejected(422, f"{label}: the PDF is password-protected; upload an unprotected copy", code="bad_file")
        if pdf.page_count > cfg.max_pages:
            raise Rejected(413, f"{label}: {pdf.page_count} pages is over the limit of {cfg.max_pages} (FOLIO_MAX_PAGES); split the PDF")
