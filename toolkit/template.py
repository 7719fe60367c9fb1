"""Write the locked report template (and, with `data`, filled workbooks) with XlsxWriter.

Everything laid out here comes from `form`: sheets, labels, cells, option lists, formulas, prompts and
the guide. This module only decides how it looks: fills, borders, widths, heights and printing.

The output is deterministic (same inputs, same bytes): fixed document dates, XlsxWriter's fixed zip
timestamps (in-memory mode) and a zip-level post-step that keeps every member's ZipInfo while adding
workbook-structure protection, which XlsxWriter cannot write.

Formula cells carry correct cached results: the inputs go through `reader.report_from_raw` and
`compute.spreadsheet` (what the formulas compute from those cells) and are stored as the formula shows them.
"""
from __future__ import annotations

import datetime as _dt
import functools
import io
import math
import re
import zipfile
from pathlib import Path
from typing import Any

from . import form, vocabulary
from .a1 import a1, letters_of, parse_a1
from .atomic import atomic_path

DEFAULT_PASSWORD = "esep"   # documented in README; change with --password

CREATED = _dt.datetime(2024, 1, 1)          # fixed document date: same inputs -> same bytes
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False, "in_memory": True}
PROTECT_OPTIONS = {"select_locked_cells": True, "select_unlocked_cells": True,
                   "format_columns": True, "format_rows": True}

INPUT_FILL = "#FFF2CC"      # light yellow: type here
FORMULA_FILL = "#E7E6E6"    # grey: computed, locked
HEADING_FILL = "#D9E1F2"    # grey-blue column headings
BORDER_COLOR = "#A6A6A6"
NOTE_COLOR = "#595959"
GOOD = {"bg_color": "#C6EFCE", "font_color": "#006100"}
BAD = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
PENDING = {"bg_color": "#FFEB9C", "font_color": "#9C5700"}

DATE_FORMAT = "dd.mm.yyyy"
MONEY_FORMAT = "#,##0"
NUM_FORMATS = {"date": DATE_FORMAT, "amount": MONEY_FORMAT, "bin": "@", "phone": "@"}
ALIGN = {"date": "center", "count": "right"}          # a count's "-" lines up with the numbers
TEXT_TYPES = ("text", "longtext", "bin", "phone", "email")   # digits typed here are not numbers
PERCENT_FORMAT = "0.0"
DATE_RANGE = (_dt.date(2000, 1, 1), _dt.date(2100, 12, 31))
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

NUMBER_WIDTH = 4            # the № column
COMPUTED_WIDTH = {"percent": 8, "status": 11}
LINE_PT = 15.0              # one line of 11-pt Calibri
MAX_ROW_PT = 409.0          # Excel's tallest row
TEXT_LINE_PT = 13.8         # one wrapped line of 11-pt Calibri (Carlito in LibreOffice), with a margin
DEFAULT_WIDTH = 8.43        # a column nobody sized, in characters
NARRATIVE_PART_WIDTH = 4    # narratives sheet: the part № column
NARRATIVE_WIDTH = 94        # ... and the page-wide text column (portrait A4 at 100 %)
PORTRAIT = {"stats", "narratives"}   # narrow and long; every other sheet prints landscape
MARGIN_IN = 0.4             # left and right page margins, inches


def write_template(path, lang: str = "kk", password: str | None = None,
                   data: dict | None = None, locked: frozenset[str] | set[str] = frozenset(),
                   check_url: str | None = None, iso_dates: bool = True) -> Path:
    """Write the locked template in `lang` to `path` (atomically) and return the path.

    `data` (optional) fills it: {"singles": {name: raw}, "tables": {"ind"|"partner"|"subgrant":
    [{column name: raw}, ...]}}; raw values are written as typed (str, int/float, datetime.date; an
    ISO "YYYY-MM-DD" string in a date field becomes a real date unless `iso_dates` is False: then every
    text stays text, as `esep upgrade` needs). A field typed over several cells (a long narrative) takes
    a list of the cells' values, or one text that is split at line breaks (form.split_text).

    `locked` names header fields whose value (from `data`) is fixed by the operator (esep issue): they
    are written locked, untinted and without a drop-down, so the NGO cannot retype them.
    `check_url`: the operator's self-check page; the guide sends NGOs there (stored in _meta as
    meta_check_url). Without it the guide tells them to send the file to their grant operator.
    """
    import xlsxwriter

    if lang not in form.LANGS:
        raise ValueError(f"lang must be one of {form.LANGS}, not {lang!r}")
    password = password or DEFAULT_PASSWORD
    singles, tables = _check_data(data)
    stray = set(locked) - {f.name for f in form.HEADER_FIELDS}
    if stray:
        raise ValueError(f"locked: not header fields: {sorted(stray)}")
    shown = _cached_results(singles, tables, lang)
    target = Path(path)
    with atomic_path(target) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        writer = _Writer(wb, lang, password, singles, tables, shown, frozenset(locked), iso_dates)
        writer.check_url = (check_url or "").strip()
        writer.write()
        wb.close()
        tmp.write_bytes(lock_structure(tmp.read_bytes(), password, writer.grown))
    return target


# Inputs and cached results ----------------------------------------------------------------------------

