"""``ask`` end to end on the five fixture photos, ingested once with the real pipeline (CPU OCR, Chroma, embedder)
and the shipped reader model.

The questions are written for these tests (not taken from an eval set): each names the page it is
about, the strings a right answer holds, and a string of a line that must be cited on that page.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from assistant.schema import Answer, Turn
from assistant.service import Assistant, ask, build_assistant
from assistant.settings import Settings


def page_of(assistant: Assistant, doc_id: str, page: int) -> tuple[str, int]:
    """The fixture (document, page) of a stored page: the photo's file name says which it is."""
    source = assistant.handles.library.get(assistant.collection, doc_id).source
    name, number = Path(source).stem.rsplit("_p", 1)
    assert page == 1
    return name, int(number)


def check_answered(assistant: Assistant, answer: Answer, gold: tuple[str, int], holds: list[str], cited: str) -> None:
    assert not answer.abstained, answer.text
    text = answer.text.casefold()
    for part in holds:
        assert part.casefold() in text, f"{part!r} not in {answer.text!r}"
    on_page = [c for c in answer.citations if page_of(assistant, c.doc_id, c.page) == gold]
    assert any(cited.casefold() in c.quote.casefold() for c in on_page), f"no citation of {cited!r} on {gold}"
    for c in answer.citations:
        assert Path(c.image).is_file() and f"[{c.n}]" in answer.text and c.quote and c.boxes


CASES = {
    "factual": ("Which option sets the elevation mask angle?", ("rtklib-manual", 37), ["elmask"], "elevation mask"),
    "procedural": ("How do I compile NRPE after unpacking it?", ("nrpe-guide", 6), ["./configure", "make all"], "make all"),
    "multi-span": ("What do the red and the green LED say about the battery while it charges?", ("altusmetrum-manual", 10),
                   ["red", "green"], "green LED"),
    "german": ("Welche Angaben braucht der Support bei einer Fehlermeldung?", ("cyberjack-handbuch", 5), ["Fehlermeldung"],
               "Fehlermeldung"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_answers_cite_the_line_on_the_right_page(assistant: Assistant, case: str) -> None:
    question, gold, holds, cited = CASES[case]
    check_answered(assistant, ask(question, assistant), gold, holds, cited)


def test_procedure_keeps_the_page_order(assistant: Assistant) -> None:
    text = ask("How do I compile NRPE after unpacking it?", assistant).text
    positions = [text.index(step) for step in ("./configure", "make all", "make install")]
    assert positions == sorted(positions)


@pytest.mark.parametrize("question", ["Wie hoch ist der Preis des Kartenlesers in Euro?", "What is the boiling point of water at sea level?"])
def test_unanswerable_questions_abstain_and_list_the_closest_pages(assistant: Assistant, question: str) -> None:
    answer = ask(question, assistant)
    assert answer.abstained and not answer.citations
    assert "do not seem to answer" in answer.text and "page 1" in answer.text
    assert len(answer.pages) >= 3 and all(Path(p.image).is_file() for p in answer.pages)


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("How much does a TeleMetrum battery charger cost?", "give no price"),  # the page names the boards, no price
        ("Which Raspberry Pi boards can run RTKNAVI?", "never mention Raspberry Pi"),
    ],
)
def test_near_misses_abstain_and_say_what_is_missing(assistant: Assistant, question: str, reason: str) -> None:
    answer = ask(question, assistant)
    assert answer.abstained and not answer.citations
    assert reason in answer.text


def test_a_question_for_an_address_is_answered_where_the_page_gives_one(assistant: Assistant) -> None:
    answer = ask("What postal address does REINER SCT support have?", assistant)
    assert not answer.abstained, answer.text
    assert "Schwabacher Str. 34" in answer.text and answer.citations


def test_document_filter_limits_the_search(assistant: Assistant) -> None:
    records = assistant.handles.library.list(assistant.collection)
    altus = next(r.doc_id for r in records if "altusmetrum" in r.source)
    answer = ask(CASES["factual"][0], assistant, doc_ids={altus})
    assert {p.doc_id for p in answer.pages} == {altus}
    assert all(c.doc_id == altus for c in answer.citations)


def test_follow_up_question_uses_the_conversation(assistant: Assistant) -> None:
    history = [Turn(role="user", text="How do I update the firmware of the cyberJack reader with cjflash?"),
               Turn(role="assistant", text="Run cjflash 1 Kernel_V30_07.bin ...")]
    answer = ask("And what if the reader hangs afterwards?", assistant, history=history)
    # Read with the previous question, the follow-up lands on the cyberJack firmware page; whether that
    # page answers it is the fitted reader's call (tests/assistant/test_followup.py checks the mechanism).
    assert answer.pages[0].source == "cyberjack-handbuch_p005.jpg"
    assert answer.abstained or answer.citations[0].source == "cyberjack-handbuch_p005.jpg"


