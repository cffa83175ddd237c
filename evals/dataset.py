"""An eval set on disk: ``pages.jsonl``, ``qa.jsonl``, ``documents.json`` and ``images/{scan,photo}``.

The format is the one of the project's dev set (see its README). Nothing here depends on that
particular set: any folder in the same format loads. Coordinates in the set are pixels with a
top-left origin; ``bbox`` fields are in scan pixels, ``photo_*`` fields in photo pixels, and
``photo_homography`` maps scan pixels to photo pixels.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from storage.errors import InputError

ImageKind = Literal["photo", "scan"]
Box = tuple[float, float, float, float]
Point = tuple[float, float]
T = TypeVar("T", bound=BaseModel)


class SetRecord(BaseModel):
    # Fields the runner does not use (photo_params, licence notes...) are allowed and ignored.
    model_config = ConfigDict(frozen=True, extra="ignore")


class GtLine(SetRecord):
    """A ground-truth text line: ``bbox`` in scan pixels, ``photo_quad``/``photo_bbox`` in photo pixels."""

    text: str
    bbox: Box
    photo_bbox: Box | None = None
    photo_quad: tuple[Point, Point, Point, Point] | None = None


class GtPage(SetRecord):
    """One page's OCR ground truth and the paths of its two images (relative to the set folder)."""

    doc_id: str
    page: int = Field(ge=1)
    scan_image: str
    photo_image: str
    scan_size: tuple[int, int]
    photo_size: tuple[int, int]
    photo_homography: tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]
    text: str
    lines: tuple[GtLine, ...] = ()

    @property
    def key(self) -> tuple[str, int]:
        return (self.doc_id, self.page)

    def image(self, kind: ImageKind) -> str:
        return self.photo_image if kind == "photo" else self.scan_image

    def size(self, kind: ImageKind) -> tuple[int, int]:
        return self.photo_size if kind == "photo" else self.scan_size


class Evidence(SetRecord):
    """A supporting span: its text and one box per matched text run, in scan pixels."""

    text: str
    bboxes: tuple[Box, ...] = ()
    bbox: Box | None = None


class QaItem(SetRecord):
    """A question; ``doc_id``/``page`` are None and ``acceptable_answers`` empty when unanswerable."""

    id: str
    type: str
    question: str
    answer: str | None = None
    acceptable_answers: tuple[tuple[str, ...], ...] = ()
    doc_id: str | None = None
    page: int | None = None
    evidence: tuple[Evidence, ...] = ()

    @property
    def answerable(self) -> bool:
        return self.doc_id is not None and self.page is not None

    @property
    def gold(self) -> tuple[str, int] | None:
        if self.doc_id is None or self.page is None:
            return None
        return (self.doc_id, self.page)


class DocumentInfo(SetRecord):
    doc_id: str
    title: str = ""
    pages: tuple[int, ...] = ()


class EvalSet(BaseModel):
    """A loaded eval set. ``pages`` are sorted by (doc_id, page)."""

    model_config = ConfigDict(frozen=True)

    root: Path
    documents: tuple[DocumentInfo, ...]
    pages: tuple[GtPage, ...]
    items: tuple[QaItem, ...]

    @property
    def name(self) -> str:
        return self.root.resolve().name

    def doc_ids(self) -> list[str]:
        """Documents in first-appearance order of ``pages.jsonl`` (sorted)."""
        return list(dict.fromkeys(p.doc_id for p in self.pages))

    def pages_of(self, doc_id: str) -> list[GtPage]:
        return [p for p in self.pages if p.doc_id == doc_id]

    def page(self, doc_id: str, page: int) -> GtPage:
        for p in self.pages:
            if p.key == (doc_id, page):
                return p
        raise KeyError((doc_id, page))

    def image_path(self, page: GtPage, kind: ImageKind) -> Path:
        return self.root / page.image(kind)

    def title(self, doc_id: str) -> str:
        return next((d.title for d in self.documents if d.doc_id == doc_id and d.title), doc_id)


def load_set(root: Path) -> EvalSet:
    """Read and check an eval set folder. Raises InputError naming the file and line at fault."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"eval set {root}: no such folder; give a folder with pages.jsonl and qa.jsonl")
    pages = tuple(sorted(_read_jsonl(root / "pages.jsonl", GtPage), key=lambda p: p.key))
    items = tuple(_read_jsonl(root / "qa.jsonl", QaItem))
    documents = _read_documents(root / "documents.json")
    eval_set = EvalSet(root=root, documents=documents, pages=pages, items=items)
    _check(eval_set)
    return eval_set


def _read_jsonl(path: Path, model: type[T]) -> Iterator[T]:
    if not path.is_file():
        raise InputError(f"eval set: {path} is missing; an eval set needs pages.jsonl and qa.jsonl")
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield model.model_validate_json(line)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise InputError(f"{path}:{number}: {where}: {first['msg']}") from exc


def _read_documents(path: Path) -> tuple[DocumentInfo, ...]:
    """``documents.json`` is optional for scoring: titles only make the report easier to read."""
    if not path.is_file():
        return ()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return tuple(DocumentInfo.model_validate(d) for d in raw)
    except (ValueError, ValidationError) as exc:
        raise InputError(f"{path}: not a JSON list of documents with doc_id ({exc})") from exc


def _check(eval_set: EvalSet) -> None:
    seen: set[tuple[str, int]] = set()
    for page in eval_set.pages:
        if page.key in seen:
            raise InputError(f"{eval_set.root / 'pages.jsonl'}: page {page.page} of {page.doc_id} appears twice")
        seen.add(page.key)
    for item in eval_set.items:
        if item.gold is not None and item.gold not in seen:
            raise InputError(
                f"{eval_set.root / 'qa.jsonl'}: item {item.id} points at {item.doc_id} page {item.page}, "
                "which pages.jsonl does not have"
            )
    ids = [i.id for i in eval_set.items]
    if len(ids) != len(set(ids)):
        raise InputError(f"{eval_set.root / 'qa.jsonl'}: item ids are not unique")
