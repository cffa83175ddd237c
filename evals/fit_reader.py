"""``folio fit-reader``: fit the reader's weights on eval sets, with leave-documents-out folds.

1. Every set is ingested (reusing the eval cache) and every question is read once through the
   app's own read path (``Assistant.read``): retrieval and the candidate passages with their
   features. Nothing fitted is involved yet, so this is done once.
2. A candidate is labelled positive when one of its lines lies on an evidence span of the item
   (the line's box, mapped into the set image, is at least half inside an evidence box).
   Each collection is also asked a share of the *other* sets' questions (``FOREIGN_EVERY``): off-topic
   questions its pages cannot answer. The sets' own unanswerable questions are near misses (the
   pages name the thing, not the fact), so without these the abstention would never learn that a
   question about something else entirely is unanswerable. They train the abstention only and are
   reported apart ("off-topic abstained"), never mixed into the sets' figures.
3. Folds are made of whole documents (both image kinds of a document in the same fold; an
   unanswerable question goes to a fold by a hash of its id). For each fold the weights are fitted
   on the other folds only (``fit``) and the fold's questions are answered with them through
   ``Assistant.finish``, the same function ``ask`` uses, then scored like ``folio eval``.
4. The pooled held-out figures are reported next to the in-sample ones (weights fitted on all
   folds, answering the same questions); ``--write`` saves the all-folds model as
   ``assistant/reader_model.json``.

``fit``: a pairwise ranker over the candidate features (scikit-learn's logistic regression on the
differences between a positive and a negative candidate of the same question, standardised, at
most ``MAX_PAIRS`` pairs a question, each question weighing one in all: it ranked the evidence
first in 0.41 of the held-out dev questions against 0.35 for a pointwise regression); a logistic
regression over the abstention features; the abstention threshold at the quantile of the
training questions' answer probabilities that abstains on ``false_abstain`` of them; and the
answer's shape chosen over a small grid: the shortest answers whose training accuracy is within
``SHAPE_TOLERANCE`` of the best shape's.
"""

from __future__ import annotations

import itertools
import json
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from assistant.candidates import FEATURES, Reading
from assistant.reader import abstain_features, decide
from assistant.reader_model import ABSTAIN_FEATURES, AnswerShape, Linear, ReaderModel
from assistant.schema import Answer
from assistant.settings import Settings
from evals.dataset import EvalSet, ImageKind, QaItem, load_set
from evals.frames import SetFrame, evidence_boxes
from evals.geometry import box_area, box_intersection
from evals.item_scores import ItemResult, score_item
from evals.scorers import answer_correct
from evals.summary import by_type, latency_metrics, qa_metrics

FOREIGN_EVERY = 4  # every 4th question of the other sets is asked of each collection as an off-topic question
MAX_PAIRS = 200  # (positive, negative) candidate pairs drawn per question, at most
SHAPE_TOLERANCE = 0.01  # training accuracy given up for the shortest answers (the accuracy rule rewards long quotes)
FALSE_ABSTAIN = 0.06  # target false-abstention rate on the training questions (held out it comes out higher; the bound is 0.10)
LINE_IN_EVIDENCE = 0.5  # share of a line's box inside an evidence box for the line to be evidence
SHAPES = tuple(AnswerShape(neighbours=n, neighbours_broad=n + b, extra_ratio=r)
               for n, b, r in itertools.product((1, 2, 3), (0, 1), (0.0, 0.05, 0.1, 0.2, 0.4)))


@dataclass
class ItemReading:
    set_name: str
    kind: ImageKind
    item: QaItem
    group: str  # the fold group: "<set>/<doc_id>", or "<set>/?<item id>" for an unanswerable or off-topic question
    reading: Reading
    labels: np.ndarray  # per candidate, 1.0 when it holds evidence
    allowed: set[str]
    read_ms: float
    assistant: Any
    frame: SetFrame
    eval_set: EvalSet
    foreign: bool = False  # a question of another set: unanswerable here, for training the abstention only


@dataclass(frozen=True)
class FitOptions:
    folds: int = 6
    false_abstain: float = FALSE_ABSTAIN
    c: float = 1.0  # inverse regularisation strength of both regressions
    shape_tolerance: float = SHAPE_TOLERANCE


