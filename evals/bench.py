"""``folio bench``: ingest throughput against raw OCR, ask latency by collection size, ingest peak memory,
and (``--only photos``) OCR on photos and hard photos with rectification on and off.

All numbers are measured in one run on this machine, in a scratch data dir that is removed
afterwards; the results are printed as a table and saved as JSON (never overwriting). Ratios are
the point: the whole ingest path against the OCR engine alone, latency at 1k vs 100k chunks,
peak memory at 10 vs 40 pages.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.settings import Settings
from evals.bench_cold import cold_start
from evals.bench_ingest import ingest_memory, ingest_throughput
from evals.bench_photos import format_rows, photo_ocr
from evals.bench_query import query_latency
from evals.bench_scale import scale_throughput
from evals.dataset import ImageKind, load_set
from evals.runner import git_sha

QUERY_NOTE = ("synthetic chunks: random pseudo-word text (6 lines of 9 words) and random unit vectors instead of "
              "embeddings; the question is embedded by the real embedder; answerer: extractive (offline)")
COLD_NOTE = ("a new process per run: 'folio ask' on a synthetic 40-page collection (keyword index already on disk, "
             "extractive answerer) and 'folio --help'; median wall seconds")
MEMORY_NOTE = "generated letter-size pages of random words (45 lines), one multi-page TIFF, folio ingest in a child process"


@dataclass(frozen=True)
class BenchRequest:
    set_dir: Path  # pages for the throughput benchmark
    images: ImageKind = "photo"
    sizes: tuple[int, ...] = (1000, 10000, 100000)
    questions: int = 30
    memory_pages: tuple[int, ...] = (10, 40)
    out: Path | None = None  # JSON file to write; default <data_dir>/bench/<time>.json
    cold_runs: int = 5
    parts: tuple[str, ...] = ("ingest", "scale", "query", "memory", "cold")
    hard_dir: Path | None = None  # hard photos of the set (harden_photos.py), for the "photos" part
    copies: int = 2  # re-encoded copies of the set's pages for the scale part


def run_bench(request: BenchRequest, settings: Settings, note: Callable[[str], None]) -> tuple[dict[str, Any], Path]:
    """Run the chosen parts; returns the results and the JSON file they were saved to."""
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": {"fingerprint": settings.fingerprint(), **settings.public_dump()},
        "git_sha": git_sha(),
    }
    with tempfile.TemporaryDirectory(prefix="folio-bench-") as tmp:
        work = Path(tmp)
        if "ingest" in request.parts:
            eval_set = load_set(request.set_dir)
            results["ingest"] = ingest_throughput(eval_set, request.images, settings, work / "ingest", note)
        if "scale" in request.parts:
            results["scale"] = scale_throughput(load_set(request.set_dir), request.images, settings, work / "scale",
                                                request.copies, note)
        if "query" in request.parts:
            results["query"] = {"note": QUERY_NOTE, "sizes": query_latency(settings, work / "query", request.sizes, request.questions, note)}
        if "photos" in request.parts:
            sets = [("photos", request.set_dir)] + ([("hard photos", request.hard_dir)] if request.hard_dir else [])
            results["photos"] = photo_ocr(sets, request.images, settings, note)
        if "memory" in request.parts:
            results["memory"] = {"note": MEMORY_NOTE, "runs": ingest_memory(request.memory_pages, settings, work, note)}
        if "cold" in request.parts:
            results["cold"] = {"note": COLD_NOTE, **cold_start(settings, work / "cold", request.cold_runs, note)}
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return results, save(results, request.out or settings.data_dir / "bench" / f"{datetime.now(UTC):%Y%m%d-%H%M%S}.json")


def save(results: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    stem, n = path.stem, 1
    while path.exists():  # never overwrite an earlier run
        n += 1
        path = path.with_name(f"{stem}-{n}{path.suffix}")
    path.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return path


def format_table(results: dict[str, Any]) -> str:
    """The results as a plain-text table (one section per benchmark)."""
    lines = []
    if "ingest" in results:
        r = results["ingest"]
        lines += [f"Ingest throughput ({r['pages']} {r['images']} pages, engine {r['ocr_engine']})",
                  f"  raw OCR engine      {r['ocr_pages_per_min']:>8.1f} pages/min  ({r['ocr_seconds']} s)",
                  f"  whole ingest path   {r['ingest_pages_per_min']:>8.1f} pages/min  ({r['ingest_seconds']} s)",
                  f"  ingest / OCR speed  {r['ingest_vs_ocr']:>8.3f}", ""]
    if "scale" in results:
        r = results["scale"]
        lines += [f"Ingest in parallel ({r['pages']} {r['images']} pages, engine {r['ocr_engine']}, {r['cpus']} CPUs; "
                  f"raw OCR one thread {r['raw_ocr_pages_per_min']} pages/min)",
                  f"  {'run':<16} {'pages/min':>10} {'seconds':>8} {'warm-up s':>10}"]
        lines += [f"  {name:<16} {run['pages_per_min']:>10} {run['seconds']:>8} {run['warm_up_seconds']:>10}"
                  for name, run in r["runs"].items()]
        lines += [f"  2 workers / 1 worker {r['two_workers_vs_one']:.3f} (target {r['targets']['two_workers_vs_one']}), "
                  f"Ray / 1 worker {r['ray_vs_one']:.3f} (target {r['targets']['ray_vs_one']})", ""]
    if "query" in results:
        lines += ["ask latency (" + results["query"]["note"] + ")",
                  f"  {'chunks':>8} {'store s':>8} {'index s':>8} {'p50 ms':>7} {'p95 ms':>7} {'load s':>7} "
                  f"{'chunks s':>8} {'kw load s':>9} {'RSS MB':>7}"]
        lines += [f"  {q['chunks']:>8} {q['store_build_s']:>8} {q['index_update_s']:>8} {q['ask_p50_ms']:>7} {q['ask_p95_ms']:>7} "
                  f"{q['load_s']:>7} {q['chunks_read_s']:>8} {q['index_load_s']:>9} {q['rss_mb']:>7}" for q in results["query"]["sizes"]]
        lines += ["  (store/index s: writing the chunks and updating the keyword index, in a writing process; load s: a new "
                  "asking process's first load, of which chunks s reading them from the store and kw load s loading the "
                  "keyword index; RSS: the asking process after the questions)"]
        lines += ["  stage p50 ms at " + f"{q['chunks']}: " + ", ".join(f"{k} {v}" for k, v in q["stage_p50_ms"].items())
                  for q in results["query"]["sizes"]]
        lines.append("")
    if "photos" in results:
        lines += [*format_rows(results["photos"]), ""]
    if "memory" in results:
        lines += ["Ingest peak memory (" + results["memory"]["note"] + ")",
                  f"  {'pages':>6} {'peak RSS MB':>12} {'seconds':>8} {'pages/min':>10}"]
        lines += [f"  {m['pages']:>6} {m['peak_rss_mb']:>12} {m['seconds']:>8} {m['pages_per_min']:>10}" for m in results["memory"]["runs"]]
        lines.append("")
    if "cold" in results:
        c = results["cold"]
        lines += [f"Cold start ({c['note']}; {c['runs']} runs)",
                  f"  {'':<20} {'wall s':>7} {'CPU s':>7}",
                  f"  {'folio ask':<20} {c['ask_median_s']:>7} {c['ask_cpu_median_s']:>7}  (questions embedded on onnxruntime)",
                  f"  {'folio ask, torch':<20} {c['ask_torch_median_s']:>7} {c['ask_torch_cpu_median_s']:>7}  (FOLIO_ONNX_QUESTIONS=false: sentence-transformers)",
                  f"  {'folio --help':<20} {c['help_median_s']:>7} {c['help_cpu_median_s']:>7}"]
    return "\n".join(lines).rstrip()
