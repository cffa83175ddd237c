"""Keyword (BM25) search over chunks: bm25s over Folio's own analysis, kept on disk per collection.

Each chunk is indexed as its analysed terms (``assistant.analyze``: stems of the chunk's own
language, Chinese words, German compound parts); bm25s then only splits on spaces (no stemming,
no stop words of its own at index time), so both sides of a match went through the same analysis.
The calls are the ones llama-index's ``BM25Retriever`` made (same tokenizer options, same BM25
parameters), without importing llama-index (seconds at start-up).

The index persists beside the library (``storage.keyword_index``): the terms of each committed
document are analysed once and kept in a file of their own; when documents are committed or
deleted, the next process that asks (or ``folio ingest``) adds or drops those documents' terms,
re-analyses only the German chunks when the collection's vocabulary changed (their compounds are
split against it), and writes a new bm25s generation from the stored terms. Every other process
loads that generation memory-mapped instead of analysing every chunk. A change to the analysis
code (``ANALYSIS_VERSION``) rebuilds the index from the chunks.
"""

from __future__ import annotations

import hashlib
import logging
import math
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant import analyze
from assistant.analyze import Analyzer, detect_language, vocabulary_of
from storage.keyword_index import KeywordFiles
from storage.schema import Chunk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeywordHit:
    chunk: Chunk
    score: float  # raw BM25 score, > 0


class KeywordIndex:
    """BM25 over a fixed set of chunks, built once and searched many times.

    ``prepared`` is the analysed index of exactly these chunks (``persistent_index``); without it
    every chunk is analysed here. With ``fetch`` (chunk ids -> those chunks, e.g. from the store)
    the index holds no chunk: only the hits of a search are fetched, so a collection of a million
    chunks is searched without holding them all in memory.
    """

    def __init__(self, chunks: Sequence[Chunk] = (), prepared: Prepared | None = None,
                 fetch: Callable[[Sequence[str]], Sequence[Chunk]] | None = None) -> None:
        if fetch is None:
            held = {c.id: c for c in chunks}
            fetch = lambda ids: [held[i] for i in ids if i in held]  # noqa: E731
        self._fetch = fetch
        prepared = prepared or prepare(chunks)
        self.doc_ids = frozenset(prepared.docs)
        self._docs = prepared.docs
        self._row_doc = prepared.row_doc
        self.analyzer = Analyzer(prepared.vocabulary)
        self.following = prepared.following
        self.languages = prepared.languages
        self._df = prepared.df
        self._ids = prepared.ids
        self._model = prepared.model

    def __len__(self) -> int:
        return len(self._ids)

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of an analysed term (unseen terms get the highest)."""
        n = len(self._ids)
        df = self._df.get(term, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    @property
    def vocabulary_size(self) -> int:
        """How many distinct analysed terms the indexed chunks hold."""
        return len(self._df)

    def has(self, term: str) -> bool:
        return term in self._df

    def search(self, question: str, k: int, *, doc_ids: Collection[str] | None = None) -> list[KeywordHit]:
        """The ``k`` best chunks with a positive BM25 score, of the given documents only when set."""
        terms = self.analyzer.terms(question)
        if self._model is None or not terms:
            return []
        if doc_ids is not None and self.doc_ids <= set(doc_ids):
            doc_ids = None  # a filter that keeps every indexed document is no filter
        import bm25s

        # The query side as llama-index's BM25Retriever tokenized it (bm25s's English stop words included).
        query = bm25s.tokenize(" ".join(terms), stemmer=None, token_pattern=TOKEN_PATTERN, show_progress=False)
        tokens = bm25s.tokenization.convert_tokenized_to_string_list(query)[0]
        if not tokens:
            return []
        # bm25s's own top-k (retrieve) partitions the scores of every chunk, nearly all of them 0: a quarter
        # of a second at a million chunks. Only the chunks holding a query term are ranked here (best first,
        # equal scores in index order), which gives the same hits.
        scores = self._model.get_scores(tokens)
        rows = np.flatnonzero(scores > 0)
        if doc_ids is not None:
            wanted = np.array([n for n, d in enumerate(self._docs) if d in doc_ids], dtype=np.int32)
            rows = rows[np.isin(self._row_doc[rows], wanted)]
        best = scores[rows]
        if len(rows) > k:  # those at least as good as the k-th best
            kth = np.partition(best, len(best) - k)[len(best) - k]
            rows, best = rows[best >= kth], best[best >= kth]
        order = np.lexsort((rows, -best))[:k]
        found = [(self._ids[int(rows[i])], float(best[i])) for i in order]
        chunks = {c.id: c for c in self._fetch([cid for cid, _ in found])}
        return [KeywordHit(chunk=chunks[cid], score=score) for cid, score in found if cid in chunks]


TOKEN_PATTERN = r"\S+"  # terms are joined by spaces; bm25s only splits them again
ANALYSIS_VERSION = "1-" + hashlib.sha256(Path(analyze.__file__).read_bytes()).hexdigest()[:12]


@dataclass(frozen=True)
class Prepared:
    """An analysed keyword index: computed from chunks (``prepare``) or loaded from disk."""

    ids: list[str]  # chunk id of each row of the BM25 model
    docs: list[str]  # the indexed documents
    row_doc: np.ndarray  # index into ``docs`` of each row's document
    vocabulary: frozenset[str]  # stems of the corpus, for compound splitting (``vocabulary_of``)
    languages: dict[str, Any]  # chunk id -> language of its text
    df: dict[str, int]  # analysed term -> number of chunks holding it
    model: Any  # bm25s.BM25, or None without chunks
    following: dict[str, str] = field(default_factory=dict)  # chunk id -> the next chunk's id in reading order (stored index)


def prepare(chunks: Sequence[Chunk]) -> Prepared:
    """Analyse every chunk (the index of a collection without a stored one, or of a test's chunks)."""
    vocabulary = frozenset(vocabulary_of(c.embed_text for c in chunks))
    analyzer = Analyzer(vocabulary)
    terms = {c.id: analyzer.terms(c.embed_text) for c in chunks}
    languages = {c.id: detect_language(c.text) for c in chunks}
    doc_of = {c.id: c.doc_id for c in chunks}
    docs = list(dict.fromkeys(doc_of.values()))
    number = {d: n for n, d in enumerate(docs)}
    row_doc = np.array([number[doc_of[cid]] for cid in terms], dtype=np.int32)
    return _assemble(list(terms), list(terms.values()), vocabulary, languages, docs, row_doc)


def _assemble(ids: list[str], term_lists: list[list[str]], vocabulary: frozenset[str], languages: dict[str, Any],
              docs: list[str], row_doc: np.ndarray) -> Prepared:
    df = Counter(t for ts in term_lists for t in set(ts))
    return Prepared(ids=ids, docs=docs, row_doc=row_doc, vocabulary=vocabulary, languages=languages, df=dict(df),
                    model=_bm25(term_lists) if ids else None)


def _bm25(term_lists: Iterable[list[str]]) -> Any:
    """bm25s over the joined terms, with the options llama-index's BM25Retriever used (no stemming, no stop words)."""
    import bm25s

    # bm25s sets its own logger to DEBUG on import; let the entry point's logging level decide instead.
    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    # What bm25s.tokenize(texts, stopwords=None, stemmer=None, token_pattern=r"\S+") returns (lower case, split on
    # white space, ids in order of first appearance), without its per-token loop.
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(token, len(vocab)) for token in (" ".join(ts) or "_").lower().split()] for ts in term_lists]
    tokens = bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)
    model = bm25s.BM25()
    model.index(tokens, show_progress=False)
    return model


