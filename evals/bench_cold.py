"""Cold-start benchmark: a fresh process running ``folio ask`` on a 40-page collection, and ``folio --help``.

The collection is synthetic (4 documents of 10 pages, 5 chunks a page, random unit vectors), built
in the benchmark's scratch data dir; one untimed ``folio ask`` first writes its keyword index (as
the first ask after an ingest does) and the ONNX question embedder when the models dir has none.
Then each command runs ``runs`` times as a new Python process; the median wall time is kept, and
the median CPU time (user + system), which on a busy machine tells more about a quiet one.
The same ``folio ask`` with ``FOLIO_ONNX_QUESTIONS=false`` (questions embedded by
sentence-transformers on torch, as before) is timed too, so the saving is measured in the same run.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.settings import Settings
from evals.synthetic import CorpusShape, SyntheticCorpus, vocabulary

COLLECTION = "bench-cold"
PAGES = 40
SHAPE = CorpusShape(chunks_per_page=5, pages_per_doc=10)
ROOT = Path(__file__).resolve().parents[1]


def cold_start(settings: Settings, work_dir: Path, runs: int, note: Callable[[str], None]) -> dict[str, Any]:
    """Median seconds of ``folio ask`` (ONNX and torch question embedders) and ``folio --help`` in fresh processes."""
    from assistant.wiring import open_store

    models = settings.models_dir or settings.data_dir / "models"  # reuse an export made before (it takes tens of seconds)
    bench_settings = settings.model_copy(update={"data_dir": work_dir, "models_dir": models, "answerer": "extractive"})
    handles = open_store(bench_settings, COLLECTION)
    corpus = SyntheticCorpus(SHAPE, vocabulary(5000))
    for n in range(PAGES // SHAPE.pages_per_doc):
        record, chunks, vectors = corpus.document(n, COLLECTION)
        handles.store.upsert(chunks, vectors.tolist())
        handles.library.commit(handles.library.staging_dir(COLLECTION, record.doc_id), record)
    question = next(corpus.questions(1))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
           "FOLIO_DATA_DIR": str(work_dir), "FOLIO_MODELS_DIR": str(models), "FOLIO_COLLECTION": COLLECTION,
           "FOLIO_ANSWERER": "extractive", "FOLIO_EMBEDDER": settings.embedder}
    ask = [sys.executable, "-m", "cli.main", "ask", question]
    note("cold-start benchmark: first ask (writes the keyword index; exports the ONNX embedder if missing), not timed")
    _timed(ask, env)
    results: dict[str, Any] = {"pages": PAGES, "chunks": handles.store.count(), "runs": runs}
    for key, command, extra in (("help", [sys.executable, "-m", "cli.main", "--help"], {}),
                                ("ask", ask, {}),
                                ("ask_torch", ask, {"FOLIO_ONNX_QUESTIONS": "false"})):
        timed = [_timed(command, {**env, **extra}) for _ in range(runs)]
        seconds, cpu = [t[0] for t in timed], [t[1] for t in timed]
        results[f"{key}_median_s"] = round(statistics.median(seconds), 2)
        results[f"{key}_cpu_median_s"] = round(statistics.median(cpu), 2)
        results[f"{key}_runs_s"] = [round(s, 2) for s in seconds]
        note(f"cold-start benchmark: {key} median {results[f'{key}_median_s']} s over {runs} runs")
    return results


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[2:4])} failed in the cold-start benchmark: {done.stderr.strip()[-500:]}")
    return seconds, cpu
