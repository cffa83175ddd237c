"""Is the configured chat server there, and does it serve the configured model? For ``folio doctor`` and ``/healthz``.

One ``GET /v1/models`` with a short timeout; never raises. A server that answers but serves
another model name is a failure (llama.cpp's server answers chat requests for any name, so a
wrong ``FOLIO_LLM_MODEL`` would otherwise never be noticed).
"""

from __future__ import annotations

from assistant.config import AnswerSettings
from assistant.llm import ChatClient
from ingest.preflight import Check
from storage.errors import AppError

NAME = "chat server"


def check_chat_server(cfg: AnswerSettings, *, timeout: float = 5.0) -> Check:
    """Required when ``answerer`` is ``openai``; a warning otherwise, skipped when no server is set."""
    required = cfg.answerer == "openai"
    if not cfg.llm_base_url or not cfg.llm_model:
        return Check(NAME, ok=not required, required=required, skipped=not required,
                     detail="FOLIO_ANSWERER=openai needs FOLIO_LLM_BASE_URL and FOLIO_LLM_MODEL" if required
                     else "skipped: no chat server configured (FOLIO_LLM_BASE_URL is not set)")
    key = cfg.llm_api_key.get_secret_value() if cfg.llm_api_key else None
    client = ChatClient(cfg.llm_base_url, cfg.llm_model, api_key=key, timeout=timeout, retries=0)
    try:
        return check_client(client, required=required, timeout=timeout, context_setting=cfg.llm_context_tokens)
    finally:
        client.close()


def check_client(client: ChatClient, *, required: bool = True, timeout: float = 5.0, context_setting: int | None = None) -> Check:
    """The same check through an open client (the API's answerer)."""
    try:
        served = client.served_models(timeout=timeout)
    except AppError as exc:
        return Check(NAME, ok=False, required=required, detail=str(exc))
    names = [m.name for m in served]
    match = next((m for m in served if m.name == client.model), None)
    if match is None:
        return Check(NAME, ok=False, required=required,
                     detail=f"{client.base_url} serves {names or 'no model'}, not {client.model!r}: set FOLIO_LLM_MODEL to one of them")
    context = (f"context {match.context} tokens" if match.context
               else f"context not said: FOLIO_LLM_CONTEXT_TOKENS={context_setting} assumed" if context_setting else "context not said")
    return Check(NAME, ok=True, required=required, detail=f"{client.base_url} serves {client.model} ({context})")
