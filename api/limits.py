"""Per-caller rate limits: a token bucket per key (or client address), refilled continuously.

``take(who)`` answers 0 when the call may go ahead, else the seconds until it may (the
``Retry-After`` of the 429). Buckets of callers that have been idle long enough to be full again
are forgotten, so the table cannot grow without bound.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_CALLERS = 10_000


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0  # tokens per second
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, who: str, cost: float = 1.0) -> int:
        """0 if ``who`` may make a call now (and it is counted), else whole seconds to wait."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(who)
            if bucket is None:
                if len(self._buckets) >= MAX_CALLERS:
                    self._forget_idle(now)
                bucket = self._buckets[who] = _Bucket(tokens=self.burst, stamp=now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return 0
            return max(1, math.ceil((cost - bucket.tokens) / self.rate))

    def _forget_idle(self, now: float) -> None:
        full_after = self.burst / self.rate
        for who in [w for w, b in self._buckets.items() if now - b.stamp >= full_after]:
            del self._buckets[who]
        if len(self._buckets) >= MAX_CALLERS:  # all busy: drop the longest idle half
            for who, _ in sorted(self._buckets.items(), key=lambda kv: kv[1].stamp)[: MAX_CALLERS // 2]:
                del self._buckets[who]
