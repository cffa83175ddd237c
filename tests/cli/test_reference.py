"""docs/reference.md is generated from the code; it must match what the code says now."""

from __future__ import annotations

import pytest

from cli import reference


def test_reference_is_up_to_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    for name in [n for n in __import__("os").environ if n.startswith("FOLIO_")]:
        monkeypatch.delenv(name)
    assert reference.TARGET.read_text(encoding="utf-8") == reference.render(), (
        "docs/reference.md is out of date: run .venv/bin/python -m cli.reference"
    )


def test_every_setting_is_documented() -> None:
    from assistant.settings import Settings

    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert missing == []
