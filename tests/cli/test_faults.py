"""Faults of the machine end as one line naming the problem and what to do, and ``--json`` still prints
JSON (issue 16.10): a read-only data dir, a damaged chroma.sqlite3, a full disk, a Chroma server that
dies during an ingest, a folder nested 1200 levels deep, and a reader that closes the pipe.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from cli.main import main
from tests.ingest.fake_ocr import FixedOcr

ROOT = Path(__file__).parents[2]
TIMEOUT = 180


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and len(lines) == 1 and lines[0].startswith("folio: "), err[-2000:]
    return lines[0]


def json_error(out: str) -> str:
    return str(json.loads(out)["error"])


def images(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(n):
        paths.append(folder / f"page{k}.png")
        Image.new("RGB", (200 + k, 300), "white").save(paths[-1])
    return paths


@pytest.fixture(autouse=True)
def _in_process_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages read in this process, so the faults injected here reach them (worker processes have their own)."""
    monkeypatch.setenv("FOLIO_WORKERS", "1")


@pytest.fixture()
def fixed_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.ocr

    monkeypatch.setattr(ingest.ocr, "build_ocr", lambda cfg: FixedOcr())


def folio(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_damaged_chroma_sqlite3_is_one_line(tmp_path: Path, _data_dir: Path, capsys: pytest.CaptureFixture[str],
                                              fixed_ocr: None) -> None:
    assert folio(["ingest", *map(str, images(tmp_path / "in", 1)), "--collection", "c"], capsys)[0] == 0
    db = _data_dir / "chroma" / "chroma.sqlite3"
    data = bytearray(db.read_bytes())
    data[100:8192] = os.urandom(8092)  # a disk fault in the page tree
    copy = tmp_path / "other-data"
    shutil.copytree(_data_dir, copy)  # a fresh path: Chroma keeps one open store per path in a process
    (copy / "chroma" / "chroma.sqlite3").write_bytes(bytes(data))
    os.environ["FOLIO_DATA_DIR"] = str(copy)
    for args in (["ask", "How long do I press reset?", "--collection", "c", "--json"], ["docs", "delete", "0123456789abcdef", "--collection", "c", "--json"]):
        code, out, err = folio(args, capsys)
        line = one_error_line(err)
        assert code == 1 and "vector store" in line and "damaged" in line and json_error(out) in line


def test_a_full_disk_during_ingest_is_one_line_and_stores_nothing(tmp_path: Path, _data_dir: Path,
                                                                   capsys: pytest.CaptureFixture[str], fixed_ocr: None,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = images(tmp_path / "in", 2)
    assert folio(["ingest", str(first), "--collection", "c"], capsys)[0] == 0
    import ingest.run

    real_write = ingest.run.write_page_files

    def write_page_files(pages_dir, files):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device", str(pages_dir))

    monkeypatch.setattr(ingest.run, "write_page_files", write_page_files)
    code, out, err = folio(["ingest", str(second), "--collection", "c", "--json"], capsys)
    line = one_error_line(err)
    assert code == 1 and "disk is full" in line and json_error(out) in line
    monkeypatch.setattr(ingest.run, "write_page_files", real_write)
    code, out, _ = folio(["docs", "list", "--collection", "c", "--json"], capsys)
    assert code == 0 and len(json.loads(out)["documents"]) == 1
    assert not any((_data_dir / "collections" / "c" / ".staging").iterdir())


def test_a_folder_nested_1200_levels_deep_is_ingested(tmp_path: Path, capsys: pytest.CaptureFixture[str], fixed_ocr: None) -> None:
    top = tmp_path / "deep"
    images(top, 1)
    folders = [str(top)]
    for _ in range(1200):  # os.makedirs and shutil.rmtree recurse: too deep for them
        folders.append(os.path.join(folders[-1], "d"))
        os.mkdir(folders[-1])
    Image.new("RGB", (240, 300), "white").save(os.path.join(folders[-1], "bottom.png"))
    try:
        code, out, err = folio(["ingest", str(top), "--collection", "c", "--json"], capsys)
    finally:
        os.remove(os.path.join(folders[-1], "bottom.png"))
        for folder in reversed(folders[1:]):
            os.rmdir(folder)
    assert code == 0, err[-2000:]
    assert sorted(d["source"] for d in json.loads(out)["documents"]) == ["bottom.png", "page0.png"]


def test_a_chroma_server_dying_during_an_ingest_is_one_line_per_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.ocr
    from tests.chroma_server import ChromaServer, free_port

    server = ChromaServer(tmp_path / "server", free_port()).start()
    try:
        read = []

        class DyingServerOcr(FixedOcr):
            def read_page(self, page):  # type: ignore[no-untyped-def]
                read.append(page.source)
                if len(read) == 3:
                    server.stop()  # the server dies while the third file is being read
                return super().read_page(page)

        monkeypatch.setattr(ingest.ocr, "build_ocr", lambda cfg: DyingServerOcr())
        monkeypatch.setenv("FOLIO_CHROMA_HOST", server.host)
        monkeypatch.setenv("FOLIO_CHROMA_PORT", str(server.port))
        code, out, err = folio(["ingest", *map(str, images(tmp_path / "in", 3)), "--collection", "c", "--json"], capsys)
    finally:
        server.stop()
    assert code == 1 and "Traceback" not in err
    reports = json.loads(out)["documents"]
    failed = [r for r in reports if r["error"]]
    assert reports[0]["error"] == "" and failed and all("stopped answering" in r["error"] for r in failed), reports
    errors = [line for line in err.splitlines() if line.startswith("folio: ")]
    assert len(errors) == len(failed) and all("\n" not in r["error"] for r in reports)


NO_OVERRIDE = ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]


def run_cli(args: list[str], data_dir: Path, *, obey_modes: bool = False, close_stdout: bool = False) -> subprocess.CompletedProcess[str]:
    """``folio ARGS`` in a subprocess; ``obey_modes``: as root, without the right to ignore file modes."""
    env = {"FOLIO_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    command = [sys.executable, "-m", "cli.main", *args]
    if obey_modes and os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: a read-only folder cannot be made")
        command = NO_OVERRIDE + command
    if not close_stdout:
        return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT, env=env)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    proc.stdout.close()  # type: ignore[union-attr]  # `| head` that has read all it wants
    err = proc.stderr.read()  # type: ignore[union-attr]
    code = proc.wait(timeout=TIMEOUT)
    return subprocess.CompletedProcess(proc.args, code, "", err)


def set_modes(root: Path, folders: int, files: int) -> None:
    for here, dirs, names in os.walk(root):
        for name in dirs:
            os.chmod(os.path.join(here, name), folders)
        for name in names:
            os.chmod(os.path.join(here, name), files)


def test_a_read_only_data_dir_is_one_line_for_ask_ingest_and_delete(tmp_path: Path, _data_dir: Path, fixed_ocr: None,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (page,) = images(tmp_path / "in", 1)
    assert folio(["ingest", str(page), "--collection", "c"], capsys)[0] == 0
    doc_id = json.loads(folio(["docs", "list", "--collection", "c", "--json"], capsys)[1])["documents"][0]["doc_id"]
    other = images(tmp_path / "in2", 2)[1]
    set_modes(_data_dir, 0o555, 0o444)
    _data_dir.chmod(0o555)
    try:
        for args in (["ingest", str(other), "--collection", "c", "--json"], ["docs", "delete", doc_id, "--collection", "c", "--json"],
                     ["ask", "How long do I press reset?", "--collection", "c", "--json"]):
            out = run_cli(args, _data_dir, obey_modes=True)
            if args[0] == "ask" and out.returncode == 0:  # reading may work on a read-only disk: then it must answer
                assert json.loads(out.stdout)["answer"], out.stdout
                continue
            line = one_error_line(out.stderr)
            assert out.returncode == 1 and json_error(out.stdout) in line, (args, out.stdout, out.stderr)
            assert "writable" in line or "read-only" in line, line
    finally:
        set_modes(_data_dir, 0o755, 0o644)
        _data_dir.chmod(0o755)
    assert folio(["docs", "list", "--collection", "c", "--json"], capsys)[0] == 0


def test_a_closed_pipe_is_not_a_traceback(tmp_path: Path, _data_dir: Path) -> None:
    out = run_cli(["ask", "How do I reset it?"], _data_dir, close_stdout=True)
    assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr, out.stderr[-2000:]
    assert out.returncode == 141


def test_an_ask_while_the_disk_is_full_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], fixed_ocr: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from chromadb.api.models.Collection import Collection
    from chromadb.errors import InternalError

    assert folio(["ingest", *map(str, images(tmp_path / "in", 1)), "--collection", "c"], capsys)[0] == 0

    def full(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise InternalError("error returned from database: (code: 13) database or disk is full")

    monkeypatch.setattr(Collection, "query", full)  # what SQLite says when a query needs space it cannot get
    code, out, err = folio(["ask", "How long do I press the reset button?", "--collection", "c", "--json"], capsys)
    line = one_error_line(err)
    assert code == 1 and "is full" in line and json_error(out) in line
