"""`esep upgrade`: a workbook of an older template carried into the current one, every input exactly as typed,
validating with the same findings (except template-outdated); the old workbook untouched."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

import builders
import cli
from toolkit import form, reader
from toolkit.upgrade import output_path, upgrade
from toolkit.validation import check

V100 = Path(__file__).resolve().parent / "fixtures" / "template-1.0.0"
OLD_EXAMPLES = sorted((V100 / "examples").glob("*.xlsx"))


def _key(f):
    return (f.code, f.severity, f.field, f.row, repr(f.value), repr(f.expected))


def _typed(value):
    return (type(value).__name__, value)


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.mark.parametrize("path", OLD_EXAMPLES, ids=[p.name for p in OLD_EXAMPLES])
def test_frozen_examples_carry_over_exactly(tmp_path, path):
    before = _sha(path)
    res = upgrade(path, out_dir=tmp_path)
    assert res.written and Path(res.output) == output_path(path, tmp_path) and not res.dropped
    assert _sha(path) == before                                  # the input is only read
    old, new = check(path), check(res.output)
    assert new.template_version == form.TEMPLATE_VERSION and new.report.layout is form.CURRENT_LAYOUT
    assert sorted(map(_key, (f for f in old.findings if f.code != "template-outdated"))) == sorted(
        map(_key, new.findings))
    assert "template-outdated" in [f.code for f in old.findings]
    for name, raw in old.report.raw.items():                      # text stays text, dates stay dates
        assert _typed(new.report.raw[name]) == _typed(raw), name
    for key, rows in old.report.tables.items():
        assert [(r.index, {k: _typed(v) for k, v in r.raw.items()}) for r in rows] == [
            (r.index, {k: _typed(v) for k, v in r.raw.items()}) for r in new.report.tables[key]]
    long = old.report.raw["text_activities"]
    if long and len(long) > form.NARRATIVE_CELL_CHARS:                 # spread over the new cells
        assert len([p for p in new.report.parts["text_activities"] if p]) > 1


def test_text_stays_text_and_what_cannot_be_carried_is_listed(tmp_path):
    singles = builders.clean_singles()
    singles.update(agreement_date="2024-05-20", org_phone="87084013674", grant_amount="7 000 000")

    _, budget_cell, _ = form.LAYOUT_1_0_0.place("calc_budget_total")

    def edit(wb):
        impact = wb[form.LAYOUT_1_0_0.sheet_title("impact", "kk")]
        impact[budget_cell] = 123                # typed over calc_budget_total's formula
        wb.create_sheet("Менің жазбаларым")["A1"] = "ескерту"
    src = builders.fill(tmp_path / "old.xlsx", singles, builders.clean_tables(), edit=edit,
                        template=V100 / "final_report_kk.xlsx")
    res = upgrade(src, tmp_path / "new.xlsx")
    new = reader.read(res.output)
    assert new.raw["agreement_date"] == "2024-05-20"           # typed as text: still text
    assert new.raw["org_phone"] == "87084013674" and new.raw["grant_amount"] == "7 000 000"
    assert isinstance(new.raw["period_start"], (dt.date, dt.datetime))
    kinds = sorted((d.what, d.cell or d.sheet) for d in res.dropped)
    assert kinds == [("formula", budget_cell), ("sheet", "Менің жазбаларым")]
    for d in res.dropped:
        for lang in ("kk", "ru", "en"):
            assert d.message(lang)
    assert "123" in res.dropped[[d.what for d in res.dropped].index("formula")].message("ru")


def test_unknown_version_is_carried_by_its_names(tmp_path):
    def edit(wb):
        wb["_meta"]["B2"] = "1.7.0"
    src = builders.fill(tmp_path / "odd.xlsx", builders.clean_singles(), builders.clean_tables(), edit=edit)
    assert [f.code for f in check(src).findings] == ["template-unknown"]
    res = upgrade(src, out_dir=tmp_path)
    assert res.written
    new = check(res.output)
    assert new.report.values["org_name"] == builders.clean_singles()["org_name"]
    assert "template-unknown" not in [f.code for f in new.findings]


def test_cli(tmp_path):
    old = OLD_EXAMPLES[0]
    run = CliRunner().invoke(cli.cli, ["upgrade", str(old), "--out-dir", str(tmp_path)])
    assert run.exit_code == 0, run.output
    out = output_path(old, tmp_path)
    assert out.exists() and str(out) in run.output
    run = CliRunner().invoke(cli.cli, ["upgrade", str(out)])            # current already: nothing written
    assert run.exit_code == 0 and form.TEMPLATE_VERSION in run.output
    junk = tmp_path / "notes.xlsx"
    junk.write_text("no workbook")
    run = CliRunner().invoke(cli.cli, ["upgrade", str(junk), "--out-dir", str(tmp_path)])
    assert run.exit_code == 1 and "[file-unreadable]" in run.output
    run = CliRunner().invoke(cli.cli, ["upgrade", str(old), str(old), "-o", str(tmp_path / "x.xlsx")])
    assert run.exit_code == 2
