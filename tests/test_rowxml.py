"""rowxml: register rows rendered as sheet XML in the workers and stitched into XlsxWriter's workbook.
Every value must come back exactly (calamine and openpyxl), every text must stay text, and the sheet
must stay well-formed whatever the text holds."""
from __future__ import annotations

import datetime as dt
import re
import zipfile

import pytest
from python_calamine import CalamineWorkbook

from toolkit import rowxml

COLUMNS = [("text", "text", None), ("number", "number", None), ("int", "int", None), ("date", "date", None),
           ("choice", "text", {"a": "Option A"})]

TEXTS = [
    "plain", "Қазақ тілі — «мәтін»", "a & b < c > d", 'quote " apostrophe \'',
    "<r><t>a</t></r>",                                               # XlsxWriter would write this raw
    '<r><t>x</t></r></is></c><c r="B2"><f>HYPERLINK("http://evil.example")</f></c><c><is><r></r>',
    "_x0041_ stays as typed", " leading space", "trailing space ", "line\nbreak\ttab",
    "=HYPERLINK(\"http://evil.example\")", "emoji 🙂", "]]>", "&amp; already escaped",
]


def _frame(path, rows: int):
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    formats = [wb.add_format({"num_format": f}) for f in ("dd.mm.yyyy", "dd.mm.yyyy hh:mm", "#,##0.##", "0")]
    for name, f in zip(rowxml.XF_ORDER, formats):
        assert f._get_xf_index() == rowxml.XF[name]
    ws = wb.add_worksheet("Data")
    for c, (key, _, _) in enumerate(COLUMNS):
        ws.write_string(0, c, key)
    ws.autofilter(0, 0, max(rows, 1), len(COLUMNS) - 1)
    wb.close()


def _stitched(tmp_path, data: list[dict], split: int = 2):
    """Render data in two 'files', number and stitch them; returns the path."""
    r = rowxml.Renderer(COLUMNS)
    chunks = [r.rows(data[:split]), r.rows(data[split:])]
    frame, out = tmp_path / "frame.xlsx", tmp_path / "out.xlsx"
    _frame(frame, len(data))

    def blocks():
        n = 2
        for chunk in chunks:
            block, k = rowxml.numbered(chunk, n)
            n += k
            yield block

    assert sum(rowxml.count(c) for c in chunks) == len(data)
    rowxml.stitch(str(frame), str(out), {"xl/worksheets/sheet1.xml": (len(data) + 1, len(COLUMNS) - 1, blocks())})
    return out


def test_texts_come_back_exactly_and_stay_text(tmp_path):
    data = [{"text": t} for t in TEXTS]
    out = _stitched(tmp_path, data)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Data").to_python()
    assert [r[0] for r in rows[1:]] == TEXTS
    import openpyxl

    ws = openpyxl.load_workbook(out)["Data"]
    got = [ws.cell(row=i + 2, column=1) for i in range(len(TEXTS))]
    # openpyxl does not undo Excel's _x005F_ escape in inline strings (Excel and calamine do); XlsxWriter's
    # constant-memory mode writes the same markup.
    assert [c.value.replace("_x005F_x", "_x") for c in got] == TEXTS
    assert {c.data_type for c in got} == {"s"}
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml")
    assert not re.search(rb"<(?:\w+:)?f[\s>/]", xml)
    assert b'<dimension ref="A1:E15"/>' in xml


def test_values_types_and_styles(tmp_path):
    data = [
        {"text": "x", "number": 1234.5, "int": 7, "date": dt.date(2024, 12, 5), "choice": "a"},
        {"number": -0.25, "int": 10 ** 12, "date": dt.datetime(2024, 7, 10, 13, 30), "choice": "typed"},
        {"number": float("nan"), "int": True, "date": dt.date(1900, 1, 15)},
        {"text": "", "number": None},
    ]
    out = _stitched(tmp_path, data)
    import openpyxl

    ws = openpyxl.load_workbook(out)["Data"]
    row = [c.value for c in ws[2]]
    assert row == ["x", 1234.5, 7, dt.datetime(2024, 12, 5), "Option A"]
    assert ws["B2"].number_format == "#,##0.##" and ws["C2"].number_format == "0"
    assert ws["D2"].number_format == "dd.mm.yyyy" and ws["D3"].number_format == "dd.mm.yyyy hh:mm"
    assert [c.value for c in ws[3]] == [None, -0.25, 10 ** 12, dt.datetime(2024, 7, 10, 13, 30), "typed"]
    assert [c.value for c in ws[4]][1:4] == ["nan", "True", dt.datetime(1900, 1, 15)]
    assert [c.value for c in ws[5]] == [None] * 5
    assert ws.max_row == 5


