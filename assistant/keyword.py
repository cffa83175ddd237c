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
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    every chunk is analysed here.
    """

    def __init__(self, chunks: Sequence[Chunk], prepared: Prepared | None = None) -> None:
        self.chunks = {c.id: c for c in chunks}
        self.doc_ids = frozenset(c.doc_id for c in chunks)
        prepared = prepared or prepare(chunks)
        self.analyzer = Analyzer(prepared.vocabulary)
        self.languages = prepared.languages
        self._df = prepared.df
        self._ids = prepared.ids
        self._model = prepared.model

    def __len__(self) -> int:
        return len(self.chunks)

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of an analysed term (unseen terms get the highest)."""
        n = len(self.chunks)
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
        # Unfiltered, a few times k is enough; filtered by document, every chunk may be needed.
        depth = len(self._ids) if doc_ids is not None else min(len(self._ids), max(4 * k, 100))
        import bm25s

        # The query side as llama-index's BM25Retriever tokenized it (bm25s's English stop words included).
        query = bm25s.tokenize(" ".join(terms), stemmer=None, token_pattern=TOKEN_PATTERN, show_progress=False)
        rows, scores = self._model.retrieve(query, k=depth, show_progress=False)
        hits = []
        for row, score in zip(rows[0], scores[0], strict=True):
            chunk = self.chunks[self._ids[int(row)]]
            if float(score) <= 0.0 or (doc_ids is not None and chunk.doc_id not in doc_ids):
                continue
            hits.append(KeywordHit(chunk=chunk, score=float(score)))
            if len(hits) == k:
                break
        return hits


TOKEN_PATTERN = r"\S+"  # terms are joined by spaces; bm25s only splits them again
ANALYSIS_VERSION = "1-" + hashlib.sha256(Path(analyze.__file__).read_bytes()).hexdigest()[:12]


@dataclass(frozen=True)
class Prepared:
    """An analysed keyword index: computed from chunks (``prepare``) or loaded from disk."""

    ids: list[str]  # chunk id of each row of the BM25 model
    vocabulary: frozenset[str]  # stems of the corpus, for compound splitting (``vocabulary_of``)
    languages: dict[str, Any]  # chunk id -> language of its text
    df: dict[str, int]  # analysed term -> number of chunks holding it
    model: Any  # bm25s.BM25, or None without chunks


def prepare(chunks: Sequence[Chunk]) -> Prepared:
    """Analyse every chunk (the index of a collection without a stored one, or of a test's chunks)."""
    vocabulary = frozenset(vocabulary_of(c.embed_text for c in chunks))
    analyzer = Analyzer(vocabulary)
    terms = {c.id: analyzer.terms(c.embed_text) for c in chunks}
    languages = {c.id: detect_language(c.text) for c in chunks}
    return _assemble(list(terms), list(terms.values()), vocabulary, languages)


def _assemble(ids: list[str], term_lists: list[list[str]], vocabulary: frozenset[str], languages: dict[str, Any]) -> Prepared:
    df = Counter(t for ts in term_lists for t in set(ts))
    return Prepared(ids=ids, vocabulary=vocabulary, languages=languages, df=dict(df), model=_bm25(term_lists) if ids else None)


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

def persistent_index(data_dir: Path, collection: str, chunks: Sequence[Chunk]) -> Prepared:
    """The analysed index of ``chunks`` (a collection's visible chunks) from disk, brought up to date first when needed.

    Loading needs no lock; an update holds the index's update lock, so concurrent askers update
    it once and the others load the result.
    """
    files = KeywordFiles(data_dir, collection)
    if not chunks and not files.dir.exists():
        return prepare(chunks)  # nothing to store: no folder for a collection that has no documents
    wanted = [c.id for c in chunks]
    loaded = _load_fitting(files, wanted)
    if loaded is not None:
        return loaded
    try:
        with files.updating():
            loaded = _load_fitting(files, wanted)  # another process may have just brought it up to date
            if loaded is not None:
                return loaded
            return _update(files, chunks)
    except OSError as exc:  # a read-only or full data dir: search still works, from memory
        log.warning("the keyword index under %s cannot be written (%s); analysing the collection in memory", files.dir, exc)
        return prepare(chunks)


def _load_fitting(files: KeywordFiles, wanted: list[str]) -> Prepared | None:
    generation = files.current()
    if generation is None:
        return None
    try:
        meta, model = files.load(generation)
    except (OSError, ValueError) as exc:  # pruned while opening, or damaged: the updater writes a new one
        log.info("keyword index %s not loaded: %s", generation, exc)
        return None
    if meta.get("analysis") != ANALYSIS_VERSION or len(meta["ids"]) != len(wanted) or set(meta["ids"]) != set(wanted):
        return None
    return Prepared(ids=meta["ids"], vocabulary=frozenset(meta["vocabulary"]), languages=dict(zip(meta["ids"], meta["languages"], strict=True)),
                    df=meta["df"], model=model)


def _update(files: KeywordFiles, chunks: Sequence[Chunk]) -> Prepared:
    """Add the terms of documents not yet stored, drop those of documents gone, and write a new generation."""
    by_doc: dict[str, list[Chunk]] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    for doc_id in files.stored_docs() - set(by_doc):
        files.remove_doc(doc_id)
    docs: dict[str, dict[str, Any]] = {}
    added = 0
    for doc_id, doc_chunks in by_doc.items():
        data = files.read_doc(doc_id)
        if data is None or data.get("analysis") != ANALYSIS_VERSION or [e["id"] for e in data["chunks"]] != [c.id for c in doc_chunks]:
            data = _analyse_plain(doc_chunks)
            added += 1
        docs[doc_id] = data
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
    entries = [e for data in docs.values() for e in data["chunks"]]
    prepared = _assemble([e["id"] for e in entries], [e["terms"] for e in entries], vocabulary, {e["id"]: e["lang"] for e in entries})
    meta = {"analysis": ANALYSIS_VERSION, "n_chunks": len(entries), "ids": prepared.ids, "languages": [e["lang"] for e in entries],
            "vocabulary": sorted(vocabulary), "df": prepared.df, "docs": list(docs)}
    generation = files.publish(meta, prepared.model)
    log.info("keyword index of %d chunks written to %s (%d documents analysed)", len(entries), generation, added)
    return prepared


def _analyse_plain(chunks: Sequence[Chunk]) -> dict[str, Any]:
    """One document's terms without the corpus vocabulary; a German chunk keeps its text, to split compounds later.

    Only German analysis depends on the vocabulary (compound splitting); a chunk's own stems are
    always in the vocabulary, so for the other languages the plain terms are the indexed terms.
    """
    plain = Analyzer()
    entries = []
    for c in chunks:
        terms = plain.terms(c.embed_text)
        entry: dict[str, Any] = {"id": c.id, "lang": detect_language(c.text), "terms": terms}
        if detect_language(c.embed_text) == "de":
            entry.update(plain=sorted(set(terms)), text=c.embed_text)
        entries.append(entry)
    return {"analysis": ANALYSIS_VERSION, "chunks": entries, "_new": True}
