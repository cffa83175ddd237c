"""The app through ``streamlit.testing.v1.AppTest``: real ingest (CPU OCR, Chroma, embedder) into a temp
data dir, real asking, real deleting. Each test is one browser session."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from storage.library import Library
from tests.assistant.fake_openai import FakeChatServer, Reply
from tests.fakes.hunyuan_server import FakeHunyuanServer
from tests.ui.conftest import APP, MINI, PHOTO, QUESTION

pytestmark = pytest.mark.usefixtures("loopback_app")
TIMEOUT = 240  # seconds per script run: the first run of a data dir loads the OCR engine and the embedder


def start(monkeypatch: pytest.MonkeyPatch, data_dir: Path | None = None, **env: str) -> AppTest:
    if data_dir is not None:
        monkeypatch.setenv("FOLIO_DATA_DIR", str(data_dir))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return healthy(AppTest.from_file(str(APP), default_timeout=TIMEOUT).run())


def healthy(at: AppTest) -> AppTest:
    """No exception escaped, and the app's last-resort handler did not catch one either."""
    assert not at.exception, at.exception
    unexpected = [e.value for e in at.error if "unexpected" in e.value]
    assert not unexpected, unexpected
    return at


def ask(at: AppTest, question: str) -> AppTest:
    return healthy(at.chat_input[0].set_value(question).run())


def texts(elements) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.value for e in elements]


def captions(at: AppTest) -> list[str]:
    return [i.caption for image in at.image for i in image.proto.imgs]


def test_upload_ingests_each_file_and_reports_the_bad_one(monkeypatch: pytest.MonkeyPatch, _data_dir: Path) -> None:
    at = start(monkeypatch)
    assert "has no pages yet" in texts(at.info)[0]
    at.file_uploader[0].set_value([(PHOTO.name, PHOTO.read_bytes(), "image/jpeg"), ("broken.jpg", b"not a picture", "image/jpeg")])
    healthy(at.button(key="add_files").click().run())
    [added] = texts(at.sidebar.success)
    assert added.startswith(f"Added {PHOTO.name}: 1 page read, ") and " passages indexed in " in added
    assert len(at.sidebar.error) == 1 and at.sidebar.error[0].value.startswith("Could not add broken.jpg: ")
    progress = at.get("progress")
    assert progress and progress[-1].proto.value == 100 and "page 1 of 1" in progress[-1].proto.text
    records = Library(_data_dir).list("default")
    assert [r.source for r in records] == [PHOTO.name] and records[0].n_chunks > 0

    at.camera_input[0].set_value((PHOTO.name, PHOTO.read_bytes(), "image/jpeg"))  # the same page, from the camera
    healthy(at.button(key="add_photo").click().run())
    assert texts(at.sidebar.info) == [f"{PHOTO.name} is already in the library (1 page)."], texts(at.sidebar.info)

    healthy(at.radio(key="view").set_value("Library").run())
    assert any(PHOTO.name in m for m in texts(at.markdown)) and "p. 1" in captions(at)
    assert "1 document, 1 page" in texts(at.caption)


def test_answer_cites_the_page_with_highlighted_crops(monkeypatch: pytest.MonkeyPatch, ingested_dir: Path) -> None:
    at = ask(start(monkeypatch, ingested_dir), QUESTION)
    user, assistant = at.chat_message
    assert user.markdown[0].value == QUESTION
    answer = assistant.markdown[0].value
    assert ":orange-badge[1]" in answer and "Nilsimsa" in answer
    crops = [c for c in captions(at) if c.startswith("[")]
    assert crops and crops[0].startswith("[1") and crops[0].endswith(f"] {PHOTO.name}, p. 1")
    assert any(e.label == "Full page" for e in at.expander)
    quotes = [m.value for m in assistant.markdown if m.value.startswith("> ")]
    assert quotes and all(len(q) > 10 for q in quotes)

    at = ask(at, "And which one uses the edit distance?")  # a follow-up: the conversation is kept
    assert [m.name for m in at.chat_message] == ["user", "assistant", "user", "assistant"]
    assert at.chat_message[0].markdown[0].value == QUESTION


