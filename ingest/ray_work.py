"""Page work as Ray tasks on a cluster (``FOLIO_RAY_ADDRESS`` / ``folio ingest --ray ADDRESS``).

Imported only when a Ray address is set; needs the ``[ray]`` extra on the driver and Folio
installed on every node. Each job is a task with one CPU; Ray runs it again when its worker dies
(up to ``ATTEMPTS`` runs), then the job raises ``WorkFailed`` and the page is stored as failed.
A document's bytes go to the object store once (``share``) and every page task reads them there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ingest.work import ATTEMPTS, WorkFailed
from storage.config import StoreSettings
from storage.errors import AppError, ConfigError, EngineUnavailable

log = logging.getLogger(__name__)


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("FOLIO_RAY_ADDRESS is set but Ray is not installed; pip install 'folio[ray]' "
                          "(or unset FOLIO_RAY_ADDRESS to read pages on this machine)") from exc
    return ray


class RayWork:
    """Jobs as Ray tasks. Joins the cluster at ``address`` on first use, unless this process is
    already connected to one (then that one is used and left open at ``close``)."""

    def __init__(self, address: str, store: StoreSettings) -> None:
        self.address = address
        self.store = store
        self._started = False
        self._remotes: dict[Callable[..., Any], Any] = {}
        self._slots = 0

    @property
    def slots(self) -> int:
        self._connect()
        return self._slots

    def _connect(self) -> Any:
        ray = _ray()
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise EngineUnavailable(f"cannot join the Ray cluster at {self.address} ({exc}); start it with "
                                        "'ray start --head' or fix FOLIO_RAY_ADDRESS") from exc
            self._started = True
        if not self._slots:
            self._slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
        return ray

    def share(self, value: Any) -> Any:
        return self._connect().put(value)

    def submit(self, fn: Callable[..., Any], *args: Any) -> _RayPending:
        ray = self._connect()
        remote = self._remotes.get(fn)
        if remote is None:
            remote = self._remotes[fn] = ray.remote(num_cpus=1, max_retries=ATTEMPTS - 1)(fn)
        return _RayPending(ray, remote.remote(*args))

    def close(self) -> None:
        if self._started:
            _ray().shutdown()
            self._started = False


class _RayPending:
    def __init__(self, ray: Any, ref: Any) -> None:
        self._ray, self._ref = ray, ref

    def done(self) -> bool:
        ready, _ = self._ray.wait([self._ref], timeout=0)
        return bool(ready)

    def result(self) -> Any:
        errors = self._ray.exceptions
        try:
            return self._ray.get(self._ref)
        except errors.RayTaskError as exc:  # the job raised: ours pass through (a damaged page), others are bugs
            cause = getattr(exc, "cause", None)
            if isinstance(cause, AppError):
                raise cause from None
            raise
        except errors.RayError as exc:  # the worker or its node died on every attempt
            log.warning("a Ray page task failed %d times: %s", ATTEMPTS, exc)
            raise WorkFailed(f"the Ray worker died on every one of {ATTEMPTS} attempts ({type(exc).__name__})") from exc
