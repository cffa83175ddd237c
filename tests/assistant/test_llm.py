"""The chat client and the chat answerer against a fake OpenAI-compatible server on loopback."""

import re
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


# -- misbehaviours of real chat models and servers (issue 18): each of these passed unchecked before --

PYRO = make_chunk("altimeter", 4, ["Mounting the pyro charges:", "Insert two screws for each pyro charge."])
BATTERY = make_chunk("altimeter", 5, ["Battery", "Connect the red wire to the positive (+) battery terminal."], top=300)
WARRANTY = make_chunk("kettle", 2, ["Descale the kettle every 4 weeks with citric acid."])


def alias(chunk, chunks=(LEDS, BUILD)):
    return short_ids([c.id for c in chunks])[chunk.id]


def test_an_uncited_sentence_is_tied_to_the_source_that_supports_it():
    with FakeChatServer([Reply(pieces=["When the battery is fully charged, ", "the green LED is lit."])]) as server:
        draft, _ = answer(server, "What does the green LED mean?")
    assert draft.text == "When the battery is fully charged, the green LED is lit [1]." and not draft.abstained
    assert draft.citations[0].chunk_id == LEDS.id and draft.checks["attributed"] == 1


def test_an_invented_uncited_fact_is_not_shown_as_an_answer():
    with FakeChatServer([Reply(pieces=["Die Garantie beträgt 10 Jahre."])]) as server:
        draft, streamed = answer(server, "Wie lange gilt die Garantie?", chunks=(WARRANTY, LEDS))
    assert draft.abstained and draft.text == "" and not draft.citations and streamed == []
    assert "not supported" in draft.note and draft.checks["unsupported"] == 1


def test_a_number_the_cited_source_does_not_hold_is_unsupported():
    cited = alias(WARRANTY, (WARRANTY, LEDS))
    with FakeChatServer([Reply(pieces=[f"Descale the kettle every 6 weeks with citric acid [{cited}]."])]) as server:
        draft, _ = answer(server, "How often should the kettle be descaled?", chunks=(WARRANTY, LEDS))
    assert draft.abstained and draft.checks["unsupported"] == 1


LOCKOUT = make_chunk("kdc-guide", 3, ["As of release 1.8, the KDC can be configured to lock out principals after failed attempts."])


def test_a_number_or_identifier_the_question_names_need_not_be_in_the_source_but_a_new_one_must():
    question = "Since which krb5 release can the KDC lock out principals?"  # "krb5" is in the question, not on the page
    with FakeChatServer([Reply(pieces=["Since krb5 release 1.8, the KDC can lock out principals after failed attempts."])]) as server:
        draft, _ = answer(server, question, chunks=(LOCKOUT, LEDS))
    assert not draft.abstained and draft.checks["attributed"] == 1 and draft.citations[0].chunk_id == LOCKOUT.id
    with FakeChatServer([Reply(pieces=["Since krb5 release 1.9, the KDC can lock out principals after failed attempts."])]) as server:
        draft, _ = answer(server, question, chunks=(LOCKOUT, LEDS))
    assert draft.abstained and draft.checks["unsupported"] == 1  # 1.9 is neither on the page nor in the question


def test_unsupported_sentences_can_be_shown_marked_and_no_support_can_fall_back_to_the_extractive_answer():
    leds = alias(LEDS)
    pieces = [f"The green LED means the battery is fully charged [{leds}]. ", "It also plays a melody."]
    with FakeChatServer([Reply(pieces=pieces)]) as server:
        draft, _ = answer(server, "What does the green LED mean?", llm_unsupported="mark")
    assert draft.text == "The green LED means the battery is fully charged [1]. It also plays a melody [unsupported]."
    with FakeChatServer([Reply(pieces=["It plays a melody."])]) as server:
        draft, streamed = answer(server, "What does the green LED mean?", llm_no_support="extractive")
    assert not draft.abstained and draft.text.startswith("The model's answer could not be checked")
    assert "green LED" in draft.text and draft.citations and draft.checks["extractive"] == 1
    assert "".join(streamed) == draft.text


def test_a_refusal_in_words_is_an_abstention():
    with FakeChatServer([Reply(pieces=["The documents do not say."])]) as server:
        draft, streamed = answer(server, "What is the warranty?")
    assert draft.abstained and "do not answer" in draft.note and streamed == []
    with FakeChatServer([Reply(pieces=["Die Dokumente enthalten keine Angabe dazu."])]) as server:
        assert answer(server, "Wie lange gilt die Garantie?")[0].abstained


def test_a_wrong_source_id_is_re_pointed_to_the_source_that_supports_the_sentence():
    chunks = (PYRO, BATTERY)
    pyro = alias(PYRO, chunks)
    with FakeChatServer([Reply(pieces=[f"Connect the red wire to the positive battery terminal [{pyro}]."])]) as server:
        draft, _ = answer(server, "How do I connect the battery?", chunks=chunks)
    assert draft.text == "Connect the red wire to the positive battery terminal [1]."
    [citation] = draft.citations
    assert citation.chunk_id == BATTERY.id and citation.quote.startswith("Connect the red wire")
    assert draft.checks["repointed"] == 1


