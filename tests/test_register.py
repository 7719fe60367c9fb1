"""esep merge (issue #4): a folder of generated workbooks across regions and both languages, with a
resubmission, a broken file, formula-looking text, an Office lock file, a checked copy and the register
itself in the folder, merged into one register. Every file accounted for; sums equal to the inputs';
no formula in the output; CSVs equal to the workbook; same inputs, same register; an interrupted
merge leaves the earlier register intact. All workbooks are generated here, in tmp_path."""
from __future__ import annotations

import csv
import datetime as dt
import glob
import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import builders
import cli
from toolkit import form, register, validation, values, vocabulary
from toolkit.findings import Finding

ROOT = Path(__file__).resolve().parent.parent
LANG = "ru"   # the register's language in the main run

HYPERLINK = '=HYPERLINK("http://example.com","x")'
HOSTILE_TEXTS = {"org_name": HYPERLINK, "project_name": "+cmd", "org_head": "-2+3",
                 "org_address": "@SUM(A1)"}


# The corpus -----------------------------------------------------------------------------------------

def _bins():
    n = 0
    while True:
        n += 1
        try:
            yield values.make_bin(f"2405400{n:04d}")
        except ValueError:
            continue


def _changes(spec: dict) -> dict:
    """Single-field changes to the clean report for one spec: region (as the option label of the
    workbook's language), BIN, agreement, grant (budget lines kept consistent), direct beneficiaries
    and participant statistics whose three totals agree."""
    total, male, female = spec["fact"], spec["male"], spec["female"]
    extra = total - 1076
    return {
        "region": form.option_label("region", spec["region"], spec["lang"]),
        "org_bin": spec["bin"],
        "agreement_no": spec["agreement"],
        "report_date": spec["report_date"],
        "grant_amount": spec["grant"],
        "impact_purchases_plan": spec["grant"] - 840000 - 38100,
        "impact_purchases_fact": spec["grant"] - 840000 - 38100,
        "impact_direct_beneficiaries_plan": spec["plan"],
        "impact_direct_beneficiaries_fact": total,
        "stats_gender_total": total, "stats_male": male, "stats_female": female,
        "stats_cat_total": total, "stats_cat_other": 26 + extra,
        "stats_age_total": total, "stats_age_46_58": 597 + extra,
    }


def _hostile(path: Path, spec: dict) -> Path:
    singles = builders.clean_singles()
    singles.update(_changes(spec))
    singles.update(HOSTILE_TEXTS)
    singles["project_goal"] = "\tgoal"
    tables = builders.clean_tables()
    tables["ind"][1]["ind_fact"] = -3                 # a negative number: stays a number everywhere
    tables["ind"][2]["ind_indicator"] = HYPERLINK
    tables["partner"][0]["partner_name"] = "+cmd"
    tables["subgrant"][0]["subgrant_locality"] = "@SUM(A1)"
    return builders.fill(path, singles, tables, lang="kk")


