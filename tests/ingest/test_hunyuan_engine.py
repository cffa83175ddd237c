"""The HunyuanOCR engine's real HTTP client against a fake vLLM server on loopback (real HTTP, SSE).

Pages are the dev-set photos; failure-mode tests send them at a third of their size so that the
real CPU fallback engine reads them quickly.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from ingest.config import IngestSettings
from ingest.ocr import OcrEngine
from ingest.ocr.hunyuan_client import RetryPolicy
from ingest.ocr.hunyuan_image import sent_size
from ingest.ocr.hunyuan_prompts import DOC_PARSE, SPOTTING
from ingest.ocr.hunyuan_vllm import HunyuanVllmOcr
from ingest.pages import OcrPage, PageImage
from storage.schema import BBox
from tests.fakes.hunyuan_answers import GtPage, load_pages
from tests.fakes.hunyuan_server import FakeHunyuanServer

MINI = Path(__file__).parent.parent / "data" / "devset-mini"
FAST = RetryPolicy(attempts=3, backoff_s=0.01, max_backoff_s=0.05, max_retry_after_s=2.0)
GT = {(p.doc_id, p.variant): p for p in load_pages(MINI)}
PHOTOS = sorted((MINI / "images" / "photo").glob("*.jpg"))


@pytest.fixture(scope="module")
def cpu() -> OcrEngine:
    from ingest.ocr.cpu import CpuOcr

    return CpuOcr(model="tiny", threads=1)


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FakeHunyuanServer]:
    with FakeHunyuanServer(MINI) as fake:
        yield fake


@pytest.fixture()
def fake(shared_server: FakeHunyuanServer) -> FakeHunyuanServer:
    shared_server.reset()
    return shared_server


def make_engine(base_url: str, fallback: OcrEngine, **cfg: object) -> HunyuanVllmOcr:
    settings = IngestSettings(ocr_engine="hunyuan", hunyuan_base_url=base_url, hunyuan_timeout=cfg.pop("timeout", 3.0),
                              hunyuan_concurrency=cfg.pop("concurrency", 4), **cfg)  # type: ignore[arg-type]
    return HunyuanVllmOcr(settings, fallback, retry=FAST)


@pytest.fixture()
def engine(fake: FakeHunyuanServer, cpu: OcrEngine) -> Iterator[HunyuanVllmOcr]:
    eng = make_engine(fake.base_url, cpu)
    yield eng
    eng.close()


def page_image(path: Path, page: int = 1, shrink: int = 1) -> PageImage:
    image = Image.open(path).convert("RGB")
    if shrink > 1:
        image = image.resize((image.width // shrink, image.height // shrink))
    return PageImage(page=page, image=image, source=path.name)


def photo(name: str, shrink: int = 1) -> PageImage:
    return page_image(next(p for p in PHOTOS if name in p.name), shrink=shrink)


def truth(name: str) -> GtPage:
    return next(p for (doc, variant), p in GT.items() if name in doc and variant == "photo")


# -- the happy path -----------------------------------------------------------------------------


def test_requests_follow_the_model_card(fake: FakeHunyuanServer, cpu: OcrEngine) -> None:
    engine = make_engine(fake.base_url, cpu, hunyuan_api_key="s3cret")
    fake.api_key = "s3cret"
    try:
        result = engine.read_page(photo("nrpe"))
    finally:
        fake.api_key = None
        engine.close()
    assert result.status == "ok"
    spotting, parse = fake.completions("spotting"), fake.completions("doc_parse")
    assert len(spotting) == len(parse) == 1
    for recorded, prompt in ((spotting[0], SPOTTING), (parse[0], DOC_PARSE)):
        body = recorded.body
        assert body["model"] == "tencent/HunyuanOCR"
        assert body["messages"][0] == {"role": "system", "content": ""}
        user = body["messages"][1]["content"]
        assert [part["type"] for part in user] == ["image_url", "text"] and user[1]["text"] == prompt
        assert (body["temperature"], body["top_p"], body["top_k"], body["repetition_penalty"]) == (0.0, 1.0, -1, 1.08)
        assert body["max_tokens"] == 16384 and body["stream"] is True
        assert recorded.image_size == sent_size(1435, 1800)
        assert recorded.headers["Authorization"] == "Bearer s3cret"


def test_lines_have_pixel_boxes_of_the_page_image(engine: HunyuanVllmOcr) -> None:
    result = engine.read_page(photo("altusmetrum"))
    gt = truth("altusmetrum")
    assert result.status == "ok" and result.engine == "hunyuan-vllm" and result.rotation == 0
    assert [ln.text for ln in result.lines] == [ln.text for ln in gt.lines]
    for got, want in zip(result.lines, gt.lines, strict=True):
        assert got.bbox.iou(BBox(x0=want.box[0], y0=want.box[1], x1=want.box[2], y1=want.box[3])) > 0.8


def test_blocks_carry_boxes_of_their_lines(engine: HunyuanVllmOcr) -> None:
    result = engine.read_page(photo("rtklib"))
    assert result.blocks is not None
    kinds = [b.kind.value for b in result.blocks]
    assert "table" in kinds and kinds[-1] == "footer"
    line_boxes = {ln.bbox for ln in result.lines}
    for block in result.blocks:
        assert block.spans and all(span.bbox in line_boxes for span in block.spans)
        assert 0 <= block.bbox.x0 < block.bbox.x1 <= 1329 and 0 <= block.bbox.y0 < block.bbox.y1 <= 1800
    assert result.extra["doc_parse"].startswith("ok: coverage")


def test_boxes_map_back_through_a_resize(engine: HunyuanVllmOcr, fake: FakeHunyuanServer) -> None:
    big = photo("cyberjack")
    huge = PageImage(page=1, image=big.image.resize((big.image.width * 3, big.image.height * 3)), source="huge.jpg")
    result = engine.read_page(huge)
    sent = fake.completions("spotting")[0].image_size
    assert sent[0] * sent[1] <= 4096 * 4096 < huge.image.width * huge.image.height  # HunyuanOCR 1.5's limit
    gt = truth("cyberjack")
    for got, want in zip(result.lines, gt.lines, strict=True):
        assert got.bbox.iou(BBox(x0=3 * want.box[0], y0=3 * want.box[1], x1=3 * want.box[2], y1=3 * want.box[3])) > 0.8


def test_read_pages_is_concurrent_and_keeps_order(fake: FakeHunyuanServer, cpu: OcrEngine) -> None:
    fake.delay_s = 0.3
    pages = [page_image(path, page=i + 1, shrink=3) for i, path in enumerate(PHOTOS)]
    engine = make_engine(fake.base_url, cpu, concurrency=5)
    try:
        results = engine.read_pages(pages)
    finally:
        engine.close()
    assert [r.page for r in results] == [1, 2, 3, 4, 5]
    assert all(r.status == "ok" for r in results)
    for path, result in zip(PHOTOS, results, strict=True):
        assert result.lines[0].text == truth(path.stem.split("_")[0]).lines[0].text
    assert fake.max_in_flight >= 4  # the five pages were in flight together, not one after another


def test_spotting_as_json_is_read_too(cpu: OcrEngine) -> None:
    with FakeHunyuanServer(MINI, spotting_format="json") as fake:
        engine = make_engine(fake.base_url, cpu)
        result = engine.read_page(photo("tlsh"))
        engine.close()
    assert result.status == "ok" and len(result.lines) == len(truth("tlsh").lines)


# -- output problems ----------------------------------------------------------------------------


def test_text_with_parentheses_is_kept_whole(engine: HunyuanVllmOcr, fake: FakeHunyuanServer) -> None:
    fake.fail("parens", task="spotting")
    result = engine.read_page(photo("altusmetrum"))
    assert result.status == "ok"
    assert [ln.text for ln in result.lines[:3]] == [
        "ATLANTA (AP) Chapter 2. Getting Started",
        "(1) The first thing to do after you open the box is to hook up a battery and charge it if necessary.",
        "金额(小写) 2.1. Batteries",
    ]


def test_a_looping_spotting_output_is_cut_and_the_page_falls_back(engine: HunyuanVllmOcr, fake: FakeHunyuanServer) -> None:
    fake.fail("repeat", task="spotting")
    result = engine.read_page(photo("altusmetrum", shrink=3))
    assert result.status == "fallback" and result.engine == "pp-ocrv6-tiny"
    assert "repeating itself" in result.error
    assert len(result.lines) > 10  # the CPU engine read the page
    (recorded,) = fake.completions("spotting")
    assert recorded.outcome == "client-closed"  # the client hung up ...
    assert recorded.events_sent < 4000  # ... long before the 16,384 tokens on offer


def test_a_looping_doc_parse_keeps_the_lines_without_blocks(engine: HunyuanVllmOcr, fake: FakeHunyuanServer) -> None:
    fake.fail("repeat", task="doc_parse")
    result = engine.read_page(photo("altusmetrum", shrink=3))
    assert result.status == "ok" and len(result.lines) == len(truth("altusmetrum").lines)
    assert result.blocks is None and "repeating itself" in result.extra["doc_parse"]


@pytest.mark.parametrize(("mode", "message"), [("coords_only", "coordinates without text"), ("malformed", "malformed")])
def test_unusable_spotting_output_falls_back(engine: HunyuanVllmOcr, fake: FakeHunyuanServer, mode: str, message: str) -> None:
    fake.fail(mode, task="spotting")
    result = engine.read_page(photo("nrpe", shrink=3))
    assert result.status == "fallback" and message in result.error
    assert any("make" in ln.text for ln in result.lines)
    assert len(fake.completions("spotting")) == 1  # bad output is not retried


# -- server problems ----------------------------------------------------------------------------


def test_a_500_is_retried(engine: HunyuanVllmOcr, fake: FakeHunyuanServer) -> None:
    fake.fail("http500", task="spotting")
    result = engine.read_page(photo("nrpe"))
    assert result.status == "ok"
    assert [r.outcome for r in fake.completions("spotting")] == ["http500", "ok"]


def test_persistent_500s_fall_back_after_bounded_retries(engine: HunyuanVllmOcr, fake: FakeHunyuanServer) -> None:
    fake.fail("http500", task="spotting", times=10)
    result = engine.read_page(photo("nrpe", shrink=3))
    assert result.status == "fallback" and "answered 500" in result.error
    assert len(fake.completions("spotting")) == FAST.attempts


def test_a_429_waits_for_retry_after(engine: HunyuanVllmOcr, fake: FakeHunyuanServer) -> None:
    fake.fail("http429", task="spotting", retry_after="0.4")
    started = time.perf_counter()
    result = engine.read_page(photo("nrpe"))
    assert result.status == "ok"
    assert time.perf_counter() - started >= 0.4
    assert [r.outcome for r in fake.completions("spotting")] == ["http429", "ok"]


@pytest.mark.parametrize("mode", ["slow", "stall", "drop"])
def test_a_timeout_or_broken_stream_is_retried(fake: FakeHunyuanServer, cpu: OcrEngine, mode: str) -> None:
    fake.fail(mode, task="spotting", seconds=1.5)
    engine = make_engine(fake.base_url, cpu, timeout=0.5)
    try:
        result = engine.read_page(photo("tlsh"))
    finally:
        engine.close()
    assert result.status == "ok" and result.blocks is not None
    assert [r.outcome for r in fake.completions("spotting")] == [mode, "ok"]


def test_a_server_that_stays_slow_gives_a_fallback_page(fake: FakeHunyuanServer, cpu: OcrEngine) -> None:
    fake.fail("slow", task="spotting", times=3, seconds=1.0)
    engine = make_engine(fake.base_url, cpu, timeout=0.3)
    try:
        result = engine.read_page(photo("tlsh", shrink=3))
    finally:
        engine.close()
    assert result.status == "fallback" and "no answer within 0.3s" in result.error


def test_connection_refused_names_the_url_and_the_fix(cpu: OcrEngine) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    engine = make_engine(url, cpu)
    pages = [page_image(path, page=i + 1, shrink=3) for i, path in enumerate(PHOTOS[:2])]
    started = time.perf_counter()
    results = engine.read_pages(pages)
    engine.close()
    assert [r.status for r in results] == ["fallback", "fallback"]
    first = results[0].error
    assert url in first and "refused" in first
    assert "scripts/serve-hunyuan.sh" in first and "FOLIO_OCR_ENGINE=cpu" in first
    assert all(r.lines for r in results)
    assert time.perf_counter() - started < 10


def test_server_going_away_mid_document_loses_no_page(cpu: OcrEngine) -> None:
    pages = [page_image(path, page=i + 1, shrink=3) for i, path in enumerate(PHOTOS)]
    with FakeHunyuanServer(MINI) as fake:
        fake.fail("go_away", after=4)  # pages 1 and 2 (two requests each) are answered
        engine = make_engine(fake.base_url, cpu, concurrency=1)
        results = engine.read_pages(pages)
        engine.close()
    assert [r.status for r in results] == ["ok", "ok", "fallback", "fallback", "fallback"]
    assert all(r.lines for r in results)
    assert "refused the connection" in results[2].error
    assert "not retried" in results[3].error  # later pages do not wait on retries


def test_doc_parse_failures_keep_the_spotted_lines(engine: HunyuanVllmOcr, fake: FakeHunyuanServer) -> None:
    fake.fail("http500", task="doc_parse", times=3)
    result = engine.read_page(photo("cyberjack"))
    assert result.status == "ok" and result.blocks is None
    assert len(result.lines) == len(truth("cyberjack").lines)
    assert result.extra["doc_parse"].startswith("failed:")


def test_wrong_model_name_or_key_is_a_clear_fallback_reason(fake: FakeHunyuanServer, cpu: OcrEngine) -> None:
    engine = make_engine(fake.base_url, cpu, hunyuan_model="tencent/HunyuanOCR-typo")
    wrong_model = engine.read_page(photo("nrpe", shrink=3))
    engine.close()
    assert wrong_model.status == "fallback" and "FOLIO_HUNYUAN_MODEL" in wrong_model.error
    fake.api_key = "s3cret"
    engine = make_engine(fake.base_url, cpu)
    try:
        no_key = engine.read_page(photo("nrpe", shrink=3))
    finally:
        fake.api_key = None
        engine.close()
    assert no_key.status == "fallback" and "FOLIO_HUNYUAN_API_KEY" in no_key.error


def test_engine_satisfies_the_protocol(engine: HunyuanVllmOcr) -> None:
    assert isinstance(engine, OcrEngine)
    assert isinstance(engine.read_pages([]), list)


def test_a_blank_page_has_no_lines(engine: HunyuanVllmOcr) -> None:
    blank = PageImage(page=1, image=Image.new("RGB", (800, 1000), "white"), source="blank.png")
    result: OcrPage = engine.read_page(blank)
    assert result.status == "ok" and result.lines == () and result.blocks == ()
