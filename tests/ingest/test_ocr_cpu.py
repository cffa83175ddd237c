"""The embedded CPU OCR engine (PP-OCRv6 via rapidocr) on the real fixture photos of devset-mini."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz import fuzz

from ingest.ocr import OcrEngine
from ingest.ocr.cpu import CpuOcr, model_files, rapidocr_params
from ingest.orient import candidate_rotations, order_lines, read_upright, turn
from ingest.pages import OcrPage, PageImage
from ingest.ocr.confusions import fix_confusions
from storage.errors import EngineUnavailable, OcrError
from storage.schema import BBox, Line, union_all

DEVSET = Path(__file__).resolve().parents[1] / "data" / "devset-mini"
PAGES = {f"{p['doc_id']}_p{p['page']:03d}": p for p in map(json.loads, (DEVSET / "pages.jsonl").read_text().splitlines())}
SINGLE_COLUMN = ["altusmetrum-manual_p010", "nrpe-guide_p006", "cyberjack-handbuch_p005"]
GERMAN = "cyberjack-handbuch_p005"


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def photo(name: str) -> Image.Image:
    return Image.open(DEVSET / PAGES[name]["photo_image"]).convert("RGB")


def page_text(page: OcrPage) -> str:
    return norm(" ".join(line.text for line in page.lines))


def box_recall(name: str, lines: tuple[Line, ...]) -> float:
    """Share of ground-truth lines (with some text) that the engine's boxes find.

    A line is found when one engine box matches it at IoU >= 0.5, or when the engine split it (at a
    wide gap, as in code listings) into boxes lying inside it whose union matches it at IoU >= 0.5.
    """
    truth = [BBox.from_points([(b[0], b[1]), (b[2], b[3])]) for g in PAGES[name]["lines"] if sum(c.isalnum() for c in norm(g["text"])) >= 2 for b in [g["photo_bbox"]]]
    boxes = [ln.bbox for ln in lines]

    def found(t: BBox) -> bool:
        inside = [b for b in boxes if t.intersection_area(b) >= 0.7 * b.area]
        return any(t.iou(b) >= 0.5 for b in boxes) or (bool(inside) and union_all(inside).iou(t) >= 0.5)

    return sum(found(t) for t in truth) / len(truth)


@pytest.fixture(scope="session")
def engine() -> CpuOcr:
    return CpuOcr(model="tiny", threads=1)


@cache
def read_photo(engine: CpuOcr, name: str, rotation: int = 0) -> OcrPage:
    """The engine's reading of a fixture photo turned clockwise by ``rotation`` (read once per session)."""
    return engine.read_page(PageImage(page=PAGES[name]["page"], image=turn(photo(name), rotation), source=name))


def test_is_an_ocr_engine(engine: CpuOcr) -> None:
    assert isinstance(engine, OcrEngine)
    assert engine.name == "pp-ocrv6-tiny"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_reads_the_words_of_each_photo(engine: CpuOcr, name: str) -> None:
    page = read_photo(engine, name)
    assert page.status == "ok" and page.engine == "pp-ocrv6-tiny" and page.rotation == 0
    assert page.seconds > 0
    # word content regardless of order (tables and two columns are ordered by the layout stage)
    assert fuzz.token_sort_ratio(page_text(page), norm(PAGES[name]["text"])) >= 90


@pytest.mark.parametrize("name", SINGLE_COLUMN)
def test_single_column_text_comes_out_in_order(engine: CpuOcr, name: str) -> None:
    assert fuzz.ratio(page_text(read_photo(engine, name)), norm(PAGES[name]["text"])) >= 95


@pytest.mark.parametrize("name", sorted(PAGES))
def test_line_boxes_match_ground_truth_boxes(engine: CpuOcr, name: str) -> None:
    page = read_photo(engine, name)
    width, height = photo(name).size
    assert all(0 <= ln.bbox.x0 < ln.bbox.x1 <= width and 0 <= ln.bbox.y0 < ln.bbox.y1 <= height for ln in page.lines)
    assert all(ln.quad is not None and BBox.from_points(ln.quad) == ln.bbox for ln in page.lines)
    assert all(0.5 <= ln.confidence <= 1 for ln in page.lines)
    # the photos are skewed by up to 4 degrees with perspective: lines must still come out whole
    assert box_recall(name, page.lines) >= 0.85


def test_reads_german_umlauts_and_eszett(engine: CpuOcr) -> None:
    text = page_text(read_photo(engine, GERMAN))
    for word in ["für", "Fürth", "fügen", "vollständige", "USB-Geräte"]:
        assert word in text


@pytest.mark.parametrize(
    ("read", "fixed"),
    [("ID Ox400", "ID 0x400"), ("Oc4b:0400", "0c4b:0400"), ("1O0 mA", "100 mA"), ("Of Oak Ox OxO", "Of Oak Ox OxO"), ("Obe", "Obe"),
     ("TABLEL FALSE POSITIVE RATES", "TABLE I FALSE POSITIVE RATES"), ("TABLE IIL AREA", "TABLE III AREA"),
     ("TABLE LIST", "TABLE LIST"), ("Table L", "Table L"), ("TABLEI. FALSE", "TABLE I. FALSE"), ("TABLEIX", "TABLE IX"),
     ("TABLEAU", "TABLEAU"), ("FIGUREX", "FIGURE X")],
)
def test_confusions_are_fixed_only_in_numbers_and_captions(read: str, fixed: str) -> None:
    assert fix_confusions(read) == fixed


