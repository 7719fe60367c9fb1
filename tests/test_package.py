"""toolkit.package: safe opening of untrusted workbooks, structure, values and formula positions."""
from __future__ import annotations

import hashlib
import os
import pickle
import re
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

import hostile
from toolkit import package
from toolkit.package import (
    MAX_FILE_BYTES,
    MAX_MEMBERS,
    MAX_RANGE_CELLS,
    REASONS,
    Sheet,
    Unreadable,
    a1,
    open_package,
    parse_a1,
    range_cells,
    resolve_ref,
)

ROOT = Path(__file__).resolve().parent.parent
FOREIGN = ROOT.parent / "shared" / "corpus" / "foreign"

TIME_LIMIT = 5.0  # seconds per file, for open + every values() call


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def open_and_read_all(path: Path) -> None:
    """open_package, then values/formula_cells/sheet_protected of every sheet."""
    with open_package(path) as pkg:
        for s in pkg.sheets:
            pkg.values(s.title)
            pkg.formula_cells(s.title)
            pkg.sheet_protected(s.title)


# ---------------------------------------------------------------------------------------------
# Hostile inputs
# ---------------------------------------------------------------------------------------------

# (builder, expected reason). Every one must be refused by open_package or, at the latest, by
# values() of its sheets.
HOSTILE = [
    ("empty_file", "empty"),
    ("text_as_xlsx", "not-spreadsheet"),
    ("csv_as_xlsx", "not-spreadsheet"),
    ("html_as_xlsx", "not-spreadsheet"),
    ("no_workbook_part", "not-spreadsheet"),
    ("docx_as_xlsx", "not-spreadsheet"),
    ("truncated_zip", "corrupt"),
    ("flipped_bytes", "corrupt"),
    ("ole_encrypted", "encrypted"),
    ("legacy_xls", "legacy-xls"),
    ("ods_file", "ods"),
    ("xlsb_package", "xlsb"),
    ("entity_bomb", "xml-forbidden"),
    ("external_entity", "xml-forbidden"),
    ("utf16_entity_bomb", "xml-forbidden"),
    ("zip_bomb", "zip-bomb"),  # ~1 s: the builder streams 300 MB through zlib
    ("million_rows", "zip-bomb"),
    ("lying_header_bomb", "zip-bomb"),
    ("shared_strings_count_lie", "corrupt"),
    ("too_many_members", "zip-bomb"),
]


@pytest.mark.parametrize("builder, reason", HOSTILE)
def test_hostile_file_is_refused_quickly_and_untouched(tmp_path, builder, reason):
    path = getattr(hostile, builder)(tmp_path)
    before = sha256(path)
    started = time.perf_counter()
    with pytest.raises(Unreadable) as caught:  # any other exception type fails the test
        open_and_read_all(path)
    elapsed = time.perf_counter() - started
    assert caught.value.reason == reason, caught.value
    assert caught.value.detail
    assert elapsed < TIME_LIMIT
    assert sha256(path) == before