def _build_corpus(folder: Path) -> dict:
    """Returns {"folder", "specs" (inputs in input order), "old", "new", "broken", "hostile"}."""
    sub = folder / "sub"
    sub.mkdir(parents=True)
    bins = _bins()
    d = dt.date
    rows = [  # name, lang, region, grant, plan, fact, male, kind
        ("01_zhetysu_kk.xlsx", "kk", "zhetysu", 7000000, 1000, 1076, 689, "valid"),
        ("02_almaty_ru.xlsx", "ru", "almaty", 9500000, 1200, 1300, 600, "valid"),
        ("03_karaganda_kk.xlsx", "kk", "karaganda", 5000000, 1100, 1150, 500, "valid"),
        ("04_karaganda_ru_invalid.xlsx", "ru", "karaganda", 6000000, 1500, 1500, 700, "invalid"),
        ("05_resubmitted_ru.xlsx", "ru", "turkistan", 5200000, 1100, 1200, 550, "valid"),
        ("06_hostile_kk.xlsx", "kk", "astana", 7000000, 1000, 1076, 689, "hostile"),
        ("07_broken.xlsx", None, None, 0, 0, 0, 0, "unreadable"),
        ("sub/11_original_kk.xlsx", "kk", "turkistan", 5000000, 1000, 1100, 500, "superseded"),
        ("sub/12_turkistan_kk.xlsx", "kk", "turkistan", 8000000, 2000, 2100, 1000, "valid"),
        ("sub/13_almaty_kk.xlsx", "kk", "almaty", 12000000, 3000, 3500, 1700, "valid"),
        ("sub/14_zhetysu_ru.xlsx", "ru", "zhetysu", 7500000, 1076, 1076, 400, "valid"),
    ]
    specs = []
    for i, (name, lang, region, grant, plan, fact, male, kind) in enumerate(rows):
        specs.append({"name": name, "path": folder / name, "lang": lang, "region": region, "grant": grant,
                      "plan": plan, "fact": fact, "male": male, "female": fact - male, "kind": kind,
                      "bin": next(bins), "agreement": str(100 + i), "report_date": d(2024, 12, 5)})
    by = {s["name"]: s for s in specs}
    new, old = by["05_resubmitted_ru.xlsx"], by["sub/11_original_kk.xlsx"]
    old["bin"], old["agreement"] = new["bin"], new["agreement"]
    new["report_date"] = d(2024, 12, 20)
    invalid = by["04_karaganda_ru_invalid.xlsx"]
    invalid["female"] += 7                            # men + women != total: gender-sum error

    for s in specs:
        if s["kind"] == "unreadable":
            s["path"].write_text("this is not a workbook, only text renamed to .xlsx\n", encoding="utf-8")
        elif s["kind"] == "hostile":
            _hostile(s["path"], s)
        else:
            builders.clean(s["path"], lang=s["lang"], **_changes(s))
    # The older submission is the newer file: report_date, not mtime, decides.
    later = time.time() + 60
    os.utime(old["path"], (later, later))

    # Files that must be skipped.
    (folder / "~$01_zhetysu_kk.xlsx").write_bytes(b"\x08owner  \x00" * 8)
    shutil.copy(by["01_zhetysu_kk.xlsx"]["path"], folder / "01_zhetysu_kk.checked.xlsx")
    (folder / "notes.txt").write_text("not an input", encoding="utf-8")

    for s in specs:                                   # the statuses the design intends
        if s["kind"] in ("unreadable", "superseded", "hostile"):
            continue
        assert validation.check(s["path"]).valid is (s["kind"] == "valid"), s["name"]
    hostile = by["06_hostile_kk.xlsx"]
    hostile["kind"] = "valid" if validation.check(hostile["path"]).valid else "invalid"
    for s in specs:
        s["status"] = s["kind"] if s["kind"] != "hostile" else hostile["kind"]
    return {"folder": folder, "specs": specs, "old": old, "new": new, "broken": by["07_broken.xlsx"],
            "hostile": hostile}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return _build_corpus(tmp_path_factory.mktemp("incoming"))


