"""End to end: ``folio eval`` on the five-page fixture set (real OCR, embedder, Chroma, assistant)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main

MINI = Path(__file__).resolve().parents[1] / "data" / "devset-mini"
ISSUE_KEYS = ("ocr_cer", "ocr_line_recall", "retrieval_hit@1", "retrieval_hit@5", "retrieval_mrr", "answer_accuracy",
              "abstain_recall", "false_abstain_rate", "citation_page_hit", "citation_box_hit", "ingest_seconds_per_page",
              "ask_p50_ms", "ask_p95_ms", "n_pages", "n_items")


@pytest.fixture(scope="session")
def photo_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two runs of the photo images into one data dir: the second reuses the collection."""
    root = tmp_path_factory.mktemp("eval-e2e")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FOLIO_DATA_DIR", str(root / "data"))
        mp.chdir(root)
        assert main(["eval", str(MINI), "--images", "photo", "--out", str(root / "run1"), "--json"]) == 0
        assert main(["eval", str(MINI), "--images", "photo", "--out", str(root / "run2"), "--json"]) == 0
    return root / "run1", root / "run2"


def test_run_writes_summary_items_report_and_plots(photo_runs):
    run, _ = photo_runs
    summary = json.loads((run / "summary.json").read_text())
    for key in ISSUE_KEYS:
        assert isinstance(summary[key], int | float), key
    assert summary["n_pages"] == 5 and summary["n_items"] == len((MINI / "qa.jsonl").read_text().splitlines())
    assert len(summary["settings"]["fingerprint"]) == 12 and summary["settings"]["data_dir"]
    assert summary["git_sha"] and summary["run"]["images"] == "photo"
    items = [json.loads(line) for line in (run / "items.jsonl").read_text().splitlines()]
    assert len(items) == summary["n_items"]
    assert {"question", "answer", "abstained", "citations", "retrieved", "rank", "correct", "box_hit", "latency_ms"} <= items[0].keys()
    report = (run / "report.md").read_text()
    assert "## By item type" in report and "## By document" in report
    for png in ("retrieval_ranks.png", "cer_per_page.png", "latency.png"):
        assert (run / png).stat().st_size > 1000


def test_ocr_numbers_are_sane(photo_runs):
    run, _ = photo_runs
    summary = json.loads((run / "summary.json").read_text())
    # PP-OCRv6 reads these simulated photos with a CER well under 0.2 and finds most line boxes
    assert 0.0 < summary["ocr_cer"] < 0.2
    assert summary["ocr_line_recall"] > 0.5
    assert summary["ingest_seconds_per_page"] > 0
    assert summary["pages_not_ok"] == 0
    for doc in summary["by_document"].values():
        assert doc["ocr_cer"] < 0.35


def test_second_run_reuses_the_collection_and_never_overwrites(photo_runs):
    run1, run2 = photo_runs
    s1 = json.loads((run1 / "summary.json").read_text())
    s2 = json.loads((run2 / "summary.json").read_text())
    assert not s1["run"]["ingest_reused"] and s2["run"]["ingest_reused"]
    assert s1["run"]["collection"] == s2["run"]["collection"]
    assert s2["ingest_seconds_per_page"] == pytest.approx(s1["ingest_seconds_per_page"])
    assert s2["ocr_cer"] == pytest.approx(s1["ocr_cer"])
    assert main(["eval", str(MINI), "--out", str(run1)]) == 1  # an existing run folder is refused


def test_several_runs_pool_their_items(photo_runs):
    from evals.runner import pooled_summary

    run1, run2 = photo_runs
    one = json.loads((run1 / "summary.json").read_text())
    pooled = pooled_summary([run1, run2])
    assert pooled["n_items"] == 2 * one["n_items"] and pooled["n_pages"] == 2 * one["n_pages"]
    assert pooled["answer_accuracy"] == pytest.approx(one["answer_accuracy"])  # the same answers twice
    assert set(pooled["by_type"]) == set(one["by_type"])


def test_fit_reader_reports_held_out_and_in_sample_figures_without_touching_the_shipped_model(photo_runs, capsys):
    from assistant.reader_model import MODEL_PATH, parse_model

    run1, _ = photo_runs
    root = run1.parent
    shipped = MODEL_PATH.read_bytes()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FOLIO_DATA_DIR", str(root / "data"))
        mp.chdir(root)
        capsys.readouterr()
        assert main(["fit-reader", str(MINI), "--images", "photo", "--folds", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    pooled = out["report"]["photo"]["pooled"]
    n = len((MINI / "qa.jsonl").read_text().splitlines())
    assert pooled["held_out"]["n_items"] == pooled["in_sample"]["n_items"] == n
    assert 0.0 <= pooled["held_out"]["answer_accuracy"] <= 1.0
    run_dir = Path(out["run_dir"])
    model = parse_model(json.loads((run_dir / "reader_model.json").read_text()))
    assert model.info["folds"] == 2 and model.info["questions"] == n
    assert MODEL_PATH.read_bytes() == shipped  # only --write replaces it


def test_folds_keep_each_document_whole():
    from evals.fit_reader import fold_of

    groups = [f"set/doc{i}" for i in range(7)] + ["set/?q1", "set/?q2"]
    folds = {g: fold_of(g, groups + groups, 3) for g in groups}
    assert set(folds.values()) <= {0, 1, 2}
    docs = [g for g in groups if "?" not in g]
    assert sorted(list(folds[g] for g in docs).count(k) for k in range(3)) == [2, 2, 3]  # documents dealt evenly
    assert fold_of("set/?q1", groups, 3) == folds["set/?q1"]  # an unanswerable question's fold is stable


def test_the_answer_shape_is_the_shortest_within_the_tolerance_of_the_best_accuracy():
    from assistant.reader_model import AnswerShape
    from evals.fit_reader import choose_shape

    long, mid, short = AnswerShape(neighbours=3), AnswerShape(neighbours=2), AnswerShape(neighbours=1)
    tried = [(long, 0.60, 900.0), (mid, 0.595, 700.0), (short, 0.55, 300.0)]
    assert choose_shape(tried, 0.0) == long
    assert choose_shape(tried, 0.01) == mid
    assert choose_shape(tried, 0.1) == short
