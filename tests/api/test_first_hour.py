"""The API as a first-time client meets it: the seed's OCR client, offline docs, a request log."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from PIL import Image

from api.access_log import AccessLog
from api.app import create_app
from api.services import Services
from assistant.settings import Settings
from tests.api.conftest import API, AUTH, photo

ROOT = Path(__file__).parents[2]


def small_png() -> bytes:
    image = Image.open(photo("nrpe")).convert("RGB")
    buf = io.BytesIO()
    image.crop((0, 0, image.width, image.height // 4)).save(buf, format="PNG")
    return buf.getvalue()


def test_ocr_takes_the_field_image_as_the_seed_client_sends_it(client: TestClient) -> None:
    response = client.post("/ocr", files={"image": ("top.png", small_png(), "image/png")})
    assert response.status_code == 200, response.text
    lines = response.json()["text_lines"]
    assert lines and all(set(line) >= {"text", "bbox"} and len(line["bbox"]) == 4 for line in lines)
    assert "nrpe" in " ".join(line["text"] for line in lines).lower()
    neither = client.post("/ocr", files={"picture": ("top.png", small_png(), "image/png")})
    assert neither.status_code == 422 and "'file' (or 'image')" in neither.json()["message"]


def test_docs_are_served_without_a_cdn_and_the_root_points_to_them(client: TestClient) -> None:
    page = client.get("/docs", headers={"Authorization": ""})
    assert page.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower() and "http://" not in page.text and "https://" not in page.text
    script = client.get("/docs-assets/swagger-ui-bundle.js", headers={"Authorization": ""})
    assert script.status_code == 200 and len(script.content) > 100_000
    assert client.get("/docs-assets/swagger-ui.css", headers={"Authorization": ""}).status_code == 200
    root = client.get("/", headers={"Authorization": ""})
    assert root.status_code == 200 and root.json()["docs"] == "/docs" and root.json()["openapi"] == "/openapi.json"


def test_each_request_is_one_log_line_without_secrets(settings: Settings, services: Services) -> None:
    lines: list[str] = []
    with TestClient(AccessLog(create_app(settings, API, services), write=lines.append)) as c:
        c.get("/healthz")
        c.get("/documents?token=abc", headers=AUTH)
        c.get("/documents")
    assert len(lines) == 3
    assert lines[0].endswith(" ms") and " GET /healthz 200 " in lines[0]
    assert " GET /documents 200 " in lines[1] and " GET /documents 401 " in lines[2]
    assert not any("abc" in line or "test-key" in line for line in lines)


def test_folio_serve_says_where_it_listens_and_logs_requests(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "FOLIO_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180
            while True:
                assert proc.poll() is None, log.read_text()[-2000:]
                assert time.monotonic() < deadline, "folio serve did not come up"
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/docs", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.3)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = log.read_text()
    assert f"on http://127.0.0.1:{port} (docs: http://127.0.0.1:{port}/docs)" in text
    assert " GET /docs 200 " in text


def test_ask_over_http_follows_a_topic_switch_and_a_follow_up(client: TestClient, stored: dict[str, str]) -> None:
    built = client.post("/ask", json={"question": "How do I build the NRPE daemon?"}).json()
    history = [{"role": "user", "text": "How do I build the NRPE daemon?"}, {"role": "assistant", "text": built["answer"]}]
    switch = client.post("/ask", json={"question": "What is the e-mail address of REINER SCT support?", "history": history})
    assert switch.status_code == 200, switch.text
    out = switch.json()
    assert not out["abstained"] and "support@reiner-sct.com" in out["answer"]
    assert out["citations"][0]["doc_id"] == stored["cyberjack-handbuch_p005.jpg"] and out["citations"][0]["source"] == "cyberjack-handbuch_p005.jpg"
    history = [{"role": "user", "text": "How do I test the NRPE daemon locally?"}, {"role": "assistant", "text": "..."}]
    follow = client.post("/ask", json={"question": "Which port should it be listening on?", "history": history}).json()
    assert not follow["abstained"] and "nrpe" in follow["answer"].lower()
    assert {c["doc_id"] for c in follow["citations"]} == {stored["nrpe-guide_p006.jpg"]}
