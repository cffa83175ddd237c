"""The ONNX question embedder gives sentence-transformers' vectors; documents keep sentence-transformers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from storage.config import StoreSettings
from storage.embed import MiniLmEmbedder, build_embedder, document_embedder
from storage.onnx_embed import BATCH, MIN_COSINE, MiniLmOnnxEmbedder, cosines, onnx_path

MINI = Path(__file__).parents[1] / "data" / "devset-mini"
TEXTS = [
    "How do I build the NRPE daemon?",
    "When the battery is fully charged, the green LED will be lit.",
    "Nach der Installation des Treiberpakets muss der Rechner neu gestartet werden.",
    "",
    "word " * 400,  # past the 256-token limit: truncated like sentence-transformers does
]


def _onnx(embedder: MiniLmEmbedder) -> MiniLmOnnxEmbedder:
    built = build_embedder(StoreSettings(), Path(os.environ["FOLIO_MODELS_DIR"]))
    assert isinstance(built, MiniLmOnnxEmbedder)  # exported (once) and checked, or loaded from the cache
    return built


def test_onnx_vectors_match_sentence_transformers(embedder: MiniLmEmbedder):
    onnx = _onnx(embedder)
    lines = (MINI / "qa.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    assert min(cosines(onnx, embedder, TEXTS + questions)) >= MIN_COSINE
    texts = TEXTS + questions  # more than one batch, of mixed lengths: run sorted by length, returned in order
    assert len(texts) > BATCH
    docs = np.asarray(onnx.embed_documents(texts)) @ np.asarray(embedder.embed_documents(texts)).T
    assert np.all(np.diag(docs) >= MIN_COSINE) and np.allclose(np.linalg.norm(onnx.embed_documents(TEXTS), axis=1), 1.0, atol=1e-5)
    assert onnx.model_id == embedder.model_id and onnx.dim == embedder.dim == len(onnx.embed_query("x"))


def test_documents_are_embedded_by_sentence_transformers(embedder: MiniLmEmbedder):
    onnx = _onnx(embedder)
    assert isinstance(document_embedder(onnx), MiniLmEmbedder)
    assert document_embedder(embedder) is embedder


def test_the_setting_and_the_cache_dir_choose_the_engine(tmp_path: Path):
    assert onnx_path(tmp_path).parent == tmp_path and onnx_path(tmp_path).suffix == ".onnx"
    assert isinstance(build_embedder(StoreSettings(onnx_questions=False), tmp_path), MiniLmEmbedder)
    assert not any(tmp_path.iterdir())  # nothing exported when the setting is off
