"""Reading order of a collection's chunks: which chunk comes after which in its document.

Chunks do not carry their position, but their line refs do: a chunk starts at its first line, and
each stored page lists its lines in reading order (``PageRecord.lines``). So a chunk's place is
(page, index of its first line on that page), and the chunk after it is the next one by that key
within the same document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from storage.schema import Chunk, DocumentRecord


def following_chunks(chunks: Iterable[Chunk], records: Mapping[str, DocumentRecord]) -> dict[str, Chunk]:
    """For each chunk id, the next chunk of the same document in reading order (absent for the last)."""
    line_index = {
        (doc_id, page.page, _box(line.bbox)): i
        for doc_id, record in records.items()
        for page in record.pages
        for i, line in enumerate(page.lines)
    }
    placed: dict[str, list[tuple[tuple[int, int], Chunk]]] = {}
    for chunk in chunks:
        keys = [(r.page, line_index.get((chunk.doc_id, r.page, _box(r.bbox)), 1 << 30)) for r in chunk.refs]
        if keys:
            placed.setdefault(chunk.doc_id, []).append((min(keys), chunk))
    out: dict[str, Chunk] = {}
    for items in placed.values():
        items.sort(key=lambda item: item[0])
        for (_, chunk), (_, after) in zip(items, items[1:], strict=False):
            out[chunk.id] = after
    return out


def _box(bbox: object) -> tuple[float, ...]:
    return tuple(round(v, 1) for v in bbox.as_list())  # type: ignore[attr-defined]


def successor_ids(records: Mapping[str, DocumentRecord]) -> Callable[[str, Sequence[Chunk]], dict[str, str]]:
    """For the keyword index: a document's chunks -> chunk id -> the id of the chunk that follows it."""

    def successors(doc_id: str, chunks: Sequence[Chunk]) -> dict[str, str]:
        record = records.get(doc_id)
        return {cid: after.id for cid, after in following_chunks(chunks, {doc_id: record} if record else {}).items()}

    return successors
