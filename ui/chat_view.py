"""The chat: earlier messages of this collection, the question box, the streamed answer and its evidence."""

from __future__ import annotations

import logging
from collections.abc import Callable

from assistant.schema import Answer
from storage.errors import AppError
from ui import first_screen
from ui.citations_view import render_evidence
from ui.markdown import answer_markdown, plain
from ui.session import Components
from ui.state import Entry, Session, add_entry, clear_conversation, conversation, history

log = logging.getLogger(__name__)


def render(parts: Components, session: Session) -> None:
    import streamlit as st

    docs = parts.documents(parts.library.doc_ids(parts.collection))
    sources = {d.doc_id: d.source for d in docs}
    entries = conversation(session, parts.collection)
    if not docs:
        st.info(f"The collection '{parts.collection}' has no pages yet: add photos, scans or PDFs in the sidebar.")
    elif not entries:
        many = len(docs) > 1
        st.caption(f"{len(docs)} document{'s' if many else ''} in '{parts.collection}'. Ask anything about {'them' if many else 'it'} below.")
        first_screen.render(docs, session)
    for i, entry in enumerate(entries):
        show_entry(entry, sources, key=str(i))
    if entries and st.button("Clear conversation", type="tertiary"):
        clear_conversation(session, parts.collection)
        st.rerun()
    question = st.chat_input("Ask a question about your pages") or session.pop(first_screen.PENDING_KEY, None)
    if question:
        def keep(reply: Entry) -> None:
            """Store the exchange as soon as the answer exists, before it is drawn: a next question sent
            while the cards are still being drawn stops this run, and must not lose this exchange."""
            add_entry(session, parts.collection, Entry("user", question))
            add_entry(session, parts.collection, reply)

        with st.chat_message("user"):
            st.markdown(plain(question))
        with st.chat_message("assistant"):
            if docs:
                answer_live(parts, question, entries, sources, key=str(len(entries) + 1), keep=keep)
            else:
                reply = Entry("assistant", f"There is nothing to search in '{parts.collection}' yet: add pages in the sidebar first.")
                keep(reply)
                st.markdown(reply.text)


def show_entry(entry: Entry, sources: dict[str, str], key: str) -> None:
    import streamlit as st

    with st.chat_message(entry.role):
        if entry.error:
            st.error(entry.error)
        elif entry.answer is not None:
            st.markdown(answer_markdown(entry.text, _markers(entry.answer)))
            render_evidence(entry.answer, sources, key)
        else:
            st.markdown(plain(entry.text))


def answer_live(parts: Components, question: str, earlier: tuple[Entry, ...], sources: dict[str, str], key: str,
                keep: Callable[[Entry], None] = lambda entry: None) -> Entry:
    """Ask, drawing the text as it streams in; a failure becomes a friendly message, never a traceback.
    ``keep`` gets the reply before its answer and evidence are drawn."""
    import streamlit as st

    shown = st.empty()
    pieces: list[str] = []

    def on_text(piece: str) -> None:
        pieces.append(piece)
        shown.markdown(answer_markdown("".join(pieces), set()) + " ▌")

    try:
        assistant = parts.assistant()
        with st.spinner(working_text(assistant.answerer.name)):
            answer = assistant.ask(question, history=history(earlier), stream=on_text)
    except AppError as exc:
        keep(failed := Entry("assistant", f"Could not answer: {exc}", error=f"Could not answer: {exc}"))
        shown.empty()
        st.error(f"Could not answer: {exc}")
        return failed
    except Exception as exc:  # a bug: log it with its traceback, show one line
        log.exception("asking %r failed", question)
        message = f"Could not answer: unexpected {type(exc).__name__} ({exc}). The details are in the log of 'folio ui'."
        keep(failed := Entry("assistant", message, error=message))
        shown.empty()
        st.error(message)
        return failed
    keep(reply := Entry("assistant", answer.text, answer=answer))
    shown.markdown(answer_markdown(answer.text, _markers(answer)))
    render_evidence(answer, sources, key)
    return reply


def working_text(answerer: str) -> str:
    """What the spinner says while an answer is made: which answerer works, and that a model takes a while."""
    if answerer == "extractive":
        return "Searching your pages…"
    return f"Searching your pages; {answerer} writes the answer, each sentence checked against the pages (a model on a CPU needs 10-60 s)…"


def _markers(answer: Answer) -> set[int]:
    return {c.n for c in answer.citations}
