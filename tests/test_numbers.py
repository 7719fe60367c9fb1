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


# Names that lie ----------------------------------------------------------------------------------------

def _repoint(changes: dict):
    """An openpyxl edit: name -> function(old ref text) -> new ref text."""
    def edit(wb):
        for name, fn in changes.items():
            dn = wb.defined_names[name]
            dn.attr_text = fn(dn.attr_text)
    return edit


def _filled(tmp_path, changes):
    return validation.check(builders.fill(tmp_path / "r.xlsx", builders.clean_singles(), builders.clean_tables(),
                                          edit=_repoint(changes)))


def test_a_name_pointed_at_another_column_is_named_and_the_layout_is_read(tmp_path):
    """The issue's case: ind_fact -> the plan column. Without the check esep read the plans as facts."""
    result = _filled(tmp_path, {"ind_fact": lambda r: r.replace("$M$", "$L$")})
    moved = [f for f in result.findings if f.code == "name-moved"]
    assert [(f.field, f.cell, f.severity) for f in moved] == [("ind_fact", "M6", "warning")]
    assert "$L$6:$L$155" in moved[0].value and moved[0].expected.endswith("!M6:M155")
    assert "Атаулар диспетчері" in moved[0].message("kk") and "Диспетчер имён" in moved[0].message("ru")
    facts = [r.values["ind_fact"] for r in result.report.tables["ind"]]
    assert facts == [10, 602, 84, 20]            # the facts, not the plans (10, 600, 80, 20)


def test_names_pointed_at_another_sheet_or_field_are_named(tmp_path):
    header = form.sheet_title("header", "kk")
    stats = form.sheet_title("stats", "kk")
    result = _filled(tmp_path, {
        "grant_amount": lambda r: r.replace("$B$19", "$B$5"),                 # onto agreement_no's cell
        "stats_male": lambda r: f"'{header}'!$B$6",                          # another sheet
        "stats_female": lambda r: r.replace("$B$", "$C$"),                   # another column
    })
    moved = {f.field: f for f in result.findings if f.code == "name-moved"}
    assert set(moved) == {"grant_amount", "stats_male", "stats_female"}
    v = result.report.values
    assert (v["grant_amount"], v["stats_male"], v["stats_female"]) == (7000000, 689, 387)
    assert moved["stats_male"].sheet == stats and moved["stats_male"].cell == form.FIELD["stats_male"].cell
    assert not [f for f in result.findings if f.code in ("gender-sum", "names-missing")]


def test_names_excel_moved_together_keep_working(tmp_path):
    """Rows inserted inside a table (every column one longer) and a row inserted in the header (every name
    below it one lower) move names together: nothing is named, the values are where the names say."""
    def longer(r):
        return r.replace("$155", "$160") if "$155" in r else r

    def lower(row_from):
        def fn(r):
            m = re.search(r"\$B\$(\d+)$", r)
            return r[:m.start(1)] + str(int(m.group(1)) + 1) if m and int(m.group(1)) >= row_from else r
        return fn

    changes = {f.name: longer for f in form.INDICATORS.columns}
    changes.update({c.name: longer for c in form.INDICATORS.computed})
    result = _filled(tmp_path, changes)
    assert not [f for f in result.findings if f.code == "name-moved"]
    assert len(result.report.tables["ind"]) == 4
    header_names = {f.name: lower(12) for f in form.HEADER_FIELDS if f.sheet == "header"}
    result = _filled(tmp_path, header_names)
    assert not [f for f in result.findings if f.code == "name-moved"]


