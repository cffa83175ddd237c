""""Did you mean" for a mistyped command: ``folio aks`` -> "unknown command 'aks'; did you mean 'ask'?"."""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Sequence


def command_names(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:  # argparse keeps the sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def unknown_command(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
    """A one-line message when the first word that is not an option is no command; None otherwise."""
    word = next((a for a in argv if not a.startswith("-")), None)
    names = command_names(parser)
    if word is None or word in names:
        return None
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    hint = f"did you mean 'folio {close[0]}'?" if close else f"the commands are: {', '.join(names)}"
    return f"unknown command {word!r}; {hint} ('folio --help' lists them)"
