"""Build filled workbooks the way other people's tools do: open the shipped template and write values
through its defined names (openpyxl), then save. Used by the rule, reader, CLI and register tests.
"""
from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path

from toolkit import values

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "workbook_templates"


def template_path(lang: str = "kk") -> Path:
    return TEMPLATES / f"final_report_{lang}.xlsx"


VALID_BIN = values.make_bin("24054000123")

STORY = ("Айгүл бұрын қоғамдық бақылау туралы ештеңе білмеді. Ол жобаның семинарына қатысты. "
         "Семинардан кейін ол ауылдағы мектепті жөндеу жұмыстарын бақылады. Бақылау нәтижесінде "
         "мердігер кемшіліктерді түзетті. Қазір Айгүл көршілеріне кеңес береді. Ол қоғамдық кеңестің "
         "белсенді мүшесі болды.")


def clean_singles() -> dict:
    """A consistent final report: no finding above info."""
    d = {
        "report_type": "қорытынды",
        "agreement_no": "94",
        "agreement_date": dt.date(2024, 5, 20),
        "org_name": "«Жас Ұрпақ» жастар қоғамдық бірлестігі",
        "org_bin": VALID_BIN,
        "org_head": "Сәрсенова Әлия Бекқызы",
        "org_address": "Талдықорған қаласы, Шолохов көшесі, 5",
        "org_phone": "8 701 000 00 00",
        "org_email": "info@example.kz",
        "region": "Жетісу облысы",
        "project_name": "Азаматтарды қоғамдық бақылауға тарту",
        "project_goal": "Құқықтық сауаттылықты арттыру",
        "project_result": "Оқыту іс-шаралары өткізілді",
        "period_start": dt.date(2024, 5, 27),
        "period_end": dt.date(2024, 11, 30),
        "grant_amount": 7000000,
        "report_date": dt.date(2024, 12, 5),
        "deviation_note": "Ауытқу жоқ.",
        "stats_gender_total": 1076, "stats_male": 689, "stats_female": 387,
        "stats_cat_total": 1076, "stats_cat_children": 0, "stats_cat_youth": 128,
        "stats_cat_civil_servants": 79, "stats_cat_budget_workers": 395, "stats_cat_disabled": 0,
        "stats_cat_elderly": 202, "stats_cat_unemployed": 109, "stats_cat_ngo": 127,
        "stats_cat_business": 10, "stats_cat_other": 26,
        "stats_age_total": 1076, "stats_age_13_16": 0, "stats_age_17_22": 27, "stats_age_23_27": 38,
        "stats_age_28_32": 63, "stats_age_33_45": 346, "stats_age_46_58": 597, "stats_age_59_plus": 5,
        "text_activities": "Іс-шаралар өткізілді.",
        "text_goal": "Мақсатқа жетті.",
        "text_change": "Өзгерістер өлшенді.",
        "text_success_story": STORY,
        "text_story_person": "Айгүл С.",
        "text_story_contact": "+7 701 000 00 01",
        "text_results": "Нәтижелер бар.",
        "text_long_term": "Ұзақ мерзімді әсері бар.",
        "text_sustainability": "Жоба тұрақты.",
        "text_socio_economic": "Әсері бар.",
        "text_partners": "Серіктестер көмектесті.",
    }
    impact = {"direct_beneficiaries": (1000, 1076), "indirect_beneficiaries": (20000, 20000),
              "staff": (4, 4), "specialists": (2, 2), "ngos": (2, 2), "payroll": (840000, 840000),
              "taxes": (38100, 38100), "purchases": (6121900, 6121900), "partners": (2, 2)}
    for key, (plan, fact) in impact.items():
        d[f"impact_{key}_plan"] = plan
        d[f"impact_{key}_fact"] = fact
    return d


