"""toolkit.zipsheet: a worksheet added at zip level leaves every other part byte-identical."""
from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest

from toolkit.zipsheet import STYLES, Cell, NewSheet, ZipSheetError, add_sheet

pytestmark = [
    pytest.mark.filterwarnings("ignore:Data Validation extension is not supported:UserWarning"),
    pytest.mark.filterwarnings("ignore:Workbook contains no default style:UserWarning"),
]

openpyxl = pytest.importorskip("openpyxl")
xlsxwriter = pytest.importorskip("xlsxwriter")
python_calamine = pytest.importorskip("python_calamine")

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
X14_BLOCK = (
    '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1">'
    "<x14:formula1><xm:f>Lists!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>D2:D20</xm:sqref>"
    "</x14:dataValidation></x14:dataValidations></ext></extLst>"
)
PAYLOAD = '=HYPERLINK("http://evil.example/x","click")'
KAZ = "Индикаторлар"
ALWAYS_CHANGED = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}


# ------------------------------------------------------------------------------------------ builders

def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))     # 4x4 red, RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def read_members(path_or_bytes) -> dict[str, bytes]:
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    with zipfile.ZipFile(src) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rewrite_zip(path: Path, edits: dict[str, bytes | None]) -> None:
    """Replace (or with None, delete) members of a zip in place; other members are copied as they are."""
    members = read_members(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            if name in edits:
                if edits[name] is None:
                    continue
                data = edits[name]
            zf.writestr(name, data)
        for name, data in edits.items():
            if name not in members and data is not None:
                zf.writestr(name, data)


def build_xlsxwriter_book(path: Path, *, vba: bool = False) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(KAZ)
    data = wb.add_worksheet("Data")
    hidden = wb.add_worksheet("Hidden")
    secret = wb.add_worksheet("Secret")
    lists = wb.add_worksheet("Lists")
    bold = wb.add_format({"bold": True})
    unlocked = wb.add_format({"locked": False})
    ws.write_string("A1", "Көрсеткіш", bold)
    for r, v in enumerate([10, 20, 12], start=1):
        ws.write_number(r, 2, v, unlocked)
    ws.write_formula("C5", "=SUM(C2:C4)", None, 42)
    ws.write_formula("C6", '=IF(C5>40,"big","small")', None, "big")
    ws.write_comment("A1", "Толтыруға арналған нұсқау", {"author": "esep"})
    ws.data_validation("C2:C4", {"validate": "integer", "criteria": ">=", "value": 0,
                                 "input_message": "≥ 0", "error_message": "Теріс сан болмайды"})
    ws.data_validation("B2:B4", {"validate": "list", "source": "=ListItems"})
    ws.freeze_panes(1, 0)
    ws.protect("pw")
    ws.insert_image("E2", "dot.png", {"image_data": io.BytesIO(tiny_png())})
    data.write_row(0, 0, ["id", "name"])
    data.write_row(1, 0, [1, "a"])
    hidden.write("A1", "hidden")
    hidden.hide()
    secret.write("A1", "secret")
    secret.very_hidden()
    lists.write_column("A1", ["Иә", "Жоқ", "Белгісіз"])
    wb.define_name("ListItems", "=Lists!$A$1:$A$3")
    wb.define_name("Total", f"='{KAZ}'!$C$5")
    wb.define_name("Data!LocalName", "=Data!$A$1:$B$2")
    if vba:
        wb.add_signed_vba_project(io.BytesIO(b"\xd0\xcf\x11\xe0fake-vba" * 20),
                                  io.BytesIO(b"fake-signature" * 10),
                                  project_is_stream=True, signature_is_stream=True)
        wb.set_vba_name()
    wb.close()
    xml = read_members(path)["xl/workbook.xml"].decode()
    xml = xml.replace("<bookViews>", '<workbookProtection lockStructure="1"/><bookViews>', 1)
    rewrite_zip(path, {"xl/workbook.xml": xml.encode()})
    return path


def build_excel_style_book(path: Path) -> Path:
    build_xlsxwriter_book(path)
    sheet1 = read_members(path)["xl/worksheets/sheet1.xml"].decode()
    assert "<extLst>" not in sheet1
    sheet1 = sheet1.replace("</worksheet>", X14_BLOCK + "</worksheet>")
    sheet1 = sheet1.replace("<worksheet ", '<worksheet xmlns:x14ac="http://schemas.microsoft.com/office/'
                                          'spreadsheetml/2009/9/ac" ', 1)
    rewrite_zip(path, {"xl/worksheets/sheet1.xml": sheet1.encode()})
    return path


def build_prefixed_book(path: Path, *, styles: bool = True, strict: bool = False) -> Path:
    """A hand-made workbook whose parts use the `x:` prefix and an `rel:` prefix for relationships."""
    main = "http://purl.oclc.org/ooxml/spreadsheetml/main" if strict else NS_MAIN
    rns = "http://purl.oclc.org/ooxml/officeDocument/relationships" if strict else NS_R
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/worksheets/sheet1.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
          + ('<Override PartName="/xl/styles.xml" '
             'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
             if styles else "")
          + "</Types>")
    root_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 f'<Relationship Id="rId1" Type="{rns}/officeDocument" Target="xl/workbook.xml"/>'
                 "</Relationships>")
    wb = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          f'<x:workbook xmlns:x="{main}" xmlns:rel="{rns}">'
          "<!-- a comment with <x:sheets> inside must not confuse the editor -->"
          '<x:bookViews><x:workbookView xWindow="0" yWindow="0"/></x:bookViews>'
          '<x:sheets><x:sheet name="Деректер" sheetId="3" rel:id="rId7"/></x:sheets>'
          '<x:definedNames><x:definedName name="Two">\'Деректер\'!$A$2</x:definedName></x:definedNames>'
          "</x:workbook>")
    wb_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               f'<Relationship Id="rId7" Type="{rns}/worksheet" Target="worksheets/sheet1.xml"/>'
               + (f'<Relationship Id="rId8" Type="{rns}/styles" Target="/xl/styles.xml"/>' if styles else "")
               + "</Relationships>")
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             f'<x:worksheet xmlns:x="{main}"><x:sheetViews><x:sheetView tabSelected="true" workbookViewId="0"/>'
             '</x:sheetViews><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>сәлем</x:t></x:is>'
             '</x:c></x:row><x:row r="2"><x:c r="A2"><x:v>2</x:v></x:c></x:row></x:sheetData></x:worksheet>')
    sty = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<x:styleSheet xmlns:x="{main}">'
           '<x:fonts count="1"><x:font><x:sz val="10"/><x:name val="Arial"/></x:font></x:fonts>'
           '<x:fills count="2"><x:fill><x:patternFill patternType="none"/></x:fill>'
           '<x:fill><x:patternFill patternType="gray125"/></x:fill></x:fills>'
           '<x:borders count="1"><x:border/></x:borders>'
           '<x:cellXfs count="1"><x:xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></x:cellXfs>'
           "</x:styleSheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", root_rels)
        zf.writestr("xl/workbook.xml", wb)
        zf.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        if styles:
            zf.writestr("xl/styles.xml", sty)
    return path


