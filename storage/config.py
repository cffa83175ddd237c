"""Settings of the storage layer: the vector store and the embedder."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EmbedderName = Literal["e5-small", "minilm"]


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    chroma_host: str | None = Field(None, description="Chroma server host; unset = embedded PersistentClient under the data dir")
    chroma_port: int = Field(8000, description="Chroma server port (with chroma_host)")
    embedder: EmbedderName = Field("minilm", description="Embedding model, shipped inside a PyPI package: minilm (English, fast) or e5-small (multilingual, ~10x slower to ingest)")
    embed_threads: int = Field(1, ge=1, description="CPU threads for the embedder")
    onnx_questions: bool = Field(True, description="Embed questions with onnxruntime instead of torch (minilm; the same vectors, cosine >= 0.999, and a cold 'folio ask' seconds faster); documents always use sentence-transformers")
    models_dir: Path | None = Field(None, description="Folder for models Folio prepares itself (the ONNX export of minilm for questions); unset = <data dir>/models")