def test_no_ground_truth_line_is_changed_by_the_fixes() -> None:
    lines = [ln["text"] for page in PAGES.values() for ln in page["lines"]]
    assert lines and all(fix_confusions(t) == t for t in lines)


@pytest.mark.parametrize("turned", [90, 180, 270])
def test_a_turned_photo_comes_out_upright(engine: CpuOcr, turned: int) -> None:
    upright = read_photo(engine, GERMAN)
    page = read_photo(engine, GERMAN, turned)
    assert page.rotation == (360 - turned) % 360
    # boxes are in the frame of the turned image turned back, i.e. the upright photo's frame
    assert box_recall(GERMAN, page.lines) >= 0.85
    assert fuzz.ratio(page_text(page), page_text(upright)) >= 95


def test_reads_chinese(engine: CpuOcr) -> None:
    font_file = Path(model_files("tiny")["det"]).parents[4] / "fonts" / "simfang.ttf"
    image = Image.new("RGB", (900, 160), "white")
    ImageDraw.Draw(image).text((40, 50), "产品说明书第三章安装步骤", font=ImageFont.truetype(str(font_file), 56), fill="black")
    page = engine.read_page(PageImage(page=1, image=image, source="chinese.png"))
    assert fuzz.ratio("".join(ln.text for ln in page.lines), "产品说明书第三章安装步骤") >= 80


def test_blank_page_has_no_lines(engine: CpuOcr) -> None:
    page = engine.read_page(PageImage(page=3, image=Image.new("RGB", (1200, 1600), "white"), source="blank.png"))
    assert page == OcrPage(page=3, lines=(), engine="pp-ocrv6-tiny", status="ok", rotation=0, seconds=page.seconds)


def test_unreadable_image_raises_ocr_error(engine: CpuOcr) -> None:
    image = Image.open(DEVSET / PAGES[GERMAN]["photo_image"])
    image.close()
    with pytest.raises(OcrError, match="page 5 of broken.jpg"):
        engine.read_page(PageImage(page=5, image=image, source="broken.jpg"))


def test_small_model_reads_offline() -> None:
    small = CpuOcr(model="small", threads=1)
    crop = photo(GERMAN).crop((100, 150, 1000, 420))
    page = small.read_page(PageImage(page=1, image=crop, source="crop.jpg"))
    assert small.name == "pp-ocrv6-small" and page.engine == "pp-ocrv6-small"
    assert "die Firmware zu aktualiseren" in page_text(page) and "Das erste Argument" in page_text(page)


def test_models_come_from_installed_wheels_with_the_thread_setting() -> None:
    params = rapidocr_params("tiny", threads=1)
    assert "site-packages" in params["Det.model_path"] and params["Det.model_path"].endswith("tiny/det/det.onnx")
    assert params["EngineConfig.onnxruntime.intra_op_num_threads"] == 1
    assert params["EngineConfig.onnxruntime.inter_op_num_threads"] == 1
    assert params["Global.use_cls"] is False
    with pytest.raises(EngineUnavailable, match="FOLIO_OCR_MODEL"):
        model_files("huge")  # type: ignore[arg-type]


def _line(text: str, x0: float, y0: float, x1: float, y1: float, confidence: float = 0.98) -> Line:
    quad = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    return Line(text=text, bbox=BBox.from_points(quad), quad=quad, confidence=confidence)


def _tilted(text: str, x0: float, row: float, slope: float = 0.07) -> Line:
    """A 300 x 30 px line starting at ``x0`` on a text row whose top is at ``row + slope * x``."""
    y0 = row + slope * x0
    quad = ((x0, y0), (x0 + 300, y0 + 300 * slope), (x0 + 300, y0 + 300 * slope + 30), (x0, y0 + 30))
    return Line(text=text, bbox=BBox.from_points(quad), quad=quad, confidence=0.98)


def test_order_lines_follows_a_skewed_page() -> None:
    # on a page skewed 4 degrees, the right end of row 1 sits lower than the start of row 2
    lines = [_tilted("three", 100, 150), _tilted("two", 900, 100), _tilted("one", 100, 100)]
    assert lines[1].bbox.y0 > lines[0].bbox.y0
    assert [ln.text for ln in order_lines(lines)] == ["one", "two", "three"]


def test_candidate_rotations_from_one_pass() -> None:
    wide = [_line("upright text", 0, 0, 300, 30)]
    assert candidate_rotations(wide) == ()
    assert candidate_rotations([_line("ʇxǝʇ", 0, 0, 300, 30, confidence=0.6)]) == (180,)
    assert candidate_rotations([_line("sideways", 0, 0, 30, 300), _line("1.", 0, 400, 20, 420)]) == (90, 270)


@pytest.mark.parametrize("turned", [270])  # with 90 tried first, as without the sample, 270 would take three
def test_a_sideways_page_costs_two_passes(engine: CpuOcr, turned: int) -> None:
    passes: list[tuple[int, int]] = []

    def read(image: Image.Image) -> list[Line]:
        passes.append(image.size)
        return engine._read_image(image)

    rotation, lines = read_upright(read, turn(photo(GERMAN), turned), engine._read_line)
    assert rotation == (360 - turned) % 360 and len(passes) == 2
    assert box_recall(GERMAN, tuple(lines)) >= 0.85
