"""What a line's text alone says about its role: list markers, section numbers, captions, notes, code.

Pure functions on strings, shared by the layout stages. They only look at text; geometry (size,
position, gaps) is weighed by the callers.
"""

from __future__ import annotations

import re

_BULLET = re.compile(r"^[•·‣▪▫■□●○◦◆◇►▶➢➤✓✔∙\uf0b7\uf0a7\uf0d8\uf076\uf0fc]\s*|^[-–—‐*o.]\s+(?=\S)")  # OCR reads • as "."
_LONE_MARKER = re.compile(
    r"^(?:[•·‣▪▫■□●○◦◆◇►▶➢➤✓✔∙\uf0b7\uf0a7\uf0d8\uf076\uf0fc*\-–—‐o]|\(?\d{1,2}[.)]|\(?[a-z][.)]|\([a-z]\)|\(?[ivx]{1,4}[.)])$"
)
_STEP = re.compile(r"^(?:\(?(\d{1,2})[.)]|\(([a-z]|[ivx]{1,4}|\d{1,2})\)|([a-z])\)|([a-h])\.|([ivx]{1,4})[.)]|([A-H])\))\s+(?=\S)")
_DOTTED = re.compile(
    r"^(?:[A-Z]\.)?(\d{1,2}(?:\.\d{1,2})+)(?:\.?\s+(?=[^\W\d_]*[A-ZÄÖÜ\d\"“(])|\.(?=[A-ZÄÖÜ]))"  # OCR may drop the space
    r"|^([A-Z])\.(\d{1,2})\.?\s+(?=\S)"
)
_SINGLE = re.compile(r"^(\d{1,2})\.?\s+(?=[A-ZÄÖÜ])")
_ROMAN_UPPER = re.compile(r"^([IVX]{1,5})\.\s*(?=\S)")
_LETTER_UPPER = re.compile(r"^([A-H])\.\s+(?=[A-Z])")
_CHAPTER = re.compile(r"^(?:chapter|appendix|part|kapitel|anhang|section)\s+[\dA-Z]{1,3}\b", re.IGNORECASE)
_CAPTION = re.compile(
    r"^(?:figure|fig[.,]|table|tab\.|abb\.|abbildung|tabelle|bild|listing|chart|diagram)\s*"  # OCR: "Fig," 
    r"[\dIVXLC]+[\w.\-‐–]*[.:)]?(?:\s|$)",
    re.IGNORECASE,
)
_NOTE = re.compile(
    r"^(?:notes?|warning|caution|important|attention|danger|tip|hinweis|achtung|vorsicht|wichtig|warnung|tipp)"
    r"(?:\s*[:!.\-–]|\s*$)",
    re.IGNORECASE,
)
_NOTE_UPPER = re.compile(r"^(?:NOTE|WARNING|CAUTION|IMPORTANT|DANGER|TIP|HINWEIS|ACHTUNG|VORSICHT|WICHTIG)\b")
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]?\s*\d{1,4}\s*[-–—]?|[ivxlc]{1,6}|(?:page|seite|p\.)\s*\d{1,4}(?:\s*(?:of|von|/)\s*\d{1,4})?)$",
    re.IGNORECASE,
)
_SHELL = {
    "sudo", "cd", "ls", "make", "tar", "wget", "curl", "git", "apt", "apt-get", "yum", "dnf", "zypper", "pip",
    "pip3", "python", "python3", "mkdir", "cp", "mv", "rm", "chmod", "chown", "service", "systemctl", "export",
    "echo", "cat", "grep", "egrep", "ssh", "scp", "docker", "npm", "cmake", "gcc", "vi", "vim", "nano", "ln",
    "useradd", "groupadd", "usermod", "ps", "netstat", "kill", "mount", "dpkg", "rpm", "tail", "less", "find",
    "unzip", "gunzip", "source", "set", "env", "svcadm", "initctl", "launchctl", "lsusb", "dmesg", "modprobe",
}
_CODE_CHARS = set("{}=;<>|\\_/$*+")
_TECH_TOKEN = re.compile(r"[/_=\\]|^--?[a-zA-Z]|^\w+(?:\.\w+)+$|[{};]|^\.{1,2}/|^~/")
_SECTION_TOKEN = re.compile(r"^(?:[A-Z]\.)?\d+(?:\.\d+)*\.?$")
_OPERATOR = re.compile(r"^(?:=|<=|>=|==|!=|\+\+|--|&&|\|\||->|=>|:=|\{|\}|\+=|-=)$")
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_PROMPT = re.compile(r"^[$#%>]\s+[A-Za-z./~]")


def bullet_prefix(text: str) -> str | None:
    """The bullet that starts ``text`` (``"• "``, ``"- "``...), or None."""
    m = _BULLET.match(text)
    if not m:
        return None
    if text[0] == "o" and not text.startswith("o "):
        return None
    return m.group(0)


