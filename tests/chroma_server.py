"""A real Chroma server (``chroma run``, shipped with chromadb) on a free loopback port, for tests.

``stop()`` can be called mid-test to play a server that dies; ``start()`` again brings it back.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ChromaServer:
    """``start()`` runs the server on ``path`` and waits until it answers; ``stop()`` ends it."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path, self.host, self.port = path, "127.0.0.1", port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0) -> ChromaServer:
        self._process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.path), "--host", self.host, "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self._process.returncode}")
            try:  # listening is not enough: wait until the API answers
                with urllib.request.urlopen(f"http://{self.host}:{self.port}/api/v2/heartbeat", timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"chroma run did not listen on {self.host}:{self.port} within {timeout:.0f} s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
