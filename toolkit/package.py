"""Open an .xlsx/.xlsm workbook as an untrusted zip package.

This is the only module that knows how a workbook is laid out inside: the zip container, the
content types, the relationships, ``xl/workbook.xml`` and the worksheet XML. Everything else in the
toolkit asks a :class:`Package` for sheets, defined names, cell values and formula positions.

Every workbook is treated as hostile. :func:`open_package` reads the file once into memory and runs a
stdlib pre-flight before any XML is parsed; anything wrong with the input surfaces as
:class:`Unreadable` with a stable ``reason`` key, never as another exception type.

Why the pre-flight is this careful (measured on this project's machines):

* calamine (the fast value reader) has no defences of its own. On a huge member it allocates until
  the Rust allocator fails, and then it *aborts the interpreter* (SIGABRT; nothing can catch it).
  Two tiny inputs do the same, both checked on this machine with python-calamine 0.9.1:
  a single cell at ``XFD1048576`` (calamine allocates the dense rectangle from A1: 550 GB), and a
  shared-string table that declares ``uniqueCount="2000000000"`` (calamine reserves 48 GB up front).
  Hence the size/ratio caps on every member, the ``uniqueCount`` check, and the grid-extent scan of
  every worksheet before calamine is allowed to open the package.
* The zip central directory is attacker-controlled. Python's ``zipfile`` stops at the *declared*
  size, but other readers inflate until the deflate stream ends. So every member is inflated here
  with an output cap and must end exactly at its declared size with a matching CRC.
* DTDs have no place in an OOXML package (OPC forbids them), so any ``<!DOCTYPE``/``<!ENTITY`` in an
  XML part is rejected up front, before defusedxml or calamine sees it.
"""
from __future__ import annotations

import hashlib
import io
import os
import posixpath
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

import defusedxml.ElementTree as DefusedET
import python_calamine
from defusedxml.common import DefusedXmlException as DefusedXmlError

from .a1 import a1, col_index, col_letters, parse_a1

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_MEMBERS",
    "MAX_PART_UNCOMPRESSED",
    "MAX_TOTAL_UNCOMPRESSED",
    "MAX_RATIO",
    "RATIO_MIN_SIZE",
    "MAX_STRUCTURE_PART",
    "MAX_GRID_ROWS",
    "MAX_GRID_CELLS",
    "MAX_RANGE_CELLS",
    "REASONS",
    "Unreadable",
    "Sheet",
    "Package",
    "open_package",
    "resolve_ref",
    "parse_a1",
    "a1",
    "range_cells",
]

_MiB = 1024 * 1024

# ---------------------------------------------------------------------------------------------
# Limits. A filled report is ~20-40 KB on disk and ~70-150 KB uncompressed, members compress at
# about 4:1 (libraries.md, E). The caps below leave two orders of magnitude of headroom for real
# reports while keeping calamine's worst case (it holds the whole member plus a dense cell grid)
# far below the memory of a modest worker.
# ---------------------------------------------------------------------------------------------

# The file itself. A report with a logo is well under 1 MB; 25 MB is a safe "not a report" line.
MAX_FILE_BYTES = 25 * _MiB
# Zip members. A report has ~15-25 (8 sheets, rels, styles, strings, docProps); thousands of
# members only slow down central-directory parsing.
MAX_MEMBERS = 1000
# One member, uncompressed. A 150-row template sheet is ~50-100 KB and styles.xml ~10 KB; 16 MB is
# ~150x that. It also stops a million-row sheet (~45 MB of XML) before calamine reads it.
MAX_PART_UNCOMPRESSED = 16 * _MiB
# All members together, uncompressed.
MAX_TOTAL_UNCOMPRESSED = 64 * _MiB
# Compression ratio (uncompressed/compressed) allowed for members larger than RATIO_MIN_SIZE, and
# for the archive as a whole. Real XML compresses 4-10:1; the measured zip bombs were 258:1 and
# 1028:1. Small members are exempt because a tiny, very repetitive part can legitimately exceed it.
MAX_RATIO = 100
RATIO_MIN_SIZE = 1 * _MiB
# Parts parsed fully into a tree with defusedxml ([Content_Types].xml, *.rels, workbook.xml).
# A report's workbook.xml with ~60 defined names is ~10 KB.
MAX_STRUCTURE_PART = 4 * _MiB
# Extent of one worksheet's value grid, counted from A1 (calamine and values() materialise the full
# rectangle, so one stray far cell costs rows x columns). The template is ~160 rows x ~20 columns.
MAX_GRID_ROWS = 100_000
MAX_GRID_CELLS = 1_000_000
# range_cells() refuses to expand more cells than this (a defined name can cover a whole sheet).
MAX_RANGE_CELLS = 100_000

REASONS = frozenset(
    {
        "missing",
        "permission",
        "empty",
        "too-large",
        "far-cell",
        "not-zip",
        "encrypted",
        "legacy-xls",
        "xlsb",
        "ods",
        "not-spreadsheet",
        "corrupt",
        "zip-bomb",
        "xml-forbidden",
        "not-regular",
        "folder",
    }
)


