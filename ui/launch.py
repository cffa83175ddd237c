"""How ``folio ui`` starts Streamlit: the command line, and the rule that exposure needs a token.

Streamlit is run as a child process (``python -m streamlit run ui/app.py``) with every option on
the command line, so a user's ``~/.streamlit/config.toml`` cannot turn telemetry or the
development tools back on.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from storage.errors import ConfigError
from ui.auth import is_loopback

APP = Path(__file__).with_name("app.py")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501


@dataclass(frozen=True)
class Launch:
    """Where and how the app is served."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    max_upload_mb: int = 200


def check_exposure(host: str, token: str) -> None:
    """Binding beyond this machine is refused unless an access token is set."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"'folio ui --host {host}' would serve your documents to other machines without a password: "
            "set FOLIO_UI_TOKEN to an access token (the app asks for it), or leave --host at 127.0.0.1"
        )


def streamlit_options(launch: Launch) -> dict[str, str]:
    """Streamlit options: bound where asked, headless, no usage statistics, no dev tools, no tracebacks."""
    return {
        "server.address": launch.host,
        "server.port": str(launch.port),
        "server.headless": "true",
        "browser.gatherUsageStats": "false",
        "server.fileWatcherType": "none",
        "server.runOnSave": "false",
        "server.enableStaticServing": "false",
        "server.maxUploadSize": str(launch.max_upload_mb),
        "global.developmentMode": "false",
        "client.toolbarMode": "viewer",
        "client.showErrorDetails": "none",
    }


def streamlit_command(launch: Launch) -> list[str]:
    """The child process's argv."""
    flags = [part for name, value in streamlit_options(launch).items() for part in (f"--{name}", value)]
    return [sys.executable, "-m", "streamlit", "run", str(APP), *flags]
