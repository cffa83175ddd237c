"""What the multipart parser does not keep: the file name's bytes as the client sent them."""

from __future__ import annotations

from fastapi import UploadFile
from python_multipart.multipart import parse_options_header


def raw_filename(upload: UploadFile) -> bytes | None:
    """The ``filename`` parameter of the part's Content-Disposition, undecoded (None if absent)."""
    for key, value in upload.headers.raw:
        if key.lower() == b"content-disposition":
            _, options = parse_options_header(value)
            name = options.get(b"filename")
            return bytes(name) if name is not None else None
    return None