def test_answer_is_stamped_and_streamed(assistant: Assistant, settings: Settings) -> None:
    pieces: list[str] = []
    answer = ask(CASES["factual"][0], assistant, stream=pieces.append)
    assert "".join(pieces) == answer.text
    assert answer.settings_fingerprint == settings.fingerprint() and answer.answerer == "extractive"
    assert answer.timings["total"] < 2.0
    payload = answer.as_json()
    assert set(payload) >= {"answer", "abstained", "citations"}
    assert set(payload["citations"][0]) >= {"doc_id", "page", "bbox", "image", "quote"}


def test_asking_opens_no_network_connection(assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing on the read path (llama-index, bm25s, jieba, the embedder) reaches for the network."""
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if not (isinstance(address, tuple) and str(address[0]) in ("127.0.0.1", "::1", "localhost")):
            attempts.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    fresh = build_assistant(assistant.settings)
    for question in ("Wie lange gilt die Garantie?", "如何更新固件？", "How do Ssdeep and Sdhash each compare two digests?"):
        ask(question, fresh)
    assert attempts == []


def test_empty_collection_says_so(settings: Settings) -> None:
    empty = build_assistant(settings, "empty")
    answer = ask("What is the battery voltage?", empty)
    assert answer.abstained and "folio ingest" in answer.text


def test_chat_answerer_through_ask_cites_the_source_it_was_given(assistant: Assistant) -> None:
    """FOLIO_ANSWERER=openai end to end: real retrieval, a fake chat server on loopback, real HTTP and streaming."""
    import re

    from assistant.config import AnswerSettings
    from assistant.service import build_answerer
    from tests.assistant.fake_openai import FakeChatServer, Reply

    def respond(body: dict) -> list[str]:
        sources = body["messages"][-1]["content"]
        blocks = re.split(r"^(?=\[c-[0-9a-f]+\] )", sources, flags=re.M)
        source = next(b[1 : b.index("]")] for b in blocks if b.startswith("[c-") and "elmask" in b.lower())
        return ["The keyword is pos1-elmask; the elevation mask angle is set in degree ", f"[{source}]", " [c-0000]."]

    with FakeChatServer([Reply(respond=respond)]) as server:
        cfg = AnswerSettings(answerer="openai", llm_base_url=server.base_url, llm_model="fake-model")
        chat = Assistant(assistant.settings, assistant.handles, answerer=build_answerer(cfg))
        pieces: list[str] = []
        answer = ask(CASES["factual"][0], chat, stream=pieces.append)
    assert answer.answerer == "openai:fake-model" and answer.dropped_ids == ("c-0000",)
    assert answer.text.startswith("The keyword is pos1-elmask") and "[1]" in answer.text and "c-0000" not in answer.text
    assert "".join(pieces).strip() == answer.text
    [citation] = answer.citations
    assert page_of(assistant, citation.doc_id, citation.page) == ("rtklib-manual", 37)
    assert "mask" in citation.quote.lower() and Path(citation.image).is_file()


def test_a_chat_model_refusal_is_an_abstention_with_the_closest_pages(assistant: Assistant) -> None:
    """The model's own "the documents do not say" is an abstention, like the evidence threshold's, with the closest pages."""
    from assistant.config import AnswerSettings
    from assistant.service import build_answerer
    from tests.assistant.fake_openai import FakeChatServer, Reply

    with FakeChatServer([Reply(pieces=["The documents ", "do not say."])]) as server:
        cfg = AnswerSettings(answerer="openai", llm_base_url=server.base_url, llm_model="fake-model")
        chat = Assistant(assistant.settings, assistant.handles, answerer=build_answerer(cfg))
        pieces: list[str] = []
        answer = ask(CASES["factual"][0], chat, stream=pieces.append)
    prompt = server.requests[0]["messages"][-1]["content"]
    assert re.search(r"^\[c-[0-9a-f]+\] \S+\.jpg, page \d+$", prompt, flags=re.M)  # each source names its document
    assert answer.abstained and not answer.citations and answer.pages and answer.checks["refusals"] == 1
    assert "The closest pages are" in answer.text and "".join(pieces) == answer.text
    assert answer.as_json()["abstained"] is True
