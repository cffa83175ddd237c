"""The document library on disk: one folder per stored document, made visible atomically.

Layout under the data dir::

    collections/<collection>/docs/<doc_id>/document.json   the DocumentRecord (manifest)
    collections/<collection>/docs/<doc_id>/pages/p0001.jpg  stored page images (citations point here)
    collections/<collection>/.staging/<doc_id>-<pid>/       a document being written

A document is written into a staging folder and renamed into ``docs/`` only when all its pages
and chunks are stored (a rename is atomic), so a crash never leaves a half document visible. A
document folder without ``document.json`` does not exist as far as readers are concerned.

Before the rename, the staged files and the manifest are flushed to the disk (fsync), and the
folders after it, so a power loss does not leave a visible document with an empty manifest. A
manifest that cannot be read all the same (a disk fault, a hand edit) hides only its own document
from listings, with a warning; asking for it by id says how to remove it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.chroma import check_collection_name
from storage.errors import NotFound, StoreError
from pydantic import ValidationError

from storage.schema import DocumentRecord

log = logging.getLogger(__name__)

MANIFEST = "document.json"
DOC_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_]{0,63}$")  # ingest makes 16 hex digits; one plain name, never a path


def check_doc_id(doc_id: str) -> str:
    """``doc_id`` if it can only name a document folder (no '/', '..' or other path), else ``NotFound``."""
    if not isinstance(doc_id, str) or not DOC_ID.match(doc_id):
        shown = repr(doc_id)[:80]
        raise NotFound(f"{shown} is not a document id (ids are 16 hex digits); 'folio docs list' shows the stored documents")
    return doc_id


LIBRARY_ID = "library-id"


def library_id(data_dir: Path) -> str:
    """The id of the library in ``data_dir`` (made on first use): it keeps the vectors of two data dirs
    apart on one Chroma server."""
    path = Path(data_dir) / LIBRARY_ID
    try:
        found = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        found = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read the library id {path} ({exc}); restore the file or point FOLIO_DATA_DIR elsewhere") from exc
    if re.fullmatch(r"[0-9a-f]{16}", found):
        return found
    if found:
        raise StoreError(f"the library id in {path} is damaged ({found[:40]!r}); restore the file (16 hex digits)")
    new = uuid.uuid4().hex[:16]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{LIBRARY_ID}-{os.getpid()}-{new}")
        tmp.write_text(new + "\n", encoding="ascii")
        try:
            os.link(tmp, path)  # the first process to make it wins; the others read its id
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot write the library id {path} ({exc.strerror}); make {data_dir} writable") from exc
    return library_id(data_dir)


GENERATION = ".generation"


def written_here(token: str) -> bool:
    """Whether a collection's generation token was written by this process."""
    return token.startswith(f"{os.getpid()}-")


