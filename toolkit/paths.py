"""File names as people and other programs see them, whatever bytes they are made of.

On Linux a file name is bytes; Python hands a name that is not valid UTF-8 (a zip made on Windows
with cp866 names, say) to us as a str with lone surrogates ("surrogateescape"). Such a str cannot be
printed, written to JSON, CSV or an xlsx. `display_path` turns it into valid UTF-8 text that still
tells the file apart: each undecodable byte is shown as \\xNN ("отчет_\\x8e.xlsx"). The path itself
(for opening the file) is never changed.
"""
from __future__ import annotations

import os


def display_path(path) -> str:
    """`path` (str, bytes or PathLike) as valid UTF-8 text: undecodable bytes as \\xNN escapes."""
    if isinstance(path, (bytes, bytearray)):
        return bytes(path).decode("utf-8", "backslashreplace")
    text = os.fspath(path)
    if isinstance(text, bytes):
        return text.decode("utf-8", "backslashreplace")
    return safe_text(text)


def safe_text(text: str) -> str:
    """`text` unchanged when it is valid Unicode; lone surrogates (bytes smuggled in by
    surrogateescape, or any other) shown as \\xNN / \\udcNN escapes."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
