"""Run a server as a child process that dies with us: SIGTERM and SIGINT are passed on to it."""

from __future__ import annotations

import errno
import signal
import socket
import subprocess
from collections.abc import Mapping, Sequence
from types import FrameType

from storage.errors import ConfigError

FORWARDED = (signal.SIGTERM, signal.SIGINT)


def check_port(host: str, port: int, what: str) -> None:
    """A one-line error when ``host:port`` is taken (so the child does not fail with a bare message)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise ConfigError(f"cannot serve {what} on {host}:{port}: {exc.strerror}") from exc
            raise ConfigError(f"port {port} on {host} is already in use (another 'folio {what}' still running?); "
                              f"stop it or pick another port with --port {port + 1}") from exc


def run_forwarding(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ``argv`` until it exits; SIGTERM/SIGINT sent to us go to it, and we wait for it to end."""
    child = subprocess.Popen(list(argv), env=dict(env))

    def forward(signum: int, frame: FrameType | None) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    before = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:  # a handler replaced: only if a signal slipped in before it was set
                child.send_signal(signal.SIGINT)
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
        if child.poll() is None:
            child.kill()
            child.wait()
