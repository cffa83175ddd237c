"""Several photos uploaded over the API as the pages of one document (``as_document``), as ``folio ingest --as-document``."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.services import Services
from ingest.assemble import document_id
from tests.api.conftest import photo, wait_job

MANUAL = "manual"  # a collection of its own: the session's other tests ask about the same photos


def post(client: TestClient, paths: list, name: str, extra: list[tuple[str, bytes]] = ()) -> object:  # type: ignore[assignment]
    files = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in paths]
    files += [("files", (label, data, "image/jpeg")) for label, data in extra]
    return client.post("/documents", files=files, data={"as_document": name}, params={"collection": MANUAL})


def test_photos_uploaded_as_one_document_then_a_page_added_and_a_bad_batch_stores_nothing(
        client: TestClient, services: Services) -> None:
    nrpe, rtklib, cyberjack = photo("nrpe"), photo("rtklib"), photo("cyberjack")
    guide = document_id("Field guide")
    accepted = post(client, [rtklib, nrpe], " Field guide ")
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["document"] == {"name": "Field guide", "doc_id": guide, "pages": 2}
    assert [(f["name"], f["doc_id"]) for f in body["files"]] == [(rtklib.name, guide), (nrpe.name, guide)]
    job = wait_job(client, body["job_id"])
    assert job["state"] == "done" and len(job["files"]) == 1, job
    entry = job["files"][0]
    assert (entry["name"], entry["doc_id"], entry["pages_done"], entry["pages_total"], entry["error"]) == ("Field guide", guide, 2, 2, "")
    listed = client.get("/documents", params={"collection": MANUAL}).json()["documents"]
    assert [(d["doc_id"], d["source"], d["pages"]) for d in listed] == [(guide, "Field guide", 2)]
    record = services.library.get(MANUAL, guide)
    assert [(p.page, p.label, p.source) for p in record.pages] == [(1, "6", nrpe.name), (2, "35", rtklib.name)]  # by printed number

    answer = client.post("/ask", json={"question": "How do I compile the NRPE addon?", "collection": MANUAL}).json()
    cited = answer["citations"][0]
    assert (cited["doc_id"], cited["source"], cited["page"], cited["page_label"]) == (guide, "Field guide", 1, "6")
    assert client.get(cited["image"]).status_code == 200

    added = post(client, [cyberjack], "Field guide")
    assert added.status_code == 202, added.text
    assert added.json()["document"] == {"name": "Field guide", "doc_id": guide, "pages": 1}
    job = wait_job(client, added.json()["job_id"])
    assert job["state"] == "done" and (job["files"][0]["pages_total"], job["files"][0]["already_stored"]) == (3, False), job
    after = services.library.get(MANUAL, guide)
    assert after.pages[:2] == record.pages and after.pages[2].source == cyberjack.name and after.n_pages == 3
    listed = client.get("/documents", params={"collection": MANUAL}).json()["documents"]
    assert [(d["doc_id"], d["pages"]) for d in listed] == [(guide, 3)]
    answer = client.post("/ask", json={"question": "What is the e-mail address of REINER SCT support?", "collection": MANUAL}).json()
    assert not answer["abstained"] and "support@reiner-sct.com" in answer["answer"]
    assert (answer["citations"][0]["source"], answer["citations"][0]["page"]) == ("Field guide", 3)

    again = wait_job(client, post(client, [nrpe], "Field guide").json()["job_id"])  # already a page of it: nothing changes
    assert again["files"][0]["already_stored"] is True and services.library.get(MANUAL, guide).pages == after.pages

    chunks = services.handles(MANUAL).store.count()
    bad = post(client, [photo("altusmetrum")], "Field guide", extra=[("page9.jpg", b"\xff\xd8\xff not really a jpeg")])
    assert 400 <= bad.status_code < 500 and "page9.jpg" in bad.json()["message"], bad.text
    new = post(client, [photo("tlsh")], "Other manual", extra=[("empty.jpg", b"")])
    assert new.status_code == 400 and "empty.jpg" in new.json()["message"], new.text
    assert services.library.get(MANUAL, guide).pages == after.pages and services.handles(MANUAL).store.count() == chunks
    assert [d["doc_id"] for d in client.get("/documents", params={"collection": MANUAL}).json()["documents"]] == [guide]
    assert not any(services.uploads.iterdir())  # the checked files of the refused uploads are gone too


def test_an_empty_or_unprintable_document_name_is_refused(client: TestClient) -> None:
    for name, says in (("  ", "as_document is empty"), ("Guide\x07", "control characters")):
        response = post(client, [photo("nrpe")], name)
        assert response.status_code == 400 and says in response.json()["message"], response.text


def test_the_openapi_spec_describes_as_document(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/documents"]["post"]
    assert "as_document" in operation["summary"]
    ref = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    form = client.get("/openapi.json").json()["components"]["schemas"][ref]["properties"]
    assert "pages of one document" in form["as_document"]["description"]
