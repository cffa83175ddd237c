"""Ingest throughput with page work in parallel: 1 worker, 2 worker processes, a local Ray cluster.

All against the raw OCR engine (one thread, this process) on the same pages, in one run. The set's
page images are re-encoded ``copies`` times (different bytes, so different documents; same text)
to give the workers enough pages. Each way of ingesting is warmed up first (worker processes
started, models loaded) on two extra copies, then timed ingesting every copy into a fresh
collection: start-up cost is reported apart from throughput.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.settings import Settings
from evals.bench_ingest import raw_ocr
from evals.dataset import EvalSet, ImageKind
from storage.errors import AppError

TARGETS = {"two_workers_vs_one": 1.7, "ray_vs_one": 1.5}


def scale_throughput(eval_set: EvalSet, kind: ImageKind, settings: Settings, work_dir: Path, copies: int,
                     note: Callable[[str], None]) -> dict[str, Any]:
    sources = [eval_set.image_path(p, kind) for p in eval_set.pages]
    files = _copies(sources, work_dir / "pages", copies)
    warm = _copies(sources[:2], work_dir / "warm", 1, quality=88)
    _, n_pages, raw_s = raw_ocr(files, kind, settings, "scale benchmark", note)
    runs = {
        "one_worker": _timed(settings, 1, None, files, warm, work_dir / "w1", note),
        "two_workers": _timed(settings, 2, None, files, warm, work_dir / "w2", note),
        "ray_local_2cpu": _ray_run(settings, files, warm, work_dir / "ray", note),
    }
    one = runs["one_worker"]["pages_per_min"]
    return {
        "pages": n_pages,
        "images": kind,
        "ocr_engine": settings.ocr_engine,
        "cpus": os.cpu_count(),
        "raw_ocr_pages_per_min": round(60.0 * n_pages / raw_s, 1),
        "runs": runs,
        "two_workers_vs_one": round(runs["two_workers"]["pages_per_min"] / one, 3),
        "ray_vs_one": round(runs["ray_local_2cpu"]["pages_per_min"] / one, 3),
        "targets": TARGETS,
    }


def _copies(sources: list[Path], folder: Path, copies: int, quality: int = 95) -> list[Path]:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for k in range(copies):
        for source in sources:
            path = folder / f"{source.stem}-{k}.jpg"
            Image.open(source).convert("RGB").save(path, format="JPEG", quality=quality - k)
            out.append(path)
    return out


def _timed(settings: Settings, workers: int, ray_address: str | None, files: list[Path], warm: list[Path],
           data_dir: Path, note: Callable[[str], None]) -> dict[str, Any]:
    from assistant.wiring import ingest_seams, open_store
    from ingest.run import ingest_paths

    run_settings = settings.model_copy(update={"data_dir": data_dir, "workers": workers, "ray_address": ray_address})
    label = f"Ray at {ray_address}" if ray_address else f"{workers} worker(s)"
    t0 = time.perf_counter()
    seams = ingest_seams(run_settings, open_store(run_settings, "bench-warm"))
    try:
        note(f"scale benchmark: warming up {label}")
        _check(ingest_paths(warm, seams, run_settings.ingest))
        warm_s = time.perf_counter() - t0
        timed = ingest_seams(run_settings, open_store(run_settings, "bench-scale"))
        timed = type(timed)(engine=seams.engine, embedder=timed.embedder, store=timed.store, library=timed.library,
                            work=seams.work)
        note(f"scale benchmark: ingesting {len(files)} files with {label}")
        t1 = time.perf_counter()
        reports = _check(ingest_paths(files, timed, run_settings.ingest))
        seconds = time.perf_counter() - t1
    finally:
        if seams.work is not None:
            seams.work.close()
    pages = sum(r.pages for r in reports)
    return {"workers": workers, "warm_up_seconds": round(warm_s, 1), "seconds": round(seconds, 2),
            "pages_per_min": round(60.0 * pages / seconds, 1)}


def _ray_run(settings: Settings, files: list[Path], warm: list[Path], data_dir: Path,
             note: Callable[[str], None]) -> dict[str, Any]:
    try:
        import ray
    except ImportError as exc:
        raise AppError("the Ray part of the scale benchmark needs Ray: pip install 'folio[ray]'") from exc
    note("scale benchmark: starting a local Ray cluster (2 CPUs)")
    t0 = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.2",
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH")]))}})
    start_s = time.perf_counter() - t0
    try:
        result = _timed(settings, 2, ray.get_runtime_context().gcs_address, files, warm, data_dir, note)
    finally:
        ray.shutdown()
    return {**result, "cluster_start_seconds": round(start_s, 1)}


def _check(reports: list[Any]) -> list[Any]:
    failed = [r.error for r in reports if not r.ok]
    if failed:
        raise AppError(f"scale benchmark: {len(failed)} files failed to ingest, first: {failed[0]}")
    return reports