@pytest.fixture(scope="module")
def merged(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("register")
    result = register.merge([corpus["folder"]], out / "register.xlsx", csv_dir=out / "csv", lang=LANG,
                            jobs=2)
    return {"result": result, "xlsx": out / "register.xlsx", "csv": out / "csv",
            "sheets": _read_register(out / "register.xlsx")}


# Reading the register back --------------------------------------------------------------------------

def _read_register(path) -> dict[str, list[tuple]]:
    wb = load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def _title(key: str, lang: str = LANG) -> str:
    return next(t for k, t, _, _ in register.SHEETS if k == key).get(lang)


def _records(sheets, key, lang=LANG) -> list[dict]:
    """Rows of a register sheet as {column key: value}, after checking the header labels."""
    columns = next(c for k, _, c, _ in register.SHEETS if k == key)
    rows = sheets[_title(key, lang)]
    assert list(rows[0][:len(columns)]) == [c.label.get(lang) for c in columns]
    return [dict(zip((c.key for c in columns), r)) for r in rows[1:]]


def _read_csv(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _summary(sheets, lang=LANG) -> tuple[dict, dict]:
    """Summary sheet -> ({region code or None: {column: value}}, national row)."""
    rows = sheets[register.SUMMARY_TITLE.get(lang)]
    keys = [k for k, _ in register.SUMMARY_COLUMNS]
    labels = [t.get(lang) for _, t in register.SUMMARY_COLUMNS]
    start = next(i for i, r in enumerate(rows) if r and list(r[:len(labels)]) == labels) + 1
    code_of = {o.label.get(lang): o.code for o in form.LIST["region"].options}
    regions, national = {}, None
    for r in rows[start:]:
        if not r or r[0] is None:
            continue
        rec = dict(zip(keys, r))
        if r[0] == register.NATIONAL.get(lang):
            national = rec
            break
        code = None if r[0] == register.UNKNOWN_REGION.get(lang) else code_of[r[0]]
        assert code not in regions
        regions[code] = rec
    assert national is not None
    return regions, national


def _names(corpus) -> list[str]:
    return [s["name"] for s in corpus["specs"]]


# Every file accounted for ---------------------------------------------------------------------------

def test_every_input_has_one_row_in_input_order(corpus, merged):
    reports = _records(merged["sheets"], "reports")
    assert [r["source_file"] for r in reports] == _names(corpus)
    paths = register.find_inputs([corpus["folder"]], output=merged["xlsx"])
    assert [p.relative_to(corpus["folder"]).as_posix() for p in paths] == _names(corpus)
    skipped = {"~$01_zhetysu_kk.xlsx", "01_zhetysu_kk.checked.xlsx", "notes.txt"}
    assert not skipped & {r["source_file"] for r in reports}


def test_statuses_labels_and_codes(corpus, merged):
    reports = _records(merged["sheets"], "reports")
    labels = {k: t.get(LANG) for k, t in register.REPORT_STATUS.items()}
    assert [r["status"] for r in reports] == [labels[s["status"]] for s in corpus["specs"]]
    assert {s["status"] for s in corpus["specs"]} >= {"valid", "invalid", "unreadable", "superseded"}
    rows = _read_csv(merged["csv"] / "reports.csv")
    status = rows[0].index("status")
    assert [r[status] for r in rows[1:]] == [s["status"] for s in corpus["specs"]]
    result = merged["result"]
    counts = {k: sum(s["status"] == k for s in corpus["specs"])
              for k in ("valid", "invalid", "unreadable", "superseded")}
    assert (result.files, result.valid, result.invalid, result.unreadable, result.superseded) == (
        len(corpus["specs"]), counts["valid"], counts["invalid"], counts["unreadable"], counts["superseded"])
    assert not result.ok
    for r, s in zip(reports, corpus["specs"]):
        if s["kind"] != "unreadable":
            assert r["org_bin"] == s["bin"] and len(r["sha256"]) == 64
            assert r["region"] == form.option_label("region", s["region"], LANG)
            assert r["grant_amount"] == s["grant"]
            assert r["lang"] == s["lang"]


def test_summary_sums_equal_the_inputs(corpus, merged):
    regions, national = _summary(merged["sheets"])
    expected: dict = {}
    for s in corpus["specs"]:
        if s["status"] == "superseded":
            continue
        e = expected.setdefault(s["region"], dict.fromkeys(
            ("reports", "valid", "invalid", "grant", "direct_plan", "direct_fact", "male", "female"), 0))
        e["reports"] += 1
        e["valid"] += s["status"] == "valid"
        e["invalid"] += s["status"] in ("invalid", "unreadable")
        if s["status"] != "unreadable":
            e["grant"] += s["grant"]
            e["direct_plan"] += s["plan"]
            e["direct_fact"] += s["fact"]
            e["male"] += s["male"]
            e["female"] += s["female"]
    assert set(regions) == set(expected)
    assert len([r for r in expected if r]) >= 3
    for region, e in expected.items():
        got = {k: regions[region][k] for k in e}
        assert got == pytest.approx(e), region
    numeric = [k for k, _ in register.SUMMARY_COLUMNS[1:] if k != "ind_met_share"]
    for k in numeric:
        assert national[k] == pytest.approx(sum(r[k] or 0 for r in regions.values())), k
    assert national["reports"] == len(corpus["specs"]) - 1
    assert national["ind_met_share"] == pytest.approx(national["ind_met"] / national["ind_lines"] * 100)
    # The summary's own columns agree with the Reports sheet (current rows only).
    reports = [r for r in _records(merged["sheets"], "reports")
               if r["status"] != register.REPORT_STATUS["superseded"].get(LANG)]
    assert national["ind_lines"] == sum(r["ind_lines"] or 0 for r in reports)


def test_resubmission_supersedes_the_older_report(corpus, merged):
    old, new = corpus["old"]["name"], corpus["new"]["name"]
    assert corpus["old"]["path"].stat().st_mtime > corpus["new"]["path"].stat().st_mtime
    sheets = merged["sheets"]
    for key in ("indicators", "partners", "subgrants"):
        sources = [r["source_file"] for r in _records(sheets, key)]
        assert old not in sources, key
        assert new in sources, key
    dups = [f for f in _records(sheets, "findings") if f["code"] == "duplicate-submission"]
    assert len(dups) == 1
    dup = dups[0]
    assert dup["source_file"] == old
    assert old in dup["message"] and new in dup["message"]
    assert (dup["value"], dup["expected"]) == (old, new)
    regions, _ = _summary(sheets)
    assert regions["turkistan"]["grant"] == corpus["new"]["grant"] + 8000000


def test_broken_file_is_a_finding(corpus, merged):
    name = corpus["broken"]["name"]
    findings = [f for f in _records(merged["sheets"], "findings") if f["source_file"] == name]
    assert [f["code"] for f in findings] == ["file-unreadable"]
    assert findings[0]["severity"] == vocabulary.SEVERITY["error"].get(LANG)   # the CSV keeps "error"
    rows = _read_csv(merged["csv"] / "findings.csv")
    assert [name, "file-unreadable"] in [[r[0], r[rows[0].index("code")]] for r in rows[1:]]


# No formula, ever -----------------------------------------------------------------------------------

def _worksheet_parts(path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist()
                if n.startswith("xl/worksheets/") and n.endswith(".xml")}


def test_no_formula_anywhere_in_the_register(merged):
    parts = _worksheet_parts(merged["xlsx"])
    assert len(parts) == 1 + len(register.SHEETS)
    for name, xml in parts.items():
        assert not re.search(r"<f[\s>/]", xml), name


def test_formula_looking_text_is_text(corpus, merged):
    name = corpus["hostile"]["name"]
    wb = load_workbook(merged["xlsx"], read_only=True)
    try:
        ws = wb[_title("reports")]
        header = [c.value for c in next(ws.iter_rows(max_row=1))]
        keys = [c.key for c in register.REPORT_COLUMNS]
        assert header == [c.label.get(LANG) for c in register.REPORT_COLUMNS]
        row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == name)
        for field, text in HOSTILE_TEXTS.items():
            cell = row[keys.index(field)]
            assert (cell.value, cell.data_type) == (text, "s"), field
    finally:
        wb.close()
    sheets = merged["sheets"]
    ind = [r for r in _records(sheets, "indicators") if r["source_file"] == name]
    assert HYPERLINK in [r["ind_indicator"] for r in ind]
    assert -3 in [r["ind_fact"] for r in ind]
    assert "+cmd" in [r["partner_name"] for r in _records(sheets, "partners") if r["source_file"] == name]
    assert "@SUM(A1)" in [r["subgrant_locality"] for r in _records(sheets, "subgrants")
                          if r["source_file"] == name]


def _csv_records(path) -> list[dict]:
    rows = _read_csv(path)
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_csv_neutralises_formula_looking_text(corpus, merged):
    name = corpus["hostile"]["name"]
    d = merged["csv"]
    report = next(r for r in _csv_records(d / "reports.csv") if r["source_file"] == name)
    for field, text in HOSTILE_TEXTS.items():
        assert report[field] == "'" + text, field
    assert not report["project_goal"].startswith("\t")    # the reader trims it, or it is prefixed
    ind = [r for r in _csv_records(d / "indicators.csv") if r["source_file"] == name]
    assert "'" + HYPERLINK in [r["ind_indicator"] for r in ind]
    negative = next(r for r in ind if r["ind_fact"].startswith("-"))
    assert negative["ind_fact"] == "-3" and float(negative["calc_ind_percent"]) < 0
    partners = [r["partner_name"] for r in _csv_records(d / "partners.csv") if r["source_file"] == name]
    assert "'+cmd" in partners
    sub = [r["subgrant_locality"] for r in _csv_records(d / "subgrants.csv") if r["source_file"] == name]
    assert sub == ["'@SUM(A1)"]
    # Numbers are never prefixed; no unprefixed dangerous cell anywhere.
    for _, _, columns, csv_name in register.SHEETS:
        for r in _read_csv(d / csv_name)[1:]:
            for col, v in zip(columns, r):
                if col.kind in ("number", "int") and v:
                    float(v)
                elif v and not v.startswith("'"):
                    assert not values.looks_like_formula(v), (csv_name, col.key, v)


# CSVs match the workbook ----------------------------------------------------------------------------

CSV_HEADERS = {
    "reports.csv": ["source_file", "sha256", "template_version", "lang", "read_at", "status", "errors",
                    "warnings", "ind_lines", "ind_met_share"]
    + [n for f in form.HEADER_FIELDS + form.IMPACT_FIELDS + form.STATS_FIELDS
       for n in ((f.name, "agreement_key") if f.name == "agreement_no" else (f.name,))]
    + ["supersedes", "superseded_by"],
    "findings.csv": ["source_file", "sha256", "code", "severity", "sheet", "cell", "field", "row", "value",
                     "expected", "message"],
}


def test_csv_headers_are_stable_ascii(merged):
    for key, _, columns, csv_name in register.SHEETS:
        header = _read_csv(merged["csv"] / csv_name)[0]
        assert header == [c.key for c in columns]
        assert all(h.isascii() and re.fullmatch(r"[a-z0-9_]+", h) for h in header), header
        assert header[:2] == ["source_file", "sha256"]
        names = set(form.input_names())
        table = {"indicators": "ind", "partners": "partner", "subgrants": "subgrant"}.get(key)
        if table:
            assert {f.name for f in form.TABLE[table].columns} <= set(header)
        own = {"source_file", "sha256", "source_cell", "row", "template_version", "lang", "read_at",
               "status", "errors", "warnings", "ind_lines", "ind_met_share", "agreement_key", "supersedes",
               "superseded_by"} | set(CSV_HEADERS["findings.csv"])
        assert set(header) <= names | set(form.COMPUTED_BY_NAME) | own, key
    for csv_name, expected in CSV_HEADERS.items():
        assert _read_csv(merged["csv"] / csv_name)[0] == expected
    assert {"status"} <= set(_read_csv(merged["csv"] / "reports.csv")[0])
    assert CSV_HEADERS["findings.csv"][2:] == list(Finding("file-unreadable", params={"reason": "x"}).to_dict())


def _label_to_code(col, value):
    if not isinstance(value, str):
        return value
    if col.kind.startswith("choice:"):
        return {o.label.get(LANG): o.code for o in form.LIST[col.kind[7:]].options}.get(value, value)
    if col.kind == "status":
        return {t.get(LANG): k for k, t in form.STATUSES.items()}.get(value, value)
    if col.key == "status":
        return {t.get(LANG): k for k, t in register.REPORT_STATUS.items()}[value]
    if col.kind == "severity":
        return {t.get(LANG): k for k, t in vocabulary.SEVERITY.items()}[value]
    return value


def _assert_cell_matches(col, wb_value, csv_value, where):
    v = _label_to_code(col, wb_value)
    if v is None or v == "":
        assert csv_value == "", where
    elif isinstance(v, dt.datetime):
        if col.kind == "date":
            assert csv_value == v.date().isoformat(), where
        else:
            assert abs((dt.datetime.fromisoformat(csv_value) - v).total_seconds()) < 1, where
    elif isinstance(v, bool):
        assert csv_value == str(v), where
    elif isinstance(v, (int, float)):
        assert float(csv_value) == pytest.approx(v, rel=1e-12, abs=1e-12), where
    else:
        expected = "'" + v if values.looks_like_formula(v) else v
        assert csv_value == expected, where


def test_csvs_match_the_workbook_sheet_by_sheet(corpus, merged):
    for key, _, columns, csv_name in register.SHEETS:
        wb_rows = _records(merged["sheets"], key)
        csv_rows = _read_csv(merged["csv"] / csv_name)[1:]
        assert len(wb_rows) == len(csv_rows), key
        assert len(wb_rows) > 0, key
        for i, (w, c) in enumerate(zip(wb_rows, csv_rows)):
            assert len(c) == len(columns)
            for col, cv in zip(columns, c):
                _assert_cell_matches(col, w[col.key], cv, (key, i, col.key))
        # Rows follow the input order in every sheet.
        order = {n: i for i, n in enumerate(_names(corpus))}
        positions = [order[w["source_file"]] for w in wb_rows]
        assert positions == sorted(positions), key


# Determinism, layout --------------------------------------------------------------------------------

def _without_read_at(sheets, lang=LANG):
    out = dict(sheets)
    title = _title("reports", lang)
    col = [c.key for c in register.REPORT_COLUMNS].index("read_at")
    out[title] = [r[:col] + r[col + 1:] for r in sheets[title]]
    return out


def test_same_inputs_same_register(corpus, merged, tmp_path):
    again = register.merge([corpus["folder"]], tmp_path / "again.xlsx", csv_dir=tmp_path / "csv",
                           lang=LANG, jobs=2)
    assert again.to_dict()["files"] == merged["result"].files
    first, second = merged["sheets"], _read_register(tmp_path / "again.xlsx")
    assert list(first) == list(second)
    assert _without_read_at(first) == _without_read_at(second)
    for _, _, _, csv_name in register.SHEETS:
        a, b = _read_csv(merged["csv"] / csv_name), _read_csv(tmp_path / "csv" / csv_name)
        if csv_name == "reports.csv":
            i = a[0].index("read_at")
            a = [r[:i] + r[i + 1:] for r in a]
            b = [r[:i] + r[i + 1:] for r in b]
        assert a == b, csv_name


def test_register_layout_chart_filters_frozen_headers(merged):
    with zipfile.ZipFile(merged["xlsx"]) as z:
        names = z.namelist()
    assert "xl/charts/chart1.xml" in names
    parts = _worksheet_parts(merged["xlsx"])
    for name, xml in parts.items():
        assert "<autoFilter " in xml, name
        assert re.search(r'<pane [^>]*state="frozen"', xml), name
    assert "<drawing " in parts["xl/worksheets/sheet1.xml"]      # the chart sits on the Summary
    assert list(merged["sheets"]) == [register.SUMMARY_TITLE.get(LANG)] + [
        t.get(LANG) for _, t, _, _ in register.SHEETS]


def test_register_inside_the_input_folder_is_skipped(corpus, tmp_path):
    folder = tmp_path / "incoming"
    shutil.copytree(corpus["folder"], folder)
    out = folder / "register.xlsx"
    first = register.merge([folder], out, lang="kk", jobs=2)
    second = register.merge([folder], out, lang="kk", jobs=2)
    assert first.files == second.files == len(corpus["specs"])
    sources = [r["source_file"] for r in _records(_read_register(out), "reports", "kk")]
    assert sources == _names(corpus)
    assert [p.name for p in folder.iterdir() if p.name.endswith(".part")] == []


def test_cli_merge_json_summary(corpus, tmp_path):
    out = tmp_path / "register.xlsx"
    result = CliRunner().invoke(cli.cli, ["merge", str(corpus["folder"]), "-o", str(out), "--csv-dir",
                                          str(tmp_path / "csv"), "--lang", "kk", "--jobs", "2", "--json"])
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"files", "valid", "invalid", "unreadable", "superseded", "superseded_invalid",
                            "written", "output", "csv", "warnings", "cached"}
    assert payload["written"] is True
    statuses = [s["status"] for s in corpus["specs"]]
    assert payload["files"] == len(statuses)
    for k in ("valid", "invalid", "unreadable", "superseded"):
        assert payload[k] == statuses.count(k), k
    assert payload["output"] == str(out) and out.exists()
    assert sorted(Path(p).name for p in payload["csv"]) == sorted(c for _, _, _, c in register.SHEETS)
    labels = {k: t.get("kk") for k, t in register.REPORT_STATUS.items()}
    assert [r["status"] for r in _records(_read_register(out), "reports", "kk")] == [
        labels[s] for s in statuses]
    usage = CliRunner().invoke(cli.cli, ["merge", str(corpus["folder"])])
    assert usage.exit_code == 2