def clean_tables() -> dict:
    return {
        "ind": [
            {"ind_task": "1-міндет. Оқыту", "ind_activity": "Семинар", "ind_date_start": dt.date(2024, 7, 11),
             "ind_date_end": dt.date(2024, 9, 9), "ind_place": "Талдықорған", "ind_participants": 602,
             "ind_short_result": "Сауаттылық артты", "ind_indicator": "Семинарлар", "ind_unit": "іс-шара",
             "ind_operator": "дәл (=)", "ind_plan": 10, "ind_fact": 10,
             "ind_long_result": "Тұрғындар белсенді"},
            {"ind_indicator": "Қатысушылар", "ind_unit": "адам", "ind_operator": "кемінде (≥)",
             "ind_plan": 600, "ind_fact": 602},
            {"ind_indicator": "Қанағаттану деңгейі", "ind_unit": "%", "ind_operator": "кемінде (≥)",
             "ind_plan": 80, "ind_fact": 84},
            {"ind_task": "2-міндет. Ақпарат", "ind_activity": "Жарияланымдар",
             "ind_date_start": dt.date(2024, 6, 1), "ind_date_end": dt.date(2024, 11, 30),
             "ind_place": "Әлеуметтік желі", "ind_participants": "-", "ind_short_result": "Ақпарат таратылды",
             "ind_indicator": "Посттар", "ind_unit": "дана", "ind_operator": "кемінде (≥)", "ind_plan": 20,
             "ind_fact": 20, "ind_long_result": "Заң кеңінен таныс"},
        ],
        "partner": [
            {"partner_name": "Ішкі саясат бөлімі", "partner_role": "Ақпараттық қолдау",
             "partner_contacts": "8 701 000 00 02", "partner_note": ""},
            {"partner_name": "Азаматтық Альянс", "partner_role": "Ақпараттық қолдау",
             "partner_contacts": "8 701 000 00 03"},
        ],
        "subgrant": [
            {"subgrant_recipient": "Ескелді бастамашыл тобы", "subgrant_type": "бастамашыл топ",
             "subgrant_locality": "Ескелді ауданы", "subgrant_amount": 300000},
        ],
    }


def _cells_of(wb, name):
    defined = wb.defined_names[name]
    (sheet, ref), = list(defined.destinations)
    ws = wb[sheet]
    ref = ref.replace("$", "")
    if ":" in ref:
        return ws, [c for (c,) in ws[ref]]
    return ws, [ws[ref]]


TABLE_PREFIX = {"ind": "ind_", "partner": "partner_", "subgrant": "subgrant_"}


def fill(out: Path, singles: dict | None = None, tables: dict | None = None, lang: str = "kk",
         edit=None, template: Path | None = None) -> Path:
    """Write a filled copy of the template: `singles` name -> value, `tables` key -> rows of
    column -> value. `edit(wb)` may then change anything (openpyxl workbook) before saving."""
    from openpyxl import load_workbook

    wb = load_workbook(template or template_path(lang))
    for name, value in (singles or {}).items():
        _, cells = _cells_of(wb, name)
        _set(cells[0], value)
    for key, rows in (tables or {}).items():
        for i, row in enumerate(rows):
            for name, value in row.items():
                _, cells = _cells_of(wb, name)
                _set(cells[i], value)
    if edit:
        edit(wb)
    out = Path(out)
    wb.save(out)
    return out


def _set(cell, value):
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"   # keep formula-looking text as text, as a careful tool would
    elif isinstance(value, (dt.date, dt.datetime)):
        cell.number_format = "DD.MM.YYYY"


def clean(out: Path, lang: str = "kk", **changes) -> Path:
    """The clean report with `changes` applied (name=value for single fields)."""
    singles = clean_singles()
    if lang == "ru":
        singles.update(report_type="итоговый", region="область Жетісу")
    singles.update(changes)
    tables = clean_tables()
    if lang == "ru":
        ru = {"іс-шара": "мероприятие", "адам": "человек", "дана": "штук", "дәл (=)": "ровно (=)",
              "кемінде (≥)": "не менее (≥)", "бастамашыл топ": "инициативная группа"}
        for rows in tables.values():
            for row in rows:
                for k, v in row.items():
                    if isinstance(v, str) and v in ru:
                        row[k] = ru[v]
    return fill(out, singles, tables, lang=lang)


def patch_parts(path: Path, patches: dict, extra: dict | None = None) -> None:
    """Rewrite members of a test's own zip in place: `patches` part name -> fn(bytes) -> bytes,
    `extra` part name -> bytes to add."""
    import io
    import zipfile

    zin = zipfile.ZipFile(io.BytesIO(Path(path).read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename in patches:
                body = patches[info.filename](body)
            zout.writestr(info, body)
        for name, body in (extra or {}).items():
            zout.writestr(name, body)
    Path(path).write_bytes(out.getvalue())


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


def above_info(result) -> list:
    return [f for f in result.findings if f.severity != "info"]


def deepcopy(x):
    return copy.deepcopy(x)


A1 = re.compile(r"^[A-Z]{1,3}[0-9]+$")
