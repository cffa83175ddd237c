"""Letter-for-digit misreads of the CPU recogniser, fixed where the token can only be a number.

PP-OCR reads the digit zero as the letter O at the start of hexadecimal numbers ("Ox400" for
"0x400", "Oc4b:0400" for "0c4b:0400") and inside runs of digits ("1O0"). Only tokens that hold a
digit and nothing but hexadecimal characters after the O are changed, so words are left alone.
"""

from __future__ import annotations

import re

HEX_PREFIX = re.compile(r"(?<![\w])O([xX][0-9A-Fa-f]*\d[0-9A-Fa-f]*)(?![\w])")  # Ox400 -> 0x400
HEX_WORD = re.compile(r"(?<![\w])O((?=[0-9a-f]*\d)[0-9a-f]{2,})(?![\w.-])")  # Oc4b -> 0c4b (lower-case hex with a digit)
BETWEEN_DIGITS = re.compile(r"(?<=\d)O(?=\d)")  # 1O0 -> 100


def fix_digit_confusions(text: str) -> str:
    text = HEX_PREFIX.sub(r"0\1", text)
    text = HEX_WORD.sub(r"0\1", text)
    return BETWEEN_DIGITS.sub("0", text)
