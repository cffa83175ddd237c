"""The sidebar: the collection, adding documents, and which engines are active (and whether they answer)."""

from __future__ import annotations

from assistant.settings import Settings
from storage.chroma import check_collection_name
from storage.errors import AppError
from storage.library import Library
from ui import upload_view
from ui.session import Components
from ui.state import Session

COLLECTION_KEY = "collection"


def pick_collection(settings: Settings, session: Session) -> str:
    """The collection selector; a new name can be typed in. Returns the active collection."""
    import streamlit as st

    st.sidebar.title("Folio")
    st.sidebar.caption("Ask your pages. Every answer points at the lines it came from.")
    known = set(Library(settings.data_dir).collections()) | {settings.collection} | set(session.get("new_collections", ()))
    if "collection_pending" in session:  # a widget's value can only be set before the widget is drawn
        session[COLLECTION_KEY] = session.pop("collection_pending")
    if COLLECTION_KEY not in session:
        session[COLLECTION_KEY] = settings.collection
    st.sidebar.selectbox("Collection", sorted(known), key=COLLECTION_KEY)
    with st.sidebar.expander("New collection"):
        with st.form("new_collection", clear_on_submit=True, border=False):
            name = st.text_input("Name", placeholder="kitchen-appliances", key="new_collection_name")
            if st.form_submit_button("Create", key="create_collection") and name:
                _add_collection(session, name.strip())
    collection: str = session[COLLECTION_KEY]
    return collection


def _add_collection(session: Session, name: str) -> None:
    import streamlit as st

    try:
        check_collection_name(name)
    except AppError as exc:
        st.error(str(exc))
        return
    session["new_collections"] = (*session.get("new_collections", ()), name)
    session["collection_pending"] = name
    st.rerun()


def render(parts: Components, session: Session) -> None:
    import streamlit as st

    with st.sidebar:
        st.subheader("Add pages")
        upload_view.render(parts, session)
        st.subheader("Engines")
        engines(parts)


def engines(parts: Components) -> None:
    """The active OCR engine, answerer and embedder; a quick probe of each configured server."""
    import streamlit as st

    s = parts.settings
    if s.ocr_engine == "hunyuan":
        st.markdown(f"**OCR:** HunyuanOCR (`{s.hunyuan_model}`), CPU fallback PP-OCRv6 {s.ocr_model}")
    else:
        st.markdown(f"**OCR:** PP-OCRv6 {s.ocr_model} on the CPU ({s.ocr_threads} thread{'s' if s.ocr_threads > 1 else ''})")
    if s.answerer == "openai":
        st.markdown(f"**Answers:** `{s.llm_model or '?'}` on an OpenAI-compatible server")
    else:
        st.markdown("**Answers:** extractive (quotes your pages, no model)")
    st.markdown(f"**Search:** {s.embedder} embeddings + keywords")
    servers = []
    if s.hunyuan_base_url:
        key = s.hunyuan_api_key.get_secret_value() if s.hunyuan_api_key else ""
        servers.append(("HunyuanOCR server", s.hunyuan_base_url, s.hunyuan_model, key))
    if s.llm_base_url:
        key = s.llm_api_key.get_secret_value() if s.llm_api_key else ""
        servers.append(("LLM server", s.llm_base_url, s.llm_model, key))
    for name, url, model, key in servers:
        status = parts.server_status(name, url, model, key)
        mark = "🟢" if status.ok else "🔴"
        st.markdown(f"{mark} **{name}** {status.detail}  \n`{url}`")
