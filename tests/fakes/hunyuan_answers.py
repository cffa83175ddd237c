"""What a HunyuanOCR server would answer for a real page, built from the page's ground truth.

Spotting: the ground-truth lines of the photo (or scan) as ``text(x1,y1),(x2,y2)`` items (or the
1.5 JSON array), boxes normalised to [0, 1000] over the image. Doc parsing: Markdown assembled
from the same lines the way the model writes it: running header and footer left out, lines joined
into paragraphs, taller lines as ``#`` headings, shell lines as fenced code, grid-like regions as
an HTML ``<table>``, and a bare figure coordinate pair after the first paragraph (the model emits
those for figures; the client must strip them). This is a fake: the text is the ground truth, so
it checks the client's plumbing and geometry, not the model's accuracy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import numpy as np
from PIL import Image

Box = tuple[float, float, float, float]
THUMB = (32, 32)
FIGURE_PAIR = "(60,400),(180,480)"


@dataclass(frozen=True)
class GtLine:
    text: str
    box: Box  # pixels of the variant's image
    page_box: Box  # pixels of the scan (page geometry, for layout decisions)


@dataclass(frozen=True)
class GtPage:
    doc_id: str
    page: int
    variant: str  # "photo" | "scan"
    image_path: Path
    width: int
    height: int
    scan_height: int
    lines: tuple[GtLine, ...]

    @property
    def key(self) -> str:
        return f"{self.doc_id}:{self.page}:{self.variant}"


def load_pages(devset: Path) -> list[GtPage]:
    """Both variants (photo, scan) of every page in ``devset/pages.jsonl``."""
    pages = []
    for raw in (devset / "pages.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(raw)
        for variant, box_key in (("photo", "photo_bbox"), ("scan", "bbox")):
            width, height = row[f"{variant}_size"]
            lines = tuple(
                GtLine(text=ln["text"].strip(), box=tuple(ln[box_key]), page_box=tuple(ln["bbox"]))  # type: ignore[arg-type]
                for ln in row["lines"]
                if ln["text"].strip()
            )
            pages.append(GtPage(row["doc_id"], row["page"], variant, devset / row[f"{variant}_image"],
                                width, height, row["scan_size"][1], lines))
    return pages


def thumbnail(image: Image.Image) -> np.ndarray:
    """A tiny grey picture of an image, to recognise a page however it was resized or re-encoded."""
    return np.asarray(image.convert("L").resize(THUMB, Image.Resampling.BILINEAR), dtype=np.float32)


def normalised(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    """A pixel box as HunyuanOCR's [0, 1000] integer coordinates."""
    x0, y0 = round(box[0] * 1000 / width), round(box[1] * 1000 / height)
    x1, y1 = round(box[2] * 1000 / width), round(box[3] * 1000 / height)
    clamp = lambda v: min(max(v, 0), 1000)  # noqa: E731
    x0, y0, x1, y1 = clamp(x0), clamp(y0), clamp(x1), clamp(y1)
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


def spotting_output(page: GtPage, fmt: str = "hunyuan") -> str:
    """The spotting answer: 1.0 run-together items (``fmt="hunyuan"``) or the 1.5 JSON array (``"json"``)."""
    items = [(line.text, normalised(line.box, page.width, page.height)) for line in page.lines]
    if fmt == "json":
        return json.dumps([{"box": list(box), "text": text} for text, box in items], ensure_ascii=False)
    return "".join(f"{text}({b[0]},{b[1]}),({b[2]},{b[3]})" for text, b in items)


def doc_parse_output(page: GtPage, *, figure: bool = True) -> str:
    """The doc-parse answer: Markdown of the page body (see the module doc)."""
    lines = list(page.lines)
    med = median(ln.page_box[3] - ln.page_box[1] for ln in lines)
    body = [i for i, ln in enumerate(lines) if not _running(ln, page.scan_height, med)]
    table_ids = _table_lines([lines[i] for i in body])
    table_lines = {body[k] for k in table_ids}
    pieces: list[tuple[int, str]] = []
    if table_lines:
        pieces.append((min(table_lines), _html_table([lines[i] for i in sorted(table_lines)])))
    pieces += _text_pieces(lines, [i for i in body if i not in table_lines], med)
    pieces.sort(key=lambda p: p[0])
    texts = [text for _, text in pieces]
    if figure and texts:
        texts.insert(1, FIGURE_PAIR)
    return "\n\n".join(texts)


