"""The sidebar's server probes against real HTTP: the fake HunyuanOCR server and a closed port."""

from __future__ import annotations

from tests.conftest import MINI
from tests.fakes.hunyuan_server import FakeHunyuanServer
from ui.health import probe


def test_a_server_that_serves_the_model_answers() -> None:
    with FakeHunyuanServer(MINI) as fake:
        status = probe("HunyuanOCR server", fake.base_url, "tencent/HunyuanOCR")
    assert status.ok and status.detail == "answers, serves tencent/HunyuanOCR"


def test_a_server_that_serves_another_model_is_flagged() -> None:
    with FakeHunyuanServer(MINI) as fake:
        status = probe("LLM server", fake.base_url, "qwen2.5")
    assert not status.ok and "not qwen2.5" in status.detail and "tencent/HunyuanOCR" in status.detail


def test_a_closed_port_does_not_answer(unused_port: int) -> None:
    status = probe("LLM server", f"http://127.0.0.1:{unused_port}/v1", "qwen", timeout=0.5)
    assert not status.ok and status.detail.startswith("cannot connect")


def test_a_wrong_key_is_reported() -> None:
    with FakeHunyuanServer(MINI, api_key="right") as fake:
        status = probe("HunyuanOCR server", fake.base_url, "tencent/HunyuanOCR", api_key="wrong")
    assert not status.ok and "API key" in status.detail
