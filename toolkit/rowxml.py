"""The register's big sheets as SpreadsheetML rows, rendered where the rows are made (in the worker
processes of merge) and stitched into the workbook XlsxWriter wrote around them.

Why: writing the register cell by cell through XlsxWriter costs ~14 µs a cell in its constant-memory
mode, ~25 ms for the ~1 750 cells of one report, in the one main process: more than reading and
checking the report. Rendering the same XML in the workers spreads that work over every core; the main
process only numbers the rows and copies bytes (bench/run.py, bench/breakdown.py).

The markup is what XlsxWriter's constant-memory mode writes (inline strings, numbers with %.16G, styles
by xf index), with one difference on purpose: every text is escaped. (XlsxWriter writes a string that
starts with "<r>" and ends with "</r>" unescaped, as rich text; in a register of typed texts that would
let a report inject cells or formulas.)

A row is rendered with ROW in place of its row number ('<row r="\\0"><c r="A\\0" ...'); rows of one file
are joined with SEP. Neither character survives `clip()`, which every text goes through, so they cannot
come from the data.
"""
from __future__ import annotations

import datetime as _dt
import re
import shutil
import sys
import zipfile
from typing import Any, Iterable

from .a1 import col_letters

ROW = "\x00"
SEP = "\x01"
ROW_B = ROW.encode()
SEP_B = SEP.encode()

# Cell styles by xf index. register._Formats asks XlsxWriter for these formats first, in this order, so
# they get exactly these indices, and the workers can use them without the workbook; check_styles()
# proves it on the written frame (from its styles.xml, whatever XlsxWriter's version).
XF = {"date": 1, "datetime": 2, "number": 3, "int": 4}
XF_ORDER = ("date", "datetime", "number", "int")
XF_FORMATS = {"date": "dd.mm.yyyy", "datetime": "dd.mm.yyyy hh:mm", "number": "#,##0.##", "int": "0"}
_BUILTIN_FORMATS = {0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00"}
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

MAX_TEXT = 32767
# Characters XML 1.0 cannot carry (C0 controls other than tab, LF, CR).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Excel reads _xHHHH_ in a text as an escaped character; a literal one is escaped as _x005F_xHHHH_.
_EXCEL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
_EPOCH = _dt.datetime(1899, 12, 31)
# zlib level of the register's parts. Level 1 deflates the register's XML ~4x faster than level 6 (the
# zip default XlsxWriter uses) for a file ~30 % larger: on 1 000 reports ~1.5 s less, ~4 MB more.
COMPRESS_LEVEL = 1
ZIP64_FROM = 1 << 30    # zipfile needs ZIP64 announced before a member passes 2 GiB; ask for it at 1 GiB


def clip(text: str) -> str:
    """A text as a cell can hold it: at most 32 767 characters, no characters XML 1.0 forbids."""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT - 1] + "…"
    if _XML_ILLEGAL.search(text):
        text = _XML_ILLEGAL.sub("\ufffd", text)
    return text


