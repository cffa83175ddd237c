"""Pack an eval set's pages for ingest: one multi-page TIFF per set ``doc_id``, pixels unchanged.

``ingest_file`` takes one file per document, and a set's pages are separate image files, so each
document's pages are packed, in page order, into a multi-page TIFF with lossless (deflate)
compression: the pixels the OCR engine sees are exactly those of the set's images.

The collection name is derived from the stored document ids (content hashes of those TIFFs, so
of the pixels) and from the settings that change what ingest stores: the same images under the
same settings land in the same collection and are not read again.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from assistant.settings import Settings
from evals.dataset import EvalSet, ImageKind
from storage.schema import doc_id_for

# Settings that do not change what ingest stores (speed, time-outs, secrets) stay out of the collection key.
NOT_IN_KEY = {"ocr_threads", "embed_threads", "onnx_questions", "models_dir", "hunyuan_timeout", "hunyuan_concurrency", "hunyuan_api_key", "max_file_mb"}


@dataclass(frozen=True)
class PackedDoc:
    """A set document packed for ingest: the TIFF and the id the store will give it."""

    set_doc_id: str
    path: Path
    stored_id: str
    pages: tuple[int, ...]  # the set's page numbers, in order: stored page i is pages[i - 1]


def pack_documents(eval_set: EvalSet, kind: ImageKind, folder: Path) -> list[PackedDoc]:
    """One multi-page TIFF per set document, pages in order, pixels unchanged."""
    from PIL import Image

    packed = []
    for doc_id in eval_set.doc_ids():
        pages = eval_set.pages_of(doc_id)
        frames = [Image.open(eval_set.image_path(p, kind)) for p in pages]
        for frame in frames:
            frame.load()
        path = folder / f"{_slug(doc_id, 60)}.tiff"
        frames[0].save(path, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_adobe_deflate")
        packed.append(PackedDoc(doc_id, path, doc_id_for(path.read_bytes()), tuple(p.page for p in pages)))
    return packed


def collection_for(eval_set: EvalSet, kind: ImageKind, packed: list[PackedDoc], settings: Settings) -> str:
    """``eval-<set>-<kind>-<hash>``: the hash covers the stored ids and the ingest-relevant settings."""
    relevant = {
        k: v
        for section in (settings.ingest, settings.store)
        for k, v in section.model_dump(mode="json").items()
        if k not in NOT_IN_KEY
    }
    key = json.dumps({"docs": sorted(p.stored_id for p in packed), "kind": kind, "settings": relevant}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return f"eval-{_slug(eval_set.name, 24)}-{kind}-{digest}"


def _slug(name: str, limit: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:limit].strip("-") or "set"