def test_the_prompt_example_id_cannot_become_a_citation_and_copied_headers_are_not_citations():
    leds, build = alias(LEDS), alias(BUILD)
    copied = [f"[{build}] guide, page 6\n", "When the battery is fully charged, the green LED will be lit.\n",
              "The connector is [c-3f9a]. [c-xxxx]"]
    with FakeChatServer([Reply(pieces=copied)]) as server:
        draft, _ = answer(server, "What does the green LED mean?")
    system = server.requests[0]["messages"][0]["content"]
    assert "c-3f9a" not in system and not re.search(r"\[c-[0-9a-f]{2,}\]", system)  # no example that looks like an id
    assert draft.text == "When the battery is fully charged, the green LED will be lit [1]."
    assert [c.chunk_id for c in draft.citations] == [LEDS.id] and "c-3f9a" in draft.dropped_ids
    assert leds not in draft.text


def test_an_answer_cut_off_by_the_token_limit_says_so():
    leds = alias(LEDS)
    pieces = [f"The green LED means the battery is fully charged [{leds}]. ", "When the battery"]
    with FakeChatServer([Reply(pieces=pieces, finish_reason="length")]) as server:
        draft, streamed = answer(server, "What does the green LED mean?")
    assert draft.text.endswith("(The answer was cut off: the model reached its length limit.)")
    assert draft.checks["cut_off"] == 1 and "".join(streamed).strip() == draft.text


def test_an_empty_stream_is_reported_as_a_likely_context_overflow_and_not_retried():
    with FakeChatServer([Reply(empty=True)]) as server:
        with pytest.raises(EngineUnavailable, match="longer than the server's context"):
            client(server).chat([Message("user", "x" * 30000)], lambda d: None)
    assert len(server.requests) == 1


def test_pings_without_tokens_time_out_and_a_total_deadline_bounds_the_answer():
    with FakeChatServer([Reply(pieces=["late"], pings=40, gap=0.05)]) as server:
        started = time.perf_counter()
        with pytest.raises(EngineUnavailable, match="no token within"):
            client(server, timeout=0.5, retries=0).chat(HELLO, lambda d: None)
        assert time.perf_counter() - started < 1.5
    with FakeChatServer([Reply(pieces=["a"] * 40, gap=0.05)]) as server:
        with pytest.raises(EngineUnavailable, match="within 0.5 s"):
            client(server, timeout=5.0, deadline=0.5).chat(HELLO, lambda d: None)
        assert len(server.requests) == 1


def test_sources_are_fitted_to_the_context_the_server_reports():
    from tests.assistant.fake_openai import model_entry

    big = [make_chunk(f"doc{i}", 1, [f"Line {j} of a long manual page about topic {i}." for j in range(40)]) for i in range(6)]
    scorer = UnitScorer(KeywordIndex(big))
    request = Request(question="What about topic 3?", hits=[Hit(chunk=c, score=0.5) for c in big], scorer=scorer, image_path=image_path)
    with FakeChatServer([Reply(pieces=["The documents do not say."])], models=[model_entry("fake-model", context=2048)]) as server:
        chat = OpenAiAnswerer(client(server, max_tokens=300))
        chat.answer(request)
    assert chat.context_tokens() == 2048
    prompt = sum(len(m["content"]) for m in server.requests[0]["messages"])
    assert prompt <= (2048 - 300) * 3 and server.requests[0]["messages"][-1]["content"].count("[c-") < 6
    with FakeChatServer([Reply(pieces=["ok."])], models=[model_entry("fake-model")]) as server:
        assert OpenAiAnswerer(client(server), AnswerSettings(llm_context_tokens=1024)).context_tokens() == 1024


def test_the_chat_server_check_probes_models_and_the_model_name():
    from assistant.llm_check import check_chat_server
    from tests.assistant.fake_openai import model_entry

    with FakeChatServer([Reply(pieces=["ok."])], models=[model_entry("qwen-local", context=8192)]) as server:
        ok = check_chat_server(AnswerSettings(answerer="openai", llm_base_url=server.base_url, llm_model="qwen-local"))
        wrong = check_chat_server(AnswerSettings(answerer="openai", llm_base_url=server.base_url, llm_model="qwen"))
    assert ok.ok and "serves qwen-local (context 8192 tokens)" in ok.detail
    assert not wrong.ok and wrong.required and "not 'qwen'" in wrong.detail and "FOLIO_LLM_MODEL" in wrong.detail
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = check_chat_server(AnswerSettings(llm_base_url=f"http://127.0.0.1:{port}/v1", llm_model="m"))
    assert not down.ok and not down.required and "does not answer" in down.detail
    assert check_chat_server(AnswerSettings()).skipped


