"""Template versions are a list: every accepted version is read at its own cells (tests/fixtures holds the
workbooks each released version wrote); any other version is refused with the way out (`esep upgrade`)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import builders
from toolkit import form, reader
from toolkit.package import open_package
from toolkit.validation import validate

FIXTURES = Path(__file__).resolve().parent / "fixtures"
V100 = FIXTURES / "template-1.0.0"
V100_TEMPLATES = sorted(V100.glob("*.xlsx"))
V100_EXAMPLES = sorted((V100 / "examples").glob("*.xlsx"))
CURRENT_EXAMPLES = builders.ROOT / "workbook_templates" / "examples"


def _ids(paths):
    return [p.name for p in paths]


def _key(f):
    return (f.code, f.severity, f.field, f.row, repr(f.value), repr(f.expected))


def test_accepted_versions():
    assert form.TEMPLATE_VERSION == "1.1.0"
    assert list(form.LAYOUTS) == ["1.0.0", "1.1.0"]
    assert form.layout("") is form.CURRENT_LAYOUT and form.layout("2.0.0") is None
    # The new signature fields are 1.1.0's; 1.0.0 has every other named cell.
    assert set(form.CURRENT_LAYOUT.places) - set(form.LAYOUT_1_0_0.places) >= {
        "sign_position", "sign_name", "sign_date"}


@pytest.mark.parametrize("path", V100_TEMPLATES, ids=_ids(V100_TEMPLATES))
def test_frozen_layout_is_what_1_0_0_wrote(path):
    """The 1.0.0 layout literal in form.py is exactly the defined names of the released templates."""
    with open_package(path) as pkg:
        names = {n: reader.resolve_ref(ref) for n, ref in pkg.names.items() if not n.startswith("lst_")}
    layout = form.LAYOUT_1_0_0
    assert set(names) == set(layout.places)
    lang = "kk" if path.name.endswith("_kk.xlsx") else "ru"
    for name, (title, ref) in names.items():
        key, first, last = layout.place(name)
        assert title == layout.sheet_title(key, lang)
        assert ref.replace("$", "") == (f"{first}:{last}" if last else first), name


@pytest.mark.parametrize("path", V100_EXAMPLES, ids=_ids(V100_EXAMPLES))
def test_1_0_0_examples_read_exactly(path):
    """A 1.0.0 workbook is read with a template-outdated warning and otherwise exactly as the same data
    written into the current template: same values, same findings."""
    old = validate(path)
    new = validate(CURRENT_EXAMPLES / path.name)
    outdated = [f for f in old.findings if f.code == "template-outdated"]
    assert len(outdated) == 1 and outdated[0].severity == "warning"
    assert (outdated[0].sheet, outdated[0].cell, outdated[0].value) == ("_meta", "B2", "1.0.0")
    assert "esep upgrade" in outdated[0].message("kk") and "esep upgrade" in outdated[0].message("ru")
    assert old.report.layout is form.LAYOUT_1_0_0 and new.report.layout is form.CURRENT_LAYOUT
    # The frozen 1.0.0 files keep the cached results the old generator wrote (esep's tolerant reading, e.g.
    # 105 % for a threshold plan that no spreadsheet computes): cached-value-stale says so there, by design.
    old_findings = (f for f in old.findings if f.code not in ("template-outdated", "cached-value-stale"))
    assert sorted(map(_key, old_findings)) == sorted(map(_key, new.findings))
    inputs = [f.name for f in form.SINGLE_FIELDS if form.LAYOUT_1_0_0.has(f.name)]
    assert len(inputs) > 60
    for name in inputs:
        assert old.report.values.get(name) == new.report.values.get(name), name
    for key, rows in new.report.tables.items():
        assert [r.values for r in old.report.tables[key]] == [r.values for r in rows]
    for name in ("sign_position", "sign_name", "sign_date"):
        assert name not in old.report.where        # not read: 1.0.0 has no such cells


def _drop_names(path: Path) -> None:
    def strip(xml: bytes) -> bytes:
        text = xml.decode()
        text, n = re.subn(r'<definedName name="(?!_xlnm)[^"]*"[^>]*>[^<]*</definedName>', "", text)
        assert n > 100
        return text.encode()
    builders.patch_parts(path, {"xl/workbook.xml": strip})


def test_1_0_0_without_names_is_read_at_its_own_cells(tmp_path):
    src = V100 / "examples" / "final_report_2024_kk.xlsx"
    broken = tmp_path / "names_gone.xlsx"
    broken.write_bytes(src.read_bytes())
    _drop_names(broken)
    with open_package(broken) as pkg:
        assert not any(n in pkg.names for n in form.LAYOUT_1_0_0.places)
    old, gone = validate(src), validate(broken)
    assert "names-missing" in builders.codes(gone)
    assert gone.report.values == old.report.values
    assert gone.report.where == old.report.where
    for key, rows in old.report.tables.items():
        assert [r.values for r in gone.report.tables[key]] == [r.values for r in rows]


@pytest.mark.parametrize("version", ["0.9.0", "1.0.1", "1.2.0", "2.0.0", "1.1"])
def test_unknown_version_is_refused_with_the_way_out(tmp_path, version):
    def edit(wb):
        wb["_meta"]["B2"] = version
    out = builders.fill(tmp_path / "r.xlsx", builders.clean_singles(), builders.clean_tables(), edit=edit)
    result = validate(out)
    assert builders.codes(result) == ["template-unknown"] and not result.valid
    f = result.findings[0]
    assert f.value == version and f.expected == "1.1.0"
    for lang in ("kk", "ru", "en"):
        message = f.message(lang)
        assert "1.1.0" in message and "esep upgrade" in message and version in message
    assert "copy your data into template 1.1.0 (`esep upgrade`)" in f.message("en")


# Template 1.1.0: a narrative typed over several cells ------------------------------------------------------

def test_narrative_over_cells_is_one_text(tmp_path):
    from toolkit.template import write_template
    f = form.FIELD["text_activities"]
    assert form.spread(f) == form.NARRATIVE_ROWS
    long_part = "сөз " * 650                                   # 2 600 characters, one paragraph
    parts = ["Бірінші бөлім.\nЕкінші жол.", None, long_part, "  ", "Соңы."]
    out = write_template(tmp_path / "r.xlsx", "kk", data={"singles": {"text_activities": parts}})
    report = reader.read(out)
    joined = "\n".join(["Бірінші бөлім.\nЕкінші жол.", long_part, "Соңы."])   # blank cells left out
    assert report.raw["text_activities"] == joined
    assert report.values["text_activities"] in (joined, joined.strip())
    assert report.where["text_activities"] == (form.sheet_title("narratives", "kk"), f.cell)
    first_row = int(f.cell[1:])
    overflow = [x for x in report.findings if x.code == "text-overflows-print"]
    assert [(x.cell, x.field, x.value, x.expected, x.severity) for x in overflow] == [
        (f"B{first_row + 2}", "text_activities", len(long_part), form.NARRATIVE_CELL_CHARS, "warning")]
    assert "2 600" in overflow[0].message("ru") and "1 500" in overflow[0].message("kk")


def test_long_text_is_split_at_line_breaks_and_read_back_exactly(tmp_path):
    from toolkit.template import write_template
    text = "\n".join(f"{i}-абзац. " + "мәтін " * 120 for i in range(12))     # ~ 8 700 characters
    out = write_template(tmp_path / "r.xlsx", "ru", data={"singles": {"text_results": text}})
    report = reader.read(out)
    assert report.raw["text_results"] == text
    parts = [p for p in report.parts["text_results"] if p]
    assert len(parts) > 1 and all(len(p) <= form.NARRATIVE_CELL_CHARS for p in parts)
    assert "text-overflows-print" not in builders.codes(report)