# A worker that dies -----------------------------------------------------------------------------------

def _crashing_read_one(original):
    def read_one(index, path, lang):
        if Path(path).name.startswith("crash"):
            os._exit(3)                               # as the kernel's OOM killer would
        return original(index, path, lang)
    return read_one


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="the patched reader reaches the workers only when they are forked")
def test_a_worker_that_dies_costs_only_its_file(corpus, tmp_path, monkeypatch):
    # The pool's retry logic is under test, not its start method: fork, so the workers get the patch.
    monkeypatch.setattr(register, "START_METHOD", "fork")
    folder = tmp_path / "in"
    folder.mkdir()
    good = [s for s in corpus["specs"] if s["status"] in ("valid", "invalid")][:5]
    for s in good:
        shutil.copy(s["path"], folder / Path(s["name"]).name)
    shutil.copy(good[0]["path"], folder / "crash.xlsx")
    monkeypatch.setattr(register, "read_one", _crashing_read_one(register.read_one))
    result = register.merge([folder], tmp_path / "r.xlsx", csv_dir=tmp_path / "csv", jobs=2)
    assert (result.files, result.unreadable) == (6, 1)
    reports = _csv_records(tmp_path / "csv" / "reports.csv")
    assert [r["source_file"] for r in reports] == sorted(p.name for p in folder.iterdir())
    assert {r["source_file"]: r["status"] for r in reports}["crash.xlsx"] == "unreadable"
    assert [s["status"] for s in good] == [r["status"] for r in reports if r["source_file"] != "crash.xlsx"]
    findings = [(f["source_file"], f["code"]) for f in _csv_records(tmp_path / "csv" / "findings.csv")]
    assert ("crash.xlsx", "file-unreadable") in findings


