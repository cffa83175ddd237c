"""Settings of the HTTP API: where it listens, who may call it, and how much a call may carry.

Environment names are flat like the rest of Folio's (``FOLIO_API_KEYS``, ``FOLIO_API_RATE_PER_MINUTE``...).
Keys are required whenever the server listens beyond loopback (``check_exposure``).
"""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.errors import ConfigError


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

    def keys(self) -> tuple[str, ...]:
        """The configured keys (empty when the API is open)."""
        if self.api_keys is None:
            return ()
        return tuple(k.strip() for k in self.api_keys.get_secret_value().split(",") if k.strip())


class ApiEnv(BaseSettings, ApiSettings):  # type: ignore[misc]
    """``ApiSettings`` read from ``FOLIO_API_*`` variables (and ``.env``); built once by ``folio serve``."""

    model_config = SettingsConfigDict(env_prefix="FOLIO_", env_file=".env", extra="ignore", frozen=True)

    def section(self) -> ApiSettings:
        return ApiSettings(**{name: getattr(self, name) for name in ApiSettings.model_fields})


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(cfg: ApiSettings) -> None:
    """Refuse to listen beyond loopback without keys."""
    if not is_loopback(cfg.api_host) and not cfg.keys():
        raise ConfigError(
            f"folio serve on {cfg.api_host} would be reachable from other machines without keys: "
            "set FOLIO_API_KEYS=key1,key2 (long random strings), or listen on 127.0.0.1"
        )
    if any(len(k) < 16 for k in cfg.keys()):
        raise ConfigError("every key in FOLIO_API_KEYS must be at least 16 characters long (use long random strings)")