def report_sheet(title: str = "Тексеру") -> NewSheet:
    rows = [
        [Cell("Validation report", "title")],
        [Cell("ACCEPTED", "ok"), None, Cell("REJECTED", "bad")],
        [],
        [Cell("col", "header"), Cell("value", "header"), Cell("n", "header"), Cell("date", "header"),
         Cell("link", "header")],
        [Cell(PAYLOAD), Cell("a & b < c > \"d\" 'e'", "wrap"), Cell(1234567, "number"), Cell(dt.date(2024, 3, 1)),
         Cell("go", link=f"'{KAZ}'!C5")],
        [Cell("bad\x00ctl\x07"), Cell("_x0041_ literal"), Cell(3.25, "number"), Cell(True), Cell(None, "error")],
        [Cell("err", "error"), Cell("warn", "warning"), Cell("info", "info"), Cell("muted", "muted"),
         Cell("→ Индикаторлар!M12", "link", link=f"'{KAZ}'!M12")],
        [Cell("x" * 40000), Cell("multi\nline\r\nend", "wrap"), Cell(float("nan")), Cell("bold", "bold"),
         Cell("text", "text")],
    ]
    return NewSheet(title, rows, col_widths={0: 40, 1: 25.5, 4: 18}, freeze_rows=4, merges=["A1:E1"],
                    autofilter="A4:E8", tab_color="C00000")


