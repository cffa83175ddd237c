"""``ask`` with the vectors on a real Chroma server (``chroma run`` on loopback) instead of the embedded store."""

from __future__ import annotations

from pathlib import Path

from assistant.service import Assistant, ask
from assistant.settings import Settings
from tests.assistant.conftest import MINI
from tests.assistant.test_ask import CASES, check_answered


def test_ask_on_a_chroma_server_cites_the_gold_page(chroma_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from assistant.wiring import ingest_seams, open_store
    from ingest.run import ingest_paths

    settings = Settings(data_dir=tmp_path / "data", collection="on-server", chroma_host=chroma_server.host,  # type: ignore[call-arg]
                        chroma_port=chroma_server.port, workers=1, _env_file=None)
    handles = open_store(settings)
    photos = [p for p in sorted((MINI / "images" / "photo").glob("*.jpg")) if p.name.startswith(("nrpe", "rtklib"))]
    reports = ingest_paths(photos, ingest_seams(settings, handles), settings.ingest)
    assert [r.ok for r in reports] == [True, True]
    assert not (tmp_path / "data" / "chroma").exists()  # the vectors went to the server
    assistant = Assistant(settings, handles)
    for case in ("procedural", "factual"):
        question, gold, holds, cited = CASES[case]
        check_answered(assistant, ask(question, assistant), gold, holds, cited)
    off_topic = ask("What is the boiling point of water at sea level?", assistant)
    assert off_topic.abstained and not off_topic.citations
