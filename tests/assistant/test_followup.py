"""Follow-ups: the conversation is searched only when the question needs it."""

from __future__ import annotations

import pytest

from assistant.followup import refers_back, search_in_conversation
from assistant.schema import Turn
from assistant.service import Assistant

RTKLIB = "Which option sets the elevation mask angle?"
EMAIL = "What is the e-mail address of REINER SCT support?"


@pytest.mark.parametrize("question", ["Which port does it listen on?", "And the second argument?", "What about the green LED?",
                                      "How do I change that?", "Is there a default for this?", "Was bedeutet dies?"])
def test_questions_that_refer_back(question: str) -> None:
    assert refers_back(question)


@pytest.mark.parametrize("question", [EMAIL, RTKLIB, "Which option sets the mask that rejects low satellites?",
                                      "How do I build the NRPE daemon?", "Where is the support office located?"])
def test_questions_that_stand_alone(question: str) -> None:
    assert not refers_back(question)


def test_context_is_used_only_when_needed() -> None:
    history = [Turn(role="user", text=RTKLIB), Turn(role="assistant", text="pos1-elmask [1]")]
    searched: list[str] = []

    def search(text: str) -> float:
        searched.append(text)
        return 0.9 if "REINER" in text or "\n" in text else 0.1

    assert search_in_conversation(EMAIL, history, search, lambda s: s > 0.5) == (EMAIL, 0.9)
    assert searched == [EMAIL]
    searched.clear()
    assert search_in_conversation("Which port does it use?", history, search, lambda s: s > 0.5)[0] == f"{RTKLIB}\nWhich port does it use?"
    assert len(searched) == 1
    searched.clear()
    # weak alone, strong with the previous question: the context wins; weak both ways: the question alone
    assert search_in_conversation("Where is the mask set", history, search, lambda s: s > 0.5)[0] == f"{RTKLIB}\nWhere is the mask set"
    assert search_in_conversation("Where is the mask set", history, lambda t: 0.1, lambda s: s > 0.5) == ("Where is the mask set", 0.1)


def test_a_topic_switch_answers_the_new_question(assistant: Assistant) -> None:
    first = assistant.ask(RTKLIB)
    history = [Turn(role="user", text=RTKLIB), Turn(role="assistant", text=first.text)]
    answer = assistant.ask(EMAIL, history=history)
    assert not answer.abstained and "support@reiner-sct.com" in answer.text
    assert answer.citations[0].source == "cyberjack-handbuch_p005.jpg"


def test_a_real_follow_up_uses_the_previous_question(assistant: Assistant) -> None:
    history = [Turn(role="user", text="How do I test the NRPE daemon locally?"), Turn(role="assistant", text="...")]
    answer = assistant.ask("Which port should it be listening on?", history=history)
    assert not answer.abstained and "5666" in answer.text
    assert {c.source for c in answer.citations} == {"nrpe-guide_p006.jpg"}
