"""Shared fixtures: every test gets its own data dir; heavy components are built once per session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# The ONNX export of the question embedder (tens of seconds, torch) is made once for every test session.
os.environ.setdefault("FOLIO_MODELS_DIR", str(Path(tempfile.gettempdir()) / "folio-test-models"))

DATA = Path(__file__).parent / "data"
MINI = DATA / "devset-mini"


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point FOLIO_DATA_DIR at a temp folder and ignore any .env of the developer."""
    data_dir = tmp_path / "folio-data"
    monkeypatch.setenv("FOLIO_DATA_DIR", str(data_dir))
    monkeypatch.chdir(tmp_path)
    return data_dir


@pytest.fixture(scope="session")
def mini_set() -> Path:
    return MINI


@pytest.fixture(scope="session")
def photo_paths() -> list[Path]:
    return sorted((MINI / "images" / "photo").glob("*.jpg"))


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    from storage.config import StoreSettings
    from storage.embed import build_embedder

    return build_embedder(StoreSettings())


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real Chroma server (``chroma run``) on a loopback port, shared by the session."""
    from tests.chroma_server import ChromaServer

    server = ChromaServer(tmp_path_factory.mktemp("chroma-server")).start()
    yield server
    server.stop()
