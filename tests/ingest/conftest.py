"""Fixtures of the ingest tests that run page work elsewhere (worker processes, Ray)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.config import IngestSettings
from ingest.run import ingest_paths
from tests.ingest.parallel_docs import documents, make_seams, stored


@pytest.fixture(scope="session")
def cpu_engine():  # type: ignore[no-untyped-def]
    from ingest.ocr.cpu import CpuOcr

    return CpuOcr(model=IngestSettings().ocr_model, threads=1)


@pytest.fixture(scope="session")
def reference(cpu_engine, embedder, photo_paths: list[Path], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The documents ingested in this process (no workers): the chunks every other way must store."""
    root = tmp_path_factory.mktemp("reference")
    seams = make_seams(cpu_engine, embedder, root / "data")
    reports = ingest_paths(documents(photo_paths, root / "in"), seams, IngestSettings())
    assert [r.pages_ok for r in reports] == [1, 2]
    return stored(seams)
