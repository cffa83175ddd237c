"""Progress bars on a terminal: each document's bar is replaced by its summary line, so finished
bars do not pile up above the next ones (the screen is replayed from what was written)."""

from __future__ import annotations

import io
import re
import sys

import pytest

from cli.progress import PageProgress
from ingest.run import IngestReport

CONTROL = re.compile(r"\x1b\[(\??)(\d*)([A-Za-z])|\r|\n|[^\x1b\r\n]+")


def screen(written: str) -> list[str]:
    """The lines a terminal shows after ``written``: text, CR, LF, erase line, cursor up; colours dropped."""
    lines, row = [""], 0
    for m in CONTROL.finditer(written):
        token = m.group(0)
        if token == "\r":
            continue  # every write that follows one here starts by erasing or rewriting the whole line
        if token == "\n":
            row += 1
            lines += [""] * (row + 1 - len(lines))
        elif m.group(3) == "K":
            lines[row] = ""
        elif m.group(3) == "A" and not m.group(1):
            row = max(0, row - int(m.group(2) or 1))
        elif not token.startswith("\x1b"):
            lines[row] += token
    return [line for line in lines if line.strip()]


def test_finished_bars_leave_only_their_summary_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    written = io.StringIO()
    monkeypatch.setattr(sys, "stderr", written)
    monkeypatch.setenv("FORCE_COLOR", "1")  # a terminal, as far as rich can tell
    monkeypatch.setenv("COLUMNS", "100")
    with PageProgress() as progress:
        assert progress.console.is_terminal
        for name, doc_id, pages in (("manual-p1.jpg", "d1", 2), ("manual-p2.jpg", "d2", 1)):
            for done in range(pages + 1):
                progress.update(name, done, pages)
                progress._bars.refresh()
            progress.report(IngestReport(source=name, doc_id=doc_id, pages=pages, pages_ok=pages, chunks=3, seconds=1.0))
            progress._bars.refresh()
    shown = screen(written.getvalue())
    assert "━" in written.getvalue()  # bars were drawn while the pages were read
    assert shown == ["stored manual-p1.jpg as d1: 2 pages (2 ok), 3 chunks, 1.0 s",
                     "stored manual-p2.jpg as d2: 1 page (1 ok), 3 chunks, 1.0 s"], shown