class Unreadable(Exception):
    """The input is not a workbook this toolkit can read safely.

    ``reason`` is a stable key (one of :data:`REASONS`) for findings and messages; ``detail`` is a
    short English technical explanation for logs and the ``--verbose`` output.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown Unreadable reason {reason!r}")
        # args mirror the constructor so the exception pickles across worker processes.
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


@dataclass(frozen=True)
class Sheet:
    title: str
    part: str  # zip member name, e.g. "xl/worksheets/sheet2.xml"
    state: str  # "visible" | "hidden" | "veryHidden"
    index: int  # 0-based position in workbook.xml <sheets>


# Exceptions that malformed input can provoke in zipfile, zlib, struct, the XML parsers, calamine
# and our own parsing of attacker-controlled text. They are turned into Unreadable("corrupt") at
# the public boundary. RuntimeError covers RecursionError and NotImplementedError (zipfile);
# ValueError covers UnicodeError and defusedxml's errors. The exception type is kept in the detail
# so that a genuine bug in this module stays recognisable.
_INPUT_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    OverflowError,
    struct.error,
    ParseError,
    expat.ExpatError,
    RuntimeError,
    python_calamine.CalamineError,
)

# Namespaces. Transitional and ISO strict spellings are both accepted wherever they can appear.
_NS_MAIN = {
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
}
_NS_REL_ATTR = (
    "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id",
    "{http://purl.oclc.org/ooxml/officeDocument/relationships}id",
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"

# Byte patterns used on raw part bytes. Where possible they start with a literal ("<c", "<!"), which
# lets the regex engine jump between candidates instead of trying every "<" (3-8x faster on a sheet).
_DOCTYPE_RE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_UNIQUE_COUNT_RE = re.compile(rb"uniqueCount\s*=\s*[\"']\s*\+?([0-9]+)")
# Fast worksheet scan, valid for unprefixed SpreadsheetML (what Excel, LibreOffice, xlsxwriter and
# openpyxl write). A prefixed cell or formula tag ("<x:c", and quick-xml in calamine also takes
# "<:c") sends the sheet to the exact parser.
_PREFIXED_TAG_RE = re.compile(rb":(?:c|f)[\s/>]")
# Cell start tags spelled '<c r="B12"...>'. Groups: column letters, row digits, the rest of the tag
# (other attributes, and a final "/" for a self-closing, value-less cell), and a non-empty 4th group
# when the first child is <f> (CT_Cell puts f before v and is; shared-formula children
# <f t="shared" si="0"/> included).
_CELL_RE = re.compile(rb'<c r="([A-Za-z]{1,4})([0-9]{1,9})"([^>]*)>(\s*<f[\s/>])?')
# What the rest of a cell tag must look like for the fast path: attributes name="value" with double
# quotes and no quote, "<" or ">" inside a value, and no second r (quick-xml keeps the *last* r).
# Such a tag is split the same way by every XML reader, so the r captured above is the r calamine
# uses. A sheet has only a handful of distinct rests (' s="3"', ' s="1" t="s"', ...), so checking
# the distinct ones costs nothing.
_CELL_REST_RE = re.compile(rb'(?:\s+(?!r\s*=)[\w:.-]+="[^"<>]*")*\s*/?')
# Cell tags spelled any other way ("<c\tr=", "<c/>", ...) send the sheet to the exact parser.
_ODD_CELL_TAG_RE = re.compile(rb"<c[\t\n\r/>]")
_EXACT_REF_RE = re.compile(r"([A-Za-z]+)([0-9]+)")
_SHEET_PROTECTION_RE = re.compile(
    rb"sheetProtection(?=[\s/>])[^>]*?\ssheet\s*=\s*[\"']\s*(?:1|true)\s*[\"']"
)
_SHEET_PASSWORD_RE = re.compile(rb"sheetProtection(?=[\s/>])[^>]*?\s(?:password|hashValue)\s*=\s*[\"'][^\"']")

# Formula results calamine cannot tell apart ("" for an error and for no result): read from the XML.
_CELL_REF_ATTR_RE = re.compile(rb'\br\s*=\s*["\']\$?([A-Za-z]{1,3})\$?([0-9]{1,7})["\']')
_CELL_V_RE = re.compile(rb"<v>([^<]*)</v>")

# A formula cell's start tag (the <f> right after it); its result is then looked up up to the next </c>.
_FORMULA_CELL_RE = re.compile(rb"<c\s([^>]*)>\s*<f[\s/>]")
_CELL_TYPE_RE = re.compile(rb'\bt\s*=\s*["\']([^"\']*)["\']')


def _scan_results(data: bytes) -> tuple[dict[str, str], set[str]]:
    """(formula cells with an error result A1 -> error text, formula cells without a result) of one
    worksheet part."""
    errors: dict[str, str] = {}
    uncalculated: set[str] = set()
    for m in _FORMULA_CELL_RE.finditer(data):
        attrs = m.group(1)
        if attrs.endswith(b"/"):
            continue
        close = data.find(b"</c>", m.end())
        body = data[m.end():close if close >= 0 else len(data)]
        kind = _CELL_TYPE_RE.search(attrs)
        kind = kind.group(1) if kind else b"n"
        if kind in (b"str", b"s", b"inlineStr"):
            continue
        v = _CELL_V_RE.search(body)
        text = v.group(1).strip() if v else b""
        if kind == b"e" or not text:
            ref = _CELL_REF_ATTR_RE.search(attrs)
            if ref is None:
                continue
            a1_ = (ref.group(1) + ref.group(2)).decode("ascii").upper()
            if kind == b"e":
                errors[a1_] = text.decode("utf-8", "replace") or "#N/A"
            else:
                uncalculated.add(a1_)
    return errors, uncalculated


# ---------------------------------------------------------------------------------------------
# Defined names and ranges (pure, no I/O; cell references themselves are a1.py's)
# ---------------------------------------------------------------------------------------------

_REF_RE = re.compile(
    r"(?:'(?P<quoted>(?:[^']|'')+)'|(?P<plain>[\w.]+))"
    r"!(?P<a>\$?[A-Za-z]{1,3}\$?[0-9]{1,7})(?::(?P<b>\$?[A-Za-z]{1,3}\$?[0-9]{1,7}))?"
)
# Characters Excel never allows in a sheet title; seeing one means an external or 3-D reference.
_BAD_TITLE_CHARS = set("[]:*?/\\")


def range_cells(ref: str) -> list[str]:
    """'B6:B8' -> ['B6', 'B7', 'B8']; 'B3' -> ['B3']; 2-D ranges row by row.

    Raises ValueError for a malformed reference or one covering more than MAX_RANGE_CELLS cells
    (the reference usually comes from a defined name in an untrusted workbook).
    """
    first, sep, last = ref.partition(":")
    r1, c1 = parse_a1(first)
    r2, c2 = parse_a1(last) if sep else (r1, c1)
    r1, r2 = min(r1, r2), max(r1, r2)
    c1, c2 = min(c1, c2), max(c1, c2)
    count = (r2 - r1 + 1) * (c2 - c1 + 1)
    if count > MAX_RANGE_CELLS:
        raise ValueError(f"range {ref!r} covers {count} cells (limit {MAX_RANGE_CELLS})")
    cols = [col_letters(c) for c in range(c1, c2 + 1)]
    return [f"{col}{row + 1}" for row in range(r1, r2 + 1) for col in cols]


def resolve_ref(formula: str) -> tuple[str, str] | None:
    """A defined name's stored formula -> (sheet title, 'B6:B155' or 'B3'), else None.

    Only a single area on one sheet of this workbook is accepted: #REF!, functions, unions,
    whole rows/columns, 3-D and external references ([1]Sheet!A1) all give None, and so does an
    area of more than MAX_RANGE_CELLS cells (so range_cells() of the result cannot blow up).
    """
    if not isinstance(formula, str):
        return None
    m = _REF_RE.fullmatch(formula.strip())
    if not m:
        return None
    title = m.group("plain") or m.group("quoted").replace("''", "'")
    if not title or any(ch in _BAD_TITLE_CHARS for ch in title):
        return None
    try:
        parts = [m.group("a")] + ([m.group("b")] if m.group("b") else [])
        corners = [parse_a1(p) for p in parts]
    except ValueError:
        return None
    (r1, c1), (r2, c2) = corners[0], corners[-1]
    if (abs(r2 - r1) + 1) * (abs(c2 - c1) + 1) > MAX_RANGE_CELLS:
        return None  # no name of ours covers that much; callers fall back to the form's layout
    return title, ":".join(a1(r, c) for r, c in corners)


# ---------------------------------------------------------------------------------------------
# Package
# ---------------------------------------------------------------------------------------------


@dataclass
class Package:
    """An opened, pre-flighted workbook. Create it with :func:`open_package`."""

    path: Path
    sha256: str
    size: int
    kind: str  # "xlsx" | "xlsm", from the main part's content type
    has_macros: bool
    has_external_links: bool
    sheets: list[Sheet]
    names: dict[str, str]
    workbook_protected: bool

    _data: bytes | None = field(default=None, repr=False, compare=False)
    _infos: dict[str, zipfile.ZipInfo] = field(default_factory=dict, repr=False, compare=False)
    _lookup: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _parts: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    _sheet_like: list[str] = field(default_factory=list, repr=False, compare=False)
    _worksheet_titles: set[str] = field(default_factory=set, repr=False, compare=False)
    _scans: dict[str, tuple[int, int, set[str]]] = field(default_factory=dict, repr=False, compare=False)
    _values: dict[str, list[list]] = field(default_factory=dict, repr=False, compare=False)
    _protected: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)
    _formula_results: dict[str, tuple] = field(default_factory=dict, repr=False, compare=False)
    _grid_checked: bool = field(default=False, repr=False, compare=False)
    _calamine: Any = field(default=None, repr=False, compare=False)
    _calamine_defused: bool = field(default=False, repr=False, compare=False)
    _closed: bool = field(default=False, repr=False, compare=False)

    # -- lookup ------------------------------------------------------------------------------

    def sheet(self, title: str) -> Sheet | None:
        """The sheet with this title (exact match first, then Excel's case-insensitive match)."""
        for s in self.sheets:
            if s.title == title:
                return s
        folded = title.casefold()
        for s in self.sheets:
            if s.title.casefold() == folded:
                return s
        return None

    def _require(self, title: str) -> Sheet:
        if self._closed:
            raise ValueError("package is closed")
        s = self.sheet(title)
        if s is None:
            raise KeyError(f"no sheet titled {title!r} in {self.path.name}")
        return s

    # -- cell data ---------------------------------------------------------------------------

    def values(self, title: str) -> list[list]:
        """Cached cell values of a sheet as a grid from A1 (row 0 = sheet row 1); [] if empty.

        Values are calamine's cached results: numbers from xlsx are floats, empty cells are ''.
        Raises KeyError for an unknown title, Unreadable for anything wrong in the file. The first
        call vets the extent of *every* worksheet part before calamine is opened, so one sheet
        with a far-away cell makes values() refuse all sheets ("far-cell").
        """
        s = self._require(title)
        if s.title in self._values:
            return self._values[s.title]
        if s.title not in self._worksheet_titles:
            grid: list[list] = []  # chart sheets and dialog sheets hold no cells
        else:
            grid = _guarded(self._read_values, s)
        self._values[s.title] = grid
        return grid

    def _read_values(self, s: Sheet) -> list[list]:
        if not self._grid_checked:
            # calamine resolves sheet paths by its own rules, so vet every member that could
            # be read as a worksheet, not only the one this title maps to.
            titles = {sheet.part: sheet.title for sheet in self.sheets}
            for name in self._sheet_like:
                rows, cols, _ = self._scan(name)
                _check_grid(name, rows, cols, titles.get(name))
            self._grid_checked = True
        workbook = self._open_calamine()
        try:
            return _call_calamine(
                lambda: workbook.get_sheet_by_name(s.title).to_python(skip_empty_area=False)
            )
        except Unreadable:
            if self._calamine_defused:
                raise
            # A number far outside Excel's date range in a date/time-formatted cell (e.g. -1E+16
            # typed into a date) makes calamine fail on the whole sheet: a Rust panic or an
            # OverflowError when it builds the datetime. Read once more with such numbers as text,
            # so that cell becomes a type error of its field instead of the file being "corrupt".
            data = self._defused_data()
            if data is None:
                raise
            self._calamine_defused = True
            self._calamine.close()
            workbook = self._calamine = _call_calamine(
                lambda: python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            )
            return _call_calamine(
                lambda: workbook.get_sheet_by_name(s.title).to_python(skip_empty_area=False)
            )

    def _defused_data(self) -> bytes | None:
        """The package with every huge number cell (|x| >= HUGE_NUMBER) of every worksheet turned
        into a text cell; None when there is none. Members were vetted by the pre-flight."""
        patched = {}
        for name in self._sheet_like:
            data = self._part_bytes(name)
            new = _HUGE_NUMBER_CELL_RE.sub(_number_cell_as_text, data)
            if new != data:
                patched[name] = new
        if not patched:
            return None
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
            for name in self._infos:
                zout.writestr(name, patched.get(name) or self._part_bytes(name))
        return out.getvalue()

    def _open_calamine(self) -> Any:
        if self._calamine is None:
            data = self._data
            self._calamine = _call_calamine(
                lambda: python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            )
        return self._calamine

    def formula_cells(self, title: str) -> set[str]:
        """A1 references of the cells holding a formula (<f>, shared-formula children included).

        Found by a byte-level scan of the sheet XML. The returned set is cached: do not mutate it.
        """
        s = self._require(title)
        if s.title not in self._worksheet_titles:
            return set()
        return _guarded(self._scan, s.part)[2]

    def error_cells(self, title: str) -> dict[str, str]:
        """A1 -> cached error text ("#NUM!", "#VALUE!", ...) of the sheet's error cells (t="e")."""
        return self._results(title)[0]

    def uncalculated_cells(self, title: str) -> set[str]:
        """A1 of the formula cells that carry no result at all (no <v>, or an empty one that is not a
        text result): written by a tool that does not calculate (openpyxl); a spreadsheet computes them
        when it opens the file."""
        return self._results(title)[1]

    def _results(self, title: str) -> tuple[dict[str, str], set[str]]:
        s = self._require(title)
        if s.title not in self._worksheet_titles:
            return {}, set()
        found = self._formula_results.get(s.title)
        if found is None:
            found = self._formula_results[s.title] = _guarded(_scan_results, self._part_bytes(s.part))
        return found

    def sheet_protected(self, title: str) -> bool:
        """True when the sheet part has <sheetProtection sheet="1"> (or "true")."""
        s = self._require(title)
        if s.title not in self._protected:
            data = _guarded(self._part_bytes, s.part)
            self._protected[s.title] = _SHEET_PROTECTION_RE.search(data) is not None
        return self._protected[s.title]

    @property
    def data(self) -> bytes:
        """The file's bytes as read once and vetted (what every later step must use, never the path)."""
        if self._data is None:
            raise ValueError("package is closed")
        return self._data

    def sheet_has_password(self, title: str) -> bool:
        """True when the sheet's protection carries a password (legacy hash or hashValue): Gnumeric keeps
        the protection but drops the password, so one click lifts it."""
        s = self._require(title)
        return _SHEET_PASSWORD_RE.search(_guarded(self._part_bytes, s.part)) is not None

    def read_part(self, name: str) -> bytes:
        """Bytes of one zip member (name as in the zip; '/'-leading or case variants accepted).

        Raises KeyError if the member does not exist; sizes were capped by the pre-flight.
        """
        if self._closed:
            raise ValueError("package is closed")
        member = _find_member(self._lookup, self._infos, name)
        if member is None:
            raise KeyError(f"no member {name!r} in {self.path.name}")
        return _guarded(self._part_bytes, member)

    # -- internals ---------------------------------------------------------------------------

    def _part_bytes(self, member: str) -> bytes:
        cached = self._parts.get(member)
        if cached is not None:
            return cached
        assert self._data is not None
        return _inflate(self._data, self._infos[member], MAX_PART_UNCOMPRESSED)

    def _scan(self, member: str) -> tuple[int, int, set[str]]:
        if member not in self._scans:
            self._scans[member] = _scan_cells(member, self._part_bytes(member))
        return self._scans[member]

    # -- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        if self._calamine is not None:
            try:
                self._calamine.close()
            except Exception:  # noqa: BLE001 - closing must never fail the caller
                pass
            self._calamine = None
        self._data = None
        self._parts = {}
        self._closed = True

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# Numbers whose magnitude can crash calamine's date/duration conversion (Python's timedelta stops at
# 999 999 999 days, chrono's at ~1.07E+11 days). Only used to retry a sheet calamine failed on.
HUGE_NUMBER = 1e9
_HUGE_NUMBER_CELL_RE = re.compile(
    rb"<((?:[^\s/<>:]*:)?)c(\s[^>]*)?>(\s*<(?:[^\s/<>:]*:)?v>\s*)([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)(\s*</)"
)
_TYPE_ATTR_RE = re.compile(rb"\st\s*=\s*[\"']([^\"']*)[\"']")


def _number_cell_as_text(m: re.Match) -> bytes:
    attrs = m.group(2) or b""
    kind = _TYPE_ATTR_RE.search(attrs)
    if attrs.endswith(b"/") or (kind and kind.group(1) != b"n"):
        return m.group(0)
    try:
        if abs(float(m.group(4))) < HUGE_NUMBER:
            return m.group(0)
    except ValueError:
        return m.group(0)
    attrs = _TYPE_ATTR_RE.sub(b"", attrs)
    return b"<" + m.group(1) + b"c" + attrs + b' t="str">' + m.group(3) + m.group(4) + m.group(5)


def _guarded(fn, *args):
    """Run fn, converting any input-provoked error into Unreadable."""
    try:
        return fn(*args)
    except (Unreadable, KeyboardInterrupt, SystemExit):
        raise
    except MemoryError as exc:
        raise Unreadable("too-large", "out of memory while reading the workbook") from exc
    except RecursionError as exc:
        raise Unreadable("corrupt", "XML nested too deeply") from exc
    except DefusedXmlError as exc:   # before _INPUT_ERRORS: it is a ValueError
        raise Unreadable("xml-forbidden", f"{type(exc).__name__}: {_short(exc)}") from exc
    except _INPUT_ERRORS as exc:
        raise Unreadable("corrupt", f"{type(exc).__name__}: {_short(exc)}") from exc


def _call_calamine(fn):
    """Call into calamine; its errors (and Rust panics, which are BaseExceptions) -> Unreadable."""
    try:
        return fn()
    except (KeyboardInterrupt, SystemExit):
        raise
    except python_calamine.PasswordError as exc:
        raise Unreadable("encrypted", f"calamine: {_short(exc)}") from exc
    except MemoryError as exc:
        raise Unreadable("too-large", "out of memory while reading cell values") from exc
    except BaseException as exc:  # noqa: BLE001 - pyo3 PanicException derives from BaseException
        raise Unreadable("corrupt", f"calamine {type(exc).__name__}: {_short(exc)}") from exc


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _mb(n: int) -> str:
    return f"{n / _MiB:.1f} MB" if n >= _MiB else f"{n / 1024:.0f} KB"


# ---------------------------------------------------------------------------------------------
# open_package and the pre-flight
# ---------------------------------------------------------------------------------------------


class VettedZip:
    """A zip package from bytes, read the pre-flight's way: the central directory checked (member count,
    names, sizes, ratios, encryption, methods) and every member inflated from the raw bytes with an
    output cap, its exact declared size and its CRC. esep's one reader of untrusted zips besides
    Package (zipsheet builds the checked copy through it). Raises Unreadable."""

    def __init__(self, data: bytes) -> None:
        _check_magic(data)
        zf = _open_zip(data)
        try:
            self.names, _ = _guarded(_check_members, zf)   # member name -> ZipInfo, in the zip's order
        finally:
            zf.close()
        self.data = data

    @property
    def infos(self) -> list[zipfile.ZipInfo]:
        return list(self.names.values())

    def read(self, member: str) -> bytes:
        return _guarded(_inflate, self.data, self.names[member], MAX_PART_UNCOMPRESSED)


def open_package(path: str | os.PathLike) -> Package:
    """Read and vet a workbook; raises Unreadable for anything that is not a safe .xlsx/.xlsm."""
    path = Path(path)
    data = _read_file(path)
    digest = hashlib.sha256(data).hexdigest()
    _check_magic(data)
    zf = None
    try:
        zf = _open_zip(data)
        return _guarded(_build, path, data, digest, zf)
    finally:
        if zf is not None:
            zf.close()  # only the central directory is needed; data is inflated from `data`


def _read_file(path: Path) -> bytes:
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise Unreadable("folder", "a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            # Never read FIFOs, devices or sockets: a read would block or never end.
            raise Unreadable("not-regular", not_regular_kind(st.st_mode))
        if st.st_size == 0:
            raise Unreadable("empty", "file is 0 bytes")
        if st.st_size > MAX_FILE_BYTES:
            raise Unreadable("too-large", f"file is {_mb(st.st_size)} (limit {_mb(MAX_FILE_BYTES)})")
        with open_regular(path) as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # bounded even if the file grows meanwhile
    except NotRegularFile as exc:
        raise Unreadable("not-regular", str(exc)) from exc
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise Unreadable("missing", "no such file") from exc
    except PermissionError as exc:
        raise Unreadable("permission", "permission denied") from exc
    except IsADirectoryError as exc:
        raise Unreadable("folder", "a folder, not a file") from exc
    except OSError as exc:
        raise Unreadable("missing", f"cannot read the file: {exc.strerror or exc}") from exc
    if not data:
        raise Unreadable("empty", "file is 0 bytes")
    if len(data) > MAX_FILE_BYTES:
        raise Unreadable("too-large", f"file is over {_mb(MAX_FILE_BYTES)}")
    return data


class NotRegularFile(OSError):
    """A path that is a FIFO, device or socket (or became one after it was looked at)."""


def not_regular_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


def open_regular(path):
    """Open `path` for binary reading only if it is a regular file, never blocking on a FIFO or device:
    the open is non-blocking and the type is checked on the open descriptor (the path may have been
    swapped since it was looked at). Raises NotRegularFile otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(not_regular_kind(mode))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check_magic(data: bytes) -> None:
    if data[:4] == _ZIP_MAGIC:
        return
    if data[:8] == _OLE_MAGIC:
        # An OLE compound file: either an encrypted OOXML package (Office wraps the encrypted zip
        # in an "EncryptedPackage" stream) or a legacy BIFF .xls ("Workbook"/"Book" stream).
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise Unreadable("encrypted", "password-protected workbook (OLE EncryptedPackage)")
        has_wb = "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data
        detail = "legacy Excel 97-2003 workbook (OLE" + (" Workbook stream)" if has_wb else " file)")
        raise Unreadable("legacy-xls", detail)
    raise Unreadable("not-spreadsheet", f"not a zip package (starts with {data[:8]!r})")


def _open_zip(data: bytes) -> zipfile.ZipFile:
    # Count entries from the end-of-central-directory record before zipfile parses them all:
    # a 25 MB file can hold ~300,000 tiny directory entries.
    eocd = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if eocd >= 0 and eocd + 22 <= len(data):
        (entries,) = struct.unpack_from("<H", data, eocd + 10)
        if entries != 0xFFFF and entries > MAX_MEMBERS:
            raise Unreadable("zip-bomb", f"{entries} zip members (limit {MAX_MEMBERS})")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
            struct.error, IndexError) as exc:
        raise Unreadable("corrupt", f"broken zip container: {_short(exc)}") from exc


def _norm_path(name: str) -> str:
    return name.replace("\\", "/").lstrip("/")


def _norm_key(name: str) -> str:
    return _norm_path(name).lower()


def _find_member(lookup: dict[str, str], infos: dict[str, Any], name: str) -> str | None:
    if name in infos:
        return name
    return lookup.get(_norm_key(name))


def _check_members(zf: zipfile.ZipFile) -> tuple[dict[str, zipfile.ZipInfo], dict[str, str]]:
    """Header-level checks on the central directory. Returns (exact-name map, normalised map)."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise Unreadable("zip-bomb", f"{len(infos)} zip members (limit {MAX_MEMBERS})")
    exact: dict[str, zipfile.ZipInfo] = {}
    lookup: dict[str, str] = {}
    total = total_compressed = 0
    for info in infos:
        name = info.filename
        key = _norm_key(name)
        if ".." in key.split("/"):
            raise Unreadable("corrupt", f"unsafe member name {name!r}")
        if name in exact or key in lookup:
            # Two members that differ only in case or slashes: different readers would pick
            # different ones, so what we vet might not be what gets read.
            raise Unreadable("corrupt", f"duplicate member name {name!r}")
        exact[name] = info
        lookup[key] = name
        if info.flag_bits & 0x1:
            raise Unreadable("encrypted", f"member {name} is encrypted (zip encryption)")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Unreadable("corrupt", f"member {name} uses compression method {info.compress_type}")
        size, csize = info.file_size, info.compress_size
        if size > RATIO_MIN_SIZE and size > MAX_RATIO * max(csize, 1):
            raise Unreadable(
                "zip-bomb", f"member {name} expands {_mb(size)} at {size // max(csize, 1)}:1"
            )
        if size > MAX_PART_UNCOMPRESSED:
            raise Unreadable(
                "zip-bomb", f"member {name} expands to {_mb(size)} (limit {_mb(MAX_PART_UNCOMPRESSED)})"
            )
        total += size
        total_compressed += csize
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise Unreadable(
            "zip-bomb", f"members expand to {_mb(total)} in total (limit {_mb(MAX_TOTAL_UNCOMPRESSED)})"
        )
    if total > RATIO_MIN_SIZE and total > MAX_RATIO * max(total_compressed, 1):
        raise Unreadable("zip-bomb", f"archive expands {_mb(total)} at {total // max(total_compressed, 1)}:1")
    return exact, lookup


def _inflate(data: bytes, info: zipfile.ZipInfo, limit: int) -> bytes:
    """The member's bytes, inflated from the raw file with an output cap.

    Stricter than zipfile: the deflate stream must end exactly at the declared size (zipfile
    silently truncates, other readers keep inflating), and the CRC must match.
    """
    name = info.filename
    if info.file_size > limit:
        raise Unreadable("zip-bomb", f"member {name} expands to {_mb(info.file_size)} (limit {_mb(limit)})")
    off = info.header_offset
    if data[off:off + 4] != _ZIP_MAGIC:
        raise Unreadable("corrupt", f"member {name}: bad local header")
    name_len, extra_len = struct.unpack_from("<HH", data, off + 26)
    start = off + 30 + name_len + extra_len
    end = start + info.compress_size
    if end > len(data):
        raise Unreadable("corrupt", f"member {name} runs past the end of the file")
    raw = memoryview(data)[start:end]
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise Unreadable("corrupt", f"member {name}: stored size mismatch")
        out = bytes(raw)
    else:
        inflater = zlib.decompressobj(-15)
        try:
            # Inflate at most limit + 1 bytes whatever the header says, so a lying header costs
            # no more memory than an honest big member.
            out = inflater.decompress(raw, limit + 1)
        except zlib.error as exc:
            raise Unreadable("corrupt", f"member {name}: {exc}") from exc
        if len(out) > limit:
            raise Unreadable(
                "zip-bomb", f"member {name} inflates beyond {_mb(limit)} but declares {info.file_size} bytes"
            )
        if not inflater.eof or len(out) != info.file_size:
            # Damaged data (seen in real files), not an attack: the size is still within limits.
            raise Unreadable(
                "corrupt", f"member {name} inflates to {len(out)} bytes, declares {info.file_size}"
            )
    if zlib.crc32(out) != info.CRC:
        raise Unreadable("corrupt", f"member {name}: CRC mismatch")
    return out


def _looks_xml(name: str, data: bytes) -> bool:
    if name.lower().endswith((".xml", ".rels", ".vml")):
        return True
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def _vet_members(data: bytes, infos: dict[str, zipfile.ZipInfo]) -> tuple[dict[str, bytes], list[str]]:
    """Inflate every member once (CRC, exact size) and vet anything an XML reader might parse.

    Returns the bytes of the XML-like members (kept for later parsing) and the names of the members
    that contain worksheet data ("sheetData"), whatever their names.
    """
    parts: dict[str, bytes] = {}
    sheet_like: list[str] = []
    for name, info in infos.items():
        if info.is_dir():
            continue
        out = _inflate(data, info, MAX_PART_UNCOMPRESSED)
        has_cells = b"sheetData" in out
        has_sst = b"uniqueCount" in out
        if not (has_cells or has_sst or _looks_xml(name, out)):
            continue  # images, vbaProject.bin, printer settings: never parsed by anyone here
        if b"<!" in out and _DOCTYPE_RE.search(out):  # "<!" alone is rare: comments, CDATA
            raise Unreadable("xml-forbidden", f"member {name} declares a DTD or entities")
        if has_sst:
            _check_unique_count(name, out)
        if has_cells:
            sheet_like.append(name)
        parts[name] = out
    return parts, sheet_like


def _check_unique_count(name: str, data: bytes) -> None:
    # calamine reserves memory for uniqueCount strings before reading one; every <si/> needs at
    # least 5 bytes, so an honest count can never exceed len(data) // 5.
    for m in _UNIQUE_COUNT_RE.finditer(data):
        digits = m.group(1).lstrip(b"0")
        if len(digits) > 12 or int(digits or b"0") > len(data) // 5 + 1:
            raise Unreadable(
                "corrupt",
                f"member {name} declares {digits[:20].decode()} shared strings in {len(data)} bytes",
            )


# The structure parts are parsed with the C ElementTree parser (no Python callbacks: half the time of
# defusedxml's pure-Python parser) only when defusedxml could not refuse anything more: the part is plain
# UTF-8 (no NUL byte, no other declared encoding, starts with "<"), so the byte check of _vet_members,
# which every part passed, has already refused any DTD or entity declaration in it; and the expat in use
# limits entity amplification itself (2.4.1 and later). Anything else goes through defusedxml.
_EXPAT_LIMITS_ENTITIES = expat.version_info >= (2, 4, 1)
_XML_START_RE = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*<")
_XML_ENCODING_RE = re.compile(rb"\A(?:\xef\xbb\xbf)?[ \t\r\n]*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)")


def _plain_utf8_xml(data: bytes) -> bool:
    if not _EXPAT_LIMITS_ENTITIES or b"\x00" in data or not _XML_START_RE.match(data):
        return False
    declared = _XML_ENCODING_RE.match(data)
    return declared is None or declared.group(1).strip().lower() in (b"utf-8", b"utf8")


def _parse_xml(name: str, data: bytes):
    if len(data) > MAX_STRUCTURE_PART:
        raise Unreadable("too-large", f"member {name} is {_mb(len(data))} (limit {_mb(MAX_STRUCTURE_PART)})")
    try:
        if _plain_utf8_xml(data):
            if b"<!" in data and _DOCTYPE_RE.search(data):  # vetted already; cheap to be sure
                raise Unreadable("xml-forbidden", f"member {name} declares a DTD or entities")
            return ElementTree.fromstring(data)
        return DefusedET.fromstring(data, forbid_dtd=True)
    except DefusedXmlError as exc:
        raise Unreadable("xml-forbidden", f"member {name}: {type(exc).__name__}") from exc
    except ParseError as exc:
        raise Unreadable("corrupt", f"member {name} is not well-formed XML: {exc}") from exc


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _ns(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def _resolve_target(base_dir: str, target: str) -> str | None:
    """A relationship target -> zip member path (relative, absolute and backslash forms)."""
    t = target.strip().replace("\\", "/")
    if not t or "://" in t:
        return None
    path = t.lstrip("/") if t.startswith("/") else posixpath.join(base_dir, t)
    path = posixpath.normpath(path)
    if path in (".", "..") or path.startswith("../"):
        return None
    return path


def _rels_of(part: str) -> str:
    folder, _, file = part.rpartition("/")
    return f"{folder}/_rels/{file}.rels" if folder else f"_rels/{file}.rels"


def _relationships(
    parts: dict[str, bytes], lookup: dict[str, str], infos: dict, rels_name: str, base_dir: str
) -> dict[str, tuple[str, str | None, bool]]:
    """{Id: (type, resolved target or None, external)} of one .rels part ({} if absent)."""
    member = _find_member(lookup, infos, rels_name)
    if member is None or member not in parts:
        return {}
    root = _parse_xml(member, parts[member])
    rels = {}
    for el in root.iter():
        if _local(el.tag) != "Relationship":
            continue
        rid = el.get("Id")
        if not rid or rid in rels:
            continue
        external = (el.get("TargetMode") or "").lower() == "external"
        target = None if external else _resolve_target(base_dir, el.get("Target") or "")
        rels[rid] = (el.get("Type") or "", target, external)
    return rels


def _content_types(parts: dict[str, bytes], lookup: dict[str, str], infos: dict):
    member = _find_member(lookup, infos, "[Content_Types].xml")
    if member is None or member not in parts:
        return None
    root = _parse_xml(member, parts[member])
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for el in root:
        kind = _local(el.tag)
        ctype = (el.get("ContentType") or "").strip()
        if kind == "Default" and el.get("Extension"):
            defaults.setdefault(el.get("Extension").lower(), ctype)
        elif kind == "Override" and el.get("PartName"):
            overrides.setdefault(_norm_key(el.get("PartName")), ctype)
    return defaults, overrides


def _content_type_of(types, member: str) -> str | None:
    if types is None:
        return None
    defaults, overrides = types
    key = _norm_key(member)
    if key in overrides:
        return overrides[key]
    return defaults.get(key.rpartition(".")[2]) if "." in key else None


def _build(path: Path, data: bytes, digest: str, zf: zipfile.ZipFile) -> Package:
    infos, lookup = _check_members(zf)

    # Other formats that are also zips, recognised before anything is inflated in earnest.
    mimetype = _find_member(lookup, infos, "mimetype")
    if mimetype is not None and infos[mimetype].file_size <= 4096:
        if b"opendocument" in _inflate(data, infos[mimetype], 4096):
            raise Unreadable("ods", "OpenDocument spreadsheet (.ods)")
    if _find_member(lookup, infos, "content.xml") and _find_member(lookup, infos, "META-INF/manifest.xml"):
        raise Unreadable("ods", "OpenDocument package (content.xml + manifest)")
    if _find_member(lookup, infos, "xl/workbook.bin") is not None:
        raise Unreadable("xlsb", "Excel binary workbook (.xlsb)")

    parts, sheet_like = _vet_members(data, infos)
    types = _content_types(parts, lookup, infos)

    # The main part: whatever _rels/.rels names as officeDocument, else the standard path.
    main = None
    for rtype, target, external in _relationships(parts, lookup, infos, "_rels/.rels", "").values():
        if rtype.endswith("/officeDocument") and target and not external:
            main = _find_member(lookup, infos, target)
            if main is not None:
                break
    if main is None:
        main = _find_member(lookup, infos, "xl/workbook.xml")
    if main is None:
        raise Unreadable("not-spreadsheet", "zip archive without a workbook part")
    ctype = (_content_type_of(types, main) or "").lower()
    if "binary" in ctype or main.lower().endswith(".bin"):
        raise Unreadable("xlsb", "Excel binary workbook (.xlsb)")
    if types is None:
        raise Unreadable("corrupt", "[Content_Types].xml is missing")
    if ctype and not ("spreadsheetml" in ctype or "ms-excel" in ctype):
        raise Unreadable("not-spreadsheet", f"main part is {ctype}")
    if main not in parts:
        raise Unreadable("not-spreadsheet", f"main part {main} is not XML")
    kind = "xlsm" if "macroenabled" in ctype else "xlsx"

    root = _parse_xml(main, parts[main])
    if _local(root.tag) != "workbook" or _ns(root.tag) not in _NS_MAIN | {""}:
        raise Unreadable("not-spreadsheet", f"main part {main} is not a SpreadsheetML workbook")
    main_path = _norm_path(main)  # some writers store "xl\\workbook.xml"
    rels = _relationships(parts, lookup, infos, _rels_of(main_path), main_path.rpartition("/")[0])

    sheets: list[Sheet] = []
    worksheet_titles: set[str] = set()
    seen: set[str] = set()
    names: dict[str, str] = {}
    workbook_protected = False
    for el in root:
        local = _local(el.tag)
        if local == "sheets":
            for sh in el:
                if _local(sh.tag) != "sheet":
                    continue
                sheet, is_worksheet = _sheet_entry(sh, len(sheets), rels, lookup, infos)
                if sheet.title.casefold() in seen:
                    raise Unreadable("corrupt", f"two sheets titled {sheet.title!r}")
                seen.add(sheet.title.casefold())
                sheets.append(sheet)
                if is_worksheet:
                    worksheet_titles.add(sheet.title)
        elif local == "definedNames":
            for dn in el:
                name = dn.get("name")
                if _local(dn.tag) != "definedName" or not name:
                    continue
                if dn.get("localSheetId") is not None or name.lower().startswith("_xlnm."):
                    continue  # sheet-scoped names and Excel's built-ins (print areas etc.)
                names.setdefault(name, dn.text or "")
        elif local == "workbookProtection":
            workbook_protected = (el.get("lockStructure") or "").strip().lower() in ("1", "true")

    # Members that worksheet scans/protection checks need, even if not named *.xml.
    for s in sheets:
        if s.part not in parts:
            parts[s.part] = _inflate(data, infos[s.part], MAX_PART_UNCOMPRESSED)

    keys = list(lookup)
    ctypes = [c.lower() for c in (types[1].values() if types else ())]
    has_macros = (
        kind == "xlsm"
        or any(k.endswith("vbaproject.bin") or k.startswith("xl/macrosheets/") for k in keys)
        or any("vbaproject" in c or "macrosheet" in c for c in ctypes)
        or any(t.endswith(("/vbaProject", "/xlMacrosheet", "/xlIntlMacrosheet")) for t, _, _ in rels.values())
    )
    has_external_links = any(k.startswith("xl/externallinks/") for k in keys) or any(
        t.endswith("/externalLink") for t, _, _ in rels.values()
    )
    return Package(
        path=path,
        sha256=digest,
        size=len(data),
        kind=kind,
        has_macros=has_macros,
        has_external_links=has_external_links,
        sheets=sheets,
        names=names,
        workbook_protected=workbook_protected,
        _data=data,
        _infos=infos,
        _lookup=lookup,
        _parts=parts,
        _sheet_like=sheet_like,
        _worksheet_titles=worksheet_titles,
    )


def _sheet_entry(el, index: int, rels: dict, lookup: dict[str, str], infos: dict) -> tuple[Sheet, bool]:
    title = el.get("name") or ""
    if not title.strip():
        raise Unreadable("corrupt", f"sheet #{index + 1} has no name")
    state = el.get("state") or "visible"
    if state not in ("visible", "hidden", "veryHidden"):
        raise Unreadable("corrupt", f"sheet {title!r} has unknown state {state!r}")
    rid = next((el.get(k) for k in _NS_REL_ATTR if el.get(k) is not None), None)
    if rid is None:  # a relationship id under some other namespace spelling
        rid = next((v for k, v in el.attrib.items() if k.startswith("{") and k.endswith("}id")), None)
    rel = rels.get(rid) if rid else None
    if rel is None or rel[1] is None:
        raise Unreadable("corrupt", f"sheet {title!r} has no relationship to a part")
    member = _find_member(lookup, infos, rel[1])
    if member is None:
        raise Unreadable("corrupt", f"sheet {title!r} points to missing part {rel[1]}")
    return Sheet(title=title, part=member, state=state, index=index), rel[0].endswith("/worksheet")


# ---------------------------------------------------------------------------------------------
# Worksheet scanning
# ---------------------------------------------------------------------------------------------


def _grid_too_large(rows: int, cols: int) -> bool:
    return rows > MAX_GRID_ROWS or rows * cols > MAX_GRID_CELLS


def _check_grid(member: str, rows: int, cols: int, title: str | None = None) -> None:
    # Usually one stray value typed far below or right of the form (a small file), so the finding says
    # where the values reach and what to do, not that the file is too large.
    if _grid_too_large(rows, cols):
        where = f"sheet {title!r}" if title else member
        raise Unreadable(
            "far-cell",
            f"{where}: values reach row {rows} and column {col_letters(cols - 1) if cols else '-'} "
            f"(limits {MAX_GRID_ROWS} rows, {MAX_GRID_CELLS} cells from A1)",
        )


def _scan_cells(member: str, data: bytes) -> tuple[int, int, set[str]]:
    """(rows, columns, formula cell refs) of one worksheet part; rows x columns is the extent from A1
    of the cells that can hold a value (formatting-only <c .../> cells are left out when it matters:
    value readers skip them, and a styled but blank XFD1048576 is common and harmless).

    Fast path: three regex passes and some set arithmetic, valid when every cell tag has the
    canonical spelling that Excel, LibreOffice, xlsxwriter and openpyxl write (see _CELL_RE and
    _CELL_REST_RE). Anything else goes to the exact parser, so the extent is never a guess.
    """
    if _PREFIXED_TAG_RE.search(data) or _ODD_CELL_TAG_RE.search(data):
        return _scan_cells_exact(member, data)
    tags = data.count(b"<c ")
    if not tags:
        return 0, 0, set()
    matches = _CELL_RE.findall(data)
    if len(matches) != tags:
        return _scan_cells_exact(member, data)
    # Distinct values through map/itemgetter: C loops over the ~2 500 cells of the indicator sheet.
    if not all(_CELL_REST_RE.fullmatch(rest) for rest in set(map(_THIRD, matches))):
        return _scan_cells_exact(member, data)
    max_row, max_col = _extent(set(map(_FIRST, matches)), set(map(_SECOND, matches)))
    if _grid_too_large(max_row, max_col):
        # Measure again without the self-closing (value-less) cells.
        valued = [(lt, dg) for lt, dg, rest, _ in matches if not rest.endswith(b"/")]
        max_row, max_col = _extent(*zip(*valued)) if valued else (0, 0)
    formulas = {(lt + dg).decode("ascii").upper() for lt, dg, _, _ in compress(matches, map(_FOURTH, matches))}
    return max_row, max_col, formulas


_FIRST, _SECOND, _THIRD, _FOURTH = (itemgetter(k) for k in range(4))


def _extent(letters, digits) -> tuple[int, int]:
    max_col = max(col_index(x.decode("ascii")) + 1 for x in set(letters))
    rows = {int(x) for x in set(digits)}
    if 0 in rows:
        raise Unreadable("corrupt", "a cell reference has row 0")
    return max(rows), max_col


def _checked_col(member: str, letters: str) -> int:
    # Long letter runs would overflow a reader's 32-bit column counter (and make col_index slow).
    if len(letters) > 4:
        raise Unreadable("corrupt", f"{member} has a column reference {letters[:12]!r}...")
    return col_index(letters) + 1


def _checked_row(member: str, digits: str) -> int:
    row = int(digits) if digits.isdigit() and len(digits) <= 12 else 0
    if row < 1:
        raise Unreadable("corrupt", f"{member} has a malformed row number {digits[:12]!r}")
    return row


def _scan_cells_exact(member: str, data: bytes) -> tuple[int, int, set[str]]:
    """Exact extent and formula cells via expat, tracking implicit positions the way spreadsheet
    readers do: a <row> without r follows the previous row, a <c> without r follows the previous
    cell of its row. A cell counts towards the extent once it has a child element (<v>, <is>, <f>).
    expat is stricter than calamine's parser (it refuses duplicate attributes and attributes
    without separating spaces), so whatever it accepts, calamine reads the same way. DTDs were
    refused earlier; the handlers below refuse them again in case one slipped past the byte check.

    Only start tags are handled (half the callbacks): in a worksheet, <v>, <is> and <f> occur only
    inside <c>, so the first of them after a <c> start belongs to that cell.
    """
    row = col = max_row = max_col = 0
    formulas: set[str] = set()
    pending: list = []  # [A1 ref, row, col] of the last <c> until its first child is seen

    def start(name: str, attrs: dict) -> None:
        nonlocal row, col, max_row, max_col
        tag = name.partition(":")[2] if ":" in name else name  # quick-xml: after the first colon
        if tag == "c":
            ref = attrs.get("r")
            if ref is None:
                col, cell_row = col + 1, max(row, 1)
            else:
                m = _EXACT_REF_RE.fullmatch(ref.strip())
                if not m:
                    raise Unreadable("corrupt", f"{member} has a malformed cell reference {ref[:20]!r}")
                col, cell_row = _checked_col(member, m.group(1)), _checked_row(member, m.group(2))
            pending[:] = (f"{col_letters(col - 1)}{cell_row}", cell_row, col)
        elif tag == "row":
            r = attrs.get("r")
            row = row + 1 if r is None else _checked_row(member, r.strip())
            col = 0
            pending.clear()
        elif pending and tag in ("v", "is", "f"):
            ref, cell_row, cell_col = pending
            if tag == "f":
                formulas.add(ref)
            max_row, max_col = max(max_row, cell_row), max(max_col, cell_col)
            pending.clear()

    def forbid(*_args) -> None:
        raise Unreadable("xml-forbidden", f"{member} declares a DTD or entities")

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise Unreadable("corrupt", f"{member} is not well-formed XML: {exc}") from exc
    return max_row, max_col, formulas