def collect(set_dirs: Sequence[Path], kinds: Sequence[ImageKind], settings: Settings,
            note: Callable[[str], None] = lambda m: None) -> list[ItemReading]:
    """Ingest each set (cached) and read every question once through the app's read path."""
    from assistant.service import build_assistant
    from evals.runner import RunRequest, ingest

    out: list[ItemReading] = []
    sets = [load_set(d) for d in set_dirs]
    for set_dir, eval_set in zip(set_dirs, sets, strict=True):
        foreign = [i for other in sets if other.name != eval_set.name for i in other.items[::FOREIGN_EVERY]]
        for kind in kinds:
            note(f"{eval_set.name} ({kind}): ingesting or reusing the pages")
            ingested = ingest(eval_set, RunRequest(set_dir=set_dir, images=kind), settings)
            frame = SetFrame(eval_set, kind, ingested.docs, ingested.pages)
            assistant = build_assistant(settings, ingested.collection)
            assistant.corpus()
            note(f"{eval_set.name} ({kind}): reading {len(eval_set.items)} questions")
            for item in eval_set.items:
                t0 = time.perf_counter()
                reading, allowed = assistant.read(item.question)
                ms = (time.perf_counter() - t0) * 1000.0
                group = f"{eval_set.name}/{item.doc_id}" if item.doc_id else f"{eval_set.name}/?{item.id}"
                out.append(ItemReading(eval_set.name, kind, item, group, reading, label(reading, item, frame, eval_set),
                                       allowed, ms, assistant, frame, eval_set))
            for item in foreign:
                off = item.model_copy(update={"doc_id": None, "page": None, "acceptable_answers": (), "evidence": ()})
                reading, allowed = assistant.read(off.question)
                out.append(ItemReading(eval_set.name, kind, off, f"{eval_set.name}/?~{item.id}", reading,
                                       np.zeros(len(reading.candidates)), allowed, 0.0, assistant, frame, eval_set, foreign=True))
    return out


def label(reading: Reading, item: QaItem, frame: SetFrame, eval_set: EvalSet) -> np.ndarray:
    """1.0 for each candidate one of whose lines lies on an evidence span of ``item``."""
    from assistant.cite import refs_for

    labels = np.zeros(len(reading.candidates))
    if item.gold is None:
        return labels
    truth = eval_set.page(*item.gold)
    evidence = [b for e in item.evidence for b in evidence_boxes(truth, frame.kind, e.bboxes)]
    for i, c in enumerate(reading.candidates):
        for ref in refs_for(c.chunk, c.start, c.end):
            if frame.set_key(c.chunk.doc_id, ref.page) != item.gold:
                continue
            box = frame.box(c.chunk.doc_id, ref.page, ref.bbox)
            if box is not None and any(box_intersection(box, e) >= LINE_IN_EVIDENCE * box_area(box) for e in evidence):
                labels[i] = 1.0
                break
    return labels


def fold_of(group: str, groups: Sequence[str], folds: int) -> int:
    """Documents are dealt to folds in the order of a hash of their names; unanswerable questions by their own hash."""
    if "/?" in group:
        return zlib.crc32(group.encode()) % folds
    docs = sorted({g for g in groups if "/?" not in g}, key=lambda g: (zlib.crc32(g.encode()), g))
    return docs.index(group) % folds


def _linear(x: np.ndarray, y: np.ndarray, weights: np.ndarray, names: tuple[str, ...], c: float) -> Linear:
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    if len(set(y.tolist())) < 2:
        return Linear(features=names, weights=tuple(0.0 for _ in names), bias=0.0, mean=tuple(mean), scale=tuple(scale))
    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    lr.fit((x - mean) / scale, y, sample_weight=weights)
    return Linear(features=names, weights=tuple(float(w) for w in lr.coef_[0]), bias=float(lr.intercept_[0]),
                  mean=tuple(float(v) for v in mean), scale=tuple(float(v) for v in scale))