def defined_names(workbook_xml: bytes) -> list[str]:
    return re.findall(r"<(?:\w+:)?definedName\b.*?</(?:\w+:)?definedName>", workbook_xml.decode(), re.S)


def assert_members_preserved(before: dict[str, bytes], after: dict[str, bytes], allowed: set[str]) -> None:
    for name, data in before.items():
        if name in allowed:
            continue
        assert name in after, name
        assert after[name] == data, f"{name} changed"


# ------------------------------------------------------------------------------------------ tests

@pytest.fixture()
def book(tmp_path: Path) -> Path:
    return build_xlsxwriter_book(tmp_path / "src.xlsx")


def test_xlsxwriter_book_round_trip(book: Path, tmp_path: Path) -> None:
    src_bytes = book.read_bytes()
    dst = tmp_path / "out.xlsx"
    add_sheet(book, dst, report_sheet())
    assert book.read_bytes() == src_bytes
    with zipfile.ZipFile(dst) as zf:
        assert zf.testzip() is None
    before, after = read_members(src_bytes), read_members(dst)

    # every other part is byte-identical; the selected sheet loses only tabSelected
    assert_members_preserved(before, after, ALWAYS_CHANGED | {"xl/worksheets/sheet1.xml"})
    old1 = before["xl/worksheets/sheet1.xml"].decode()
    assert 'tabSelected="1"' in old1
    assert after["xl/worksheets/sheet1.xml"].decode() == old1.replace(' tabSelected="1"', "", 1)
    assert '<c r="C5"' in after["xl/worksheets/sheet1.xml"].decode()
    assert re.search(r'<c r="C5"[^>]*><f>SUM\(C2:C4\)</f><v>42</v></c>', after["xl/worksheets/sheet1.xml"].decode())

    new_names = set(after) - set(before)
    assert new_names == {"xl/worksheets/sheet6.xml"}
    wb_xml = after["xl/workbook.xml"].decode()
    assert '<workbookProtection lockStructure="1"/>' in wb_xml
    assert re.search(r'<sheet name="Тексеру" sheetId="6" r:id="rId\d+"/></sheets>', wb_xml)
    assert 'activeTab="5"' in wb_xml
    # defined names: the originals unchanged, plus the autofilter's hidden name for the new sheet
    old_names, names = defined_names(before["xl/workbook.xml"]), defined_names(after["xl/workbook.xml"])
    assert names[:len(old_names)] == old_names
    assert names[len(old_names):] == [
        '<definedName name="_xlnm._FilterDatabase" localSheetId="5" hidden="1">\'Тексеру\'!$A$4:$E$8</definedName>']
    assert "worksheets/sheet6.xml" in after["xl/_rels/workbook.xml.rels"].decode()
    assert ('<Override PartName="/xl/worksheets/sheet6.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/>') in after["[Content_Types].xml"].decode()
    # styles.xml: only appended
    old_sty, new_sty = before["xl/styles.xml"].decode(), after["xl/styles.xml"].decode()
    for tag in ("fonts", "fills", "borders", "cellXfs"):
        o = re.search(rf"<{tag} count=\"(\d+)\"[^>]*>(.*?)</{tag}>", old_sty, re.S)
        n = re.search(rf"<{tag} count=\"(\d+)\"[^>]*>(.*?)</{tag}>", new_sty, re.S)
        assert n.group(2).startswith(o.group(2))
        assert int(n.group(1)) > int(o.group(1)) or tag == "borders"

    sheet_xml = after["xl/worksheets/sheet6.xml"].decode()
    order = [m.group(1) for m in re.finditer(r"<(sheetPr|dimension|sheetViews|sheetFormatPr|cols|sheetData|"
                                              r"autoFilter|mergeCells|hyperlinks|pageMargins|pageSetup)\b",
                                              sheet_xml)]
    assert order == ["sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "autoFilter",
                     "mergeCells", "hyperlinks", "pageMargins", "pageSetup"]
    assert "<f>" not in sheet_xml
    assert 'tabSelected="1"' in sheet_xml

    # openpyxl reads everything
    wb = openpyxl.load_workbook(dst)
    assert wb.sheetnames == [KAZ, "Data", "Hidden", "Secret", "Lists", "Тексеру"]
    assert wb["Hidden"].sheet_state == "hidden" and wb["Secret"].sheet_state == "veryHidden"
    assert set(wb.defined_names) == {"ListItems", "Total"}
    assert "LocalName" in wb["Data"].defined_names
    ws = wb["Тексеру"]
    assert ws["A5"].value == PAYLOAD and ws["A5"].data_type == "s"
    assert ws["B5"].value == "a & b < c > \"d\" 'e'"
    assert ws["C5"].value == 1234567 and ws["C5"].number_format == "#,##0"
    assert ws["C6"].value == 3.25 and ws["C6"].number_format == "#,##0.00"
    assert ws["D5"].value == "2024-03-01"
    assert ws["D6"].value is True
    assert ws["A6"].value == "bad\ufffdctl\ufffd"
    assert ws["A8"].value == "x" * 32767
    assert ws["B8"].value == "multi\nline\nend"
    assert ws["C8"].value == "nan"
    assert ws["E5"].hyperlink.location == f"'{KAZ}'!C5"
    assert ws["E7"].hyperlink.location == f"'{KAZ}'!M12"
    assert ws["E7"].hyperlink.display == "→ Индикаторлар!M12"
    assert ws["A1"].font.b and ws["A1"].font.sz == 14
    assert ws["A2"].fill.fgColor.rgb.endswith("2E7D32") and ws["A2"].font.color.rgb == "FFFFFFFF"
    assert ws["A7"].fill.fgColor.rgb == "FFFFC7CE" and ws["A7"].font.color.rgb == "FF9C0006"
    assert ws["A4"].border.left.style == "thin" and ws["A4"].alignment.wrap_text
    assert ws["E5"].font.u == "single"
    assert ws.freeze_panes == "A5"
    assert ws.auto_filter.ref == "A4:E8"
    assert "A1:E1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.column_dimensions["A"].width == 40
    assert ws.sheet_properties.tabColor.rgb == "FFC00000"
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    # the untouched sheet still styled as before
    assert wb[KAZ]["A1"].font.b
    assert wb[KAZ].protection.sheet
    wbv = openpyxl.load_workbook(dst, data_only=True)
    assert wbv[KAZ]["C5"].value == 42 and wbv[KAZ]["C6"].value == "big"

    # calamine reads the values
    cw = python_calamine.CalamineWorkbook.from_path(str(dst))
    assert cw.sheet_names[-1] == "Тексеру"
    rows = cw.get_sheet_by_name("Тексеру").to_python(skip_empty_area=False)
    assert rows[0][0] == "Validation report"
    assert rows[4][0] == PAYLOAD
    assert rows[4][2] == 1234567
    assert rows[5][1] == "_x0041_ literal"
    assert cw.get_sheet_by_name(KAZ).to_python(skip_empty_area=False)[4][2] == 42


