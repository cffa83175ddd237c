"""The root settings object, built once per entry point (CLI, app, eval runner, API).

Every field can be set from the environment with the ``FOLIO_`` prefix and its upper-case name
(``FOLIO_DATA_DIR``, ``FOLIO_OCR_ENGINE``, ``FOLIO_HUNYUAN_BASE_URL``, ...) or from a ``.env``
file. Each package owns the model of its own section; the root composes them and hands each stage
only its section (``settings.ingest``, ``settings.store``, ``settings.answer``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.config import AnswerSettings
from assistant.frontends import ApiSettings, UiSettings
from ingest.config import IngestSettings
from storage.config import StoreSettings



class Settings(BaseSettings, IngestSettings, StoreSettings, AnswerSettings, UiSettings, ApiSettings):  # type: ignore[misc]
    model_config = SettingsConfigDict(env_prefix="FOLIO_", env_file=".env", extra="forbid", frozen=True)

    data_dir: Path = Field(Path("var"), description="Folder where all Folio data lives: the vector store, page images, eval runs")
    collection: str = Field("default", description="Collection (library) that commands work on")

    def _section(self, cls: type[Any]) -> Any:
        return cls(**{name: getattr(self, name) for name in cls.model_fields})

    @property
    def ingest(self) -> IngestSettings:
        return self._section(IngestSettings)

    @property
    def store(self) -> StoreSettings:
        return self._section(StoreSettings)

    @property
    def answer(self) -> AnswerSettings:
        return self._section(AnswerSettings)

    @property
    def ui(self) -> UiSettings:
        return self._section(UiSettings)

    @property
    def api(self) -> ApiSettings:
        return self._section(ApiSettings)

    def public_dump(self) -> dict[str, Any]:
        """The settings as JSON-able values with secrets masked."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        return out

    def fingerprint(self) -> str:
        """A short hash of what shapes an answer (ingest, store and answer settings; no secrets, no
        front-end settings), stamped on answers and eval runs."""
        shaping = {name for cls in (IngestSettings, StoreSettings, AnswerSettings) for name in cls.model_fields}
        dump = {k: v for k, v in self.public_dump().items() if k in shaping and not k.endswith("api_key")}
        from assistant.reader_model import MODEL_PATH, model_hash

        dump["reader_model_sha256"] = model_hash(self.reader_model or MODEL_PATH)  # the fitted weights shape answers too
        return hashlib.sha256(json.dumps(dump, sort_keys=True, default=str).encode()).hexdigest()[:12]
