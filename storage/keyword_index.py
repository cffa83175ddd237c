"""Files of a collection's persistent keyword (BM25) index, beside its library.

    <data dir>/collections/<collection>/keyword/
        docs/<doc_id>.json   the analysed terms of one document's chunks (written once per committed document)
        g<n>/                one generation: bm25s's own files (``BM25.save``) and meta.json
        CURRENT              the name of the generation readers load

Any process that asks loads the generation named by ``CURRENT`` (bm25s memory-maps its arrays).
A process that brings the index up to date holds ``.update.lock`` (one updater at a time), writes a
new generation in a temporary folder, renames it into place and then replaces ``CURRENT`` (an
atomic rename), so a reader sees the old generation or the new one, never half of one. The
previous generation is kept for readers that are still opening it; older ones are removed.

This module knows files only; what the terms are is the read path's business (``assistant.keyword``).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from storage.chroma import check_collection_name

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
META = "meta.json"
KEEP_GENERATIONS = 2  # the new one and the one before it (a reader may be opening it)


class KeywordFiles:
    def __init__(self, data_dir: Path, collection: str) -> None:
        self.dir = Path(data_dir) / "collections" / check_collection_name(collection) / "keyword"
        self.docs_dir = self.dir / "docs"

    @contextmanager
    def updating(self) -> Iterator[None]:
        """Hold the index's update lock (one updater at a time, across processes; readers never wait)."""
        self.docs_dir.mkdir(parents=True, exist_ok=True)
        with (self.dir / ".update.lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- per-document terms ------------------------------------------------------------------
    def read_doc(self, doc_id: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.docs_dir / f"{doc_id}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]
        except (OSError, ValueError):
            return None  # missing or damaged: the document is analysed again

    def write_doc(self, doc_id: str, data: dict[str, Any]) -> None:
        _write_atomic(self.docs_dir / f"{doc_id}.json", json.dumps(data, ensure_ascii=False))

    def remove_doc(self, doc_id: str) -> None:
        (self.docs_dir / f"{doc_id}.json").unlink(missing_ok=True)

    def stored_docs(self) -> set[str]:
        if not self.docs_dir.is_dir():
            return set()
        return {p.stem for p in self.docs_dir.glob("*.json")}

    # -- generations -------------------------------------------------------------------------
    def current(self) -> Path | None:
        """The folder of the generation readers should load, or None when there is none yet."""
        try:
            name = (self.dir / CURRENT).read_text(encoding="utf-8").strip()
        except OSError:
            return None
        path = self.dir / name
        return path if name and (path / META).is_file() else None

    def load(self, generation: Path, *, mmap: bool = True) -> tuple[dict[str, Any], Any]:
        """A generation's meta data and its bm25s model (arrays memory-mapped)."""
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.NOTSET)  # bm25s sets DEBUG on import; the entry point decides
        meta = json.loads((generation / META).read_text(encoding="utf-8"))
        model = bm25s.BM25.load(str(generation), mmap=mmap, load_corpus=False) if meta.get("n_chunks") else None
        return meta, model

    def publish(self, meta: dict[str, Any], model: Any) -> Path:
        """Write a new generation and make it current; returns its folder."""
        name = f"g{time.time_ns()}-{os.getpid()}"
        tmp = self.dir / f".tmp-{name}"
        tmp.mkdir(parents=True)
        try:
            if model is not None:
                model.save(str(tmp), show_progress=False)
            (tmp / META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            for f in tmp.iterdir():
                _fsync(f)
            os.rename(tmp, self.dir / name)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _write_atomic(self.dir / CURRENT, name)
        self._prune(keep=name)
        return self.dir / name

    def _prune(self, keep: str) -> None:
        generations = sorted((p for p in self.dir.glob("g*") if p.is_dir()), key=lambda p: p.stat().st_mtime_ns)
        old = [p for p in generations if p.name != keep][: max(0, len(generations) - KEEP_GENERATIONS)]
        for path in old:  # a reader with the arrays mapped keeps them: unlinking a mapped file is safe
            shutil.rmtree(path, ignore_errors=True)
        for tmp in self.dir.glob(".tmp-*"):  # left by an updater that was killed
            if time.time() - tmp.stat().st_mtime > 3600:
                shutil.rmtree(tmp, ignore_errors=True)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())
