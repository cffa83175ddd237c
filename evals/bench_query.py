"""Query benchmark: ``ask`` latency with the offline answerer as the collection grows (synthetic chunks).

One collection in a scratch data dir grows to each size in turn, the way ingest grows it: a
writing process upserts documents of 1,000 synthetic chunks (random unit vectors instead of
embeddings), commits their manifests and then brings the persistent keyword index up to date
(``update_keyword_index``, what ``folio ingest`` does when it finishes; only the new documents are
analysed). Then a fresh asking process (a new Python process per size, as a new API worker or
``folio ask`` is) opens the store, builds an ``Assistant`` and loads the collection: the chunks
read from the store and the keyword index loaded from disk (memory-mapped) are timed apart. It
asks the same questions through ``assistant.service.ask`` (the question is embedded by the real
embedder) and reports p50/p95, where the time of an ask goes (each stage timed alone on the same
questions), and its resident memory.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
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
    """p50/p95 ``ask`` latency at each size (chunks), with build, index load and memory figures."""
    bench_settings = settings.model_copy(update={"data_dir": work_dir, "answerer": "extractive"})
    results = []
    n_docs = 0
    for size in sorted(sizes):
        want = -(-size // CorpusShape().chunks_per_doc)
        note(f"query benchmark: writing documents {n_docs}..{want} and the keyword index")
        built = _in_child(grow, bench_settings, n_docs, want)
        n_docs = want
        note(f"query benchmark: {built['chunks']} chunks stored ({built['store_build_s']:.0f} s, keyword index "
             f"{built['index_update_s']:.0f} s); asking in a new process")
        asked = _in_child(ask_in_fresh_process, bench_settings, n_questions)
        results.append({"chunks": built["chunks"], "documents": n_docs, **{k: v for k, v in built.items() if k != "chunks"}, **asked})
        r = results[-1]
        note(f"query benchmark at {r['chunks']} chunks: p50 {r['ask_p50_ms']} ms, p95 {r['ask_p95_ms']} ms, "
             f"index load {r['index_load_s']} s, RSS {r['rss_mb']} MB")
    return results


def _in_child(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``fn(*args)`` in a new Python process (spawned: nothing of this one is inherited)."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(fn, *args).result()


def grow(settings: Settings, first: int, stop: int) -> dict[str, Any]:
    """Writing process: documents ``first``..``stop`` upserted and committed, then the keyword index updated."""
    from assistant.wiring import open_store, update_keyword_index

    handles = open_store(settings, COLLECTION)
    corpus = SyntheticCorpus(CorpusShape(dim=handles.embedder.dim), vocabulary(5000))
    t0 = time.perf_counter()
    for start in range(first, stop, DOCS_PER_UPSERT):
        _add_documents(corpus, range(start, min(start + DOCS_PER_UPSERT, stop)), handles)
    t1 = time.perf_counter()
    update_keyword_index(settings, handles.store, handles.library)
    t2 = time.perf_counter()
    return {"chunks": handles.store.count(), "store_build_s": round(t1 - t0, 1), "index_update_s": round(t2 - t1, 1)}


def ask_in_fresh_process(settings: Settings, n_questions: int) -> dict[str, Any]:
    """Asking process: load the collection, ask, and time each stage of an ask alone on the same questions."""
    from assistant import keyword
    from assistant.retrieve import retrieve
    from assistant.service import Assistant, ask
    from assistant.wiring import open_store
    from storage.keyword_index import KeywordFiles

    rss_start = _rss_mb()
    t0 = time.perf_counter()
    handles = open_store(settings, COLLECTION)
    assistant = Assistant(settings, handles)
    t1 = time.perf_counter()
    loads: list[float] = []
    files_load = KeywordFiles.load

    def timed_load(self: KeywordFiles, generation: Path, *, mmap: bool = True) -> tuple[dict[str, Any], Any]:
        t = time.perf_counter()
        try:
            return files_load(self, generation, mmap=mmap)
        finally:
            loads.append(time.perf_counter() - t)

    reads: list[float] = []
    chunks_of = type(handles.store).chunks

    def timed_chunks(self: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return chunks_of(self, **kwargs)
        finally:
            reads.append(time.perf_counter() - t)

    updates: list[int] = []
    update = keyword._update
    KeywordFiles.load = timed_load  # type: ignore[method-assign]
    type(handles.store).chunks = timed_chunks  # type: ignore[method-assign]
    keyword._update = lambda *a: updates.append(1) or update(*a)  # type: ignore[assignment]
    try:
        corpus = assistant.corpus()
    finally:
        KeywordFiles.load = files_load  # type: ignore[method-assign]
        type(handles.store).chunks = chunks_of  # type: ignore[method-assign]
        keyword._update = update
    t2 = time.perf_counter()
    rss_loaded = _rss_mb()
    questions = list(SyntheticCorpus(CorpusShape(dim=handles.embedder.dim), vocabulary(5000)).questions(n_questions))
    ask(questions[0], assistant)  # warm-up (first query of the embedder), not timed
    ms = []
    for question in questions:
        t = time.perf_counter()
        ask(question, assistant)
        ms.append((time.perf_counter() - t) * 1000.0)
    allowed = set(corpus.records)
    depth = assistant.fusion.depth
    stages: dict[str, list[float]] = {"embed_question": [], "dense_search": [], "keyword_search": [], "retrieve_fused": []}
    for question in questions:
        t = time.perf_counter()
        vector = handles.embedder.embed_query(question)
        stages["embed_question"].append(time.perf_counter() - t)
        t = time.perf_counter()
        handles.store.search(vector, depth, doc_ids=allowed)
        stages["dense_search"].append(time.perf_counter() - t)
        t = time.perf_counter()
        corpus.keywords.search(question, depth, doc_ids=allowed)
        stages["keyword_search"].append(time.perf_counter() - t)
        t = time.perf_counter()
        retrieve(question, vector, handles.store, corpus.keywords, allowed, assistant.fusion)
        stages["retrieve_fused"].append(time.perf_counter() - t)
    return {
        "open_s": round(t1 - t0, 2),
        "load_s": round(t2 - t1, 2),  # the collection's first ask pays this (chunks, keyword index, manifests)
        "chunks_read_s": round(sum(reads), 2),
        "index_load_s": round(sum(loads), 3),
        "index_rebuilt": bool(updates),  # True would mean the asker analysed chunks instead of loading the index
        "questions": len(ms),
        "ask_p50_ms": round(float(np.percentile(ms, 50)), 1),
        "ask_p95_ms": round(float(np.percentile(ms, 95)), 1),
        "stage_p50_ms": {name: round(1000.0 * float(np.percentile(s, 50)), 1) for name, s in stages.items()},
        "rss_start_mb": rss_start,
        "rss_loaded_mb": rss_loaded,
        "rss_mb": _rss_mb(),
        "peak_rss_mb": _rss_mb("VmHWM"),
    }


def _rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (``VmRSS``) or its peak (``VmHWM``), in MB, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024.0, 1)
    return float("nan")


def _add_documents(corpus: SyntheticCorpus, numbers: range, handles: Any) -> None:
    """Upsert the documents' chunks and vectors in one batch, then commit their manifests (as ingest does)."""
    made = [corpus.document(n, COLLECTION) for n in numbers]
    chunks = [c for _, doc_chunks, _ in made for c in doc_chunks]
    vectors = np.concatenate([v for _, _, v in made])
    handles.store.upsert(chunks, vectors.tolist())
    for record, _, _ in made:
        handles.library.commit(handles.library.staging_dir(COLLECTION, record.doc_id), record)


