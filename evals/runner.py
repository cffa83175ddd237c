"""``folio eval``: ingest a QA set, ask every question through the app's ``ask``, score, write the run.

A run folder holds ``items.jsonl`` (written as the items are asked), ``summary.json``,
``report.md`` and the plots. It is new for every run (``<data_dir>/evals/<time>-<set>-<images>``
or ``--out``) and never overwritten.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.schema import Answer
from assistant.settings import Settings
from evals.dataset import EvalSet, ImageKind, load_set
from evals.frames import SetFrame
from evals.ingest_set import IngestedSet, ingest_set
from evals.pack import collection_for, pack_documents
from evals.item_scores import ItemResult, score_item
from evals.ocr_scores import PageScore, score_pages
from evals.report import write_report
from evals.summary import summarize
from ingest.run import IngestReport, Progress
from storage.errors import AppError, ConfigError

log = logging.getLogger(__name__)

Ask = Callable[[str], Answer]
"""The read path's entry for one question, bound to a collection."""


@dataclass(frozen=True)
class Listener:
    """Progress of a run, for the entry point to show on stderr. Every field is optional."""

    note: Callable[[str], None] = lambda message: None
    pages: Progress | None = None
    ingested: Callable[[IngestReport], None] | None = None
    asked: Callable[[int, int], None] = lambda done, total: None


@dataclass(frozen=True)
class RunRequest:
    set_dir: Path
    images: ImageKind = "photo"
    out: Path | None = None  # the run folder itself; default: a new folder under <data_dir>/evals
    collection: str | None = None  # default: an isolated collection per (images, settings)
    listener: Listener = field(default_factory=Listener)


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    summary: dict[str, Any]


def app_ask(settings: Settings, collection: str) -> Ask:
    """The app's ``ask`` over ``collection``, warmed up (keyword index built) so every question is timed alike."""
    from assistant.service import ask, build_assistant

    assistant = build_assistant(settings, collection)
    assistant.corpus()
    return lambda question: ask(question, assistant)


def run_eval(request: RunRequest, settings: Settings, build_ask: Callable[[Settings, str], Ask] = app_ask) -> RunResult:
    """Run a whole eval. ``build_ask(settings, collection)`` returns the ``ask`` to put the questions to."""
    started = datetime.now(UTC)
    eval_set = load_set(request.set_dir)
    run_dir = make_run_dir(request, settings, eval_set, started)
    note = request.listener.note
    note(f"eval run {run_dir}")
    ingested = ingest(eval_set, request, settings)
    frame = SetFrame(eval_set, request.images, ingested.docs, ingested.pages)
    note(f"scoring OCR of {len(eval_set.pages)} pages")
    pages = score_all_pages(eval_set, frame)
    note("opening the assistant")
    ask = build_ask(settings, ingested.collection)
    items = ask_all(eval_set, frame, ask, run_dir / "items.jsonl", request.listener)
    summary = summarize(pages, items, ingested.seconds)
    summary.update(
        settings={"fingerprint": settings.fingerprint(), **settings.public_dump()},
        git_sha=git_sha(),
        run=run_info(request, eval_set, ingested, run_dir, started),
    )
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    write_report(run_dir, summary, pages, items)
    return RunResult(run_dir=run_dir, summary=summary)


def ingest(eval_set: EvalSet, request: RunRequest, settings: Settings) -> IngestedSet:
    """Pack the set's pages per document and ingest them into the run's collection."""
    from assistant.wiring import ingest_seams, open_store

    listener = request.listener
    with tempfile.TemporaryDirectory(prefix="folio-eval-") as tmp:
        listener.note(f"packing {len(eval_set.pages)} {request.images} pages into {len(eval_set.doc_ids())} documents")
        packed = pack_documents(eval_set, request.images, Path(tmp))
        collection = request.collection or collection_for(eval_set, request.images, packed, settings)
        listener.note(f"ingesting into collection {collection}")
        seams = ingest_seams(settings, open_store(settings, collection))
        result = ingest_set(packed, seams, settings, settings.data_dir / "evals" / "collections",
                            progress=listener.pages, on_report=listener.ingested)
    for error in result.errors:
        log.warning("ingest failed: %s", error)
    return result


