"""Folio's errors. Messages are shown to the user verbatim: say what failed, where, and how to fix it."""

from __future__ import annotations


class AppError(Exception):
    """Base of every error a user can cause or fix. The CLI prints its message as one line."""


class ConfigError(AppError):
    """A setting is missing or wrong."""


class EngineUnavailable(AppError):
    """An engine or server cannot be reached or loaded."""


class InputError(AppError):
    """A file given by the user cannot be read (corrupt, unsupported, too large, encrypted...)."""


class OcrError(AppError):
    """OCR of a page failed. ``retryable`` errors (timeouts, 5xx) may succeed on a later try."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class StoreError(AppError):
    """The document store or the vector store failed."""


class NotFound(AppError):
    """A document, collection or page that was asked for does not exist."""
