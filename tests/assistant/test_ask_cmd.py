"""``folio ask`` on the session's ingested fixture photos."""

from __future__ import annotations

import re

import json
from pathlib import Path

import pytest

from assistant.service import Assistant
from cli.main import main


def folio(args: list[str], assistant: Assistant, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    monkeypatch.setenv("FOLIO_DATA_DIR", str(assistant.settings.data_dir))
    code = main(args)
    return code, capsys.readouterr().out


def test_json_output_has_the_documented_shape(assistant: Assistant, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = folio(["ask", "Which rnx2rtkp option sets the elevation mask?", "--collection", "mini", "--json"], assistant, monkeypatch, capsys)
    payload = json.loads(out)
    assert code == 0 and payload["abstained"] is False and payload["answer"]
    citation = payload["citations"][0]
    x0, y0, x1, y1 = citation["bbox"]
    assert 0 <= x0 < x1 and 0 <= y0 < y1 and citation["page"] == 1
    assert Path(citation["image"]).is_file() and citation["quote"] and citation["doc_id"]
    assert citation["source"] == "rtklib-manual_p037.jpg"


def test_text_output_lists_the_citations(assistant: Assistant, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = folio(["ask", "How do I update the firmware with cjflash?", "--collection", "mini"], assistant, monkeypatch, capsys)
    assert code == 0 and "cjflash" in out and re.search(r"\[1\] cyberjack-handbuch_p005\.jpg, p\. \d+  \(box \[", out)
    assert "/" not in out.split("[1] ", 1)[1].splitlines()[0], "a citation names the file, not the stored image path"


def test_openai_answerer_without_a_server_url_is_a_one_line_error(assistant: Assistant, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("FOLIO_LLM_BASE_URL", raising=False)
    code = main(["ask", "anything", "--collection", "mini", "--answerer", "openai"])
    assert code == 1 and "FOLIO_LLM_BASE_URL" in capsys.readouterr().err


def test_an_unquoted_question_through_the_real_command(assistant: Assistant) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).parents[2]
    env = {**os.environ, "FOLIO_DATA_DIR": str(assistant.settings.data_dir), "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-m", "cli.main", "-v", "ask", "How", "do", "I", "update", "the", "firmware", "with", "cjflash?",
                          "--collection", "mini", "--json"], capture_output=True, text=True, timeout=300, cwd=root, env=env)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["citations"][0]["source"] == "cyberjack-handbuch_p005.jpg" and "cjflash" in payload["answer"]
    assert "Batches" not in out.stderr and "it/s" not in out.stderr, "-v lets no sentence-transformers batch bars through"
