"""The FastAPI application: ``create_app(settings)`` wires the routes, the gate and the error handlers.

Build it once per process (``folio serve`` does); every request shares its ``Services``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api import ask, documents, ocr
from api.auth import KeyCheck
from api.config import ApiSettings, check_exposure
from api.docs import install_docs
from api.errors import install_handlers
from api.gate import OPEN_PATHS, Gate
from api.limits import RateLimiter
from api.overload import Overload
from api.schemas import Health, error_responses
from api.services import Services
from assistant.settings import Settings

VERSION = "0.1.0"
JSON = "application/json"
MULTIPART = "multipart/form-data"
MEDIA_TYPES = {
    ("POST", "/ask"): JSON,
    ("POST", "/ask/stream"): JSON,
    ("POST", "/ocr"): MULTIPART,
    ("POST", "/documents"): MULTIPART,
}


def create_app(settings: Settings, api: ApiSettings | None = None, services: Services | None = None) -> FastAPI:
    """The API over ``settings.data_dir``. Refuses (``ConfigError``) to listen beyond loopback without keys."""
    api = api or ApiSettings()
    check_exposure(api)
    owned = services is None  # services handed in belong to the caller, who closes them
    services = services or Services(settings, api)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            services.close()

    app = FastAPI(title="Folio", version=VERSION, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Ask questions of photographed manuals and scanned documents; answers cite the page and the box.")
    app.state.services = services
    install_handlers(app)
    install_docs(app)
    for module in (ocr, documents, ask):
        app.include_router(module.router(services, api))

    @app.get("/healthz", response_model=Health, tags=["health"], responses=error_responses(503),
             summary="Health: the service is up, its vector store answers, and what it runs")
    def healthz() -> Health:
        services.handles(services.settings.collection).store.check()  # a store that is down: 503 (StoreError)
        return Health(status="ok", ocr_engine=services.ocr.name, answerer=services.answerer.name,
                      embedder=services.engines.embedder.model_id, jobs_waiting=services.jobs.waiting(),
                      chat_server=_chat_server(services.answerer))

    keys = KeyCheck(api.keys())
    app.add_middleware(Gate, keys=keys, limiter=RateLimiter(api.api_rate_per_minute, api.api_burst), media_types=MEDIA_TYPES)
    app.add_middleware(Overload, limit=api.api_max_inflight)  # outermost: a refused request costs nothing more
    if keys.required:
        app.openapi = lambda: _openapi_with_bearer(app)  # type: ignore[method-assign]
    return app


def _chat_server(answerer: object) -> str:
    """With the chat answerer, a quick probe of its server (``GET /v1/models``, the model served)."""
    from assistant.llm_answer import OpenAiAnswerer
    from assistant.llm_check import check_client

    if not isinstance(answerer, OpenAiAnswerer):
        return ""
    check = check_client(answerer.client, timeout=2.0, context_setting=answerer.cfg.llm_context_tokens)
    return f"{'ok' if check.ok else 'failing'}: {check.detail}"


def _openapi_with_bearer(app: FastAPI) -> dict[str, Any]:
    """FastAPI's spec plus the bearer scheme on every operation the gate guards."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    spec.setdefault("components", {})["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    for path, operations in spec.get("paths", {}).items():
        if path in OPEN_PATHS:
            continue
        for operation in operations.values():
            operation["security"] = [{"bearer": []}]
    app.openapi_schema = spec
    return spec
