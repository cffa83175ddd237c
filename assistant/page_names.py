"""Name cited pages as a person would: the document's file name and the page number printed on it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.schema import Citation
from storage.schema import DocumentRecord


def page_label(record: DocumentRecord | None, page: int) -> str:
    """The printed page number of ``page`` ("" when none was read or the document is unknown)."""
    if record is None:
        return ""
    return next((p.label for p in record.pages if p.page == page), "")


def named(citations: Sequence[Citation], records: Mapping[str, DocumentRecord]) -> tuple[Citation, ...]:
    """The citations with their document's source name and printed page number filled in."""
    out = []
    for c in citations:
        record = records.get(c.doc_id)
        out.append(c.model_copy(update={"source": c.source or (record.source if record else ""),
                                        "page_label": c.page_label or page_label(record, c.page)}))
    return tuple(out)
