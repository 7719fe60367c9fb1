"""A round checked against its roster: which roster row each report answers, who is missing, who is late,
and where a report's header disagrees with the grant agreement.

Pure data in, data out: the register gathers one Head per file (header values, where they are, when the
file was received) and gets back findings per file and one status per roster row.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from . import form, values
from .findings import Finding
from .roster import Entry, Roster

RECEIPT_SUFFIX = ".receipt.json"
MAX_RECEIPT_BYTES = 64 * 1024

# Field -> severity of a roster-mismatch: what identifies the grant or its money must agree; the period
# and region are likely typos an operator should look at; names differ in wording all the time.
SEVERITY = {"org_bin": "error", "agreement_no": "error", "agreement_date": "error", "grant_amount": "error",
            "period_start": "warning", "period_end": "warning", "region": "warning",
            "org_name": "info", "project_name": "info"}


@dataclass
class Head:
    """One read workbook as the round sees it."""
    index: int
    source: str
    status: str                                   # valid / invalid / unreadable (before the roster)
    values: dict[str, Any]                        # header field -> value (codes for drop-downs)
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)   # field -> (sheet, A1)
    received_at: _dt.datetime | None = None
    received_from: str = "file-time"              # "receipt" or "file-time"

    @property
    def report_type(self) -> str:
        t = self.values.get("report_type")
        return t if t in ("final", "interim") else "final"

    @property
    def bin(self) -> str:
        return str(self.values.get("org_bin") or "")

    @property
    def agreement(self) -> str:
        return values.agreement_key(self.values.get("agreement_no"))


@dataclass
class Outcome:
    """The round: findings per file index, and per roster entry the index of the file that answers it."""
    findings: dict[int, list[Finding]] = field(default_factory=dict)
    answer: dict[int, int] = field(default_factory=dict)          # entry position -> file index
    matched: dict[int, int] = field(default_factory=dict)         # file index -> entry position


def received(path, sha256: str) -> tuple[_dt.datetime | None, str]:
    """When a file arrived: the intake receipt's received_at (local time) when a sidecar beside it
    names the same SHA-256, else the file's modification time. (time, "receipt" | "file-time")."""
    for sidecar in _sidecars(str(path)):
        at = _receipt_time(sidecar, sha256)
        if at is not None:
            return at, "receipt"
    try:
        return _dt.datetime.fromtimestamp(os.path.getmtime(path)).replace(microsecond=0), "file-time"
    except (OSError, ValueError, OverflowError):
        return None, "file-time"


def _sidecars(path: str) -> list[str]:
    base, ext = os.path.splitext(path)
    return [path + RECEIPT_SUFFIX, base + RECEIPT_SUFFIX]