def test_ooxml_escape_literal_in_openpyxl(book: Path, tmp_path: Path) -> None:
    """`_x0041_` typed by a user is stored as `_x005F_x0041_` so Excel shows it literally."""
    dst = tmp_path / "out.xlsx"
    add_sheet(book, dst, NewSheet("T", [[Cell("_x0041_")]]))
    assert "_x005F_x0041_" in read_members(dst)["xl/worksheets/sheet6.xml"].decode()


def test_excel_style_x14_validation_kept(tmp_path: Path) -> None:
    src = build_excel_style_book(tmp_path / "excel.xlsx")
    before = read_members(src)
    dst = tmp_path / "out.xlsx"
    add_sheet(src, dst, report_sheet(), activate=False)
    after = read_members(dst)
    # nothing selected changes when not activating
    assert_members_preserved(before, after, ALWAYS_CHANGED)
    assert X14_BLOCK in after["xl/worksheets/sheet1.xml"].decode()
    assert 'activeTab="5"' not in after["xl/workbook.xml"].decode()
    assert 'tabSelected' not in after["xl/worksheets/sheet6.xml"].decode()
    assert openpyxl.load_workbook(dst)["Тексеру"]["A1"].value == "Validation report"


def test_replace_existing_does_not_duplicate(book: Path, tmp_path: Path) -> None:
    once, twice = tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    add_sheet(book, once, report_sheet())
    sheet2 = report_sheet()
    sheet2.rows[0][0] = Cell("Second run", "title")
    add_sheet(once, twice, sheet2)
    wb = openpyxl.load_workbook(twice)
    assert wb.sheetnames == [KAZ, "Data", "Hidden", "Secret", "Lists", "Тексеру"]
    assert wb["Тексеру"]["A1"].value == "Second run"
    a, b = read_members(once), read_members(twice)
    # the old part is gone and its name reused: one sheet part, one rel, one override
    assert set(b) == set(a) and b"Second run" in b["xl/worksheets/sheet6.xml"]
    wb_xml = b["xl/workbook.xml"].decode()
    assert wb_xml.count("_xlnm._FilterDatabase") == 1 and wb_xml.count("<sheet ") == 6
    assert b["[Content_Types].xml"].count(b"sheet6.xml") == 1
    assert b["xl/_rels/workbook.xml.rels"].count(b"sheet6.xml") == 1
    # styles appended on the first run are reused, not appended again
    assert a["xl/styles.xml"] == b["xl/styles.xml"]
    assert_members_preserved(a, b, ALWAYS_CHANGED | {"xl/worksheets/sheet6.xml"})
    # not replacing: a unique title
    thrice = tmp_path / "thrice.xlsx"
    add_sheet(twice, thrice, report_sheet(), replace_existing=False)
    assert openpyxl.load_workbook(thrice).sheetnames[-2:] == ["Тексеру", "Тексеру (2)"]


