"""Does a question need the conversation? Only then is it searched together with the previous one.

A question is searched on its own by default: after a topic switch ("What is the support e-mail of
the cyberJack reader?" after an RTKLIB question) the earlier question would only pull in the old
topic. The previous question is added when

- the question refers back to something it does not name: a pronoun ("Which port does it use?"),
  "the same", "the other one", or an ellipsis that starts with "and" / "what about"; or
- searched alone, its evidence is weak, and with the previous question it is strong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from assistant.schema import Turn

T = TypeVar("T")

# Words that point back to something named earlier (English and German).
REFERRING = frozenset(
    "it its it's they them their theirs this these those he she him his her hers "
    "es sie ihn ihm ihr ihre ihren dies diese dieser dieses dessen deren dafür dazu davon damit darauf daran dort".split()
)
# "that" / "there" / "das" refer back only at the end of a clause ("how do I change that?"),
# not as a conjunction or relative pronoun ("the option that sets ...").
TRAILING = frozenset("that there das".split())
PHRASES = re.compile(r"\b(the same|the other one|the previous|the above|mentioned above|as well|also for|der gleiche|die gleiche|das gleiche)\b", re.I)
ELLIPSIS = re.compile(r"^\s*(and|or|but|also|what about|how about|what else|und|oder|und was ist mit|was ist mit)\b", re.I)
WORD = re.compile(r"[\w'’]+")


def refers_back(question: str) -> bool:
    """True when the question leans on an earlier one to say what it is about."""
    if ELLIPSIS.search(question) or PHRASES.search(question):
        return True
    words = [w.lower().replace("’", "'") for w in WORD.findall(question)]
    if any(w in REFERRING for w in words):
        return True
    clauses = re.split(r"[?.!,;:]", question.lower())
    return any((tail := WORD.findall(c)) and tail[-1] in TRAILING for c in clauses)


def previous_question(history: Sequence[Turn]) -> str:
    return next((t.text for t in reversed(history) if t.role == "user"), "")


def with_context(question: str, history: Sequence[Turn]) -> str:
    """The previous question and this one, as one search text ("" history: the question alone)."""
    previous = previous_question(history)
    return f"{previous}\n{question}" if previous else question


def search_in_conversation(question: str, history: Sequence[Turn], search: Callable[[str], T],
                           strong: Callable[[T], bool]) -> tuple[str, T]:
    """Search ``question``, with the previous question only when it needs it: (search text, result)."""
    joined = with_context(question, history)
    if joined == question:
        return question, search(question)
    if refers_back(question):
        return joined, search(joined)
    alone = search(question)
    if strong(alone):
        return question, alone
    context = search(joined)
    return (joined, context) if strong(context) else (question, alone)