def keyword_index_only(work_dir: Path, size: int, n_questions: int) -> dict[str, Any]:
    """The keyword index alone at ``size`` chunks (no vector store: for sizes whose Chroma build takes hours here).

    A writing process analyses the synthetic documents and stores the index (as ``grow`` does, the
    chunks read from the generator instead of the store); a fresh process loads it and searches."""
    built = _in_child(_write_keyword_index, work_dir, size)
    return {"chunks": size, **built, **_in_child(_load_and_search_keywords, work_dir, size, n_questions)}


def _synthetic_records(size: int) -> tuple[SyntheticCorpus, dict[str, Any]]:
    corpus = SyntheticCorpus(CorpusShape(), vocabulary(5000))
    n_docs = -(-size // corpus.shape.chunks_per_doc)
    return corpus, {corpus.doc_id(n): n for n in range(n_docs)}


def _write_keyword_index(work_dir: Path, size: int) -> dict[str, Any]:
    from assistant.keyword import stored_index
    from assistant.order import successor_ids

    corpus, numbers = _synthetic_records(size)
    records: dict[str, Any] = {}

    def read(doc_ids: Sequence[str]) -> list[Any]:
        out = []
        for doc_id in doc_ids:
            record, chunks, _ = corpus.document(numbers[doc_id], COLLECTION)
            records[doc_id] = record
            out += chunks
        return out

    t0 = time.perf_counter()
    stored_index(work_dir, COLLECTION, dict.fromkeys(numbers, corpus.shape.chunks_per_doc), read, successor_ids(records))
    return {"index_update_s": round(time.perf_counter() - t0, 1), "writer_peak_rss_mb": _rss_mb("VmHWM")}


def _load_and_search_keywords(work_dir: Path, size: int, n_questions: int) -> dict[str, Any]:
    from assistant.keyword import KeywordIndex, stored_index

    corpus, numbers = _synthetic_records(size)
    rss_start = _rss_mb()
    t0 = time.perf_counter()
    prepared = stored_index(work_dir, COLLECTION, dict.fromkeys(numbers, corpus.shape.chunks_per_doc), lambda ids: [], lambda d, c: {})
    index = KeywordIndex(prepared=prepared, fetch=lambda ids: [])
    load_s = time.perf_counter() - t0
    questions = list(corpus.questions(n_questions))
    index.search(questions[0], 30)
    ms = []
    for question in questions:
        t = time.perf_counter()
        index.search(question, 30)
        ms.append((time.perf_counter() - t) * 1000.0)
    return {"index_load_s": round(load_s, 2), "keyword_search_p50_ms": round(float(np.percentile(ms, 50)), 1),
            "keyword_search_p95_ms": round(float(np.percentile(ms, 95)), 1), "rss_start_mb": rss_start, "rss_loaded_mb": _rss_mb(),
            "peak_rss_mb": _rss_mb("VmHWM")}


if __name__ == "__main__":  # python -m evals.bench_query DIR SIZE: the keyword index alone at SIZE chunks
    import json
    import sys

    print(json.dumps(keyword_index_only(Path(sys.argv[1]), int(sys.argv[2]), 30)))
