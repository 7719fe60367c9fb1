"""The reporting round (issue #13): the roster, esep issue, merge --roster, the resubmission chain."""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from builders import ROOT, VALID_BIN, clean_singles, clean_tables
from click.testing import CliRunner

import cli
from toolkit import expected, form, register, roster, values
from toolkit.issue import CODE_ALPHABET, CODES_HEADER, issue
from toolkit.reader import file_sha256
from toolkit.template import INPUT_FILL, write_template

BIN_B = values.make_bin("19084000123")
BIN_C = values.make_bin("15114000456")
BIN_B_TYPO = values.make_bin("19084000124")     # BIN_B with one digit wrong (and a valid check digit)
HEADER = ("agreement_no", "agreement_date", "org_bin", "org_name", "region", "project_name", "grant_amount",
          "period_start", "period_end", "due_date", "report_type", "org_email", "org_phone", "program")
ROW_A = ("94", "20.05.2024", VALID_BIN, "«Жас Ұрпақ» жастар қоғамдық бірлестігі", "Жетісу облысы",
         "Азаматтарды қоғамдық бақылауға тарту", "7000000", "27.05.2024", "30.11.2024", "10.12.2024", "", "",
         "", "")
ROW_B = ("112", "03.06.2024", BIN_B, "«Болашақ» қоғамдық қоры", "abai", "Мектептер", "12500000", "10.06.2024",
         "30.11.2024", "10.12.2024", "final", "info@example.kz", "", "Білім")
ROW_C = ("№ 57-Г", "15.04.2024", BIN_C, "ОО «Зелёный город»", "город Алматы", "Озеленение", "7000000",
         "01.05.2024", "30.11.2024", "15.11.2024", "промежуточный", "", "+7 727 000 00 00", "")


def run_cli(args):
    r = CliRunner().invoke(cli.cli, args)
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stdout, r.stderr


def write_csv(path: Path, rows, header=HEADER, delimiter=",", bom=False) -> Path:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def report(path: Path, lang="kk", **changes) -> Path:
    singles = clean_singles()
    if lang == "ru":
        singles.update(report_type="итоговый", region="область Жетісу")
    singles.update(changes)
    return write_template(path, lang=lang, data={"singles": singles, "tables": clean_tables()})


def at(path: Path, when: dt.datetime) -> Path:
    t = when.timestamp()
    os.utime(path, (t, t))
    return path


# The roster ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("delimiter,bom", [(",", False), (";", True), (";", False), (",", True)])
def test_csv_roster_any_delimiter_and_bom(tmp_path, delimiter, bom):
    r = roster.load(write_csv(tmp_path / "r.csv", [ROW_A, ROW_B, ROW_C], delimiter=delimiter, bom=bom))
    assert [e.key for e in r.entries] == [(VALID_BIN, "94", "final"), (BIN_B, "112", "final"),
                                          (BIN_C, values.agreement_key("57-г"), "interim")]
    a, b, c = r.entries
    assert (a["region"], b["region"], c["region"]) == ("zhetysu", "abai", "almaty")
    assert a["agreement_date"] == dt.date(2024, 5, 20) and a["grant_amount"] == 7000000
    assert c["org_phone"] == "+77270000000" and b["program"] == "Білім" and a["org_email"] is None
    assert [e.line for e in r.entries] == [2, 3, 4]


def test_roster_with_kazakh_and_russian_headers(tmp_path):
    kk = [form.label(k, "kk") if k in form.FIELD else k for k in HEADER]
    kk[HEADER.index("due_date")] = "Есепті тапсыру мерзімі"
    ru = [form.label(k, "ru") if k in form.FIELD else k for k in HEADER]
    ru[HEADER.index("due_date")] = "Срок сдачи отчёта"
    for header in (kk, ru):
        r = roster.load(write_csv(tmp_path / "r.csv", [ROW_A], header=header, delimiter=";"))
        assert r.entries[0].key == (VALID_BIN, "94", "final")
        assert r.entries[0]["due_date"] == dt.date(2024, 12, 10)


