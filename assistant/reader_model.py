"""The fitted reader: weights of the candidate features, the abstention model and its threshold.

One small JSON file in the repository (``assistant/reader_model.json``), written by
``folio fit-reader SET...`` from the eval sets (``evals/fit_reader.py``) and read here with numpy
alone. Its hash is part of the settings fingerprint, so every answer and eval run says which
weights made it.

* ``candidate``: a linear ranker over ``assistant.candidates.FEATURES`` (standardised with the
  stored means and scales), fitted pairwise: the higher a passage's score, the likelier it holds
  the answer's evidence rather than the question's other passages.
* ``abstain``: a logistic regression over ``ABSTAIN_FEATURES`` giving the probability that the
  question is answered by the pages at all; Folio abstains under ``threshold``, chosen on the
  training folds for a false-abstention rate of at most the fit's target.
* ``answer``: the extractive answer's shape (units added after the passage, and how close another
  passage must come to be quoted as well), chosen on the training folds by answer accuracy.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from storage.errors import ConfigError

MODEL_PATH = Path(__file__).with_name("reader_model.json")
VERSION = 1

ABSTAIN_FEATURES: tuple[str, ...] = (
    "best",  # the best candidate's logit
    "coverage",  # that candidate's term coverage
    "semantic",  # its embedding similarity
    "missing",  # share of the question's terms (idf-weighted) found nowhere in the collection
    "local_missing",  # share of its terms (idf-weighted) found in none of the candidate chunks
    "dense_top",  # embedding similarity of the first retrieved chunk
    "type_missing",  # the question asks for a recognisable answer form that none of the best chunks holds
    "number_missing",  # it asks for a quantity, version or limit and the best passage writes no number
    "unknown_focus",  # the name it asks about appears in no chunk
)


@dataclass(frozen=True)
class Linear:
    """A logistic regression over named, standardised features."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def logits(self, x: np.ndarray) -> np.ndarray:
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        return z @ np.asarray(self.weights) + self.bias

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "weights": {f: round(w, 6) for f, w in zip(self.features, self.weights, strict=True)},
            "bias": round(self.bias, 6),
            "mean": [round(v, 6) for v in self.mean],
            "scale": [round(v, 6) for v in self.scale],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], expected: tuple[str, ...]) -> Linear:
        features = tuple(data["features"])
        if features != expected:
            raise ConfigError(f"the reader model's features {features} are not the code's {expected}: run 'folio fit-reader'")
        return cls(features=features, weights=tuple(float(data["weights"][f]) for f in features), bias=float(data["bias"]),
                   mean=tuple(map(float, data["mean"])), scale=tuple(map(float, data["scale"])))


@dataclass(frozen=True)
class AnswerShape:
    neighbours: int = 2  # units quoted after the best passage (answers often end a sentence past the question's words)
    neighbours_broad: int = 3  # the same for a question in several parts or asking why
    extra_ratio: float = 0.0  # another passage is quoted too when its probability is at least this share of the best (0: never)
    max_extra: int = 2


@dataclass(frozen=True)
class ReaderModel:
    candidate: Linear
    abstain: Linear
    threshold: float  # abstain when the probability of an answer is under this
    answer: AnswerShape = field(default_factory=AnswerShape)
    info: dict[str, Any] = field(default_factory=dict)  # how and on what it was fitted, with its figures

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "candidate": self.candidate.to_json(),
            "abstain": self.abstain.to_json(),
            "threshold": round(self.threshold, 6),
            "answer": self.answer.__dict__,
            "info": self.info,
        }

    def save(self, path: Path = MODEL_PATH) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def parse_model(data: dict[str, Any]) -> ReaderModel:
    from assistant.candidates import FEATURES

    if data.get("version") != VERSION:
        raise ConfigError(f"reader model version {data.get('version')} is not {VERSION}: run 'folio fit-reader'")
    return ReaderModel(candidate=Linear.from_json(data["candidate"], FEATURES),
                       abstain=Linear.from_json(data["abstain"], ABSTAIN_FEATURES),
                       threshold=float(data["threshold"]), answer=AnswerShape(**data.get("answer", {})), info=data.get("info", {}))


@cache
def load_model(path: Path = MODEL_PATH) -> ReaderModel:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the reader model {path}: {exc}; restore it from git or run 'folio fit-reader'") from exc
    return parse_model(data)


def model_hash(path: Path = MODEL_PATH) -> str:
    """The first 12 hex digits of the model file's SHA-256 ('' when it is missing)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return ""
