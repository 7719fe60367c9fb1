"""Recompute every total, difference, percentage and status the template shows, from the inputs.

Pure functions over a Report; the same `Computed.kind`s that template.py writes as Excel formulas.
Cached formula results in the file are never used here.
"""
from __future__ import annotations

from typing import Any

from . import form


def num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def total(values_: list[Any]) -> float:
    """Sum treating blanks (and anything non-numeric) as 0, like the template's SUM."""
    return sum(n for n in (num(v) for v in values_) if n is not None)


def percent(fact: Any, plan: Any) -> float | None:
    f, p = num(fact), num(plan)
    if f is None or p is None or p == 0:
        return None
    return f / p * 100


def status(fact: Any, plan: Any, op: Any) -> str | None:
    """met / exceeded / not_met / no_fact, or None for a line with no plan."""
    f, p = num(fact), num(plan)
    if f is None:
        return "no_fact" if p is not None else None
    if p is None:
        return None
    if op == "le":
        return "met" if f <= p + 1e-9 else "not_met"
    if f < p - 1e-9:
        return "not_met"
    if abs(f - p) <= 1e-9:
        return "met"
    return "exceeded"


def compute(report) -> dict[str, Any]:
    """Every formula of the form, recomputed. Single cells map name -> value; table formulas map
    name -> {row index: value}."""
    v = report.values
    out: dict[str, Any] = {}

    def single(c: form.Computed) -> Any:
        args = [out[a] if a in out else v.get(a) for a in c.args]
        if c.kind == "sum":
            return total(args)
        if c.kind == "diff":
            return (num(args[0]) or 0.0) - (num(args[1]) or 0.0)
        if c.kind == "percent":
            return percent(args[0], args[1])
        if c.kind == "ref":
            return args[0]
        if c.kind == "column_sum":
            table = form.TABLE_OF[c.args[0]]
            return total([r.values.get(c.args[0]) for r in report.tables.get(table.key, [])])
        raise ValueError(f"unknown kind {c.kind}")

    for c in form.COMPUTED:
        table = form.TABLE_OF.get(c.name)
        if table is None:
            out[c.name] = single(c)
            continue
        per_row = {}
        for row in report.tables.get(table.key, []):
            args = [row.values.get(a) for a in c.args]
            if c.kind == "percent":
                per_row[row.index] = percent(*args)
            elif c.kind == "status":
                per_row[row.index] = status(args[0], args[1], effective_operator(row))
        out[c.name] = per_row
    return out


def effective_operator(row) -> str:
    """The plan condition of an indicator line (an operator code: eq, ge, le): the typed one, else a
    threshold's own ("не менее 20" -> ge), else eq."""
    op = row.values.get("ind_operator")
    if op in ("eq", "ge", "le"):
        return op
    plan = row.parsed.get("ind_plan")
    if plan is not None and plan.note == "threshold" and plan.op:
        return {">=": "ge", "<=": "le"}.get(plan.op, "eq")
    return "eq"


# What the template's formulas show ----------------------------------------------------------------------
#
# esep reads a cell tolerantly ("1 076" -> 1076, "не менее 80" -> >= 80, a blank or "-" count -> 0); the
# template's formulas see only what a spreadsheet sees: ISNUMBER is true for a real number only, SUM skips
# text; blanks and dashes are recognised with plain spaces removed (SUBSTITUTE, not TRIM, whose
# meaning differs between programs). `spreadsheet()` computes every formula cell the way LibreOffice,
# Gnumeric and Excel do from the same raw cells (tests/test_engines.py holds it to both programs); where it
# differs from `compute()`, rules.formula_differs names the input cell that makes the difference.

def sheet_number(raw: Any) -> float | None:
    """The number a spreadsheet's ISNUMBER accepts in a cell: int/float (a date cell is its serial
    number); text, booleans and blanks are not numbers."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        x = float(raw)
        return x if x - x == 0 else None
    import datetime as _dt
    if isinstance(raw, _dt.datetime):
        delta = raw - _dt.datetime(1899, 12, 30)
        return delta.days + delta.seconds / 86400
    if isinstance(raw, _dt.date):
        return float((raw - _dt.date(1899, 12, 30)).days)
    return None


def sheet_unspaced(raw: Any) -> str:
    """SUBSTITUTE(cell," ","") as text: the cell's text without plain spaces (other whitespace stays)."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    text = raw if isinstance(raw, str) else str(raw)
    return text.replace(" ", "")


def _dashes() -> frozenset:
    from .values import _DASHES
    return _DASHES


def sheet_count(raw: Any) -> float | None:
    """A count cell as the template's formulas read it: a number, 0 for a blank or a lone dash
    (plain spaces aside), else None (text the formulas do not compute with)."""
    x = sheet_number(raw)
    if x is not None:
        return x
    t = sheet_unspaced(raw)
    if t == "" or t in _dashes():
        return 0.0
    return None


def sheet_operator(raw: Any) -> str:
    """The plan condition as the status formula reads it: "le" when LOWER(SUBSTITUTE(cell," ","")) is one
    of the "at most" spellings, else "eq" (which the formula treats like "ge")."""
    from .template import _at_most_texts   # the very list the formula carries
    return "le" if sheet_unspaced(raw).lower() in _at_most_texts() else "eq"


def spreadsheet(report) -> dict[str, Any]:
    """Every formula cell as the template's formula computes it from the report's raw cells, in the
    shape of compute(): single cells name -> value (None for ""), table columns name -> {row: value}."""
    raw = report.raw
    out: dict[str, Any] = {}

    def field_value(name: str, cell_raw: Any, for_sum: bool = False):
        if name in out:
            return out[name]
        f = form.FIELD.get(name)
        if f is not None and f.type == "count" and not for_sum:
            return sheet_count(cell_raw)
        return sheet_number(cell_raw)

    def single(c: form.Computed) -> Any:
        if c.kind == "column_sum":
            table = form.TABLE_OF[c.args[0]]
            return sum(sheet_number(r.raw.get(c.args[0])) or 0.0 for r in report.tables.get(table.key, []))
        args = [field_value(a, raw.get(a), for_sum=c.kind == "sum") for a in c.args]
        if c.kind == "sum":
            return sum(a for a in args if a is not None)
        if c.kind == "diff":
            return (args[0] or 0.0) - (args[1] or 0.0)
        if c.kind == "percent":
            return percent(args[0], args[1])
        if c.kind == "ref":
            return args[0]
        raise ValueError(f"unknown kind {c.kind}")

    for c in form.COMPUTED:
        table = form.TABLE_OF.get(c.name)
        if table is None:
            out[c.name] = single(c)
            continue
        per_row = {}
        for row in report.tables.get(table.key, []):
            r = row.raw
            if c.kind == "percent":
                per_row[row.index] = percent(field_value(c.args[0], r.get(c.args[0])),
                                             field_value(c.args[1], r.get(c.args[1])))
            elif c.kind == "status":
                fact, plan = sheet_number(r.get(c.args[0])), sheet_number(r.get(c.args[1]))
                if plan is None:
                    per_row[row.index] = None
                elif fact is None:
                    per_row[row.index] = "no_fact" if sheet_unspaced(r.get(c.args[0])) == "" else None
                else:
                    per_row[row.index] = status(fact, plan, sheet_operator(r.get(c.args[2])))
        out[c.name] = per_row
    return out
