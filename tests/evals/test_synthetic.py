"""Synthetic benchmark material: deterministic, and its chunk refs point at their own lines."""

from __future__ import annotations

import numpy as np

from evals.synthetic import CorpusShape, SyntheticCorpus, text_page_image, vocabulary


def test_corpus_is_deterministic_and_well_formed():
    shape = CorpusShape(chunks_per_page=3, pages_per_doc=4, dim=16)
    corpus = SyntheticCorpus(shape, vocabulary(500))
    record, chunks, vectors = corpus.document(2, "bench")
    again = SyntheticCorpus(shape, vocabulary(500)).document(2, "bench")
    assert [c.id for c in chunks] == [c.id for c in again[1]] and np.array_equal(vectors, again[2])
    assert record.n_pages == 4 and record.n_chunks == len(chunks) == 12
    assert len({c.id for c in chunks}) == 12
    assert vectors.shape == (12, 16) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    for chunk in chunks:
        lines = chunk.text.split("\n")
        assert [chunk.text[r.start : r.end] for r in chunk.refs] == lines
        assert all(0 <= r.bbox.y0 < r.bbox.y1 <= 2200 for r in chunk.refs)
    other = corpus.document(3, "bench")[1]
    assert not {c.id for c in chunks} & {c.id for c in other}


def test_generated_pages_differ():
    words = vocabulary(300, seed=5)
    a, b = text_page_image(words, seed=1), text_page_image(words, seed=2)
    assert a.size == (1700, 2200)
    assert not np.array_equal(np.asarray(a), np.asarray(b))
    assert np.asarray(a).min() == 0  # there is black text on the white page
