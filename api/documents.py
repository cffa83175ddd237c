"""Documents and ingest jobs: upload, follow a job, list, delete, and fetch a stored page image.

An upload is all or nothing: every file is checked (name, size, type by content, pixels, pages,
readability) before a job is queued, so a bad file gets a 4xx naming it and nothing is stored.
With the form field ``as_document=NAME`` the files are the pages of one document called NAME, in
the order sent, added to that document when it exists: the job runs the same
``ingest.assemble.ingest_as_document`` as ``folio ingest --as-document`` and the app's upload.
"""

from __future__ import annotations

import shutil

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.responses import FileResponse

from api.config import ApiSettings
from api.errors import Rejected
from api.form import raw_filename
from api.schemas import (
    COLLECTION,
    DOC_ID,
    Deleted,
    DocumentAccepted,
    DocumentList,
    DocumentSummary,
    FileAccepted,
    JobAccepted,
    JobStatus,
    error_responses,
)
from api.services import Services
from api.uploads import CheckedFile, check_document_name, check_file, check_name, upload_folder
from ingest.assemble import document_id
from ingest.delete import delete_document
from storage.errors import NotFound

CollectionParam = Query(None, pattern=COLLECTION, description="collection; default: the server's FOLIO_COLLECTION")
DocIdParam = Path(pattern=DOC_ID, description="16 hex characters")


def router(services: Services, api: ApiSettings) -> APIRouter:
    r = APIRouter(tags=["documents"])
    cfg = services.settings.ingest

    @r.post("/documents", status_code=202, response_model=JobAccepted, max_body_size=api.api_max_upload_mb * 1_000_000,
            form_limits={"max_files": api.api_max_files, "max_fields": 10},
            responses=error_responses(400, 401, 413, 415, 422, 429, 503),
            summary="Upload images or PDFs into a collection, each a document or, with as_document, "
                    "all the pages of one document; they are ingested by a job")
    def upload(files: list[UploadFile] = File(description="images or PDFs"), collection: str | None = CollectionParam,
               as_document: str | None = Form(None, max_length=400, description=(
                   "store all the files as the pages of one document of this name, in the order sent; "
                   "a later upload with the same name adds pages to it (as 'folio ingest --as-document NAME')"))) -> JobAccepted:
        name = services.collection(collection)
        if len(files) > api.api_max_files:
            raise Rejected(413, f"{len(files)} files in one upload; the limit is {api.api_max_files} (FOLIO_API_MAX_FILES)")
        document = check_document_name(as_document) if as_document is not None else ""
        folder = upload_folder(services.uploads, "job")
        checked: list[CheckedFile] = []
        try:
            for k, upload in enumerate(files):
                label = check_name(upload.filename, raw_filename(upload))
                checked.append(check_file(label, upload.file.read(), cfg, folder / f"{k:03d}"))
            job = services.jobs.submit(name, checked, folder, document=document)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if document:
            doc_id = document_id(document)
            return JobAccepted(job_id=job.job_id, status_url=f"/jobs/{job.job_id}", collection=name,
                               files=[FileAccepted(name=c.label, doc_id=doc_id, kind=c.kind, pages=c.n_pages) for c in checked],
                               document=DocumentAccepted(name=document, doc_id=doc_id, pages=sum(c.n_pages for c in checked)))
        return JobAccepted(job_id=job.job_id, status_url=f"/jobs/{job.job_id}", collection=name,
                           files=[FileAccepted(name=c.label, doc_id=c.doc_id, kind=c.kind, pages=c.n_pages) for c in checked])

    @r.get("/jobs/{job_id}", response_model=JobStatus, responses=error_responses(401, 404, 422, 429),
           summary="Progress of an ingest job, with per-file errors")
    def job(job_id: str = Path(pattern=r"^[0-9a-f]{32}$")) -> JobStatus:
        return services.jobs.status(job_id)

    @r.get("/documents", response_model=DocumentList, responses=error_responses(401, 422, 429),
           summary="The documents of a collection")
    def documents(collection: str | None = CollectionParam) -> DocumentList:
        name = services.collection(collection)
        records = services.library.list(name)
        return DocumentList(collection=name, documents=[
            DocumentSummary(doc_id=d.doc_id, source=d.source, pages=d.n_pages, pages_failed=sum(p.status == "failed" for p in d.pages),
                            chunks=d.n_chunks, ocr_engine=d.ocr_engine, created_at=d.created_at) for d in records])

    @r.delete("/documents/{doc_id}", response_model=Deleted, responses=error_responses(401, 404, 422, 429, 503),
              summary="Delete a document: its pages, chunks and vectors")
    def delete(doc_id: str = DocIdParam, collection: str | None = CollectionParam) -> Deleted:
        name = services.collection(collection)
        if not services.library.has(name, doc_id):
            raise NotFound(f"no document {doc_id} in collection {name!r}; GET /documents lists them")
        store = services.handles(name).store
        with services.rw.write():
            record, n_chunks = delete_document(services.library, store, doc_id)
        return Deleted(deleted=record.doc_id, source=record.source, chunks=n_chunks)

    @r.get("/documents/{doc_id}/pages/{page}/image", response_class=FileResponse,
           responses={200: {"content": {"image/jpeg": {}}, "description": "the stored page image"},
                      **error_responses(401, 404, 422, 429)},
           summary="The stored (upright) page image that citation boxes refer to")
    def page_image(doc_id: str = DocIdParam, page: int = Path(ge=1, le=100_000),
                   collection: str | None = CollectionParam) -> FileResponse:
        name = services.collection(collection)
        path = services.library.page_image(name, doc_id, page)
        folder = services.library.doc_dir(name, doc_id).resolve()
        if not path.resolve().is_relative_to(folder) or not path.is_file():
            raise NotFound(f"page {page} of document {doc_id} has no stored image")
        return FileResponse(path, media_type="image/jpeg")

    @r.get("/documents/{doc_id}/pages/{page}/photo", response_class=FileResponse,
           responses={200: {"content": {"image/jpeg": {}}, "description": "the original photo"},
                      **error_responses(401, 404, 422, 429)},
           summary="The photo a flattened page was cut from (citations' 'to_photo' maps boxes onto it)")
    def page_photo(doc_id: str = DocIdParam, page: int = Path(ge=1, le=100_000),
                   collection: str | None = CollectionParam) -> FileResponse:
        name = services.collection(collection)
        if not services.library.has(name, doc_id):
            raise NotFound(f"no document {doc_id} in collection {name!r}; GET /documents lists them")
        record = next((p for p in services.library.get(name, doc_id).pages if p.page == page), None)
        folder = services.library.doc_dir(name, doc_id).resolve()
        path = folder / record.photo if record is not None and record.photo else None
        if path is None or not path.resolve().is_relative_to(folder) or not path.is_file():
            raise NotFound(f"page {page} of document {doc_id} has no photo: it was not flattened from one")
        return FileResponse(path, media_type="image/jpeg")

    return r