def test_xlsx_roster_with_typed_cells(tmp_path):
    path = tmp_path / "r.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Реестр")
    date = wb.add_format({"num_format": "dd.mm.yyyy"})
    ws.write_row(0, 0, HEADER)
    ws.write_string(1, 0, "94")
    ws.write_datetime(1, 1, dt.datetime(2024, 5, 20), date)
    ws.write_number(1, 2, int(VALID_BIN))           # a BIN typed as a number
    ws.write_row(1, 3, ROW_A[3:6])
    ws.write_number(1, 6, 7000000)
    for c, d in ((7, dt.datetime(2024, 5, 27)), (8, dt.datetime(2024, 11, 30)), (9, dt.datetime(2024, 12, 10))):
        ws.write_datetime(1, c, d, date)
    wb.close()
    (entry,) = roster.load(path).entries
    assert entry.key == (VALID_BIN, "94", "final")
    assert (entry["agreement_date"], entry["due_date"]) == (dt.date(2024, 5, 20), dt.date(2024, 12, 10))


def test_bad_roster_lists_every_bad_row_and_cell(tmp_path):
    bad = list(ROW_B)
    bad[1], bad[2], bad[4], bad[6], bad[9] = "31.02.2024", "123456789012", "Марс", "-5", ""
    dup = list(ROW_A)
    dup[0] = "№ 94"                                  # the same agreement as ROW_A, written otherwise
    backwards = list(ROW_C)
    backwards[7], backwards[8] = "01.12.2024", "01.05.2024"
    path = write_csv(tmp_path / "r.csv", [ROW_A, bad, dup, backwards])
    with pytest.raises(roster.RosterError) as exc:
        roster.load(path)
    got = [(p.row, p.column, p.cell, p.kind) for p in exc.value.problems]
    assert got == [(3, "agreement_date", "B3", "date"), (3, "org_bin", "C3", "bin"), (3, "region", "E3", "choice"),
                   (3, "grant_amount", "G3", "amount"), (3, "due_date", "J3", "required"),
                   (4, "agreement_no", "A4", "duplicate"), (5, "period_end", "I5", "period")]
    assert "2" in exc.value.problems[5].message("ru")     # names the first row of the agreement


def test_roster_missing_column_and_not_utf8(tmp_path):
    with pytest.raises(roster.RosterError) as exc:
        roster.load(write_csv(tmp_path / "r.csv", [ROW_A[:9]], header=HEADER[:9]))
    assert [(p.column, p.kind) for p in exc.value.problems] == [("due_date", "column")]
    path = tmp_path / "cp.csv"
    path.write_bytes(";".join(HEADER).encode() + "\n94;Ұйым".encode("utf-16-le"))
    with pytest.raises(roster.RosterError) as exc:
        roster.load(path)
    assert exc.value.problems[0].kind == "encoding"


def test_roster_template_headers_dropdowns_messages_and_round_trip(tmp_path):
    out = tmp_path / "roster.xlsx"
    code, stdout, _ = run_cli(["roster-template", "--lang", "ru", "-o", str(out)])
    assert code == 0
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == [c.key for c in roster.COLUMNS]
    assert ws["J2"].value == "Срок сдачи отчёта"
    dvs = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    assert dvs["E3"].type == "list" and dvs["K3"].type == "list"
    assert dvs["B3"].type == "date" and dvs["C3"].type == "textLength" and dvs["G3"].type == "decimal"
    assert all(dv.prompt for dv in dvs.values())
    lists = wb["_lists"]
    assert lists.sheet_state == "hidden"
    assert [c.value for c in lists["A"]] == form.LIST["region"].labels("ru")
    # Filled in by the operator, it loads (the label row is skipped).
    for c, v in enumerate(ROW_C, 1):
        ws.cell(3, c, v)
    wb.save(out)
    assert [e.key for e in roster.load(out).entries] == [(BIN_C, values.agreement_key("57Г"), "interim")]
    assert out.read_bytes() != b""


def test_roster_template_is_deterministic(tmp_path):
    roster.write_template(tmp_path / "a.xlsx", "kk")
    roster.write_template(tmp_path / "b.xlsx", "kk")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_sample_roster_of_the_examples_loads():
    r = roster.load(ROOT / "workbook_templates" / "examples" / "roster.csv")
    assert len(r.entries) >= 2
    assert (values.make_bin("24054000123"), "94", "final") in [e.key for e in r.entries]