def _text_cell(ref: str, style: str, text: str) -> str:
    text = clip(text)
    if "_x" in text:
        text = _EXCEL_ESCAPE.sub(r"_x005F\1", text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\ufffe" in text or "\uffff" in text:
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    preserve = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{preserve}>{text}</t></is></c>'


def excel_serial(value: _dt.datetime) -> float:
    """Excel's 1900-system serial number of a date and time (with its 29 Feb 1900)."""
    delta = value - _EPOCH
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return serial + 1 if serial > 59 else serial


_FLOAT_MAX = sys.float_info.max


def _number_text(value) -> str:
    try:
        return str(value)
    except ValueError:   # an int of more digits than Python converts to text
        return "…"


MEMO_TEXT = 200      # texts up to this length are remembered by Renderer.row
MEMO_LIMIT = 512     # entries a renderer keeps from file to file (memory stays flat over a merge)


def _cell(ref: str, style: str, shown, value) -> str:
    """One cell of a register row: `shown` maps raw values to what the register shows (or is None)."""
    if shown is not None and value.__class__ is not bool and value in shown:
        value = shown[value]
    kind = value.__class__
    if kind is str:
        return _text_cell(ref, style, value)
    if kind is bool:
        return _text_cell(ref, style, str(value))
    if kind is float or kind is int or isinstance(value, (int, float)):
        if -_FLOAT_MAX <= value <= _FLOAT_MAX:   # not nan or inf, and an int a float can hold
            return f'<c r="{ref}"{style}><v>{value + 0.0:.16G}</v></c>'   # + 0.0: -0.0 shows as 0
        return _text_cell(ref, style, _number_text(value))
    if isinstance(value, _dt.date):
        moment = value if isinstance(value, _dt.datetime) else _dt.datetime(value.year, value.month, value.day)
        if moment.tzinfo is not None or moment < _EPOCH:
            return _text_cell(ref, style, value.isoformat())
        xf = XF["datetime"] if isinstance(value, _dt.datetime) else XF["date"]
        return f'<c r="{ref}" s="{xf}"><v>{excel_serial(moment):.16G}</v></c>'
    return _text_cell(ref, style, str(value))


class Renderer:
    """Renders register rows of one sheet. `columns`: (key, kind, shown) per column, where kind is
    the register column kind ("date", "number", "int", ...) and shown maps raw values to what the
    register shows (option and status labels) or is None."""

    def __init__(self, columns: Iterable[tuple[str, str, dict | None]]):
        self.plan = []
        for c, (key, kind, shown) in enumerate(columns):
            default = f' s="{XF[kind]}"' if kind in ("date", "number", "int") else ""
            self.plan.append((f"{col_letters(c)}{ROW}", key, shown, default))
        self.last_col = len(self.plan) - 1
        # (column, short text or number) -> its rendered cell: units, statuses, option codes, the source
        # file and its SHA-256, a task filled down, 0, 1, 100; a report repeats them row after row.
        self.memo: dict[tuple[int, Any], str] = {}

    def row(self, data: dict) -> str:
        cells = []
        add = cells.append
        get = data.get
        memo = self.memo
        if len(memo) > 8 * MEMO_LIMIT:   # rows() clears it between files; this is for direct callers
            memo.clear()
        for c, (ref, key, shown, style) in enumerate(self.plan):
            value = get(key)
            if value is None:
                continue
            kind = value.__class__
            if kind is str or kind is float or kind is int:
                # A text never equals a number, and equal numbers render alike (1 and 1.0 both as 1,
                # -0.0 as 0), so they may share an entry.
                if value == "":
                    continue
                xml = memo.get((c, value))
                if xml is None:
                    xml = _cell(ref, style, shown, value)
                    if kind is not str or len(value) <= MEMO_TEXT:
                        memo[c, value] = xml
                add(xml)
            elif value != "":
                add(_cell(ref, style, shown, value))
        return f'<row r="{ROW}">{"".join(cells)}</row>'

    def rows(self, rows: Iterable[dict]) -> bytes:
        """Rows of one file, rendered and joined with SEP, as UTF-8 (a stray surrogate becomes '?')."""
        if len(self.memo) > MEMO_LIMIT:
            self.memo.clear()   # bounded by MEMO_LIMIT plus one file's distinct short values
        return SEP.join(self.row(d) for d in rows).encode("utf-8", "replace")


def numbered(chunk: bytes, first_row: int) -> tuple[bytes, int]:
    """A file's joined rows with their row numbers from first_row on; (bytes, rows)."""
    if not chunk:
        return b"", 0
    parts = chunk.split(SEP_B)
    return b"".join(p.replace(ROW_B, str(first_row + k).encode()) for k, p in enumerate(parts)), len(parts)


def count(chunk: bytes) -> int:
    return chunk.count(SEP_B) + 1 if chunk else 0


def check_styles(path: str) -> None:
    """Raise unless the xlsx at `path` (a register frame we wrote) has XF's number formats at XF's xf
    indices: the rendered rows refer to them by index."""
    from xml.etree import ElementTree

    with zipfile.ZipFile(path) as zf:
        styles = ElementTree.fromstring(zf.read("xl/styles.xml"))
    codes = dict(_BUILTIN_FORMATS)
    for nf in styles.iterfind("m:numFmts/m:numFmt", _NS):
        codes[int(nf.get("numFmtId"))] = nf.get("formatCode")
    xfs = styles.findall("m:cellXfs/m:xf", _NS)
    for name, index in XF.items():
        got = codes.get(int(xfs[index].get("numFmtId", 0))) if index < len(xfs) else None
        if got != XF_FORMATS[name]:
            raise RuntimeError(f"register frame: xf {index} has number format {got!r}, not the "
                               f"{name} format {XF_FORMATS[name]!r} the rows were rendered with")


def worksheet_parts(path: str) -> dict[str, str]:
    """Sheet title -> its worksheet part ('xl/worksheets/sheet2.xml') in the xlsx at `path` (one we
    wrote), read from the workbook and its relationships rather than assumed."""
    from xml.etree import ElementTree

    with zipfile.ZipFile(path) as zf:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for sheet in book.iterfind("m:sheets/m:sheet", _NS):
        part = target[sheet.get(f"{{{_REL_NS}}}id")]
        out[sheet.get("name")] = part.lstrip("/") if part.startswith("/") else "xl/" + part
    return out


def stitch(source: str, target: str, sheets: dict[str, tuple[int, int, Iterable[bytes]]],
           sum_hint: dict[str, int] | None = None) -> None:
    """Copy the xlsx at `source` to `target`, appending rows to the named worksheet parts.

    `sheets` maps a part ("xl/worksheets/sheet2.xml") to (last row, last column (0-based), an iterable of
    row XML to put after the rows already there). The part's <dimension> is set to the full range.
    `sum_hint` (part -> bytes to be appended, roughly) decides whether a part needs ZIP64, which is
    left out below ZIP64_FROM: some spreadsheet programs refuse it needlessly.
    """
    sum_hint = sum_hint or {}
    with zipfile.ZipFile(source) as src:
        missing = sorted(set(sheets) - set(src.namelist()))
        if missing:   # their rows would be lost without a word
            raise KeyError(f"{source}: no worksheet part {', '.join(missing)} to append rows to")
    with zipfile.ZipFile(source) as src, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as dst:
        for info in src.infolist():
            if info.filename not in sheets:
                with src.open(info) as fi, dst.open(info.filename, "w") as fo:
                    shutil.copyfileobj(fi, fo, 1 << 20)
                continue
            last_row, last_col, rows = sheets[info.filename]
            xml = src.read(info)
            cut = xml.rfind(b"</sheetData>")
            if cut < 0:
                raise ValueError(f"{info.filename}: no </sheetData> to append rows to")
            head, tail = xml[:cut], xml[cut:]
            ref = f"A1:{col_letters(last_col)}{max(last_row, 1)}".encode()
            head = _DIMENSION.sub(b'<dimension ref="' + ref + b'"/>', head, count=1)
            size = len(xml) + sum_hint.get(info.filename, 0)
            with dst.open(info.filename, "w", force_zip64=size > ZIP64_FROM) as fo:
                fo.write(head)
                for block in rows:
                    fo.write(block)
                fo.write(tail)
