"""Whether the configured HunyuanOCR and LLM servers answer: one quick ``GET /v1/models`` each."""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class ServerStatus:
    """The answer of one probe: ``ok`` when the server answered and serves ``model``."""

    name: str  # "HunyuanOCR server" or "LLM server"
    url: str
    ok: bool
    detail: str


def probe(name: str, base_url: str, model: str | None, *, api_key: str = "", timeout: float = 2.0) -> ServerStatus:
    """``GET {base_url}/models`` with a short timeout; never raises."""
    url = base_url.rstrip("/") + "/models"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = httpx.get(url, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        return ServerStatus(name, base_url, False, f"no answer within {timeout:g} s")
    except httpx.HTTPError as exc:
        return ServerStatus(name, base_url, False, f"cannot connect ({type(exc).__name__})")
    if response.status_code in (401, 403):
        return ServerStatus(name, base_url, False, f"refused the API key (HTTP {response.status_code})")
    if response.status_code != 200:
        return ServerStatus(name, base_url, False, f"answered HTTP {response.status_code} to GET /models")
    served = _served(response)
    if model and served and model not in served:
        return ServerStatus(name, base_url, False, f"answers, but serves {', '.join(served)}, not {model}")
    return ServerStatus(name, base_url, True, f"answers, serves {model or ', '.join(served) or 'no model'}")


def _served(response: httpx.Response) -> list[str]:
    try:
        data = response.json().get("data", [])
        return [str(m.get("id", "")) for m in data if isinstance(m, dict)]
    except (ValueError, AttributeError):
        return []
