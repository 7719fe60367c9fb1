"""The checked copy: the NGO's workbook unchanged plus a validation sheet whose links jump to cells."""
from __future__ import annotations

import zipfile

import builders
import pytest

from toolkit import form, vocabulary
from toolkit.validation import validate


def parts(path):
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def test_copy_keeps_every_part_of_the_original(tmp_path):
    from toolkit.template import write_template
    src = tmp_path / "report.xlsx"
    # Written by the template writer with data: cached formula results are present and must survive.
    data = {"singles": builders.clean_singles(), "tables": builders.clean_tables()}
    data["singles"]["stats_female"] = 394
    write_template(src, "kk", data=data)
    before = src.read_bytes()
    result = validate(src, write_copy=True)
    assert src.read_bytes() == before
    out = tmp_path / "report.checked.xlsx"
    assert result.output == str(out)
    old, new = parts(src), parts(out)
    changed = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}
    for name, body in old.items():
        if name in changed:
            continue
        if body != new[name]:
            # Only the previously selected tab may differ, and only by its tabSelected flag.
            assert body.replace(b' tabSelected="1"', b"") == new[name], name
    added = set(new) - set(old)
    assert len(added) == 1 and added.pop().startswith("xl/worksheets/")
    # cached formula values are still there in the copy
    from toolkit.package import open_package
    sheet, cell = form.sheet_title("stats", "kk"), form.COMPUTED_BY_NAME["calc_stats_gender_sum"].cell
    with open_package(out) as pkg:
        grid = pkg.values(sheet)
        r, c = int(cell[1:]) - 1, 1
        assert grid[r][c] == 1083
        assert form.VALIDATION_SHEET.kk in [s.title for s in pkg.sheets]
        assert pkg.names.keys() >= set(form.input_names())


def test_validation_sheet_content_and_links(tmp_path):
    from openpyxl import load_workbook
    src = builders.clean(tmp_path / "r.xlsx", lang="ru", stats_female=394)
    result = validate(src, write_copy=True)
    wb = load_workbook(result.output)
    ws = wb[form.VALIDATION_SHEET.ru]
    assert wb.sheetnames[-1] == form.VALIDATION_SHEET.ru
    assert ws["A2"].value.startswith(vocabulary.STATUS["invalid"].ru.upper() + ": исправьте ошибки")
    texts = [[c.value for c in row] for row in ws.iter_rows()]
    flat = [v for row in texts for v in row if v is not None]
    assert ("Мужчины + Женщины = 1 083, но всего участников 1 076. Исправьте число мужчин и женщин или "
            "общее число: они должны совпадать.") in flat
    links = [c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink]
    sheet = form.sheet_title("stats", "ru")
    total = form.FIELD["stats_gender_total"].cell
    assert f"'{sheet}'!{total}" in links


def test_clean_copy_says_it_passed_the_check_not_accepted(tmp_path):
    from openpyxl import load_workbook
    result = validate(builders.clean(tmp_path / "r.xlsx"), write_copy=True)
    ws = load_workbook(result.output)[form.VALIDATION_SHEET.kk]
    assert ws["A2"].value == "ТЕКСЕРУДЕН ӨТТІ: қате жоқ, есепті грант операторына жіберуге болады."


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_lang_option_sets_the_validation_sheet_language(tmp_path, lang):
    """A Kazakh workbook checked with --lang ru gets a Russian validation sheet (and the other way round)."""
    from openpyxl import load_workbook
    other = "ru" if lang == "kk" else "kk"
    src = builders.clean(tmp_path / "r.xlsx", lang=other, stats_female=394)
    result = validate(src, write_copy=True, lang=lang)
    wb = load_workbook(result.output)
    title = vocabulary.SHEETS["validation"].get(lang)
    assert wb.sheetnames[-1] == title
    ws = wb[title]
    assert ws["A2"].value.startswith(vocabulary.STATUS["invalid"].get(lang).upper())
    severities = {row[1].value for row in ws.iter_rows() if len(row) > 1}
    assert vocabulary.SEVERITY["error"].get(lang) in severities


