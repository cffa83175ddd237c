"""The bad-input corpus: hostile or broken files, made at test time from the real fixture pages.

Each ``Hostile`` is one uploaded file: a file name as a client would send it, its bytes, the HTTP
status the API must answer (a clear 4xx) and whether ``folio ingest`` gets the same file (every
item whose problem is in the bytes does; names that only a hostile HTTP client can send do not).
Nothing big is committed: bombs are a few kilobytes of compressed zeros with a huge header.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pymupdf
from PIL import Image

MAX_PAGES = 100  # the tests run the API and the CLI with FOLIO_MAX_PAGES=100
MAX_PIXELS = 40_000_000  # and FOLIO_MAX_PIXELS=40000000


@dataclass(frozen=True)
class Hostile:
    id: str
    name: str  # the file name the client sends
    data: bytes
    status: int  # what the API must answer
    says: str  # a word the error message must contain (case-insensitive)
    cli: bool = True  # also fed to `folio ingest` (under a safe name when the name is the attack)


def png_header_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width`` x ``height`` white pixels: tiny on disk, huge when decoded."""
    raw_row = b"\x00" + b"\xff" * ((width + 7) // 8)
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(raw_row) for _ in range(height)) + comp.flush()
    return _png([(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)), (b"IDAT", body), (b"IEND", b"")])


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = b"\x89PNG\r\n\x1a\n"
    for kind, data in chunks:
        out += struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return out