def test_same_title_not_last_gets_new_title(book: Path, tmp_path: Path) -> None:
    dst = tmp_path / "out.xlsx"
    add_sheet(book, dst, NewSheet("data", [[Cell("x")]]))          # titles compare case-insensitively
    names = openpyxl.load_workbook(dst).sheetnames
    assert names == [KAZ, "Data", "Hidden", "Secret", "Lists", "data (2)"]


@pytest.mark.parametrize("styles", [True, False])
def test_prefixed_workbook(tmp_path: Path, styles: bool) -> None:
    src = build_prefixed_book(tmp_path / "prefixed.xlsx", styles=styles)
    before = read_members(src)
    dst = tmp_path / "out.xlsx"
    add_sheet(src.read_bytes(), dst, NewSheet("Жаңа", [[Cell("hi", "bold"), Cell(5, "number")],
                                                          [Cell("go", link="'Деректер'!A2")]]))
    after = read_members(dst)
    assert_members_preserved(before, after, ALWAYS_CHANGED | {"xl/worksheets/sheet1.xml"})
    wb_xml = after["xl/workbook.xml"].decode()
    assert '<x:sheet name="Жаңа" sheetId="4" rel:id="rId9"/></x:sheets>' in wb_xml
    assert "<!-- a comment with <x:sheets> inside must not confuse the editor -->" in wb_xml
    assert '<x:workbookView activeTab="1" xWindow="0" yWindow="0"/>' in wb_xml
    assert 'tabSelected' not in after["xl/worksheets/sheet1.xml"].decode()
    if styles:
        sty = after["xl/styles.xml"].decode()
        assert '<x:fonts count="3">' in sty and '<x:sz val="10"/><x:name val="Arial"/>' in sty
    else:
        assert "xl/styles.xml" in after
        assert b"/styles" in after["xl/_rels/workbook.xml.rels"]
        assert b"/xl/styles.xml" in after["[Content_Types].xml"]
    wb = openpyxl.load_workbook(dst)
    assert wb.sheetnames == ["Деректер", "Жаңа"]
    assert wb["Жаңа"]["A1"].value == "hi" and wb["Жаңа"]["A1"].font.b
    assert wb["Жаңа"]["B1"].value == 5
    assert wb["Жаңа"]["A2"].hyperlink.location == "'Деректер'!A2"
    assert wb["Деректер"]["A1"].value == "сәлем"
    cw = python_calamine.CalamineWorkbook.from_path(str(dst))
    assert cw.get_sheet_by_name("Жаңа").to_python()[0] == ["hi", 5.0]


