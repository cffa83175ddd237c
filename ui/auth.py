"""Who may see the app: anyone on a loopback address, everyone else only with the access token."""

from __future__ import annotations

import hmac
import ipaddress

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(host: str | None) -> bool:
    """True when ``host`` binds only this machine. ``None`` or "" (Streamlit's default) binds every interface."""
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def token_required(host: str | None, token: str) -> bool:
    """A token set is always asked for; an app reachable from other machines must have one."""
    return bool(token) or not is_loopback(host)


def token_matches(given: str, expected: str) -> bool:
    """Constant-time comparison; an empty expected token never matches."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())
