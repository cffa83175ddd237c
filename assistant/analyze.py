"""Text analysis for keyword search: tokens, stop words, stems, Chinese words, German compounds.

The same analysis runs on chunks (when the keyword index is built) and on questions, so a token
in a question matches the same token in a chunk:

* NFKC normalisation (ligatures such as "ﬁ" become "fi") and lower case.
* Words are runs of letters and digits; ``check_swap`` stays one token and also yields ``check``
  and ``swap``. Runs of Chinese characters are cut into words with jieba (its dictionary ships in
  the wheel), loaded only when Chinese text is seen.
* A comparison with a number reads the same in symbols and words ("> 50" and "above 50").
* A roman numeral after "Table", "Figure", "Chapter" and the like is read as digits.
* Number words from two to twelve ("five", "zwei") are read as digits.
* Each text is stemmed with the Snowball stemmer of its own language (English or German, decided
  from its function words); tokens with digits are kept as they are. When a word's stem is not in
  the corpus but its stem in the other language is (a one-word question "Treiber" read as English,
  an English term on a German page), that one is used.
* German compounds are split where both halves are words of the corpus vocabulary
  ("Treiberpakets" also yields "treiber" and "paket" when the corpus has those words), so a
  question about "Paket" finds "Treiberpaket" and the other way round.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import Literal

import Stemmer
from bm25s.stopwords import STOPWORDS_CHINESE, STOPWORDS_EN, STOPWORDS_GERMAN

log = logging.getLogger(__name__)

Language = Literal["en", "de", "zh"]

WORD = re.compile(r"\w+")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

GERMAN_MARKERS = frozenset(
    "der die das und ist nicht mit für fur den dem des ein eine einer eines sie wird werden auf sich auch oder bei "
    "von zu im wenn sollte kann können konnen nach wie was".split()
)
ENGLISH_MARKERS = frozenset(
    "the and is are of to in for with that this on be by or from as it an if you your can should how what which".split()
)
# English function words and question words. Words that carry meaning in manuals ("before", "after",
# "first", "both", "not", "off", "only") are kept: "what comes first", "off by default".
ENGLISH_STOPWORDS = (frozenset(STOPWORDS_EN) - {"no", "not"}) | frozenset(
    "i me my we our us you your he she him her his they them their what which who whom whose how why when where "
    "do does did done doing am been being has have had having can could should would may might must shall "
    "there here its it's from about also just than so very s t tell get use used using need needs want wants please".split()
)
STOPWORDS: dict[str, frozenset[str]] = {
    "en": ENGLISH_STOPWORDS,
    "de": frozenset(STOPWORDS_GERMAN) | frozenset("sollte sollten soll bitte".split()),
    "zh": frozenset(STOPWORDS_CHINESE) | ENGLISH_STOPWORDS,
}
STEMMERS = {"en": "english", "de": "german"}
# Number words read as digits, so "a five-byte window" finds "a window of 5 bytes" and "zwei Leser" finds
# "2 Leser". "one" and "eins" stay words: they are pronouns and articles more often than counts.
NUMBER_WORDS: dict[str, dict[str, str]] = {
    "en": {w: str(n) for n, w in enumerate("two three four five six seven eight nine ten eleven twelve".split(), 2)},
    "de": {w: str(n) for n, w in enumerate("zwei drei vier fünf sechs sieben acht neun zehn elf zwölf".split(), 2)},
}

# Words that number what follows; a roman numeral after them is read as digits ("Table I" finds "Table 1").
NUMBERED = frozenset("table tab figure fig chapter section part appendix tabelle abb abbildung kapitel abschnitt teil anhang".split())
ROMAN = re.compile(r"x{0,3}(ix|iv|v?i{0,3})")
ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}

# A comparison with a number reads the same in symbols and words: "> 50" is "above 50", "< 10%" is "less than 10%".
_BEFORE_NUMBER = r"\s*(?=[-+]?\d)"
MORE = re.compile(r"(?:>=?|≥|\b(?:above|over|greater than|more than|higher than|exceeds|exceeding|mehr als|größer als|über))" + _BEFORE_NUMBER)
LESS = re.compile(r"(?:<=?|≤|\b(?:below|under|less than|fewer than|lower than|weniger als|kleiner als|unter))" + _BEFORE_NUMBER)

MIN_COMPOUND = 9  # shortest word tried as a German compound
MIN_PART = 4  # shortest half of a split compound
LINKING = ("s", "es", "n", "en")  # German linking elements between compound parts


def normalise(text: str) -> str:
    """NFKC and lower case: the form every comparison of words uses."""
    return unicodedata.normalize("NFKC", text).lower()


def detect_language(text: str) -> Language:
    """'zh' when Chinese characters dominate, else 'de' or 'en' by counting function words."""
    text = normalise(text)
    cjk = len(CJK.findall(text))
    letters = sum(ch.isalpha() for ch in text)
    if cjk and cjk >= 0.3 * letters:
        return "zh"
    words = WORD.findall(text)
    german = sum(w in GERMAN_MARKERS for w in words)
    english = sum(w in ENGLISH_MARKERS for w in words)
    return "de" if german > english else "en"


@cache
def _stemmer(lang: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(STEMMERS[lang])


def _jieba_words(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return [w for w in jieba.cut_for_search(text) if w.strip()]


def words(text: str) -> list[str]:
    """Normalised words of ``text`` in order, Chinese runs cut into words, before stemming."""
    out: list[str] = []
    for run in CJK_RUN.findall(normalise(text)):
        if CJK.match(run):
            out.extend(_jieba_words(run))
            continue
        for word in WORD.findall(_comparisons(run)):
            if out and out[-1] in NUMBERED and ROMAN.fullmatch(word):
                word = str(_roman_value(word))  # "Table III" is "Table 3"
            out.append(word)
            if "_" in word.strip("_"):
                out.extend(p for p in word.split("_") if p)
    return out


def _comparisons(text: str) -> str:
    """``text`` with "> 50", "above 50", "mehr als 50" written as "morethan 50" (and "< 10" as "lessthan 10")."""
    return LESS.sub(" lessthan ", MORE.sub(" morethan ", text))


def _roman_value(numeral: str) -> int:
    total = 0
    for i, ch in enumerate(numeral):
        value = ROMAN_VALUES[ch]
        following = ROMAN_VALUES[numeral[i + 1]] if i + 1 < len(numeral) else 0
        total += -value if value < following else value
    return total


class Analyzer:
    """Turns text into index terms. ``vocabulary`` (stems seen in the corpus) enables compound splitting."""

    def __init__(self, vocabulary: Iterable[str] = ()) -> None:
        self.vocabulary = frozenset(vocabulary)

    def terms(self, text: str, lang: Language | None = None) -> list[str]:
        """Index terms of ``text``: stop words dropped, stems, compound parts appended."""
        lang = lang or detect_language(text)
        stop = STOPWORDS[lang]
        out: list[str] = []
        numbers = NUMBER_WORDS.get(lang, {})
        for word in words(text):
            word = numbers.get(word, word)
            if word in stop or (len(word) < 2 and not word.isdigit()):
                continue
            term = self._stem(word, lang)
            if self.vocabulary and term not in self.vocabulary and lang in STEMMERS:
                other = self._stem(word, "de" if lang == "en" else "en")
                term = other if other in self.vocabulary else term
            out.append(term)
            if lang == "de" and len(word) >= MIN_COMPOUND:
                out.extend(self.split_compound(word))
        return out

    def split_compound(self, word: str) -> list[str]:
        """The two stems of a German compound whose halves are both in the vocabulary, else []."""
        for i in range(len(word) - MIN_PART, MIN_PART - 1, -1):
            head, tail = word[:i], word[i:]
            tail_stem = self._stem(tail, "de")
            if tail_stem not in self.vocabulary:
                continue
            for head_form in _without_linking(head):
                head_stem = self._stem(head_form, "de")
                if head_stem in self.vocabulary:
                    return [head_stem, tail_stem]
        return []

    @staticmethod
    def _stem(word: str, lang: Language) -> str:
        if lang == "zh" or not word.isalpha():
            return word
        return str(_stemmer(lang).stemWord(word))


def _without_linking(head: str) -> list[str]:
    forms = [head]
    for link in LINKING:
        if head.endswith(link) and len(head) - len(link) >= MIN_PART:
            forms.append(head[: -len(link)])
    return forms


def vocabulary_of(texts: Iterable[str]) -> set[str]:
    """Stems of the words of ``texts`` (each in its own language): the vocabulary for compound splitting."""
    plain = Analyzer()
    vocab: set[str] = set()
    for text in texts:
        vocab.update(plain.terms(text))
    return vocab
