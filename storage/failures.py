"""One line for a failure of the disk, the vector store or its server: what broke and what to do.

``explain(exc)`` reads an exception (and its causes) of the OS, SQLite, Chroma or an HTTP client and
says it the way Folio's errors do. The store adapter raises ``StoreError`` with it, and the CLI falls
back on it for anything else, so no fault of the machine ends as a traceback.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator

NOTHING_LOST = "nothing already stored is lost"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _where(exc: OSError) -> str:
    return f" ({exc.filename})" if exc.filename else ""


def explain(exc: BaseException, *, store: str = "") -> str | None:
    """A one-line explanation of a disk, store or server failure, or None when it is none of those.

    ``store`` names the vector store (its folder, or the server's address) for the messages about it.
    """
    where = f" {store}" if store else ""
    for cause in _chain(exc):
        if isinstance(cause, OSError) and cause.errno is not None:
            if cause.errno in (errno.ENOSPC, errno.EDQUOT):
                return f"the disk is full{_where(cause)}: free some space (or set FOLIO_DATA_DIR to a bigger disk) and run again; {NOTHING_LOST}"
            if cause.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                return (f"cannot write{_where(cause)}: {cause.strerror}; make the data dir writable or set FOLIO_DATA_DIR to a "
                        f"writable folder; {NOTHING_LOST}")
            if cause.errno in (errno.ENAMETOOLONG, errno.ELOOP):
                return f"{cause.strerror}{_where(cause)}: the path is too long or loops; move the files to a shallower folder"
            if cause.errno in (errno.ECONNREFUSED, errno.ECONNRESET, errno.EPIPE, errno.ETIMEDOUT, errno.EHOSTUNREACH):
                return f"the vector store server{where} stopped answering ({cause.strerror}): start it again, then run again; {NOTHING_LOST}"
        text = str(cause)
        low = text.lower()
        if "database or disk is full" in low or "no space left" in low:
            return f"the disk holding the vector store{where} is full: free some space and run again; {NOTHING_LOST}"
        if "readonly database" in low or "read-only file system" in low or "permission denied" in low:
            return (f"the vector store{where} is read-only: make the data dir writable or set FOLIO_DATA_DIR to a writable "
                    f"folder; {NOTHING_LOST}")
        if "file is not a database" in low or "malformed" in low or "database corrupt" in low or "no such table" in low:
            return (f"the vector store{where} is damaged ({_short(text)}): restore chroma/chroma.sqlite3 from a backup, or move "
                    "the chroma folder away and ingest your files again")
        name = type(cause).__name__
        if name in ("ConnectError", "ConnectTimeout", "ReadError", "RemoteProtocolError", "ReadTimeout", "WriteError",
                    "ConnectionError", "ConnectionRefusedError", "ConnectionResetError", "ServerDisconnectedError") \
                or "could not connect" in low or "connection refused" in low:
            return f"the vector store server{where} stopped answering ({_short(text) or name}): start it again, then run again; {NOTHING_LOST}"
    return None


def _short(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^error returned from database: ", "", text)
    return text[:160]