def _ranker(readings: Sequence[ItemReading], c: float) -> Linear:
    """A linear scorer fitted on within-question pairs: P(positive above negative) = logistic(w . (x_pos - x_neg))."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([r.reading.matrix for r in readings])
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    rng = np.random.default_rng(0)
    diffs, weights = [], []
    for r in readings:
        z = (r.reading.matrix - mean) / scale
        pos, neg = np.flatnonzero(r.labels == 1), np.flatnonzero(r.labels == 0)
        if not len(pos) or not len(neg):
            continue
        pairs = np.array([(p, n) for p in pos for n in neg])
        if len(pairs) > MAX_PAIRS:
            pairs = pairs[rng.choice(len(pairs), MAX_PAIRS, replace=False)]
        diffs.append(z[pairs[:, 0]] - z[pairs[:, 1]])
        weights.append(np.full(len(pairs), 1.0 / len(pairs)))
    if not diffs:
        return Linear(features=FEATURES, weights=tuple(0.0 for _ in FEATURES), bias=0.0, mean=tuple(mean), scale=tuple(scale))
    d, w = np.vstack(diffs), np.concatenate(weights)
    lr = LogisticRegression(C=c, fit_intercept=False, max_iter=2000)
    lr.fit(np.vstack([d, -d]), np.r_[np.ones(len(d)), np.zeros(len(d))], sample_weight=np.r_[w, w])
    return Linear(features=FEATURES, weights=tuple(float(v) for v in lr.coef_[0]), bias=0.0,
                  mean=tuple(float(v) for v in mean), scale=tuple(float(v) for v in scale))


def fit(train: Sequence[ItemReading], options: FitOptions) -> ReaderModel:
    """Weights, abstention and answer shape from ``train`` alone."""
    answerable = [r for r in train if r.item.gold is not None and len(r.reading.candidates)]
    candidate = _ranker(answerable, options.c)
    placeholder = Linear(features=ABSTAIN_FEATURES, weights=tuple(0.0 for _ in ABSTAIN_FEATURES), bias=0.0,
                         mean=tuple(0.0 for _ in ABSTAIN_FEATURES), scale=tuple(1.0 for _ in ABSTAIN_FEATURES))
    model = ReaderModel(candidate=candidate, abstain=placeholder, threshold=0.0)
    ax = np.vstack([abstain_features(r.reading, decide(r.reading, model).best) for r in train])
    ay = np.array([float(r.item.gold is not None) for r in train])
    # Off-topic questions weigh as much in all as the sets' own unanswerable ones: both kinds of "no" count.
    near, off = sum(r.item.gold is None and not r.foreign for r in train), sum(r.foreign for r in train)
    aw = np.array([near / off if r.foreign and off and near else 1.0 for r in train])
    abstain = _linear(ax, ay, aw, ABSTAIN_FEATURES, options.c)
    model = replace(model, abstain=abstain)
    probs = np.array([decide(r.reading, model).answerable for r, a in zip(train, ay, strict=True) if a])
    threshold = float(np.quantile(probs, options.false_abstain)) if len(probs) else 0.5
    model = replace(model, threshold=threshold)
    answerable = [r for r in train if r.item.gold is not None]
    tried = [(shape, *_accuracy_and_length(answerable, replace(model, answer=shape))) for shape in SHAPES]
    return replace(model, answer=choose_shape(tried, options.shape_tolerance))


def choose_shape(tried: Sequence[tuple[AnswerShape, float, float]], tolerance: float) -> AnswerShape:
    """Of (shape, accuracy, mean answer length) triples, the shape with the shortest answers among
    those within ``tolerance`` of the best accuracy (the first such shape on a tie)."""
    best = max(acc for _, acc, _ in tried)
    return min((t for t in tried if t[1] >= best - tolerance - 1e-9), key=lambda t: t[2])[0]


def _accuracy_and_length(items: Sequence[ItemReading], model: ReaderModel) -> tuple[float, float]:
    """Training accuracy and mean length (characters) of the answers given."""
    answers = [(r, answer_of(r, model)) for r in items]
    right = sum(answer_correct(a.text, False, r.item.acceptable_answers) for r, a in answers)
    lengths = [len(a.text) for _, a in answers if not a.abstained]
    return (right / len(items) if items else 0.0), (float(np.mean(lengths)) if lengths else 0.0)


def answer_of(r: ItemReading, model: ReaderModel) -> Answer:
    return r.assistant.finish(r.reading, model, question=r.item.question, allowed=r.allowed)


def score(r: ItemReading, model: ReaderModel) -> ItemResult:
    t0 = time.perf_counter()
    answer = answer_of(r, model)
    ms = r.read_ms + (time.perf_counter() - t0) * 1000.0
    return score_item(r.item, answer, [(p.doc_id, p.page) for p in answer.pages], r.frame, r.eval_set, ms)


def cross_validate(readings: Sequence[ItemReading], options: FitOptions,
                   note: Callable[[str], None] = lambda m: None) -> tuple[list[ItemResult], list[ItemResult], ReaderModel, list[ReaderModel]]:
    """Held-out results (each question answered by weights fitted without its document), in-sample
    results, the model fitted on everything, and the per-fold models."""
    groups = [r.group for r in readings]
    folds = [fold_of(g, groups, options.folds) for g in groups]
    held: list[ItemResult | None] = [None] * len(readings)
    models = []
    for k in range(options.folds):
        train = [r for r, f in zip(readings, folds, strict=True) if f != k]
        model = fit(train, options)
        models.append(model)
        for i, (r, f) in enumerate(zip(readings, folds, strict=True)):
            if f == k:
                held[i] = score(r, model)  # off-topic questions too: their abstention is reported apart
        note(f"fold {k + 1}/{options.folds}: {sum(f == k for f in folds)} held-out questions")
    full = fit(readings, options)
    inside = [score(r, full) for r in readings]
    return [h for h in held if h is not None], inside, full, models


def report(readings: Sequence[ItemReading], held: Sequence[ItemResult], inside: Sequence[ItemResult]) -> dict[str, Any]:
    """Held-out and in-sample metrics: pooled per image kind, per set and per question type (the sets'
    own questions), and how many off-topic questions were abstained on."""
    out: dict[str, Any] = {}
    own = [i for i, r in enumerate(readings) if not r.foreign]
    off = [i for i, r in enumerate(readings) if r.foreign]
    off_topic = {kind: {"n_items": sum(readings[i].kind == kind for i in off),
                        "held_out": _share([held[i].abstained for i in off if readings[i].kind == kind]),
                        "in_sample": _share([inside[i].abstained for i in off if readings[i].kind == kind])}
                 for kind in sorted({readings[i].kind for i in off})}
    readings, held, inside = [readings[i] for i in own], [held[i] for i in own], [inside[i] for i in own]
    keys = [(r.set_name, r.kind) for r in readings]
    for kind in sorted({k for _, k in keys}):
        sel = [i for i, (_, k) in enumerate(keys) if k == kind]
        block: dict[str, Any] = {
            "pooled": {"held_out": _metrics([held[i] for i in sel]), "in_sample": _metrics([inside[i] for i in sel])},
            "by_set": {},
            "by_type_held_out": by_type([held[i] for i in sel]),
        }
        for set_name in sorted({s for s, _ in keys}):
            ss = [i for i in sel if keys[i][0] == set_name]
            block["by_set"][set_name] = {"held_out": _metrics([held[i] for i in ss]), "in_sample": _metrics([inside[i] for i in ss])}
        block["off_topic_abstained"] = off_topic.get(kind)
        out[kind] = block
    return out


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _metrics(items: Sequence[ItemResult]) -> dict[str, Any]:
    answered = [len(i.answer) for i in items if not i.abstained]
    return {"n_items": len(items), **qa_metrics(items), **latency_metrics(items),
            "answer_chars_p50": float(np.median(answered)) if answered else None}


def run_fit(set_dirs: Sequence[Path], kinds: Sequence[ImageKind], settings: Settings, options: FitOptions, *,
            write: Path | None = None, note: Callable[[str], None] = lambda m: None) -> tuple[Path, dict[str, Any]]:
    """The whole command: collect, cross-validate, report (and write the model). Returns the run folder and report."""
    started = datetime.now(UTC)
    readings = collect(set_dirs, kinds, settings, note)
    note(f"{len(readings)} questions read; fitting {options.folds} folds")
    held, inside, full, models = cross_validate(readings, options, note)
    result = report(readings, held, inside)
    run_dir = settings.data_dir / "evals" / f"{started:%Y%m%d-%H%M%S}-fit-reader"
    run_dir.mkdir(parents=True, exist_ok=False)
    info = {
        "fitted_at": started.isoformat(timespec="seconds"),
        "sets": [load_set(d).name for d in set_dirs],
        "images": list(kinds),
        "folds": options.folds,
        "false_abstain_target": options.false_abstain,
        "questions": sum(not r.foreign for r in readings),
        "off_topic_questions": sum(r.foreign for r in readings),
        "candidates": int(sum(len(r.labels) for r in readings)),
        "positives": int(sum(r.labels.sum() for r in readings)),
        "held_out": {k: v["pooled"]["held_out"] for k, v in result.items()},
        "in_sample": {k: v["pooled"]["in_sample"] for k, v in result.items()},
    }
    full = replace(full, info=info)
    (run_dir / "report.json").write_text(json.dumps({"info": info, "report": result,
                                                     "fold_models": [m.to_json() for m in models]}, indent=1, default=str))
    with (run_dir / "items-held-out.jsonl").open("w") as fh:
        for r, h in zip(readings, held, strict=True):
            fh.write(json.dumps({"set": r.set_name, "kind": r.kind, "off_topic": r.foreign, **h.model_dump()}, default=str) + "\n")
    full.save(run_dir / "reader_model.json")
    if write is not None:
        full.save(write)
    return run_dir, result
