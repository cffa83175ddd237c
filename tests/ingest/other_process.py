"""Ingest files in a separate process, as ``folio ingest`` beside a running server or app would
(the fixed fake OCR keeps it fast): ``python -m tests.ingest.other_process DATA_DIR COLLECTION FILE...``."""

from __future__ import annotations

import sys
from pathlib import Path

from ingest.config import IngestSettings
from ingest.run import Seams, ingest_paths
from storage.chroma import ChromaStore, open_client
from storage.config import StoreSettings
from storage.embed import build_embedder
from storage.library import Library
from tests.ingest.fake_ocr import FixedOcr


def main(data_dir: str, collection: str, *files: str) -> int:
    embedder = build_embedder(StoreSettings())
    store = ChromaStore(open_client(StoreSettings(), Path(data_dir)), collection, embedder.model_id)
    seams = Seams(engine=FixedOcr(), embedder=embedder, store=store, library=Library(Path(data_dir)))
    reports = ingest_paths([Path(f) for f in files], seams, IngestSettings())
    for r in reports:
        print(r.doc_id, r.error)
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