def score_all_pages(eval_set: EvalSet, frame: SetFrame) -> list[PageScore]:
    """Scores of the stored pages, plus a full miss for each set page that was not stored."""
    from evals.normalize import normalize_text

    scores = {(s.doc_id, s.page): s for s in score_pages(frame)}
    out = []
    for page in eval_set.pages:
        if page.key in scores:
            out.append(scores[page.key])
            continue
        ref = len(normalize_text(page.text))
        out.append(PageScore(doc_id=page.doc_id, page=page.page, status="missing", engine="", edit_distance=ref,
                             ref_chars=ref, lines_matched=0, lines_total=len(page.lines), system_lines=0))
    return out


def ask_all(eval_set: EvalSet, frame: SetFrame, ask: Ask, items_path: Path, listener: Listener) -> list[ItemResult]:
    """Ask every question in set order; each result is appended to ``items.jsonl`` as soon as it is scored."""
    results = []
    with items_path.open("x", encoding="utf-8") as fh:
        for n, item in enumerate(eval_set.items, start=1):
            t0 = time.perf_counter()
            try:
                answer, error = ask(item.question), ""
            except AppError as exc:
                answer, error = Answer(question=item.question, text="", abstained=False), str(exc)
                log.warning("item %s: ask failed: %s", item.id, exc)
            ms = (time.perf_counter() - t0) * 1000.0
            # Answer.pages: the retrieved pages in the order of their best chunk (the answer has no chunk list)
            retrieved = [(p.doc_id, p.page) for p in answer.pages]
            result = score_item(item, answer, retrieved, frame, eval_set, ms)
            if error:
                result = result.model_copy(update={"error": error})
            fh.write(result.model_dump_json() + "\n")
            fh.flush()
            results.append(result)
            listener.asked(n, len(eval_set.items))
    return results


def pooled_summary(run_dirs: list[Path]) -> dict[str, Any]:
    """The answer, retrieval and latency figures over the items of several runs together (OCR stays per set)."""
    from evals.summary import by_type, latency_metrics, qa_metrics

    items = [ItemResult.model_validate_json(line) for d in run_dirs for line in (d / "items.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()]
    pages = sum(json.loads((d / "summary.json").read_text(encoding="utf-8")).get("n_pages", 0) for d in run_dirs)
    return {**qa_metrics(items), **latency_metrics(items), "n_pages": pages, "n_items": len(items), "by_type": by_type(items)}


def make_run_dir(request: RunRequest, settings: Settings, eval_set: EvalSet, started: datetime) -> Path:
    if request.out is not None:
        out = Path(request.out)
        if out.exists() and any(out.iterdir()):
            raise ConfigError(f"{out} already holds files; eval runs never overwrite: give a new --out folder")
        out.mkdir(parents=True, exist_ok=True)
        return out
    parent = settings.data_dir / "evals"
    parent.mkdir(parents=True, exist_ok=True)
    base = f"{started:%Y%m%d-%H%M%S}-{eval_set.name}-{request.images}"
    for n in range(1, 1000):
        path = parent / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise ConfigError(f"cannot make a new run folder under {parent}: too many runs named {base}")


def run_info(request: RunRequest, eval_set: EvalSet, ingested: IngestedSet, run_dir: Path, started: datetime) -> dict[str, Any]:
    finished = datetime.now(UTC)
    return {
        "id": run_dir.name,
        "set_dir": str(eval_set.root.resolve()),
        "images": request.images,
        "collection": ingested.collection,
        "ingest_reused": ingested.reused,
        "ingest_errors": list(ingested.errors),
        "retrieval_unit": "page: ranks count retrieved pages in the order of their best chunk",
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "seconds": round((finished - started).total_seconds(), 1),
    }


def git_sha() -> str:
    """The code's commit (with ``-dirty`` when tracked files are modified), or ``unknown``."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--"], cwd=root, capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    if head.returncode != 0:
        return "unknown"
    return head.stdout.strip() + ("-dirty" if dirty.returncode == 1 else "")
