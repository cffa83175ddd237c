"""Does a source support a sentence a language model wrote? One score in [0, 1], and a few checks.

``support(sentence, source_text, question)`` is the weighted share of the sentence's content that
the source holds: its terms (stemmed, stop words left out; Chinese as character pairs), its names
(capitalised words inside the sentence, identifiers such as ``rnx2rtkp``) at double weight, and
its numbers. A number, version, part number or duration of the sentence that neither the source
nor the question holds makes the score 0: a model must not add one. (A number the question names is
the user's own: "Since krb5 release 1.8, the KDC can lock out principals" is supported by a page
saying "As of release 1.8, the KDC can be configured to lock out principals" when the question
named krb5.) The answerer compares the score with the
setting ``llm_support_threshold``. This module stands alone behind that one function, so the
reader's own passage scorer can take its place later.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_GERMAN

NAME_WEIGHT = 2.0  # a name or identifier counts twice: it says which thing the sentence is about
NUMBER_WEIGHT = 2.0
WORD = re.compile(r"[^\W_][\w.\-/+]*[^\W_]|[^\W_]", re.U)
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
DIGITS = re.compile(r"\d+(?:[.,:]\d+)*")
NUMBER_WITH_UNIT = re.compile(r"^[a-z]{0,2}\d+(?:[.,:]\d+)*(?:[a-z%°µ]{0,4})$")  # 12v, v1.2.3, 10s, 50%, 2.5mm
ENUMERATOR = re.compile(r"^\s*(?:(?:step\s+)?\d{1,2}[.):]|[-*•·]|\(\d{1,2}\))\s+", re.I)
EXTRA_STOPWORDS = frozenset(
    "also can could may might must shall should would will do does did has have had been being am is are was were "
    "this that these those there here it its which who what when where how why then than so such very just only "
    "use used using document documents source sources manual page pages according says said states".split()
)
STOPWORDS = frozenset(STOPWORDS_EN) | frozenset(STOPWORDS_GERMAN) | EXTRA_STOPWORDS
_STEMMERS = {"en": Stemmer.Stemmer("english"), "de": Stemmer.Stemmer("german")}


@dataclass(frozen=True)
class Content:
    """What a sentence claims, as checkable pieces."""

    terms: frozenset[str]  # stems of its content words (and Chinese character pairs)
    names: frozenset[str]  # stems of its names and identifiers (a subset of ``terms``)
    numbers: frozenset[str]  # tokens holding digits, normalised ("12v", "1.2.3", "ab-1234")

    @property
    def empty(self) -> bool:
        return not self.terms and not self.numbers


def support(sentence: str, source_text: str, question: str = "") -> float:
    """How well ``source_text`` supports ``sentence`` written to answer ``question``: 0 (not at all)
    to 1 (all its content is in the source)."""
    claim = content(sentence)
    if claim.empty:
        return 0.0
    source = _source(source_text)
    asked = _source(question) if question else NOTHING
    if missing_numbers(Content(claim.terms, claim.names, claim.numbers - asked.numbers), source, source_text):
        return 0.0
    total = got = 0.0
    for term in claim.terms:
        weight = NAME_WEIGHT if term in claim.names else 1.0
        total += weight
        got += weight if term in source.terms else 0.0
    total += NUMBER_WEIGHT * len(claim.numbers)
    got += NUMBER_WEIGHT * len(claim.numbers)  # all present, or we returned above
    return got / total if total else 0.0


NOTHING = Content(terms=frozenset(), names=frozenset(), numbers=frozenset())


def checkable(sentence: str) -> bool:
    """Whether a sentence claims anything (a connective such as "Here are the steps:" does not)."""
    text = ENUMERATOR.sub("", sentence).strip()
    if text.endswith(":") and len(text.split()) <= 8:
        return False
    return not content(text).empty


def missing_numbers(claim: Content, source: Content, source_text: str = "") -> list[str]:
    """The numbers of ``claim`` that ``source`` does not hold. A number with a unit matches its number
    ("12V" and "12 V"); a part number or identifier matches with its spaces and hyphens left out
    ("pos1-elmask" and the OCR's "pos1- elmask")."""
    source_cores = {core for token in source.numbers for core in DIGITS.findall(token)}
    squashed = _squash(source_text) if source_text else ""
    missing = []
    for token in claim.numbers:
        if token in source.numbers:
            continue
        if squashed and any(c.isalpha() for c in token) and len(_squash(token)) >= 3 and _squash(token) in squashed:
            continue
        cores = DIGITS.findall(token)
        if NUMBER_WITH_UNIT.match(token) and cores and all(c in source_cores for c in cores):
            continue
        missing.append(token)
    return missing


@lru_cache(maxsize=256)
def _squash(text: str) -> str:
    return re.sub(r"[\s\-_./]+", "", unicodedata.normalize("NFKC", text).lower())


def content(sentence: str) -> Content:
    return _content(ENUMERATOR.sub("", sentence))


@lru_cache(maxsize=256)
def _source(text: str) -> Content:
    return _content(text)


@lru_cache(maxsize=4096)
def _content(text: str) -> Content:
    text = unicodedata.normalize("NFKC", text)
    terms: set[str] = set()
    names: set[str] = set()
    numbers: set[str] = set()
    for match in WORD.finditer(text):
        token = match.group(0)
        low = token.lower().strip(".-/+")
        if any(ch.isdigit() for ch in low):
            numbers.add(low.replace(",", "."))
            continue
        for word in re.split(r"[.\-/+]", low):
            if len(word) < 2 or word in STOPWORDS or CJK_RUN.search(word):
                continue
            stem = _stem(word)
            terms.add(stem)
            if _is_name(token, match.start(), text):
                names.add(stem)
    for run in CJK_RUN.findall(text):
        pairs = {run[i : i + 2] for i in range(len(run) - 1)} or {run}
        terms |= pairs
    return Content(terms=frozenset(terms), names=frozenset(names), numbers=frozenset(numbers))


def _stem(word: str) -> str:
    """Both stemmers, English then German, on every word: a sentence and its source are stemmed the
    same way whatever language each looks like (the German one leaves English stems nearly as they are)."""
    return _STEMMERS["de"].stemWord(_STEMMERS["en"].stemWord(word))


def _is_name(token: str, start: int, text: str) -> bool:
    """A capitalised word not at the start of a sentence or line, or a word with an inner capital."""
    if any(c.isupper() for c in token[1:]) and any(c.islower() for c in token):
        return True
    if not token[:1].isupper():
        return False
    before = text[:start].rstrip(" \t\"'(*")
    return bool(before) and before[-1] not in ".!?:\n-•"