def _check_data(data: dict | None) -> tuple[dict, dict]:
    data = data or {}
    unknown = set(data) - {"singles", "tables"}
    if unknown:
        raise ValueError(f"data: unknown keys {sorted(unknown)}")
    singles = dict(data.get("singles") or {})
    allowed = {f.name for f in form.SINGLE_FIELDS}
    bad = [n for n in singles if n not in allowed]
    if bad:
        raise ValueError(f"data: not single input fields: {sorted(bad)}")
    tables = {k: list(v or []) for k, v in (data.get("tables") or {}).items()}
    for key, rows in tables.items():
        if key not in form.TABLE:
            raise ValueError(f"data: unknown table {key!r}")
        table = form.TABLE[key]
        if len(rows) > table.capacity:
            raise ValueError(f"data: table {key!r} has {len(rows)} rows, capacity {table.capacity}")
        columns = {f.name for f in table.columns}
        for row in rows:
            extra = set(row) - columns
            if extra:
                raise ValueError(f"data: table {key!r}: unknown columns {sorted(extra)}")
    return singles, tables


def _cached_results(singles: dict, tables: dict, lang: str) -> dict[str, Any]:
    """name -> shown value (single formulas) or name -> [shown value per table row]."""
    from . import compute, reader
    from .rules import _as_shown

    # What a spreadsheet computes from these cells (not esep's tolerant reading): the cached results
    # are then the ones LibreOffice, Gnumeric and Excel show after recalculating.
    calc = compute.spreadsheet(reader.report_from_raw(singles, tables, lang))
    out: dict[str, Any] = {}
    for c in form.COMPUTED:
        table = form.TABLE_OF.get(c.name)
        if table is None:
            out[c.name] = _tidy(_as_shown(c.name, calc.get(c.name), lang))
        else:
            per_row = calc.get(c.name) or {}
            out[c.name] = [_tidy(_as_shown(c.name, per_row.get(i + 1), lang))
                           for i in range(table.capacity)]
    return out


