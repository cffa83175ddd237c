"""Answer text for Streamlit's Markdown, friendly notices per ingested file, the session's conversation."""

from __future__ import annotations

from ingest.run import IngestReport
from ui.markdown import answer_markdown
from ui.state import Entry, add_entry, clear_conversation, conversation, history
from ui.uploads import camera_name, notice, safe_name


def test_markers_become_badges_outside_code_and_dollars_are_not_latex() -> None:
    text = "Set the mask [1]. It costs $5 or $6 [2], see [7].\n```\nx = a[1]\n```\nDone [2]."
    md = answer_markdown(text, {1, 2})
    assert md.startswith("Set the mask :orange-badge[1]. It costs \\$5 or \\$6 :orange-badge[2], see [7].")
    assert "x = a[1]" in md and md.endswith("Done :orange-badge[2].")


def test_a_quoted_shell_prompt_in_the_answer_is_not_a_heading() -> None:
    md = answer_markdown('Make sure the nrpe daemon is running [2]:\n\n# netstat -at | egrep "nrpe|5666" [3]\n  #1 again', {2, 3})
    assert md.splitlines()[2] == '\\# netstat -at | egrep "nrpe|5666" :orange-badge[3]' and md.splitlines()[3] == "  \\#1 again"
    assert answer_markdown("```\n# a comment in code\n```", set()) == "```\n# a comment in code\n```"


def test_each_file_gets_one_friendly_line() -> None:
    ok = IngestReport(source="a.jpg", doc_id="d", pages=2, pages_ok=2, chunks=5, seconds=3.21)
    assert notice(ok).level == "success" and notice(ok).text == "Added a.jpg: 2 pages read, 5 passages indexed in 3.2 s."
    bad = IngestReport(source="b.pdf", error="b.pdf: the PDF is encrypted; decrypt it first")
    assert notice(bad).level == "error" and notice(bad).text == "Could not add b.pdf: b.pdf: the PDF is encrypted; decrypt it first"
    partial = IngestReport(source="c.pdf", doc_id="e", pages=3, pages_ok=2, pages_failed=1, chunks=4,
                           page_errors=("page 3: OCR failed",))
    assert notice(partial).level == "warning" and notice(partial).text.endswith("1 page could not be read: page 3: OCR failed")
    again = IngestReport(source="a.jpg", doc_id="d", pages=2, already_stored=True)
    assert notice(again).level == "info"


def test_upload_names_are_plain_file_names() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\me\\Manual page 3.jpg") == "Manual page 3.jpg"
    assert safe_name("a<b>|c.png") == "a_b__c.png" and safe_name("") == "upload"
    assert camera_name().startswith("camera-") and camera_name().endswith(".jpg")


def test_conversation_is_kept_per_collection_and_failed_answers_are_not_history() -> None:
    session: dict[str, object] = {}
    add_entry(session, "manuals", Entry("user", "How do I reset it?"))
    add_entry(session, "manuals", Entry("assistant", "Hold the button [1]."))
    add_entry(session, "manuals", Entry("user", "And then?"))
    add_entry(session, "manuals", Entry("assistant", "Could not answer: server down", error="server down"))
    assert conversation(session, "binders") == ()
    turns = history(conversation(session, "manuals"))
    assert [(t.role, t.text) for t in turns] == [("user", "How do I reset it?"), ("assistant", "Hold the button [1]."), ("user", "And then?")]
    clear_conversation(session, "manuals")
    assert conversation(session, "manuals") == ()