def _receipt_time(sidecar: str, sha256: str) -> _dt.datetime | None:
    """A receipt is trusted only for its own file: valid JSON, small, the same SHA-256, a UTC time."""
    try:
        if not os.path.isfile(sidecar) or os.path.getsize(sidecar) > MAX_RECEIPT_BYTES:
            return None
        with open(sidecar, "rb") as fh:
            data = json.loads(fh.read().decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not sha256 or data.get("sha256") != sha256:
        return None
    text = data.get("received_at")
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z", text):
        return None
    try:
        at = _dt.datetime.fromisoformat(text[:-1]).replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        return None
    return at.astimezone().replace(tzinfo=None, microsecond=0)


def on_time(entry: Entry, at: _dt.datetime | None) -> bool | None:
    if at is None:
        return None
    return at.date() <= entry["due_date"]


def check(roster: Roster, heads: list[Head], current: set[int], lang: str) -> Outcome:
    """Match every readable file to its roster entry; findings for mismatches and strangers."""
    out = Outcome()
    entries = roster.entries
    by_key: dict[tuple, int] = {e.key: k for k, e in enumerate(entries)}
    by_grant: dict[tuple, list[int]] = {}
    by_agreement: dict[str, list[int]] = {}
    by_bin: dict[str, list[int]] = {}
    for k, e in enumerate(entries):
        by_grant.setdefault(e.key[:2], []).append(k)
        by_agreement.setdefault(e.key[1], []).append(k)
        by_bin.setdefault(e.key[0], []).append(k)
    candidates: dict[int, list[tuple[int, int]]] = {}    # entry -> [(tier, file index)]
    for head in heads:
        if head.status == "unreadable" or not head.values:
            continue
        k, tier = _match(head, by_key, by_grant, by_agreement, by_bin, entries)
        found: list[Finding] = []
        if k is None:
            sheet, cell = head.cells.get("org_bin", (None, None))
            found.append(Finding("not-in-roster", sheet=sheet, cell=cell, field="org_bin",
                                 value=head.values.get("org_bin"),
                                 params={"bin": head.bin or "—", "agreement": head.values.get("agreement_no") or "—"}))
        else:
            out.matched[head.index] = k
            entry = entries[k]
            found.extend(_mismatches(head, entry, lang))
            if entry.report_type == head.report_type and head.index in current:
                candidates.setdefault(k, []).append((tier, head.index))
        if found:
            out.findings[head.index] = found
    times = {h.index: h.received_at for h in heads}
    for k, found in candidates.items():
        # The exact match first; among equals the latest arrival (it replaced the others).
        tier, index = min(found, key=lambda ti: (ti[0], -_stamp(times.get(ti[1])), -ti[1]))
        out.answer[k] = index
    return out


def _stamp(at: _dt.datetime | None) -> float:
    return at.timestamp() if at is not None else float("-inf")


def _match(head: Head, by_key, by_grant, by_agreement, by_bin, entries) -> tuple[int | None, int]:
    """(entry position, tier): 0 the exact key; 1 the same grant, another report type (an interim report
    of a grant whose final is expected); 2 the agreement number alone or 3 the BIN alone when that
    names one grant (a typo in the other: the mismatch finding says which)."""
    k = by_key.get((head.bin, head.agreement, head.report_type))
    if k is not None:
        return k, 0
    same = by_grant.get((head.bin, head.agreement))
    if same:
        return same[0], 1
    for tier, group in ((2, by_agreement.get(head.agreement) if head.agreement else None),
                        (3, by_bin.get(head.bin) if head.bin else None)):
        if not group:
            continue
        grants = {entries[k].key[:2] for k in group}
        if len(grants) == 1:
            typed = [k for k in group if entries[k].report_type == head.report_type]
            return (typed or group)[0], tier
    return None, 0


def _mismatches(head: Head, entry: Entry, lang: str) -> list[Finding]:
    out = []
    for name, severity in SEVERITY.items():
        typed, want = head.values.get(name), entry[name]
        if _same(name, typed, want):
            continue
        sheet, cell = head.cells.get(name, (None, None))
        expected = form.option_label("region", want, lang) if name == "region" else want
        shown = form.option_label("region", typed, lang) if name == "region" and typed else typed
        out.append(Finding("roster-mismatch", severity=severity, sheet=sheet, cell=cell, field=name,
                           value=shown, expected=expected))
    return out


def _same(name: str, typed, want) -> bool:
    if name == "agreement_no":
        return values.agreement_key(typed) == values.agreement_key(want)
    if name == "grant_amount":
        return isinstance(typed, (int, float)) and not isinstance(typed, bool) and abs(typed - want) < 0.5
    if name in ("agreement_date", "period_start", "period_end"):
        if isinstance(typed, _dt.datetime):
            typed = typed.date()
        return typed == want
    if name in ("org_name", "project_name"):
        return loose_name(typed) == loose_name(want)
    return typed == want


# Legal-form words and their abbreviations (kk/ru) that one NGO writes and another leaves out.
_LEGAL_FORMS = (
    "қоғамдық бірлестігі", "қоғамдық бірлестік", "қоғамдық қоры", "қоғамдық қор", "жеке мекемесі",
    "общественное объединение", "общественный фонд", "частное учреждение", "объединение юридических лиц",
    "некоммерческое акционерное общество", "корпоративный фонд",
    "қб", "ққ", "оо", "оф", "ко", "чу", "оюл", "ксф", "зұб", "жм", "кф", "ао", "тоо", "жшс",
)
_QUOTES = "«»\"“”„‟'’`‘"


def loose_name(text) -> str:
    """A name compared forgivingly: case, quotes, punctuation, spaces and legal-form words ignored."""
    if text is None:
        return ""
    s = str(text).casefold().replace("ё", "е")
    s = s.translate({ord(c): " " for c in _QUOTES + ".,;:()-–—/\\"})
    s = " ".join(s.split())
    for word in _LEGAL_FORMS:
        s = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", " ", s)
    return " ".join(s.split())
