"""Multipart bodies written byte by byte, so tests can send file names no well-behaved client would."""

from __future__ import annotations

import uuid


def multipart(parts: list[tuple[bytes, bytes, str]], field: str = "files") -> tuple[bytes, str]:
    """(body, content type) of a form with one file part per ``(raw file name, data, content type)``."""
    boundary = uuid.uuid4().hex
    body = b""
    for name, data, content_type in parts:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"".encode()
                 + name + f"\"\r\nContent-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