def test_a_streamed_llm_answer_is_cited_and_a_follow_up_sends_the_conversation(
    monkeypatch: pytest.MonkeyPatch, ingested_dir: Path
) -> None:
    from assistant.llm_answer import short_ids
    from assistant.settings import Settings
    from assistant.wiring import open_store

    chunks = open_store(Settings(data_dir=ingested_dir, _env_file=None)).store.chunks()  # type: ignore[call-arg]
    alias = short_ids([c.id for c in chunks])[next(c.id for c in chunks if "Nilsimsa scheme" in c.text)]
    pieces = ["The Nilsimsa scheme compares digests ", "by their hamming ", f"distance [{alias}]."]
    with FakeChatServer([Reply(pieces=pieces, gap=0.02)]) as llm:
        at = start(monkeypatch, ingested_dir, FOLIO_ANSWERER="openai", FOLIO_LLM_BASE_URL=llm.base_url, FOLIO_LLM_MODEL="fake-llm")
        at = ask(ask(at, "How does Nilsimsa compare two digests?"), "And Ssdeep?")
    assert at.chat_message[1].markdown[0].value == "The Nilsimsa scheme compares digests by their hamming distance :orange-badge[1]."
    assert any(c.startswith("[1") and c.endswith(f"] {PHOTO.name}, p. 1") for c in captions(at))
    follow_up = llm.requests[1]["messages"]
    assert [m["role"] for m in follow_up] == ["system", "user", "assistant", "user"]
    assert follow_up[1]["content"] == "How does Nilsimsa compare two digests?"
    assert follow_up[2]["content"].startswith("The Nilsimsa scheme compares digests")


def test_an_answer_is_kept_when_the_run_that_draws_it_is_cut_short(monkeypatch: pytest.MonkeyPatch, ingested_dir: Path) -> None:
    """A question sent while the last answer's cards are still drawn stops that run; the exchange must stay."""
    import streamlit as st

    import ui.chat_view

    draw = ui.chat_view.render_evidence
    monkeypatch.setattr(ui.chat_view, "render_evidence", lambda *args, **kwargs: st.stop())  # the run ends mid-drawing
    at = start(monkeypatch, ingested_dir)
    at = healthy(at.chat_input[0].set_value(QUESTION).run())
    monkeypatch.setattr(ui.chat_view, "render_evidence", draw)
    at = healthy(at.run())  # the next run draws the conversation as kept
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    assert at.chat_message[0].markdown[0].value == QUESTION and "Nilsimsa" in at.chat_message[1].markdown[0].value
    assert any(c.startswith("[1") for c in captions(at))


def test_abstention_shows_the_closest_pages(monkeypatch: pytest.MonkeyPatch, ingested_dir: Path) -> None:
    at = ask(start(monkeypatch, ingested_dir), "What is the capital of France?")  # the default threshold
    reply = at.chat_message[1]
    assert "do not seem to answer" in reply.markdown[0].value
    assert ":orange-badge[" not in reply.markdown[0].value
    assert "The closest pages:" in texts(at.caption)
    assert f"{PHOTO.name}, p. 1" in captions(at) and not [c for c in captions(at) if c.startswith("[")]


