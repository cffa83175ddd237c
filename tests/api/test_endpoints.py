"""Every endpoint end to end through the real app: upload -> job -> list -> ask (plain and streamed) -> image -> delete."""

from __future__ import annotations

import io
import json

import pymupdf
from fastapi.testclient import TestClient
from PIL import Image

from api.services import Services
from tests.api.conftest import COLLECTION, photo, wait_job

PUMP_LINES = [
    "Aquaflow 300 pump: maintenance",
    "Replace the intake filter every 90 days of operation.",
    "Before opening the housing, switch off the mains supply and wait five minutes.",
    "The pressure relief valve opens at 6.5 bar.",
]


def text_pdf(lines: list[str] = PUMP_LINES) -> bytes:
    """A born-digital one-page PDF: its text layer is read directly, no OCR needed."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    for i, line in enumerate(lines):
        page.insert_text((72, 90 + 28 * i), line, fontsize=13 if i else 18)
    return doc.tobytes()


def upload(client: TestClient, files: list[tuple[str, bytes, str]], collection: str | None = None) -> dict:
    params = {"collection": collection} if collection else None
    response = client.post("/documents", files=[("files", f) for f in files], params=params)
    assert response.status_code == 202, response.text
    return wait_job(client, response.json()["job_id"])


def test_upload_job_reports_progress_and_documents_are_listed(client: TestClient, stored: dict[str, str]) -> None:
    listed = client.get("/documents").json()
    assert listed["collection"] == COLLECTION
    by_id = {d["doc_id"]: d for d in listed["documents"]}
    assert set(stored.values()) <= set(by_id)
    for name, doc_id in stored.items():
        assert by_id[doc_id]["source"] == name and by_id[doc_id]["pages"] == 1 and by_id[doc_id]["chunks"] > 0


def test_same_file_again_is_not_stored_twice(client: TestClient, services: Services, stored: dict[str, str]) -> None:
    before = services.handles(COLLECTION).store.count()
    again = photo("nrpe")
    job = upload(client, [(again.name, again.read_bytes(), "image/jpeg")])
    assert job["files"][0]["already_stored"] is True and job["files"][0]["doc_id"] == stored[again.name]
    assert services.handles(COLLECTION).store.count() == before


def test_job_of_a_pdf_and_delete(client: TestClient, services: Services) -> None:
    job = upload(client, [("pump manual (v2).pdf", text_pdf(), "application/pdf")], collection="pumps")
    assert job["state"] == "done" and job["collection"] == "pumps"
    done = job["files"][0]
    assert (done["pages_done"], done["pages_total"], done["error"]) == (1, 1, "") and done["chunks"] >= 1
    doc_id = done["doc_id"]
    record = services.library.get("pumps", doc_id)
    assert record.source == "pump manual (v2).pdf"  # the label, kept only as the record's source
    assert [p.name for p in (services.library.root / "pumps" / "docs").iterdir()] == [doc_id]
    assert not any(services.uploads.iterdir())  # the uploaded bytes are gone once the job is done

    answer = client.post("/ask", json={"question": "How often should the intake filter be replaced?", "collection": "pumps"}).json()
    assert "90 days" in answer["answer"] and answer["citations"][0]["doc_id"] == doc_id

    deleted = client.delete(f"/documents/{doc_id}", params={"collection": "pumps"})
    assert deleted.status_code == 200 and deleted.json() == {"deleted": doc_id, "source": "pump manual (v2).pdf", "chunks": done["chunks"]}
    assert client.get("/documents", params={"collection": "pumps"}).json()["documents"] == []
    assert services.handles("pumps").store.count() == 0
    gone = client.delete(f"/documents/{doc_id}", params={"collection": "pumps"})
    assert gone.status_code == 404 and gone.json()["error"] == "not_found"


def test_ask_cites_pages_and_boxes_and_the_images_are_served(client: TestClient, stored: dict[str, str]) -> None:
    response = client.post("/ask", json={"question": "How do I compile the NRPE addon?"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) >= {"answer", "abstained", "citations", "pages", "evidence", "answerer", "settings_fingerprint"}
    assert not answer["abstained"] and "make all" in answer["answer"]
    nrpe = stored["nrpe-guide_p006.jpg"]
    cited = [c for c in answer["citations"] if c["doc_id"] == nrpe]
    assert cited and all(set(c) == {"doc_id", "source", "page", "page_label", "bbox", "boxes", "image", "quote", "frame", "photo", "to_photo"}
                         for c in answer["citations"])
    assert cited[0]["frame"] == "flattened" and len(cited[0]["to_photo"]) == 3  # the page was cut out of the photo
    photo = client.get(cited[0]["photo"])
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    image = client.get(cited[0]["image"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    width, height = Image.open(io.BytesIO(image.content)).size
    for c in cited:
        x0, y0, x1, y1 = c["bbox"]
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height and c["quote"]


def test_streamed_answer_is_the_same_answer(client: TestClient, stored: dict[str, str]) -> None:
    question = {"question": "Which command installs the NRPE daemon configuration file?"}
    plain = client.post("/ask", json=question).json()
    with client.stream("POST", "/ask/stream", json=question) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
        events = [json.loads(line) for line in response.iter_lines() if line]
    assert events[-1]["event"] == "answer" and all(e["event"] == "text" for e in events[:-1]) and len(events) >= 2
    assert "".join(e["text"] for e in events[:-1]).strip() == events[-1]["answer"]["answer"] == plain["answer"]
    assert events[-1]["answer"]["citations"] == plain["citations"]


def test_ocr_returns_lines_with_boxes_and_markdown(client: TestClient) -> None:
    image = Image.open(photo("nrpe")).convert("RGB")
    crop = image.crop((0, 0, image.width, image.height // 3))
    buf = io.BytesIO()
    crop.save(buf, format="PNG")
    response = client.post("/ocr", files={"file": ("top.png", buf.getvalue(), "image/png")})
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["engine"] == "pp-ocrv6-tiny" and out["status"] == "ok" and (out["width"], out["height"]) == crop.size
    texts = " ".join(line["text"] for line in out["text_lines"]).lower()
    assert "nrpe" in texts and "tar xzf" in texts and "tar xzf" in out["markdown"].lower()
    for line in out["text_lines"]:
        x0, y0, x1, y1 = line["bbox"]
        assert 0 <= x0 < x1 <= crop.width and 0 <= y0 < y1 <= crop.height and 0 < line["confidence"] <= 1


def test_ocr_refuses_pdfs_and_multipage_images(client: TestClient) -> None:
    pdf = client.post("/ocr", files={"file": ("a.pdf", text_pdf(), "application/pdf")})
    assert pdf.status_code == 415 and "POST /documents" in pdf.json()["message"]
    frames = [Image.new("L", (64, 64), 255) for _ in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    tiff = client.post("/ocr", files={"file": ("three.tiff", buf.getvalue(), "image/tiff")})
    assert tiff.status_code == 422 and "3 pages" in tiff.json()["message"]


def test_health_openapi_and_not_found(client: TestClient) -> None:
    health = client.get("/healthz", headers={"Authorization": ""})
    assert health.status_code == 200 and health.json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert {"/ocr", "/documents", "/jobs/{job_id}", "/documents/{doc_id}", "/documents/{doc_id}/pages/{page}/image",
            "/ask", "/ask/stream", "/healthz"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert client.get("/jobs/" + "0" * 32).status_code == 404
    assert client.get("/documents/0123456789abcdef/pages/1/image").status_code == 404
    unknown = client.post("/ask", json={"question": "anything?", "collection": "nosuch"})
    assert unknown.status_code == 404 and "nosuch" in unknown.json()["message"]
    assert client.get("/nowhere").json()["error"] == "not_found"


def test_a_file_failing_inside_the_job_is_reported_and_the_others_are_stored(client: TestClient, services: Services) -> None:
    frames = [Image.new("L", (300, 300), 255), Image.new("L", (300, 300), 0)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    broken = buf.getvalue()[:-20_000]  # page 1 reads (so the upload is accepted), page 2 is cut short
    job = upload(client, [("binder.tiff", broken, "image/tiff"), ("pump.pdf", text_pdf(), "application/pdf")], collection="mixed")
    tiff, pdf = job["files"]
    assert job["state"] == "done" and (tiff["state"], pdf["state"]) == ("failed", "done")
    assert "binder.tiff: page 2 is truncated" in tiff["error"] and (tiff["pages_done"], tiff["pages_total"]) == (1, 2)
    assert pdf["chunks"] >= 1
    assert [d["doc_id"] for d in client.get("/documents", params={"collection": "mixed"}).json()["documents"]] == [pdf["doc_id"]]
    assert {c.doc_id for c in services.handles("mixed").store.chunks()} == {pdf["doc_id"]}
