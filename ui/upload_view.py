"""Adding pages: drag-and-drop files, or a photo from the camera; per-page progress; one notice per file."""

from __future__ import annotations

from ingest.run import IngestReport
from ui.session import Components
from ui.state import Session
from ui.uploads import Notice, Upload, camera_name, ingest_uploads, notice

FILE_TYPES = ["jpg", "jpeg", "png", "webp", "tif", "tiff", "bmp", "pdf"]
NOTICES_KEY = "ingest_notices"


def render(parts: Components, session: Session) -> None:
    """The upload and camera forms; ingests what was submitted and shows what happened."""
    import streamlit as st

    uploads, document = _file_form()
    if uploads:
        session[NOTICES_KEY] = tuple(_ingest(parts, uploads, document))
    if shots := _camera_form():
        session[NOTICES_KEY] = tuple(_ingest(parts, shots, ""))
    notices: tuple[Notice, ...] = session.get(NOTICES_KEY, ())
    for n in notices:
        getattr(st, n.level)(n.text)


def _file_form() -> tuple[list[Upload], str]:
    import streamlit as st

    with st.form("upload", clear_on_submit=True, border=False):
        files = st.file_uploader(
            "Photos, scans or PDFs", type=FILE_TYPES, accept_multiple_files=True,
            help="Several files at once; each becomes one document (a PDF or multi-page TIFF keeps its pages).",
        )
        document = st.text_input("Pages of one document called (optional)", key="as_document",
                                 placeholder="e.g. NRPE guide: the photos become its pages, in order",
                                 help="Give the same name again later to add pages to it.")
        submitted = st.form_submit_button("Add to library", type="primary", key="add_files")
    if submitted and not files:
        st.warning("Choose one or more files first.")
    return ([Upload(f.name, f.getvalue()) for f in files or ()] if submitted else []), (document or "").strip()


def _camera_form() -> list[Upload]:
    import streamlit as st

    with st.expander("Take a photo of a page"):
        with st.form("camera", clear_on_submit=True, border=False):
            shot = st.camera_input("Camera", label_visibility="collapsed")
            submitted = st.form_submit_button("Add photo", key="add_photo")
    if submitted and shot is None:
        st.warning("Take a photo first.")
    return [Upload(camera_name(), shot.getvalue())] if submitted and shot is not None else []


def _ingest(parts: Components, uploads: list[Upload], document: str) -> list[Notice]:
    """Ingest with a progress bar per page; every file gets a notice, failures included."""
    import streamlit as st

    notices: list[Notice] = []
    count = f"{len(uploads)} file{'s' if len(uploads) > 1 else ''}"
    with st.status(f"Reading {count}…", expanded=True) as status:
        bar = st.progress(0.0, text="Loading the OCR engine…")
        seams = parts.seams()

        def progress(source: str, done: int, total: int) -> None:
            bar.progress(done / max(total, 1), text=f"file {len(notices) + 1} of {len(uploads)}, {source}: page {done} of {total}")

        def on_report(report: IngestReport) -> None:
            notices.append(notice(report))

        ingest_uploads(uploads, seams, parts.settings.ingest, progress=progress, on_report=on_report, as_document=document)
        failed = sum(n.level == "error" for n in notices)
        label = f"Read {count}" + (f", {failed} failed" if failed else "")
        status.update(label=label, state="error" if failed == len(notices) else "complete", expanded=False)
    return notices
