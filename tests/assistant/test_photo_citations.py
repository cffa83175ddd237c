"""A citation on a hard phone photo (tilted, in perspective, shadowed) lands on the cited lines of the photo.

The photo is ``tests/data/devset-hard``: a devset-mini page made hard with harden_photos.py, whose
ground truth gives every line's quad on the photo. The page is found, flattened and read; the
answer's boxes are in pixels of the flattened page, and ``PageRecord.photo_quad`` maps them back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.settings import Settings
from evals.geometry import convex_intersection_area, polygon_area

HARD = Path(__file__).parents[1] / "data" / "devset-hard"
QUESTION = "What do the red LED and the green LED say about the battery?"  # written for this test
EVIDENCE = "LED will be lit"  # the page's lines that answer it hold these words


@pytest.fixture(scope="module")
def hard_assistant(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from assistant.service import Assistant
    from assistant.wiring import ingest_seams, open_store
    from ingest.run import ingest_paths

    settings = Settings(data_dir=tmp_path_factory.mktemp("hard-data"), collection="hard", _env_file=None)  # type: ignore[call-arg]
    handles = open_store(settings)
    reports = ingest_paths([HARD / "images" / "photo" / "altusmetrum-manual_p010.jpg"], ingest_seams(settings, handles), settings.ingest)
    assert len(reports) == 1 and reports[0].ok, reports
    return Assistant(settings, handles)


def test_the_cited_box_mapped_to_the_photo_covers_the_evidence_lines(hard_assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.service import ask

    row = json.loads((HARD / "pages.jsonl").read_text(encoding="utf-8").splitlines()[0])
    answer = ask(QUESTION, hard_assistant)
    assert not answer.abstained and answer.citations, answer.text
    library, doc_id = hard_assistant.handles.library, answer.citations[0].doc_id
    record = library.get(hard_assistant.collection, doc_id).pages[0]
    assert record.to_photo is not None and record.photo, "the photo's page was not flattened"
    assert (library.doc_dir(hard_assistant.collection, doc_id) / record.photo).is_file()
    evidence_lines = [ln["photo_quad"] for ln in row["lines"] if EVIDENCE in ln["text"]]
    assert len(evidence_lines) >= 2
    cited = [record.photo_quad(c.bbox) for c in answer.citations]
    covered = [
        max(convex_intersection_area(quad, line) for quad in cited) / polygon_area(line) for line in evidence_lines
    ]
    assert sum(c >= 0.9 for c in covered) >= len(evidence_lines) - 1, covered
    for quad in cited:  # and the cited box is not the whole page: it hugs the lines it quotes
        assert polygon_area(quad) < 0.25 * row["photo_size"][0] * row["photo_size"][1]
    # --json and the API say which frame the boxes are in, and how to draw them on the photo
    out = answer.as_json()["citations"][0]
    assert out["frame"] == "flattened" and out["photo"] == answer.citations[0].photo
    assert out["to_photo"] == [list(row) for row in record.to_photo]


def test_the_app_draws_the_cited_lines_on_the_photo(hard_assistant) -> None:  # type: ignore[no-untyped-def]
    import io

    from PIL import Image

    from assistant.service import ask
    from ui import render

    c = ask(QUESTION, hard_assistant).citations[0]
    assert c.photo and c.to_photo
    drawn = Image.open(io.BytesIO(render.cited_photo(c.photo, c.boxes, c.to_photo, max_width=10_000))).convert("RGB")
    plain = Image.open(c.photo).convert("RGB")
    assert drawn.size == plain.size
    box = c.boxes[0]
    x, y = render._through(c.to_photo, (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
    r0, g0, b0 = plain.getpixel((round(x), round(y)))
    r1, g1, b1 = drawn.getpixel((round(x), round(y)))
    assert r1 - b1 > r0 - b0 + 15  # tinted orange where the cited line is on the photo

