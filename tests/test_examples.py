"""The shipped example workbooks (workbook_templates/examples/) and the data they are made from."""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from toolkit import form, values

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "workbook_templates" / "make_examples.py"
EXAMPLES = ROOT / "workbook_templates" / "examples"
DATA = EXAMPLES / "data"
REGENERATE = "python workbook_templates/make_examples.py"

DATA_FILES = sorted(DATA.glob("*.json"))
SEEDS = [DATA / "seed_kk.json", DATA / "seed_ru.json"]
BROKEN = DATA / "broken_ru.json"


def _script():
    spec = importlib.util.spec_from_file_location("make_examples", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _raw(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _ids(paths):
    return [p.name for p in paths]


def test_expected_data_files_exist():
    assert {p.name for p in DATA_FILES} >= {"seed_kk.json", "seed_ru.json", "broken_ru.json"}


# (a) every name is a field of the form -----------------------------------------------------------------

@pytest.mark.parametrize("path", DATA_FILES, ids=_ids(DATA_FILES))
def test_names_exist_in_form(path):
    data = _script().load(path)
    assert data["lang"] in form.LANGS
    singles = {f.name for f in form.SINGLE_FIELDS}
    unknown = sorted(k for k in data["singles"] if k not in singles)
    assert not unknown, f"{path.name}: not single fields of toolkit/form.py: {unknown}"
    for key, rows in data["tables"].items():
        assert key in form.TABLE, f"{path.name}: unknown table {key!r}"
        table = form.TABLE[key]
        assert len(rows) <= table.capacity
        columns = {f.name for f in table.columns}
        for i, row in enumerate(rows, 1):
            extra = sorted(set(row) - columns)
            assert not extra, f"{path.name}: table {key} row {i}: unknown columns {extra}"


def _deliberate(path: Path) -> set[tuple[str, int | None]]:
    """(field, row) pairs that the example breaks on purpose (its _mistakes)."""
    return {(m["field"], m.get("row")) for m in _raw(path).get("_mistakes", [])}


@pytest.mark.parametrize("path", DATA_FILES, ids=_ids(DATA_FILES))
def test_values_are_typed_as_the_template_expects(path):
    """Drop-downs hold a label of the workbook's language, dates are ISO strings, counts and amounts
    are numbers (or "-"), unless the example breaks that value on purpose."""
    data = _script().load(path)
    lang = data["lang"]
    deliberate = _deliberate(path)

    def check(f: form.Field, raw, row: int | None):
        if raw is None or (f.name, row) in deliberate:
            return
        where = f"{path.name}: {f.name}" + (f" row {row}" if row else "")
        if f.type == "choice":
            assert raw in form.LIST[f.options].labels(lang), f"{where}: {raw!r} is not a {lang} option"
        elif f.type == "date":
            assert isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw), where
            values.parse_date(raw)
        elif f.type in ("count", "amount"):
            assert raw == "-" or (isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0), where
        elif f.type == "measure":
            parsed = values.parse_number(raw, allow_threshold=True)
            assert not parsed.error, f"{where}: {raw!r} does not read as a number or threshold"
        elif f.type == "bin":
            assert values.bin_is_valid(raw), f"{where}: {raw!r}"
        elif f.type == "phone":
            assert values.normalize_phone(raw), f"{where}: {raw!r}"

    for name, raw in data["singles"].items():
        check(form.FIELD[name], raw, None)
    for key, rows in data["tables"].items():
        for i, row in enumerate(rows, 1):
            for name, raw in row.items():
                check(form.FIELD[name], raw, i)


# (b) the committed workbooks are current ---------------------------------------------------------------

def test_examples_are_current(tmp_path):
    written = _script().build_examples(tmp_path)
    assert written, "no example data found"
    for path in written:
        shipped = EXAMPLES / path.name
        assert shipped.exists(), f"{shipped} is missing: run `{REGENERATE}`"
        assert shipped.read_bytes() == path.read_bytes(), (
            f"{shipped.name} is out of date with its data or with toolkit/template.py: run `{REGENERATE}`")
    stale = {p.name for p in EXAMPLES.glob("*.xlsx")} - {p.name for p in written}
    assert not stale, f"example workbooks without data: {sorted(stale)}"


def test_build_is_deterministic(tmp_path):
    script = _script()
    first = {p.name: p.read_bytes() for p in script.build_examples(tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in script.build_examples(tmp_path / "b")}
    assert first == second


def test_comment_keys_are_ignored(tmp_path):
    script = _script()
    data = _raw(SEEDS[0])
    data["singles"]["_note"] = "a comment"
    data["tables"]["ind"][0]["_note"] = "a comment"
    data["_another"] = 1
    src = tmp_path / "data"
    src.mkdir()
    (src / "x.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (out,) = script.build_examples(tmp_path / "out", data_dir=src)
    assert out.read_bytes() == (EXAMPLES / data["file"]).read_bytes()


# (c) the seed's figures match the spec -----------------------------------------------------------------

def _n(raw) -> int:
    return 0 if raw in ("-", None) else raw


@pytest.mark.parametrize("path", SEEDS, ids=_ids(SEEDS))
def test_seed_figures(path):
    s = _script().load(path)["singles"]
    for group in form.STATS_GROUPS:
        assert s[group.total] == 1076
        assert sum(_n(s.get(p)) for p in group.parts) == 1076, group.key
    assert s["grant_amount"] == 7000000
    assert sum(s[f"impact_{k}_fact"] for k in form.MONEY_IMPACT) == 7000000
    assert (s["impact_payroll_fact"], s["impact_taxes_fact"], s["impact_purchases_fact"]) == (
        840000, 38100, 6121900)
    assert (s["stats_male"], s["stats_female"]) == (689, 387)
    assert s["impact_direct_beneficiaries_plan"] == 1000 and s["impact_direct_beneficiaries_fact"] == 1076
    assert s["impact_partners_fact"] == 2
    assert (s["period_start"], s["period_end"], s["agreement_date"]) == (
        "2024-05-27", "2024-11-30", "2024-05-28")


def test_seed_translations_agree():
    kk, ru = (_script().load(p) for p in SEEDS)
    numeric = [n for n, v in kk["singles"].items() if not isinstance(v, str) or v == "-"]
    assert {n: kk["singles"][n] for n in numeric} == {n: ru["singles"].get(n) for n in numeric}
    for key in ("ind", "partner", "subgrant"):
        assert len(kk["tables"][key]) == len(ru["tables"][key]), key
    for a, b in zip(kk["tables"]["ind"], ru["tables"]["ind"]):
        assert set(a) == set(b)
        for name in ("ind_date_start", "ind_date_end", "ind_participants"):
            assert a.get(name) == b.get(name)
        for name in ("ind_plan", "ind_fact"):
            assert type(a[name]) is type(b[name]) and (isinstance(a[name], str) or a[name] == b[name])


# (d) no real people --------------------------------------------------------------------------------------

REAL_PHONES = ("87084013674", "87714709012", "87017204721", "87018829080")
REAL_NAMES = ("Калиева", "Қошанбеков", "Құлатай", "Калиев", "Кошанбеков", "Кулатай")


@pytest.mark.parametrize("path", DATA_FILES, ids=_ids(DATA_FILES))
def test_no_real_people(path):
    text = path.read_text(encoding="utf-8")
    digits = re.sub(r"[^0-9]", "", text)
    for phone in REAL_PHONES:
        assert phone not in text and phone[1:] not in digits, f"{path.name}: real phone number {phone}"
    for name in REAL_NAMES:
        assert name.casefold() not in text.casefold(), f"{path.name}: real person's name {name}"


# The workbooks read back as intended ------------------------------------------------------------------

def _check_workbook(path: Path):
    from toolkit import reader, rules

    report = reader.read(path)
    return report, report.findings + rules.check(report)


@pytest.mark.parametrize("path", SEEDS, ids=_ids(SEEDS))
def test_seed_workbook_findings(path):
    raw = _raw(path)
    report, findings = _check_workbook(EXAMPLES / raw["file"])
    errors = [(f.code, f.field, f.row) for f in findings if f.severity == "error"]
    assert not errors, errors
    codes = {f.code for f in findings}
    assert set(raw["_expected_findings"]) <= codes
    assert len(report.tables["ind"]) == len(raw["tables"]["ind"])
    tasks = {r.values.get("ind_task") for r in report.tables["ind"]}
    assert sum(1 for f in findings if f.code == "long-result-missing") == len(tasks)


def test_broken_workbook_findings():
    raw = _raw(BROKEN)
    report, findings = _check_workbook(EXAMPLES / raw["file"])
    codes = {f.code for f in findings}
    for m in raw["_mistakes"]:
        missing = set(m["rules"]) - codes
        assert not missing, f"{m['field']}: {m['what']}: no {sorted(missing)}"
    formula_like = next(m for m in raw["_mistakes"] if not m["rules"])
    partner = report.tables["partner"][formula_like["row"] - 1]
    assert partner.values["partner_name"] == formula_like["value"]
