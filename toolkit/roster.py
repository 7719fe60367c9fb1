"""The roster: who must report in a round, one row per grant agreement (and report type).

The operator keeps it as an .xlsx or a .csv. Headers are the ASCII column names below, or the form's
Kazakh/Russian labels of the same fields; regions and report types by their kk/ru label or code. A bad
roster is refused as a whole with every bad cell listed (RosterError): a round checked against a half-read
list of agreements would call reports "not in the roster" or "missing" that are neither.

    roster = load("roster.csv")
    for entry in roster.entries:
        entry.key        # (BIN, agreement_key(agreement_no), report_type)
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import form, values
from .form import Text

MAX_ROSTER_BYTES = 20 * 1024 * 1024     # a roster of 10 000 agreements is ~3 MB
# The roster is «тізбе» / «перечень» everywhere: «тізім» / «список» is a drop-down list and
# «тізілім» / «реестр» the merged register (toolkit.vocabulary.TERMS).
ROSTER_SHEET = Text("Тізбе", "Перечень", "Roster")


@dataclass(frozen=True)
class RosterColumn:
    key: str            # ASCII header (and the form's field name where there is one)
    label: Text
    type: str           # text, date, bin, amount, choice:<list>, email, phone
    required: bool
    note: Text          # the template's input message


def _form_label(name: str) -> Text:
    return form.FIELD[name].label


_C = RosterColumn
COLUMNS: tuple[RosterColumn, ...] = (
    _C("agreement_no", _form_label("agreement_no"), "text", True,
       Text("Шарттың нөмірі, шарттағыдай.", "Номер договора, как в договоре.", "As in the agreement.")),
    _C("agreement_date", _form_label("agreement_date"), "date", True,
       Text("Күн: КК.АА.ЖЖЖЖ.", "Дата: ДД.ММ.ГГГГ.", "Date: DD.MM.YYYY.")),
    _C("org_bin", _form_label("org_bin"), "bin", True,
       Text("БСН: 12 цифр, бос орынсыз.", "БИН: 12 цифр без пробелов.", "BIN: 12 digits.")),
    _C("org_name", _form_label("org_name"), "text", True,
       Text("Ұйымның толық атауы.", "Полное наименование организации.", "Full name of the NGO.")),
    _C("region", _form_label("region"), "choice:region", True,
       Text("Өңірді тізімнен таңдаңыз.", "Выберите регион из списка.", "Pick the region from the list.")),
    _C("project_name", _form_label("project_name"), "text", True,
       Text("Жобаның атауы, шарттағыдай.", "Название проекта, как в договоре.", "As in the agreement.")),
    _C("grant_amount", _form_label("grant_amount"), "amount", True,
       Text("Грант сомасы, теңге, бүтін сан.", "Сумма гранта, тенге, целое число.", "Whole tenge.")),
    _C("period_start", _form_label("period_start"), "date", True,
       Text("Кезеңнің басы: КК.АА.ЖЖЖЖ.", "Начало периода: ДД.ММ.ГГГГ.", "Date: DD.MM.YYYY.")),
    _C("period_end", _form_label("period_end"), "date", True,
       Text("Кезеңнің соңы: КК.АА.ЖЖЖЖ.", "Конец периода: ДД.ММ.ГГГГ.", "Date: DD.MM.YYYY.")),
    _C("due_date", Text("Есепті тапсыру мерзімі", "Срок сдачи отчёта", "Report due date"), "date", True,
       Text("Есеп осы күнге дейін (қоса алғанда) келуі тиіс.", "Отчёт должен поступить не позднее этой даты.",
            "The report is due on or before this date.")),
    _C("report_type", _form_label("report_type"), "choice:report_type", False,
       Text("Бос болса – қорытынды есеп күтіледі.", "Если пусто – ожидается итоговый отчёт.",
            "Blank means the final report.")),
    _C("org_email", _form_label("org_email"), "email", False,
       Text("Байланыс үшін.", "Для связи.", "For contact.")),
    _C("org_phone", _form_label("org_phone"), "phone", False,
       Text("Байланыс үшін.", "Для связи.", "For contact.")),
    _C("program", Text("Бағдарлама", "Программа", "Program"), "text", False,
       Text("Грант бағдарламасы (міндетті емес).", "Грантовая программа (необязательно).",
            "Grant programme (optional).")),
)
COLUMN = {c.key: c for c in COLUMNS}
REQUIRED = tuple(c.key for c in COLUMNS if c.required)
# Header fields of the report that the roster fills in `esep issue` and checks in `merge --roster`.
HEADER_KEYS = tuple(c.key for c in COLUMNS if c.key in form.FIELD)


@dataclass
class Entry:
    """One roster row: `line` is its row in the file (1-based, header included)."""
    line: int
    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values.get(key)

    @property
    def report_type(self) -> str:
        return self.values.get("report_type") or "final"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.values["org_bin"], values.agreement_key(self.values["agreement_no"]), self.report_type)


@dataclass
class Roster:
    path: str
    entries: list[Entry] = field(default_factory=list)


# Problems -------------------------------------------------------------------------------------------

PROBLEMS = {
    "required": Text("міндетті мән бос", "не заполнено обязательное значение", "a required value is blank"),
    "date": Text("күн емес (КК.АА.ЖЖЖЖ күтіледі)", "не дата (ожидается ДД.ММ.ГГГГ)",
                 "not a date (DD.MM.YYYY expected)"),
    "bin": Text("БСН дұрыс емес (12 цифр, бақылау цифры)", "неверный БИН (12 цифр, контрольная цифра)",
                "invalid BIN (12 digits, check digit)"),
    "amount": Text("сан емес немесе 0-ден кіші", "не число или меньше 0", "not a number, or below 0"),
    "choice": Text("тізімде жоқ мән", "значения нет в списке", "not one of the list's values"),
    "duplicate": Text("бұл шарт ({value}) тізбеде екі рет бар: {other}-жолды қараңыз",
                      "этот договор ({value}) указан в перечне дважды: см. строку {other}",
                      "this agreement ({value}) is listed twice: see row {other}"),
    "period": Text("кезеңнің соңы басынан ерте", "конец периода раньше начала", "period ends before it starts"),
    "column": Text("міндетті баған жоқ: {label}", "нет обязательного столбца: {label}",
                   "a required column is missing: {label}"),
    "header": Text("бағанның тақырыбы екі рет кездеседі", "заголовок столбца повторяется",
                   "a column heading appears twice"),
    "empty": Text("тізбеде бірде-бір жол жоқ", "в перечне нет ни одной строки", "the roster has no rows"),
    "file": Text("файлды оқу мүмкін емес: {value}", "файл нельзя прочитать: {value}",
                 "the file cannot be read: {value}"),
    "encoding": Text("CSV UTF-8 кодталмаған: «CSV UTF-8» ретінде сақтаңыз",
                     "CSV не в кодировке UTF-8: сохраните как «CSV UTF-8»",
                     "the CSV is not UTF-8: save it as 'CSV UTF-8'"),
}
NEXT_STEP = Text("Тізбені түзетіп, команданы қайта іске қосыңыз.",
                 "Исправьте перечень и запустите команду снова.",
                 "Fix the roster and run the command again.")


@dataclass(frozen=True)
class Problem:
    row: int | None          # 1-based row of the file (None: the whole file)
    column: str | None       # ASCII column key
    cell: str | None         # A1 of the cell
    value: Any
    kind: str                # key of PROBLEMS
    params: dict = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        text = PROBLEMS[self.kind].get(lang)
        label = COLUMN[self.column].label.get(lang) if self.column in COLUMN else ""
        return text.format(value=self.value, label=f"{self.column} («{label}»)", **self.params)

    def to_dict(self, lang: str = "en") -> dict:
        value = self.value
        if isinstance(value, (_dt.date, _dt.datetime)):
            value = value.isoformat()
        elif value is not None and not isinstance(value, (int, float, str, bool)):
            value = str(value)
        return {"row": self.row, "column": self.column, "cell": self.cell, "value": value,
                "problem": self.kind, "message": self.message(lang)}

    def where(self, lang: str = "en") -> str:
        words = {"kk": "жол", "ru": "строка", "en": "row"}[lang if lang in ("kk", "ru") else "en"]
        if self.row is None:
            return ""
        if self.kind == "column":
            return f"{words} {self.row}"
        return f"{words} {self.row}" + (f", {self.column}" if self.column else "") + (
            f" ({self.cell})" if self.cell else "")


class RosterError(Exception):
    """The roster cannot be used; `problems` lists every bad row and cell."""

    def __init__(self, path, problems: list[Problem]):
        super().__init__(f"{path}: {len(problems)} problem(s) in the roster")
        self.path = str(path)
        self.problems = problems


# Loading --------------------------------------------------------------------------------------------

def load(path) -> Roster:
    """Read and check a roster (.xlsx/.xlsm or .csv). Raises RosterError listing every problem."""
    path = Path(path)
    grid = _grid(path)
    problems: list[Problem] = []
    header_at = next((i for i, row in enumerate(grid) if any(not values.is_blank(x) for x in row)), None)
    if header_at is None:
        raise RosterError(path, [Problem(None, None, None, None, "empty")])
    header = grid[header_at]
    columns: dict[str, int] = {}
    for col, raw in enumerate(header):
        key = _HEADERS.get(_fold(raw)) if isinstance(raw, str) else None
        if key is None:
            continue   # the operator's own columns are kept out of the way, not refused
        if key in columns:
            problems.append(Problem(header_at + 1, key, _a1(header_at, col), raw, "header"))
            continue
        columns[key] = col
    for key in REQUIRED:
        if key not in columns:
            problems.append(Problem(header_at + 1, key, None, None, "column"))
    if problems:
        raise RosterError(path, problems)
    roster = Roster(str(path))
    seen: dict[tuple, int] = {}
    for r in range(header_at + 1, len(grid)):
        row = grid[r]
        if all(values.is_blank(x) for x in row) or _is_label_row(row, columns):
            continue
        entry_values: dict[str, Any] = {}
        bad = False
        for key, col in columns.items():
            raw = row[col] if col < len(row) else None
            value, kind = _parse(COLUMN[key], raw)
            if kind:
                problems.append(Problem(r + 1, key, _a1(r, col), _shown(raw), kind))
                bad = True
            entry_values[key] = value
        if bad:
            continue
        entry = Entry(r + 1, entry_values)
        if entry["period_end"] < entry["period_start"]:
            problems.append(Problem(r + 1, "period_end", _a1(r, columns["period_end"]),
                                    entry["period_end"], "period"))
            continue
        dup = (values.agreement_key(entry["agreement_no"]), entry.report_type)
        if dup in seen:
            problems.append(Problem(r + 1, "agreement_no", _a1(r, columns["agreement_no"]),
                                    entry["agreement_no"], "duplicate", {"other": seen[dup]}))
            continue
        seen[dup] = r + 1
        roster.entries.append(entry)
    if not problems and not roster.entries:
        problems.append(Problem(None, None, None, None, "empty"))
    if problems:
        raise RosterError(path, problems)
    return roster


def _is_label_row(row: list, columns: dict[str, int]) -> bool:
    """A second heading row (the template's labels under the ASCII headers): every filled mapped cell is
    its own column's heading, with or without the "(optional)" mark."""
    seen = False
    for key, col in columns.items():
        raw = row[col] if col < len(row) else None
        if values.is_blank(raw):
            continue
        text = raw if isinstance(raw, str) else ""
        for lang in ("kk", "ru", "en"):
            text = text.replace(f" ({_OPTIONAL.get(lang)})", "")
        if _HEADERS.get(_fold(text)) != key:
            return False
        seen = True
    return seen


def _fold(text) -> str:
    return " ".join(str(text).replace("\ufeff", "").split()).casefold().strip(" *:")


def _headers() -> dict[str, str]:
    out = {}
    for c in COLUMNS:
        for text in (c.key, c.label.kk, c.label.ru, c.label.en):
            out[_fold(text)] = c.key
    return out


_HEADERS = _headers()


def _parse(col: RosterColumn, raw) -> tuple[Any, str | None]:
    """(value, problem kind or None)."""
    if values.is_blank(raw):
        return None, ("required" if col.required else None)
    t = col.type
    if t == "date":
        p = values.parse_date(raw)
        return (p.value, None) if not p.error and p.value is not None else (None, "date")
    if t == "bin":
        digits = values.parse_bin(raw)
        return (digits, None) if digits and values.bin_is_valid(digits) else (None, "bin")
    if t == "amount":
        p = values.parse_number(raw)
        ok = not p.error and isinstance(p.value, (int, float)) and p.value >= 0
        return (p.value, None) if ok else (None, "amount")
    if t.startswith("choice:"):
        code = form.option_lookup(t[7:]).get(form.fold(values.parse_text(raw).value or ""))
        return (code, None) if code else (None, "choice")
    if t == "phone":
        text = values.parse_text(raw).value
        return values.normalize_phone(text) or text, None
    p = values.parse_text(raw)
    if p.error or p.value in (None, ""):
        return None, ("required" if col.required else None)
    return p.value, None


def _shown(raw):
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return raw


def _a1(row0: int, col0: int) -> str:
    from .a1 import a1
    return a1(row0, col0)


def _grid(path: Path) -> list[list]:
    """The roster's cells as a grid (row 0 = the file's first row)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RosterError(path, [Problem(None, None, None, exc.strerror or str(exc), "file")]) from None
    if size > MAX_ROSTER_BYTES:
        raise RosterError(path, [Problem(None, None, None, f"{size} bytes > {MAX_ROSTER_BYTES}", "file")])
    if path.suffix.lower() in (".csv", ".txt"):
        return _csv_grid(path)
    from .package import Unreadable, open_package

    try:
        with open_package(path) as pkg:
            sheet = next((s for s in pkg.sheets if s.state == "visible"), None)
            return pkg.values(sheet.title) if sheet else []
    except Unreadable as exc:
        raise RosterError(path, [Problem(None, None, None, exc.reason, "file")]) from None


def _csv_grid(path: Path) -> list[list]:
    import csv

    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(path, [Problem(None, None, None, None, "encoding")]) from None
    first = text.split("\n", 1)[0]
    # Excel in a Russian or Kazakh locale writes ";" (the comma is the decimal mark there).
    delimiter = max((";", ",", "\t"), key=first.count)
    return [row for row in csv.reader(text.splitlines(), delimiter=delimiter)]


# The roster template --------------------------------------------------------------------------------

TEMPLATE_ROWS = 2000


def write_template(path, lang: str = "kk") -> Path:
    """An empty roster workbook: ASCII headers (the contract), labels in `lang` as their input messages,
    drop-downs for region and report type, date/BIN/amount validation. Deterministic."""
    import xlsxwriter

    from .atomic import atomic_path
    from .template import CREATED

    target = Path(path)
    with atomic_path(target) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                            "strings_to_numbers": False, "in_memory": True})
        wb.set_properties({"title": ROSTER_SHEET.get(lang), "created": CREATED})
        ws = wb.add_worksheet(ROSTER_SHEET.get(lang))
        lists = wb.add_worksheet("_lists")
        head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True,
                              "valign": "top"})
        label_fmt = wb.add_format({"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"})
        formats = {"date": wb.add_format({"num_format": "dd.mm.yyyy"}), "bin": wb.add_format({"num_format": "@"}),
                   "phone": wb.add_format({"num_format": "@"}), "amount": wb.add_format({"num_format": "#,##0"}),
                   "text": wb.add_format({"num_format": "@"})}
        list_col = 0
        first, last = 2, TEMPLATE_ROWS + 1
        for c, col in enumerate(COLUMNS):
            ws.write_string(0, c, col.key, head)
            label = col.label.get(lang) + ("" if col.required else f" ({_OPTIONAL.get(lang)})")
            ws.write_string(1, c, label, label_fmt)
            ws.set_column(c, c, 16 if col.type in ("date", "amount", "bin") else 28,
                          formats.get(col.type.split(":")[0]) if col.type != "choice" else None)
            opts: dict[str, Any] = {"input_title": col.label.get(lang)[:32],
                                    "input_message": col.note.get(lang)[:255], "ignore_blank": True}
            if col.type.startswith("choice:"):
                labels = form.LIST[col.type[7:]].labels(lang)
                for r, text in enumerate(labels):
                    lists.write_string(r, list_col, text)
                letter = _a1(0, list_col).rstrip("0123456789")
                opts.update(validate="list", source=f"=_lists!${letter}$1:${letter}${len(labels)}",
                            error_type="stop")
                list_col += 1
            elif col.type == "date":
                opts.update(validate="date", criteria="between", minimum=_dt.date(2000, 1, 1),
                            maximum=_dt.date(2100, 12, 31), error_type="stop")
            elif col.type == "bin":
                opts.update(validate="length", criteria="==", value=12, error_type="stop")
            elif col.type == "amount":
                opts.update(validate="decimal", criteria=">=", value=0, error_type="stop")
            else:
                opts.update(validate="any")
            ws.data_validation(first, c, last, c, opts)
        ws.set_row(1, 45)
        ws.freeze_panes(2, 0)
        lists.hide()
        ws.activate()
        wb.close()
    return target


_OPTIONAL = Text("міндетті емес", "необязательно", "optional")

