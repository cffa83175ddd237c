"""Keys, per-key rate limits, and the rule that the API never listens beyond loopback without keys."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import ApiSettings
from api.limits import RateLimiter
from api.services import Services
from assistant.settings import Settings
from storage.errors import ConfigError
from tests.api.conftest import KEY

ROOT = Path(__file__).parents[2]
OTHER_KEY = "second-key-fedcba9876543210"


def test_calls_without_a_valid_key_are_refused(client: TestClient) -> None:
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong-key-0000000000000"}, {"Authorization": f"Basic {KEY}"}):
        response = client.get("/documents", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer" and response.json()["error"] == "unauthorized"
        assert KEY not in response.text
    assert client.get("/documents").status_code == 200  # the session client sends the key
    assert client.get("/healthz", headers={"Authorization": ""}).status_code == 200


def test_each_key_has_its_own_rate_limit_with_retry_after(settings: Settings, services: Services) -> None:
    api = ApiSettings(api_keys=f"{KEY},{OTHER_KEY}", api_rate_per_minute=6, api_burst=3)
    with TestClient(create_app(settings, api, services)) as c:
        first = [c.get("/documents", headers={"Authorization": f"Bearer {KEY}"}).status_code for _ in range(4)]
        other = c.get("/documents", headers={"Authorization": f"Bearer {OTHER_KEY}"})
    assert first == [200, 200, 200, 429] and other.status_code == 200


def test_429_says_when_to_retry(settings: Settings, services: Services) -> None:
    api = ApiSettings(api_keys=KEY, api_rate_per_minute=6, api_burst=1)
    with TestClient(create_app(settings, api, services), headers={"Authorization": f"Bearer {KEY}"}) as c:
        assert c.get("/documents").status_code == 200
        limited = c.get("/documents")
    assert limited.status_code == 429 and limited.json()["error"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 10


def test_guessing_keys_is_rate_limited_by_address(settings: Settings, services: Services) -> None:
    api = ApiSettings(api_keys=KEY, api_rate_per_minute=6, api_burst=2)
    with TestClient(create_app(settings, api, services)) as c:
        codes = [c.get("/documents", headers={"Authorization": f"Bearer guess-{i:020d}"}).status_code for i in range(4)]
    assert codes == [401, 401, 429, 429]


def test_without_keys_loopback_is_open_and_limited_per_address(settings: Settings, services: Services) -> None:
    api = ApiSettings(api_rate_per_minute=6, api_burst=2)
    with TestClient(create_app(settings, api, services)) as c:
        codes = [c.get("/documents").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_token_bucket_refills_at_the_configured_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert [limiter.take("k") for _ in range(3)] == [0, 0, 1]
    now[0] = 1.0
    assert limiter.take("k") == 0 and limiter.take("k") == 1
    assert limiter.take("other") == 0


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.org"])
def test_listening_beyond_loopback_needs_keys(settings: Settings, services: Services, host: str) -> None:
    with pytest.raises(ConfigError, match="FOLIO_API_KEYS"):
        create_app(settings, ApiSettings(api_host=host), services)
    create_app(settings, ApiSettings(api_host=host, api_keys=KEY), services)  # with a key it is allowed


def test_folio_serve_refuses_to_listen_beyond_loopback_without_keys(_data_dir: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "cli.main", "serve", "--host", "0.0.0.0", "--port", "0"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env={"FOLIO_DATA_DIR": str(_data_dir), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 1 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("folio: ") and "FOLIO_API_KEYS" in lines[0]
