"""Ingest benchmarks: the whole write path against the raw OCR engine, and peak memory vs page count.

Throughput: the same page images are read by the OCR engine alone, then ingested (open, OCR,
layout, chunk, embed, store, commit) with the same warm engine into a scratch collection; both
in one process, one after the other. Memory: ``folio ingest`` runs in a child process on
generated multi-page TIFFs of different lengths, and the child reports its peak RSS (VmHWM).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.settings import Settings
from evals.dataset import EvalSet, ImageKind
from evals.synthetic import text_page_image, vocabulary
from storage.errors import AppError


def ingest_throughput(eval_set: EvalSet, kind: ImageKind, settings: Settings, work_dir: Path,
                      note: Callable[[str], None]) -> dict[str, Any]:
    """Pages per minute of the raw OCR engine and of ``ingest_paths`` on the set's page images."""
    from assistant.wiring import open_store
    from ingest.run import Seams, ingest_paths

    files = [eval_set.image_path(p, kind) for p in eval_set.pages]
    engine, n_pages, ocr_s = raw_ocr(files, kind, settings, "ingest benchmark", note)
    bench_settings = settings.model_copy(update={"data_dir": work_dir})
    handles = open_store(bench_settings, "bench-ingest")
    handles.embedder.embed_documents(["warm-up"])
    seams = Seams(engine=engine, embedder=handles.embedder, store=handles.store, library=handles.library)
    note(f"ingest benchmark: ingesting the same {len(files)} files")
    t1 = time.perf_counter()
    reports = ingest_paths(files, seams, settings.ingest)
    ingest_s = time.perf_counter() - t1
    failed = [r.error for r in reports if not r.ok]
    if failed:
        raise AppError(f"ingest benchmark: {len(failed)} files failed to ingest, first: {failed[0]}")
    pages = sum(r.pages for r in reports)
    return {
        "pages": pages,
        "images": kind,
        "ocr_engine": settings.ocr_engine,
        "ocr_seconds": round(ocr_s, 2),
        "ingest_seconds": round(ingest_s, 2),
        "ocr_pages_per_min": round(60.0 * n_pages / ocr_s, 1),
        "ingest_pages_per_min": round(60.0 * pages / ingest_s, 1),
        "ingest_vs_ocr": round(ocr_s / ingest_s, 3),
    }


def raw_ocr(files: Sequence[Path], kind: str, settings: Settings, label: str,
            note: Callable[[str], None]) -> tuple[Any, int, float]:
    """The OCR engine, warmed up, and the seconds it takes to read every page of ``files`` (and how many)."""
    from ingest.ocr import build_ocr
    from ingest.sources import iter_pages, open_source

    pages = [page for f in files for page in iter_pages(open_source(f, settings.ingest), settings.ingest)]
    engine = build_ocr(settings.ingest)
    note(f"{label}: warming up the {settings.ocr_engine} OCR engine")
    engine.read_page(pages[0])
    note(f"{label}: raw OCR of {len(pages)} {kind} pages")
    t0 = time.perf_counter()
    for page in pages:
        engine.read_page(page)
    return engine, len(pages), time.perf_counter() - t0

def ingest_memory(counts: Sequence[int], settings: Settings, work_dir: Path, note: Callable[[str], None]) -> list[dict[str, Any]]:
    """Peak RSS of ``folio ingest`` (a child process) on generated documents of ``counts`` pages."""
    words = vocabulary(3000, seed=5)
    results = []
    for count in counts:
        tiff = work_dir / f"generated-{count}-pages.tiff"
        _write_generated_tiff(tiff, count, words)
        note(f"memory benchmark: folio ingest of a generated {count}-page document")
        flags = ["--engine", settings.ocr_engine, "--embedder", settings.embedder]
        results.append(_child_ingest(tiff, work_dir / f"data-{count}", count, flags))
    return results


def _write_generated_tiff(path: Path, count: int, words: list[str]) -> None:
    """Distinct pages of random words (repeated pages would all be taken for running headers)."""
    rest = (text_page_image(words, seed=1000 + k) for k in range(1, count))  # made one at a time while saving
    text_page_image(words, seed=1000).save(path, format="TIFF", save_all=True, append_images=rest,
                                           compression="tiff_adobe_deflate")


# The child runs ``folio ingest`` in-process and then reports VmHWM, the high-water mark of its own
# address space. The kernel's ru_maxrss of a child is no good here: exec records the size of the
# (large, benchmarking) parent that the child was forked from.
CHILD = """
import sys
from cli.main import main
code = main(sys.argv[2:])
with open("/proc/self/status") as fh:
    hwm = next(line.split()[1] for line in fh if line.startswith("VmHWM:"))
with open(sys.argv[1], "w") as fh:
    fh.write(hwm)
sys.exit(code)
"""


def _child_ingest(tiff: Path, data_dir: Path, count: int, flags: list[str]) -> dict[str, Any]:
    env = {**os.environ, "FOLIO_DATA_DIR": str(data_dir), "FOLIO_COLLECTION": "bench-memory"}
    log, peak = data_dir.with_suffix(".log"), data_dir.with_suffix(".peak")
    t0 = time.perf_counter()
    with log.open("wb") as fh:
        child = subprocess.run([sys.executable, "-c", CHILD, str(peak), "ingest", "--json", *flags, str(tiff)], env=env,
                               stdout=fh, stderr=subprocess.STDOUT, check=False)
    seconds = time.perf_counter() - t0
    if child.returncode != 0 or not peak.is_file():
        tail = log.read_text(errors="replace")[-500:]
        raise AppError(f"memory benchmark: folio ingest of {tiff.name} exited {child.returncode}: {tail}")
    return {
        "pages": count,
        "peak_rss_mb": round(int(peak.read_text()) / 1024.0, 1),  # VmHWM is in kB
        "seconds": round(seconds, 1),
        "pages_per_min": round(60.0 * count / seconds, 1),
    }
