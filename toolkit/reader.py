"""Read a filled workbook into a Report: plain data, plus findings about how it was read.

One reader serves validate and merge. It finds every field through the workbook's defined names,
falls back to the template's known cells when a name is missing or broken, reads cell values with
python-calamine (via package.py) and parses them tolerantly (values.py), recording every non-plain
reading as a finding so nothing is silently guessed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from . import form, values
from .findings import Finding
from .a1 import a1
from .package import Unreadable, open_package, parse_a1
from .package import range_cells as _range_cells
from .package import resolve_ref as _resolve_ref


@dataclass
class Row:
    """One filled row of a table."""
    index: int                                          # 1-based position in the table
    values: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)  # field name -> A1
    parsed: dict[str, values.Parsed] = field(default_factory=dict)
    filled_down: set[str] = field(default_factory=set)   # task/activity taken from the row above


@dataclass
class FormulaCell:
    name: str
    sheet: str
    cell: str
    row: int | None          # table row (1-based) or None
    has_formula: bool
    cached: Any
    error: str | None = None   # the cached result is a spreadsheet error ("#NUM!"); cached is then None
    calculated: bool = True    # False: the file stores no result at all (written by a non-calculating tool)


@dataclass
class Report:
    path: str
    sha256: str = ""
    size: int = 0
    template_id: str | None = None
    template_version: str | None = None
    lang: str | None = None
    check_url: str | None = None          # the operator's self-check page, when the template names one
    has_macros: bool = False
    layout: form.Layout | None = None     # the cells of the workbook's template version
    values: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    parts: dict[str, list] = field(default_factory=dict)    # a narrative typed over cells: each cell, raw
    parsed: dict[str, values.Parsed] = field(default_factory=dict)
    where: dict[str, tuple[str, str]] = field(default_factory=dict)     # name -> (sheet title, A1)
    tables: dict[str, list[Row]] = field(default_factory=dict)
    table_sheet: dict[str, str] = field(default_factory=dict)           # table key -> sheet title
    formulas: list[FormulaCell] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped_rows: dict[str, set[int]] = field(default_factory=dict)     # table key -> rows not read (layout)
    readable: bool = False    # False when the file could not be read as a report at all
    # The file's bytes as vetted and read (read(keep_data=True)): what the checked copy is made of.
    data: bytes | None = field(default=None, repr=False, compare=False)
    sheet_titles: list[str] = field(default_factory=list)   # every sheet of the workbook, in order

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def locate(self, name: str) -> tuple[str | None, str | None]:
        return self.where.get(name, (None, None))

    def is_final(self) -> bool:
        return self.values.get("report_type") != "interim"


def read(path, keep_data: bool = False, unknown_versions: form.Layout | None = None) -> Report:
    """Read `path` into a Report. Never raises for bad input: problems become findings. With keep_data,
    report.data keeps the bytes that were vetted and read (the file is read once).

    `unknown_versions`: read a workbook of this template with a version esep does not know at this
    layout's cells (by its defined names first) instead of stopping; it keeps its template-unknown
    finding. `esep upgrade` uses it to carry such a workbook into the current template."""
    report = Report(path=str(path))
    try:
        with open_package(path) as pkg:
            report.sha256, report.size, report.has_macros = pkg.sha256, pkg.size, pkg.has_macros
            if keep_data:
                report.data = pkg.data
            report.sheet_titles = [s.title for s in pkg.sheets]
            _read_package(pkg, report, unknown_versions)
    except Unreadable as exc:
        report.readable = False
        report.findings.append(Finding("file-unreadable", value=exc.detail or None,
                                       params={"reason": exc.reason}))
        if not report.sha256:
            report.sha256 = file_sha256(path)
    return report


def file_sha256(path) -> str:
    """SHA-256 of a file's bytes ("" when it cannot be read or is not a regular file: a FIFO or device
    is never read)."""
    import hashlib

    from .package import open_regular
    try:
        h = hashlib.sha256()
        with open_regular(path) as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    except OSError:
        return ""


# Sheets that carry inputs (their protection matters); the guide and hidden sheets do not.
FORM_SHEETS = tuple(dict.fromkeys(f.sheet for f in form.ALL_FIELDS))


# What this module remembers from file to file (a merge reads thousands of workbooks of one template,
# which carry the same names, ranges and many of the same values). One policy: functools caches, each
# bounded: by the form where the key comes from the form (parsers, option lists: a handful), by a size
# where it comes from the workbook (references, cells, typed values), and nothing big is kept (ranges
# of more than TEMPLATE_RANGE cells, long texts). No cache is keyed by an object's id().
TEMPLATE_RANGE = 1000     # cells: the template's columns have 150 at most
_REMEMBERED = 4096        # entries of each size-bounded cache


@lru_cache(maxsize=_REMEMBERED)
def _resolve(formula: str):
    return _resolve_ref(formula)


def resolve_ref(formula):
    """package.resolve_ref, remembered: every workbook of the template carries the same names."""
    return _resolve(formula) if isinstance(formula, str) else None


class _NotRemembered(Exception):
    def __init__(self, cells: tuple[str, ...]):
        self.cells = cells


@lru_cache(maxsize=_REMEMBERED)
def _template_range(ref: str) -> tuple[str, ...]:
    cells = tuple(_range_cells(ref))
    if len(cells) > TEMPLATE_RANGE:
        raise _NotRemembered(cells)    # an exception is not cached: a huge range is not kept
    return cells


def range_cells(ref: str) -> tuple[str, ...]:
    """package.range_cells as a tuple, remembered for ranges of template size. ValueError as there."""
    try:
        return _template_range(ref)
    except _NotRemembered as big:
        return big.cells


@lru_cache(maxsize=16 * _REMEMBERED)   # 'B6' -> (5, 1): the same few thousand cells in every file
def _position(cell: str) -> tuple[int, int]:
    return parse_a1(cell)


@lru_cache(maxsize=_REMEMBERED)
def _shape(cells: tuple[str, ...]) -> tuple:
    """("column", first row, column, count) for a vertical run of cells, else ("cells", positions)."""
    positions = [_position(cell) for cell in cells]
    r0, c0 = positions[0] if positions else (0, 0)
    if all(rc == (r0 + k, c0) for k, rc in enumerate(positions)):
        return ("column", r0, c0, len(positions))
    return ("cells", tuple(positions))


class _Grid:
    """Cell access by A1 on sheets of one package, each sheet read once."""

    def __init__(self, pkg):
        self.pkg = pkg
        self.cache: dict[str, list[list]] = {}

    def _grid(self, sheet: str) -> list[list]:
        grid = self.cache.get(sheet)
        if grid is None:
            grid = self.cache[sheet] = self.pkg.values(sheet)
        return grid

    def value(self, sheet: str, cell: str) -> Any:
        grid = self._grid(sheet)
        r, c = _position(cell)
        if r < len(grid):
            row = grid[r]
            if c < len(row):
                v = row[c]
                return None if v == "" else v
        return None

    def column(self, sheet: str, cells: tuple[str, ...]) -> list[Any]:
        """Values of cells (A1) of one sheet; None for an empty cell."""
        grid = self._grid(sheet)
        if cells.__class__ is not tuple:
            cells = tuple(cells)
        shape = _shape(cells) if len(cells) <= TEMPLATE_RANGE else _shape.__wrapped__(cells)
        if shape[0] == "column":
            _, r0, c, n = shape
            out = [(row[c] if c < len(row) else None) for row in grid[r0:r0 + n]]
            out = [None if v == "" else v for v in out]
            if len(out) < n:
                out.extend([None] * (n - len(out)))
            return out
        out = []
        height = len(grid)
        for r, c in shape[1]:
            v = None
            if r < height:
                row = grid[r]
                if c < len(row):
                    v = row[c]
                    if v == "":
                        v = None
            out.append(v)
        return out


def _read_package(pkg, report: Report, unknown_versions: form.Layout | None = None) -> None:
    grid = _Grid(pkg)
    titles = {s.title for s in pkg.sheets}

    # 1. Which template is this?
    meta, meta_at = {}, {}
    for f in form.META_FIELDS:   # _meta has kept its cells in every version
        loc = _locate_single(pkg, f, titles, None, form.CURRENT_LAYOUT)
        meta[f.name] = grid.value(*loc[:2]) if loc else None
        meta_at[f.name] = loc[:2] if loc else (None, None)
    template_id = meta.get("meta_template_id")
    if "_meta" not in titles and not template_id:
        report.findings.append(Finding("template-unknown", params={"reason": _NO_META}))
        return
    if str(template_id or "").strip() != form.TEMPLATE_ID:
        report.findings.append(Finding("template-unknown", value=template_id,
                                       expected=form.TEMPLATE_ID,
                                       params={"reason": _other_template(template_id)}))
        return
    report.template_id = form.TEMPLATE_ID
    version = str(meta.get("meta_template_version") or "").strip()
    report.template_version = version or None
    lang = str(meta.get("meta_lang") or "").strip().lower()
    report.lang = lang if lang in form.LANGS else None
    report.check_url = str(meta.get("meta_check_url") or "").strip() or None
    layout = form.layout(version)
    if layout is None:
        # Not a version esep knows (a newer esep's, or a hand-edited one): its cells are unknown.
        report.findings.append(Finding("template-unknown", value=version,
                                       expected=form.TEMPLATE_VERSION,
                                       params={"reason": unknown_version_reason(version)}))
        if unknown_versions is None:
            return
        layout = unknown_versions
    report.layout = layout
    if form.layout(version) not in (None, form.CURRENT_LAYOUT):
        sheet, cell = meta_at["meta_template_version"]
        report.findings.append(Finding("template-outdated", sheet=sheet, cell=cell,
                                       field="meta_template_version", value=version,
                                       expected=form.TEMPLATE_VERSION))
    report.readable = True
    missing_names: list[tuple[str, str, str]] = []
    # Names that point elsewhere than the layout (another sheet, column, rows or length than the other
    # names of their sheet and table say) are replaced by the layout's cells, and named.
    names = _audited_names(pkg, titles, report, layout)

    # 2. Single cells (those the workbook's version has).
    for f in form.SINGLE_FIELDS:
        if not layout.has(f.name):
            continue
        if layout.place(f.name)[2]:
            _read_spread(pkg, grid, f, report, titles, missing_names, names)
            continue
        loc = _locate_single(pkg, f, titles, report.lang, layout, names)
        if loc is None:
            report.findings.append(Finding("layout-changed", field=f.name,
                                           params={"reason": _sheet_missing(f.sheet)}))
            continue
        sheet, cell, by_name = loc
        if not by_name:
            missing_names.append((f.name, sheet, cell))
        _set_single(report, f, grid.value(sheet, cell), sheet, cell)

    # 3. Tables.
    for table in form.TABLES:
        _read_table(pkg, grid, table, report, titles, missing_names, names)

    # 4. Formula cells: still formulas? what did the file cache?
    for comp in form.COMPUTED:
        _read_formula_cells(pkg, grid, comp, report, titles, names)

    if missing_names:
        name, sheet, cell = missing_names[0]
        report.findings.append(Finding("names-missing", sheet=sheet, cell=cell, field=name,
                                       params={"count": len(missing_names)}))

    # 5. Protection switched off on a form sheet; the workbook's own locks; sheets added, renamed, removed.
    no_password = []
    for key in FORM_SHEETS:
        title = _sheet_title(key, titles, report.lang, layout)
        if title and not pkg.sheet_protected(title):
            report.findings.append(Finding("protection-removed", sheet=title))
        elif title and not pkg.sheet_has_password(title):
            no_password.append(title)
    _workbook_locks(pkg, report, layout, no_password)
    if report.has_macros:
        report.findings.append(Finding("macros-present"))


def _workbook_locks(pkg, report: Report, layout, no_password: list[str]) -> None:
    """workbook-unlocked (what of the template's locks is gone) and sheets-changed (its sheets)."""
    lost = []
    if not pkg.workbook_protected:
        lost.append(_LOCKS["structure"])
    shown = [s.title for s in pkg.sheets if s.state == "visible" and s.title in
             {layout.sheet_title(k, lang) for k in ("lists", "meta") if k in layout.titles for lang in form.LANGS}]
    if shown:
        lost.append(_with(_LOCKS["hidden"], ", ".join(shown)))
    if no_password:
        lost.append(_with(_LOCKS["password"], ", ".join(no_password)))
    if lost:
        report.findings.append(Finding("workbook-unlocked", params={"what": form.Text(
            *("; ".join(t.get(lang) for t in lost) for lang in ("kk", "ru", "en")))}))
    have = [s.title for s in pkg.sheets]
    # The workbook's language, else the one whose sheet titles it has most of.
    lang = report.lang or max(form.LANGS, key=lambda g: sum(layout.sheet_title(k, g) in have for k in layout.titles))
    expected = [layout.sheet_title(k, lang) for k in layout.titles]
    missing = [t for t in dict.fromkeys(expected) if t not in have]
    validation_titles = set(form.VALIDATION_SHEET.get(lang) for lang in form.LANGS) \
        if hasattr(form, "VALIDATION_SHEET") else set()
    added = [t for t in have if t not in expected and t not in validation_titles
             and not any(t == layout.sheet_title(k, lang) for k in layout.titles for lang in form.LANGS)]
    if missing or added:
        report.findings.append(Finding(
            "sheets-changed", severity="warning" if missing else "info",
            value=", ".join(added) or None, expected=", ".join(missing) or None,
            params={"missing": ", ".join(missing) or "—", "added": ", ".join(added) or "—"}))


def _with(text: form.Text, detail: str) -> form.Text:
    return form.Text(*(f"{text.get(lang)} ({detail})" for lang in ("kk", "ru", "en")))


_LOCKS = {
    "structure": form.Text("кітап құрылымының қорғауы алынған: парақтарды қосуға, атын өзгертуге, жоюға болады",
                           "снята защита структуры книги: листы можно добавлять, переименовывать и удалять",
                           "workbook structure protection is off: sheets can be added, renamed and removed"),
    "hidden": form.Text("жасырын қызметтік парақтар көрінеді", "скрытые служебные листы стали видимыми",
                        "the hidden service sheets are visible"),
    "password": form.Text("парақтардың қорғауында құпиясөз жоқ, оны бір басумен алып тастауға болады",
                          "защита листов без пароля, её можно снять одним щелчком",
                          "sheet protection has no password and can be lifted with one click"),
}


def _read_spread(pkg, grid, f: form.Field, report: Report, titles, missing_names, names=None) -> None:
    """A narrative typed over several cells of one column: one text, the non-blank cells joined."""
    loc = _locate_column(pkg, f, titles, report.lang, report.layout, names)
    if loc is None:
        report.findings.append(Finding("layout-changed", field=f.name,
                                       params={"reason": _sheet_missing(f.sheet)}))
        return
    sheet, cells, by_name = loc
    if not by_name:
        missing_names.append((f.name, sheet, cells[0]))
    parts = grid.column(sheet, cells)
    report.parts[f.name] = parts
    _set_single(report, f, form.join_parts(parts), sheet, cells[0])
    for cell, part in zip(cells, parts):
        if isinstance(part, str) and len(part) > PRINTABLE_CHARS:
            report.findings.append(Finding("text-overflows-print", sheet=sheet, cell=cell, field=f.name,
                                           value=len(part), expected=form.NARRATIVE_CELL_CHARS))


# A cell of the page-wide narrative column prints about this many characters before the page (or
# Excel's 409-pt row) cuts it; the template asks for NARRATIVE_CELL_CHARS to leave room for line breaks.
PRINTABLE_CHARS = 2000


def _set_single(report: Report, f: form.Field, raw, sheet: str, cell: str) -> None:
    report.where[f.name] = (sheet, cell)
    report.raw[f.name] = raw
    parsed = parser_of(f)(raw)
    report.parsed[f.name] = parsed
    report.values[f.name] = parsed.value
    report.findings.extend(_reading_findings(f, parsed, raw, sheet, cell, None))


def unknown_version_reason(version: str) -> form.Text:
    current = form.TEMPLATE_VERSION
    return form.Text(
        f"үлгінің {version} нұсқасы esep-ке белгісіз; есепті {current} үлгісіне толтырыңыз немесе деректерді "
        f"көшіруді грант операторынан сұраңыз («esep upgrade»)",
        f"версия шаблона {version} неизвестна esep; заполните отчёт в шаблоне {current} или попросите "
        f"оператора грантов перенести данные («esep upgrade»)",
        f"template version {version} is not one esep knows; copy your data into template {current} "
        f"(`esep upgrade`)")


def _sheet_title(key: str, titles: set[str], lang: str | None, layout: form.Layout) -> str | None:
    """The title of a form sheet in this workbook: its language first, then any language."""
    for candidate in ([lang] if lang else []) + list(form.LANGS):
        title = layout.sheet_title(key, candidate)
        if title in titles:
            return title
    return None


def _locate_single(pkg, f, titles, lang, layout, names=None) -> tuple[str, str, bool] | None:
    """(sheet title, A1, found by name) of a single-cell field."""
    ref = (pkg.names if names is None else names).get(f.name)
    if ref:
        resolved = resolve_ref(ref)
        if resolved and resolved[0] in titles and ":" not in resolved[1]:
            return resolved[0], resolved[1].replace("$", ""), True
    sheet, cell, _ = layout.place(f.name)
    title = _sheet_title(sheet, titles, lang, layout)
    if title is None:
        return None
    return title, cell, False


def _locate_column(pkg, f, titles, lang, layout, names=None) -> tuple[str, list[str], bool] | None:
    ref = (pkg.names if names is None else names).get(f.name)
    if ref:
        resolved = resolve_ref(ref)
        if resolved and resolved[0] in titles:
            first, _, last = resolved[1].replace("$", "").partition(":")
            one_column = first.rstrip("0123456789") == (last or first).rstrip("0123456789")
            cells = _cells_or_none(resolved[1]) if one_column else None
            if cells:
                return resolved[0], cells, True
    sheet, first, last = layout.place(f.name)
    title = _sheet_title(sheet, titles, lang, layout)
    if title is None:
        return None
    return title, range_cells(f"{first}:{last}"), False


def _audited_names(pkg, titles, report: Report, layout) -> dict[str, str]:
    """pkg.names with every name that lies replaced by the layout's cells (a name-moved finding each).

    A name lies when it points at another sheet than its field's, or, among the names of its sheet (for a
    table: of its table), at another column, other rows or another length than the others say: Excel moves
    every name of a sheet together when rows or columns are inserted, so the shift most names agree on is
    the sheet's real one, and a name that disagrees was re-pointed. Its field is then read from the
    layout's cells moved by that shift. A single cell is judged by its column, by not sharing a cell with
    another name, and, inside its sheet's list, by its row moving with both neighbours."""
    names = pkg.names
    found: dict[str, tuple] = {}      # name -> (sheet key, title, r1, c1, r2, c2, lr1, lc1, lr2, lc2)
    for name, (key, first, last) in layout.places.items():
        if key == "meta" or name not in names:
            continue
        resolved = resolve_ref(names[name])
        if not resolved:
            continue                  # missing or broken: names-missing, read from the layout
        try:
            a, _, b = resolved[1].partition(":")
            (r1, c1), (r2, c2) = _position(a), _position(b or a)
            (lr1, lc1), (lr2, lc2) = _position(first), _position(last or first)
        except ValueError:
            continue
        found[name] = (key, resolved[0], r1, c1, r2, c2, lr1, lc1, lr2, lc2)
    if not found:
        return names
    liars: dict[str, str] = {}        # name -> why (a key of _MOVED)
    own_titles = {key: {layout.sheet_title(key, lang) for lang in form.LANGS} for key in layout.titles}
    for name, (key, title, *_rest) in found.items():
        if title not in own_titles.get(key, ()) or title not in titles:
            liars[name] = "sheet"

    def mode(xs):
        return max(sorted(set(xs)), key=xs.count) if xs else 0

    col_shift: dict[str, int] = {}
    for key in layout.titles:
        members = [n for n, v in found.items() if v[0] == key and n not in liars]
        col_shift[key] = mode([found[n][3] - found[n][7] for n in members])
        for n in members:
            v = found[n]
            if v[3] - v[7] != col_shift[key] or v[5] - v[3] != v[9] - v[7]:
                liars[n] = "column"
    row_shift: dict[str, tuple[int, int]] = {}
    tables = [(t, [f.name for f in t.columns] + [c.name for c in t.computed]) for t in form.TABLES]
    tables = [(t, ns + ([form.SUBGRANT_TOTAL.name] if t is form.SUBGRANTS else [])) for t, ns in tables]
    for table, table_names in tables:
        members = [n for n in table_names if n in found and n not in liars
                   and n != form.SUBGRANT_TOTAL.name]
        shift = mode([found[n][2] - found[n][6] for n in members])
        extra = mode([(found[n][4] - found[n][2]) - (found[n][8] - found[n][6]) for n in members])
        for n in members:
            v = found[n]
            if v[2] - v[6] != shift:
                liars[n] = "rows"
            elif (v[4] - v[2]) - (v[8] - v[6]) != extra:
                liars[n] = "length"
        for n in table_names:
            row_shift[n] = (shift, extra)
        total = form.SUBGRANT_TOTAL.name
        if total in table_names and total in found and total not in liars:
            v = found[total]          # the total sits below the column: it moves with its last row
            if v[2] - v[6] != shift + extra:
                liars[total] = "rows"
            row_shift[total] = (shift + extra, 0)
    singles = [n for n in found if n not in row_shift]
    by_sheet: dict[str, list[str]] = {}
    for n in sorted(singles, key=lambda n: (found[n][6], found[n][7])):
        by_sheet.setdefault(found[n][0], []).append(n)
    for key, members in by_sheet.items():
        ok = [n for n in members if n not in liars]
        at: dict[tuple, list[str]] = {}
        for n in ok:
            at.setdefault((found[n][2], found[n][3]), []).append(n)
        for shared in at.values():
            if len(shared) > 1:       # two names on one cell: the one away from its own row is moved
                for n in shared:
                    if found[n][2] != found[n][6]:
                        liars[n] = "shared"
        ok = [n for n in ok if n not in liars]
        deltas = [found[n][2] - found[n][6] for n in ok]
        for i in range(1, len(ok) - 1):
            if deltas[i - 1] == deltas[i + 1] != deltas[i]:
                liars[ok[i]] = "rows"
    if not liars:
        return names
    out = dict(names)
    for name, why in sorted(liars.items(), key=lambda kv: (found[kv[0]][0], found[kv[0]][6], found[kv[0]][7])):
        key, title, r1, c1, r2, c2, lr1, lc1, lr2, lc2 = found[name]
        candidates = ([layout.sheet_title(key, report.lang)] if report.lang else []) + sorted(own_titles[key])
        sheet_title = next((t for t in candidates if t in titles), None)
        if sheet_title is None:
            out.pop(name, None)        # its sheet is gone: read as a missing name
            continue
        dc = col_shift.get(key, 0)
        if name in row_shift:
            dr, extra = row_shift[name]
        else:
            ok = [n for n in by_sheet.get(key, []) if n not in liars]
            before = [n for n in ok if found[n][6] <= lr1]
            dr = (found[before[-1]][2] - found[before[-1]][6]) if before else (
                found[ok[0]][2] - found[ok[0]][6] if ok else 0)
            extra = 0
        try:
            first, last = a1(lr1 + dr, lc1 + dc), a1(lr2 + dr + extra, lc2 + dc)
        except ValueError:            # the others' shift would leave the sheet: the template's own cells
            first, last = a1(lr1, lc1), a1(lr2, lc2)
        ref = first if (lr1, lc1) == (lr2, lc2) else f"{first}:{last}"
        out[name] = "'" + sheet_title.replace("'", "''") + "'!" + ref
        report.findings.append(Finding("name-moved", sheet=sheet_title, cell=first, field=name,
                                       value=names[name], expected=out[name],
                                       params={"why": _MOVED[why]}))
    return out


_MOVED = {
    "sheet": form.Text("басқа параққа", "на другой лист", "to another sheet"),
    "column": form.Text("басқа бағанға", "на другой столбец", "to another column"),
    "rows": form.Text("басқа жолдарға", "на другие строки", "to other rows"),
    "length": form.Text("ұзындығы басқа ауқымға", "на диапазон другой длины", "to a range of another length"),
    "shared": form.Text("басқа өрістің ұяшығына", "на ячейку другого поля", "to another field's cell"),
}


def _cells_or_none(ref: str) -> list[str] | None:
    """The cells of a defined name's range, or None when it is malformed or absurdly large."""
    try:
        return range_cells(ref.replace("$", ""))
    except ValueError:
        return None


def _read_table(pkg, grid, table: form.Table, report: Report, titles, missing_names, names=None) -> None:
    columns: dict[str, tuple[str, list[str]]] = {}
    for f in table.columns:
        if not report.layout.has(f.name):
            continue
        loc = _locate_column(pkg, f, titles, report.lang, report.layout, names)
        if loc is None:
            continue
        sheet, cells, by_name = loc
        if not by_name:
            missing_names.append((f.name, sheet, cells[0]))
        columns[f.name] = (sheet, cells)
    if not columns:
        report.findings.append(Finding("layout-changed", params={"reason": _table_missing(table)}))
        report.tables[table.key] = []
        return
    lengths = {len(cells) for _, cells in columns.values()}
    if len(lengths) > 1:
        report.findings.append(Finding(
            "layout-changed", sheet=next(iter(columns.values()))[0],
            params={"reason": _columns_unequal(table, lengths)}))
    sheet = next(iter(columns.values()))[0]
    report.table_sheet[table.key] = sheet
    raw_rows = []
    fetched = [(name, cells, grid.column(sheet, cells)) for name, (_, cells) in columns.items()]
    if len(lengths) == 1:
        # Rows as dicts built by zip (C loops): the usual case, every column as long as the table.
        names = list(columns)
        for row_vals, row_cells in zip(zip(*(vals for _, _, vals in fetched)),
                                       zip(*(cells for _, cells, _ in fetched))):
            if row_vals.count(None) == len(row_vals):
                raw_rows.append((None, None))     # an empty row: nothing to parse
            else:
                raw_rows.append((dict(zip(names, row_vals)), dict(zip(names, row_cells))))
    else:
        height = max(lengths)
        padded = [vals + [None] * (height - len(vals)) for _, _, vals in fetched]
        for i, row_vals in enumerate(zip(*padded)):
            if row_vals.count(None) == len(row_vals):
                raw_rows.append((None, None))
                continue
            raw_row, cells_row = {}, {}
            for name, cells, vals in fetched:
                if i < len(cells):
                    raw_row[name] = vals[i]
                    cells_row[name] = cells[i]
            raw_rows.append((raw_row, cells_row))
    header_at = _header_inside(table, raw_rows)
    if header_at is not None:
        cells_row = raw_rows[header_at][1]
        report.findings.append(Finding("layout-changed", sheet=sheet, cell=next(iter(cells_row.values()), None),
                                       params={"reason": _HEADER_INSIDE}))
        for i in range(header_at + 1):     # the header and whatever stood above it in the template
            raw_rows[i] = (None, None)
            report.skipped_rows.setdefault(table.key, set()).add(i + 1)
    report.tables[table.key] = _build_rows(table, raw_rows, sheet, report)


# Reasons in the user's words (the finding's {reason}); never a field name or an English phrase.
_NO_META = form.Text("үлгінің қызметтік парағы жоқ: файл басқа кестеден жасалған",
                     "нет служебного листа шаблона: файл сделан из другой таблицы",
                     "the template's _meta sheet is missing: the file was made from another workbook")


def _other_template(template_id) -> form.Text:
    return form.Text(f"бұл басқа үлгі: «{template_id}»", f"это другой шаблон: «{template_id}»",
                     f"another template: «{template_id}»")


def _newer_template(version: str) -> form.Text:
    return form.Text(
        f"үлгінің {version} нұсқасы esep бағдарламасының осы нұсқасынан жаңа; esep-ті жаңартыңыз",
        f"версия шаблона {version} новее этой версии esep; обновите esep",
        f"template version {version} is newer than this esep; update esep")


def _sheet_missing(key: str) -> form.Text:
    kk, ru = form.SHEET[key].title.kk, form.SHEET[key].title.ru
    return form.Text(f"«{kk}» парағы табылмады", f"не найден лист «{ru}»", f"sheet «{form.SHEET[key].title.en}» not found")


def _table_missing(table) -> form.Text:
    return form.Text(f"«{table.label.kk}» кестесі табылмады", f"не найдена таблица «{table.label.ru}»",
                     f"table «{table.label.en}» not found")


def _columns_unequal(table, lengths) -> form.Text:
    shown = ", ".join(str(n) for n in sorted(lengths))
    return form.Text(f"«{table.label.kk}» кестесінің бағандары әртүрлі ұзындықта (жол: {shown})",
                     f"столбцы таблицы «{table.label.ru}» разной длины (строк: {shown})",
                     f"the columns of table «{table.label.en}» differ in length (rows: {shown})")


_HEADER_INSIDE = form.Text(
    "кестенің тақырып жолы деректер аймағында тұр (кестенің үстіне жол қосылған, ал атаулы ауқымдар "
    "жаңартылмаған); ол жол және оның үстіндегілер дерек ретінде оқылмады",
    "строка заголовков таблицы оказалась в области данных (над таблицей вставлена строка, а именованные "
    "диапазоны не обновлены); она и строки над ней не читались как данные",
    "the table's header row is inside its data area (a row was inserted above the table and the defined "
    "names were not updated); it and the rows above it were not read as data",
)
_HEADER_ROWS_SEARCHED = 5
_HEADINGS: dict[str, dict[str, set[str]]] = {}


def _header_inside(table: form.Table, raw_rows) -> int | None:
    """Index of a raw row near the top that holds the table's own column headings (in any language): a
    row inserted above the table pushed the heading into the cells the names or the template point at."""
    labels = _HEADINGS.get(table.key)
    if labels is None:   # the headings as the template writes them
        labels = _HEADINGS[table.key] = {f.name: {f.label.get(lang).strip() for lang in ("kk", "ru", "en")}
                                         for f in table.columns}
    for i, (raw_row, _) in enumerate(raw_rows[:_HEADER_ROWS_SEARCHED]):
        if raw_row is None:
            continue
        hits = sum(1 for name, raw in raw_row.items()
                   if raw.__class__ is str and raw.strip() in labels.get(name, ()))
        if hits >= max(3, len(raw_row) // 2):
            return i
    return None


def _build_rows(table: form.Table, raw_rows, sheet: str, report: Report) -> list[Row]:
    """Parse a table's raw rows into filled Rows. Each raw row is a pair of dicts, field name -> raw
    value and -> A1, with the table's columns in order (those the workbook has); the Row keeps them."""
    rows: list[Row] = []
    previous: dict[str, Any] = {}
    parsers = {f.name: parser_of(f) for f in table.columns}
    fields = {f.name: f for f in table.columns}
    is_blank = values.is_blank
    findings = report.findings
    for i, (raw_row, cells_row) in enumerate(raw_rows):
        if raw_row is None or all(is_blank(v) for v in raw_row.values()):
            continue
        row_parsed = {name: parsers[name](raw) for name, raw in raw_row.items()}
        row_values = {name: p.value for name, p in row_parsed.items()}
        row = Row(index=i + 1, values=row_values, raw=raw_row, cells=cells_row, parsed=row_parsed)
        for name, parsed in row_parsed.items():
            if parsed.error or parsed.note or parsed.value.__class__ is _Unknown:
                findings.extend(_reading_findings(fields[name], parsed, raw_row[name], sheet, cells_row[name],
                                                  i + 1))
        # An empty task or activity cell means "same as the row above" (merged cells on paper); a newly
        # typed task starts afresh, so its activity is not taken from the previous task.
        task_typed = not is_blank(raw_row.get("ind_task"))
        for name in ("ind_task", "ind_activity"):
            if (name in row_values and is_blank(raw_row.get(name)) and previous.get(name)
                    and not (name == "ind_activity" and task_typed)):
                row_values[name] = previous[name]
                row.filled_down.add(name)
        for name in ("ind_task", "ind_activity"):
            if name in row_values:
                previous[name] = row_values.get(name)
        rows.append(row)
    return rows


def report_from_raw(singles: dict[str, Any], tables: dict[str, list[dict[str, Any]]] | None = None,
                    lang: str = "kk") -> Report:
    """A Report built from raw values as a person would type them into the template (no file).

    `singles` maps single-field names to raw values; `tables` maps a table key ("ind", "partner",
    "subgrant") to its rows, each a dict of column name -> raw value. Cells are the template's own.
    Used to write filled workbooks with correct cached formula results.
    """
    report = Report(path="", template_id=form.TEMPLATE_ID, template_version=form.TEMPLATE_VERSION,
                    lang=lang, readable=True, layout=form.CURRENT_LAYOUT)
    for f in form.SINGLE_FIELDS:
        raw = singles.get(f.name)
        if isinstance(raw, (list, tuple)):
            report.parts[f.name] = list(raw)
            raw = form.join_parts(raw)
        _set_single(report, f, raw, form.sheet_title(f.sheet, lang), f.cell)
    for table in form.TABLES:
        sheet = form.sheet_title(table.sheet, lang)
        report.table_sheet[table.key] = sheet
        raw_rows = []
        for i, given in enumerate((tables or {}).get(table.key, [])):
            raw_rows.append(({f.name: given.get(f.name) for f in table.columns},
                             {f.name: f"{f.cell.rstrip('0123456789')}{table.first_row + i}"
                              for f in table.columns}))
        report.tables[table.key] = _build_rows(table, raw_rows, sheet, report)
    return report


def _read_formula_cells(pkg, grid, comp: form.Computed, report: Report, titles, names=None) -> None:
    layout = report.layout
    if not layout.has(comp.name):
        return
    ref = (pkg.names if names is None else names).get(comp.name)
    cells: list[str] | None = None
    sheet = None
    if ref:
        resolved = resolve_ref(ref)
        if resolved and resolved[0] in titles:
            sheet, cells = resolved[0], _cells_or_none(resolved[1])
    if cells is None:
        key, first, last = layout.place(comp.name)
        sheet = _sheet_title(key, titles, report.lang, layout)
        if sheet is None:
            return
        cells = range_cells(f"{first}:{last}" if last else first)
    formula_cells = pkg.formula_cells(sheet)
    errors, uncalculated = pkg.error_cells(sheet), pkg.uncalculated_cells(sheet)
    table = form.TABLE_OF.get(comp.name)
    wanted_rows = None
    if table is not None:
        wanted_rows = {r.index for r in report.tables.get(table.key, [])}
    for i, (cell, cached) in enumerate(zip(cells, grid.column(sheet, cells))):
        row = i + 1 if table is not None else None
        has_formula = cell in formula_cells
        # Table formula rows matter only where the row is filled, someone typed over the formula, or the
        # formula is gone (a row inserted into the table, or the formula cleared: layout-changed).
        if wanted_rows is not None and row not in wanted_rows and has_formula:
            continue
        if table is not None and row in report.skipped_rows.get(table.key, ()):
            continue     # template furniture inside the table (layout-changed): no formula expected
        report.formulas.append(FormulaCell(comp.name, sheet, cell, row, has_formula, cached, errors.get(cell),
                                           cell not in uncalculated))


# Parsing by field type ------------------------------------------------------------------------------

_MEMO_TEXT = 200     # longer texts (narratives) are parsed every time, never kept


@cache   # one per field type and option list
def _parser(type_: str, options: str):
    @lru_cache(maxsize=_REMEMBERED, typed=True)   # typed: 1, 1.0 and True are different raw values
    def remembered(raw):
        return _parse(type_, options, raw)

    def parse(raw):
        if raw.__class__ is str and len(raw) > _MEMO_TEXT:
            return _parse(type_, options, raw)
        try:
            return remembered(raw)
        except TypeError:  # an unhashable value from somewhere other than calamine
            return _parse(type_, options, raw)

    return parse


def parser_of(f: form.Field):
    """_parse for fields like f, remembering results: Parsed is immutable and depends only on the raw
    value (its type included) and the field's type and options. Every report repeats many values
    (0, 1, units, statuses, option labels, a task filled down), and a table has ~1 000 cells."""
    return _parser(f.type, f.options)


def _parse(t: str, options: str, raw) -> values.Parsed:
    if t == "date":
        return values.parse_date(raw)
    if t == "count":
        p = values.parse_number(raw, integer=True, dash_zero=True)
        return _bounded(_nonnegative(p), values.MAX_COUNT)
    if t == "amount":
        return _bounded(_nonnegative(values.parse_number(raw)), values.MAX_AMOUNT)
    if t == "number":
        return _bounded(_nonnegative(values.parse_number(raw)), values.MAX_AMOUNT)
    if t == "measure":
        return _bounded(values.parse_number(raw, allow_threshold=True), values.MAX_AMOUNT)
    if t == "choice":
        return _parse_choice(options, raw)
    if t == "bin":
        if values.is_blank(raw):
            return values.Parsed(blank=True)
        return values.Parsed(value=values.parse_bin(raw))
    return values.parse_text(raw)   # text, longtext, email, phone


def _bounded(p: values.Parsed, limit: int) -> values.Parsed:
    """A figure no report can hold (values.MAX_AMOUNT, MAX_COUNT) is a type-error, not a number."""
    if isinstance(p.value, (int, float)) and abs(p.value) > limit:
        return values.Parsed(value=None, error=True)
    return p


def _nonnegative(p: values.Parsed) -> values.Parsed:
    if isinstance(p.value, (int, float)) and p.value < 0:
        return values.Parsed(value=None, error=True)
    return p


class _Unknown(str):
    """A typed value that is not one of the drop-down options: kept as typed, flagged."""


_option_lookup = cache(form.option_lookup)   # one per option list


def _parse_choice(options: str, raw) -> values.Parsed:
    p = values.parse_text(raw)
    if p.blank or p.value is None:
        return p
    code = _option_lookup(options).get(form.fold(p.value))
    if code is None:
        return values.Parsed(value=_Unknown(p.value))
    return values.Parsed(value=code)


def _reading_findings(f: form.Field, parsed: values.Parsed, raw, sheet, cell, row) -> list[Finding]:
    out = []
    if parsed.error:
        out.append(Finding("type-error", sheet=sheet, cell=cell, field=f.name, row=row, value=raw,
                           params={"type": f.type if f.type in ("date", "amount", "count", "measure",
                                                                "number") else "number"}))
    elif isinstance(parsed.value, _Unknown):
        out.append(Finding("unknown-option", sheet=sheet, cell=cell, field=f.name, row=row,
                           value=str(parsed.value),
                           params={"options": form.Text(*(", ".join(form.LIST[f.options].labels(lang))
                                                          for lang in ("kk", "ru", "en")))}))
    elif parsed.note in ("text-number", "text-date", "dash-as-zero"):
        out.append(Finding(parsed.note, sheet=sheet, cell=cell, field=f.name, row=row, value=raw,
                           expected=parsed.value))
    elif parsed.note == "threshold" and f.name != "ind_fact":
        # A threshold in a plan is the plan's normal wording; note that it was read as a number.
        out.append(Finding("text-number", sheet=sheet, cell=cell, field=f.name, row=row, value=raw,
                           expected=parsed.value))
    return out

