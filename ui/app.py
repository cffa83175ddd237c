"""Folio's Streamlit app: ``folio ui`` (or ``streamlit run ui/app.py``). It only renders.

Components come from the ``@st.cache_resource`` builders below (one set per data folder, store
settings and collection, shared by every browser session of the process); the views draw them.
"""

from __future__ import annotations

import logging

import streamlit as st

from assistant.service import Assistant
from assistant.settings import Settings
from assistant.wiring import StoreHandles, ingest_seams, open_store
from ingest.run import Seams
from storage.errors import AppError
from storage.library import Library
from ui import chat_view, library_view, login_view, sidebar
from ui.config import UiSettings
from ui.health import ServerStatus, probe
from ui.library_view import DocSummary, summarize
from ui.session import Components, load_settings

log = logging.getLogger("ui.app")


@st.cache_resource(show_spinner="Loading the embedding model and the vector store…")
def store_handles(_settings: Settings, data_dir: str, store_key: str, collection: str) -> StoreHandles:
    return open_store(_settings, collection)


@st.cache_resource(show_spinner=False)
def build_assistant(_settings: Settings, fingerprint: str, collection: str, data_dir: str = "") -> Assistant:
    handles = store_handles(_settings, str(_settings.data_dir.resolve()), _settings.store.model_dump_json(), collection)
    return Assistant(_settings, handles)


@st.cache_resource(show_spinner="Loading the OCR engine…")
def build_seams(_settings: Settings, fingerprint: str, collection: str, data_dir: str = "") -> Seams:
    handles = store_handles(_settings, str(_settings.data_dir.resolve()), _settings.store.model_dump_json(), collection)
    return ingest_seams(_settings, handles)


@st.cache_data(show_spinner=False, max_entries=64)
def documents(_settings: Settings, data_dir: str, collection: str, doc_ids: tuple[str, ...]) -> list[DocSummary]:
    library = Library(_settings.data_dir)
    return [summarize(record, library.doc_dir(collection, record.doc_id)) for record in library.list(collection)]


@st.cache_data(ttl=30, show_spinner=False)
def server_status(name: str, base_url: str, model: str | None, _api_key: str, timeout: float) -> ServerStatus:
    return probe(name, base_url, model, api_key=_api_key, timeout=timeout)


def components(settings: Settings, ui_settings: UiSettings, collection: str) -> Components:
    fingerprint, data_dir = settings.fingerprint(), str(settings.data_dir.resolve())
    return Components(
        settings=settings,
        ui=ui_settings,
        collection=collection,
        library=Library(settings.data_dir),
        handles=lambda: store_handles(settings, data_dir, settings.store.model_dump_json(), collection),
        assistant=lambda: build_assistant(settings, fingerprint, collection, data_dir),  # the fingerprint leaves out the data dir
        seams=lambda: build_seams(settings, fingerprint, collection, data_dir),
        documents=lambda ids: documents(settings, data_dir, collection, tuple(sorted(ids))),
        server_status=lambda name, url, model, key: server_status(name, url, model, key, ui_settings.ui_probe_timeout),
    )


def main() -> None:
    st.set_page_config(page_title="Folio", page_icon="📄", layout="wide")
    settings, ui_settings = load_settings(st.session_state)
    if not login_view.gate(ui_settings, st.get_option("server.address")):
        return
    collection = sidebar.pick_collection(settings, st.session_state)
    parts = components(settings, ui_settings, collection)
    sidebar.render(parts, st.session_state)
    view = st.radio("View", ["Chat", "Library"], horizontal=True, label_visibility="collapsed", key="view")
    if view == "Library":
        library_view.render(parts, st.session_state)
    else:
        chat_view.render(parts, st.session_state)
    warm_up(parts)


def warm_up(parts: Components) -> None:
    """Load the models once the page is drawn (the first session waits ~10 s, later runs not at all),
    so that they are ready when the user has picked a file or typed a question."""
    if st.session_state.get("models_ready"):
        parts.assistant()
        parts.seams()
        return
    with st.spinner("Loading the models (search and OCR)… the first time takes a few seconds"):
        parts.assistant()
        parts.seams()
    st.session_state["models_ready"] = True


try:
    main()
except AppError as exc:
    st.error(str(exc))
except Exception as exc:  # a bug, not a user error: keep the traceback in the log, not on the page
    log.exception("the app failed")
    st.error(f"Folio hit an unexpected error ({type(exc).__name__}: {exc}). The details are in the log of 'folio ui'.")
