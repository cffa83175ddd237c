"""Settings of the read path."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class AnswerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    answerer: Literal["extractive", "openai"] = Field("extractive", description="Answerer: 'extractive' (offline, no model) or 'openai' (any OpenAI-compatible chat server)")
    top_k: int = Field(8, ge=1, le=100, description="Chunks handed to the answerer for a question")
    retrieve_depth: int = Field(30, ge=1, le=500, description="Results each retriever (dense, BM25) contributes to the fusion")
    rrf_k: float = Field(60.0, gt=0, description="Reciprocal rank fusion constant: larger values flatten rank differences")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense (embedding) ranking in the fusion")
    keyword_weight: float = Field(1.0, ge=0, description="Weight of the BM25 keyword ranking in the fusion")
    reader_depth: int = Field(5, ge=1, le=50, description="Retrieved chunks whose passages become answer candidates, scored by the fitted reader (assistant/reader_model.json)")
    reader_window: int = Field(3, ge=1, le=8, description="Units (sentences, steps, rows) in one candidate passage, at most")
    reader_semantic_chunks: int = Field(3, ge=0, le=50, description="Of those chunks, how many have their units embedded and compared with the question (0: lexical features only; each adds embedding time on first sight of a chunk)")
    reader_model: Path | None = Field(None, description="A reader model file written by 'folio fit-reader' (default: the one shipped in assistant/reader_model.json)")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible base URL of the chat server, e.g. http://gpu-host:8000/v1")
    llm_model: str | None = Field(None, description="Chat model name on that server")
    llm_api_key: SecretStr | None = Field(None, description="Bearer key for the chat server, if it needs one")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds to wait for the chat server")
