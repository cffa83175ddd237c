"""A verb imports what it needs: help and bad input answer before any model or heavy library loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _run(code: str, tmp_path: Path) -> dict[str, bool]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FOLIO_DATA_DIR": str(tmp_path / "data")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])  # type: ignore[no-any-return]


HEAVY = "['torch', 'sentence_transformers', 'chromadb', 'llama_index', 'pydantic', 'numpy', 'onnxruntime']"


def test_help_loads_no_library(tmp_path: Path):
    loaded = _run(f"""
import contextlib, io, json, sys
from cli.main import main
with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
    main(["--help"])
print(json.dumps({{m: m in sys.modules for m in {HEAVY}}}))""", tmp_path)
    assert not any(loaded.values()), loaded


def test_ingest_of_a_missing_path_fails_before_any_model_loads(tmp_path: Path):
    loaded = _run(f"""
import contextlib, io, json, sys
from cli.main import main
err = io.StringIO()
with contextlib.redirect_stderr(err):
    rc = main(["ingest", "no-such-folder"])
assert rc == 1 and "no-such-folder: no such file" in err.getvalue(), err.getvalue()
print(json.dumps({{m: m in sys.modules for m in ['torch', 'sentence_transformers', 'chromadb', 'onnxruntime']}}))""", tmp_path)
    assert not any(loaded.values()), loaded


def test_ask_loads_neither_torch_nor_llama_index(tmp_path: Path):
    # FOLIO_MODELS_DIR (tests/conftest.py) holds the ONNX export once a test has made it; make sure it exists.
    from storage.config import StoreSettings
    from storage.embed import build_embedder

    build_embedder(StoreSettings(), Path(os.environ["FOLIO_MODELS_DIR"]))
    loaded = _run("""
import contextlib, io, json, sys
from cli.main import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    rc = main(["ask", "How do I restart CUPS?"])
assert rc == 0 and "no documents" in out.getvalue(), out.getvalue()
print(json.dumps({m: m in sys.modules for m in ['torch', 'sentence_transformers', 'llama_index']}))""", tmp_path)
    assert not any(loaded.values()), loaded
