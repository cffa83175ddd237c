"""Input validation and page loading on real fixture pages and files made from them."""

from __future__ import annotations

import io
from pathlib import Path

import pymupdf
import pytest
from PIL import Image

from ingest.config import IngestSettings
from ingest.sources import discover, iter_pages, open_source
from storage.errors import InputError

CFG = IngestSettings()


@pytest.fixture()
def photo(photo_paths: list[Path]) -> Path:
    return next(p for p in photo_paths if "nrpe" in p.name)


def bad_file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.jpg", b"", "empty"),
        ("notes.jpg", b"this is a text file, not a photo\n" * 3, "not an image or PDF"),
        ("broken.pdf", b"%PDF-1.7\n garbage garbage garbage", "PDF"),
        ("archive.png", b"PK\x03\x04" + b"\x00" * 64, "not an image or PDF"),
    ],
)
def test_bad_files_get_one_clear_line(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    with pytest.raises(InputError, match=reason) as info:
        open_source(bad_file(tmp_path, name, data), CFG)
    message = str(info.value)
    assert name in message and "\n" not in message


def test_truncated_jpeg_is_refused(tmp_path: Path, photo: Path) -> None:
    data = photo.read_bytes()
    with pytest.raises(InputError, match="truncated or corrupt"):
        open_source(bad_file(tmp_path, "cut.jpg", data[: len(data) // 3]), CFG)


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buf, format="PNG")  # 400 Mpx, a few KB on disk
    with pytest.raises(InputError, match="over the limit"):
        open_source(bad_file(tmp_path, "bomb.png", buf.getvalue()), CFG)


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    pdf = pymupdf.open()
    pdf.new_page().insert_text((72, 72), "secret manual")
    path = tmp_path / "locked.pdf"
    pdf.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw", owner_pw="pw")
    with pytest.raises(InputError, match="password"):
        open_source(path, CFG)


def test_exif_orientation_is_applied(tmp_path: Path, photo: Path) -> None:
    upright = Image.open(photo)
    sideways = upright.rotate(90, expand=True)  # stored turned; EXIF says "turn 90 CW to view"
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "exif.jpg"
    sideways.save(path, exif=exif, quality=95)
    pages = list(iter_pages(open_source(path, CFG), CFG))
    assert pages[0].image.size == upright.size


def test_multipage_tiff_and_formats(tmp_path: Path, photo_paths: list[Path]) -> None:
    frames = [Image.open(p).convert("RGB") for p in photo_paths[:3]]
    tiff = tmp_path / "binder.tiff"
    frames[0].save(tiff, save_all=True, append_images=frames[1:])
    doc = open_source(tiff, CFG)
    pages = list(iter_pages(doc, CFG))
    assert doc.n_pages == 3 and [p.page for p in pages] == [1, 2, 3]
    assert pages[2].image.size == frames[2].size
    for fmt in ("WEBP", "BMP", "PNG"):
        path = tmp_path / f"page.{fmt.lower()}"
        frames[0].save(path, format=fmt)
        assert open_source(path, CFG).kind == "image"


def test_huge_image_is_reduced_with_its_scale(tmp_path: Path, photo: Path) -> None:
    img = Image.open(photo)
    big = img.resize((img.width * 2, img.height * 2))
    path = tmp_path / "big.png"
    big.save(path)
    page = next(iter_pages(open_source(path, CFG), CFG))
    assert max(page.image.size) == CFG.max_side
    assert page.scale == pytest.approx(CFG.max_side / max(big.size))


def test_mixed_pdf_uses_text_layer_or_ocr_page_by_page(tmp_path: Path, photo: Path) -> None:
    pdf = pymupdf.open()
    page = pdf.new_page(width=612, height=792)
    page.insert_text((72, 100), "2.1. Batteries", fontsize=16)
    page.insert_text((72, 140), "Pin 1 of the connector is positive, pin 2 is negative.", fontsize=11)
    scanned = pdf.new_page(width=612, height=792)
    scanned.insert_image(scanned.rect, filename=str(photo))
    path = tmp_path / "mixed.pdf"
    pdf.save(path)
    cfg = IngestSettings(pdf_dpi=100)
    first, second = list(iter_pages(open_source(path, cfg), cfg))
    assert second.text_lines is None  # a scanned page goes to OCR
    assert first.text_lines is not None
    line = next(l for l in first.text_lines if l.text.startswith("Pin 1"))
    zoom = 100 / 72
    assert line.bbox.x0 == pytest.approx(72 * zoom, abs=2)
    assert line.bbox.y1 == pytest.approx(140 * zoom, abs=6)
    assert first.image.size == (round(612 * zoom), round(792 * zoom))


def test_discover_walks_folders_and_sets_aside_other_types(tmp_path: Path, photo: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "p1.jpg").write_bytes(photo.read_bytes())
    (tmp_path / "a" / "notes.txt").write_text("x")
    (tmp_path / "a" / ".hidden.jpg").write_bytes(b"x")
    files, skipped = discover([tmp_path / "a"])
    assert [f.name for f in files] == ["p1.jpg"]
    assert [s.name for s in skipped] == ["notes.txt"]


def test_sliver_images_and_odd_names_get_clean_messages(tmp_path: Path, photo: Path) -> None:
    sliver = tmp_path / "sliver.png"
    Image.new("RGB", (20000, 20), "white").save(sliver)
    with pytest.raises(InputError, match="not a page"):
        open_source(sliver, CFG)
    odd = tmp_path / b"caf\xe9-\xff.jpg".decode("utf-8", "surrogateescape")
    odd.write_bytes(b"garbage that is no image at all")
    with pytest.raises(InputError) as info:
        open_source(odd, CFG)
    message = str(info.value)
    assert message.encode("utf-8")  # valid UTF-8: no lone surrogates
    assert "0x" not in message and "\ufffd" in message


def test_every_page_of_a_tiff_is_checked_for_pixels_before_any_is_decoded(tmp_path: Path) -> None:
    """Issue 16.5: a TIFF whose first page is 64x64 and second 40000x40000 passed (only page 1 was checked)."""
    from tests.api.hostile_inputs import tiff_huge_later_frame

    path = bad_file(tmp_path, "frame2.tiff", tiff_huge_later_frame(40_000, 40_000))
    with pytest.raises(InputError, match=r"frame2.tiff: page 2 is 40000x40000 pixels.*FOLIO_MAX_PIXELS"):
        open_source(path, CFG)
    ok = bad_file(tmp_path, "two.tiff", tiff_huge_later_frame(64, 64))
    assert open_source(ok, CFG).n_pages == 2


def test_a_jpeg_with_an_embedded_preview_is_one_page(photo: Path, tmp_path: Path) -> None:
    """Issue 16.9: a phone JPEG with an MPO preview was stored with its thumbnail as page 2."""
    from tests.api.hostile_inputs import jpeg_with_preview

    path = bad_file(tmp_path, "phone.jpg", jpeg_with_preview(Image.open(photo).convert("RGB").resize((800, 600))))
    doc = open_source(path, CFG)
    pages = list(iter_pages(doc, CFG))
    assert doc.n_pages == 1 and [p.page for p in pages] == [1] and pages[0].image.size == (800, 600)
