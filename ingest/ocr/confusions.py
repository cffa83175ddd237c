"""Misreads of the CPU recogniser that can be undone from the text alone.

PP-OCR reads the digit zero as the letter O at the start of hexadecimal numbers ("Ox400" for
"0x400", "Oc4b:0400" for "0c4b:0400") and inside runs of digits ("1O0"). Only tokens that hold a
digit and nothing but hexadecimal characters after the O are changed, so words are left alone.

It also reads the "I." that ends a roman-numbered caption as an "L": "TABLE I." comes out as
"TABLEL" and "TABLE III." as "TABLE IIL", and may drop the space ("TABLEI."). An upper-case caption word followed by I/V/X letters
ending in L (a table numbered 50 and up does not occur) gets its "I" back (without the full stop, which
would cut the caption in two sentences).
"""

from __future__ import annotations

import re

HEX_PREFIX = re.compile(r"(?<![\w])O([xX][0-9A-Fa-f]*\d[0-9A-Fa-f]*)(?![\w])")  # Ox400 -> 0x400
HEX_WORD = re.compile(r"(?<![\w])O((?=[0-9a-f]*\d)[0-9a-f]{2,})(?![\w.-])")  # Oc4b -> 0c4b (lower-case hex with a digit)
BETWEEN_DIGITS = re.compile(r"(?<=\d)O(?=\d)")  # 1O0 -> 100
CAPTION_NUMERAL = re.compile(r"\b(TABLE|FIGURE|FIG\.)\s?([IVX]{0,4})L(?![\w.])")  # TABLEL -> TABLE I
CAPTION_JOINED = re.compile(r"\b(TABLE|FIGURE)([IVX]{1,4})(?![\w])")  # TABLEI. -> TABLE I.


def fix_confusions(text: str) -> str:
    text = HEX_PREFIX.sub(r"0\1", text)
    text = HEX_WORD.sub(r"0\1", text)
    text = CAPTION_NUMERAL.sub(r"\1 \2I", text)
    text = CAPTION_JOINED.sub(r"\1 \2", text)
    return BETWEEN_DIGITS.sub("0", text)
