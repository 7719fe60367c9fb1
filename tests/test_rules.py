"""Every rule: a workbook filled from the template through its defined names, with exactly one thing
broken, gives that rule's code, severity and cell. A clean workbook gives nothing above info."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

import builders
from toolkit import form, rules
from toolkit.findings import CATALOGUE
from toolkit.validation import validate


def cell_of(name, lang="kk"):
    f = form.FIELD.get(name) or form.COMPUTED_BY_NAME[name]
    return form.sheet_title(f.sheet, lang), f.cell


def table_cell(name, row):
    f = form.FIELD[name]
    table = form.TABLE_OF[name]
    return form.sheet_title(table.sheet, "kk"), f"{f.cell.rstrip('0123456789')}{table.first_row + row - 1}"


def findings_for(result, code):
    return [f for f in result.findings if f.code == code]


def assert_finding(result, code, severity, sheet_cell, field=None, row=None):
    found = findings_for(result, code)
    assert found, f"{code} not found in {[f.code for f in result.findings]}"
    sheet, cell = sheet_cell
    match = [f for f in found if f.sheet == sheet and f.cell == cell]
    assert match, f"{code} at {[(f.sheet, f.cell) for f in found]}, expected {sheet}!{cell}"
    f = match[0]
    assert f.severity == severity
    if field:
        assert f.field == field
    if row is not None:
        assert f.row == row
    for lang in ("kk", "ru", "en"):
        text = f.message(lang)
        assert text and "{" not in text, text
    return f


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_clean_workbook_has_nothing_above_info(tmp_path, lang):
    result = validate(builders.clean(tmp_path / "clean.xlsx", lang=lang))
    assert result.readable and result.valid
    assert builders.above_info(result) == []
    assert result.lang == lang and result.template_version == form.TEMPLATE_VERSION


SINGLE_CASES = [
    # code, severity, changes, field whose cell carries the finding
    ("required-value", "error", {"org_name": None}, "org_name"),
    ("type-error", "error", {"grant_amount": "жеті миллион"}, "grant_amount"),
    # more digits than a spreadsheet keeps (this once crashed the recomputation with OverflowError)
    ("type-error", "error", {"grant_amount": "9" * 400}, "grant_amount"),
    ("text-number", "info", {"grant_amount": "7 000 000"}, "grant_amount"),
    ("text-date", "info", {"report_date": "05.12.2024"}, "report_date"),
    ("unknown-option", "warning", {"region": "Жетысуская обл."}, "region"),
    ("bin-invalid", "error", {"org_bin": "240540001230" if not builders.values.bin_is_valid("240540001230")
                              else "240540001231"}, "org_bin"),
    ("phone-invalid", "warning", {"org_phone": "12345"}, "org_phone"),
    ("period-order", "error", {"period_end": dt.date(2024, 5, 1)}, "period_end"),
    ("agreement-after-start", "warning", {"agreement_date": dt.date(2024, 5, 28)}, "agreement_date"),
    ("gender-sum", "error", {"stats_female": 394}, "stats_gender_total"),
    ("category-sum", "error", {"stats_cat_youth": 130}, "stats_cat_total"),
    ("age-sum", "error", {"stats_age_17_22": 30}, "stats_age_total"),
    ("beneficiaries-mismatch", "warning", {"impact_direct_beneficiaries_fact": 1100},
     "impact_direct_beneficiaries_fact"),
    ("elderly-age", "warning", {"stats_age_46_58": 150, "stats_age_33_45": 793}, "stats_cat_elderly"),
    ("budget-exceeds-grant", "error", {"impact_purchases_fact": 6200000}, "calc_budget_total"),
    ("budget-unaccounted", "warning", {"impact_purchases_fact": 6000000}, "calc_budget_total"),
    ("impact-not-met", "warning", {"impact_staff_fact": 3, "deviation_note": "Бір қызметкер жұмыстан кетті."},
     "impact_staff_fact"),
    ("partners-count", "warning", {"impact_partners_fact": 3}, "impact_partners_fact"),
    ("narrative-missing", "error", {"text_goal": None}, "text_goal"),
    ("success-story-length", "warning", {"text_success_story": "Айгүл семинарға келді. Ол риза болды."},
     "text_success_story"),
    ("success-story-contact", "warning", {"text_story_person": None}, "text_story_person"),
]


@pytest.mark.parametrize("code,severity,changes,field", SINGLE_CASES, ids=[c[0] for c in SINGLE_CASES])
def test_single_field_rules(tmp_path, code, severity, changes, field):
    result = validate(builders.clean(tmp_path / "r.xlsx", **changes))
    assert_finding(result, code, severity, cell_of(field), field=field)


def test_totals_disagree(tmp_path):
    result = validate(builders.clean(tmp_path / "r.xlsx", stats_cat_total=1080))
    f = assert_finding(result, "totals-disagree", "error", cell_of("stats_gender_total"))
    assert "1 080" in f.message("kk") and "1 076" in f.message("kk")


def test_gender_message_in_users_words(tmp_path):
    result = validate(builders.clean(tmp_path / "r.xlsx", stats_female=394))
    f = findings_for(result, "gender-sum")[0]
    assert f.value == 1083 and f.expected == 1076
    assert f.message("kk") == ("Ерлер + Әйелдер = 1 083, бірақ қатысушылардың жалпы саны 1 076. Ерлер мен "
                               "әйелдер санын немесе жалпы санды түзетіңіз: олар тең болуы керек.")
    assert f.message("ru") == ("Мужчины + Женщины = 1 083, но всего участников 1 076. Исправьте число "
                               "мужчин и женщин или общее число: они должны совпадать.")


def test_budget_unaccounted_gives_the_difference(tmp_path):
    result = validate(builders.clean(tmp_path / "r.xlsx", impact_purchases_fact=6000000))
    f = findings_for(result, "budget-unaccounted")[0]
    assert f.value == 6878100 and f.expected == 7000000
    assert "121 900" in f.message("kk")


def test_interim_report_narrative_is_info(tmp_path):
    result = validate(builders.clean(tmp_path / "r.xlsx", report_type="аралық", text_goal=None,
                                     text_change=None))
    assert_finding(result, "narrative-missing", "info", cell_of("text_goal"))
    assert not [f for f in findings_for(result, "narrative-missing") if f.field == "text_change"]


def with_rows(tmp_path, edit_rows, **singles):
    tables = builders.clean_tables()
    edit_rows(tables)
    data = builders.clean_singles()
    data.update(singles)
    return validate(builders.fill(tmp_path / "r.xlsx", data, tables))


TABLE_CASES = [
    ("plan-missing", "error", lambda t: t["ind"][1].update(ind_plan=None), "ind_plan", 2, {}),
    ("fact-missing", "error", lambda t: t["ind"][1].update(ind_fact=None), "ind_fact", 2, {}),
    ("fact-is-threshold", "warning", lambda t: t["ind"][2].update(ind_fact="80%-дан кем емес"),
     "ind_fact", 3, {}),
    ("indicator-not-met", "warning", lambda t: t["ind"][1].update(ind_fact=550), "ind_fact", 2,
     {"deviation_note": "Екі аудандағы семинар ауа райына байланысты қысқарды."}),
    ("deviation-unexplained", "error", lambda t: t["ind"][1].update(ind_fact=550), "deviation_note", None,
     {"deviation_note": "жоспарланған іс-шараларда ауытқу орын алған жоқ."}),
    ("percent-out-of-range", "error", lambda t: t["ind"][2].update(ind_fact=120), "ind_fact", 3, {}),
    ("date-order", "error", lambda t: t["ind"][0].update(ind_date_end=dt.date(2024, 7, 1)),
     "ind_date_end", 1, {}),
    ("date-outside-period", "warning", lambda t: t["ind"][3].update(ind_date_end=dt.date(2024, 12, 15)),
     "ind_date_end", 4, {}),
    ("long-result-missing", "warning", lambda t: t["ind"][3].update(ind_long_result=None),
     "ind_long_result", 4, {}),
]


@pytest.mark.parametrize("code,severity,edit,field,row,singles", TABLE_CASES, ids=[c[0] for c in TABLE_CASES])
def test_indicator_rules(tmp_path, code, severity, edit, field, row, singles):
    result = with_rows(tmp_path, edit, **singles)
    where = table_cell(field, row) if row else cell_of(field)
    assert_finding(result, code, severity, where, field=field, row=row)


def test_subgrant_total(tmp_path):
    result = with_rows(tmp_path, lambda t: t["subgrant"][0].update(subgrant_amount=7_000_000))
    assert_finding(result, "subgrant-total", "warning", cell_of("calc_subgrant_total"))


def test_status_uses_operator_at_most(tmp_path):
    def edit(t):
        t["ind"][1].update(ind_operator="аспайды (≤)", ind_plan=600, ind_fact=650)
    result = with_rows(tmp_path, edit, deviation_note="Қатысушылар көп болды.")
    f = assert_finding(result, "indicator-not-met", "warning", table_cell("ind_fact", 2), row=2)
    assert f.expected == "≤ 600"


def test_blank_task_and_activity_mean_same_as_above(tmp_path):
    from toolkit.reader import read
    report = read(builders.clean(tmp_path / "r.xlsx"))
    rows = report.tables["ind"]
    assert [r.values["ind_task"] for r in rows] == ["1-міндет. Оқыту"] * 3 + ["2-міндет. Ақпарат"]
    assert rows[1].filled_down == {"ind_task", "ind_activity"}
    assert rows[3].values["ind_participants"] == 0      # "-" is zero


def test_formula_overwritten(tmp_path):
    def edit(wb):
        sheet, cell = cell_of("calc_stats_gender_sum")
        wb[sheet][cell] = 1076
    out = builders.fill(tmp_path / "r.xlsx", builders.clean_singles(), builders.clean_tables(), edit=edit)
    result = validate(out)
    f = assert_finding(result, "formula-overwritten", "warning", cell_of("calc_stats_gender_sum"))
    assert f.value == 1076 and f.expected == 1076


def _sheet_part(path, title):
    from toolkit.package import open_package
    with open_package(path) as pkg:
        return pkg.sheet(title).part


def test_cached_value_stale(tmp_path):
    from toolkit.template import write_template
    out = tmp_path / "r.xlsx"
    write_template(out, "kk", data={"singles": builders.clean_singles(), "tables": builders.clean_tables()})
    assert builders.above_info(validate(out)) == []
    sheet, cell = cell_of("calc_stats_gender_sum")

    def stale(body):
        text = body.decode()
        new = re.sub(rf'(<c r="{cell}"[^>]*>(?:(?!</c>).)*?<v>)[^<]*(</v>)', r"\g<1>999\g<2>", text, count=1)
        assert new != text
        return new.encode()
    builders.patch_parts(out, {_sheet_part(out, sheet): stale})
    result = validate(out)
    f = assert_finding(result, "cached-value-stale", "info", (sheet, cell))
    assert f.value == 999 and f.expected == 1076


def test_template_unknown(tmp_path):
    import xlsxwriter
    out = tmp_path / "other.xlsx"
    wb = xlsxwriter.Workbook(out)
    wb.add_worksheet().write(0, 0, "hello")
    wb.close()
    result = validate(out)
    assert builders.codes(result) == ["template-unknown"] and not result.valid


def test_template_outdated(tmp_path):
    old = builders.ROOT / "tests" / "fixtures" / "template-1.0.0" / "final_report_kk.xlsx"
    out = builders.fill(tmp_path / "r.xlsx", builders.clean_singles(), builders.clean_tables(), template=old)
    result = validate(out)
    assert_finding(result, "template-outdated", "warning", ("_meta", "B2"))
    assert result.valid


def test_file_unreadable(tmp_path):
    out = tmp_path / "notes.xlsx"
    out.write_text("this is not a workbook")
    result = validate(out)
    assert builders.codes(result) == ["file-unreadable"]
    assert "xlsx" in result.findings[0].message("kk")


def test_names_deleted_fall_back_to_cells(tmp_path):
    def edit(wb):
        for name in list(wb.defined_names):
            del wb.defined_names[name]
    out = builders.fill(tmp_path / "r.xlsx", builders.clean_singles(), builders.clean_tables(), edit=edit)
    result = validate(out)
    assert [f.code for f in builders.above_info(result)] == ["names-missing"]
    assert result.report.values["stats_gender_total"] == 1076
    assert len(result.report.tables["ind"]) == 4


def test_protection_removed(tmp_path):
    sheet, _ = cell_of("stats_male")

    def edit(wb):
        wb[sheet].protection.sheet = False
    out = builders.fill(tmp_path / "r.xlsx", builders.clean_singles(), builders.clean_tables(), edit=edit)
    result = validate(out)
    found = findings_for(result, "protection-removed")
    assert [(f.sheet, f.severity) for f in found] == [(sheet, "info")]


def test_layout_changed_when_table_columns_differ(tmp_path):
    def edit(wb):
        dn = wb.defined_names["ind_plan"]
        dn.attr_text = dn.attr_text.replace("$155", "$120")
    out = builders.fill(tmp_path / "r.xlsx", builders.clean_singles(), builders.clean_tables(), edit=edit)
    result = validate(out)
    # The one column of another length than the others is re-pointed: read from the template's cells.
    assert [(f.field, f.cell) for f in findings_for(result, "name-moved")] == [("ind_plan", "L6")]
    assert result.report.tables["ind"][0].values["ind_plan"] == 10


def test_every_rule_code_is_in_the_catalogue_and_tested():
    tested = {c[0] for c in SINGLE_CASES} | {c[0] for c in TABLE_CASES} | {
        "totals-disagree", "subgrant-total", "formula-overwritten", "cached-value-stale", "template-unknown",
        "template-outdated", "file-unreadable", "names-missing", "protection-removed", "layout-changed",
        "dash-as-zero", "macros-present"}
    assert rules.all_codes() <= set(CATALOGUE)
    # Codes with their tests elsewhere (the reader's, the register's, other modules').
    others = "\n".join(p.read_text(encoding="utf-8") for p in sorted(Path(__file__).parent.glob("test_*.py"))
                       if p.name != Path(__file__).name)
    untested = {code for code in set(CATALOGUE) - tested if f'"{code}"' not in others}
    assert not untested, f"catalogue codes no test asserts: {sorted(untested)}"


def test_the_readme_rules_table_is_the_catalogue():
    """README's rules table (the users' list of codes) has every code of the catalogue, with its severity."""
    table = re.findall(r"^\| `([a-z-]+)`(?: / `([a-z-]+)`)? \| (error|warning|info)[^|]*\|",
                       (builders.ROOT / "README.md").read_text(encoding="utf-8"), re.M)
    documented = {code: severity for first, second, severity in table for code in (first, second) if code}
    assert documented == {code: entry.severity for code, entry in CATALOGUE.items()}, \
        "add the code to README.md's rules table (code | severity | rule), as in toolkit/findings.py"


def test_a_bug_in_a_rule_is_a_finding_not_a_traceback(tmp_path, monkeypatch):
    from toolkit import rules, validation

    def broken(report, calc=None):
        raise KeyError("planted")

    monkeypatch.setattr(rules, "check", broken)
    result = validate(builders.clean(tmp_path / "r.xlsx"))
    assert not result.readable and not result.valid
    assert [(f.code, f.params["reason"], f.value) for f in result.findings] == [
        ("file-unreadable", "internal-error", "KeyError: 'planted'")]
    assert "esep" in result.findings[0].message("en")
    assert validation.summary([result])["valid"] is False


@pytest.mark.parametrize("inserted, drop_names, lang", [(1, False, "kk"), (1, True, "kk"), (2, False, "ru"),
                                                         (1, False, "ru")])
def test_rows_inserted_above_a_table_give_one_clear_finding(tmp_path, inserted, drop_names, lang):
    """A tool that inserts rows without updating the defined names (openpyxl does) pushes the column
    headings into the cells the names point at: one layout-changed at the heading, not a type error per
    heading, and the rows below are still read, from the cells they are really in."""
    table = form.INDICATORS
    clean = validate(builders.clean(tmp_path / "clean.xlsx", lang=lang)).report.tables["ind"]

    def edit(wb):
        wb[form.sheet_title(table.sheet, lang)].insert_rows(table.header_row - 1, inserted)
        if drop_names:
            for name in list(wb.defined_names):
                del wb.defined_names[name]

    from openpyxl import load_workbook

    out = builders.clean(tmp_path / "r.xlsx", lang=lang)
    wb = load_workbook(out)
    edit(wb)
    wb.save(out)
    result = validate(out)
    layout = findings_for(result, "layout-changed")
    sheet = form.sheet_title(table.sheet, lang)
    heading_row = table.first_row + inserted - 1          # where the first data row used to be
    assert [(f.sheet, f.cell) for f in layout] == [(sheet, f"B{heading_row}")]
    assert "header" in layout[0].message("en")
    assert not findings_for(result, "type-error") and not findings_for(result, "formula-overwritten")
    rows = result.report.tables["ind"]
    assert [r.values for r in rows] == [r.values for r in clean]

    def moved(cell):
        letters, digits = re.fullmatch(r"([A-Z]+)([0-9]+)", cell).groups()
        return f"{letters}{int(digits) + inserted}"
    assert [r.cells["ind_indicator"] for r in rows] == [moved(c.cells["ind_indicator"]) for c in clean]
    assert {f.code for f in builders.above_info(result)} <= {"layout-changed", "names-missing"}
