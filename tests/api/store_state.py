"""A byte-level fingerprint of what is stored: every manifest and page image, every chunk id and text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from api.services import Services


@dataclass(frozen=True)
class StoreState:
    documents: dict[str, str]  # "collection/doc_id" -> sha256 of document.json and its page images
    chunks: dict[str, str]  # collection -> sha256 of the sorted (chunk id, text) pairs
    folders: tuple[str, ...]  # every folder under docs/ (a half-written document would show up here)

    @classmethod
    def of(cls, services: Services) -> StoreState:
        library = services.library
        documents: dict[str, str] = {}
        chunks: dict[str, str] = {}
        folders: list[str] = []
        for collection in library.collections():
            for folder in sorted((library.root / collection / "docs").iterdir()):
                folders.append(f"{collection}/{folder.name}")
            for record in library.list(collection):
                digest = hashlib.sha256()
                folder = library.doc_dir(collection, record.doc_id)
                for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                    digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
                documents[f"{collection}/{record.doc_id}"] = digest.hexdigest()
            stored = services.handles(collection).store.chunks()
            pairs = sorted((c.id, c.text) for c in stored)
            chunks[collection] = hashlib.sha256(repr(pairs).encode()).hexdigest() + f" ({len(pairs)} chunks)"
        return cls(documents=documents, chunks=chunks, folders=tuple(folders))
