"""The persistent keyword index: stored beside the library, updated per document, loaded by every asker."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from assistant import keyword
from assistant.keyword import KeywordIndex, persistent_index, prepare
from storage.keyword_index import KeywordFiles
from tests.assistant.builders import make_chunk

BATTERY = make_chunk("manual", 10, ["When the battery is fully charged, the green LED will be lit."])
NRPE = make_chunk("guide", 6, ["Compile the NRPE addon:", "# make all", "# make install-config"])
GERMAN = make_chunk("handbuch", 5, ["Nach der Installation des Treiberpakets muss der Rechner neu gestartet werden."])
PAKET = make_chunk("paket", 2, ["Das Paket enthält den Treiber."])
CHINESE = make_chunk("zh", 1, ["打印机无法连接网络时，请重新启动路由器。"])
QUESTIONS = ("charging batteries", "install config", "Paket", "Treiber", "Wann muss man den Rechner neu starten?", "打印机 网络")


def _same_as_fresh(prepared: keyword.Prepared, chunks: list) -> None:  # type: ignore[type-arg]
    fresh = prepare(chunks)
    assert prepared.vocabulary == fresh.vocabulary and prepared.df == fresh.df and prepared.languages == fresh.languages
    stored, built = KeywordIndex(chunks, prepared), KeywordIndex(chunks, fresh)
    for question in QUESTIONS:
        assert [(h.chunk.id, round(h.score, 6)) for h in stored.search(question, 5)] == \
            [(h.chunk.id, round(h.score, 6)) for h in built.search(question, 5)]


def test_documents_added_and_deleted_one_at_a_time_give_the_index_built_from_scratch(tmp_path: Path):
    # GERMAN's compound "Treiberpakets" splits only once PAKET's words are in the collection, and no longer after it goes.
    steps = [[BATTERY], [BATTERY, GERMAN], [BATTERY, GERMAN, PAKET, NRPE], [BATTERY, GERMAN, PAKET, NRPE, CHINESE],
             [BATTERY, GERMAN, NRPE, CHINESE], [GERMAN]]
    for chunks in steps:
        _same_as_fresh(persistent_index(tmp_path, "c", chunks), chunks)
    files = KeywordFiles(tmp_path, "c")
    assert files.stored_docs() == {"handbuch"}  # the terms of deleted documents are dropped


def test_an_up_to_date_index_is_loaded_without_analysing_a_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    chunks = [BATTERY, NRPE, GERMAN, PAKET]
    persistent_index(tmp_path, "c", chunks)
    generation = KeywordFiles(tmp_path, "c").current()

    def no_analysis(*args: object, **kwargs: object) -> None:
        raise AssertionError("analysed again")

    monkeypatch.setattr(keyword, "_analyse_plain", no_analysis)
    monkeypatch.setattr(keyword, "prepare", no_analysis)
    loaded = persistent_index(tmp_path, "c", chunks)
    assert KeywordFiles(tmp_path, "c").current() == generation
    _same_as_fresh(loaded, chunks)


def test_only_a_new_document_is_analysed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    persistent_index(tmp_path, "c", [BATTERY, NRPE])
    analysed: list[list[str]] = []
    original = keyword._analyse_plain
    monkeypatch.setattr(keyword, "_analyse_plain", lambda chunks: analysed.append([c.doc_id for c in chunks]) or original(chunks))
    _same_as_fresh(persistent_index(tmp_path, "c", [BATTERY, NRPE, CHINESE]), [BATTERY, NRPE, CHINESE])
    assert analysed == [["zh"]]


def test_a_changed_analysis_rebuilds_and_old_generations_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    chunks = [BATTERY, GERMAN]
    persistent_index(tmp_path, "c", chunks)
    monkeypatch.setattr(keyword, "ANALYSIS_VERSION", "changed")
    _same_as_fresh(persistent_index(tmp_path, "c", chunks), chunks)
    persistent_index(tmp_path, "c", [BATTERY])
    files = KeywordFiles(tmp_path, "c")
    assert len([p for p in files.dir.glob("g*") if p.is_dir()]) == 2  # the current one and the one before it


def test_concurrent_askers_share_one_update(tmp_path: Path):
    chunks = [BATTERY, NRPE, GERMAN, PAKET, CHINESE]
    results: list[keyword.Prepared] = []
    threads = [threading.Thread(target=lambda: results.append(persistent_index(tmp_path, "c", chunks))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    for prepared in results:
        _same_as_fresh(prepared, chunks)
    assert len([p for p in KeywordFiles(tmp_path, "c").dir.glob("g*") if p.is_dir()]) == 1  # one updater wrote it


def test_a_damaged_document_file_is_analysed_again(tmp_path: Path):
    chunks = [BATTERY, NRPE]
    persistent_index(tmp_path, "c", chunks)
    files = KeywordFiles(tmp_path, "c")
    (files.docs_dir / "guide.json").write_text("{not json", encoding="utf-8")
    (files.dir / "CURRENT").write_text("gone", encoding="utf-8")
    _same_as_fresh(persistent_index(tmp_path, "c", chunks), chunks)


def test_token_ids_are_the_ones_bm25s_tokenize_gives():
    import bm25s
    import numpy as np

    terms = [["treiber", "paket", "treiber"], [], ["打印机", "网络"], ["straße", "ǅx", "Ab", "a\u2028b", "x\u00a0y"]]
    ours = keyword._bm25(terms)
    theirs = bm25s.BM25()
    theirs.index(bm25s.tokenize([" ".join(ts) or "_" for ts in terms], stopwords=None, stemmer=None,
                                token_pattern=keyword.TOKEN_PATTERN, show_progress=False), show_progress=False)
    for question in ("treiber", "打印机 网络", "straße ǆx", "ab b", "_"):
        query = bm25s.tokenize(question, stemmer=None, token_pattern=keyword.TOKEN_PATTERN, show_progress=False)
        a, b = ours.retrieve(query, k=len(terms), show_progress=False), theirs.retrieve(query, k=len(terms), show_progress=False)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]), question


def test_an_index_that_fetches_its_hits_finds_what_one_holding_the_chunks_finds(tmp_path: Path):
    chunks = [BATTERY, NRPE, GERMAN, PAKET, CHINESE]
    fetched: list[list[str]] = []

    def fetch(ids):  # type: ignore[no-untyped-def]
        fetched.append(list(ids))
        return [c for c in chunks if c.id in set(ids)]

    sizes = {c.doc_id: 1 for c in chunks}
    lean = KeywordIndex(prepared=keyword.stored_index(tmp_path, "c", sizes, lambda ids: [c for c in chunks if c.doc_id in ids]), fetch=fetch)
    held = KeywordIndex(chunks)
    assert len(lean) == len(held) == 5
    for question in QUESTIONS:
        for doc_ids in (None, {"handbuch", "paket"}, {"zh"}):
            assert [(h.chunk.id, round(h.score, 6)) for h in lean.search(question, 5, doc_ids=doc_ids)] == \
                [(h.chunk.id, round(h.score, 6)) for h in held.search(question, 5, doc_ids=doc_ids)]
    assert fetched and all(len(ids) <= 5 for ids in fetched)  # only hits are read


def test_the_stored_index_keeps_each_chunks_successor_and_loads_by_document_sizes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from assistant.order import following_chunks

    first = make_chunk("manual", 3, ["Open the cover."], top=100.0)
    second = make_chunk("manual", 3, ["Insert the battery."], top=400.0)
    third = make_chunk("manual", 5, ["Close the cover."], top=100.0)
    chunks = [third, BATTERY, first, second, NRPE]
    by_doc = {"manual": [third, BATTERY, first, second], "guide": [NRPE]}
    read = lambda ids: [c for d in ids for c in by_doc[d]]  # noqa: E731

    def successors(doc_id, doc_chunks):  # type: ignore[no-untyped-def]
        return {k: v.id for k, v in following_chunks(doc_chunks, {}).items()}

    sizes = {"manual": 4, "guide": 1}
    written = keyword.stored_index(tmp_path, "c", sizes, read, successors)
    expected = {k: v.id for k, v in following_chunks(chunks, {}).items()}
    assert written.following == expected and expected[second.id] == third.id
    monkeypatch.setattr(keyword, "_analyse_plain", lambda *a: (_ for _ in ()).throw(AssertionError("analysed again")))
    loaded = keyword.stored_index(tmp_path, "c", sizes, lambda ids: [], successors)  # nothing read: loaded from disk
    assert loaded.following == expected and sorted(loaded.ids) == sorted(c.id for c in chunks)
    assert keyword.stored_index(tmp_path, "c", sizes, lambda ids: []).following == expected


def test_search_ranks_what_bm25s_retrieve_ranks():
    import bm25s

    chunks = [BATTERY, NRPE, GERMAN, PAKET, CHINESE, make_chunk("more", 1, ["The battery charger and the battery cable."]),
              make_chunk("cfg", 2, ["Edit the config file, then install it."])]
    index = KeywordIndex(chunks)
    for question in (*QUESTIONS, "battery install config", "battery"):
        ours = [(h.chunk.id, round(h.score, 5)) for h in index.search(question, 3)]
        query = bm25s.tokenize(" ".join(index.analyzer.terms(question)), stemmer=None, token_pattern=keyword.TOKEN_PATTERN,
                               show_progress=False)
        rows, scores = index._model.retrieve(query, k=len(chunks), show_progress=False)
        theirs = [(index._ids[int(r)], round(float(s), 5)) for r, s in zip(rows[0], scores[0], strict=True) if s > 0]
        assert [s for _, s in ours] == [s for _, s in theirs][:3], question  # the same scores, best first
        assert set(ours) <= set(theirs)