def test_strict_workbook_uses_strict_namespaces(tmp_path: Path) -> None:
    src = build_prefixed_book(tmp_path / "strict.xlsx", strict=True)
    dst = tmp_path / "out.xlsx"
    add_sheet(src, dst, NewSheet("S", [[Cell("v")]]))
    after = read_members(dst)
    assert after["xl/worksheets/sheet2.xml"].decode().count(
        'xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main"') == 1
    assert (b'Type="http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet" '
            b'Target="worksheets/sheet2.xml"') in after["xl/_rels/workbook.xml.rels"]


def test_xlsm_keep_and_drop_macros(tmp_path: Path) -> None:
    src = build_xlsxwriter_book(tmp_path / "src.xlsm", vba=True)
    before = read_members(src)
    assert "xl/vbaProject.bin" in before and "xl/vbaProjectSignature.bin" in before
    kept = tmp_path / "kept.xlsm"
    add_sheet(src, kept, NewSheet("New", [[Cell("x")]]))
    after = read_members(kept)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert b"macroEnabled.main+xml" in after["[Content_Types].xml"]

    dropped = tmp_path / "dropped.xlsx"
    add_sheet(src, dropped, NewSheet("New", [[Cell("x")]]), drop_macros=True)
    after = read_members(dropped)
    assert not [n for n in after if "vbaProject" in n]
    ct = after["[Content_Types].xml"].decode()
    assert "macroEnabled" not in ct and "vbaProject" not in ct
    assert ('<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/>') in ct
    assert b"vbaProject" not in after["xl/_rels/workbook.xml.rels"]
    assert_members_preserved(before, after, ALWAYS_CHANGED | {"xl/worksheets/sheet1.xml", "xl/vbaProject.bin",
                                                             "xl/vbaProjectSignature.bin",
                                                             "xl/_rels/vbaProject.bin.rels"})
    wb = openpyxl.load_workbook(dropped)
    assert wb.sheetnames[-1] == "New"
    assert zipfile.ZipFile(dropped).testzip() is None


def test_zip_metadata_copied(book: Path, tmp_path: Path) -> None:
    dst = tmp_path / "out.xlsx"
    add_sheet(book, dst, NewSheet("T", [[Cell(1)]]))
    with zipfile.ZipFile(book) as a, zipfile.ZipFile(dst) as b:
        old = {i.filename: i for i in a.infolist()}
        for info in b.infolist():
            if info.filename in old:
                o = old[info.filename]
                assert (info.date_time, info.external_attr) == (o.date_time, o.external_attr)
        assert [i.filename for i in b.infolist()][:len(old)] == list(old)


@pytest.mark.parametrize("title", ["", "a" * 32, "a/b", "x[1]", "what?", "'quoted'", "History", "tab\there"])
def test_bad_titles(book: Path, tmp_path: Path, title: str) -> None:
    with pytest.raises(ZipSheetError):
        add_sheet(book, tmp_path / "out.xlsx", NewSheet(title, []))
    assert not (tmp_path / "out.xlsx").exists()


