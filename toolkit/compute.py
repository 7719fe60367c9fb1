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
