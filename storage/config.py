"""Settings of the storage layer: the vector store and the embedder."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EmbedderName = Literal["e5-small", "minilm"]


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    chroma_host: str | None = Field(None, description="Chroma server host; unset = embedded PersistentClient under the data dir")
    chroma_port: int = Field(8000, description="Chroma server port (with chroma_host)")
    embedder: EmbedderName = Field("minilm", description="Embedding model, shipped inside a PyPI package: minilm (English, fast) or e5-small (multilingual, ~10x slower to ingest)")
    embed_threads: int = Field(1, ge=1, description="CPU threads for the embedder")