def test_a_moved_name_whose_shift_would_leave_the_sheet_is_read_from_the_template_cells(tmp_path):
    """Every later name of a sheet moved up together, and the first one re-pointed to another column: the
    shift the others agree on would put it above row 1. It is read from the template's own cells with a
    name-moved finding, never an internal error (seen on workbooks of an unreleased 1.1.0 layout)."""
    def up(rows):
        def fn(r):
            return re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) - rows}", r)
        return fn

    later = {name: up(10) for name, (key, first, _last) in form.CURRENT_LAYOUT.places.items()
             if key == "narratives" and name != "deviation_note"}
    result = _filled(tmp_path, {**later, "deviation_note": lambda r: r.replace("$B$", "$C$")})
    assert not [f for f in result.findings if f.code == "file-unreadable"]
    moved = [f for f in result.findings if f.code == "name-moved"]
    assert [(f.field, f.cell) for f in moved] == [("deviation_note", "B5")]
    assert moved[0].expected.endswith("!B5:B10")
    assert result.report.values["deviation_note"] == builders.clean_singles().get("deviation_note")


# Locks and sheets ----------------------------------------------------------------------------------------

def test_lost_locks_are_reported(tmp_path):
    """What a Gnumeric re-save does (tests/test_engines.py runs the real one): no structure protection,
    _lists and _meta visible, sheet protection without a password."""
    path = write_template(tmp_path / "r.xlsx", "kk", data=_data())
    assert not [f for f in validation.check(path).findings if f.code in ("workbook-unlocked", "sheets-changed")]

    def workbook(xml: bytes) -> bytes:
        xml = re.sub(rb"<workbookProtection[^>]*/>", b"", xml)
        return re.sub(rb'\sstate="(?:hidden|veryHidden)"', b"", xml)

    def no_password(xml: bytes) -> bytes:
        return re.sub(rb'\spassword="[^"]*"', b"", xml)

    builders.patch_parts(path, {"xl/workbook.xml": workbook, _sheet_part("kk", "indicators"): no_password})
    found = [f for f in validation.check(path).findings if f.code == "workbook-unlocked"]
    assert len(found) == 1 and found[0].severity == "info"
    kk, ru = found[0].message("kk"), found[0].message("ru")
    assert "құрылым" in kk and "_lists, _meta" in kk and form.sheet_title("indicators", "kk") in kk
    assert "структуры книги" in ru and "без пароля" in ru


def test_sheets_added_renamed_or_removed_are_reported(tmp_path):
    partners = form.sheet_title("partners", "kk")

    def rename(wb):
        wb[partners].title = "Серіктестер (2)"

    def add(wb):
        wb.create_sheet("Менің есептерім")

    renamed = validation.check(builders.fill(tmp_path / "a.xlsx", builders.clean_singles(),
                                             builders.clean_tables(), edit=rename))
    f = next(f for f in renamed.findings if f.code == "sheets-changed")
    assert (f.severity, f.expected, f.value) == ("warning", partners, "Серіктестер (2)")
    assert partners in f.message("ru") and "Верните" in f.message("ru")
    added = validation.check(builders.fill(tmp_path / "b.xlsx", builders.clean_singles(),
                                           builders.clean_tables(), edit=add))
    f = next(f for f in added.findings if f.code == "sheets-changed")
    assert (f.severity, f.value, f.expected) == ("info", "Менің есептерім", None)


# Narrative numbers ---------------------------------------------------------------------------------------

from toolkit import narrative  # noqa: E402


@pytest.mark.parametrize("text, kind, value, bound, total", [
    ("Бұл шараларға 1200-ден астам адам қатысты.", "people", 1200, "gt", False),
    ("Жалпы қатысушылардың саны 600 адамнан кем болмады.", "people", 600, "ge", True),
    ("в них участвовали более 1200 человек, цель превышена", "people", 1200, "gt", False),
    ("Всего участников – не менее 600 человек.", "people", 600, "ge", True),
    ("Семинарға 1 076 адам қатысты.", "people", 1076, "eq", False),
    ("барлығы 10 шағын грант бөлінді", "grants", 10, "eq", True),
    ("выдано не менее 10 малых грантов", "grants", 10, "ge", False),
    ("жоба құны 7,5 млн теңге болды", "money", 7_500_000, "eq", False),
    ("охвачено 300 косвенных бенефициаров", "indirect", 300, "eq", False),
])
def test_stated_counts(text, kind, value, bound, total):
    found = narrative.stated(text)
    assert [(s.kind, s.value, s.bound, s.total) for s in found] == [(kind, value, bound, total)]