def bmp_header_only(width: int, height: int) -> bytes:
    """A BMP header that claims ``width`` x ``height`` 24-bit pixels and carries none of them."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(info), 0, 0, 14 + len(info)) + info


def _pdf(objects: list[bytes]) -> bytes:
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def pdf_from_image(image: Image.Image, pages: int = 1, **save: object) -> bytes:
    doc = pymupdf.open()
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=60)
    for _ in range(pages):
        page = doc.new_page(width=300, height=400)
        page.insert_image(page.rect, stream=buf.getvalue())
    return doc.tobytes(**save)  # type: ignore[arg-type]


def blank_pdf(pages: int) -> bytes:
    doc = pymupdf.open()
    for _ in range(pages):
        doc.new_page(width=200, height=200)
    return doc.tobytes(garbage=1)


def tiff_frames(n: int) -> bytes:
    frames = [Image.new("L", (32, 32), 255) for _ in range(n)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    return buf.getvalue()


def tiff_huge_later_frame(width: int, height: int) -> bytes:
    """A two-page 1-bit TIFF: page 1 is 64x64, page 2's header claims ``width`` x ``height`` (no pixel data).

    Only the first page's size is in the file's first header; a check of page 1 alone lets page 2 through.
    """
    frames = [Image.new("1", (64, 64), 1), Image.new("1", (64, 64), 1)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    data = bytearray(buf.getvalue())
    assert data[:4] == b"II*\x00"
    ifd = struct.unpack_from("<I", data, 4)[0]
    ifd = struct.unpack_from("<I", data, ifd + 2 + 12 * struct.unpack_from("<H", data, ifd)[0])[0]  # the second page's header
    for k in range(struct.unpack_from("<H", data, ifd)[0]):
        entry = ifd + 2 + 12 * k
        tag, kind = struct.unpack_from("<HH", data, entry)
        if tag in (256, 257):  # ImageWidth, ImageLength
            value = width if tag == 256 else height
            struct.pack_into("<HHII" if kind == 4 else "<HHIHH", data, entry, tag, kind, 1, value, *(() if kind == 4 else (0,)))
    return bytes(data)


def jpeg_with_preview(image: Image.Image) -> bytes:
    """A phone-style JPEG that carries a small preview of itself as a second MPO image."""
    buf = io.BytesIO()
    image.save(buf, format="MPO", save_all=True, append_images=[image.resize((160, 120))], quality=80)
    return buf.getvalue()


def image_bytes(image: Image.Image, fmt: str, **save: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **save)
    return buf.getvalue()


def corpus(photo: Path, scan: Path) -> list[Hostile]:
    """At least 30 hostile or broken inputs, built from one fixture photo and one fixture scan."""
    jpeg = photo.read_bytes()
    png = scan.read_bytes()
    small = Image.open(photo).convert("RGB").resize((400, 300))
    pdf = pdf_from_image(small)
    makers: list[Callable[[], Hostile]] = [
        lambda: Hostile("zero-byte-jpg", "empty.jpg", b"", 400, "empty"),
        lambda: Hostile("zero-byte-pdf", "empty.pdf", b"", 400, "empty"),
        lambda: Hostile("truncated-jpeg", "cut.jpg", jpeg[: len(jpeg) // 3], 422, "truncated"),
        lambda: Hostile("truncated-png", "cut.png", png[:3000], 422, "cut.png"),
        lambda: Hostile("truncated-pdf", "cut.pdf", pdf[:400], 422, "cut.pdf"),
        lambda: Hostile("corrupt-jpeg-body", "noise.jpg", jpeg[:20] + bytes(range(256)) * 40, 422, "noise.jpg"),
        lambda: Hostile("corrupt-png-crc", "crc.png", png[:29] + b"\x00\x00\x00\x00" + png[33:], 422, "crc.png"),
        lambda: Hostile("text-as-jpg", "notes.jpg", b"meeting notes, not a photo\n" * 20, 415, "not an image or pdf"),
        lambda: Hostile("html-as-png", "page.png", b"<!doctype html><html><script>alert(1)</script></html>", 415, "not an image or pdf"),
        lambda: Hostile("zip-as-pdf", "archive.pdf", b"PK\x03\x04" + b"\x00" * 200, 415, "not an image or pdf"),
        lambda: Hostile("gif", "anim.gif", image_bytes(small, "GIF"), 415, "not an image or pdf"),
        lambda: Hostile("svg-as-jpg", "vector.jpg", b'<svg xmlns="http://www.w3.org/2000/svg"><text>hi</text></svg>', 415, "not an image or pdf"),
        lambda: Hostile("elf-as-tiff", "tool.tiff", b"\x7fELF\x02\x01\x01" + b"\x00" * 500, 415, "not an image or pdf"),
        lambda: Hostile("jpeg-html-polyglot", "poly.jpg", b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>" * 3, 422, "poly.jpg"),
        lambda: Hostile("pdf-zip-polyglot", "poly.pdf", b"%PDF-1.4\n" + b"PK\x03\x04" + b"\x00" * 300, 422, "poly.pdf"),
        lambda: Hostile("png-pdf-polyglot", "poly.png", b"\x89PNG\r\n\x1a\n" + pdf, 422, "poly.png"),
        lambda: Hostile("png-decompression-bomb", "bomb.png", png_header_bomb(30_000, 30_000), 413, "pixels"),
        lambda: Hostile("bmp-huge-header", "huge.bmp", bmp_header_only(60_000, 60_000), 413, "pixels"),
        lambda: Hostile("pdf-page-tree-loop", "loop.pdf", _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                                                                b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"]), 422, "loop.pdf"),
        lambda: Hostile("pdf-header-then-noise", "noise.pdf", b"%PDF-1.7\n" + bytes((i * 37) % 256 for i in range(5000)), 422, "noise.pdf"),
        lambda: Hostile("too-small-image", "dot.png", image_bytes(Image.new("RGB", (8, 8), "white"), "PNG"), 422, "too small"),
        lambda: Hostile("sliver-image", "sliver.png", image_bytes(Image.new("L", (20_000, 20), 255), "PNG"), 422, "sliver",
                                 cli=False),  # the CLI stores it with a failed page (see the report)
        lambda: Hostile("tiff-huge-second-frame", "frame2.tiff", tiff_huge_later_frame(40_000, 40_000), 413, "pixels"),
        lambda: Hostile("tiff-too-many-frames", "frames.tiff", tiff_frames(MAX_PAGES + 5), 413, "pages"),
        lambda: Hostile("pdf-thousands-of-pages", "long.pdf", blank_pdf(3000), 413, "pages"),
        lambda: Hostile("encrypted-pdf", "locked.pdf", pdf_from_image(small, encryption=pymupdf.PDF_ENCRYPT_AES_256,
                                                                      user_pw="secret", owner_pw="owner"), 422, "password"),
        lambda: Hostile("pdf-no-pages", "nopages.pdf", _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                                                             b"<< /Type /Pages /Kids [] /Count 0 >>"]), 422, "nopages.pdf"),
        lambda: Hostile("path-traversal-name", "../../../etc/cron.d/evil.jpg", jpeg, 400, "file name", cli=False),
        lambda: Hostile("absolute-path-name", "/tmp/evil.jpg", jpeg, 400, "file name", cli=False),
        lambda: Hostile("windows-path-name", "..\\..\\boot.ini.jpg", jpeg, 400, "file name", cli=False),
        lambda: Hostile("control-chars-name", "a\x07b\x1b[31m.jpg", jpeg, 400, "file name", cli=False),
        lambda: Hostile("overlong-name", "x" * 300 + ".jpg", jpeg, 400, "file name", cli=False),
        lambda: Hostile("dot-name", "..", jpeg, 400, "file name", cli=False),
        lambda: Hostile("non-utf8-name-corrupt", "\udcff\udcfe-bad.jpg", b"\xff\xd8\xff" + b"\x00" * 64, 400, "file name"),
    ]
    return [make() for make in makers]
