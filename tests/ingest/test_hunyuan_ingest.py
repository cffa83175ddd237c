"""The write path with the HunyuanOCR engine: fake vLLM server, real CPU fallback, real Chroma and embedder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.config import IngestSettings
from ingest.ocr.hunyuan_client import RetryPolicy
from ingest.ocr.hunyuan_vllm import HunyuanVllmOcr
from ingest.run import Seams, ingest_paths
from storage.chroma import ChromaStore, open_client
from storage.config import StoreSettings
from storage.library import Library
from storage.schema import BlockKind
from tests.fakes.hunyuan_server import FakeHunyuanServer

MINI = Path(__file__).parent.parent / "data" / "devset-mini"
PHOTOS = MINI / "images" / "photo"


@pytest.fixture()
def fake() -> Iterator[FakeHunyuanServer]:
    with FakeHunyuanServer(MINI) as server:
        yield server


@pytest.fixture()
def setup(fake: FakeHunyuanServer, embedder, _data_dir: Path) -> Iterator[tuple[Seams, IngestSettings]]:  # type: ignore[no-untyped-def]
    from ingest.ocr.cpu import CpuOcr

    # the fake server knows the fixture photos as they are: no flattening before they are sent
    cfg = IngestSettings(ocr_engine="hunyuan", hunyuan_base_url=fake.base_url, hunyuan_timeout=5.0, rectify=False)
    engine = HunyuanVllmOcr(cfg, CpuOcr(model="tiny", threads=1), retry=RetryPolicy(backoff_s=0.01, max_backoff_s=0.05))
    client = open_client(StoreSettings(), _data_dir)
    seams = Seams(engine=engine, embedder=embedder, store=ChromaStore(client, "h", embedder.model_id), library=Library(_data_dir))
    yield seams, cfg
    engine.close()


def test_ingest_through_hunyuan_keeps_its_blocks_and_boxes(setup: tuple[Seams, IngestSettings], fake: FakeHunyuanServer) -> None:
    seams, cfg = setup
    (report,) = ingest_paths([PHOTOS / "rtklib-manual_p037.jpg"], seams, cfg)
    assert report.ok and report.pages_ok == 1 and report.chunks > 0
    page = seams.library.get("h", report.doc_id).pages[0]
    assert page.engine == "hunyuan-vllm" and page.status == "ok"
    assert len(page.lines) == 79
    kinds = [b.kind for b in page.blocks]
    assert BlockKind.TABLE in kinds and kinds[-1] is BlockKind.FOOTER
    line_boxes = {ln.bbox for ln in page.lines}
    chunks = seams.store.chunks(doc_ids={report.doc_id})
    assert any("| Item | Descriptions |" in c.text for c in chunks)
    for chunk in chunks:
        assert chunk.refs
        for ref in chunk.refs:
            assert ref.bbox in line_boxes  # every citation box is a spotted line of the page
            assert 0 <= ref.start < ref.end <= len(chunk.text)
    assert {r.task for r in fake.completions()} == {"spotting", "doc_parse"}


def test_server_gone_before_ingest_falls_back_to_cpu(setup: tuple[Seams, IngestSettings], fake: FakeHunyuanServer) -> None:
    seams, cfg = setup
    fake.stop()
    (report,) = ingest_paths([PHOTOS / "nrpe-guide_p006.jpg"], seams, cfg)
    assert report.ok and report.pages_fallback == 1 and report.chunks > 0
    assert "refused the connection" in report.page_errors[0] and fake.base_url in report.page_errors[0]
    page = seams.library.get("h", report.doc_id).pages[0]
    assert page.status == "fallback" and page.engine == "pp-ocrv6-tiny" and page.blocks
    assert any("make install" in c.text for c in seams.store.chunks(doc_ids={report.doc_id}))


def test_ingest_sends_the_pages_of_a_document_concurrently(fake: FakeHunyuanServer, setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    seams, cfg = setup
    frames = [Image.open(p).convert("RGB") for p in sorted(PHOTOS.glob("*.jpg"))[:4]]
    binder = tmp_path / "binder.tiff"
    frames[0].save(binder, save_all=True, append_images=frames[1:])
    fake.delay_s = 0.2
    (report,) = ingest_paths([binder], seams, cfg)
    assert report.ok and report.pages == 4 and report.pages_fallback == 0
    assert fake.max_in_flight >= 3  # 4 pages read at once (engine concurrency 8), not one after another
    pages = seams.library.get("h", report.doc_id).pages
    assert [p.page for p in pages] == [1, 2, 3, 4] and all(p.engine.startswith("hunyuan") for p in pages)