def _running(line: GtLine, page_height: int, med: float) -> bool:
    """A running header or footer: small text near the top or bottom edge of the page."""
    centre = (line.page_box[1] + line.page_box[3]) / 2 / page_height
    return (centre < 0.085 or centre > 0.9) and line.page_box[3] - line.page_box[1] <= 1.1 * med


def _text_pieces(lines: list[GtLine], ids: list[int], med: float) -> list[tuple[int, str]]:
    """Paragraphs, headings and code blocks from body lines, keyed by their first line's index."""
    pieces: list[tuple[int, str]] = []
    group: list[int] = []
    kind = ""
    for i in ids:
        line_kind = _line_kind(lines[i], med)
        if group and (line_kind != kind or kind == "heading" or not _continues(lines[group[-1]], lines[i], kind)):
            pieces.append((group[0], _render(kind, [lines[j] for j in group], med)))
            group = []
        kind = line_kind
        group.append(i)
    if group:
        pieces.append((group[0], _render(kind, [lines[j] for j in group], med)))
    return pieces


def _line_kind(line: GtLine, med: float) -> str:
    if line.text.startswith(("# ", "$ ")):
        return "code"
    return "heading" if line.page_box[3] - line.page_box[1] >= 1.3 * med else "text"


def _continues(prev: GtLine, line: GtLine, kind: str) -> bool:
    if kind == "code":
        return True
    p, b = prev.page_box, line.page_box
    height = p[3] - p[1]
    same_row = abs(b[1] - p[1]) < 0.3 * height and b[0] > p[0]
    below = -0.3 * height <= b[1] - p[3] < 0.6 * height and min(p[2], b[2]) > max(p[0], b[0])
    return same_row or below


def _render(kind: str, group: list[GtLine], med: float) -> str:
    if kind == "code":
        return "```\n" + "\n".join(ln.text for ln in group) + "\n```"
    text = " ".join(ln.text for ln in group)
    if kind == "heading":
        height = group[0].page_box[3] - group[0].page_box[1]
        return ("# " if height >= 1.6 * med else "## ") + text
    return text


def _table_lines(lines: list[GtLine]) -> list[int]:
    """Indices of the lines in the biggest grid-like region: a band of lines with 3+ columns."""
    order = sorted(range(len(lines)), key=lambda i: lines[i].page_box[1])
    bands: list[list[int]] = []
    reach = -1.0
    for i in order:
        b = lines[i].page_box
        pad = 0.35 * (b[3] - b[1])
        if bands and b[1] - pad <= reach:
            bands[-1].append(i)
            reach = max(reach, b[3] + pad)
        else:
            bands.append([i])
            reach = b[3] + pad
    tables = [band for band in bands if len(_columns([lines[i] for i in band])) >= 3 and len(band) >= 6]
    return max(tables, key=len) if tables else []


def _columns(lines: list[GtLine]) -> list[tuple[float, float]]:
    """x-ranges of the columns: lines whose x-ranges overlap, transitively."""
    spans = sorted((ln.page_box[0], ln.page_box[2]) for ln in lines)
    columns: list[list[float]] = []
    for x0, x1 in spans:
        if columns and x0 < columns[-1][1]:
            columns[-1][1] = max(columns[-1][1], x1)
        else:
            columns.append([x0, x1])
    return [(c[0], c[1]) for c in columns]


def _html_table(lines: list[GtLine]) -> str:
    """Rows start where the first column starts a new cell; cells are the lines of a row per column."""
    columns = _columns(lines)
    first = sorted((ln for ln in lines if ln.page_box[0] < columns[0][1]), key=lambda ln: ln.page_box[1])
    starts = [first[0].page_box[1]]
    for prev, line in zip(first, first[1:], strict=False):
        if line.page_box[1] - prev.page_box[3] > 0.5 * (prev.page_box[3] - prev.page_box[1]):
            starts.append(line.page_box[1])
    rows: list[list[list[str]]] = [[[] for _ in columns] for _ in starts]
    for line in sorted(lines, key=lambda ln: (ln.page_box[1], ln.page_box[0])):
        centre = (line.page_box[1] + line.page_box[3]) / 2
        row = max([k for k, s in enumerate(starts) if s <= centre] or [0])
        col = next(k for k, c in enumerate(columns) if c[0] <= line.page_box[0] < c[1])
        rows[row][col].append(line.text)
    body = "".join("<tr>" + "".join(f"<td>{' '.join(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table>{body}</table>"
