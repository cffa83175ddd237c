"""Compare eval runs of two answerers on the same items: one table per set, plus all sets together.

    python scripts/compare_answerers.py RUN_DIR_A RUN_DIR_B [RUN_DIR_A2 RUN_DIR_B2 ...]

Runs come in pairs (e.g. extractive, then openai against the local server, on the same set); only the
items both runs of a pair answered are compared (a run may have been stopped early). For each
run: answer accuracy, abstention on unanswerable items, false abstention, citation box hit,
"uncited answers" (answered items without a citation), the chat model's sentences kept, re-pointed,
attributed and dropped, and the p50/p95 time per answer. Not a test: it reads items.jsonl of runs
made by ``folio eval``.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from evals.item_scores import ItemResult
from evals.summary import qa_metrics

COUNTS = ("sentences", "kept", "repointed", "attributed", "unsupported", "refusals", "cut_off", "extractive")


def load(run: Path) -> list[ItemResult]:
    return [ItemResult.model_validate_json(line) for line in (run / "items.jsonl").read_text(encoding="utf-8").splitlines() if line]


def row(name: str, items: list[ItemResult]) -> dict[str, object]:
    m = qa_metrics(items)
    times = sorted(i.latency_ms / 1000 for i in items)
    answered = [i for i in items if not i.abstained]
    counts = {k: sum(i.checks.get(k, 0) for i in items) for k in COUNTS}
    return {"run": name, "n": len(items), "accuracy": m["answer_accuracy"], "abstain_unans": m["abstain_recall"],
            "false_abstain": m["false_abstain_rate"], "box_hit": m["citation_box_hit"],
            "uncited_answers": sum(not i.citations for i in answered), "errors": sum(bool(i.error) for i in items),
            "p50_s": statistics.median(times) if times else None,
            "p50_model_s": statistics.median(model) if (model := [i.latency_ms / 1000 for i in items if i.checks]) else None, "p95_s": times[int(0.95 * (len(times) - 1))] if times else None,
            **counts}


def fmt(v: object) -> str:
    return "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def main(argv: list[str]) -> int:
    runs = [Path(a) for a in argv]
    if not runs or len(runs) % 2:
        print(__doc__)
        return 2
    rows, together = [], {0: [], 1: []}
    for i in range(0, len(runs), 2):
        pair = [load(run) for run in runs[i : i + 2]]
        common = {item.id for item in pair[0]} & {item.id for item in pair[1]}  # a run stopped early: compare its items only
        for side, (run, items) in enumerate(zip(runs[i : i + 2], pair, strict=True)):
            items = [item for item in items if item.id in common]
            together[side].extend(items)
            rows.append(row(run.name, items))
    rows += [row(f"ALL {runs[side].name.split('-')[0]}", together[side]) for side in (0, 1)]
    keys = list(rows[0])
    print("\t".join(keys))
    for r in rows:
        print("\t".join(fmt(r[k]) for k in keys))
    json.dump(rows, sys.stderr, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