def test_bad_sheet_arguments(book: Path, tmp_path: Path) -> None:
    for kwargs in ({"merges": ["A1:ZZZZ1"]}, {"autofilter": "nonsense"}, {"tab_color": "red"},
                   {"col_widths": {-1: 3}}, {"freeze_rows": -2}, {"rows": [[Cell("x", "fancy")]]},
                   {"rows": 5}):
        with pytest.raises(ZipSheetError):
            add_sheet(book, tmp_path / "out.xlsx", NewSheet("T", **kwargs))


@pytest.mark.parametrize("blob", [
    b"", b"not a zip at all", b"PK\x03\x04" + b"\x00" * 100,
])
def test_garbage_input(tmp_path: Path, blob: bytes) -> None:
    with pytest.raises(ZipSheetError):
        add_sheet(blob, tmp_path / "out.xlsx", NewSheet("T", []))


def test_broken_packages(book: Path, tmp_path: Path) -> None:
    members = read_members(book)
    variants = {
        "no workbook": {k: v for k, v in members.items() if k != "xl/workbook.xml"},
        "no content types": {k: v for k, v in members.items() if k != "[Content_Types].xml"},
        "no workbook rels": {k: v for k, v in members.items() if k != "xl/_rels/workbook.xml.rels"},
        "workbook not xml": {**members, "xl/workbook.xml": b"\xff\xfe\x00garbage"},
        "no sheets": {**members, "xl/workbook.xml": f'<workbook xmlns="{NS_MAIN}"/>'.encode()},
        "foreign namespace": {**members, "xl/workbook.xml": b'<workbook xmlns="urn:x"><sheets/></workbook>'},
        "bad utf8": {**members, "xl/workbook.xml": b"<workbook \xc3\x28>"},
    }
    for label, parts in variants.items():
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for k, v in parts.items():
                zf.writestr(k, v)
        with pytest.raises(ZipSheetError):
            add_sheet(buf.getvalue(), tmp_path / "out.xlsx", NewSheet("T", []))
    # a corrupt deflate stream in a member that must be copied
    raw = bytearray(book.read_bytes())
    with zipfile.ZipFile(book) as zf:
        info = zf.getinfo("xl/media/image1.png") if "xl/media/image1.png" in zf.namelist() else zf.infolist()[-1]
        off = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(off + 2, off + 12):
        raw[i] ^= 0xFF
    with pytest.raises(ZipSheetError):
        add_sheet(bytes(raw), tmp_path / "out.xlsx", NewSheet("T", []))


def test_replacing_a_sheet_with_formulas_drops_calc_chain(book: Path, tmp_path: Path) -> None:
    members = read_members(book)
    lists = members["xl/worksheets/sheet5.xml"].decode()
    lists = lists.replace("</sheetData>", '<row r="9"><c r="A9"><f>1+1</f><v>2</v></c></row></sheetData>')
    ct = members["[Content_Types].xml"].decode().replace(
        "</Types>", '<Override PartName="/xl/calcChain.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>')
    rels = members["xl/_rels/workbook.xml.rels"].decode().replace(
        "</Relationships>", f'<Relationship Id="rId99" Type="{NS_R}/calcChain" Target="calcChain.xml"/>'
        "</Relationships>")
    chain = f'<calcChain xmlns="{NS_MAIN}"><c r="C5" i="1"/><c r="C6"/><c r="A9" i="5"/></calcChain>'
    rewrite_zip(book, {"xl/worksheets/sheet5.xml": lists.encode(), "[Content_Types].xml": ct.encode(),
                       "xl/_rels/workbook.xml.rels": rels.encode(), "xl/calcChain.xml": chain.encode()})
    dst = tmp_path / "out.xlsx"
    add_sheet(book, dst, NewSheet("lists", [[Cell("replaced")]]))      # same title, other case, last sheet
    after = read_members(dst)
    assert "xl/calcChain.xml" not in after and b"calcChain" not in after["[Content_Types].xml"]
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    assert "xl/worksheets/sheet5.xml" in after and b"replaced" in after["xl/worksheets/sheet5.xml"]
    wb = openpyxl.load_workbook(dst)
    assert wb.sheetnames == [KAZ, "Data", "Hidden", "Secret", "lists"]
    assert wb["lists"]["A1"].value == "replaced" and wb["lists"]["A9"].value is None
    # a replacement without formulas in the old sheet leaves calcChain alone
    again = tmp_path / "again.xlsx"
    rewrite_zip(dst, {"xl/calcChain.xml": chain.encode(), "[Content_Types].xml": ct.encode()})
    add_sheet(dst, again, NewSheet("lists", [[Cell("third")]]))
    assert read_members(again)["xl/calcChain.xml"] == chain.encode()


