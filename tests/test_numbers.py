"""Issue #10, numbers you can trust (no spreadsheet program needed here; tests/test_engines.py runs
LibreOffice and Gnumeric): cached results that are stale in every way, inputs the formulas read
differently from esep, and the spreadsheet model of the formulas."""
from __future__ import annotations

import re

import pytest

import builders
from toolkit import compute, form, reader, validation
from toolkit.template import write_template


def _data(ind_changes=None):
    singles = builders.clean_singles()
    tables = builders.clean_tables()
    for (row, name), value in (ind_changes or {}).items():
        tables["ind"][row][name] = value
    return {"singles": singles, "tables": tables}


def _cell(name: str, row: int | None = None) -> str:
    item = form.FIELD.get(name) or form.COMPUTED_BY_NAME[name]
    if row is None:
        return item.cell
    letters = item.cell.rstrip("0123456789")
    return f"{letters}{form.TABLE_OF[name].first_row + row - 1}"


def _patch_cell(path, sheet_part: str, cell: str, new_tail: str):
    """Replace what follows the <f> of formula cell `cell` (its cached result) by `new_tail`; new_tail may
    set a type with a leading 't="..."|'."""
    def patch(xml: bytes) -> bytes:
        text = xml.decode("utf-8")
        m = re.search(rf'<c r="{cell}"([^>]*)>(<f>.*?</f>)(.*?)</c>', text)
        assert m, cell
        attrs = re.sub(r'\st="[^"]*"', "", m.group(1))
        kind, _, tail = new_tail.rpartition("|")
        if kind:
            attrs += f" {kind}"
        return (text[:m.start()] + f'<c r="{cell}"{attrs}>{m.group(2)}{tail}</c>' + text[m.end():]).encode()
    builders.patch_parts(path, {sheet_part: patch})


def _sheet_part(lang: str, sheet_key: str) -> str:
    from toolkit import package
    path = builders.template_path(lang)
    with package.open_package(path) as pkg:
        return pkg.sheet(form.sheet_title(sheet_key, lang)).part


def _codes_at(result, code):
    return {(f.cell, f.row) for f in result.findings if f.code == code}


# cached-value-stale ------------------------------------------------------------------------------------

def test_cached_blank_error_or_invented_number_is_stale(tmp_path):
    path = write_template(tmp_path / "r.xlsx", "kk", data=_data())
    assert not _codes_at(validation.check(path), "cached-value-stale")
    part = _sheet_part("kk", "indicators")
    n6, n7, n20 = _cell("calc_ind_percent", 1), _cell("calc_ind_percent", 2), _cell("calc_ind_percent", 15)
    _patch_cell(path, part, n6, 't="e"|<v>#NUM!</v>')           # error where esep computes 100
    _patch_cell(path, part, n7, 't="str"|<v></v>')              # blank where esep computes 100.33…
    _patch_cell(path, part, n20, "<v>105</v>")                  # a number where the line is empty
    result = validation.check(path)
    stale = {f.cell: f for f in result.findings if f.code == "cached-value-stale"}
    assert set(stale) == {n6, n7}              # row 15 is empty: its formula cell is not read
    assert stale[n6].value == "#NUM!" and stale[n6].expected == 100
    assert stale[n7].expected == pytest.approx(602 / 600 * 100)


def test_cached_number_where_the_formula_computes_nothing_is_stale(tmp_path):
    # Line 1 has a threshold plan: the formula shows "" (text is not a number); a cached 100 is invented.
    path = write_template(tmp_path / "r.xlsx", "kk", data=_data({(0, "ind_plan"): "кемінде 10"}))
    part = _sheet_part("kk", "indicators")
    n6 = _cell("calc_ind_percent", 1)
    assert not _codes_at(validation.check(path), "cached-value-stale")
    _patch_cell(path, part, n6, "<v>100</v>")
    f = next(f for f in validation.check(path).findings if f.code == "cached-value-stale")
    assert (f.cell, f.value, f.expected) == (n6, 100, "")


def test_a_file_without_any_results_is_not_stale(tmp_path):
    """openpyxl writes formulas with no result: every spreadsheet computes them on opening."""
    path = builders.clean(tmp_path / "r.xlsx")
    assert not _codes_at(validation.check(path), "cached-value-stale")


