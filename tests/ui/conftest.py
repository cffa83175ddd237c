"""UI fixtures: the app bound to loopback for AppTest, a fixture photo, and a data dir with it ingested."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

import pytest

from tests.conftest import MINI

APP = Path(__file__).parents[2] / "ui" / "app.py"
PHOTO = MINI / "images" / "photo" / "tlsh-paper_p001.jpg"
QUESTION = "How do Ssdeep, Sdhash and Nilsimsa each measure the similarity of two digests?"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the real app in headless Chromium (skipped when chromium is absent)")


@pytest.fixture
def loopback_app() -> Iterator[None]:
    """AppTest has no server: tell the app it is bound to 127.0.0.1, as 'folio ui' binds it."""
    from streamlit import config

    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", before)


@pytest.fixture(scope="module")
def ingested_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the fixture photo ingested by the real write path (collection 'default')."""
    from assistant.settings import Settings
    from assistant.wiring import ingest_seams
    from ingest.run import ingest_paths

    data_dir = tmp_path_factory.mktemp("ui-data")
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    reports = ingest_paths([PHOTO], ingest_seams(settings), settings.ingest)
    assert [r.ok for r in reports] == [True] and reports[0].chunks > 0
    return data_dir


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def unused_port() -> int:
    return free_port()


@contextmanager
def serve_folio_ui(workdir: Path, *args: str) -> Iterator[str]:
    """Run ``folio ui ARGS --port P`` with its data in ``workdir/data``; yields its URL once it is healthy."""
    port = free_port()
    env = {**os.environ, "FOLIO_DATA_DIR": str(workdir / "data")}
    folio = Path(sys.executable).with_name("folio")
    log_path = workdir / "folio-ui.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([str(folio), "ui", "--port", str(port), *args], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, proc, log_path)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"folio ui exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=1).text == "ok":
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"folio ui did not answer on {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")