def test_title_needing_escapes(book: Path, tmp_path: Path) -> None:
    dst = tmp_path / "out.xlsx"
    title = "O'Brien & <Co> \"ok\""
    add_sheet(book, dst, NewSheet(title, [[Cell("h"), Cell("x")], [Cell(1), Cell(2)]], autofilter="A1:B2"))
    wb_xml = read_members(dst)["xl/workbook.xml"].decode()
    assert "'O''Brien &amp; &lt;Co&gt; \"ok\"'!$A$1:$B$2" in wb_xml
    wb = openpyxl.load_workbook(dst)
    assert wb.sheetnames[-1] == title and wb[title]["B2"].value == 2
    assert wb[title].auto_filter.ref == "A1:B2"


def test_text_round_trip(book: Path, tmp_path: Path) -> None:
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    src = book.read_bytes()
    dst = tmp_path / "out.xlsx"

    @hypothesis.settings(max_examples=40, deadline=None, database=None)
    @hypothesis.given(st.lists(st.text(max_size=60), min_size=1, max_size=6))
    def check(texts: list[str]) -> None:
        add_sheet(src, dst, NewSheet("T", [[Cell(t) for t in texts]]))
        got = python_calamine.CalamineWorkbook.from_path(str(dst)).get_sheet_by_name("T").to_python(
            skip_empty_area=False)
        expected = [re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "\ufffd", t)
                    .replace("\r\n", "\n").replace("\r", "\n") for t in texts]
        assert got[0][:len(texts)] == expected

    check()


def test_styles_listed() -> None:
    assert len(STYLES) == 13 and "header" in STYLES


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not on PATH")
def test_libreoffice_opens_output(tmp_path: Path) -> None:
    src = build_excel_style_book(tmp_path / "src.xlsx")
    dst = tmp_path / "checked.xlsx"
    add_sheet(src, dst, report_sheet())
    outdir = tmp_path / "lo"
    outdir.mkdir()
    subprocess.run(["soffice", "-env:UserInstallation=file:///tmp/esep_lo_profile_zipsheet", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(outdir), str(dst)],
                   check=True, timeout=120, capture_output=True)
    converted = outdir / "checked.xlsx"
    assert converted.exists()
    cw = python_calamine.CalamineWorkbook.from_path(str(converted))
    assert cw.sheet_names[-1] == "Тексеру"
    rows = cw.get_sheet_by_name("Тексеру").to_python(skip_empty_area=False)
    assert rows[0][0] == "Validation report"
    assert rows[4][0] == PAYLOAD
    assert rows[4][2] == 1234567
    assert rows[6][4] == "→ Индикаторлар!M12"
    assert rows[5][1] == "_x0041_ literal"
    assert cw.get_sheet_by_name(KAZ).to_python(skip_empty_area=False)[4][2] == 42
    # a LibreOffice-written workbook (tabSelected="true", its own styles.xml) as input, replacing the sheet
    again = tmp_path / "again.xlsx"
    add_sheet(converted, again, NewSheet("Тексеру", [[Cell("second", "ok")]]))
    wb = openpyxl.load_workbook(again)
    assert wb.sheetnames.count("Тексеру") == 1 and wb["Тексеру"]["A1"].value == "second"
    assert [ws.sheet_view.tabSelected for ws in wb.worksheets].count(True) == 1
