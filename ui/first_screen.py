"""The first screen of a collection: its documents (name, pages, a thumbnail) and a few questions
to start with, built from the documents' headings."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ui.library_view import DocSummary

SUGGESTED = 4
HOW_TO = re.compile(r"^(install|test|compile|build|configure|set|update|reset|charge|connect|start|stop|use|run|add|remove|enable)\w*\b", re.I)
PENDING_KEY = "suggested_question"


def suggested_questions(docs: Sequence[DocSummary], n: int = SUGGESTED) -> list[str]:
    """Questions from headings: "Installing the plugin" -> "How do I install the plugin?", else "What does X say about H?"."""
    out: list[str] = []
    for doc in docs:
        for heading in doc.headings:
            h = re.sub(r"^(?:[\divxIVX]+[.)]\s*)+|^\d+(\.\d+)*\s+", "", heading).strip(" :.")
            if not 3 <= len(h) <= 60 or not re.search(r"[A-Za-zÄÖÜäöü]{3}", h) or h.isupper() and len(h) > 25:
                continue
            if m := HOW_TO.match(h):
                verb = m.group(1).lower()
                question = f"How do I {verb}{h[len(m.group(0)):]}?".replace("  ", " ")
            else:
                question = f"What does {doc.source} say about {h}?"
            if question not in out:
                out.append(question)
            if len(out) >= n:
                return out
    return out


def render(docs: Sequence[DocSummary], session: dict) -> None:  # type: ignore[type-arg]
    """Documents with a thumbnail each, then the suggested questions as buttons."""
    import streamlit as st

    from storage.errors import AppError
    from ui.markdown import plain
    from ui.render import thumbnail

    st.markdown("#### Your documents")
    for column, doc in zip(st.columns(min(len(docs), 4)), docs[:4], strict=False):
        if doc.page_images:
            try:
                column.image(thumbnail(doc.page_images[0], max_side=240), width=160)
            except AppError:
                pass
        column.markdown(f"**{plain(doc.source)}**  \n{doc.n_pages} page{'s' if doc.n_pages != 1 else ''}")
    if len(docs) > 4:
        st.caption(f"and {len(docs) - 4} more in the Library view")
    questions = suggested_questions(docs)
    if questions:
        st.markdown("#### Try asking")
        for i, q in enumerate(questions):
            if st.button(q, key=f"suggest-{i}", type="secondary"):
                session[PENDING_KEY] = q
