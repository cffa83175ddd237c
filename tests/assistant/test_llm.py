"""The chat client and the chat answerer against a fake OpenAI-compatible server on loopback."""

import socket
import time

import pytest

from assistant.answer import Request
from assistant.config import AnswerSettings
from assistant.evidence import UnitScorer
from assistant.keyword import KeywordIndex
from assistant.llm import ChatClient, Message
from assistant.llm_answer import OpenAiAnswerer, short_ids
from assistant.schema import Turn
from storage.errors import ConfigError, EngineUnavailable
from storage.schema import Hit
from tests.assistant.builders import image_path, make_chunk
from tests.assistant.fake_openai import FakeChatServer, Reply

HELLO = [Message("user", "hello")]


def client(server: FakeChatServer, **kw) -> ChatClient:
    kw.setdefault("backoff", 0.01)
    return ChatClient(server.base_url, "fake-model", **kw)


def test_streams_the_answer_and_sends_model_messages_and_key():
    with FakeChatServer([Reply(pieces=["Hel", "lo ", "there"])]) as server:
        pieces: list[str] = []
        text = client(server, api_key="sk-test").chat(HELLO, pieces.append)
    assert text == "Hello there" and pieces == ["Hel", "lo ", "there"]
    sent = server.requests[0]
    assert sent["model"] == "fake-model" and sent["stream"] is True
    assert sent["messages"] == [{"role": "user", "content": "hello"}]
    assert server.headers[0]["Authorization"] == "Bearer sk-test"


def test_a_503_is_retried_then_succeeds():
    with FakeChatServer([Reply(status=503), Reply(pieces=["ok"])]) as server:
        assert client(server).chat(HELLO, lambda d: None) == "ok"
    assert len(server.requests) == 2


def test_persistent_500_gives_up_after_the_retries():
    with FakeChatServer([Reply(status=500, body='{"error": "boom"}')]) as server:
        with pytest.raises(EngineUnavailable, match="HTTP 500"):
            client(server, retries=2).chat(HELLO, lambda d: None)
    assert len(server.requests) == 3


def test_a_slow_server_times_out():
    with FakeChatServer([Reply(pieces=["late"], delay=2.0)]) as server:
        started = time.perf_counter()
        with pytest.raises(EngineUnavailable, match="timeout"):
            client(server, timeout=0.3, retries=1).chat(HELLO, lambda d: None)
        assert time.perf_counter() - started < 1.5


def test_a_stream_cut_after_tokens_is_an_error_and_not_repeated():
    with FakeChatServer([Reply(pieces=["a", "b", "c"], drop_after=2)]) as server:
        pieces: list[str] = []
        with pytest.raises(EngineUnavailable, match="ended before"):
            client(server).chat(HELLO, pieces.append)
    assert pieces == ["a", "b"] and len(server.requests) == 1


def test_bad_key_and_bad_model_are_configuration_errors():
    with FakeChatServer([Reply(status=401)]) as server:
        with pytest.raises(ConfigError, match="FOLIO_LLM_API_KEY"):
            client(server).chat(HELLO, lambda d: None)
    with FakeChatServer([Reply(status=404, body='{"error": "model not found"}')]) as server:
        with pytest.raises(ConfigError, match="FOLIO_LLM_MODEL"):
            client(server).chat(HELLO, lambda d: None)


def test_nothing_listening_is_engine_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(EngineUnavailable, match="connection failed"):
        ChatClient(f"http://127.0.0.1:{port}/v1", "m", retries=1, backoff=0.01).chat(HELLO, lambda d: None)


LEDS = make_chunk("manual", 10, [
    "If the battery is charging, the red LED will be lit.",
    "When the battery is fully charged, the green LED will be lit.",
])
BUILD = make_chunk("guide", 6, ["Compile the NRPE addon:", "# make all"], top=600)


def answer(server: FakeChatServer, question: str, history=(), chunks=(LEDS, BUILD), **settings):
    scorer = UnitScorer(KeywordIndex(list(chunks)))
    streamed: list[str] = []
    request = Request(question=question, hits=[Hit(chunk=c, score=0.9 - 0.1 * i) for i, c in enumerate(chunks)],
                      scorer=scorer, image_path=image_path, history=history, on_text=streamed.append,
                      documents={"manual": "manual.pdf"})
    cfg = AnswerSettings(**settings)
    return OpenAiAnswerer(client(server), cfg).answer(request), streamed


def test_answer_cites_given_ids_drops_unknown_ones_and_boxes_the_matching_line():
    ids = short_ids([LEDS.id, BUILD.id])
    leds = ids[LEDS.id]
    pieces = ["The green LED means the battery is ", f"fully charged [{leds[:4]}", f"{leds[4:]}]. ", "It is safe [c-ffff]."]
    with FakeChatServer([Reply(pieces=pieces)]) as server:
        draft, streamed = answer(server, "What does the green LED mean?")
    prompt = server.requests[0]["messages"][-1]["content"]
    assert f"[{leds}] manual.pdf, page 10" in prompt and f"[{ids[BUILD.id]}] guide, page 6" in prompt  # document and page
    assert "Question: What does the green LED mean?" in prompt
    assert draft.text == "The green LED means the battery is fully charged [1]."  # "It is safe" is in no source: dropped
    assert "".join(streamed).strip() == draft.text
    assert draft.dropped_ids == ("c-ffff",) and not draft.abstained
    assert draft.checks["kept"] == 1 and draft.checks["unsupported"] == 1
    [citation] = draft.citations
    assert citation.chunk_id == LEDS.id and citation.page == 10
    assert citation.quote == "When the battery is fully charged, the green LED will be lit."
    assert citation.bbox.y0 == 140.0 and citation.bbox.y1 == 170.0  # the second line only


def test_follow_up_sends_the_conversation_so_far():
    history = [Turn(role="user", text="What does the red LED mean?"), Turn(role="assistant", text="Charging [1].")]
    with FakeChatServer([Reply(pieces=["Full."])]) as server:
        answer(server, "And the green one?", history)
    roles = [m["role"] for m in server.requests[0]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert server.requests[0]["messages"][1]["content"] == "What does the red LED mean?"


def test_short_ids_grow_until_they_are_unique():
    assert short_ids(["c-abcd11", "c-abcd22"]) == {"c-abcd11": "c-abcd1", "c-abcd22": "c-abcd2"}
    assert short_ids(["c-1234ab", "c-9999ab"]) == {"c-1234ab": "c-1234", "c-9999ab": "c-9999"}