@pytest.mark.parametrize("text", [
    "Әр ауданда 1 шағын грант берілді.",          # one per place
    "по 1 гранту в каждом районе",
    "шамамен 1500 адам қатысты",                   # about
    "около 1500 человек участвовали",
    "20-ға жуық іс-шара өтті",
    "Қанағаттану деңгейі 84%-ды құрады.",          # no unit
    "10.07.2024 жылы пресс-конференция өтті",
])
def test_figures_that_are_not_counts_are_left_alone(text):
    assert [s for s in narrative.stated(text) if s.kind in ("people", "grants")] == []


def _with_narrative(tmp_path, field, text, **singles):
    data = _data()
    data["singles"][field] = text
    data["singles"].update(singles)
    return validation.check(write_template(tmp_path / "r.xlsx", "kk", data=data))


@pytest.mark.parametrize("text, severity, value, expected", [
    ("Бұл шараларға 1200-ден астам адам қатысты.", "info", 1200, 1076),        # the seed's sentence
    ("Барлығы 1100 адам қатысты.", "warning", 1100, 1076),                     # a total the tables contradict
    ("Жобаға 2000 адам қатысты.", "info", 2000, 1076),                          # a part cannot exceed the whole
    ("Барлығы 3 шағын грант берілді.", "warning", 3, 1),
    ("Жоба құны 9 млн теңге.", "info", 9_000_000, 7_000_000),
])
def test_narrative_number_contradicted(tmp_path, text, severity, value, expected):
    result = _with_narrative(tmp_path, "text_results", text)
    found = [f for f in result.findings if f.code == "narrative-number"]
    assert [(f.severity, f.value, f.expected, f.field, f.cell) for f in found] == [
        (severity, value, expected, "text_results", form.FIELD["text_results"].cell)]
    assert text.split()[0] in found[0].message("ru") and "Сверьте" in found[0].message("ru")


@pytest.mark.parametrize("text", [
    "1000-нан астам адам қатысты.",                # more than 1 000: 1 076 is
    "Семинарға 50 адам қатысты.",                 # a part
    "Барлығы 1076 адам қатысты.",                 # the total, right
    "Ақпарат 20000-нан астам адамға жетті.",      # reached, not took part
    "1 шағын грант берілді, әр гранттың құны 300 000 теңге.",
])
def test_narrative_number_consistent(tmp_path, text):
    result = _with_narrative(tmp_path, "text_results", text)
    assert not [f for f in result.findings if f.code == "narrative-number"]


def test_the_seed_example_gets_the_1200_hint():
    import sys
    sys.path.insert(0, str(builders.TEMPLATES))
    import make_examples
    for data_file in make_examples.data_files():
        example = make_examples.load(data_file)
        if not data_file.name.startswith("seed_"):
            continue
        result = validation.check(make_examples.EXAMPLES / example["file"])
        found = [(f.severity, f.field, f.value, f.expected) for f in result.findings if f.code == "narrative-number"]
        assert found == [("info", "text_goal", 1200, 1076)], data_file.name


def test_sheets_of_a_workbook_without_its_language_are_judged_in_its_own_language(tmp_path):
    meta = next(f for f in form.META_FIELDS if f.name == "meta_lang")

    def no_lang(wb):
        wb["_meta"][meta.cell].value = None

    result = validation.check(builders.fill(tmp_path / "r.xlsx", builders.clean_singles(), builders.clean_tables(),
                                            lang="ru", edit=no_lang))
    assert result.report.lang is None
    assert not [f for f in result.findings if f.code == "sheets-changed"]
