"""The Chroma server goes away under a running API (issue 16.12): /ask says 503 with a clear message,
/healthz says the store is down, and ``folio doctor`` checks the store too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.services import Engines, Services
from assistant.settings import Settings
from storage.chroma import open_client
from tests.api.conftest import API, AUTH
from tests.chroma_server import ChromaServer, free_port


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-server", free_port()).start()
    yield server
    server.stop()


def test_the_store_going_down_is_a_503_and_healthz_says_so(server: ChromaServer, engines: Engines, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", collection="gone", chroma_host=server.host,  # type: ignore[call-arg]
                        chroma_port=server.port, _env_file=None)
    mine = Engines(embedder=engines.embedder, client=open_client(settings.store, settings.data_dir), ocr=engines.ocr)
    services = Services(settings, API, engines=mine)
    try:
        with TestClient(create_app(settings, API, services), headers=AUTH) as client:
            assert client.get("/healthz").status_code == 200
            assert client.post("/ask", json={"question": "How do I reset it?"}).status_code == 200
            server.stop()
            for response in (client.post("/ask", json={"question": "How do I reset it?"}), client.get("/healthz")):
                body = response.json()
                assert response.status_code == 503 and response.headers["retry-after"], response.text
                assert body["error"] == "unavailable" and "stopped answering" in body["message"] and "\n" not in body["message"]
    finally:
        services.close()


def test_doctor_fails_when_the_store_does_not_answer(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from cli.main import main

    monkeypatch.setenv("FOLIO_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("FOLIO_CHROMA_PORT", str(free_port()))  # nothing listens there
    assert main(["doctor", "--json"]) == 1
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert not checks["vector store"]["ok"] and "answer" in checks["vector store"]["detail"]


def test_doctor_checks_a_damaged_embedded_store(_data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cli.main import main

    (_data_dir / "chroma").mkdir(parents=True)
    (_data_dir / "chroma" / "chroma.sqlite3").write_bytes(b"not a database at all" * 200)
    assert main(["doctor", "--json"]) == 1
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert not checks["vector store"]["ok"] and "damaged" in checks["vector store"]["detail"]
