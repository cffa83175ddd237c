"""What a new user types in the first hour, through the real ``folio`` entry point (a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def folio(*args: str, data_dir: Path, code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FOLIO_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "cli.main", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)


def test_version_and_bare_folio_prints_help(_data_dir: Path) -> None:
    version = folio("--version", data_dir=_data_dir)
    assert version.returncode == 0 and version.stdout.startswith("folio ")
    bare = folio(data_dir=_data_dir)
    assert bare.returncode == 0 and "usage: folio" in bare.stdout and "ingest" in bare.stdout and bare.stderr == ""


def test_a_mistyped_command_gets_a_suggestion(_data_dir: Path) -> None:
    out = folio("aks", "how do I reset it", data_dir=_data_dir)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == ["folio: unknown command 'aks'; did you mean 'folio ask'? ('folio --help' lists them)"]
    far = folio("-v", "xyzzy", data_dir=_data_dir)
    assert far.returncode == 2 and "the commands are: ingest, ask" in far.stderr


def test_an_empty_question_is_a_usage_error(_data_dir: Path) -> None:
    out = folio("ask", "  ", data_dir=_data_dir)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("folio: the question is empty") == 1


# The check must come before the embedder or the OCR engine is even imported.
NO_MODELS = """
import sys
from cli.main import main
code = main(sys.argv[1:])
heavy = sorted(m for m in ("torch", "sentence_transformers", "rapidocr", "onnxruntime", "chromadb") if m in sys.modules)
print("loaded:", ",".join(heavy))
sys.exit(code)
"""


def test_a_missing_path_fails_once_before_any_model_loads(_data_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-photos"
    out = folio("ingest", str(missing), data_dir=_data_dir, code=NO_MODELS)
    assert out.returncode == 1 and out.stdout.strip() == "loaded:"
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0] and "no such file or folder" in lines[0]
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a photo")
    out = folio("ingest", str(empty), data_dir=_data_dir, code=NO_MODELS)
    assert out.returncode == 1 and out.stdout.strip() == "loaded:" and "no images or PDFs found" in out.stderr


def test_collections_are_listed_and_an_unknown_one_names_them(_data_dir: Path) -> None:
    (_data_dir / "collections" / "kitchen" / "docs").mkdir(parents=True)
    listed = folio("collections", data_dir=_data_dir)
    assert listed.returncode == 0 and listed.stdout.strip() == "kitchen  0 documents, 0 pages"
    unknown = folio("ask", "how", "do", "I", "reset", "it", "--collection", "kitchn", data_dir=_data_dir, code=NO_MODELS)
    assert unknown.returncode == 1 and "loaded:" in unknown.stdout
    assert unknown.stderr.strip() == "folio: no collection 'kitchn'; the collections are: kitchen (choose one with --collection)"
    docs = folio("docs", "list", "--collection", "kitchn", data_dir=_data_dir)
    assert docs.returncode == 1 and "the collections are: kitchen" in docs.stderr


def test_plural_counts() -> None:
    from cli.console import plural

    assert [plural(1, "page"), plural(0, "page"), plural(21, "page"), plural(2, "document")] == ["1 page", "0 pages", "21 pages", "2 documents"]


def test_config_names_each_variable_and_where_its_value_came_from(_data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("FOLIO_TOP_K=7\n")
    env = {**os.environ, "FOLIO_DATA_DIR": str(_data_dir), "PYTHONPATH": str(ROOT), "FOLIO_COLLECTION": "kitchen"}
    env.pop("FOLIO_TOP_K", None)
    out = subprocess.run([sys.executable, "-m", "cli.main", "config"], capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    rows = {line.split()[0]: line for line in out.stdout.splitlines()[1:]}
    assert rows["FOLIO_TOP_K"].split()[1:] == ["7", "(.env)"]
    assert rows["FOLIO_COLLECTION"].split()[1:] == ["kitchen", "(environment)"]
    assert rows["FOLIO_READER_DEPTH"].endswith("(default)") and rows["FOLIO_DATA_DIR"].endswith("(environment)")
    as_json = subprocess.run([sys.executable, "-m", "cli.main", "config", "--json"], capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)
    import json

    origins = json.loads(as_json.stdout)["origins"]
    assert origins["top_k"] == {"variable": "FOLIO_TOP_K", "origin": ".env"} and json.loads(as_json.stdout)["top_k"] == 7


def test_piped_ingest_output_has_no_bars_no_wrapping_and_right_plurals(_data_dir: Path, tmp_path: Path) -> None:
    photo = ROOT / "tests" / "data" / "devset-mini" / "images" / "photo" / "cyberjack-handbuch_p005.jpg"
    env = {**os.environ, "FOLIO_DATA_DIR": str(_data_dir), "PYTHONPATH": str(ROOT), "COLUMNS": "40"}
    out = subprocess.run([sys.executable, "-m", "cli.main", "-v", "ingest", str(photo), "--collection", "c"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stderr.splitlines() if not line.startswith(("INFO ", "DEBUG "))]
    assert len(lines) == 1, out.stderr  # one unwrapped line although COLUMNS is 40
    assert lines[0].startswith(f"stored {photo.name} as ") and ": 1 page (1 ok), " in lines[0]
    assert "━" not in out.stderr and "Batches" not in out.stderr and "it/s" not in out.stderr


def test_doctor_checks_the_embedder_the_store_and_the_configured_chat_and_ocr_servers(_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import socket

    from tests.assistant.fake_openai import FakeChatServer, Reply

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens here once the socket is closed
    with FakeChatServer([Reply(pieces=["ok."])]) as llm:
        for name, value in {"FOLIO_ANSWERER": "openai", "FOLIO_LLM_BASE_URL": llm.base_url, "FOLIO_LLM_MODEL": "fake-model",
                            "FOLIO_HUNYUAN_BASE_URL": f"http://127.0.0.1:{closed}/v1"}.items():
            monkeypatch.setenv(name, value)  # the child process inherits them
        out = folio("doctor", "--json", data_dir=_data_dir)
    assert out.returncode == 0, out.stderr  # the OCR server is optional while FOLIO_OCR_ENGINE is cpu
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    assert checks["chat server"]["ok"] and "serves fake-model" in checks["chat server"]["detail"], checks
    assert checks["vector store"]["ok"] and checks["embedder"]["ok"] and "dimensions" in checks["embedder"]["detail"], checks
    ocr = [c for name, c in checks.items() if "hunyuan" in name.lower()]
    assert ocr and not ocr[0]["ok"] and str(closed) in ocr[0]["detail"], checks
