"""``folio doctor``, ``folio extract`` and ``folio translate`` against the fake HunyuanOCR server."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.main import main
from tests.fakes.hunyuan_server import FakeHunyuanServer

MINI = Path(__file__).parent.parent / "data" / "devset-mini"
NRPE = MINI / "images" / "photo" / "nrpe-guide_p006.jpg"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeHunyuanServer]:
    with FakeHunyuanServer(MINI) as fake:
        yield fake


@pytest.fixture()
def hunyuan_env(server: FakeHunyuanServer, monkeypatch: pytest.MonkeyPatch) -> FakeHunyuanServer:
    server.reset()
    monkeypatch.setenv("FOLIO_HUNYUAN_BASE_URL", server.base_url)
    monkeypatch.setenv("FOLIO_HUNYUAN_TIMEOUT", "5")
    return server


def test_doctor_passes_with_a_reachable_server(hunyuan_env: FakeHunyuanServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--engine", "hunyuan"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ok") and "hunyuan server" in out[0] and "serves tencent/HunyuanOCR" in out[0]
    assert out[1].startswith("ok") and "cpu ocr engine" in out[1] and "pp-ocrv6" in out[1]
    assert out[2].startswith("ok") and "data dir" in out[2] and "writable" in out[2]
    embedder = next(line for line in out if "embedder" in line)
    assert embedder.startswith("ok") and "all-MiniLM-L6-v2 loaded, 384 dimensions" in embedder


def test_doctor_skips_the_server_when_none_is_configured(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("skip") and "FOLIO_HUNYUAN_BASE_URL" in first


def test_doctor_fails_when_the_server_is_required_and_down(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("FOLIO_HUNYUAN_BASE_URL", f"http://127.0.0.1:{port}/v1")
    assert main(["doctor", "--engine", "hunyuan"]) == 1
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("FAIL") and f"127.0.0.1:{port}" in first and "refused" in first
    assert main(["doctor", "--engine", "cpu"]) == 0  # the same server down is only a warning for the cpu engine
    assert capsys.readouterr().out.startswith("warn")


def test_doctor_names_a_model_the_server_does_not_serve(hunyuan_env: FakeHunyuanServer, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FOLIO_HUNYUAN_MODEL", "tencent/HunyuanOCR-1.5-typo")
    assert main(["doctor", "--engine", "hunyuan", "--json"]) == 1
    checks = json.loads(capsys.readouterr().out)["checks"]
    assert checks[0]["ok"] is False and "FOLIO_HUNYUAN_MODEL" in checks[0]["detail"]


def test_extract_prints_the_fields_as_json(hunyuan_env: FakeHunyuanServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(NRPE), "--fields", "Last Edited, Page, Warranty"]) == 0
    assert json.loads(capsys.readouterr().out) == {"Last Edited": "2017-11-17", "Page": "6 of 21", "Warranty": ""}
    (request,) = hunyuan_env.completions("extract")
    assert request.body["messages"][1]["content"][1]["text"] == "提取图片中的: ['Last Edited','Page','Warranty'] 的字段内容，并按照 JSON 格式返回。"


def test_translate_sends_the_official_prompt(hunyuan_env: FakeHunyuanServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", str(NRPE), "--to", "zh"]) == 0
    assert "make install" in capsys.readouterr().out  # the fake answers with the page text: it cannot translate
    assert [r.task for r in hunyuan_env.completions()] == ["translate_zh"]


def test_extract_without_a_server_says_what_to_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(NRPE), "--fields", "Page"]) == 1
    assert "FOLIO_HUNYUAN_BASE_URL" in capsys.readouterr().err
