"""Query benchmark: ``ask`` latency with the offline answerer as the collection grows (synthetic chunks).

One collection in a scratch data dir grows to each size in turn (documents of 1,000 synthetic
chunks, upserted in batches, with random unit vectors instead of embeddings). At each size a
fresh ``Assistant`` is built (its keyword index build is timed apart) and the same questions are
asked through ``assistant.service.ask``; the question is embedded by the real embedder.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.settings import Settings
from evals.synthetic import CorpusShape, SyntheticCorpus, vocabulary

COLLECTION = "bench-query"
DOCS_PER_UPSERT = 5  # 5,000 chunks per upsert


def query_latency(settings: Settings, work_dir: Path, sizes: Sequence[int], n_questions: int,
                  note: Callable[[str], None]) -> list[dict[str, Any]]:
    """p50/p95 ``ask`` latency at each size (chunks), with build and index times."""
    from assistant.service import Assistant, ask
    from assistant.wiring import open_store

    bench_settings = settings.model_copy(update={"data_dir": work_dir, "answerer": "extractive"})
    handles = open_store(bench_settings, COLLECTION)
    shape = CorpusShape(dim=handles.embedder.dim)
    corpus = SyntheticCorpus(shape, vocabulary(5000))
    questions = list(corpus.questions(n_questions))
    results = []
    n_docs = 0
    for size in sorted(sizes):
        t0 = time.perf_counter()
        while n_docs * shape.chunks_per_doc < size:
            batch = range(n_docs, min(n_docs + DOCS_PER_UPSERT, -(-size // shape.chunks_per_doc)))
            _add_documents(corpus, batch, handles)
            n_docs = batch.stop
        build_s = time.perf_counter() - t0
        note(f"query benchmark: {handles.store.count()} chunks stored ({build_s:.0f} s); building the assistant")
        t1 = time.perf_counter()
        assistant = Assistant(bench_settings, handles)
        assistant.corpus()
        index_s = time.perf_counter() - t1
        ask(questions[0], assistant)  # warm-up (first query of the embedder), not timed
        ms = []
        for question in questions:
            t = time.perf_counter()
            ask(question, assistant)
            ms.append((time.perf_counter() - t) * 1000.0)
        results.append({
            "chunks": handles.store.count(),
            "documents": n_docs,
            "store_build_s": round(build_s, 1),
            "index_build_s": round(index_s, 1),
            "questions": len(ms),
            "ask_p50_ms": round(float(np.percentile(ms, 50)), 1),
            "ask_p95_ms": round(float(np.percentile(ms, 95)), 1),
        })
        note(f"query benchmark at {results[-1]['chunks']} chunks: p50 {results[-1]['ask_p50_ms']} ms, "
             f"p95 {results[-1]['ask_p95_ms']} ms")
    return results


def _add_documents(corpus: SyntheticCorpus, numbers: range, handles: Any) -> None:
    """Upsert the documents' chunks and vectors in one batch, then commit their manifests (as ingest does)."""
    made = [corpus.document(n, COLLECTION) for n in numbers]
    chunks = [c for _, doc_chunks, _ in made for c in doc_chunks]
    vectors = np.concatenate([v for _, _, v in made])
    handles.store.upsert(chunks, vectors.tolist())
    for record, _, _ in made:
        handles.library.commit(handles.library.staging_dir(COLLECTION, record.doc_id), record)
