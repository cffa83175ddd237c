"""Settings of the HTTP API: where it listens, who may call it, and how much a call may carry.

The section model is ``assistant.frontends.ApiSettings`` (part of the root settings: ``settings.api``);
environment names are flat like the rest of Folio's (``FOLIO_API_KEYS``, ``FOLIO_API_RATE_PER_MINUTE``...).
Keys are required whenever the server listens beyond loopback (``check_exposure``).
"""

from __future__ import annotations

import ipaddress

from assistant.frontends import ApiSettings
from storage.errors import ConfigError

__all__ = ["ApiSettings", "check_exposure", "is_loopback"]


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
