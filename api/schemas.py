"""The API's request and response bodies (they are the OpenAPI spec's schemas).

Boxes are ``[x0, y0, x1, y1]`` in pixels of the stored (upright) page image, origin top-left;
pages are 1-based. ``image`` fields are URLs of this API (``/documents/{doc_id}/pages/{n}/image``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

COLLECTION = r"^[a-z0-9][a-z0-9_-]{0,47}$"
DOC_ID = r"^[0-9a-f]{16}$"
Box = list[float]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(Model):
    """Every error: a short code, one line that says what failed and how to fix it, and details for validation errors."""

    error: str = Field(description="unauthorized, rate_limited, bad_request, bad_file, too_large, unsupported_media_type, invalid_request, not_found, unavailable, internal")
    message: str
    details: list[dict[str, Any]] = Field(default_factory=list)


class TextLine(Model):
    text: str
    bbox: Box = Field(description="[x0, y0, x1, y1] in pixels of the upright image")
    confidence: float


class OcrResult(Model):
    text_lines: list[TextLine] = Field(description="lines in reading order")
    markdown: str
    engine: str
    width: int = Field(description="width of the upright image the boxes refer to")
    height: int
    rotation: int = Field(description="clockwise degrees the upload was turned to make it upright")
    status: Literal["ok", "fallback", "failed"]
    error: str = ""


class FileAccepted(Model):
    name: str
    doc_id: str
    kind: Literal["pdf", "image"]
    pages: int


class DocumentAccepted(Model):
    """With ``as_document``: the one document the upload's files become the pages of."""

    name: str
    doc_id: str
    pages: int = Field(description="pages this upload adds (the job's status counts the whole document once it is done)")


class JobAccepted(Model):
    job_id: str
    status_url: str
    collection: str
    files: list[FileAccepted]
    document: DocumentAccepted | None = Field(None, description="set when the files are the pages of one document (as_document)")


class FileProgress(Model):
    name: str
    doc_id: str
    state: Literal["queued", "running", "done", "failed"]
    pages_done: int = 0
    pages_total: int = 0
    pages_failed: int = 0
    pages_fallback: int = 0
    chunks: int = 0
    already_stored: bool = False
    error: str = ""
    page_errors: list[str] = Field(default_factory=list)


class JobStatus(Model):
    job_id: str
    collection: str
    state: Literal["queued", "running", "done", "failed"]
    created_at: str
    started_at: str = ""
    finished_at: str = ""
    files: list[FileProgress]


class DocumentSummary(Model):
    doc_id: str
    source: str
    pages: int
    pages_failed: int
    chunks: int
    ocr_engine: str
    created_at: str


class DocumentList(Model):
    collection: str
    documents: list[DocumentSummary]


class Deleted(Model):
    deleted: str
    source: str
    chunks: int


class Turn(Model):
    role: Literal["user", "assistant"]
    text: str = Field(max_length=4000)


class AskRequest(Model):
    question: str = Field(min_length=1, max_length=2000, pattern=r"\S")
    collection: str | None = Field(None, pattern=COLLECTION, description="default: the server's FOLIO_COLLECTION")
    doc_ids: list[Annotated[str, Field(pattern=DOC_ID)]] | None = Field(None, max_length=100, description="search only these documents")
    history: list[Turn] = Field(default_factory=list, max_length=20, description="earlier turns, for follow-up questions")


class CitationOut(Model):
    doc_id: str
    source: str = Field("", description="file (or document) name the page belongs to")
    page: int
    page_label: str = Field("", description="the page number printed on the page, when one was read")
    bbox: Box = Field(description="[x0, y0, x1, y1] in pixels of the stored page image at 'image'")
    boxes: list[Box]
    image: str
    quote: str
    frame: Literal["page", "flattened"] = Field("page", description="'page': the image is the upright upload; 'flattened': "
                                                "the page was found on the photo and flattened; boxes map onto 'photo' through 'to_photo'")
    photo: str | None = Field(None, description="URL of the original photo when frame is 'flattened'")
    to_photo: list[list[float]] | None = Field(None, description="3x3 homography from 'image' pixels to 'photo' pixels (x, y, 1)")


class PageOut(Model):
    doc_id: str
    source: str = ""
    page: int
    page_label: str = ""
    score: float
    image: str


class AskResponse(Model):
    """The shape of ``folio ask --json``, with ``image`` as this API's page-image URL."""

    answer: str
    abstained: bool
    citations: list[CitationOut]
    pages: list[PageOut]
    evidence: float
    dropped_ids: list[str]
    answerer: str
    settings_fingerprint: str


class StreamEvent(Model):
    """One line of the NDJSON stream of ``POST /ask/stream``: text pieces, then the answer (or an error)."""

    event: Literal["text", "answer", "error"]
    text: str = ""
    answer: AskResponse | None = None
    error: ErrorBody | None = None


class Health(Model):
    status: Literal["ok"]
    ocr_engine: str
    answerer: str
    embedder: str
    jobs_waiting: int
    chat_server: str = ""  # with FOLIO_ANSWERER=openai: "ok: ..." or what is wrong with the chat server


ERROR_NAMES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal",
    502: "bad_gateway",
    503: "unavailable",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses, all with ``ErrorBody``."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        entry: dict[str, Any] = {"model": ErrorBody, "description": ERROR_NAMES.get(code, "error")}
        if code in (429, 503):
            entry["headers"] = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
        out[code] = entry
    return out