def _refusal_in_subprocess(path: Path) -> str:
    """Open and read `path` in a child process (calamine aborts the whole process on some inputs
    if the guards fail, which would take pytest down with it). Returns the refusal reason or
    'read'."""
    code = (
        "import sys\n"
        "from toolkit.package import open_package, Unreadable\n"
        "try:\n"
        "    with open_package(sys.argv[1]) as pkg:\n"
        "        for s in pkg.sheets:\n"
        "            pkg.values(s.title)\n"
        "    print('read')\n"
        "except Unreadable as exc:\n"
        "    print(exc.reason)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, f"child died ({done.returncode}): {done.stderr[-2000:]}"
    return done.stdout.strip()


@pytest.mark.parametrize(
    "builder, reason",
    [
        ("sparse_far_cell", "far-cell"),  # calamine would allocate 550 GB and abort
        ("duplicate_r_attribute", "corrupt"),  # quick-xml would take the far, second r
        ("shared_strings_count_lie", "corrupt"),  # calamine would reserve 48 GB and abort
    ],
)
def test_inputs_that_abort_calamine_are_refused_before_it_runs(tmp_path, builder, reason):
    path = getattr(hostile, builder)(tmp_path)
    assert _refusal_in_subprocess(path) == reason


@pytest.mark.parametrize(
    "far_row, reason",
    [
        # spellings the fast scan does not accept, so the exact parser must measure them
        (b'<row r="9"><c\tr="XFD1048576"><v>1</v></c></row>', "far-cell"),
        (b'<row r="9"><c s="0" r="XFD1048576"><v>1</v></c></row>', "far-cell"),
        (b'<row r="9"><x:c r="XFD1048576"><x:v>1</x:v></x:c></row>', "far-cell"),
        (b'<row r="9"><c r="A9" t="n>" r="XFD1048576"><v>1</v></c></row>', "corrupt"),
        (b'<row r="9"><c r=\'XFD1048576\'><v>1</v></c></row>', "far-cell"),
        # implicit positions: a cell without r sits in its row, after the previous cell
        (b'<row r="1048576"><c><v>1</v></c></row>', "far-cell"),
    ],
    ids=["tab", "r-not-first", "prefixed", "gt-in-value", "single-quotes", "implicit"],
)
def test_far_cells_in_unusual_spellings_are_caught(tmp_path, far_row, reason):
    src = hostile.plain_xlsx(tmp_path / "plain.xlsx")
    path = hostile.rewrite_members(
        src, tmp_path / "odd_far.xlsx",
        lambda n, d: d.replace(b"</sheetData>", far_row + b"</sheetData>")
        if n == "xl/worksheets/sheet1.xml" else d,
    )
    assert _refusal_in_subprocess(path) == reason


def test_far_cell_is_refused_by_values_not_by_open(tmp_path):
    pkg = open_package(hostile.sparse_far_cell(tmp_path))
    assert [s.title for s in pkg.sheets] == ["Sheet1"]
    with pytest.raises(Unreadable) as caught:
        pkg.values("Sheet1")
    assert caught.value.reason == "far-cell"
    assert "sheet 'Sheet1': values reach row 1048576 and column XFD" in caught.value.detail


def test_styled_blank_far_cell_is_harmless(tmp_path):
    """Excel and LibreOffice write formatting-only cells as <c r=".." s="1"/>; value readers skip
    them, so a styled XFD1048576 must not make the sheet 'too large'."""
    src = hostile.plain_xlsx(tmp_path / "plain.xlsx")
    far = b'<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>'
    path = hostile.rewrite_members(
        src, tmp_path / "styled_far.xlsx",
        lambda n, d: d.replace(b"</sheetData>", far) if n == "xl/worksheets/sheet1.xml" else d,
    )
    with open_package(path) as pkg:
        grid = pkg.values("Sheet1")
    assert grid[0][0] == "hello" and len(grid) == 3


def test_missing_file(tmp_path):
    with pytest.raises(Unreadable) as caught:
        open_package(tmp_path / "nope.xlsx")
    assert caught.value.reason == "missing"


def test_directory_and_fifo_are_not_spreadsheets(tmp_path):
    with pytest.raises(Unreadable) as caught:
        open_package(tmp_path)
    assert caught.value.reason == "folder"
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.xlsx"
        os.mkfifo(fifo)
        with pytest.raises(Unreadable) as caught:
            open_package(fifo)  # must not block reading the pipe
        assert caught.value.reason == "not-regular"
        assert "FIFO" in caught.value.detail


def test_permission_denied(tmp_path, monkeypatch):
    path = hostile.plain_xlsx(tmp_path / "locked.xlsx")

    def denied(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    # Tests may run as root, where chmod 000 does not stop reading.
    monkeypatch.setattr(package, "open_regular", denied)
    with pytest.raises(Unreadable) as caught:
        open_package(path)
    assert caught.value.reason == "permission"


def test_file_over_the_size_limit_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.xlsx"
    with open(path, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(Unreadable) as caught:
        open_package(path)
    assert caught.value.reason == "too-large"


def test_unreadable_is_picklable_and_readable():
    exc = Unreadable("zip-bomb", "member x expands 300 MB at 172:1")
    back = pickle.loads(pickle.dumps(exc))
    assert (back.reason, back.detail) == ("zip-bomb", "member x expands 300 MB at 172:1")
    assert str(back) == "zip-bomb: member x expands 300 MB at 172:1"
    assert "not-zip" in REASONS
    with pytest.raises(ValueError):
        Unreadable("no-such-reason")


def test_limits_are_consistent():
    assert package.RATIO_MIN_SIZE < package.MAX_PART_UNCOMPRESSED <= package.MAX_TOTAL_UNCOMPRESSED
    assert MAX_MEMBERS >= 100
    assert package.MAX_GRID_CELLS >= 160 * 30  # the template, with a wide margin


# ---------------------------------------------------------------------------------------------
# A normal workbook
# ---------------------------------------------------------------------------------------------


def build_normal(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    header = wb.add_worksheet("Header")
    ind = wb.add_worksheet("Индикаторлар")
    data = wb.add_worksheet("Data")
    lists = wb.add_worksheet("Lists")
    meta = wb.add_worksheet("_meta")
    header.write_string("A3", "Ұйымның атауы / Наименование")
    header.write_string("B3", "«Жас Ұрпақ» ҚБ")
    header.print_area("A1:D10")  # a _xlnm.Print_Area built-in name
    for row, value in ((5, 10), (6, 20), (7, 30)):
        ind.write_number(row, 1, value)
    ind.write_formula("B9", "=SUM(B6:B8)", None, 60)
    ind.protect()
    data.write_number("C5", 42)
    lists.write_column("A1", ["Иә", "Жоқ"])
    lists.hide()
    meta.write_string("A1", "kz-grant-final-report")
    meta.very_hidden()
    wb.define_name("org_name", "=Header!$B$3")
    wb.define_name("ind_plan", "='Индикаторлар'!$B$6:$B$8")
    wb.define_name("meta_template_id", "=_meta!$A$1")
    wb.define_name("Header!local_only", "=Header!$B$3")  # sheet scope: ignored
    wb.close()
    return path


@pytest.fixture(scope="module")
def normal(tmp_path_factory) -> Path:
    return build_normal(tmp_path_factory.mktemp("normal") / "normal.xlsx")


def test_normal_workbook_structure(normal):
    with open_package(normal) as pkg:
        assert pkg.kind == "xlsx"
        assert not pkg.has_macros and not pkg.has_external_links and not pkg.workbook_protected
        assert pkg.sha256 == sha256(normal) and pkg.size == normal.stat().st_size
        assert [(s.title, s.state, s.index) for s in pkg.sheets] == [
            ("Header", "visible", 0),
            ("Индикаторлар", "visible", 1),
            ("Data", "visible", 2),
            ("Lists", "hidden", 3),
            ("_meta", "veryHidden", 4),
        ]
        assert pkg.sheet("Lists") == Sheet("Lists", "xl/worksheets/sheet4.xml", "hidden", 3)
        assert pkg.sheet("header").title == "Header"  # Excel titles are case-insensitive
        assert pkg.sheet("Nope") is None
        assert set(pkg.names) == {"org_name", "ind_plan", "meta_template_id"}
        assert resolve_ref(pkg.names["org_name"]) == ("Header", "B3")
        assert resolve_ref(pkg.names["ind_plan"]) == ("Индикаторлар", "B6:B8")
        assert resolve_ref(pkg.names["meta_template_id"]) == ("_meta", "A1")


def test_normal_workbook_cells(normal):
    with open_package(normal) as pkg:
        grid = pkg.values("Data")
        assert len(grid) == 5 and grid[4][2] == 42.0  # C5, addressed from A1
        assert grid[0][0] == ""
        ind = pkg.values("Индикаторлар")
        assert [row[1] for row in ind[5:9]] == [10.0, 20.0, 30.0, 60.0]
        assert pkg.values("Data") is grid  # cached
        assert pkg.formula_cells("Индикаторлар") == {"B9"}
        assert "B6" not in pkg.formula_cells("Индикаторлар")
        assert pkg.formula_cells("Data") == set()
        assert pkg.sheet_protected("Индикаторлар") is True
        assert pkg.sheet_protected("Header") is False
        assert pkg.values("_meta")[0][0] == "kz-grant-final-report"
        with pytest.raises(KeyError):
            pkg.values("Nope")


def test_read_part(normal):
    with open_package(normal) as pkg:
        workbook_xml = pkg.read_part("xl/workbook.xml")
        assert workbook_xml.startswith(b"<?xml") and b"definedName" in workbook_xml
        assert pkg.read_part("/xl/workbook.xml") == workbook_xml
        with pytest.raises(KeyError):
            pkg.read_part("xl/nothing.xml")


def test_closed_package_refuses_work(normal):
    with open_package(normal) as pkg:
        pass
    with pytest.raises(ValueError):
        pkg.values("Data")


def test_workbook_structure_protection(tmp_path, normal):
    def protect(name: str, data: bytes) -> bytes:
        if name == "xl/workbook.xml":
            return data.replace(b"<bookViews>", b'<workbookProtection lockStructure="1"/><bookViews>')
        return data

    path = hostile.rewrite_members(normal, tmp_path / "protected.xlsx", protect)
    with open_package(path) as pkg:
        assert pkg.workbook_protected is True


def test_macro_workbook_is_flagged_even_when_renamed(tmp_path):
    path = hostile.xlsm_with_macro(tmp_path)
    renamed = tmp_path / "innocent.xlsx"
    renamed.write_bytes(path.read_bytes())
    for p in (path, renamed):
        with open_package(p) as pkg:
            assert pkg.kind == "xlsm" and pkg.has_macros
            assert pkg.values("Sheet1") == [["macro inside"]]


def test_external_links_are_flagged(tmp_path):
    src = hostile.plain_xlsx(tmp_path / "plain.xlsx")
    path = hostile.rewrite_members(
        src, tmp_path / "linked.xlsx", lambda n, d: d,
        extra={"xl/externalLinks/externalLink1.xml": b"<externalLink/>"},
    )
    with open_package(path) as pkg:
        assert pkg.has_external_links


def test_prefixed_strict_namespaces_and_odd_targets(tmp_path):
    path = hostile.prefixed_strict_workbook(tmp_path)
    with open_package(path) as pkg:
        assert [(s.title, s.part) for s in pkg.sheets] == [
            ("First", "xl/worksheets/sheet1.xml"),
            ("Second", "xl/worksheets/sheet2.xml"),
        ]
        assert pkg.names == {"five": "First!$B$2"}
        assert pkg.values("First")[1][1] == 5.0
        try:  # calamine may not follow a backslashed target; then it must be a clean refusal
            assert pkg.values("Second")[0][0] == 7.0
        except Unreadable as exc:
            assert exc.reason == "corrupt"


def test_main_part_found_through_package_relationships(tmp_path):
    path = hostile.moved_main_part(tmp_path)
    with open_package(path) as pkg:
        assert [(s.title, s.part) for s in pkg.sheets] == [("Sheet1", "xl/worksheets/sheet1.xml")]
        assert pkg.formula_cells("Sheet1") == {"B3"}
        try:
            assert pkg.values("Sheet1")[0][0] == "hello"
        except Unreadable as exc:  # calamine only looks for xl/workbook.xml
            assert exc.reason == "corrupt"


def _rewrite_sheet(tmp_path: Path, src: Path, name: str, member: str, fn) -> Path:
    return hostile.rewrite_members(src, tmp_path / name, lambda n, d: fn(d) if n == member else d)


def test_shared_formula_children_count_as_formula_cells(tmp_path):
    src = hostile.plain_xlsx(tmp_path / "plain.xlsx")
    cells = (
        b'<row r="6"><c r="D6"><f t="shared" ref="D6:D8" si="0">B2*2</f><v>84</v></c></row>'
        b'<row r="7"><c r="D7"><f t="shared" si="0"/><v>0</v></c></row>'
        b'<row r="8"><c r="D8"><f t="shared" si="0"/><v>0</v></c><c r="E8"><v>5</v></c></row>'
        b"</sheetData>"
    )
    path = _rewrite_sheet(
        tmp_path, src, "shared.xlsx", "xl/worksheets/sheet1.xml",
        lambda d: d.replace(b"</sheetData>", cells),
    )
    with open_package(path) as pkg:
        assert pkg.formula_cells("Sheet1") == {"B3", "D6", "D7", "D8"}
        assert pkg.values("Sheet1")[7][4] == 5.0


@pytest.mark.parametrize(
    "variant, formulas, extent",
    [
        ("r-last", {"B9"}, (9, 2)),
        ("prefixed", {"B9"}, (9, 2)),
        # Without r a cell follows the previous cell of its row: column B's cells move to A.
        ("no-r", {"A9"}, (9, 1)),
    ],
)
def test_exact_parser_agrees_with_fast_scan(tmp_path, normal, variant, formulas, extent):
    """Sheets written with r after other attributes, with a namespace prefix, or without r at all
    (the first and last through the exact parser) give the cells calamine sees."""
    member = "xl/worksheets/sheet2.xml"  # Индикаторлар

    def transform(data: bytes) -> bytes:
        if variant == "r-last":
            return re.sub(rb'<c r="([A-Z]+[0-9]+)"([^>]*?)(/?)>', rb'<c\2 r="\1"\3>', data)
        if variant == "no-r":
            return re.sub(rb'<c r="[A-Z]+[0-9]+"', b"<c", data)
        data = data.replace(
            b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
            b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
        )
        return re.sub(rb"<(/?)(?![?!])([A-Za-z])", rb"<\1x:\2", data)

    path = _rewrite_sheet(tmp_path, normal, f"{variant}.xlsx", member, transform)
    with open_package(path) as pkg:
        assert pkg.formula_cells("Индикаторлар") == formulas
        rows, cols, _ = pkg._scan(member)
        assert (rows, cols) == extent
        grid = pkg.values("Индикаторлар")
        assert (len(grid), max(len(row) for row in grid)) == extent


# ---------------------------------------------------------------------------------------------
# A1 helpers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "formula, expected",
    [
        ("'Индикаторлар'!$B$6:$B$155", ("Индикаторлар", "B6:B155")),
        ("Header!$B$3", ("Header", "B3")),
        ("Header!B3", ("Header", "B3")),
        ("Индикаторлар!$B$6", ("Индикаторлар", "B6")),
        ("'It''s'!$A$1", ("It's", "A1")),
        ("'Sheet one'!$a$1:$c$2", ("Sheet one", "A1:C2")),
        ("_meta!$A$1", ("_meta", "A1")),
        ("#REF!", None),
        ("Header!#REF!", None),
        ("SUM(Header!$A$1:$A$3)", None),
        ("Header!$A$1,Header!$B$2", None),
        ("[1]Sheet1!$A$1", None),
        ("'[1]Sheet1'!$A$1", None),
        ("'Sheet1:Sheet3'!$A$1", None),
        ("Header!$A:$A", None),
        ("Header!$1:$1", None),
        ("Header!$XFE$1", None),
        ("Header!$A$1048577", None),
        ("Header!$A$1:$XFD$1048576", None),  # more than MAX_RANGE_CELLS
        ("=Header!$B$3", None),
        ("", None),
        ("lst_regions", None),
    ],
)
def test_resolve_ref(formula, expected):
    assert resolve_ref(formula) == expected


def test_parse_a1_and_a1_round_trip():
    assert parse_a1("B3") == (2, 1)
    assert parse_a1("$B$3") == (2, 1)
    assert parse_a1("a1") == (0, 0)
    assert parse_a1("XFD1048576") == (1_048_575, 16_383)
    assert a1(2, 1) == "B3"
    assert a1(0, 25) == "Z1" and a1(0, 26) == "AA1" and a1(0, 701) == "ZZ1" and a1(0, 702) == "AAA1"
    for row0, col0 in [(0, 0), (5, 27), (1_048_575, 16_383), (99, 700)]:
        assert parse_a1(a1(row0, col0)) == (row0, col0)
    for bad in ["", "B", "3", "B0", "XFE1", "A1048577", "B3:B4", "1B", " "]:
        with pytest.raises(ValueError):
            parse_a1(bad)
    with pytest.raises(ValueError):
        a1(-1, 0)
    with pytest.raises(ValueError):
        a1(0, 16_384)


def test_range_cells():
    assert range_cells("B6:B8") == ["B6", "B7", "B8"]
    assert range_cells("B3") == ["B3"]
    assert range_cells("A1:B2") == ["A1", "B1", "A2", "B2"]  # row-major
    assert range_cells("B8:B6") == ["B6", "B7", "B8"]
    assert range_cells("$B$6:$B$7") == ["B6", "B7"]
    assert len(range_cells("B6:B155")) == 150
    with pytest.raises(ValueError):
        range_cells("A1:XFD1048576")
    assert len(range_cells(f"A1:A{MAX_RANGE_CELLS}")) == MAX_RANGE_CELLS


# ---------------------------------------------------------------------------------------------
# Real foreign workbooks
# ---------------------------------------------------------------------------------------------

FOREIGN_FILES = sorted(p for p in FOREIGN.iterdir() if p.is_file()) if FOREIGN.is_dir() else []


@pytest.mark.skipif(not FOREIGN_FILES, reason="shared/corpus/foreign not available")
@pytest.mark.parametrize("path", FOREIGN_FILES, ids=[p.name for p in FOREIGN_FILES])
def test_foreign_workbook_opens_or_is_refused(path):
    before = sha256(path)
    started = time.perf_counter()
    try:
        pkg = open_package(path)
    except Unreadable as exc:
        assert exc.reason in REASONS
    else:
        with pkg:
            for s in pkg.sheets:
                try:
                    grid = pkg.values(s.title)
                    assert isinstance(grid, list)
                    pkg.formula_cells(s.title)
                    pkg.sheet_protected(s.title)
                except Unreadable as exc:
                    assert exc.reason in REASONS
    assert time.perf_counter() - started < TIME_LIMIT
    assert sha256(path) == before


def test_foreign_formats_get_their_own_reasons():
    if not FOREIGN_FILES:
        pytest.skip("shared/corpus/foreign not available")
    expected = {
        "any_sheets.xls": "legacy-xls",
        "any_sheets.xlsb": "xlsb",
        "any_sheets.ods": "ods",
        "pass_protected.xlsx": "encrypted",
        "issue252.xlsx": "corrupt",  # garbled relationships part
    }
    for name, reason in expected.items():
        with pytest.raises(Unreadable) as caught:
            open_package(FOREIGN / name)
        assert caught.value.reason == reason, (name, caught.value)


def test_module_does_not_import_heavy_readers():
    code = "import sys, toolkit.package; print(sorted({'openpyxl', 'pandas'} & set(sys.modules)))"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------------------------------------
# Speed (measured and printed, not asserted: the VM is noisy)
# ---------------------------------------------------------------------------------------------


def build_report_like(path: Path) -> Path:
    """Roughly the size and shape of a filled report: 6 sheets, ~150 indicator rows, formulas on
    every row, ~60 defined names, long bilingual narratives, protection."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    unlocked = wb.add_format({"locked": False, "bg_color": "#FFF2CC"})
    header = wb.add_worksheet("Header")
    for i in range(17):
        header.write_string(i + 2, 0, f"Көрсеткіш {i} / Показатель {i}")
        header.write_string(i + 2, 1, f"мән {i} " * 3, unlocked)
        wb.define_name(f"field_{i}", f"=Header!$B${i + 3}")
    header.protect()
    ind = wb.add_worksheet("Индикаторлар")
    for r in range(5, 155):
        ind.write_string(r, 0, f"Міндет {r // 10}", unlocked)
        ind.write_string(r, 1, f"Іс-шара {r}: семинар, тренинг / мероприятие {r}", unlocked)
        for c in range(2, 8):
            ind.write_number(r, c, (r * c) % 97, unlocked)
        ind.write_formula(r, 8, f"=D{r + 1}-C{r + 1}", None, 0)
        ind.write_formula(r, 9, f'=IF(C{r + 1}=0,"",D{r + 1}/C{r + 1})', None, 0)
        ind.write_blank(r, 10, None, unlocked)
    for c, letter in enumerate("ABCDEFGHIJ"):
        wb.define_name(f"ind_col_{c}", f"='Индикаторлар'!${letter}$6:${letter}$155")
    ind.protect()
    budget = wb.add_worksheet("Budget")
    for r in range(3, 63):
        budget.write_string(r, 0, f"Шығын бабы {r} / Статья расходов {r}", unlocked)
        budget.write_number(r, 1, r * 1000, unlocked)
        budget.write_number(r, 2, r * 900, unlocked)
        budget.write_formula(r, 3, f"=B{r + 1}-C{r + 1}", None, 0)
    budget.write_formula(63, 1, "=SUM(B4:B63)", None, 0)
    for c, letter in enumerate("ABCD"):
        wb.define_name(f"budget_{c}", f"=Budget!${letter}$4:${letter}$63")
    for i in range(25):
        wb.define_name(f"budget_line_{i}", f"=Budget!$D${i + 4}")
    budget.protect()
    narrative = wb.add_worksheet("Narrative")
    story = "Жоба аясында 12 семинар өтті, 340 адам қатысты. В рамках проекта прошло 12 семинаров. "
    for i, n in enumerate((15, 40, 60)):
        narrative.write_string(i + 2, 1, story * n, unlocked)
        wb.define_name(f"story_{i}", f"=Narrative!$B${i + 3}")
    narrative.protect()
    lists = wb.add_worksheet("Lists")
    lists.write_column("A1", [f"Облыс {i}" for i in range(20)])
    lists.hide()
    meta = wb.add_worksheet("_meta")
    meta.write_column("A1", ["kz-grant-final-report", "1.0.0", "kk"])
    meta.very_hidden()
    for i, name in enumerate(("meta_template_id", "meta_template_version", "meta_lang")):
        wb.define_name(name, f"=_meta!$A${i + 1}")
    wb.close()
    return path


def test_speed_of_a_report_like_workbook(tmp_path, capsys):
    """Prints open / open+names+formula_cells+values timings next to bare calamine on the same
    bytes. min is the uncontended cost; the median moves with whatever else the machine runs."""
    import io

    import python_calamine

    path = build_report_like(tmp_path / "report.xlsx")
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        uncompressed = sum(i.file_size for i in zf.infolist())

    def full() -> tuple[float, float]:
        t0 = time.perf_counter()
        pkg = open_package(path)
        t1 = time.perf_counter()
        assert len(pkg.names) >= 60
        for s in pkg.sheets:
            pkg.formula_cells(s.title)
            pkg.values(s.title)
        pkg.close()
        return t1 - t0, time.perf_counter() - t0

    def bare_calamine() -> float:
        t0 = time.perf_counter()
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        return time.perf_counter() - t0

    for _ in range(5):
        full()  # warm up caches and imports
    runs = [full() for _ in range(100)]
    bare = sorted(bare_calamine() * 1000 for _ in range(100))
    opens = sorted(r[0] * 1000 for r in runs)
    totals = sorted(r[1] * 1000 for r in runs)

    def stats(xs: list[float]) -> str:
        return f"min {xs[0]:.2f} / median {statistics.median(xs):.2f} / p90 {xs[int(len(xs) * 0.9)]:.2f} ms"

    with capsys.disabled():
        print(
            f"\n[package speed] {len(data) // 1024} KB file, {uncompressed // 1024} KB uncompressed, "
            f"{len(runs)} runs\n  open_package:                      {stats(opens)}"
            f"\n  open+names+formula_cells+values:   {stats(totals)}"
            f"\n  bare calamine, all sheets:         {stats(bare)}"
        )
