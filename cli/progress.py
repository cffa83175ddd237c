"""Progress on stderr: one bar per document counting pages, then a one-line summary per document.

Bars are drawn only on a terminal and each disappears when its document is done (the summary line
replaces it); piped or redirected output gets the summary lines alone, never hard-wrapped.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:  # the write path is imported by the verbs that ingest
    from ingest.run import IngestReport
from cli.console import plural


class PageProgress:
    def __init__(self, enabled: bool = True) -> None:
        self.console = Console(file=sys.stderr, soft_wrap=True)
        self.enabled = enabled
        bars = enabled and self.console.is_terminal
        self._bars = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("pages"), TimeElapsedColumn(),
            console=self.console, disable=not bars, transient=True,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> PageProgress:
        self._bars.__enter__()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self._bars.__exit__(et, ev, tb)

    def update(self, source: str, done: int, total: int) -> None:
        if source not in self._tasks:
            self._tasks[source] = self._bars.add_task(source, total=total)
        self._bars.update(self._tasks[source], completed=done)

    def report(self, r: IngestReport) -> None:
        if (task := self._tasks.pop(r.source, None)) is not None:
            self._bars.remove_task(task)
        if not self.enabled:
            return
        if r.error:
            line = f"[red]failed[/] {r.source}: {r.error}"
        elif r.already_stored:
            line = f"[dim]already stored[/] {r.source} ({r.doc_id}, {plural(r.pages, 'page')}, {plural(r.chunks, 'chunk')})"
        else:
            extra = "".join(
                f", {n} {label}" for n, label in ((r.pages_fallback, "fallback"), (r.pages_failed, "failed")) if n
            )
            line = (f"[green]stored[/] {r.source} as {r.doc_id}: {plural(r.pages, 'page')} ({r.pages_ok} ok{extra}), "
                    f"{plural(r.chunks, 'chunk')}, {r.seconds:.1f} s")
        self._bars.console.print(line, markup=True, highlight=False)
        for err in r.page_errors:
            self._bars.console.print(f"    {err}", markup=False, highlight=False)
