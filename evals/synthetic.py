"""Synthetic material for the benchmarks: chunk text, random unit vectors, stored documents, page images.

Nothing here is meant to read like a real manual: the words are made of random syllables and the
vectors are random unit vectors (not embeddings of the text), so that a store of 100,000 chunks
can be built in a minute or two. The benchmark output says so. Everything is seeded: the same
arguments give the same corpus.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from storage.schema import BBox, Chunk, DocumentRecord, PageRecord, SourceRef, chunk_id

SYLLABLES = ("ka", "lo", "mi", "ne", "tu", "ra", "si", "po", "ve", "da", "gu", "fe", "zo", "bi", "ha", "ju", "ce", "wo")
PAGE_SIZE = (1700, 2200)  # a US-letter page at 200 dpi


def vocabulary(n_words: int, seed: int = 7) -> list[str]:
    """``n_words`` distinct pseudo-words of 2-4 syllables."""
    rng = np.random.default_rng(seed)
    words: dict[str, None] = {}
    while len(words) < n_words:
        parts = rng.choice(len(SYLLABLES), size=int(rng.integers(2, 5)))
        words["".join(SYLLABLES[i] for i in parts)] = None
    return list(words)


@dataclass(frozen=True)
class CorpusShape:
    chunks_per_page: int = 10
    pages_per_doc: int = 100
    lines_per_chunk: int = 6
    words_per_line: int = 9
    dim: int = 384

    @property
    def chunks_per_doc(self) -> int:
        return self.chunks_per_page * self.pages_per_doc


class SyntheticCorpus:
    """Documents of synthetic chunks; document ``n`` is always the same."""

    def __init__(self, shape: CorpusShape, words: list[str], seed: int = 11) -> None:
        self.shape = shape
        self.words = words
        self.seed = seed

    def doc_id(self, n: int) -> str:
        return f"synth{n:011d}"

    def document(self, n: int, collection: str) -> tuple[DocumentRecord, list[Chunk], np.ndarray]:
        """Document ``n``: its manifest, its chunks and one random unit vector per chunk (float32)."""
        rng = np.random.default_rng((self.seed, n))
        doc_id = self.doc_id(n)
        chunks = [self._chunk(rng, doc_id, page, slot) for page in range(1, self.shape.pages_per_doc + 1)
                  for slot in range(self.shape.chunks_per_page)]
        vectors = rng.standard_normal((len(chunks), self.shape.dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        pages = tuple(PageRecord(page=p, image=f"pages/p{p:04d}.jpg", width=PAGE_SIZE[0], height=PAGE_SIZE[1], engine="synthetic")
                      for p in range(1, self.shape.pages_per_doc + 1))
        record = DocumentRecord(doc_id=doc_id, source=f"synthetic-{n}.pdf", collection=collection, pages=pages,
                                ocr_engine="synthetic", n_chunks=len(chunks),
                                created_at=datetime.now(UTC).isoformat(timespec="seconds"))
        return record, chunks, vectors

    def _chunk(self, rng: np.random.Generator, doc_id: str, page: int, slot: int) -> Chunk:
        shape = self.shape
        ids = rng.integers(0, len(self.words), size=(shape.lines_per_chunk, shape.words_per_line))
        lines = [" ".join(self.words[i] for i in row).capitalize() + "." for row in ids]
        text, refs, pos = "", [], 0
        line_h = PAGE_SIZE[1] / (shape.chunks_per_page * (shape.lines_per_chunk + 1) + 2)
        for k, line in enumerate(lines):
            y = line_h * (1 + slot * (shape.lines_per_chunk + 1) + k)
            box = BBox(x0=120.0, y0=y, x1=1580.0, y1=y + line_h * 0.8)
            refs.append(SourceRef(doc_id=doc_id, page=page, bbox=box, start=pos, end=pos + len(line)))
            text += line + "\n"
            pos += len(line) + 1
        text = text.rstrip("\n")
        return Chunk(id=chunk_id(doc_id, (page,), text), doc_id=doc_id, text=text, headings=(f"Section {page}.{slot + 1}",),
                     refs=tuple(refs), ocr_engine="synthetic")

    def questions(self, n: int, seed: int = 3) -> Iterator[str]:
        """Questions of four vocabulary words; each word occurs in many chunks, so keyword search has candidates."""
        rng = np.random.default_rng(seed)
        for _ in range(n):
            picks = rng.choice(len(self.words), size=4)
            a, b, c, d = (self.words[i] for i in picks)
            yield f"How does the {a} {b} change the {c} of the {d}?"


def text_page_image(words: list[str], seed: int, lines: int = 45):  # type: ignore[no-untyped-def]
    """A white letter-size page with ``lines`` lines of random words in a 26 px font (for the memory benchmark)."""
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    image = Image.new("RGB", PAGE_SIZE, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=26)
    for k in range(lines):
        row = " ".join(words[i] for i in rng.integers(0, len(words), size=11))
        draw.text((130, 120 + k * 42), row.capitalize(), fill="black", font=font)
    return image
