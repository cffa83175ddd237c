"""Readers see what another process commits (issue 16.11): ``folio serve`` (and the app's assistant)
beside ``folio ingest`` in another process, on one embedded store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image

from api.app import create_app
from api.services import Engines, Services
from assistant.settings import Settings
from storage.chroma import open_client
from tests.api.conftest import API, AUTH

ROOT = Path(__file__).parents[2]


def ingest_elsewhere(data_dir: Path, collection: str, name: str, folder: Path) -> str:
    """Ingest one page named ``name`` in another process; its doc id."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    Image.new("RGB", (200 + len(name), 300), "white").save(path)
    out = subprocess.run([sys.executable, "-m", "tests.ingest.other_process", str(data_dir), collection, str(path)],
                         capture_output=True, text=True, timeout=180, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.split()[0]


def test_the_api_and_the_app_see_documents_another_process_ingests(engines: Engines, tmp_path: Path) -> None:
    """Before: every /ask after the other process's commit was a 500 ("Error finding id") until a restart.
    The app caches one ``Assistant`` over ``open_store`` (ui/app.py): the same exposure, checked alongside."""
    from assistant.service import Assistant, ask
    from assistant.wiring import open_store

    settings = Settings(data_dir=tmp_path / "data", collection="shared", _env_file=None)  # type: ignore[call-arg]
    first = ingest_elsewhere(settings.data_dir, "shared", "alpha.png", tmp_path / "in")
    mine = Engines(embedder=engines.embedder, client=open_client(settings.store, settings.data_dir), ocr=engines.ocr)
    services = Services(settings, API, engines=mine)
    app_assistant = Assistant(settings, open_store(settings, "shared"))
    try:
        with TestClient(create_app(settings, API, services), headers=AUTH) as client:
            asked = client.post("/ask", json={"question": "How long do I press the reset button of alpha.png?"})
            assert asked.status_code == 200 and first in {p["doc_id"] for p in asked.json()["pages"]}, asked.text
            assert first in {p.doc_id for p in ask("How long do I press the reset button of alpha.png?", app_assistant).pages}

            second = ingest_elsewhere(settings.data_dir, "shared", "omega.png", tmp_path / "in")
            for _ in range(2):
                asked = client.post("/ask", json={"question": "How long do I press the reset button of omega.png?"})
                assert asked.status_code == 200, asked.text
                assert second in {p["doc_id"] for p in asked.json()["pages"]}
            assert {d["doc_id"] for d in client.get("/documents").json()["documents"]} == {first, second}
            answer = ask("How long do I press the reset button of omega.png?", app_assistant, doc_ids=[second])
            assert second in {p.doc_id for p in answer.pages}
    finally:
        services.close()
