"""Where each setting's value came from: a command-line flag, the environment, the .env file, or the default."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.settings import Settings


def env_name(field: str) -> str:
    return f"FOLIO_{field.upper()}"


def dotenv_names(path: Path = Path(".env")) -> set[str]:
    """Names set in ``.env`` (upper-cased, as pydantic-settings matches them); empty without the file."""
    if not path.is_file():
        return set()
    from dotenv import dotenv_values

    return {name.upper() for name, value in dotenv_values(path).items() if value is not None}


def origins(settings: Settings, flags: set[str] = frozenset()) -> dict[str, str]:  # type: ignore[assignment]
    """``{field: "flag" | "environment" | ".env" | "default"}`` for every setting."""
    environ = {name.upper() for name in os.environ}
    from_file = dotenv_names()
    out = {}
    for field in type(settings).model_fields:
        name = env_name(field)
        out[field] = ("flag" if field in flags else "environment" if name in environ else ".env" if name in from_file else "default")
    return out
