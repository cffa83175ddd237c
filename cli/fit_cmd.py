"""``folio fit-reader SET...``: fit the reader's weights with leave-documents-out folds and report both figures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import add_settings_flags, build_settings, print_json

SHOWN = ("answer_accuracy", "abstain_recall", "false_abstain_rate", "citation_box_hit", "retrieval_hit@1", "retrieval_hit@5", "ask_p50_ms")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("fit-reader", help="fit the reader's weights on QA sets (leave-documents-out folds) and report held-out figures")
    p.add_argument("set_dirs", type=Path, nargs="+", metavar="SET_DIR", help="eval set folders in the dev-set format")
    p.add_argument("--images", default="photo,scan", help="image kinds to read, comma-separated (default photo,scan)")
    p.add_argument("--folds", type=int, default=6, help="folds of whole documents (default 6)")
    p.add_argument("--write", action="store_true", help="save the model fitted on all folds as assistant/reader_model.json")
    add_settings_flags(p, "embedder", "json")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from assistant.reader_model import MODEL_PATH
    from evals.fit_reader import FitOptions, run_fit
    from storage.errors import ConfigError

    kinds = [k.strip() for k in args.images.split(",") if k.strip()]
    if not kinds or any(k not in ("photo", "scan") for k in kinds):
        raise ConfigError(f"--images takes photo, scan or photo,scan, not {args.images!r}")
    if args.folds < 2:
        raise ConfigError("--folds needs at least 2 folds")
    settings = build_settings(args)
    note = (lambda m: None) if args.json else (lambda m: print(m, file=sys.stderr, flush=True))
    run_dir, result = run_fit(args.set_dirs, kinds, settings, FitOptions(folds=args.folds),  # type: ignore[arg-type]
                              write=MODEL_PATH if args.write else None, note=note)
    if args.json:
        print_json({"run_dir": str(run_dir), "report": result})
        return 0
    for kind, block in result.items():
        print(f"\n{kind}: held-out / in-sample")
        rows = [("pooled", block["pooled"])] + list(block["by_set"].items())
        print(f"{'':<24}" + "".join(f"{k:>22}" for k in SHOWN))
        for name, m in rows:
            cells = "".join(f"{_fmt(m['held_out'].get(k)) + ' / ' + _fmt(m['in_sample'].get(k)):>22}" for k in SHOWN)
            print(f"{name:<24}{cells}")
        off = block.get("off_topic_abstained")
        if off:
            print(f"off-topic questions (other sets' questions asked here): {off['n_items']}, abstained {_fmt(off['held_out'])} / {_fmt(off['in_sample'])}")
    print(f"\nrun folder: {run_dir}" + ("; model written to " + str(MODEL_PATH) if args.write else ""))
    return 0


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}" if value < 10 else f"{value:.0f}"
