"""One API over one data dir per test session: real OCR, real embedder, real Chroma, real HTTP handling.

The heavy parts (``Engines``) are built once; tests that need other settings (keys, limits, a
chat server) build another app over the same ``Engines`` and data dir. Two fixture photos are
uploaded through ``POST /documents`` once, so the ingest job path runs before anything else.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import ApiSettings
from api.services import Engines, Services
from assistant.settings import Settings
from tests.api.store_state import StoreState

MINI = Path(__file__).parents[1] / "data" / "devset-mini"
KEY = "test-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {KEY}"}
API = ApiSettings(api_keys=KEY, api_rate_per_minute=1_000_000, api_burst=100_000, api_max_upload_mb=20)
COLLECTION = "api"


def photo(part: str) -> Path:
    return next(p for p in sorted((MINI / "images" / "photo").glob("*.jpg")) if part in p.name)


def scan(part: str) -> Path:
    return next(p for p in sorted((MINI / "images" / "scan").glob("*.png")) if part in p.name)


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("api-data"), collection=COLLECTION,  # type: ignore[call-arg]
                    max_pages=100, max_pixels=40_000_000, _env_file=None)


@pytest.fixture(scope="session")
def engines(settings: Settings) -> Engines:
    return Engines.build(settings)


@pytest.fixture(scope="session")
def services(settings: Settings, engines: Engines) -> Iterator[Services]:
    services = Services(settings, API, engines=engines)
    yield services
    services.close()


@pytest.fixture(scope="session")
def client(settings: Settings, services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(settings, API, services), headers=AUTH) as c:
        yield c


def wait_job(client: TestClient, job_id: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still running after {timeout} s")


@pytest.fixture(scope="session")
def stored(client: TestClient) -> dict[str, str]:
    """Two fixture photos uploaded in one request and ingested by one job: {source name: doc_id}."""
    files = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in (photo("nrpe"), photo("cyberjack"))]
    accepted = client.post("/documents", files=files)
    assert accepted.status_code == 202, accepted.text
    job = wait_job(client, accepted.json()["job_id"])
    assert job["state"] == "done" and all(f["state"] == "done" and f["chunks"] > 0 for f in job["files"]), job
    return {f["name"]: f["doc_id"] for f in job["files"]}


@pytest.fixture()
def store_state(services: Services, stored: dict[str, str]) -> StoreState:
    """The store's state now (after the fixture documents are in), to compare with later."""
    return StoreState.of(services)