class Library:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / "collections"

    # -- paths -------------------------------------------------------------------------------
    def doc_dir(self, collection: str, doc_id: str) -> Path:
        return self.root / check_collection_name(collection) / "docs" / check_doc_id(doc_id)

    def page_image(self, collection: str, doc_id: str, page: int) -> Path:
        record = self.get(collection, doc_id)
        for p in record.pages:
            if p.page == page:
                return self.doc_dir(collection, doc_id) / p.image
        raise NotFound(f"document {doc_id} has no page {page} (it has {record.n_pages})")

    # -- reading -----------------------------------------------------------------------------
    def collections(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and (p / "docs").is_dir())

    def has(self, collection: str, doc_id: str) -> bool:
        return (self.doc_dir(collection, doc_id) / MANIFEST).is_file()

    def get(self, collection: str, doc_id: str) -> DocumentRecord:
        path = self.doc_dir(collection, doc_id) / MANIFEST
        if not path.is_file():
            raise NotFound(f"no document {doc_id} in collection {collection!r}; 'folio docs list' shows what is stored")
        record = _read_manifest(path)
        if record is None:
            raise StoreError(f"the manifest {path} of document {doc_id} is damaged; remove the document with "
                             f"'folio docs delete {doc_id} --collection {collection}' and ingest its file again")
        return record

    def read(self, collection: str, doc_id: str) -> DocumentRecord | None:
        """The record, or None (with a warning) when the document is missing or its manifest is damaged."""
        path = self.doc_dir(collection, doc_id) / MANIFEST
        return _read_manifest(path) if path.is_file() else None

    def list(self, collection: str) -> list[DocumentRecord]:
        """The readable documents of ``collection``, oldest first."""
        docs_dir = self.root / check_collection_name(collection) / "docs"
        if not docs_dir.is_dir():
            return []
        records = []
        for d in sorted(docs_dir.iterdir()):
            if (d / MANIFEST).is_file() and (record := _read_manifest(d / MANIFEST)) is not None:
                records.append(record)
        return sorted(records, key=lambda r: (r.created_at, r.doc_id))

    def doc_ids(self, collection: str) -> set[str]:
        """Ids of the committed documents of ``collection`` (cheap: manifests are not parsed; an empty
        one, which only a power loss before the flush could leave, is left out)."""
        docs_dir = self.root / check_collection_name(collection) / "docs"
        if not docs_dir.is_dir():
            return set()
        return {d.name for d in docs_dir.iterdir() if (d / MANIFEST).is_file() and (d / MANIFEST).stat().st_size > 0}

    def stored_ids(self, collection: str) -> set[str]:
        """Ids of every document folder holding a manifest, readable or not (whose vectors are kept)."""
        docs_dir = self.root / check_collection_name(collection) / "docs"
        return {d.name for d in docs_dir.iterdir() if (d / MANIFEST).exists()} if docs_dir.is_dir() else set()

    def staged_ids(self, collection: str) -> set[str]:
        """Ids of the documents being written now (staging folders of live processes)."""
        staging = self.root / check_collection_name(collection) / ".staging"
        return {d.name.split("-")[0] for d in staging.iterdir()} if staging.is_dir() else set()

    def generation(self, collection: str) -> tuple[str, int]:
        """``(token, time_ns)`` of the collection's last commit or delete by any process ("", 0 before any).

        Readers in other processes compare it to what they saw, to notice writes they did not make."""
        path = self.root / check_collection_name(collection) / GENERATION
        try:
            return path.read_text(encoding="ascii").strip(), path.stat().st_mtime_ns
        except (OSError, UnicodeDecodeError):
            return "", 0

    # -- writing -----------------------------------------------------------------------------
    def staging_dir(self, collection: str, doc_id: str) -> Path:
        """A fresh private folder to write a document into before ``commit``."""
        name = f"{check_doc_id(doc_id)}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        path = self.root / check_collection_name(collection) / ".staging" / name
        path.mkdir(parents=True)
        return path

    def commit(self, staging: Path, record: DocumentRecord) -> Path:
        """Write the manifest into ``staging`` and move it into place in one rename."""
        final = self.doc_dir(record.collection, record.doc_id)
        _sync_tree(staging)  # page images on the disk before a manifest points to them
        tmp = staging / (MANIFEST + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(record.model_dump_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, staging / MANIFEST)
        _sync_dir(staging)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():  # a leftover without a manifest (a crash during delete): replace it
            self._discard(final)
        try:
            os.rename(staging, final)
        except OSError as exc:
            raise StoreError(f"could not move document {record.doc_id} into {final}: {exc}") from exc
        _sync_dir(final.parent)
        _sync_dir(staging.parent)
        self._bump(record.collection)
        return final

    def discard_staging(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def delete(self, collection: str, doc_id: str) -> DocumentRecord:
        """Remove a document's folder; its manifest disappears first, so it is gone in one step.

        A document whose manifest cannot be read is removed too (returned as a record without pages)."""
        path = self.doc_dir(collection, doc_id) / MANIFEST
        if not path.is_file():
            raise NotFound(f"no document {doc_id} in collection {collection!r}; 'folio docs list' shows what is stored")
        record = _read_manifest(path) or DocumentRecord(doc_id=doc_id, source="(unreadable manifest)", collection=collection,
                                                        pages=(), ocr_engine="", n_chunks=0, created_at="")
        self._discard(self.doc_dir(collection, doc_id))
        self._bump(collection)
        return record

    def clean_staging(self, collection: str) -> list[str]:
        """Remove staging folders left by interrupted ingests of dead processes.

        Returns the doc ids they were writing, so that vectors a killed writer had already stored
        can be removed too (see ``ingest.run.ingest_paths``).
        """
        staging = self.root / check_collection_name(collection) / ".staging"
        if not staging.is_dir():
            return []
        removed = []
        for d in staging.iterdir():
            pid = _pid_of(d.name)
            if pid is None or not process_alive(pid):
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d.name.split("-")[0])
        return removed

    @contextmanager
    def writing(self, collection: str) -> Iterator[None]:
        """Hold the collection's writer lock (one writer at a time, across processes)."""
        path = self.root / check_collection_name(collection) / ".write.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _bump(self, collection: str) -> None:
        """Record a new generation of the collection (a token naming this process)."""
        path = self.root / check_collection_name(collection) / GENERATION
        tmp = path.with_name(f"{GENERATION}-{os.getpid()}-{uuid.uuid4().hex[:6]}")
        try:
            tmp.write_text(f"{os.getpid()}-{uuid.uuid4().hex}\n", encoding="ascii")
            os.replace(tmp, path)
        except OSError as exc:  # the document itself is written; readers elsewhere may see it late
            log.warning("could not record the new generation of %s (%s)", collection, exc)
            tmp.unlink(missing_ok=True)

    def _discard(self, path: Path) -> None:
        trash = path.parent.parent / ".trash" / f"{path.name}-{uuid.uuid4().hex[:6]}"
        trash.parent.mkdir(parents=True, exist_ok=True)
        os.rename(path, trash)
        shutil.rmtree(trash, ignore_errors=True)


def _read_manifest(path: Path) -> DocumentRecord | None:
    """The record in ``path``, or None (with a warning) when it cannot be read."""
    try:
        return DocumentRecord.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValidationError) as exc:
        log.warning("skipping document %s: its manifest cannot be read (%s)", path.parent.name, type(exc).__name__)
        return None


def _sync_tree(root: Path) -> None:
    """fsync every file under ``root``, then the folders."""
    for path in sorted(root.rglob("*")):
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
    for path in [*sorted(p for p in root.rglob("*") if p.is_dir()), root]:
        _sync_dir(path)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_of(name: str) -> int | None:
    parts = name.split("-")
    if len(parts) < 3 or not parts[-2].isdigit():
        return None
    return int(parts[-2])


def process_alive(pid: int) -> bool:
    """Whether a process of this machine with that id is running (this one counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
