"""``folio bench`` runs its query and memory parts and saves what it measured (no timing is asserted)."""

from __future__ import annotations

import json
from pathlib import Path

from cli.main import main
from evals.bench import save


def test_bench_query_and_memory_parts(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "bench.json"
    args = ["bench", "--only", "query", "--only", "memory", "--sizes", "1000", "--questions", "3", "--pages", "1",
            "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "ask latency (synthetic chunks" in printed and "Ingest peak memory" in printed
    results = json.loads(out.read_text())
    (size,) = results["query"]["sizes"]
    assert size["chunks"] == 1000 and size["questions"] == 3
    assert 0 < size["ask_p50_ms"] <= size["ask_p95_ms"]
    # the asking process loaded the index the writing process stored (no analysis) and read no chunk to do so
    assert size["index_rebuilt"] is False and size["chunks_read_s"] == 0 and size["index_load_s"] > 0
    assert 50 < size["rss_loaded_mb"] <= size["peak_rss_mb"]
    (run,) = results["memory"]["runs"]
    assert run["pages"] == 1 and 100 < run["peak_rss_mb"] < 8000
    assert "synthetic" in results["query"]["note"] and results["settings"]["fingerprint"]


def test_saved_results_never_overwrite(tmp_path: Path) -> None:
    first = save({"a": 1}, tmp_path / "b.json")
    second = save({"a": 2}, tmp_path / "b.json")
    assert (first.name, second.name) == ("b.json", "b-2.json")
    assert json.loads(first.read_text()) == {"a": 1}


def test_bench_photos_part_reads_hard_photos_with_and_without_rectification(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    hard = Path(__file__).parents[1] / "data" / "devset-hard"
    out = tmp_path / "bench.json"
    assert main(["bench", str(hard), "--only", "photos", "--out", str(out)]) == 0
    assert "Photo OCR" in capsys.readouterr().out
    (row,) = json.loads(out.read_text())["photos"]["sets"]
    on, off = row["on"], row["off"]
    assert on["pages"] == off["pages"] == 1 and row["time_ratio"] > 0
    # the tilted, shadowed page: flattened, it reads at least as well as it does as photographed
    assert on["line_recall"] >= max(0.9, off["line_recall"]) and on["cer"] <= off["cer"] + 0.005


def test_bench_cold_start_part(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "bench.json"
    assert main(["bench", "--only", "cold", "--cold-runs", "1", "--out", str(out)]) == 0
    assert "Cold start (a new process per run" in capsys.readouterr().out
    cold = json.loads(out.read_text())["cold"]
    assert cold["pages"] == 40 and cold["chunks"] == 200 and cold["runs"] == 1
    for key in ("ask", "ask_torch", "help"):
        assert cold[f"{key}_median_s"] > 0 and cold[f"{key}_cpu_median_s"] > 0 and len(cold[f"{key}_runs_s"]) == 1