def test_the_pool_does_not_fork_a_possibly_threaded_process():
    assert register.START_METHOD in ("forkserver", "spawn")
    assert register._pool(1)._mp_context.get_start_method() == register.START_METHOD


def _failing_setrlimit(*args):
    raise ValueError("planted: not allowed here")


def test_a_memory_limit_that_cannot_be_set_is_said(monkeypatch):
    import resource

    monkeypatch.setattr(resource, "setrlimit", _failing_setrlimit)
    assert register.set_memory_limit() == "ValueError: planted: not allowed here"


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="the patched setrlimit reaches the workers only when they are forked")
def test_a_worker_without_its_memory_limit_is_reported_once(corpus, tmp_path, monkeypatch):
    import resource

    folder = _copies(corpus, tmp_path / "in", 4)
    monkeypatch.setattr(register, "START_METHOD", "fork")
    monkeypatch.setattr(resource, "setrlimit", _failing_setrlimit)
    result = register.merge([folder], tmp_path / "r.xlsx", lang="ru", jobs=2)
    assert result.files == 4
    assert len(result.warnings) == 1 and "ValueError: planted" in result.warnings[0]
    assert "2 ГиБ" in result.warnings[0] and result.to_dict()["warnings"] == result.warnings
    # With the limit in place there is nothing to say.
    monkeypatch.undo()
    assert register.merge([folder], tmp_path / "r.xlsx", lang="ru", jobs=2).warnings == []


