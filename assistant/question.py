"""The question, read once: terms and their weights, quoted phrases, language, kind and expected answer.

Every later stage (candidates, their features, abstention, the answerers) reads this one frozen
value instead of matching the question text again. The readings are cheap surface cues; none of
them decides anything on its own: each becomes a feature of the candidates or of the abstention,
and the fitted reader model (``assistant.reader_model``) weighs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.analyze import Language, detect_language
from assistant.answer_type import AnswerType, expected_type
from assistant.evidence import IDENTIFIER, IDENTIFIER_WEIGHT, Query, quoted_phrases
from assistant.keyword import KeywordIndex

# "How do I ...", "what are the steps", "Wie kann ich ...": the answer is a procedure.
PROCEDURAL = re.compile(
    r"\b(how (do|can|should|would) (i|we|you)|how to|what are the steps|steps?\b|procedure|walk me through"
    r"|wie (kann|muss|soll|gehe|installiere|aktualisiere)|schritte|anleitung|vorgehen"
    r"|comment (faire|puis-je|installer)|étapes|procédure)|如何|怎么|步骤",
    re.I,
)
# "why", "what causes", "what motivated": the answer gives a reason.
REASON = re.compile(r"\b(why|causes?|caused|reasons?|motivat\w*|rationale|warum|wieso|weshalb|ursache|grund|pourquoi|raison)\b|为什么|原因",
                    re.I)
# A question in several parts: "..., and what if ...", or two question marks.
MULTI_PART = re.compile(r"(,|\band|\bund|\bet)\s+(what|which|how|why|when|where|who|was|wie|welche|wann|que|quel\w*|comment)\b|\?.+\?",
                        re.I)
EACH = re.compile(r"\b(each|respectively|jeweils|chacun\w*)\b|分别|各自", re.I)
_NAME = r"(?:[A-Z][\w.-]*\w|[a-z]+\d\w*)"
NAME_LIST = re.compile(rf"({_NAME}(?:\s*,\s*{_NAME})*)\s*,?\s+(?:and|or|und|oder|et|ou)\s+({_NAME})")
NAME = re.compile(_NAME)
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# A question whose answer is a quantity, a version, a limit or a date: the answer passage writes a number.
QUANTITY = re.compile(
    r"\bhow (many|much|long|large|big|far|fast|often|old|high|low)\b|\bwhat (is the )?(maximum|minimum|max|min|default )?"
    r"(percentage|rate|number|size|version|length|speed|frequency|voltage|current|capacity|limit|timeout|duration|port|baud)\b"
    r"|\bwie (viele?|lange|groß|gross|hoch|weit|schnell|oft|alt)\b|\bwelche[nrs]? (version|größe|anzahl)\b|\bbis zu welchem\b"
    r"|\bwelche[nrs]? (maximal|minimal)\w*|\bcombien\b|\bquelle? (version|taille|durée|vitesse)\b|多少|几|多长|多久|哪个版本",
    re.I,
)
FOCUS = re.compile(r"\s*((?i:which|what|whose|how many|how much))\s+((?:[A-Z][A-Za-z]+\s+)+)")


@dataclass(frozen=True)
class Question:
    """A question as every stage of the read path sees it."""

    text: str
    query: Query  # analysed terms with their idf weights (identifier-like words weigh double), quoted phrases
    language: Language
    procedural: bool  # asks how to do something
    reason: bool  # asks why, or for a cause
    multi_part: bool  # asks several things at once
    each: bool  # asks about each of several named things
    quantity: bool  # asks for a quantity, a version, a limit or a date
    names: frozenset[str]  # terms of the names the question lists ("Ssdeep, Sdhash and Nilsimsa")
    identifiers: frozenset[str]  # terms of words written like identifiers (rnx2rtkp, check_nrpe, TeleMega)
    numbers: tuple[str, ...]  # numbers the question writes
    answer_type: AnswerType | None  # a recognisable answer form it asks for (a price, an e-mail address, ...)
    unknown_focus: tuple[str, ...]  # the name right after its question word, when no chunk has any of its words
    missing: float  # the idf-weighted share of its terms that no chunk of the collection holds


def read_question(text: str, keywords: KeywordIndex) -> Question:
    """Analyse ``text`` once against the collection's keyword index."""
    analyzer = keywords.analyzer
    language = detect_language(text)
    terms = analyzer.terms(text)
    identifiers = frozenset(t for token in IDENTIFIER.findall(text) for t in analyzer.terms(token))
    weights = {t: keywords.idf(t) * (IDENTIFIER_WEIGHT if t in identifiers else 1.0) for t in dict.fromkeys(terms)}
    query = Query(text=text, weights=weights, phrases=quoted_phrases(text))
    total = query.total
    missing = sum(w for t, w in weights.items() if not keywords.has(t)) / total if total > 0 else 1.0
    return Question(
        text=text,
        query=query,
        language=language,
        procedural=PROCEDURAL.search(text) is not None,
        reason=REASON.search(text) is not None,
        multi_part=MULTI_PART.search(text) is not None,
        each=EACH.search(text) is not None,
        quantity=QUANTITY.search(text) is not None,
        names=_listed_names(text, language, analyzer),
        identifiers=identifiers,
        numbers=tuple(dict.fromkeys(NUMBER.findall(text))),
        answer_type=expected_type(text),
        unknown_focus=tuple(_unknown_focus(text, language, keywords)),
        missing=missing,
    )


def _listed_names(text: str, language: Language, analyzer) -> frozenset[str]:  # type: ignore[no-untyped-def]
    """Terms of the names a question lists; in German every noun is capitalised, so only identifier-like ones."""
    names: set[str] = set()
    for match in NAME_LIST.finditer(text):
        for name in NAME.findall(match.group(0)):
            if language == "de" and not IDENTIFIER.fullmatch(name):
                continue
            terms = analyzer.terms(name)
            if len(terms) == 1:
                names.add(terms[0])
    return frozenset(names)


def _unknown_focus(text: str, language: Language, keywords: KeywordIndex) -> list[str]:
    """The capitalised name right after an English question word ("Which Raspberry Pi models ...")
    when no chunk holds any of its words."""
    if language != "en":
        return []
    match = FOCUS.match(text)
    if not match:
        return []
    names = match.group(2).split()
    terms = [t for name in names for t in keywords.analyzer.terms(name, "en")]
    return names if terms and not any(keywords.has(t) for t in terms) else []
