"""'folio ui': how Streamlit is started, and the rule that serving beyond localhost needs a token."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from cli.main import main
from storage.errors import ConfigError
from storage.library import Library
from tests.ui.conftest import PHOTO, serve_folio_ui
from ui.auth import is_loopback, token_matches, token_required
from ui.launch import Launch, check_exposure, streamlit_command


def test_streamlit_runs_headless_without_telemetry_or_dev_tools() -> None:
    argv = streamlit_command(Launch(host="127.0.0.1", port=8599, max_upload_mb=50))
    options = dict(zip(argv[5::2], argv[6::2], strict=True))
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[4].endswith("ui/app.py")
    assert options["--server.address"] == "127.0.0.1" and options["--server.port"] == "8599"
    assert options["--server.headless"] == "true" and options["--browser.gatherUsageStats"] == "false"
    assert options["--client.showErrorDetails"] == "none" and options["--client.toolbarMode"] == "viewer"
    assert options["--server.enableStaticServing"] == "false" and options["--server.maxUploadSize"] == "50"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_hosts_need_no_token(host: str) -> None:
    assert is_loopback(host) and not token_required(host, "")
    check_exposure(host, "")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "folio.example.org", None])
def test_other_hosts_need_a_token(host: str | None) -> None:
    assert not is_loopback(host) and token_required(host, "")
    if host:
        with pytest.raises(ConfigError, match="FOLIO_UI_TOKEN"):
            check_exposure(host, "")
        check_exposure(host, "s3cret")


def test_token_comparison() -> None:
    assert token_matches("s3cret", "s3cret")
    assert not token_matches("s3cre", "s3cret") and not token_matches("", "")


def test_folio_ui_refuses_to_expose_the_app_without_a_token(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOLIO_UI_TOKEN", raising=False)
    assert main(["ui", "--host", "0.0.0.0", "--port", "8599"]) == 1
    err = capsys.readouterr().err
    assert "FOLIO_UI_TOKEN" in err and "Traceback" not in err


def test_folio_ui_ingests_the_given_pages_then_serves_on_localhost_only(tmp_path: Path) -> None:
    with serve_folio_ui(tmp_path, "--collection", "samples", "--ingest", str(PHOTO)) as url:
        assert httpx.get(url, timeout=5).status_code == 200
        assert [r.source for r in Library(tmp_path / "data").list("samples")] == [PHOTO.name]
        port = int(url.rsplit(":", 1)[1])
        assert listening_addresses(port) == {"127.0.0.1"}


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(_address(address))
    return found


def _address(hex_address: str) -> str:
    if len(hex_address) == 8:
        return socket.inet_ntop(socket.AF_INET, bytes.fromhex(hex_address)[::-1])
    words = bytes.fromhex(hex_address)
    return socket.inet_ntop(socket.AF_INET6, b"".join(words[i : i + 4][::-1] for i in range(0, 16, 4)))


def test_stopping_folio_ui_stops_streamlit(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.ui.conftest import free_port, wait_healthy

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "FOLIO_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(Path(__file__).parents[2])}
    log = tmp_path / "ui.log"
    for sig in (signal.SIGTERM, signal.SIGINT):
        with log.open("w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "cli.main", "ui", "--port", str(port)], env=env, cwd=tmp_path,
                                    stdout=out, stderr=subprocess.STDOUT)
            try:
                wait_healthy(url, proc, log)
                proc.send_signal(sig)
                assert proc.wait(timeout=30) == 0, log.read_text()[-2000:]
            finally:
                if proc.poll() is None:
                    proc.kill()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/_stcore/health", timeout=1)
            except httpx.TransportError:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"Streamlit still serves {url} after 'folio ui' got {sig.name}")


def test_a_busy_port_is_one_line_with_the_way_out(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        code = main(["ui", "--port", str(port)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1
    assert f"port {port} on 127.0.0.1 is already in use" in err and f"--port {port + 1}" in err