# -- the persistent index ---------------------------------------------------------------------

ChunkReader = Callable[[Sequence[str]], Sequence[Chunk]]  # document ids -> their chunks (e.g. from the store)
Successors = Callable[[str, Sequence[Chunk]], Mapping[str, str]]  # a document's chunks -> chunk id -> next chunk id
READ_DOCS = 20  # documents whose chunks are read and analysed at a time when the index is brought up to date


def persistent_index(data_dir: Path, collection: str, chunks: Sequence[Chunk]) -> Prepared:
    """The analysed index of ``chunks`` (a collection's visible chunks) from disk, brought up to date first when needed."""
    sizes = Counter(c.doc_id for c in chunks)
    return stored_index(data_dir, collection, sizes, lambda doc_ids: [c for c in chunks if c.doc_id in set(doc_ids)])


def stored_index(data_dir: Path, collection: str, sizes: Mapping[str, int], read_chunks: ChunkReader,
                 successors: Successors | None = None) -> Prepared:
    """The analysed index of the documents ``sizes`` names (doc id -> its number of chunks), from disk.

    The stored generation is loaded when it indexes exactly these documents with these numbers of
    chunks (a document's chunks never change: its id is the hash of its file); otherwise it is
    brought up to date first, reading (``read_chunks``) and analysing only the documents it lacks.
    Loading needs no lock; an update holds the index's update lock, so concurrent askers update
    it once and the others load the result. With ``successors`` the index also keeps, for each
    chunk, the id of the chunk that follows it in its document (``Prepared.following``).
    """
    files = KeywordFiles(data_dir, collection)
    wanted = {doc_id: n for doc_id, n in sizes.items() if n}
    if not wanted and not files.dir.exists():
        return prepare([])  # nothing to store: no folder for a collection that has no documents
    loaded = _load_fitting(files, wanted, successors is not None)
    if loaded is not None:
        return loaded
    try:
        with files.updating():
            loaded = _load_fitting(files, wanted, successors is not None)  # another process may have just brought it up to date
            if loaded is not None:
                return loaded
            return _update(files, wanted, read_chunks, successors)
    except OSError as exc:  # a read-only or full data dir: search still works, from memory
        log.warning("the keyword index under %s cannot be written (%s); analysing the collection in memory", files.dir, exc)
        return prepare(read_chunks(list(wanted)))


