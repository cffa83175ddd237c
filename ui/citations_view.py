"""An answer's evidence: for each citation the highlighted crop, quote, document and page; for an
abstention the closest pages."""

from __future__ import annotations

import re
from collections.abc import Mapping

from assistant.schema import Answer
from storage.errors import AppError
from ui import render
from ui.cards import SHOWN, Card, merge_adjacent
from ui.markdown import plain

CLOSEST = 3


def render_evidence(answer: Answer, sources: Mapping[str, str], key: str) -> None:
    """Citations under an answer, or the closest pages under an abstention."""
    if answer.abstained:
        closest_pages(answer, sources)
    cards = merge_adjacent(answer.citations)
    for card in cards[:SHOWN]:
        citation_card(card, sources, f"{key}-{card.first.n}")
    if len(cards) > SHOWN:
        import streamlit as st

        with st.expander(f"Show {len(cards) - SHOWN} more"):
            for card in cards[SHOWN:]:
                citation_card(card, sources, f"{key}-{card.first.n}")


def citation_card(card: Card, sources: Mapping[str, str], key: str) -> None:
    import streamlit as st

    c = card.first
    source = c.source or sources.get(c.doc_id, c.doc_id)
    where = f"{source}, {c.page_name}"
    with st.container(border=True, key=f"cite-{key}"):
        crop, text = st.columns([3, 2])
        try:
            crop.image(render.cited_crop(c.image, card.boxes), caption=f"[{card.label}] {where}", width="stretch",
                       alt=f"citation {c.n}: the cited lines{'' if len(card.citations) == 1 else f' of [{card.label}]'} highlighted on {where}")
        except AppError as exc:
            crop.warning(str(exc))
            return
        text.markdown(f":orange-badge[{card.label}] **{plain(source)}**, {c.page_name}")
        rows = card.table_rows()
        if rows is not None:
            header = "| " + " | ".join(" " for _ in rows[0]) + " |\n|" + "---|" * len(rows[0])
            text.markdown(header + "\n" + "\n".join("| " + " | ".join(plain(cell) for cell in r) + " |" for r in rows))
        else:
            text.markdown("\n\n".join("> " + _quoted(q) for q in card.quotes))
        with st.expander("Full page"):
            if c.photo and c.to_photo:  # the user's own photo (the crop above is the page as flattened and read)
                st.image(render.cited_photo(c.photo, card.boxes, c.to_photo), caption=f"{where} (your photo)", width=760)
            else:
                st.image(render.cited_page(c.image, card.boxes), caption=where, width=760)


def closest_pages(answer: Answer, sources: Mapping[str, str]) -> None:
    import streamlit as st

    pages = answer.pages[:CLOSEST]
    if not pages:
        return
    st.caption("The closest pages:")
    for column, p in zip(st.columns(len(pages)), pages, strict=False):
        name = p.source or sources.get(p.doc_id, p.doc_id)
        try:
            column.image(render.thumbnail(p.image, max_side=360), caption=f"{name}, {p.page_name}")
            with column.popover("Open the page"):
                st.image(render.cited_page(p.image, ()), caption=f"{name}, {p.page_name}", width=760)
        except AppError as exc:
            column.warning(str(exc))


def _quoted(quote: str) -> str:
    """A quote's lines inside a Markdown block quote; a leading "#" (a shell prompt) stays text, not a heading."""
    return "\n> ".join(re.sub(r"^(\s*)#", r"\1\\#", line) for line in plain(quote).split("\n"))
