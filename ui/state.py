"""What the app keeps per browser session: the conversation of each collection, the last ingest results.

Streamlit's ``st.session_state`` is passed in as a plain mapping, so this module has no Streamlit
import. Lists stored in the session are replaced, never changed in place.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from assistant.schema import Answer, Turn

Session = MutableMapping[str, Any]


@dataclass(frozen=True)
class Entry:
    """One chat message: the user's question, or the assistant's answer (or the error it met)."""

    role: Literal["user", "assistant"]
    text: str
    answer: Answer | None = None
    error: str = ""


def _key(collection: str) -> str:
    return f"chat:{collection}"


def conversation(session: Session, collection: str) -> tuple[Entry, ...]:
    return tuple(session.get(_key(collection), ()))


def add_entry(session: Session, collection: str, entry: Entry) -> None:
    session[_key(collection)] = (*conversation(session, collection), entry)


def clear_conversation(session: Session, collection: str) -> None:
    session.pop(_key(collection), None)


def history(entries: Sequence[Entry]) -> tuple[Turn, ...]:
    """The earlier turns handed to ``ask`` for follow-up questions; failed answers are left out."""
    return tuple(Turn(role=e.role, text=e.text) for e in entries if not e.error)