def _tidy(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None:
        return ""
    return value


# Formulas ---------------------------------------------------------------------------------------------

def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _text(s: str) -> str:
    """An Excel string literal."""
    return '"' + s.replace('"', '""') + '"'


def _numeric(ref: str, ftype: str | None) -> tuple[str, str]:
    """(condition, value) reading a cell as the tool does: a count's blank or dash is 0."""
    if ftype == "count":
        from .values import _DASHES
        return f"OR(ISNUMBER({ref}),{_one_of(_unspaced(ref), [''] + sorted(_DASHES))})", _zero_unless_number(ref)
    return f"ISNUMBER({ref})", ref


def _one_of(expr: str, texts) -> str:
    """expr equals one of the texts. Not expr={"a","b"}: Gnumeric compares a single value with the
    first element of an array constant only, so OR(x={"a","b"}) is FALSE there for "b"."""
    return "OR(" + ",".join(f"{expr}={_text(t)}" for t in texts) + ")"


def _unspaced(ref: str) -> str:
    """The cell's text without plain spaces. Not TRIM(): Gnumeric's TRIM also removes tabs and no-break
    spaces, LibreOffice's and Excel's do not, so a cell of invisible characters would be blank in one
    program and not in another. SUBSTITUTE of a plain space means the same everywhere."""
    return f'SUBSTITUTE({ref}," ","")'


def _zero_unless_number(ref: str) -> str:
    """The cell's number, else 0. Not N(): Gnumeric gives #NUM! for N() of an empty cell and reads
    N("12") as 12 where Excel and LibreOffice give 0."""
    return f"IF(ISNUMBER({ref}),{ref},0)"


@functools.lru_cache(maxsize=None)
def _at_most_texts() -> tuple[str, ...]:
    """Every typed operator the reader takes for "<=", lower case and without spaces (as the status
    formula compares them: LOWER(SUBSTITUTE(cell," ","")))."""
    return tuple(sorted({k.replace(" ", "") for k, code in form.option_lookup("operator").items()
                         if code == "le"}))


def formula(comp: form.Computed, lang: str, row: int | None = None) -> str:
    """The Excel formula of a computed cell (for a table column: of its sheet row `row`).
    Mirrors compute.py; see its functions for the semantics."""
    refs, types = [], []
    for name in comp.args:
        item = form.FIELD.get(name) or form.COMPUTED_BY_NAME[name]
        cell = item.cell if row is None else f"{letters_of(item.cell)}{row}"
        if comp.kind == "column_sum":
            cell = f"{item.cell}:{item.last}"
        if item.sheet != comp.sheet:
            cell = f"{_quote(form.sheet_title(item.sheet, lang))}!{cell}"
        refs.append(cell)
        types.append(getattr(item, "type", None))
    if comp.kind in ("sum", "column_sum"):
        return f"=SUM({','.join(refs)})"
    if comp.kind == "diff":
        return f"={_zero_unless_number(refs[0])}-{_zero_unless_number(refs[1])}"
    if comp.kind == "ref":
        cond, val = _numeric(refs[0], types[0])
        return f'=IF({cond},{val},"")'
    if comp.kind == "percent":
        (cf, vf), (cp, vp) = _numeric(refs[0], types[0]), _numeric(refs[1], types[1])
        return f'=IF(AND({cf},{cp}),IF({vp}=0,"",{vf}/{vp}*100),"")'
    if comp.kind == "status":
        f, p, op = refs
        label = {k: _text(t.get(lang)) for k, t in form.STATUSES.items()}
        compare = (f"IF({_one_of(f'LOWER({_unspaced(op)})', _at_most_texts())},"
                   f"IF({f}<={p}+1E-9,{label['met']},{label['not_met']}),"
                   f"IF({f}<{p}-1E-9,{label['not_met']},"
                   f"IF({f}<={p}+1E-9,{label['met']},{label['exceeded']})))")
        return (f'=IF(ISNUMBER({p}),IF(ISNUMBER({f}),{compare},'
                f'IF({_unspaced(f)}="",{label["no_fact"]},"")),"")')
    raise ValueError(f"{comp.name}: unknown kind {comp.kind}")


# Workbook structure protection ------------------------------------------------------------------------

def password_hash(password: str) -> str:
    """The legacy Excel password hash (ECMA-376 Part 4, 14.7.1), as XlsxWriter writes for sheets."""
    digest = 0
    for char in reversed(password):
        digest = ((digest >> 14) & 0x01) | ((digest << 1) & 0x7FFF)
        digest ^= ord(char)
    digest = ((digest >> 14) & 0x01) | ((digest << 1) & 0x7FFF)
    digest ^= len(password)
    digest ^= 0xCE4B
    return f"{digest:X}"


def lock_structure(xlsx: bytes, password: str, grown: dict[int, set[int]] | None = None) -> bytes:
    """Add <workbookProtection lockStructure="1"> to xl/workbook.xml, keeping every zip member's
    ZipInfo (names, order, timestamps, compression) so the result stays deterministic.

    `grown` (sheet number from 1 -> zero-based rows) are rows given a height for the text written into
    them: their customHeight flag is dropped, so the height is a starting point and Excel and LibreOffice
    still fit the row to whatever is typed there later (XlsxWriter always marks a set height custom)."""
    element = f'<workbookProtection workbookPassword="{password_hash(password)}" lockStructure="1"/>'
    parts = {f"xl/worksheets/sheet{n}.xml": rows for n, rows in (grown or {}).items() if rows}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            payload = zin.read(info)
            if info.filename in parts:
                rows = {str(r + 1) for r in parts[info.filename]}
                payload = re.sub(rb'(<row r="(\d+)"[^>]*?) customHeight="1"',
                                 lambda m: m.group(1) if m.group(2).decode() in rows else m.group(0), payload)
            if info.filename == "xl/workbook.xml":
                xml = payload.decode("utf-8")
                # Schema order: fileVersion, fileSharing, workbookPr, workbookProtection, bookViews.
                xml, n = re.subn(r"(<workbookPr\b[^>]*/>)", lambda m: m.group(1) + element, xml, count=1)
                if n == 0:
                    xml, n = re.subn(r"(<bookViews\b)", lambda m: element + m.group(1), xml, count=1)
                if n == 0:
                    raise RuntimeError("xl/workbook.xml: nowhere to put workbookProtection")
                payload = xml.encode("utf-8")
            zout.writestr(info, payload)
    return out.getvalue()


# Layout helpers ---------------------------------------------------------------------------------------

def _absolute(cell: str) -> str:
    letters = letters_of(cell)
    return f"${letters}${cell[len(letters):]}"


def _lines(text: str, width: float, bold: bool = False, roomy: bool = True) -> int:
    """Number of lines `text` wraps to in a column `width` characters wide: words laid out greedily, as
    spreadsheet programs do, with a small margin (measured on LibreOffice's PDF of the seed example).
    `roomy` leaves more room, for the template's own texts in merged cells."""
    if roomy:
        capacity = max((width - 1.5) / (1.25 if bold else 1.15), 1.0)
    else:
        capacity = max((width - 0.5) * (0.92 if bold else 1.0), 1.0)
    total = 0
    for paragraph in str(text).split("\n"):
        lines, used = 1, 0.0
        for word in paragraph.split():
            size = len(word)
            if used and used + 1 + size > capacity:
                lines += 1
                used = 0.0
            if size > capacity:                      # a word wider than the column breaks
                lines += math.ceil(size / capacity) - 1
                size = size % capacity or capacity
            used += (1 if used else 0) + size
        total += lines
    return total


def _height(*cells: tuple[str, float], bold: bool = False, minimum: float = LINE_PT) -> float:
    lines = max((_lines(text, width, bold) for text, width in cells), default=1)
    return max(minimum, lines * LINE_PT + 3)


class _Writer:
    def __init__(self, wb, lang: str, password: str, singles: dict, tables: dict, shown: dict,
                 locked: frozenset[str] = frozenset(), iso_dates: bool = True):
        self.wb, self.lang, self.password, self.iso_dates = wb, lang, password, iso_dates
        self.locked = locked
        self.singles, self.tables, self.shown = singles, tables, shown
        self.check_url = ""
        self._formats: dict = {}
        self.sheets: dict = {}
        self.extent: dict[str, tuple[int, int]] = {}   # sheet key -> (last row, last col), zero-based
        self.widths: dict[str, dict[int, float]] = {}  # sheet key -> column -> width (characters)
        self.need: dict[str, dict[int, float]] = {}    # sheet key -> row -> height its texts need (pt)
        self.grown: dict[int, set[int]] = {}           # sheet number -> rows given a height by their text

    # Formats ----------------------------------------------------------------------------------------

    def fmt(self, **props):
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def cond(self, props: dict):
        return self.fmt(**props)

    @property
    def title_fmt(self):
        return self.fmt(bold=True, font_size=14, valign="vcenter")

    @property
    def heading_fmt(self):
        return self.fmt(bold=True, text_wrap=True, valign="vcenter", align="center", bg_color=HEADING_FILL,
                        border=1, border_color=BORDER_COLOR)

    @property
    def label_fmt(self):
        return self.fmt(text_wrap=True, valign="top", border=1, border_color=BORDER_COLOR)

    @property
    def group_fmt(self):
        return self.fmt(bold=True, valign="bottom")

    @property
    def note_fmt(self):
        return self.fmt(italic=True, text_wrap=True, valign="top", font_color=NOTE_COLOR)

    @property
    def number_fmt(self):
        return self.fmt(align="center", valign="top", font_color=NOTE_COLOR, border=1,
                        border_color=BORDER_COLOR)

    def input_fmt(self, ftype: str, locked: bool = False):
        props = dict(bg_color=INPUT_FILL, border=1, border_color=BORDER_COLOR, valign="top")
        if not locked:
            props["locked"] = False
        if ftype in ("text", "longtext", "choice", "email", "measure"):   # a typed threshold wraps too
            props["text_wrap"] = True
        if ftype in ALIGN:
            props["align"] = ALIGN[ftype]
        if ftype in NUM_FORMATS:
            props["num_format"] = NUM_FORMATS[ftype]
        return self.fmt(**props)

    def formula_fmt(self, kind: str = "", money: bool = False):
        props = dict(bg_color=FORMULA_FILL, border=1, border_color=BORDER_COLOR, valign="top")
        if kind == "percent":
            props["num_format"] = PERCENT_FORMAT
        elif money:
            props["num_format"] = MONEY_FORMAT
        return self.fmt(**props)

    # Cells ------------------------------------------------------------------------------------------

    def t(self, text: form.Text) -> str:
        return text.get(self.lang)

    def touch(self, key: str, row: int, col: int) -> None:
        r, c = self.extent.get(key, (0, 0))
        self.extent[key] = (max(r, row), max(c, col))

    def fit(self, key: str, row: int, col: int, text: str, fmt=None) -> None:
        """Remember the height a wrapped text needs in its row (rows are sized at the end)."""
        if fmt is None or not getattr(fmt, "text_wrap", False):
            return
        width = self.widths.get(key, {}).get(col, DEFAULT_WIDTH)
        bold = bool(getattr(fmt, "bold", False))
        height = min(MAX_ROW_PT, _lines(text, width, bold, roomy=False) * TEXT_LINE_PT + 4)
        rows = self.need.setdefault(key, {})
        rows[row] = max(rows.get(row, 0.0), height)

    def size_rows(self) -> None:
        """Rows nobody gave a height get the height of their longest text: LibreOffice does not fit
        rows when it opens a file, so a generated workbook would print its texts cut."""
        for number, sheet in enumerate(form.SHEETS, 1):
            ws = self.sheets[sheet.key]
            for row, height in sorted(self.need.get(sheet.key, {}).items()):
                if row in ws.row_info or height <= LINE_PT + 3:
                    continue
                ws.set_row(row, height)
                self.grown.setdefault(number, set()).add(row)

    def put(self, key: str, row: int, col: int, value, fmt=None) -> None:
        ws = self.sheets[key]
        self.touch(key, row, col)
        if isinstance(value, str):
            self.fit(key, row, col, value, fmt)
        if value is None or value == "":
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, str):
            ws.write_string(row, col, value, fmt)
        else:
            ws.write(row, col, value, fmt)

    def fixed_fmt(self, ftype: str):
        """A value the operator filled in (esep issue): locked, no input tint."""
        props = dict(border=1, border_color=BORDER_COLOR, valign="top", bold=True)
        if ftype in ("text", "longtext", "choice", "email"):
            props["text_wrap"] = True
        if ftype in NUM_FORMATS:
            props["num_format"] = NUM_FORMATS[ftype]
        return self.fmt(**props)

    def write_input(self, key: str, row: int, col: int, f: form.Field, raw) -> None:
        ws = self.sheets[key]
        self.touch(key, row, col)
        if f.name in self.locked:
            fmt = self.fixed_fmt(f.type)
            if isinstance(raw, (_dt.date, _dt.datetime)) or (f.type == "date" and isinstance(raw, str)
                                                             and _ISO_DATE.fullmatch(raw)):
                value = raw if not isinstance(raw, str) else _dt.date.fromisoformat(raw)
                ws.write_datetime(row, col, value, self.fixed_fmt("date"))
            elif isinstance(raw, str):
                self.fit(key, row, col, raw, fmt)
                ws.write_string(row, col, raw, fmt)
            elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
                ws.write_number(row, col, raw, fmt)
            else:
                ws.write_blank(row, col, None, fmt)
            return
        fmt = self.input_fmt(f.type)
        if raw is None:
            ws.write_blank(row, col, None, fmt)
        elif isinstance(raw, bool):
            ws.write_boolean(row, col, raw, fmt)
        elif isinstance(raw, (_dt.date, _dt.datetime)):
            ws.write_datetime(row, col, raw, self.input_fmt("date"))
        elif isinstance(raw, str):
            if f.type == "date" and self.iso_dates and _ISO_DATE.fullmatch(raw):
                ws.write_datetime(row, col, _dt.date.fromisoformat(raw), fmt)
            else:
                self.fit(key, row, col, raw, fmt)
                ws.write_string(row, col, raw, fmt)
        elif isinstance(raw, (int, float)):
            ws.write_number(row, col, raw, fmt)
        else:
            raise TypeError(f"{f.name}: cannot write a {type(raw).__name__}")

    def write_formula(self, comp: form.Computed, row: int, col: int, value, table_row: int | None = None):
        key = comp.sheet
        self.touch(key, row, col)
        self.sheets[key].write_formula(row, col, formula(comp, self.lang, table_row),
                                       self.formula_fmt(comp.kind, _money(comp)), value)

    def validate(self, key: str, f: form.Field, first: str, last: str = "") -> None:
        """One data validation, with its input message, over a cell or a column block."""
        lang = self.lang
        prompt = form.PROMPTS[f.type]
        message = prompt.message.get(lang)
        if f.hint is not None and f.hint.get(lang) not in message:
            message = f"{f.hint.get(lang)}. {message}" if f.type != "phone" else f.hint.get(lang)
        if f.required:
            message = f"{message} ({self.required_text(f)})"
        opts: dict[str, Any] = {"input_title": prompt.title.get(lang), "input_message": message,
                                "ignore_blank": True}
        if prompt.error is not None:
            opts["error_title"] = prompt.title.get(lang)
            opts["error_message"] = prompt.error.get(lang)
        (r1, c1), (r2, c2) = parse_a1(first), parse_a1(last or first)
        if f.type == "choice":
            opts.update(validate="list", source="=" + form.LIST[f.options].name, error_type="stop")
        elif f.type == "count":
            opts.update(validate="integer", criteria=">=", value=0, error_type="warning")
        elif f.type in ("amount", "number"):
            opts.update(validate="decimal", criteria=">=", value=0, error_type="stop")
        elif f.type == "date":
            opts.update(validate="date", criteria="between", minimum=DATE_RANGE[0], maximum=DATE_RANGE[1],
                        error_type="stop")
        elif f.type == "measure":
            # A number >= 0, at most 100 where the row's unit is %; text passes (the tool flags it).
            x, unit = first, _unit_column(f)
            rule = f"{x}>=0"
            if unit is not None:
                unit_cell = letters_of(unit.cell) + x[len(letters_of(x)):]
                rule = f"AND({rule},OR({unit_cell}<>{_text(self._percent_label())},{x}<=100))"
            opts.update(validate="custom", value=f"=OR(NOT(ISNUMBER({x})),{rule})",
                        error_type="information")
        elif f.type == "bin":
            opts.update(validate="length", criteria="==", value=12, error_type="warning")
        else:
            opts.update(validate="any")
        if self.sheets[key].data_validation(r1, c1, r2, c2, opts) != 0:
            raise RuntimeError(f"data validation refused for {f.name}")

    def _percent_label(self) -> str:
        return form.option_label("unit", "percent", self.lang)

    def set_width(self, key: str, col: int, width: float) -> None:
        self.widths.setdefault(key, {})[col] = width
        self.sheets[key].set_column(col, col, width)

    # Whole workbook ---------------------------------------------------------------------------------

    def write(self) -> None:
        wb, lang = self.wb, self.lang
        wb.set_properties({"title": self.t(form.FORM_TITLE), "created": CREATED,
                           "comments": f"{form.TEMPLATE_ID} {form.TEMPLATE_VERSION} ({lang})"})
        wb.set_custom_property("template_id", form.TEMPLATE_ID)
        wb.set_custom_property("template_version", form.TEMPLATE_VERSION)
        wb.set_custom_property("lang", lang)
        for sheet in form.SHEETS:
            self.sheets[sheet.key] = wb.add_worksheet(sheet.name(lang))
        self.guide()
        self.header()
        self.indicators()
        self.impact()
        self.stats()
        self.table_sheet(form.PARTNERS)
        self.table_sheet(form.SUBGRANTS)
        self.narratives()
        self.lists()
        self.meta()
        self.names()
        text_blocks: dict[str, list[str]] = {}
        for f in form.ALL_FIELDS:
            if f.type in TEXT_TYPES:
                text_blocks.setdefault(f.sheet, []).append(f"{f.cell}:{f.last}" if f.last else f.cell)
        for key, blocks in text_blocks.items():
            # No green "number stored as text" triangles where digits are text (BIN, phone, names).
            self.sheets[key].ignore_errors({"number_stored_as_text": " ".join(blocks)})
        self.size_rows()
        for sheet in form.SHEETS:
            ws = self.sheets[sheet.key]
            ws.protect(self.password, PROTECT_OPTIONS)
            if sheet.state == "hidden":
                ws.hide()
            elif sheet.state == "veryHidden":
                ws.very_hidden()
            else:
                self.page_setup(sheet.key)
        self.sheets["header"].activate()

    def page_setup(self, key: str) -> None:
        """A4, as wide as the page (as many pages down as the text needs), header rows repeated, the
        report's title and the sheet in the page header, page numbers in the footer."""
        ws = self.sheets[key]
        if key in PORTRAIT:
            ws.set_portrait()
        else:
            ws.set_landscape()
        ws.set_paper(9)                 # A4
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=MARGIN_IN, right=MARGIN_IN, top=0.75, bottom=0.75)
        title = self.t(form.FORM_TITLE).replace("&", "&&")
        ws.set_header(f"&L{title}&R&A")
        ws.set_footer(f"&L{form.TEMPLATE_ID} {form.TEMPLATE_VERSION}&R&P / &N")
        last_row, last_col = self.extent.get(key, (0, 0))
        ws.print_area(0, 0, last_row, last_col)
        table = next((t for t in form.TABLES if t.sheet == key), None)
        if table is not None:
            ws.repeat_rows(table.header_row - 1)

    def title(self, key: str, text: form.Text) -> None:
        self.sheets[key].set_row(0, 24)
        self.put(key, 0, 0, self.t(text), self.title_fmt)

    # Sheets -----------------------------------------------------------------------------------------

    def guide(self) -> None:
        key, ws = "guide", self.sheets["guide"]
        widths = (24, 96)                       # colour sample, explanation
        for col, w in enumerate(widths):
            self.set_width(key, col, w)
        ws.hide_gridlines(2)
        text_fmt = self.fmt(text_wrap=True, valign="top")
        row = 0
        for kind, text in form.GUIDE:
            s = self.t(text).format(template_id=form.TEMPLATE_ID, version=form.TEMPLATE_VERSION,
                                    self_check="")
            if kind == "title":
                self.title(key, text)
                row += 2
                continue
            if kind in ("sample_input", "sample_formula"):
                sample = self.input_fmt("text", locked=True) if kind == "sample_input" else self.formula_fmt()
                self.put(key, row, 0, None, sample)
                self.put(key, row, 1, s, text_fmt)
                ws.set_row(row, LINE_PT + 5)
                row += 1
                continue
            if kind == "self_check":
                s = (vocabulary.SELF_CHECK.get(self.lang).format(url=self.check_url) if self.check_url
                     else vocabulary.SELF_CHECK_NO_URL.get(self.lang))
            if kind == "heading":
                row += 1
                fmt, height = self.fmt(bold=True, font_size=12, valign="bottom"), 22
            elif kind == "template":
                row += 1
                fmt, height = self.note_fmt, LINE_PT + 3
            else:
                fmt, height = text_fmt, _height((s, sum(widths)))
            self.touch(key, row, 1)
            ws.merge_range(row, 0, row, 1, s, fmt)
            ws.set_row(row, height)
            row += 1

    def header(self) -> None:
        key, ws = "header", self.sheets["header"]
        widths = (45, 60, 38)
        for col, w in enumerate(widths):
            self.set_width(key, col, w)
        self.title(key, form.SHEET_HEADINGS[key])
        head_row = form.HEADER_FIRST_ROW - 2
        for col, name in enumerate(("header_label", "header_value", "header_hint")):
            self.put(key, head_row, col, self.t(form.TEMPLATE_TEXTS[name]), self.heading_fmt)
        ws.set_row(head_row, 20)
        for f in form.HEADER_FIELDS:
            row, col = parse_a1(f.cell)
            label = self.t(f.label)
            hint = self.hint(f)
            self.put(key, row, col - 1, label, self.label_fmt)
            self.write_input(key, row, col, f, self.singles.get(f.name))
            self.put(key, row, col + 1, hint, self.fmt(italic=True, text_wrap=True, valign="top",
                                                       font_color=NOTE_COLOR, border=1,
                                                       border_color=BORDER_COLOR))
            if f.name not in self.locked:
                self.validate(key, f, f.cell)
        ws.freeze_panes(head_row + 1, 0)

    def hint(self, f: form.Field) -> str:
        parts = [self.t(form.PROMPTS[f.type].title)]
        if f.hint is not None:
            parts.append(self.t(f.hint))
        if f.required:
            parts.append(self.required_text(f))
        return " · ".join(parts)

    def required_text(self, f: form.Field) -> str:
        return self.t(form.TEMPLATE_TEXTS["required" if f.required == "always" else "required_final"])

    def table_block(self, table: form.Table) -> int:
        """Column headings, № column, inputs, formulas and validations of a table; returns the last
        column (zero-based)."""
        key, ws = table.sheet, self.sheets[table.sheet]
        head = table.header_row - 1
        self.set_width(key, 0, NUMBER_WIDTH)
        self.put(key, head, 0, self.t(form.TEMPLATE_TEXTS["number"]), self.heading_fmt)
        headings = []
        last_col = 0
        for f in table.columns:
            _, col = parse_a1(f.cell)
            self.set_width(key, col, f.width)
            self.put(key, head, col, self.t(f.label), self.heading_fmt)
            headings.append((self.t(f.label), f.width))
            last_col = max(last_col, col)
        for c in table.computed:
            _, col = parse_a1(c.cell)
            width = COMPUTED_WIDTH.get(c.kind, 12)
            self.set_width(key, col, width)
            self.put(key, head, col, self.t(c.label), self.heading_fmt)
            headings.append((self.t(c.label), width))
            last_col = max(last_col, col)
        ws.set_row(head, _height(*headings, bold=True))
        rows = self.tables.get(table.key, [])
        for i in range(table.capacity):
            r = table.first_row - 1 + i
            self.put(key, r, 0, i + 1, self.number_fmt)
            given = rows[i] if i < len(rows) else {}
            for f in table.columns:
                self.write_input(key, r, parse_a1(f.cell)[1], f, given.get(f.name))
            for c in table.computed:
                self.write_formula(c, r, parse_a1(c.cell)[1], self.shown[c.name][i], table_row=r + 1)
        for f in table.columns:
            self.validate(key, f, f.cell, f.last)
        for c in table.computed:
            if c.kind == "status":
                rng = f"{c.cell}:{c.last}"
                for code, style in (("met", GOOD), ("exceeded", GOOD), ("not_met", BAD),
                                    ("no_fact", PENDING)):
                    ws.conditional_format(rng, {"type": "cell", "criteria": "==",
                                                "value": _text(self.t(form.STATUSES[code])),
                                                "format": self.cond(style)})
        return last_col

    def table_head(self, table: form.Table, last_col: int, note_row: int) -> None:
        """Title (row 1) and note (merged across the table, at zero-based `note_row`) of a table sheet."""
        key, ws = table.sheet, self.sheets[table.sheet]
        self.title(key, table.label)
        if table.note is not None:
            note = self.t(table.note)
            ws.merge_range(note_row, 0, note_row, last_col, note, self.note_fmt)
            ws.set_row(note_row, _height((note, _table_width(table))))

    def indicators(self) -> None:
        table, key = form.INDICATORS, "indicators"
        ws = self.sheets[key]
        last_col = self.table_block(table)
        self.table_head(table, last_col, note_row=table.header_row - 2)
        pointer = self.t(form.TEMPLATE_TEXTS["deviation_pointer"]).format(
            sheet=form.sheet_title(form.DEVIATION_NOTE.sheet, self.lang))
        self.put(key, 1, 1, pointer, self.fmt(italic=True, font_color=NOTE_COLOR))
        ws.freeze_panes(table.header_row, 1)
        ws.set_zoom(90)

    def impact(self) -> None:
        key, ws = "impact", self.sheets["impact"]
        self.title(key, form.SHEET_HEADINGS[key])
        fields = {f.name: f for f in form.IMPACT_FIELDS}
        percent_of = {c.args: c for c in form.IMPACT_COMPUTED if c.kind == "percent"}   # (fact, plan)
        first = form.IMPACT_ROWS[0]
        _, plan_col = parse_a1(fields[first.plan].cell)
        label_col, unit_col = plan_col - 2, plan_col - 1
        first_percent = percent_of[(first.fact, first.plan)]
        percent_col = parse_a1(first_percent.cell)[1]
        widths = {0: NUMBER_WIDTH, label_col: 55, unit_col: 16, plan_col: 16, plan_col + 1: 16,
                  percent_col: COMPUTED_WIDTH["percent"]}
        for col, w in widths.items():
            self.set_width(key, col, w)
        head = form.IMPACT_FIRST_ROW - 2
        texts = form.TEMPLATE_TEXTS
        headings = {0: texts["number"], label_col: texts["impact_indicator"], unit_col: texts["impact_unit"],
                    plan_col: texts["impact_plan"], plan_col + 1: texts["impact_fact"],
                    percent_col: first_percent.label}
        for col, text in headings.items():
            self.put(key, head, col, self.t(text), self.heading_fmt)
        ws.set_row(head, _height(*((self.t(t), widths[c]) for c, t in headings.items()), bold=True))
        for i, imp in enumerate(form.IMPACT_ROWS):
            plan, fact = fields[imp.plan], fields[imp.fact]
            row, _ = parse_a1(plan.cell)
            label = self.t(imp.label)
            self.put(key, row, 0, i + 1, self.number_fmt)
            self.put(key, row, label_col, label, self.label_fmt)
            self.put(key, row, unit_col, self.t(imp.unit), self.label_fmt)
            for f in (plan, fact):
                r, c = parse_a1(f.cell)
                self.write_input(key, r, c, f, self.singles.get(f.name))
                self.validate(key, f, f.cell)
            comp = percent_of[(imp.fact, imp.plan)]
            r, c = parse_a1(comp.cell)
            self.write_formula(comp, r, c, self.shown[comp.name])
        budget = [c for c in form.IMPACT_COMPUTED if c.kind != "percent"]
        first_budget_row = min(parse_a1(c.cell)[0] for c in budget)
        self.put(key, first_budget_row - 1, label_col, self.t(texts["budget_title"]), self.group_fmt)
        ws.set_row(first_budget_row - 1, 22)
        for comp in budget:
            r, c = parse_a1(comp.cell)
            ws.merge_range(r, c - 3, r, c - 1, self.t(comp.label), self.label_fmt)
            self.write_formula(comp, r, c, self.shown[comp.name])
            if comp.kind == "diff":
                ws.conditional_format(r, c, r, c, {"type": "cell", "criteria": "<", "value": 0,
                                                   "format": self.cond(BAD)})
        ws.freeze_panes(head + 1, 0)

    def stats(self) -> None:
        key, ws = "stats", self.sheets["stats"]
        self.title(key, form.SHEET_HEADINGS[key])
        note = self.t(form.PROMPTS["count"].message)
        width = 55
        self.touch(key, 1, 1)
        ws.merge_range(1, 0, 1, 1, note, self.note_fmt)
        ws.set_row(1, _height((note, width + 16)))
        fields = {f.name: f for f in form.STATS_FIELDS}
        for g in form.STATS_GROUPS:
            total = fields[g.total]
            row, col = parse_a1(total.cell)
            self.set_width(key, col - 1, width)
            self.set_width(key, col, 16)
            self.put(key, row - 1, col - 1, self.t(g.label), self.group_fmt)
            ws.set_row(row - 1, 24)
            for name in (g.total,) + g.parts:
                f = fields[name]
                r, c = parse_a1(f.cell)
                label = self.t(f.label)
                bold = name == g.total
                self.put(key, r, c - 1, label, self.fmt(text_wrap=True, valign="top", border=1,
                                                        border_color=BORDER_COLOR, bold=bold))
                self.write_input(key, r, c, f, self.singles.get(name))
                self.validate(key, f, f.cell)
            total_sum = next(c for c in form.STATS_COMPUTED if c.kind == "sum" and c.args == g.parts)
            difference = next(c for c in form.STATS_COMPUTED
                              if c.kind == "diff" and c.args == (total_sum.name, g.total))
            for comp in (total_sum, difference):
                r, c = parse_a1(comp.cell)
                self.put(key, r, c - 1, self.t(comp.label), self.fmt(italic=True, valign="top", border=1,
                                                                     border_color=BORDER_COLOR))
                self.write_formula(comp, r, c, self.shown[comp.name])
                if comp is difference:
                    ws.conditional_format(r, c, r, c, {"type": "cell", "criteria": "!=", "value": 0,
                                                       "format": self.cond(BAD)})

    def table_sheet(self, table: form.Table) -> None:
        key, ws = table.sheet, self.sheets[table.sheet]
        last_col = self.table_block(table)
        self.table_head(table, last_col, note_row=1)
        if table is form.SUBGRANTS:
            comp = form.SUBGRANT_TOTAL
            r, c = parse_a1(comp.cell)
            self.put(key, r, c - 1, self.t(comp.label), self.fmt(bold=True, align="right", valign="top"))
            self.write_formula(comp, r, c, self.shown[comp.name])
        ws.freeze_panes(table.header_row, 0)

    def narratives(self) -> None:
        """One page-wide column B: each text under its label, a long text over several cells (numbered
        in A), then the signature block. Input rows have no set height: they grow with their text."""
        key, ws = "narratives", self.sheets["narratives"]
        self.title(key, form.SHEET_HEADINGS[key])
        widths = (NARRATIVE_PART_WIDTH, NARRATIVE_WIDTH)
        for col, w in enumerate(widths):
            self.set_width(key, col, w)
        note = self.t(form.TEMPLATE_TEXTS["narrative_note"]).format(chars=f"{form.NARRATIVE_CELL_CHARS:,}"
                                                                      .replace(",", " "))
        self.put(key, 1, 1, note, self.note_fmt)
        ws.set_row(1, _height((note, widths[1])))
        label_fmt = self.fmt(bold=True, text_wrap=True, valign="bottom")
        for f in (form.DEVIATION_NOTE,) + form.NARRATIVES:
            row, col = parse_a1(f.cell)
            label = self.t(f.label)
            self.put(key, row - 1, col, label, label_fmt)
            ws.set_row(row - 1, _height((label, widths[1]), bold=True, minimum=LINE_PT + 8))
            given = self.singles.get(f.name)
            n = form.spread(f)
            parts = _parts(given, n)
            for i in range(n):
                if n > 1:
                    self.put(key, row + i, 0, i + 1, self.number_fmt)
                self.write_input(key, row + i, col, f, parts[i] if i < len(parts) else None)
            self.validate(key, f, f.cell, f.last)
        ws.freeze_panes(1, 0)
        self.signature(key)

    def signature(self, key: str) -> None:
        """The signature block of the official form: the head's position and name, the signature line,
        the date and the place for the seal."""
        ws, texts = self.sheets[key], form.TEMPLATE_TEXTS
        heading = form.SIGNATURE_HEADING_ROW - 1             # zero-based
        ws.set_h_pagebreaks([heading - 1])                    # the block is never split over two pages
        self.put(key, heading, 1, self.t(texts["signature_title"]), self.fmt(bold=True, font_size=12,
                                                                             valign="bottom"))
        ws.set_row(heading, 30)
        label_fmt = self.fmt(text_wrap=True, valign="bottom", font_color=NOTE_COLOR)
        for f in form.SIGNATURE_FIELDS:
            row, col = parse_a1(f.cell)
            self.put(key, row - 1, col, self.hint_label(f), label_fmt)
            ws.set_row(row - 1, LINE_PT + 6)
            self.write_input(key, row, col, f, self.singles.get(f.name))
            self.validate(key, f, f.cell)
            if f.name == "sign_name":
                line = row + 1
                self.put(key, line, col, f"{self.t(texts['signature'])}: " + "_" * 40,
                         self.fmt(valign="bottom"))
                ws.set_row(line, 40)
            if f.name == "sign_date":
                self.put(key, row + 1, col, self.t(texts["seal"]), self.fmt(valign="bottom"))
                ws.set_row(row + 1, 40)

    def hint_label(self, f: form.Field) -> str:
        return self.t(f.label) + (f" ({self.t(f.hint)})" if f.hint is not None else "")

    def lists(self) -> None:
        key = "lists"
        for col, lst in enumerate(form.LISTS):
            self.set_width(key, col, 30)
            self.put(key, 0, col, lst.key, self.fmt(bold=True))
            for i, label in enumerate(lst.labels(self.lang)):
                self.put(key, i + 1, col, label)

    def meta(self) -> None:
        values = {"meta_template_id": form.TEMPLATE_ID, "meta_template_version": form.TEMPLATE_VERSION,
                  "meta_lang": self.lang, "meta_check_url": self.check_url or None}
        self.set_width("meta", 0, 22)
        self.set_width("meta", 1, 26)
        for f in form.META_FIELDS:
            row, col = parse_a1(f.cell)
            self.put("meta", row, col - 1, f.label.get(self.lang))
            self.put("meta", row, col, values[f.name])

    def names(self) -> None:
        wb, lang = self.wb, self.lang
        for item in form.iter_named():
            ref = _absolute(item.cell) + (f":{_absolute(item.last)}" if item.last else "")
            wb.define_name(item.name, f"={_quote(form.sheet_title(item.sheet, lang))}!{ref}")
        title = _quote(form.sheet_title("lists", lang))
        for col, lst in enumerate(form.LISTS):
            first, last = _absolute(a1(1, col)), _absolute(a1(len(lst.options), col))
            wb.define_name(lst.name, f"={title}!{first}:{last}")


def _parts(given, cells: int) -> list:
    """The cells' values of a field typed over `cells` cells: a list as given, a long text split at line
    breaks (form.split_text), anything else in the first cell."""
    if isinstance(given, (list, tuple)):
        if len(given) > cells:
            raise ValueError(f"{len(given)} parts for {cells} cells")
        return list(given)
    if isinstance(given, str) and cells > 1:
        return form.split_text(given, cells)
    return [given]


def _money(comp: form.Computed) -> bool:
    """Does the formula add up tenge (shown with thousands separators)?"""
    for name in comp.args:
        f = form.FIELD.get(name)
        if (f.type == "amount") if f is not None else _money(form.COMPUTED_BY_NAME[name]):
            return True
    return False


def _table_width(table: form.Table) -> float:
    return NUMBER_WIDTH + sum(f.width for f in table.columns) + sum(
        COMPUTED_WIDTH.get(c.kind, 12) for c in table.computed)


def _unit_column(f: form.Field) -> form.Field | None:
    table = form.TABLE_OF.get(f.name)
    if table is None:
        return None
    return next((c for c in table.columns if c.options == "unit"), None)
