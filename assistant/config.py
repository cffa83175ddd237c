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
    llm_timeout: float = Field(60.0, gt=0, description="Seconds to wait for the chat server's next read, and for its first (or next) token even while it sends keep-alive pings")
    llm_deadline: float = Field(300.0, gt=0, description="Seconds one whole chat answer may take, however steadily the server streams; a CPU-only model needs minutes for a long answer")
    llm_context_tokens: int = Field(4096, ge=512, description="Context size of the chat server in tokens, used to fit the sources to it when its /v1/models does not say (vLLM says; llama.cpp's server does not: use its --n_ctx)")
    llm_max_sources: int = Field(6, ge=1, le=50, description="Most chunks put in the chat prompt, each cut to the reader's best passages in it: fewer make a CPU-only model answer sooner")
    llm_support_threshold: float = Field(0.5, ge=0.0, le=1.0, description="Share of a model sentence's terms, names and numbers (numbers required) its cited source must hold for the sentence to count as supported")
    llm_unsupported: Literal["drop", "mark"] = Field("drop", description="What happens to a model sentence no given source supports: 'drop' (not shown) or 'mark' (shown with '[unsupported]')")
    llm_no_support: Literal["abstain", "extractive"] = Field("abstain", description="When no sentence of the model's answer is supported: 'abstain' (list the closest pages) or 'extractive' (the extractive answer, with a note)")