def test_gnumeric_num_error_of_an_old_template_is_stale(tmp_path):
    path = write_template(tmp_path / "r.xlsx", "kk", data=_data())
    part = _sheet_part("kk", "stats")
    b8 = _cell("calc_stats_gender_diff")
    _patch_cell(path, part, b8, 't="e"|<v>#NUM!</v>')
    f = next(f for f in validation.check(path).findings if f.code == "cached-value-stale")
    assert (f.cell, f.value, f.expected) == (b8, "#NUM!", 0)


# formula-differs ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("row, name, typed, why_word", [
    (1, "ind_plan", "80%-дан кем емес", "Жоспар шарты"),   # threshold: type the number, choose the condition
    (1, "ind_plan", "10", "тек санды"),                    # text number
    (1, "ind_fact", "6\u00a0020", "тек санды"),            # no-break space
    (1, "ind_fact", "\u00a0", "Delete"),                  # looks blank
    (2, "ind_operator", "аспайды\u00a0(≤)", "тізімінен"),  # hand-typed condition, 602 against at most 600
])
def test_an_input_the_formulas_read_differently_is_named(tmp_path, row, name, typed, why_word):
    path = write_template(tmp_path / "r.xlsx", "kk", data=_data({(row - 1, name): typed}))
    result = validation.check(path)
    hits = [f for f in result.findings if f.code == "formula-differs"]
    assert [(f.field, f.row, f.cell, f.severity) for f in hits] == [(name, row, _cell(name, row), "warning")]
    assert why_word in hits[0].message("kk")
    assert hits[0].message("ru") and "«" in hits[0].message("ru")
    # The workbook's cached (= a spreadsheet's) result really differs from esep's on that line.
    model = compute.spreadsheet(result.report)
    assert (model["calc_ind_percent"][row], model["calc_ind_status"][row]) != (
        result.calc["calc_ind_percent"][row], result.calc["calc_ind_status"][row])


def test_a_hand_typed_condition_that_changes_nothing_is_not_named(tmp_path):
    # 10 against exactly 10: "at most" and "=" give the same status, so nothing differs.
    path = write_template(tmp_path / "r.xlsx", "kk", data=_data({(0, "ind_operator"): "аспайды\u00a0(≤)"}))
    assert not [f for f in validation.check(path).findings if f.code == "formula-differs"]


def test_inputs_the_formulas_read_alike_are_not_named(tmp_path):
    data = _data({(0, "ind_operator"): "  НЕ  БОЛЕЕ  ", (1, "ind_operator"): "≥"})
    data["singles"].update(stats_cat_children="-", stats_cat_disabled=" – ", impact_staff_plan=None)
    result = validation.check(write_template(tmp_path / "r.xlsx", "kk", data=data))
    assert not [f for f in result.findings if f.code == "formula-differs"]


def test_text_numbers_in_sums_and_budget_are_named(tmp_path):
    data = _data()
    data["singles"].update(grant_amount="7 000 000", stats_male="689", impact_taxes_fact="38\u00a0100")
    data["tables"]["subgrant"][0]["subgrant_amount"] = "300 000"
    result = validation.check(write_template(tmp_path / "r.xlsx", "kk", data=data))
    named = {(f.field, f.row) for f in result.findings if f.code == "formula-differs"}
    assert named == {("grant_amount", None), ("stats_male", None), ("impact_taxes_fact", None),
                     ("subgrant_amount", 1)}


def test_spreadsheet_model_of_counts_and_conditions():
    assert compute.sheet_count(None) == 0 and compute.sheet_count(" - ") == 0 and compute.sheet_count("—") == 0
    assert compute.sheet_count("\u00a0") is None and compute.sheet_count("12") is None
    assert compute.sheet_count(12.0) == 12
    assert compute.sheet_operator(" НЕ БОЛЕЕ ") == "le" and compute.sheet_operator("аспайды (≤)") == "le"
    assert compute.sheet_operator("аспайды\u00a0(≤)") == "eq" and compute.sheet_operator(None) == "eq"
    assert compute.sheet_number(True) is None and compute.sheet_number("5") is None


def test_examples_carry_the_results_a_spreadsheet_computes():
    """The generator writes compute.spreadsheet's results; tests/test_engines.py checks them in LibreOffice
    and Gnumeric. Here: no stale cached value in any shipped example or template."""
    import sys
    sys.path.insert(0, str(builders.TEMPLATES))
    import make_examples
    paths = [make_examples.EXAMPLES / make_examples.load(p)["file"] for p in make_examples.data_files()]
    paths += [builders.template_path("kk"), builders.template_path("ru")]
    for path in paths:
        report = reader.read(path)
        if not report.readable:
            continue
        assert not _codes_at(validation.check(path), "cached-value-stale"), path.name
