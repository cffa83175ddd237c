"""Settings of the front ends that serve the assistant: the Streamlit app and the HTTP API.

They live here, below ``ui/`` and ``api/``, so that the root ``Settings`` can compose them: one
settings object per entry point, one ``.env``, and unknown ``FOLIO_`` names still refused.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class UiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ui_token: SecretStr | None = Field(
        None, description="Access token the app asks for before showing anything; required when 'folio ui' binds beyond localhost"
    )
    ui_probe_timeout: float = Field(
        2.0, gt=0, le=30, description="Seconds the app's sidebar waits for GET /v1/models of the OCR and LLM servers"
    )

    @property
    def token(self) -> str:
        """The token, or "" when none is set."""
        return self.ui_token.get_secret_value() if self.ui_token else ""


class ApiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    api_host: str = Field("127.0.0.1", description="Address 'folio serve' listens on; anything but loopback needs FOLIO_API_KEYS")
    api_port: int = Field(8000, ge=0, le=65535, description="Port 'folio serve' listens on")
    api_keys: SecretStr | None = Field(None, description="Comma-separated bearer keys; when set, every call but /healthz needs one")
    api_rate_per_minute: float = Field(120.0, gt=0, description="Requests per minute each key (or client address, without keys) may make")
    api_burst: int = Field(30, ge=1, description="Requests a key may make at once before the per-minute rate applies")
    api_max_upload_mb: int = Field(100, ge=1, description="Largest upload request (all files together) in MB")
    api_max_files: int = Field(20, ge=1, description="Most files in one upload")
    api_max_json_kb: int = Field(64, ge=1, description="Largest JSON request body in KB")
    api_max_queued_jobs: int = Field(20, ge=1, description="Ingest jobs that may wait at once; more are refused with 503")
    api_max_inflight: int = Field(64, ge=1, description="Requests handled at once; more get a JSON 503 with Retry-After (idle connections do not count)")
    api_max_connections: int = Field(1024, ge=1, description="Open connections at once; more are answered 503 and closed")
    api_header_timeout: float = Field(10.0, gt=0, le=300, description="Seconds a client has to send a request's headers; a slower one gets 408 and is closed")

    def keys(self) -> tuple[str, ...]:
        """The configured keys (empty when the API is open)."""
        if self.api_keys is None:
            return ()
        return tuple(k.strip() for k in self.api_keys.get_secret_value().split(",") if k.strip())