def test_revalidating_a_checked_copy_replaces_its_sheet(tmp_path):
    from openpyxl import load_workbook
    first = validate(builders.clean(tmp_path / "r.xlsx", stats_female=394), write_copy=True)
    second = validate(first.output, write_copy=True)
    assert second.output.endswith("r.checked.checked.xlsx")
    names = load_workbook(second.output).sheetnames
    assert names.count(form.VALIDATION_SHEET.kk) == 1


def test_macros_are_reported_and_dropped_from_the_copy(tmp_path):
    src = builders.clean(tmp_path / "r.xlsm")
    builders.patch_parts(src, {
        "[Content_Types].xml": lambda body: body.replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
            b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'),
        "xl/_rels/workbook.xml.rels": lambda body: body.replace(
            b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
            b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>'),
    }, extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0fake vba project"})
    result = validate(src, write_copy=True)
    assert "macros-present" in builders.codes(result)
    assert result.output.endswith(".checked.xlsx")
    copy = parts(result.output)
    assert "xl/vbaProject.bin" not in copy
    assert b"macroEnabled" not in copy["[Content_Types].xml"]


def test_the_copy_is_made_of_the_bytes_that_were_vetted(tmp_path):
    """The checked copy comes from the bytes the pre-flight vetted and the reader read, never from the
    path read again: a file swapped in between cannot slip into the copy."""
    import pytest

    from toolkit.checked import write_checked_copy
    from toolkit.validation import check

    src = builders.clean(tmp_path / "r.xlsx", lang="ru")
    result = check(src, keep_data=True)
    original = parts(src)
    src.write_bytes(b"PK\x03\x04 swapped after the check")
    write_checked_copy(result, tmp_path / "copy.xlsx")
    copied = parts(tmp_path / "copy.xlsx")
    for name in ("xl/worksheets/sheet3.xml", "xl/worksheets/sheet4.xml", "xl/sharedStrings.xml"):
        if name in original:
            assert copied[name] == original[name], name
    # Without the vetted bytes there is nothing to copy from: said, not read from the path.
    with pytest.raises(ValueError, match="keep_data"):
        write_checked_copy(check(src), tmp_path / "other.xlsx")
    # validate() keeps the results, not the bytes, of a run of many files.
    assert validate(builders.clean(tmp_path / "s.xlsx"), write_copy=True).report.data is None


def test_the_copy_reads_parts_the_pre_flight_way(tmp_path):
    """zipsheet reads through package.VettedZip: a member whose data does not match its CRC is refused
    (a plain zipfile reader would only notice when it reached the end of that member, if ever)."""
    import pytest

    from toolkit.zipsheet import NewSheet, ZipSheetError, add_sheet

    src = builders.clean(tmp_path / "r.xlsx")
    data = bytearray(src.read_bytes())
    target = b"docProps/app.xml"
    # Zero the member's CRC-32 in its local header and in its central directory entry.
    local = data.find(b"PK\x03\x04" + b"", 0)
    while local >= 0:
        name_len = int.from_bytes(data[local + 26:local + 28], "little")
        if bytes(data[local + 30:local + 30 + name_len]) == target:
            data[local + 14:local + 18] = bytes(4)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_len = int.from_bytes(data[central + 28:central + 30], "little")
        if bytes(data[central + 46:central + 46 + name_len]) == target:
            data[central + 16:central + 20] = bytes(4)
        central = data.find(b"PK\x01\x02", central + 4)
    with pytest.raises(ZipSheetError, match="CRC"):
        add_sheet(bytes(data), tmp_path / "out.xlsx", NewSheet("T", []))


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_copy_of_a_report_with_errors_sends_the_ngo_back_to_the_check_page(tmp_path, lang):
    """A template made with --check-url carries the page's address; the checked copy of a report with
    errors tells the NGO to fix them and check again there, in the NGO's words."""
    from openpyxl import load_workbook
    url = "https://esep.example.kz/tekseru"
    src = builders.clean(tmp_path / "r.xlsx", lang=lang, stats_female=394, meta_check_url=url)
    ws = load_workbook(validate(src, write_copy=True).output)[vocabulary.SHEETS["validation"].get(lang)]
    assert ws["A2"].value == (vocabulary.STATUS["invalid"].get(lang).upper() + ": "
                              + vocabulary.NEXT_STEP_WITH_PAGE.get(lang).format(url=url))
    assert url in ws["A2"].value