def step_marker(text: str) -> str | None:
    """The procedure-step number that starts ``text`` (``"1."``, ``"2)"``, ``"(a)"``, ``"iv."``), or None."""
    m = _STEP.match(text)
    return m.group(0).strip() if m else None


def is_lone_marker(text: str) -> bool:
    """A line that is only a bullet or a step number (its text sits in a separate box)."""
    stripped = text.strip()
    return bool(stripped) and (bool(_LONE_MARKER.match(stripped)) or (len(stripped) == 1 and not stripped.isalnum()))


def section_level(text: str) -> int | None:
    """Heading level implied by a section number (``2.1.`` -> 2, ``Chapter 3`` -> 1), or None."""
    if _CHAPTER.match(text):
        return 1
    m = _DOTTED.match(text)
    if m:
        if m.group(1):
            return min(m.group(1).count(".") + 1, 6)
        return 2
    if _ROMAN_UPPER.match(text) and not text.startswith(("I ", "V ", "X ")):
        return 1
    if _LETTER_UPPER.match(text):
        return 2
    if _SINGLE.match(text):
        return 1
    return None


def marker_level(marker: str) -> int:
    """Nesting level of a step marker used as a heading: ``a)`` -> 2, ``ii.`` -> 3, ``3.`` -> 1."""
    core = marker.strip("().")
    if core.isdigit():
        return 1
    if re.fullmatch(r"[ivx]{1,4}", core):  # "i.", "v." read as roman numerals
        return 3
    return 2


_OPTION = re.compile(r"^--?[A-Za-z?][\w-]*(?:\s|$)")


def is_option(text: str) -> bool:
    """A command-line option entry such as ``-k file   input options`` (each one starts a new paragraph)."""
    return bool(_OPTION.match(text))


def is_caption(text: str) -> bool:
    return bool(_CAPTION.match(text))


def is_note(text: str) -> bool:
    return bool(_NOTE.match(text)) or bool(_NOTE_UPPER.match(text))


def is_page_number(text: str) -> bool:
    return bool(_PAGE_NUMBER.match(text.strip()))


def ends_sentence(text: str) -> bool:
    return text.rstrip().endswith((".", ";", ",", "!", "?"))


def word_count(text: str) -> int:
    return len(text.split())


def is_upper_title(text: str) -> bool:
    """ALL-CAPS short text such as ``SYNOPSIS`` or ``3. INSTALLATION``."""
    letters = [c for c in text if c.isalpha()]
    longest = max((len(w) for w in re.findall(r"[^\W\d_]+", text)), default=0)
    return longest >= 3 and all(c.isupper() for c in letters)


def has_prompt(text: str) -> bool:
    """A shell prompt (``$ ``, ``# ``, ``% ``, ``> ``) starts the line (OCR may drop the space before a command)."""
    stripped = text.strip()
    if _PROMPT.match(stripped):
        return True
    rest = stripped[1:].split()
    return stripped[:1] in "$#" and bool(rest) and (rest[0] in _SHELL or rest[0].startswith(("./", "/", "~/")))


def looks_like_code(text: str) -> bool:
    """A shell command, a prompt line or a symbol-heavy program line (not a URL, not prose)."""
    stripped = text.strip()
    if not stripped or _URL.match(stripped):
        return False
    if has_prompt(stripped):
        return True
    tokens = stripped.split()
    first = tokens[0]
    if stripped.endswith((".", "?", "!")) and len(tokens) > 2:
        return False
    if first in _SHELL or first.startswith(("./", "~/")):
        return len(tokens) <= 12 and not _mostly_words(tokens[1:])
    chars = [c for c in stripped if not c.isspace()]
    if len(chars) <= 3 and all(c in _CODE_CHARS or c in "(){}" for c in chars):
        return True
    symbol_share = sum(c in _CODE_CHARS for c in chars) / len(chars)
    tech = [bool(_TECH_TOKEN.search(t)) and not _SECTION_TOKEN.match(t) and not _URL.match(t) for t in tokens]
    tech_share = sum(tech) / len(tokens)
    if first.startswith("/") and tech_share >= 0.3:
        return True
    if len(tokens) <= 8 and any(_OPERATOR.match(t) for t in tokens):
        return True
    return symbol_share >= 0.12 or (len(tokens) >= 2 and tech_share >= 0.5)


def _mostly_words(tokens: list[str]) -> bool:
    words = sum(t.strip(".,;:!?()\"'").isalpha() for t in tokens)
    return len(tokens) >= 3 and words / len(tokens) >= 0.7


def normalize_running(text: str) -> str:
    """Key under which running headers/footers of different pages compare equal: digits, case,
    punctuation and spacing ignored (OCR reads the same head slightly differently on each page)."""
    return " ".join(re.sub(r"[^\w#]+", " ", re.sub(r"\d+", "#", text).lower().replace("_", " ")).split())
