"""scripts/setup's stamp: a dev install (scripts/test) satisfies the demo, and the other way round installs only what is missing."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def checkout(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup", tmp_path / "scripts" / "setup")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    return tmp_path


def deps_hash(repo: Path) -> str:
    return hashlib.sha256((repo / "pyproject.toml").read_bytes() + (repo / "scripts" / "setup").read_bytes()).hexdigest()[:16]


def satisfied(repo: Path, *args: str) -> bool:
    env = {**os.environ, "PYTHON": sys.executable}
    out = subprocess.run(["bash", str(repo / "scripts" / "setup"), "--check", *args], capture_output=True, text=True, timeout=30, env=env)
    assert out.returncode in (0, 1), out.stderr
    return out.returncode == 0


def test_a_dev_install_satisfies_the_demo(tmp_path: Path) -> None:
    repo = checkout(tmp_path)
    stamp = repo / ".venv" / ".folio-setup"
    assert not satisfied(repo) and not satisfied(repo, "--dev")
    stamp.write_text(f"{deps_hash(repo)} --dev\n")
    assert satisfied(repo) and satisfied(repo, "--dev")
    stamp.write_text(f"{deps_hash(repo)} \n")
    assert satisfied(repo) and not satisfied(repo, "--dev")  # the test tools are still missing
    (repo / "pyproject.toml").write_text((repo / "pyproject.toml").read_text() + "\n# changed\n")
    assert not satisfied(repo)  # new dependencies: install again
