"""The packages form a one-way stack: storage <- ingest <- assistant <- ui/evals <- cli."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
ALLOWED = {
    "storage": set(),
    "ingest": {"storage"},
    "assistant": {"storage", "ingest"},
    "evals": {"storage", "ingest", "assistant"},
    "ui": {"storage", "ingest", "assistant"},
    "api": {"storage", "ingest", "assistant"},
    "cli": {"storage", "ingest", "assistant", "evals", "ui", "api"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_lower_layers(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_packages(path) - ALLOWED[package] - {package}
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, offenders


def test_importing_packages_loads_no_models() -> None:
    """Nothing heavy happens at import time: importing every module must not import torch or chromadb."""
    import subprocess
    import sys

    modules = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for pkg in ALLOWED
        for p in sorted((ROOT / pkg).rglob("*.py"))
        if p.name != "__main__.py" and not (pkg == "ui" and p.name == "app.py")
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "heavy = [m for m in ('torch', 'chromadb', 'onnxruntime', 'sentence_transformers', 'streamlit') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "", f"imported at import time: {out.stdout.strip()}"
