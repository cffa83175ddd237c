"""Bearer keys: who is calling. Keys are compared as SHA-256 digests in constant time and never logged.

A caller is identified by ``key_id`` (a short hash of its key), which is what rate limits and logs
use. Without configured keys (only allowed on loopback, see ``api.config.check_exposure``) the
caller is its client address.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence


def key_id(key: str) -> str:
    """A short, non-secret name for a key (for rate limits and logs)."""
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:10]


class KeyCheck:
    """Which configured key (if any) an ``Authorization`` header carries."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = [(hashlib.sha256(k.encode()).digest(), key_id(k)) for k in keys]

    @property
    def required(self) -> bool:
        return bool(self._keys)

    def identify(self, authorization: str | None) -> str | None:
        """The key id of a valid ``Bearer <key>`` header, else None."""
        if not authorization:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        digest = hashlib.sha256(token.strip().encode("utf-8", "surrogateescape")).digest()
        found = None
        for known, name in self._keys:  # no early exit: the time taken does not depend on which key matched
            if hmac.compare_digest(digest, known):
                found = name
        return found
