"""toolkit.frames(): a round as pandas DataFrames, for analysts.

    frames = toolkit.frames(["incoming/"], roster="roster.xlsx")
    frames["indicators"].groupby("region")["calc_ind_percent"].mean()

One DataFrame per register CSV (reports, indicators, partners, subgrants, findings, and with a roster
expected), with the CSV's columns, made by the same merge (the same reader, rules and cache) into a
temporary folder. Dtypes: dates and times as datetime64, amounts, counts and row numbers as nullable
Int64 (Float64 where a column holds fractions), plan and fact as Float64, flags as nullable boolean, the
rest as pandas strings; machine values as in the CSVs (option codes, status codes). A value that is not
of its column's type (a date typed as words, say) is missing (NA/NaT) here; its finding is in `findings`.
pandas is imported here only: `esep validate` and `esep merge` never load it.
"""
from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from . import form, values

_INTEGER_TYPES = ("amount", "count")
_DATETIME_COLUMNS = ("read_at", "received_at")


def frames(inputs, roster=None, *, lang: str = "kk", jobs: int | None = None, cache=None) -> dict:
    """{"reports", "indicators", "partners", "subgrants", "findings"[, "expected"]: DataFrame}."""
    import pandas as pd

    from . import register

    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    with tempfile.TemporaryDirectory(prefix="esep-frames-") as tmp:
        tmp = Path(tmp)
        (tmp / "csv").mkdir()
        register.merge(inputs, tmp / "register.xlsx", csv_dir=tmp / "csv", lang=lang, jobs=jobs,
                       roster=roster, cache=cache)
        tables = [(key, columns, name) for key, _, columns, name in register.SHEETS]
        if roster is not None:
            key, _, columns, name = register.EXPECTED_CSV
            tables.append((key, columns, name))
        return {key: _frame(pd, tmp / "csv" / name, columns) for key, columns, name in tables}


def _frame(pd, path: Path, columns) -> "pd.DataFrame":
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header, data = rows[0], rows[1:]
    kinds = {c.key: c for c in columns}
    out = {}
    for k, name in enumerate(header):
        raw = [row[k] if k < len(row) else "" for row in data]
        out[name] = _series(pd, name, kinds.get(name), raw)
    return pd.DataFrame(out, columns=header)


def _series(pd, name: str, column, raw: list[str]):
    kind = column.kind if column is not None else "text"
    ftype = form.FIELD[name].type if name in form.FIELD else None
    if kind == "date" or name in _DATETIME_COLUMNS:
        return pd.to_datetime(pd.Series([x or None for x in raw], dtype="object"), format="ISO8601",
                              errors="coerce")
    if name in ("valid", "on_time"):
        return pd.Series([{"true": True, "false": False}.get(x) for x in raw], dtype="boolean")
    if kind in ("number", "int"):
        numbers = [_number(x) for x in raw]
        integral = all(x is None or float(x).is_integer() for x in numbers)
        if (kind == "int" or ftype in _INTEGER_TYPES) and integral:
            return pd.Series([None if x is None else int(x) for x in numbers], dtype="Int64")
        return pd.Series([None if x is None else float(x) for x in numbers], dtype="Float64")
    return pd.Series([_text(x) for x in raw], dtype="string")


def _number(text: str):
    if text == "":
        return None
    try:
        x = float(text)
    except ValueError:
        return None          # text typed where a number belongs: its finding says so
    return x if x == x and x not in (float("inf"), float("-inf")) else None


def _text(text: str):
    if text == "":
        return None
    # The CSV writer put "'" before text a spreadsheet would run as a formula; a DataFrame holds the text.
    if text.startswith("'") and values.looks_like_formula(text[1:]):
        return text[1:]
    return text
