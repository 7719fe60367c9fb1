"""esep: locked report templates, validation and a consolidated register for the final reports on
state grants to NGOs in Kazakhstan.

Public API (heavy libraries are imported only by the functions that need them):

    write_template(path, lang="kk")      the locked template NGOs fill
    validate(path)                       read, recompute, check one workbook -> FileResult
    merge(inputs, output)                many workbooks -> one register workbook (+ CSVs)
    frames(inputs, roster=None)          the same as pandas DataFrames (extra: esep[frames])
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "write_template", "validate", "merge", "frames"]


def write_template(path, lang: str = "kk", password: str | None = None):
    from .template import write_template as _write
    return _write(path, lang=lang, password=password)


def validate(path, **kwargs):
    from .validation import validate as _validate
    return _validate(path, **kwargs)


def merge(inputs, output, **kwargs):
    from .register import merge as _merge
    return _merge(inputs, output, **kwargs)


def frames(inputs, roster=None, **kwargs):
    from .dataframes import frames as _frames
    return _frames(inputs, roster=roster, **kwargs)