def test_sample_roster_is_not_merged_as_a_report(tmp_path):
    paths = register.find_inputs([ROOT / "workbook_templates" / "examples"])
    assert all(p.suffix == ".xlsx" for p in paths) and not any("roster" in p.name for p in paths)


# esep issue -----------------------------------------------------------------------------------------

def test_issue_prefilled_locked_deterministic(tmp_path):
    path = write_csv(tmp_path / "r.csv", [ROW_A, ROW_B, ROW_C])
    code, stdout, _ = run_cli(["issue", str(path), "--out-dir", str(tmp_path / "a"), "--lang", "ru", "--json"])
    assert code == 0
    listed = json.loads(stdout)["files"]
    names = [Path(f["file"]).name for f in listed]
    assert names == [f"{VALID_BIN}_94.xlsx", f"{BIN_B}_112.xlsx", f"{BIN_C}_57-g_interim.xlsx"]
    run_cli(["issue", str(path), "--out-dir", str(tmp_path / "b"), "--lang", "ru"])
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    wb = openpyxl.load_workbook(tmp_path / "a" / names[2])
    ws = wb[form.sheet_title("header", "ru")]
    f = form.FIELD
    assert ws[f["org_bin"].cell].value == BIN_C
    assert ws[f["agreement_no"].cell].value == "№ 57-Г"
    assert ws[f["report_type"].cell].value == "промежуточный"
    assert ws[f["region"].cell].value == "город Алматы"
    assert ws[f["grant_amount"].cell].value == 7000000
    assert ws[f["period_start"].cell].value == dt.datetime(2024, 5, 1)
    for name in ("org_bin", "agreement_no", "agreement_date", "grant_amount", "region", "period_end"):
        cell = ws[f[name].cell]
        assert cell.protection.locked, name
        assert (cell.fill.fgColor.rgb or "")[-6:].upper() != INPUT_FILL[1:], name
    validated = {str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert f["region"].cell not in validated and f["org_head"].cell in validated
    assert not ws[f["org_head"].cell].protection.locked       # the NGO fills the rest
    assert ws.protection.sheet


def test_issued_workbook_reads_back_with_the_roster_values(tmp_path):
    r = roster.load(write_csv(tmp_path / "r.csv", [ROW_C]))
    (item,) = issue(r, tmp_path / "out", lang="kk")
    from toolkit.reader import read

    rep = read(item.path)
    v = rep.values
    assert (v["org_bin"], v["agreement_no"], v["report_type"], v["region"]) == (BIN_C, "№ 57-Г", "interim", "almaty")
    assert (v["grant_amount"], v["period_end"]) == (7000000, dt.date(2024, 11, 30))
    assert not [x for x in rep.findings if x.code in ("type-error", "unknown-option", "bin-invalid")]


def test_access_codes_contract(tmp_path):
    r = roster.load(write_csv(tmp_path / "r.csv", [ROW_A, ROW_B, ROW_C]))
    issued = issue(r, tmp_path / "out")
    raw = (tmp_path / "out" / "access-codes.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert tuple(rows[0]) == CODES_HEADER == ("agreement_no", "org_bin", "org_name", "file", "access_code")
    assert [row[:4] for row in rows[1:]] == [[e["agreement_no"], e["org_bin"], e["org_name"], Path(i.path).name]
                                             for e, i in zip(r.entries, issued)]
    codes = [row[4] for row in rows[1:]]
    assert len(set(codes)) == 3 and all(len(c) >= 10 and set(c) <= set(CODE_ALPHABET) for c in codes)


def test_bad_roster_writes_nothing_and_exits_2(tmp_path):
    bad = list(ROW_A)
    bad[2] = "123"
    path = write_csv(tmp_path / "r.csv", [bad])
    code, stdout, stderr = run_cli(["issue", str(path), "--out-dir", str(tmp_path / "out"), "--lang", "ru"])
    assert code == 2 and not (tmp_path / "out").exists()
    assert "строка 2, org_bin (C2)" in stderr
    report(tmp_path / "in.xlsx")
    code, _, stderr = run_cli(["merge", str(tmp_path / "in.xlsx"), "-o", str(tmp_path / "reg.xlsx"),
                               "--roster", str(path)])
    assert code == 2 and not (tmp_path / "reg.xlsx").exists()


# merge --roster -------------------------------------------------------------------------------------

DUE = dt.datetime(2024, 12, 10, 12, 0)


@pytest.fixture(scope="module")
def round_(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("round")
    inbox = tmp / "inbox"
    inbox.mkdir()
    rows_ = [ROW_A, ROW_B, ROW_C,
             ("7", "01.02.2024", values.make_bin("21034000789"), "Ұйым", "Абай облысы", "Жоба", "1000000",
              "01.03.2024", "01.09.2024", "01.10.2024", "", "", "", "")]
    path = write_csv(tmp / "roster.csv", rows_)
    # A: on time, but its grant amount and region differ from the roster; its name differs only in quotes.
    at(report(inbox / "a.xlsx", grant_amount=7500000, region="Абай облысы",
              org_name="ҚБ \"ЖАС ҰРПАҚ\"  жастар қоғамдық бірлестігі"), DUE - dt.timedelta(days=1))
    # B: late; the BIN is mistyped (still valid) but the agreement number names one grant.
    at(report(inbox / "b.xlsx", org_bin=BIN_B_TYPO,
              agreement_no="№ 112", agreement_date=dt.date(2024, 6, 3), region="Абай облысы",
              project_name="Мектептер", grant_amount=12500000, period_start=dt.date(2024, 6, 10),
              org_name="«Болашақ» ҚҚ"), DUE + dt.timedelta(days=3))
    # C: the interim report of grant 57-Г arrives through the intake page: its receipt decides the time.
    at(report(inbox / "c.xlsx", lang="ru", org_bin=BIN_C, agreement_no="57-г", report_type="промежуточный",
              agreement_date=dt.date(2024, 4, 15), region="город Алматы", project_name="Озеленение",
              org_name="Общественное объединение «Зелёный город»", period_start=dt.date(2024, 5, 1)),
       DUE + dt.timedelta(days=30))
    (inbox / "c.xlsx.receipt.json").write_text(json.dumps(
        {"received_at": "2024-11-14T06:12:03Z", "sha256": file_sha256(inbox / "c.xlsx"), "agreement_no": "57-г",
         "org_bin": BIN_C, "original_name": "c.xlsx", "esep_version": "0.1.0"}))
    # A stranger: nobody expects this BIN and agreement.
    at(report(inbox / "stranger.xlsx", org_bin=values.make_bin("30123400567"), agreement_no="999"),
       DUE - dt.timedelta(days=5))
    # The same file sent twice.
    shutil.copy(inbox / "a.xlsx", inbox / "a-again.xlsx")
    at(inbox / "a-again.xlsx", DUE)
    out = tmp / "register.xlsx"
    result = register.merge([inbox], out, csv_dir=tmp / "csv", roster=path, lang="ru", jobs=2)
    return {"result": result, "out": out, "csv": tmp / "csv", "roster": path, "inbox": inbox}


def _csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_expected_csv_statuses_and_columns(round_):
    rows = _csv(round_["csv"] / "expected.csv")
    assert list(rows[0]) == ["agreement_no", "org_bin", "org_name", "region", "report_type", "due_date", "status",
                             "valid", "on_time", "source_file"]
    got = [(r["agreement_no"], r["status"], r["valid"], r["on_time"], r["source_file"]) for r in rows]
    assert got == [("94", "received", "false", "true", "a.xlsx"),
                   ("112", "received", "false", "false", "b.xlsx"),
                   ("№ 57-Г", "received", "true", "true", "c.xlsx"),
                   ("7", "missing", "", "", "")]
    assert rows[2]["report_type"] == "interim" and rows[0]["region"] == "zhetysu"
    r = round_["result"].to_dict()
    assert (r["expected"], r["received"], r["missing"], r["late"]) == (4, 3, 1, 1)


def test_roster_findings_at_their_cells(round_):
    findings = _csv(round_["csv"] / "findings.csv")
    mine = [(f["source_file"], f["code"], f["severity"], f["field"], f["cell"], f["value"], f["expected"])
            for f in findings if f["code"] in ("roster-mismatch", "not-in-roster", "identical-resubmission")]
    cell = {k: form.FIELD[k].cell for k in form.FIELD}
    assert ("a.xlsx", "roster-mismatch", "error", "grant_amount", cell["grant_amount"], "7500000", "7000000") in mine
    assert ("a.xlsx", "roster-mismatch", "warning", "region", cell["region"], "область Абай",
            "область Жетісу") in mine
    assert ("b.xlsx", "roster-mismatch", "error", "org_bin", cell["org_bin"], BIN_B_TYPO, BIN_B) in mine
    assert ("stranger.xlsx", "not-in-roster", "warning", "org_bin", cell["org_bin"],
            values.make_bin("30123400567"), "") in mine
    assert ("a-again.xlsx", "identical-resubmission", "info", "", "", "a-again.xlsx", "a.xlsx") in mine
    # Forgiving: quotes, legal-form words; the agreement number "№ 112" is "112"; the interim of 57-Г
    # matches its own row; nothing else.
    fields = sorted((f[0], f[3]) for f in mine if f[1] == "roster-mismatch" and f[0] != "a-again.xlsx")
    assert fields == [("a.xlsx", "grant_amount"), ("a.xlsx", "region"), ("b.xlsx", "org_bin")]


def test_reports_sheet_and_statuses_with_roster(round_):
    reports = {r["source_file"]: r for r in _csv(round_["csv"] / "reports.csv")}
    assert reports["a.xlsx"]["status"] == "invalid"                 # roster-mismatch error
    assert reports["a-again.xlsx"]["status"] == "superseded"
    assert reports["a-again.xlsx"]["superseded_by"] == "a.xlsx" and reports["a.xlsx"]["supersedes"] == "a-again.xlsx"
    assert reports["c.xlsx"]["status"] == "valid"
    result = round_["result"]
    assert (result.files, result.superseded) == (5, 1)


def test_expected_sheet_and_summary_in_the_register(round_):
    wb = openpyxl.load_workbook(round_["out"], read_only=True)
    assert wb.sheetnames[:2] == ["Сводка", "Ожидаемые"]
    rows = list(wb["Ожидаемые"].iter_rows(values_only=True))
    head = rows[0]
    by = {r[0]: dict(zip(head, r)) for r in rows[1:]}
    assert by["№ 57-Г"]["Статус"] == "получен" and by["№ 57-Г"]["Вовремя"] == "да"
    assert by["№ 57-Г"]["Источник времени"] == "квитанция приёма"
    assert by["№ 57-Г"]["Время получения"] == dt.datetime(2024, 11, 14, 6, 12, 3) + _utc_offset()
    assert by["94"]["Источник времени"] == "время изменения файла"
    assert by["112"]["Вовремя"] == "нет" and by["7"]["Статус"] == "не получен"
    assert by["94"]["Ошибки"] == 1
    summary = list(wb["Сводка"].iter_rows(values_only=True))
    head = summary[2]
    assert head[-5:] == ("Ожидается отчётов", "Получено отчётов", "Не получено отчётов", "Доля сдавших, %",
                         "Сдано вовремя, %")
    regions = {r[0]: dict(zip(head, r)) for r in summary[3:] if r[0]}
    abai = regions["область Абай"]
    assert (abai["Ожидается отчётов"], abai["Получено отчётов"], abai["Не получено отчётов"]) == (2, 1, 1)
    assert abai["Доля сдавших, %"] == 50 and abai["Сдано вовремя, %"] == 0
    total = regions["Итого по республике"]
    assert (total["Ожидается отчётов"], total["Получено отчётов"]) == (4, 3)
    assert total["Сдано вовремя, %"] == pytest.approx(200 / 3)


def _utc_offset() -> dt.timedelta:
    return dt.datetime(2024, 11, 14, 6, 12, 3, tzinfo=dt.timezone.utc).astimezone().utcoffset()


def test_merge_json_gains_round_counts(round_, tmp_path):
    code, stdout, _ = run_cli(["merge", str(round_["inbox"]), "-o", str(tmp_path / "r.xlsx"), "--roster",
                               str(round_["roster"]), "--json"])
    data = json.loads(stdout)
    assert (data["expected"], data["received"], data["missing"], data["late"]) == (4, 3, 1, 1)
    assert code == 1
    code, stdout, _ = run_cli(["merge", str(round_["inbox"]), "-o", str(tmp_path / "r.xlsx"), "--json"])
    assert "expected" not in json.loads(stdout)


def test_receipt_with_another_sha_is_ignored(tmp_path):
    path = report(tmp_path / "x.xlsx")
    at(path, DUE)
    (tmp_path / "x.xlsx.receipt.json").write_text(json.dumps({"received_at": "2020-01-01T00:00:00Z",
                                                               "sha256": "0" * 64}))
    when, source = expected.received(path, "f" * 64)
    assert (when, source) == (DUE, "file-time")
    (tmp_path / "x.xlsx.receipt.json").write_text("{not json")
    assert expected.received(path, "f" * 64) == (DUE, "file-time")


def test_loose_names():
    assert expected.loose_name("«Жас Ұрпақ» ҚБ") == expected.loose_name('ҚБ "ЖАС ҰРПАҚ"')
    assert expected.loose_name("ОО «Зелёный  город»") == expected.loose_name("Зеленый город")
    assert expected.loose_name("Жас Ұрпақ") != expected.loose_name("Жас Қанат")


# The resubmission chain -----------------------------------------------------------------------------

def test_interim_and_final_of_one_grant_are_both_current(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    at(report(inbox / "interim.xlsx", report_type="аралық", report_date=dt.date(2024, 8, 1)), DUE)
    at(report(inbox / "final.xlsx", agreement_no="№ 94"), DUE)
    at(report(inbox / "final-fixed.xlsx", agreement_no="№94", report_date=dt.date(2024, 12, 6)), DUE)
    result = register.merge([inbox], tmp_path / "r.xlsx", csv_dir=tmp_path / "csv", jobs=1)
    reports = {r["source_file"]: r for r in _csv(tmp_path / "csv" / "reports.csv")}
    assert reports["interim.xlsx"]["status"] != "superseded"
    assert reports["final.xlsx"]["status"] == "superseded"
    assert reports["final.xlsx"]["superseded_by"] == "final-fixed.xlsx"
    assert reports["final-fixed.xlsx"]["supersedes"] == "final.xlsx"
    assert result.superseded == 1
    dups = [f for f in _csv(tmp_path / "csv" / "findings.csv") if f["code"] == "duplicate-submission"]
    assert [(f["source_file"], f["expected"]) for f in dups] == [("final.xlsx", "final-fixed.xlsx")]


@pytest.mark.parametrize("typed", ["94", "№ 94", "№94", " 94 ", "No 94", "N 94", "No. 94", 94.0])
def test_agreement_key_one_grant(typed):
    assert values.agreement_key(typed) == values.agreement_key("94") != ""


def test_agreement_key_keeps_what_tells_agreements_apart():
    assert values.agreement_key("94/1") != values.agreement_key("94/2")
    assert values.agreement_key("Nur-1") != values.agreement_key("1")   # a word starting with N is no «No»
    assert values.agreement_key("№ 12-А") == values.agreement_key("12a")   # Cyrillic А, Latin a


# While the Summary is reshaped ------------------------------------------------------------------------

def test_plan_conditions_are_words_and_chart_starts_at_zero(tmp_path):
    import zipfile

    report(tmp_path / "r.xlsx")
    register.merge([tmp_path / "r.xlsx"], tmp_path / "reg.xlsx", csv_dir=tmp_path / "csv", jobs=1)
    ops = [r["ind_operator"] for r in _csv(tmp_path / "csv" / "indicators.csv")]
    typed = [row.get("ind_operator") for row in clean_tables()["ind"]]
    lookup = form.option_lookup("operator")
    assert ops == [lookup[form.fold(t)] if t else "" for t in typed]
    assert {"eq", "ge"} <= set(ops) <= {"eq", "ge", "le", ""}
    with zipfile.ZipFile(tmp_path / "reg.xlsx") as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    value_axis = chart[chart.index("<c:valAx>"):]
    assert '<c:min val="0"/>' in value_axis


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_issue_names_the_check_page_and_speaks_the_operators_language(tmp_path, lang):
    """esep issue --check-url writes the page into every workbook's instruction sheet and _meta; its
    summary line and report types are in --lang."""
    from toolkit import vocabulary

    url = "https://esep.example.kz/tekseru"
    path = write_csv(tmp_path / "r.csv", [ROW_A, ROW_C])
    code, stdout, _ = run_cli(["issue", str(path), "--out-dir", str(tmp_path / "out"), "--lang", lang,
                               "--check-url", url])
    assert code == 0
    lines = stdout.splitlines()
    assert lines[-1] == vocabulary.WORDS["issued"].get(lang).format(n=2, codes=tmp_path / "out" / "access-codes.csv")
    assert f"({form.option_label('report_type', 'interim', lang)})" in lines[1]
    for f in (tmp_path / "out").glob("*.xlsx"):
        guide = openpyxl.load_workbook(f)[form.sheet_title("guide", lang)]
        texts = [c for row in guide.iter_rows(values_only=True) for c in row if isinstance(c, str)]
        assert vocabulary.SELF_CHECK.get(lang).format(url=url) in texts
        from toolkit.reader import read
        assert read(f).check_url == url


def test_the_sample_roster_with_the_examples(tmp_path):
    """Done when: with the sample roster and the examples, issue makes pre-filled workbooks and a merge
    with --roster shows who is missing and whose header disagrees."""
    examples = ROOT / "workbook_templates" / "examples"
    code, stdout, _ = run_cli(["issue", str(examples / "roster.csv"), "--out-dir", str(tmp_path / "issued"),
                               "--json"])
    assert code == 0 and len(json.loads(stdout)["files"]) == len(roster.load(examples / "roster.csv").entries)
    (tmp_path / "csv").mkdir()
    code, stdout, _ = run_cli(["merge", str(examples), "-o", str(tmp_path / "r.xlsx"), "--roster",
                               str(examples / "roster.csv"), "--csv-dir", str(tmp_path / "csv"), "--json",
                               "--no-cache"])
    data = json.loads(stdout)
    assert (data["expected"], data["received"], data["missing"]) == (3, 1, 2)
    expected_rows = _csv(tmp_path / "csv" / "expected.csv")
    assert [r["status"] for r in expected_rows] == ["received", "missing", "missing"]
    mismatches = {(f["source_file"], f["field"], f["severity"]) for f in _csv(tmp_path / "csv" / "findings.csv")
                  if f["code"] == "roster-mismatch"}
    assert ("broken_report.xlsx", "org_bin", "error") in mismatches
    assert ("broken_report.xlsx", "period_end", "warning") in mismatches


def test_issue_refuses_an_out_dir_that_is_a_file(tmp_path):
    path = write_csv(tmp_path / "r.csv", [ROW_A])
    blocker = tmp_path / "out"
    blocker.write_text("a file where the folder should be")
    code, _, stderr = run_cli(["issue", str(path), "--out-dir", str(blocker)])
    assert code == 2 and blocker.read_text() == "a file where the folder should be"
    assert set(tmp_path.iterdir()) == {path, blocker}                   # nothing written


def test_identical_unreadable_files_each_stay_unreadable(tmp_path):
    """Byte-identical copies of a readable report are one submission; copies of a file that is no report
    (here a text file named .xlsx) are not folded together: each stays unreadable with its own finding,
    so the operator sees every file that needs to be sent again."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "broken.xlsx").write_text("not a workbook\n", encoding="utf-8")
    shutil.copy(folder / "broken.xlsx", folder / "broken-again.xlsx")
    write_template(folder / "good.xlsx", "kk", data={"singles": clean_singles(), "tables": clean_tables()})
    shutil.copy(folder / "good.xlsx", folder / "good-again.xlsx")
    result = register.merge([folder], tmp_path / "register.xlsx", csv_dir=tmp_path / "csv", jobs=1)
    assert (result.files, result.unreadable, result.superseded) == (4, 2, 1)
    findings = _csv(tmp_path / "csv" / "findings.csv")
    unreadable = sorted(f["source_file"] for f in findings if f["code"] == "file-unreadable")
    assert unreadable == ["broken-again.xlsx", "broken.xlsx"]
    identical = [(f["source_file"], f["expected"]) for f in findings if f["code"] == "identical-resubmission"]
    assert len(identical) == 1 and identical[0][0].startswith("good")
