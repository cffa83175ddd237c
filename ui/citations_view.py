"""An answer's evidence: for each citation the highlighted crop, quote, document and page; for an
abstention the closest pages."""

from __future__ import annotations

from collections.abc import Mapping

from assistant.schema import Answer, Citation
from storage.errors import AppError
from ui import render
from ui.markdown import plain

CLOSEST = 3


def render_evidence(answer: Answer, sources: Mapping[str, str], key: str) -> None:
    """Citations under an answer, or the closest pages under an abstention."""
    if answer.abstained:
        closest_pages(answer, sources)
    for c in answer.citations:
        citation_card(c, sources.get(c.doc_id, c.doc_id), f"{key}-{c.n}")


def citation_card(c: Citation, source: str, key: str) -> None:
    import streamlit as st

    with st.container(border=True, key=f"cite-{key}"):
        crop, text = st.columns([3, 2])
        try:
            crop.image(render.cited_crop(c.image, c.boxes), caption=f"[{c.n}] {source}, page {c.page}", width="stretch",
                       alt=f"citation {c.n}: the cited lines highlighted on {source}, page {c.page}")
        except AppError as exc:
            crop.warning(str(exc))
            return
        text.markdown(f":orange-badge[{c.n}] **{plain(source)}**, page {c.page}")
        text.markdown("> " + plain(c.quote).replace("\n", "\n> "))
        with st.expander("Full page"):
            if c.photo and c.to_photo:  # the user's own photo (the crop above is the page as flattened and read)
                st.image(render.cited_photo(c.photo, c.boxes, c.to_photo), caption=f"{source}, page {c.page} (your photo)", width=760)
            else:
                st.image(render.cited_page(c.image, c.boxes), caption=f"{source}, page {c.page}", width=760)


def closest_pages(answer: Answer, sources: Mapping[str, str]) -> None:
    import streamlit as st

    pages = answer.pages[:CLOSEST]
    if not pages:
        return
    st.caption("The closest pages:")
    for column, p in zip(st.columns(len(pages)), pages, strict=False):
        name = p.source or sources.get(p.doc_id, p.doc_id)
        try:
            column.image(render.thumbnail(p.image, max_side=360), caption=f"{name}, page {p.page}")
        except AppError as exc:
            column.warning(str(exc))
