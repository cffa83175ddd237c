"""The fixture photos ingested once per session with the real pipeline, for the end-to-end read-path tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.settings import Settings

MINI = Path(__file__).parents[1] / "data" / "devset-mini"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("ask-data"), collection="mini", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def assistant(settings: Settings):  # type: ignore[no-untyped-def]
    """The fixture photos ingested once, one document per photo, and an assistant over them."""
    from assistant.service import Assistant
    from assistant.wiring import ingest_seams, open_store
    from ingest.run import ingest_paths

    handles = open_store(settings)
    reports = ingest_paths(sorted((MINI / "images" / "photo").glob("*.jpg")), ingest_seams(settings, handles), settings.ingest)
    assert all(r.ok for r in reports) and len(reports) == 5
    return Assistant(settings, handles)
