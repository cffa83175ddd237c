"""Jobs that kill the worker process running them: real worker deaths for the retry tests."""

from __future__ import annotations

import os
from pathlib import Path


def die_once(marker: str, value: int) -> int:
    """Kills its worker on the first run (leaving ``marker``); returns ``value * 2`` on the next."""
    path = Path(marker)
    runs = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(runs))
    if runs == 1:
        os._exit(3)
    return value * 2


def die_always(*_args: object) -> None:
    os._exit(3)
