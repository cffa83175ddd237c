"""What every view of one browser session works with: the settings and the cached components."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from assistant.settings import Settings
from storage.errors import ConfigError
from storage.library import Library
from ui.config import UiSettings
from ui.state import Session

if TYPE_CHECKING:
    from assistant.service import Assistant
    from assistant.wiring import StoreHandles
    from ingest.run import Seams
    from ui.health import ServerStatus
    from ui.library_view import DocSummary


@dataclass(frozen=True)
class Components:
    """The settings and the builders of the current collection (each builder is cached by the app)."""

    settings: Settings
    ui: UiSettings
    collection: str
    library: Library  # the document folders: listing needs no model
    handles: Callable[[], StoreHandles]
    assistant: Callable[[], Assistant]
    seams: Callable[[], Seams]
    documents: Callable[[Collection[str]], list[DocSummary]]
    server_status: Callable[[str, str, str | None, str], ServerStatus]


def load_settings(session: Session) -> tuple[Settings, UiSettings]:
    """The session's settings, built from the environment (and .env) on its first run."""
    if "settings" not in session:
        settings = _build(Settings)
        session["settings"] = (settings, settings.ui)
    settings: tuple[Settings, UiSettings] = session["settings"]
    return settings


def _build(cls: type[Any]) -> Any:
    try:
        return cls()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(f"setting {where} (FOLIO_{where.upper()}): {first['msg']}; fix it and restart 'folio ui'") from exc