def _load_fitting(files: KeywordFiles, wanted: dict[str, int], with_following: bool) -> Prepared | None:
    generation = files.current()
    if generation is None:
        return None
    try:
        meta, model = files.load(generation)
    except (OSError, ValueError) as exc:  # pruned while opening, or damaged: the updater writes a new one
        log.info("keyword index %s not loaded: %s", generation, exc)
        return None
    if meta.get("analysis") != ANALYSIS_VERSION or meta.get("doc_sizes") != wanted or (with_following and "following" not in meta):
        return None
    docs, counts = list(meta["doc_sizes"]), list(meta["doc_sizes"].values())
    return Prepared(ids=meta["ids"], docs=docs, row_doc=np.repeat(np.arange(len(docs), dtype=np.int32), counts),
                    vocabulary=frozenset(meta["vocabulary"]), languages=dict(zip(meta["ids"], meta["languages"], strict=True)),
                    df=meta["df"], model=model, following=meta.get("following", {}))


def _update(files: KeywordFiles, wanted: dict[str, int], read_chunks: ChunkReader, successors: Successors | None) -> Prepared:
    """Add the terms of documents not yet stored, drop those of documents gone, and write a new generation."""
    for doc_id in files.stored_docs() - set(wanted):
        files.remove_doc(doc_id)
    docs: dict[str, dict[str, Any]] = {}
    missing = []
    for doc_id, n in wanted.items():
        data = files.read_doc(doc_id)
        if (data is None or data.get("analysis") != ANALYSIS_VERSION or len(data["chunks"]) != n
                or (successors is not None and "following" not in data)):
            missing.append(doc_id)
        else:
            for entry in data["chunks"]:  # a million chunks' terms fit in memory only as shared strings
                entry["terms"] = [sys.intern(t) for t in entry["terms"]]
        docs[doc_id] = data or {}
    for start in range(0, len(missing), READ_DOCS):  # a few documents' chunks in memory at a time
        batch = missing[start:start + READ_DOCS]
        by_doc: dict[str, list[Chunk]] = {}
        for c in read_chunks(batch):
            by_doc.setdefault(c.doc_id, []).append(c)
        for doc_id in batch:
            docs[doc_id] = _analyse_plain(by_doc.get(doc_id, []))
            if successors is not None:
                docs[doc_id]["following"] = dict(successors(doc_id, by_doc.get(doc_id, [])))
    vocabulary = frozenset(t for data in docs.values() for e in data["chunks"] for t in e.get("plain", e["terms"]))
    digest = hashlib.sha256("\n".join(sorted(vocabulary)).encode()).hexdigest()[:16]
    analyzer = Analyzer(vocabulary)
    for doc_id, data in docs.items():
        changed = data.pop("_new", False)
        for entry in data["chunks"]:
            if "text" in entry and entry.get("vocabulary") != digest:  # German: compounds split against the vocabulary
                entry["terms"] = analyzer.terms(entry["text"])
                entry["vocabulary"] = digest
                changed = True
        if changed:
            files.write_doc(doc_id, data)
    doc_sizes = {doc_id: len(data["chunks"]) for doc_id, data in docs.items() if data["chunks"]}
    entries = [e for data in docs.values() for e in data["chunks"]]
    row_doc = np.repeat(np.arange(len(doc_sizes), dtype=np.int32), list(doc_sizes.values()))
    prepared = _assemble([e["id"] for e in entries], [e["terms"] for e in entries], vocabulary, {e["id"]: e["lang"] for e in entries},
                         list(doc_sizes), row_doc)
    meta = {"analysis": ANALYSIS_VERSION, "n_chunks": len(entries), "ids": prepared.ids, "languages": [e["lang"] for e in entries],
            "vocabulary": sorted(vocabulary), "df": prepared.df, "doc_sizes": doc_sizes}
    if successors is not None:
        meta["following"] = {k: v for data in docs.values() for k, v in data["following"].items()}
        prepared = replace(prepared, following=meta["following"])
    generation = files.publish(meta, prepared.model)
    log.info("keyword index of %d chunks written to %s (%d documents analysed)", len(entries), generation, len(missing))
    return prepared


def _analyse_plain(chunks: Sequence[Chunk]) -> dict[str, Any]:
    """One document's terms without the corpus vocabulary; a German chunk keeps its text, to split compounds later.

    Only German analysis depends on the vocabulary (compound splitting); a chunk's own stems are
    always in the vocabulary, so for the other languages the plain terms are the indexed terms.
    """
    plain = Analyzer()
    entries = []
    for c in chunks:
        terms = [sys.intern(t) for t in plain.terms(c.embed_text)]  # one string per term in memory, not one per use
        entry: dict[str, Any] = {"id": c.id, "lang": detect_language(c.text), "terms": terms}
        if detect_language(c.embed_text) == "de":
            entry.update(plain=sorted(set(terms)), text=c.embed_text)
        entries.append(entry)
    return {"analysis": ANALYSIS_VERSION, "chunks": entries, "_new": True}
