"""What kind of answer a question asks for, and whether a text holds anything of that kind.

Classic question answering's answer-type check, for the few types that can be recognised
without a model: a question asking for a price needs an amount of money in the retrieved text, one
asking for a postal address needs something that looks like an address, and so on. The pages
of a manual often mention the thing a question names (the store, the postal mail, the reference
implementation) without the fact it asks for; words alone cannot tell those near misses from an
answer, an answer type can. When the best chunks hold nothing of the expected type, Folio abstains.

Only types whose answers have a recognisable surface form are listed; a question of any other
kind has no expected type and is never refused here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerType:
    name: str  # what the answer would be, as the abstention says it ("a price")
    asks: re.Pattern[str]  # a question asking for this type
    found: re.Pattern[str]  # text holding an answer of this type
    unless: re.Pattern[str] | None = None  # a question that matches ``asks`` but asks for something else


I = re.I
MONTHS = r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|jun(e)?|jul(y)?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?"
LANGUAGES = (  # as they are written (case matters: "Rust" the language, "rust" on a bracket)
    r"C\+\+|C#|Objective-C|Java|JavaScript|TypeScript|Python|Perl|Ruby|Rust|Golang|PHP|Fortran|FORTRAN|Haskell|Lisp|Lua|Tcl|Kotlin"
    r"|Swift|Scala|Erlang|Elixir|OCaml|MATLAB|Matlab|Julia|Pascal|Delphi|COBOL|Visual Basic|Bash|VHDL|Verilog"
)

TYPES: tuple[AnswerType, ...] = (
    AnswerType(
        "a price",
        re.compile(r"\bhow much\b.*\b(cost|costs|charge|charges|pay|sell|sells|sold)\b|\b(price|prices|priced|pricing|fee|fees)\b"
                   r"|\bwas kostet\b|\b(preis|preise|kosten|gebühr|gebühren)\b", I),
        re.compile(r"[$€£¥]\s?\d|\d\s?[$€£¥]|\b\d+([.,]\d+)?\s?(usd|eur|euros?|dollars?|cents?|gbp|pounds?|chf)\b|\b(usd|eur|gbp|chf)\s?\d", I),
    ),
    AnswerType(
        "a postal address",
        re.compile(r"\b(postal|mailing|street|physical|post|office) address\b|\baddress\b.*\b(mail|mailed|send|sent|post|posted)\b"
                   r"|\b(mail|send|post)\b.*\baddress\b|\b(postadresse|anschrift|postanschrift)\b", I),
        re.compile(r"\b\d+[a-z]?,?\s+([A-Z][\w.-]*\s+){0,3}(?i:street|st\.|avenue|ave\.?|road|rd\.|boulevard|blvd\.?|lane|drive|way|place|square)\b"
                   r"|\b(?i:street|avenue|road|boulevard|lane|drive)\s+\d+\b|\b(?i:p\.?\s?o\.?\s?box|postfach|suite)\s+\d+"
                   r"|[a-zäöüß](?i:straße|strasse|str\.|weg|platz|allee|gasse)\s*\d+|\b\d{4,5}\s+[A-ZÄÖÜ][a-zäöüß]+|\b[A-Z]{2}\s+\d{5}(-\d{4})?\b"),
        re.compile(r"\b(ip|ipv[46]|mac|e-?mail|web|memory|network|server|bus|device|base|return|hardware|i2c|usb|bluetooth|broadcast"
                   r"|multicast|node|slave|register|start|load|target|source|destination|listen|bind) address", I),
    ),
    AnswerType(
        "a programming language",
        re.compile(r"\b(programming|programing|implementation) language\b|\b(implemented|coded|programmed) in (which|what)\b"
                   r"|\bprogrammiersprache\b", I),  # not "which language ... written": natural languages are asked about too
        re.compile(rf"(?<![\w+#-])({LANGUAGES})(?![\w+#])|\b(in|using|ANSI|ISO|standard) C\b|\bC (code|program|source|library|compiler)\b|"
                   r"\b(?i:shell script|assembly language|assembler)\b"),
    ),
    AnswerType(
        "a date",
        re.compile(r"\b(what|which|in what) (year|date|month)\b|\bwhen (was|were|did)\b.*\b(released|published|founded|introduced|written|"
                   r"created|launched|started|signed|issued)\b|\bin welchem jahr\b|\bwann (wurde|wurden)\b", I),
        re.compile(rf"\b(1[5-9]|20)\d\d\b|\b({MONTHS})\b\.?\s*\d|\d{{1,2}}\.?\s*({MONTHS})\b|\b\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}\b", I),
    ),
    AnswerType(
        "an IP rating",
        re.compile(r"\b(ip|ingress protection) (rating|code|class|classification)\b|\bschutzart\b|\bip-schutz", I),
        re.compile(r"\bIP\s?[0-6X][0-9X]\b|\bIPX\d\b|\b(?i:ingress protection)\b"),
    ),
    AnswerType(
        "a phone number",
        re.compile(r"\b(phone|telephone|fax|hotline) (number|no)\b|\b(call|phone|ring)\b.*\bnumber\b|\b(telefonnummer|rufnummer|faxnummer)\b", I),
        re.compile(r"\+?\(?\d[\d\s()/.-]{6,}\d"),
    ),
    AnswerType(
        "an e-mail address",
        re.compile(r"\b(e-?mail|email) address\b|\be-?mail-?adresse\b", I),
        re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+|[\w.+-]+\s?(\(at\)|\[at\]| at )\s?[\w-]+\s?(\.|dot)\s?\w+", I),
    ),
)


def expected_type(question: str) -> AnswerType | None:
    """The answer type ``question`` asks for, or None when it is none of the recognised ones."""
    return next((t for t in TYPES if t.asks.search(question) and not (t.unless and t.unless.search(question))), None)


def holds(answer_type: AnswerType, text: str) -> bool:
    """Whether ``text`` holds something of ``answer_type``."""
    return bool(answer_type.found.search(text))
