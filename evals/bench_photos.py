"""``folio bench --only photos``: OCR on the set's photos and on hard photos, with and without rectification.

Hard photos are a copy of an eval set made by ``harden_photos.py SET_DIR OUT_DIR`` (steep tilt,
perspective, a hard shadow, glare, blur; the ground truth mapped exactly), given as ``--hard``.
Every page is read twice in the same run, once as ingest reads it (the page found and flattened)
and once as it is (``rectify`` off), so the two speeds are comparable and the ratio is the cost.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.settings import Settings
from evals.dataset import ImageKind, load_set
from evals.ocr_pages import PageRun, pooled, read_and_score
from ingest.ocr import build_ocr

NOTE = ("OCR only (rectify, OCR, store the page, layout; no embedding): CER of the page text, line recall at IoU 0.5 "
        "in the photo's pixels; s/page with rectification on and off, read alternately in one run")


def photo_ocr(sets: list[tuple[str, Path]], images: ImageKind, settings: Settings, note: Callable[[str], None]) -> dict[str, Any]:
    """Pooled OCR figures of each ``(label, set_dir)``, rectification on and off."""
    engine = build_ocr(settings.ingest)
    rows = []
    for label, set_dir in sets:
        eval_set = load_set(set_dir)
        runs: dict[bool, list[PageRun]] = {True: [], False: []}
        with tempfile.TemporaryDirectory(prefix="folio-bench-photos-") as tmp:
            for n, page in enumerate(eval_set.pages, start=1):
                for rectify in (True, False):
                    runs[rectify].append(read_and_score(eval_set, page, images, engine, settings.ingest, rectify, Path(tmp)))
                note(f"{label}: {n}/{len(eval_set.pages)} pages")
        on, off = pooled(runs[True]), pooled(runs[False])
        rows.append({"label": label, "set_dir": str(set_dir), "on": on, "off": off,
                     "time_ratio": round(on["s_per_page"] / off["s_per_page"], 3) if off["s_per_page"] else None})
    return {"note": NOTE, "images": images, "ocr_engine": engine.name, "sets": rows}


def format_rows(result: dict[str, Any]) -> list[str]:
    lines = [f"Photo OCR ({result['note']})",
             f"  {'set':<14} {'rectify':>7} {'pages':>5} {'CER':>7} {'lines':>7} {'worst':>6} {'s/page':>7}"]
    for row in result["sets"]:
        for mode in ("on", "off"):
            p = row[mode]
            lines.append(f"  {row['label']:<14} {mode:>7} {p['pages']:>5} {p['cer']:>7.4f} {p['line_recall']:>7.4f} "
                         f"{p['min_line_recall']:>6.2f} {p['s_per_page']:>7.2f}")
        lines.append(f"  {row['label']:<14} time on/off {row['time_ratio']}")
    return lines
