"""The library: the documents of the active collection with their page thumbnails, and deleting one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingest.delete import delete_document
from storage.errors import AppError
from storage.schema import BlockKind, DocumentRecord
from ui.render import thumbnail
from ui.markdown import plain
from ui.session import Components
from ui.state import Session

THUMBNAILS = 8  # page thumbnails shown per document
CONFIRM_KEY = "confirm_delete"


@dataclass(frozen=True)
class DocSummary:
    """What the library shows of a document (its manifest holds much more: every line of every page)."""

    doc_id: str
    source: str
    n_pages: int
    n_chunks: int
    ocr_engine: str
    created_at: str
    page_images: tuple[str, ...]  # paths of the stored page images, page 1 first
    page_problems: tuple[str, ...]  # "page 3: failed: ..." for pages that were not read cleanly
    headings: tuple[str, ...] = ()  # the document's section headings, in reading order (for suggested questions)


def summarize(record: DocumentRecord, doc_dir: Path) -> DocSummary:
    problems = tuple(f"page {p.page}: {p.status}{': ' + p.error if p.error else ''}" for p in record.pages if p.status != "ok")
    return DocSummary(
        doc_id=record.doc_id, source=record.source, n_pages=record.n_pages, n_chunks=record.n_chunks,
        ocr_engine=record.ocr_engine, created_at=record.created_at,
        page_images=tuple(str(doc_dir / p.image) for p in record.pages), page_problems=problems,
        headings=tuple(b.text.lstrip("# ").strip() for p in record.pages for b in p.blocks if b.kind == BlockKind.HEADING),
    )


def render(parts: Components, session: Session) -> None:
    import streamlit as st

    docs = parts.documents(parts.library.doc_ids(parts.collection))
    st.subheader(f"Library: {parts.collection}")
    if not docs:
        st.info("No documents yet: add photos, scans or PDFs in the sidebar.")
        return
    pages = sum(d.n_pages for d in docs)
    st.caption(f"{len(docs)} document{'s' if len(docs) > 1 else ''}, {pages} page{'s' if pages > 1 else ''}")
    for doc in docs:
        document_card(parts, doc, session)


def document_card(parts: Components, doc: DocSummary, session: Session) -> None:
    import streamlit as st

    with st.container(border=True, key=f"doc-{doc.doc_id}"):
        info, action = st.columns([5, 1])
        info.markdown(f"**{plain(doc.source)}**  \n{doc.n_pages} page{'s' if doc.n_pages > 1 else ''} · "
                      f"{doc.n_chunks} passages · read by {doc.ocr_engine or 'unknown'} · added {doc.created_at[:16].replace('T', ' ')} "
                      f"· id `{doc.doc_id}`")
        for problem in doc.page_problems:
            info.warning(problem)
        if session.get(CONFIRM_KEY) == doc.doc_id:
            confirm_delete(parts, doc, session)
        elif action.button("Delete", key=f"delete-{doc.doc_id}"):
            session[CONFIRM_KEY] = doc.doc_id
            st.rerun()
        page_thumbnails(doc)


def confirm_delete(parts: Components, doc: DocSummary, session: Session) -> None:
    import streamlit as st

    st.warning(f"Delete {doc.source} and its {doc.n_pages} page(s) from '{parts.collection}'?")
    yes, no = st.columns(2)
    if yes.button("Yes, delete", key=f"confirm-{doc.doc_id}", type="primary"):
        session.pop(CONFIRM_KEY, None)
        handles = parts.handles()
        try:
            delete_document(handles.library, handles.store, doc.doc_id)
        except AppError as exc:
            st.error(f"Could not delete {doc.source}: {exc}")
            return
        st.toast(f"Deleted {doc.source}")
        st.rerun()
    if no.button("Cancel", key=f"cancel-{doc.doc_id}"):
        session.pop(CONFIRM_KEY, None)
        st.rerun()


def page_thumbnails(doc: DocSummary) -> None:
    import streamlit as st

    shown = doc.page_images[:THUMBNAILS]
    images = []
    for path in shown:
        try:
            images.append(thumbnail(path))
        except AppError:
            continue  # deleted meanwhile: the next rerun no longer lists it
    if images:
        st.image(images, width=120, caption=[f"p. {i + 1}" for i in range(len(images))])
    if doc.n_pages > THUMBNAILS:
        st.caption(f"… and {doc.n_pages - THUMBNAILS} more pages")
