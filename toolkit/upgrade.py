"""Carry a workbook made from an older template into the current one (`esep upgrade`).

Every input value is copied exactly as typed: text stays text (digits, thresholds, a date typed as text),
numbers stay numbers, dates stay dates; a narrative typed into one cell is spread over the new
template's cells at its line breaks, so it reads back as the same text. What cannot be carried (a value
typed over a formula, a sheet of the NGO's own, a value of a kind a cell cannot hold) is listed. The old
workbook is only read; the new one is written atomically next to it (or where asked).
"""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import form, reader
from .findings import Finding


@dataclass
class Dropped:
    """One thing of the old workbook the new one does not carry."""
    what: str                 # "formula" | "sheet" | "value"
    sheet: str | None
    cell: str | None
    value: object = None
    name: str | None = None   # field or formula name

    def message(self, lang: str) -> str:
        text = DROPPED[self.what].get(lang if lang in ("kk", "ru") else "en")
        where = f"{self.sheet}!{self.cell}" if self.cell else (self.sheet or "")
        return text.format(where=where, value=self.value, label=form.label(self.name, lang) if self.name else "")


DROPPED = {
    "formula": form.Text(
        "{where} («{label}»): формула орнына жазылған «{value}» мәні көшірілмеді, жаңа үлгіде мұнда формула тұр.",
        "{where} («{label}»): значение «{value}», набранное поверх формулы, не перенесено: в новом шаблоне "
        "здесь формула.",
        "{where} ({label}): «{value}» typed over a formula was not carried; the new template has the formula."),
    "sheet": form.Text(
        "«{where}» парағы үлгіде жоқ, көшірілмеді: қажет болса, оның мазмұнын қолмен көшіріңіз.",
        "Лист «{where}» не из шаблона и не перенесён: при необходимости перенесите его содержимое вручную.",
        "Sheet «{where}» is not part of the template and was not carried; copy it by hand if needed."),
    "value": form.Text(
        "{where} («{label}»): «{value}» мәнін жаңа үлгіге жазу мүмкін болмады, қолмен енгізіңіз.",
        "{where} («{label}»): значение «{value}» не удалось записать в новый шаблон, введите его вручную.",
        "{where} ({label}): «{value}» could not be written into the new template; type it in by hand."),
}


@dataclass
class UpgradeResult:
    path: str
    report: reader.Report
    output: str | None = None
    dropped: list[Dropped] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)   # why nothing was written, when so
    current: bool = False                                     # already the current template

    @property
    def written(self) -> bool:
        return self.output is not None


def output_path(path, out_dir=None) -> Path:
    """`<name>.v<version>.xlsx` next to the old workbook, or in out_dir."""
    path = Path(path)
    return (Path(out_dir) if out_dir else path.parent) / f"{path.stem}.v{form.TEMPLATE_VERSION}.xlsx"


_WRITABLE = (str, int, float, bool, _dt.date, _dt.datetime)


def upgrade(path, target=None, out_dir=None, password: str | None = None) -> UpgradeResult:
    """Write the old workbook's inputs into the current template at `target` (default output_path)."""
    from .template import write_template

    report = reader.read(path, unknown_versions=form.CURRENT_LAYOUT)
    result = UpgradeResult(str(path), report)
    if not report.readable:
        result.findings = [f for f in report.findings if f.code in ("file-unreadable", "template-unknown")]
        return result
    if report.template_version == form.TEMPLATE_VERSION:
        result.current = True
        return result
    target = Path(target) if target else output_path(path, out_dir)
    if os.path.abspath(target) == os.path.abspath(path):
        raise ValueError("the upgraded workbook would overwrite the old one")
    singles: dict = {}
    for f in form.SINGLE_FIELDS:
        if f.name not in report.where:
            continue
        raw = report.parts.get(f.name, report.raw.get(f.name))
        if isinstance(raw, list):
            raw = [_carry(result, v, report, f.name) for v in raw]
            raw = raw if any(v is not None for v in raw) else None
        else:
            raw = _carry(result, raw, report, f.name)
        if raw is not None:
            singles[f.name] = raw
    tables: dict = {}
    for table in form.TABLES:
        rows = report.tables.get(table.key, [])
        if not rows:
            continue
        out = [{} for _ in range(max(r.index for r in rows))]   # empty rows keep their place
        for row in rows:
            out[row.index - 1] = {name: v for name, raw in row.raw.items()
                                  if (v := _carry(result, raw, report, name, row)) is not None}
        tables[table.key] = out
    for fc in report.formulas:
        if not fc.has_formula and fc.cached not in (None, ""):
            result.dropped.append(Dropped("formula", fc.sheet, fc.cell, fc.cached, fc.name))
    titles = {report.layout.sheet_title(s.key, lang) for s in form.SHEETS for lang in form.LANGS}
    for title in report.sheet_titles or []:
        if title not in titles:
            result.dropped.append(Dropped("sheet", title, None))
    write_template(target, lang=report.lang or "kk", password=password,
                   data={"singles": singles, "tables": tables}, check_url=report.check_url, iso_dates=False)
    result.output = str(target)
    return result


def _carry(result: UpgradeResult, raw, report, name: str, row=None):
    """A raw value as the template writer takes it; None for blank; listed when it cannot be written."""
    if raw is None or (isinstance(raw, str) and raw == ""):
        return None
    if isinstance(raw, _WRITABLE):
        return raw
    sheet, cell = (report.table_sheet.get(form.TABLE_OF[name].key), row.cells.get(name)) if row else \
        report.where.get(name, (None, None))
    result.dropped.append(Dropped("value", sheet, cell, raw, name))
    return None
