"""Shared by the worker-process and Ray ingest tests: the documents, the seams, what was stored."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from ingest.run import Seams
from storage.chroma import ChromaStore, open_client
from storage.config import StoreSettings
from storage.library import Library


def make_seams(engine, embedder, data_dir: Path, work=None) -> Seams:  # type: ignore[no-untyped-def]
    client = open_client(StoreSettings(), data_dir)
    return Seams(engine=engine, embedder=embedder, store=ChromaStore(client, "t", embedder.model_id),
                 library=Library(data_dir), work=work)


def documents(photo_paths: list[Path], folder: Path) -> list[Path]:
    """Two documents, three pages: a photo and a two-page TIFF."""
    folder.mkdir(exist_ok=True)
    binder = folder / "binder.tiff"
    frames = [Image.open(p).convert("RGB") for p in photo_paths[2:4]]
    frames[0].save(binder, save_all=True, append_images=frames[1:])
    return [photo_paths[0], binder]


def stored(seams: Seams) -> list[tuple[str, str, tuple[int, ...], tuple[float, ...]]]:
    """Every stored chunk (id, text, pages) with its vector exactly as stored."""
    res = seams.store._col.get(include=["embeddings"])
    vectors = {cid: tuple(float(x) for x in v) for cid, v in zip(res["ids"], res["embeddings"], strict=True)}
    return sorted((c.id, c.text, c.pages, vectors[c.id]) for c in seams.store.chunks())