def test_delete_removes_the_document(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from assistant.settings import Settings
    from assistant.wiring import ingest_seams
    from ingest.run import ingest_paths

    data_dir = tmp_path / "delete-data"
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    seams = ingest_seams(settings)
    doc_id = ingest_paths([PHOTO], seams, settings.ingest)[0].doc_id
    assert seams.store.doc_ids() == {doc_id}
    at = start(monkeypatch, data_dir)
    at.radio(key="view").set_value("Library").run()
    at.button(key=f"delete-{doc_id}").click().run()
    assert any("Delete " + PHOTO.name in w for w in texts(at.warning))
    healthy(at.button(key=f"confirm-{doc_id}").click().run())
    assert "No documents yet" in texts(at.info)[0]
    assert Library(data_dir).list("default") == [] and seams.store.doc_ids() == set()  # pages and vectors
    at.radio(key="view").set_value("Chat").run()
    assert "nothing to search" in ask(at, QUESTION).chat_message[1].markdown[0].value


def test_sidebar_probes_the_servers_and_a_down_server_is_a_friendly_error(
    monkeypatch: pytest.MonkeyPatch, ingested_dir: Path, unused_port: int
) -> None:
    with FakeHunyuanServer(MINI) as hunyuan:
        at = start(monkeypatch, ingested_dir, FOLIO_HUNYUAN_BASE_URL=hunyuan.base_url, FOLIO_ANSWERER="openai",
                   FOLIO_LLM_BASE_URL=f"http://127.0.0.1:{unused_port}/v1", FOLIO_LLM_MODEL="qwen")
        status = " ".join(texts(at.sidebar.markdown))
        assert "🟢 **HunyuanOCR server** answers, serves tencent/HunyuanOCR" in status
        assert "🔴 **LLM server** cannot connect" in status
        at = ask(at, QUESTION)
    error = at.chat_message[1].error[0].value
    assert error.startswith("Could not answer: ") and f"127.0.0.1:{unused_port}" in error
    assert "Traceback" not in error


def test_a_token_is_asked_for_when_one_is_set_then_collections_can_be_switched(monkeypatch: pytest.MonkeyPatch) -> None:
    at = start(monkeypatch, FOLIO_UI_TOKEN="open-sesame")
    assert not at.sidebar.markdown and not at.chat_input
    for guess in ("open-sesam", "open-sesame"):
        at.text_input[0].set_value(guess)  # a form: the value and the submit go in one run
        at.button[0].click()
        healthy(at.run())
        if guess != "open-sesame":
            assert texts(at.error) == ["That is not the access token."] and not at.chat_input
    assert at.chat_input and "The collection 'default' has no pages yet" in texts(at.info)[0]

    at.text_input(key="new_collection_name").set_value("binders")  # switch to a new collection
    at.button(key="create_collection").click()
    healthy(at.run())
    assert at.selectbox(key="collection").value == "binders"
    assert "The collection 'binders' has no pages yet" in texts(at.info)[0]


@pytest.fixture(scope="module")
def two_manuals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RTKLIB and cyberJack pages, each its own document, and an NRPE guide made of one photo."""
    from assistant.settings import Settings
    from assistant.wiring import ingest_seams
    from ingest.assemble import ingest_as_document
    from ingest.run import ingest_paths

    data_dir = tmp_path_factory.mktemp("ui-two")
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    seams = ingest_seams(settings)
    photos = MINI / "images" / "photo"
    reports = ingest_paths([photos / "rtklib-manual_p037.jpg", photos / "cyberjack-handbuch_p005.jpg"], seams, settings.ingest)
    reports.append(ingest_as_document("NRPE guide", [photos / "nrpe-guide_p006.jpg"], seams, settings.ingest))
    assert all(r.ok for r in reports)
    return data_dir


def test_a_topic_switch_in_the_app_answers_the_new_question_and_cards_are_few(monkeypatch: pytest.MonkeyPatch, two_manuals: Path) -> None:
    at = ask(start(monkeypatch, two_manuals), "Which option sets the elevation mask angle?")
    first = [c for c in captions(at) if c.startswith("[")]
    assert first and all("rtklib-manual_p037.jpg" in c for c in first), (captions(at), [m.value for m in at.chat_message[1].markdown])
    at = ask(at, "What is the e-mail address of REINER SCT support?")
    assert "support@reiner-sct.com" in at.chat_message[3].markdown[0].value
    crops = [c for c in captions(at) if c.startswith("[")][len(first):]
    assert crops and "cyberjack-handbuch_p005.jpg" in crops[0]
    at = ask(at, "How do I compile the NRPE addon?")
    assert any(c.startswith("[1") and c.endswith("] NRPE guide, p. 6") for c in captions(at))


def test_one_upload_of_several_photos_is_one_document(monkeypatch: pytest.MonkeyPatch, _data_dir: Path) -> None:
    photos = MINI / "images" / "photo"
    at = start(monkeypatch)
    at.text_input(key="as_document").set_value("Field guide")
    at.file_uploader[0].set_value([(p.name, p.read_bytes(), "image/jpeg") for p in (photos / "rtklib-manual_p037.jpg", photos / "nrpe-guide_p006.jpg")])
    healthy(at.button(key="add_files").click().run())
    [added] = texts(at.sidebar.success)
    assert added.startswith("Added Field guide: 2 pages read")
    [record] = Library(_data_dir).list("default")
    assert record.source == "Field guide" and [(p.page, p.label) for p in record.pages] == [(1, "6"), (2, "35")]


def test_first_screen_lists_the_documents_and_a_suggested_question_asks_it(monkeypatch: pytest.MonkeyPatch, ingested_dir: Path) -> None:
    at = start(monkeypatch, ingested_dir)
    assert any(PHOTO.name in m and "1 page" in m for m in texts(at.markdown))
    assert "#### Your documents" in texts(at.markdown) and at.get("imgs") or at.image
    suggestions = [b for b in at.button if (b.key or "").startswith("suggest-")]
    assert suggestions, "the first screen suggests questions from the headings"
    asked = suggestions[0].label
    at = healthy(suggestions[0].click().run())
    assert at.chat_message[0].markdown[0].value == asked and len(at.chat_message) == 2