def test_excel_serial_matches_xlsxwriter():
    from xlsxwriter.utility import _datetime_to_excel_datetime

    for moment in (dt.datetime(1900, 1, 2), dt.datetime(1900, 2, 28), dt.datetime(1900, 3, 1),
                   dt.datetime(2024, 12, 5, 18, 45, 30), dt.datetime(2099, 12, 31, 23, 59, 59)):
        assert rowxml.excel_serial(moment) == pytest.approx(_datetime_to_excel_datetime(moment, False, False))


def test_clip_and_markers_cannot_come_from_data(tmp_path):
    long = "я" * 40000
    data = [{"text": long}, {"text": "nul\x00 soh\x01 bell\x07"}, {"text": "x"}]
    r = rowxml.Renderer(COLUMNS)
    chunk = r.rows(data)
    assert rowxml.count(chunk) == 3      # the texts added no row separator
    out = _stitched(tmp_path, data, split=1)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Data").to_python()
    assert len(rows[1][0]) == rowxml.MAX_TEXT and rows[1][0].endswith("…")
    assert rows[2][0] == "nul\ufffd soh\ufffd bell\ufffd"


def test_a_repeated_text_is_rendered_once_and_identically():
    task = "1-міндет. " + "ұзақ мәтін " * 20
    r = rowxml.Renderer(COLUMNS)
    first, second = r.row({"text": task}), r.row({"text": task})
    assert first == second
    assert r.row({"text": task + "!"}) != first


def test_remembered_cells_keep_types_apart(tmp_path):
    """Renderer remembers rendered cells by (column, value): equal numbers may share a cell (1 and 1.0
    both show 1), but True, "1", -0.0 and numbers no float can hold must each come out right, in any order."""
    data = [{"text": "1", "number": 1, "int": 1}, {"text": "1", "number": 1.0, "int": True},
            {"number": -0.0, "int": 0}, {"number": 0, "int": -0.0}, {"number": 10 ** 400, "int": 2.5},
            {"text": "1", "number": 1, "int": 1}]
    out = _stitched(tmp_path, data)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Data").to_python()[1:]
    assert [r[:3] for r in rows] == [["1", 1.0, 1.0], ["1", 1.0, "True"], ["", 0.0, 0.0], ["", 0.0, 0.0],
                                     ["", str(10 ** 400), 2.5], ["1", 1.0, 1.0]]
    xml = rowxml.Renderer(COLUMNS).row({"number": -0.0})
    assert "<v>0</v>" in xml and "-0" not in xml


def test_stitch_refuses_a_part_that_is_not_there(tmp_path):
    """Rows asked to go into a missing part would be lost without a word: an error instead."""
    frame, out = tmp_path / "frame.xlsx", tmp_path / "out.xlsx"
    _frame(frame, 1)
    with pytest.raises(KeyError, match="sheet7.xml"):
        rowxml.stitch(str(frame), str(out), {"xl/worksheets/sheet1.xml": (2, 4, [b""]),
                                             "xl/worksheets/sheet7.xml": (2, 4, [b"<row/>"])})
    assert not out.exists()


def test_worksheet_parts_come_from_the_workbook(tmp_path):
    import xlsxwriter

    path = tmp_path / "w.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for title in ("Сводка", "Отчёты", "Data"):
        wb.add_worksheet(title)
    wb.close()
    assert rowxml.worksheet_parts(str(path)) == {
        "Сводка": "xl/worksheets/sheet1.xml", "Отчёты": "xl/worksheets/sheet2.xml", "Data": "xl/worksheets/sheet3.xml"}


def test_check_styles_proves_the_xf_indices_the_rows_use(tmp_path):
    """The one XlsxWriter internal esep calls (Format._get_xf_index, to number the four formats first)
    is proved on the written file by check_styles(); this test pins the XlsxWriter versions it was
    proved with (setup.cfg allows only those)."""
    import xlsxwriter

    major, minor = (int(x) for x in xlsxwriter.__version__.split(".")[:2])
    assert (3, 1) <= (major, minor) < (4, 0), f"XlsxWriter {xlsxwriter.__version__} is not proved here"
    good = tmp_path / "good.xlsx"
    _frame(good, 1)
    rowxml.check_styles(str(good))
    # Formats numbered in another order: the rendered rows would show dates as numbers. Refused.
    bad = tmp_path / "bad.xlsx"
    wb = xlsxwriter.Workbook(str(bad))
    ws = wb.add_worksheet("Data")
    bold = wb.add_format({"bold": True})
    bold._get_xf_index()
    ws.write_string(0, 0, "x", bold)
    for name in rowxml.XF_ORDER:
        wb.add_format({"num_format": rowxml.XF_FORMATS[name]})._get_xf_index()
    wb.close()
    with pytest.raises(RuntimeError, match="xf 1"):
        rowxml.check_styles(str(bad))
