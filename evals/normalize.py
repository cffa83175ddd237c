"""Text normalisation before any comparison: NFKC, typographic quotes and dashes to ASCII, one space."""

from __future__ import annotations

import re
import unicodedata

# Applied before and after NFKC (which folds ligatures, no-break spaces and the ellipsis, and would
# turn a double prime into two primes).
_ASCII = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'", "\u00b4": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u02ba": '"', "\u02dd": '"',
        "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u00ad": "",  # soft hyphen: invisible
    }
)
_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """The text as the scorers compare it: NFKC, ASCII quotes and dashes, whitespace runs as one space, stripped."""
    folded = unicodedata.normalize("NFKC", text.translate(_ASCII)).translate(_ASCII)
    return _SPACE.sub(" ", folded).strip()
