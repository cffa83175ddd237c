"""Settings of the Streamlit app: the access token and the server probe timeout.

Read from the environment (and ``.env``) with the same flat ``FOLIO_`` names as the root settings:
``FOLIO_UI_TOKEN`` and ``FOLIO_UI_PROBE_TIMEOUT``. The app and ``folio ui`` build this once,
beside ``assistant.settings.Settings``.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class UiSettings(BaseSettings):
    # extra="ignore": the environment and .env also hold every other FOLIO_ setting, which the
    # root Settings validates; this model reads only its own two names.
    model_config = SettingsConfigDict(env_prefix="FOLIO_", env_file=".env", extra="ignore", frozen=True)

    ui_token: SecretStr | None = Field(
        None,
        description="Access token the app asks for before showing anything; required when 'folio ui' binds beyond localhost",
    )
    ui_probe_timeout: float = Field(
        2.0, gt=0, le=30, description="Seconds the app's sidebar waits for GET /v1/models of the OCR and LLM servers"
    )

    @property
    def token(self) -> str:
        """The token, or "" when none is set."""
        return self.ui_token.get_secret_value() if self.ui_token else ""