# Interrupted merge ----------------------------------------------------------------------------------

def _copies(corpus, folder: Path, n: int) -> Path:
    """n readable workbooks (copies of the corpus under distinct names)."""
    folder.mkdir()
    sources = [s["path"] for s in corpus["specs"] if s["status"] != "unreadable"]
    for i in range(n):
        shutil.copy(sources[i % len(sources)], folder / f"r{i:03d}.xlsx")
    return folder


def _start_merge(folder, target, stage: str, flag: Path):
    """`esep merge` in its own process group, holding at `stage` (tests/held_merge.py) until killed."""
    return subprocess.Popen([sys.executable, str(ROOT / "tests" / "held_merge.py"), stage, str(flag), "merge",
                             str(folder), "-o", str(target), "--jobs", "2"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def _kill(proc):
    """SIGKILL the merge and its worker processes (its own process group, started above)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def _wait_until_held(proc, flag: Path, timeout: float = 300) -> None:
    """Wait for the merge to reach its holding point (it creates `flag` there)."""
    deadline = time.monotonic() + timeout
    while not flag.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the merge ended ({proc.returncode}) before its holding point: "
                                 + proc.stderr.read().decode(errors="replace")[-2000:])
        if time.monotonic() > deadline:   # a hang, not a timing assumption: fail rather than wait forever
            raise AssertionError(f"the merge did not reach its holding point in {timeout} s")
        time.sleep(0.01)


def _earlier_register(corpus, target) -> bytes:
    target.parent.mkdir(parents=True, exist_ok=True)
    register.merge([corpus["folder"]], target, lang="kk", jobs=2)
    return target.read_bytes()


def _assert_intact(target, before: bytes):
    assert target.read_bytes() == before
    sheets = _read_register(target)
    assert len(_records(sheets, "reports", "kk")) > 0
    # The merge cache beside the register is an output of its own (toolkit/cache.py), not a leftover.
    leftovers = sorted(p.name for p in target.parent.iterdir() if p != target and p.name != ".esep-cache")
    pattern = re.compile(r"^\." + re.escape(target.name) + r"\..+\.part$")
    assert all(pattern.match(n) for n in leftovers), leftovers
    return leftovers


def test_merge_killed_while_reading_leaves_the_earlier_register(corpus, tmp_path):
    big = _copies(corpus, tmp_path / "big", 6)
    target = tmp_path / "out" / "same.xlsx"
    before = _earlier_register(corpus, target)
    proc = _start_merge(big, target, "reading", tmp_path / "held")
    try:
        _wait_until_held(proc, tmp_path / "held")
    finally:
        _kill(proc)
    assert _assert_intact(target, before) == []   # no temporary register begun yet


def test_merge_killed_while_writing_leaves_the_earlier_register(corpus, tmp_path):
    big = _copies(corpus, tmp_path / "big", 6)
    target = tmp_path / "out" / "same.xlsx"
    before = _earlier_register(corpus, target)
    earlier_reports = len(_records(_read_register(target), "reports", "kk"))
    proc = _start_merge(big, target, "writing", tmp_path / "held")
    try:
        _wait_until_held(proc, tmp_path / "held")
    finally:
        _kill(proc)
    # A SIGKILL cannot be cleaned up after: the temporary file stays, but it is never an input...
    assert len(_assert_intact(target, before)) == 1
    assert register.find_inputs([target.parent], output=target) == []
    # ... nor in the way of the next merge, which replaces the register (one report instead of all).
    one = next(Path(s["path"]) for s in corpus["specs"] if s["status"] == "valid")
    again = register.merge([one], target, lang="kk", jobs=2)
    assert again.files == 1 and earlier_reports > 1
    assert [r["source_file"] for r in _records(_read_register(target), "reports", "kk")] == [one.name]


def test_merge_terminated_while_writing_cleans_up(corpus, tmp_path):
    """SIGTERM (unlike SIGKILL) is handled: the temporary register is removed, the earlier one stays."""
    big = _copies(corpus, tmp_path / "big", 6)
    target = tmp_path / "out" / "same.xlsx"
    before = _earlier_register(corpus, target)
    proc = _start_merge(big, target, "writing", tmp_path / "held")
    try:
        _wait_until_held(proc, tmp_path / "held")
        proc.send_signal(signal.SIGTERM)     # the main process only, as `kill PID` does
        code = proc.wait(timeout=60)
    finally:
        _kill(proc)
    assert code == 128 + signal.SIGTERM
    assert _assert_intact(target, before) == []


# find_inputs ----------------------------------------------------------------------------------------

def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_find_inputs_order_and_skips(tmp_path):
    for name in ("b.xlsx", "a.xlsx", "C.xlsm", "notes.txt", "~$a.xlsx", "a.checked.xlsx", "B.CHECKED.XLSX",
                 "register.xlsx", "zz/deep/y.xlsx", "zz/x.xlsx", "aa/m.xlsx", "aa/.part-like.xlsx.1.part"):
        _touch(tmp_path / "in" / name)
    folder = tmp_path / "in"
    found = register.find_inputs([folder], output=folder / "register.xlsx")
    assert [p.relative_to(folder).as_posix() for p in found] == [
        "C.xlsm", "a.xlsx", "b.xlsx", "aa/m.xlsx", "zz/x.xlsx", "zz/deep/y.xlsx"]
    # Without the output, the register is an input like any workbook.
    assert folder / "register.xlsx" in register.find_inputs([folder])


def test_find_inputs_input_order_duplicates_and_explicit_files(tmp_path, monkeypatch):
    folder = tmp_path / "in"
    for name in ("a.xlsx", "b.xlsx"):
        _touch(folder / name)
    txt = _touch(tmp_path / "report.txt")
    lock = _touch(tmp_path / "~$report.xlsx")
    checked = _touch(tmp_path / "report.checked.xlsx")
    late = _touch(tmp_path / "late.xlsx")
    found = register.find_inputs([late, txt, folder, folder / "b.xlsx", lock, checked, late])
    assert found == [late, txt, folder / "a.xlsx", folder / "b.xlsx"]
    # The output is recognised however it is spelled.
    monkeypatch.chdir(tmp_path)
    assert register.find_inputs([folder], output=Path("in") / "a.xlsx") == [folder / "b.xlsx"]


def test_explicit_non_workbook_becomes_a_finding(corpus, tmp_path):
    txt = tmp_path / "report.txt"
    txt.write_text("hello", encoding="utf-8")
    good = shutil.copy(corpus["specs"][0]["path"], tmp_path / "good.xlsx")
    result = register.merge([txt, good], tmp_path / "r.xlsx", csv_dir=tmp_path / "csv", jobs=1)
    assert (result.files, result.unreadable, result.valid) == (2, 1, 1)
    findings = _csv_records(tmp_path / "csv" / "findings.csv")
    assert ("report.txt", "file-unreadable") in [(f["source_file"], f["code"]) for f in findings]
    reports = _csv_records(tmp_path / "csv" / "reports.csv")
    assert [r["source_file"] for r in reports] == ["report.txt", good.name]


def test_a_bug_on_one_file_is_listed_on_that_file_and_the_merge_goes_on(corpus, tmp_path, monkeypatch):
    """An exception inside esep (not a bad file: a bug) becomes an internal-error finding of its file."""
    folder = tmp_path / "in"
    folder.mkdir()
    good = [s for s in corpus["specs"] if s["status"] in ("valid", "invalid")][:3]
    for s in good:
        shutil.copy(s["path"], folder / Path(s["name"]).name)
    shutil.copy(good[0]["path"], folder / "bug.xlsx")
    original = register.read_one

    def read_one(index, path, lang):
        if path.endswith("bug.xlsx"):
            raise ZeroDivisionError("planted")
        return original(index, path, lang)

    monkeypatch.setattr(register, "read_one", read_one)
    result = register.merge([folder], tmp_path / "r.xlsx", csv_dir=tmp_path / "csv", jobs=1)
    assert (result.files, result.unreadable) == (4, 1)
    reports = {r["source_file"]: r["status"] for r in _csv_records(tmp_path / "csv" / "reports.csv")}
    assert reports["bug.xlsx"] == "unreadable"
    findings = [f for f in _csv_records(tmp_path / "csv" / "findings.csv") if f["source_file"] == "bug.xlsx"]
    assert [f["code"] for f in findings] == ["file-unreadable"]
    assert findings[0]["value"] == "ZeroDivisionError: planted"


def test_three_spellings_of_one_agreement_are_one_grant(corpus, tmp_path):
    """"94", "№ 94" and "№94" with one BIN are one grant: the newest report is current, the others are
    superseded; the register shows each number as typed and the key it was matched by."""
    folder = tmp_path / "in"
    folder.mkdir()
    spec = dict(corpus["specs"][0], lang="kk")
    names = []
    for day, typed in ((3, "94"), (9, "№ 94"), (6, "№94")):
        spec.update(agreement=typed, report_date=dt.date(2024, 12, day))
        names.append(f"report_{day}.xlsx")
        builders.clean(folder / names[-1], lang="kk", **_changes(spec))
    other = dict(spec, agreement="95", bin=spec["bin"])               # another grant of the same NGO
    builders.clean(folder / "report_other.xlsx", lang="kk", **_changes(other))
    result = register.merge([folder], tmp_path / "r.xlsx", csv_dir=tmp_path / "csv", jobs=1)
    assert (result.files, result.superseded) == (4, 2)
    reports = {r["source_file"]: r for r in _csv_records(tmp_path / "csv" / "reports.csv")}
    assert [(reports[n]["agreement_no"], reports[n]["agreement_key"]) for n in names] == [
        ("94", "94"), ("№ 94", "94"), ("№94", "94")]
    assert [reports[n]["status"] for n in names] == ["superseded", "valid", "superseded"]
    assert (reports["report_other.xlsx"]["agreement_key"], reports["report_other.xlsx"]["status"]) == ("95", "valid")
    dups = [f for f in _csv_records(tmp_path / "csv" / "findings.csv") if f["code"] == "duplicate-submission"]
    assert sorted((f["source_file"], f["expected"]) for f in dups) == [
        ("report_3.xlsx", "report_9.xlsx"), ("report_6.xlsx", "report_9.xlsx")]
    regions, national = _summary(_read_register(tmp_path / "r.xlsx"), lang="kk")
    assert national["grant"] == 2 * spec["grant"]                      # the grant counted once, plus «95»
