"""``POST /ask`` (one JSON answer) and ``POST /ask/stream`` (NDJSON: text pieces, then the answer).

The answer has the shape of ``folio ask --json``; its ``image`` fields are this API's page-image
URLs instead of server paths. A failure before the first streamed byte (the chat server down,
slow or answering garbage) is a plain JSON error with its status; a failure after it ends the
stream with an ``error`` event.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.config import ApiSettings
from api.errors import app_error_status
from api.schemas import AskRequest, AskResponse, ErrorBody, StreamEvent, error_responses
from api.services import Services
from assistant.answer import OnText
from assistant.schema import Answer, Turn
from assistant.service import ask
from storage.errors import AppError, NotFound

log = logging.getLogger(__name__)

NDJSON = "application/x-ndjson"
_DONE = object()


def router(services: Services, api: ApiSettings) -> APIRouter:
    r = APIRouter(tags=["ask"])
    json_limit = api.api_max_json_kb * 1024
    errors = error_responses(400, 401, 404, 413, 415, 422, 429, 503)

    @r.post("/ask", response_model=AskResponse, max_body_size=json_limit, responses=errors,
            summary="Answer a question from a collection; every claim cites a page and a box")
    def ask_once(body: AskRequest) -> AskResponse:
        return answer(services, body)

    @r.post("/ask/stream", response_class=StreamingResponse, max_body_size=json_limit,
            responses={200: {"content": {NDJSON: {"schema": StreamEvent.model_json_schema(ref_template="#/components/schemas/{model}")}},
                             "description": "one StreamEvent per line"}, **errors},
            summary="The same answer, streamed as NDJSON: 'text' events, then one 'answer' (or 'error') event")
    def ask_stream(body: AskRequest) -> StreamingResponse:
        events: queue.Queue[object] = queue.Queue()
        threading.Thread(target=_produce, args=(services, body, events), daemon=True, name="folio-ask-stream").start()
        first = events.get()
        if isinstance(first, Exception):
            raise first
        return StreamingResponse(_lines(first, events), media_type=NDJSON, headers={"X-Folio-Answerer": services.answerer.name})

    return r


def answer(services: Services, body: AskRequest, on_text: OnText | None = None) -> AskResponse:
    collection = services.collection(body.collection)
    if not services.exists(collection):
        raise NotFound(f"no collection {collection!r}; upload documents into it first")
    assistant = services.assistant(collection)
    history = [Turn(role=t.role, text=t.text) for t in body.history]
    with services.rw.read():
        result = ask(body.question, assistant, history=history, doc_ids=body.doc_ids, stream=on_text)
    return to_response(result, collection)


def to_response(result: Answer, collection: str) -> AskResponse:
    out = result.as_json()
    for item in [*out["citations"], *out["pages"]]:  # type: ignore[misc]
        item["image"] = page_url(item["doc_id"], item["page"], collection)
        if item.get("photo"):
            item["photo"] = page_url(item["doc_id"], item["page"], collection).replace("/image?", "/photo?")
    out.pop("timings", None)
    return AskResponse.model_validate(out)


def page_url(doc_id: str, page: int, collection: str) -> str:
    return f"/documents/{doc_id}/pages/{page}/image?collection={quote(collection)}"


def _produce(services: Services, body: AskRequest, events: queue.Queue[object]) -> None:
    try:
        events.put(answer(services, body, on_text=lambda text: events.put(StreamEvent(event="text", text=text))))
    except AppError as exc:
        events.put(exc)
    except Exception as exc:  # noqa: BLE001 - becomes an error event; the server stays up
        log.exception("streamed ask failed unexpectedly")
        events.put(exc)
    finally:
        events.put(_DONE)


def _lines(first: object, events: queue.Queue[object]) -> Iterator[str]:
    item = first
    while item is not _DONE:
        yield _event(item).model_dump_json(exclude_none=True) + "\n"
        item = events.get()


def _event(item: object) -> StreamEvent:
    if isinstance(item, StreamEvent):
        return item
    if isinstance(item, AskResponse):
        return StreamEvent(event="answer", answer=item)
    if isinstance(item, AppError):
        _, code, _ = app_error_status(item)
        return StreamEvent(event="error", error=ErrorBody(error=code, message=str(item)))
    return StreamEvent(event="error", error=ErrorBody(error="internal", message="internal error; the server log has the details"))
