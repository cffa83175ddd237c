"""How the CLI talks to a person: counts with the right plural, and libraries kept quiet at -v."""

from __future__ import annotations

import logging

# Libraries whose INFO output is for their own developers: sentence-transformers shows a batch
# progress bar per encode() whenever its logger is at INFO, which -v would otherwise switch on.
NOISY = ("sentence_transformers", "transformers", "httpx", "httpcore", "chromadb", "urllib3", "PIL", "multipart", "python_multipart")


def plural(n: int, word: str, many: str | None = None) -> str:
    """``plural(1, "page")`` -> "1 page", ``plural(3, "page")`` -> "3 pages"."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def quiet_libraries(verbose: int) -> None:
    """Keep other libraries at WARNING unless -vv asks for everything."""
    if verbose >= 2:
        return
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