def test_a_supported_sentence_with_refusal_words_is_not_a_refusal():
    chunk = make_chunk("kit", 3, ["The charger is not provided with the kit."])
    with FakeChatServer([Reply(pieces=["The charger is not provided with the kit."])]) as server:
        draft, _ = answer(server, "Is a charger included?", chunks=(chunk, LEDS))
    assert not draft.abstained and draft.text == "The charger is not provided with the kit [1]."
    with FakeChatServer([Reply(pieces=["The manual does not mention how long the warranty lasts."])]) as server:
        assert answer(server, "How long is the warranty?", chunks=(chunk, LEDS))[0].checks["refusals"] == 1


def test_sentences_are_cut_after_their_markers_and_not_at_step_numbers_or_abbreviations():
    from assistant.llm_answer import SentenceSplitter

    splitter = SentenceSplitter()
    text = "1. Open the lid, e.g. with a coin. [c-ab12] Then wait.\n2. Close it [c-cd34].\n3. Done"
    pieces = [splitter.feed(ch) for ch in text]  # one character at a time, like a stream
    cut = [s for p in pieces for s in p] + splitter.finish()
    assert cut == ["1. Open the lid, e.g. with a coin. [c-ab12] ", "Then wait.\n", "2. Close it [c-cd34].\n", "3. Done"]


def test_a_busy_chat_server_is_reported_as_busy_not_as_down():
    import http.server
    import threading

    class Busy(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            time.sleep(1.0)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(EngineUnavailable, match="busy with another answer"):
            ChatClient(f"http://127.0.0.1:{server.server_address[1]}/v1", "m").served_models(timeout=0.2)
    finally:
        server.shutdown()
        server.server_close()


def test_sources_are_the_readers_best_passages_with_the_lines_around_them_not_whole_chunks():
    """With the reader's candidates, the prompt shows each chunk cut to its best passages (whole lines of
    context around them) and the citation points at a line of what was shown."""
    from assistant.candidates import CandidateSettings, build_reading
    from assistant.question import read_question
    from assistant.reader import decide
    from assistant.retrieve import Ranked
    from tests.assistant.builders import reader_model

    filler = [f"Part {i} of the bracket is fastened with the screws of kit {i}." for i in range(40)]
    manual = make_chunk("manual", 12, [*filler[:20], "To reset the device, hold the recessed button for ten seconds.", *filler[20:]])
    question = "How do I reset the device?"
    scorer = UnitScorer(KeywordIndex([manual, LEDS]))
    reading = build_reading(read_question(question, scorer.keywords), [Ranked(chunk=manual, score=1.0), Ranked(chunk=LEDS, score=0.5)],
                            scorer, CandidateSettings(semantic_chunks=0))
    decision = decide(reading, reader_model({"coverage": 10.0, "length": -0.5}))
    request = Request(question=question, hits=[r.hit() for r in decision.ranked], scorer=scorer, image_path=image_path,
                      decision=decision, documents={"manual": "manual.pdf"})
    alias = short_ids([manual.id, LEDS.id])[manual.id]
    with FakeChatServer([Reply(pieces=[f"Hold the recessed button for ten seconds [{alias}]."])]) as server:
        draft = OpenAiAnswerer(client(server), AnswerSettings(llm_max_sources=1)).answer(request)
        prompt = server.requests[0]["messages"][-1]["content"]
    assert "hold the recessed button for ten seconds" in prompt
    assert "kit 19." in prompt and "kit 20." in prompt  # the lines around the passage
    assert "kit 0." not in prompt and "kit 39." not in prompt  # not the whole chunk
    assert "green LED" not in prompt  # llm_max_sources=1: only the best candidate's chunk
    assert len(prompt) < len(manual.text)
    assert draft.text.startswith("Hold the recessed button for ten seconds [1]")
    assert draft.citations[0].quote.startswith("To reset the device")


def test_the_prompt_does_not_invite_a_refusal():
    """Whether the pages answer is the reader's decision; a small model told it may refuse refuses answerable questions."""
    from assistant.llm_answer import SYSTEM_PROMPT

    assert "do not say" not in SYSTEM_PROMPT.lower() and "do not answer" not in SYSTEM_PROMPT.lower()


def test_the_prompt_asks_for_the_sources_own_words_for_every_part_and_a_copied_line_is_cited_with_its_box():
    """A 1.5B model reads better when it copies the lines that answer than when it rephrases them."""
    from assistant.llm_answer import SYSTEM_PROMPT

    assert "word for word" in SYSTEM_PROMPT and "every part" in SYSTEM_PROMPT
    with FakeChatServer([Reply(pieces=["If the battery is charging, the red LED will be lit.\n",
                                       "When the battery is fully charged, the green LED will be lit."])]) as server:
        draft, _ = answer(server, "What do the red and the green LED mean?")
    assert [c.quote for c in draft.citations] == ["If the battery is charging, the red LED will be lit.",
                                                 "When the battery is fully charged, the green LED will be lit."]
    assert draft.citations[0].bbox.y1 <= draft.citations[1].bbox.y0  # each line's own box
