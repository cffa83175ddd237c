"""Every failure becomes a JSON ``ErrorBody`` with a status that says whose fault it was.

Client mistakes are 4xx with a message naming what to change; a server or engine that is down,
slow or answering garbage is 502/503 (with ``Retry-After``); anything unexpected is a 500 whose
message carries a reference that is also in the server log. The service itself stays up.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas import ERROR_NAMES, ErrorBody
from storage.errors import AppError, ConfigError, EngineUnavailable, InputError, NotFound, OcrError, StoreError

log = logging.getLogger(__name__)

RETRY_AFTER_S = 30


class Rejected(AppError):
    """A request the API refuses: its HTTP status and the one line that says why."""

    def __init__(self, status: int, message: str, *, code: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or ERROR_NAMES.get(status, "error")
        self.retry_after = retry_after


def error_response(status: int, message: str, *, code: str | None = None, details: list[dict[str, Any]] | None = None,
                   retry_after: int | None = None) -> JSONResponse:
    body = ErrorBody(error=code or ERROR_NAMES.get(status, "error"), message=message, details=details or [])
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def app_error_status(exc: AppError) -> tuple[int, str, int | None]:
    """(status, code, retry-after) for one of Folio's errors."""
    match exc:
        case Rejected():
            return exc.status, exc.code, exc.retry_after
        case NotFound():
            return 404, "not_found", None
        case InputError():
            return 422, "bad_file", None
        case OcrError():
            return 502, "bad_gateway", None
        case EngineUnavailable() | StoreError() | ConfigError():
            return 503, "unavailable", RETRY_AFTER_S
        case _:
            return 500, "internal", None


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _on_app_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)


async def _on_app_error(request: Request, exc: AppError) -> JSONResponse:
    status, code, retry_after = app_error_status(exc)
    if status >= 500:
        log.warning("%s %s failed: %s", request.method, request.url.path, exc)
    return error_response(status, str(exc), code=code, retry_after=retry_after)


async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    message = str(exc.detail)
    if exc.status_code == 400 and message == "There was an error parsing the body":
        message = (f"the body of {request.method} {request.url.path} could not be parsed: send UTF-8 JSON "
                   "or a well-formed multipart/form-data upload")
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    elif exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.url.path}; GET /docs lists them"
    return JSONResponse(ErrorBody(error=ERROR_NAMES.get(exc.status_code, "error"), message=message).model_dump(),
                        status_code=exc.status_code, headers=exc.headers)


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    details = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
               for e in exc.errors()]
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"]) or "request"
    more = f" (and {len(details) - 1} more problems)" if len(details) > 1 else ""
    return error_response(422, f"{where}: {first['msg']}{more}", code="invalid_request", details=details)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    ref = uuid.uuid4().hex[:8]
    log.exception("%s %s: unexpected error (ref %s)", request.method, request.url.path, ref)
    return error_response(500, f"internal error (ref {ref}); the server log has the details", code="internal")
