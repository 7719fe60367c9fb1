"""merge: many workbooks -> one consolidated register (xlsx, optional CSVs) the operator can trust.

Flow: find the inputs; read and check every workbook in worker processes (the same reader and rules
as validate; one broken or hostile file becomes findings, never a crash of the run); the workers also
render the file's register rows as sheet XML (rowxml) and spool them to temporary files, so memory
stays flat in the number of files and the costly cell-by-cell writing is spread over every core;
decide resubmissions (same BIN + agreement number: the newest is current); then number the rows of the
current files and stitch them into the workbook XlsxWriter writes around them (headers, formats,
filters, the summary and its chart), and move the register and CSVs into place only when complete.
"""
from __future__ import annotations

import csv
import datetime as _dt
import os
import pickle
import tempfile
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from . import form, rowxml, values
from .atomic import atomic_path
from .compute import compute
from .findings import Finding
from .form import Text
from .validation import check, internal_error

# Worker memory cap: far above what a report needs (~50 MB), low enough that a file slipping past the
# package limits cannot take the machine down with it (calamine aborts its process when out of memory).
WORKER_MEMORY_LIMIT = 2 * 1024 ** 3
# Files in flight per worker: keeps the pool busy without holding many results in memory.
IN_FLIGHT_PER_WORKER = 4

SKIP_SUFFIXES = (".checked.xlsx", ".checked.xlsm")
# Picked up from folders. .xls, .xlsb and .ods cannot be read, but an NGO's report saved in one of them
# must be listed (file-unreadable, "save as .xlsx"), never silently left out of the register.
FOLDER_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


# Columns --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    key: str            # stable ASCII name (CSV header): a defined name or a provenance key
    label: Text
    kind: str = "text"  # text, number, date, choice:<list>, int
    width: float = 14


def _field_column(f: form.Field) -> Column:
    kind = {"date": "date", "count": "number", "amount": "number", "measure": "number",
            "number": "number", "choice": f"choice:{f.options}"}.get(f.type, "text")
    return Column(f.name, f.label, kind, max(10.0, min(f.width, 40)))


T = Text
PROVENANCE = (
    Column("source_file", T("Бастапқы файл", "Исходный файл", "Source file"), width=32),
    Column("sha256", T("SHA-256", "SHA-256", "SHA-256"), width=20),
)
REPORT_STATUS = {
    "valid": T("жарамды", "принят", "valid"),
    "invalid": T("түзету қажет", "требует исправлений", "invalid"),
    "unreadable": T("оқылмады", "не прочитан", "unreadable"),
    "superseded": T("ауыстырылған", "заменён", "superseded"),
}

REPORT_COLUMNS: tuple[Column, ...] = PROVENANCE + (
    Column("template_version", T("Үлгі нұсқасы", "Версия шаблона", "Template version"), width=10),
    Column("lang", T("Тілі", "Язык", "Language"), width=6),
    Column("read_at", T("Оқылған уақыты", "Время чтения", "Read at"), width=18),
    Column("status", T("Мәртебесі", "Статус", "Status"), width=16),
    Column("errors", T("Қателер", "Ошибки", "Errors"), "int", 8),
    Column("warnings", T("Ескертулер", "Предупреждения", "Warnings"), "int", 8),
    Column("ind_lines", T("Көрсеткіштер саны", "Показателей", "Indicator lines"), "int", 10),
    Column("ind_met_share", T("Орындалған көрсеткіштер, %", "Выполнено показателей, %",
                              "Indicators met, %"), "number", 10),
) + tuple(c for f in form.HEADER_FIELDS + form.IMPACT_FIELDS + form.STATS_FIELDS for c in (
    (_field_column(f),) if f.name != "agreement_no" else (
        _field_column(f),
        # Beside the number as typed, the key that says which workbooks are one grant
        # (values.agreement_key: «№», "No", spaces, dashes, case and look-alike letters ignored).
        Column("agreement_key", T("Келісім нөмірінің кілті", "Ключ номера договора", "Agreement key"), width=12))))

IND_COLUMNS: tuple[Column, ...] = PROVENANCE + (
    Column("source_cell", T("Ұяшық", "Ячейка", "Cell"), width=18),
    Column("row", T("Жол", "Строка", "Row"), "int", 6),
    Column("org_bin", form.FIELD["org_bin"].label, width=14),
    Column("region", form.FIELD["region"].label, "choice:region", 18),
) + tuple(_field_column(f) for f in form.INDICATORS.columns if f.name != "ind_long_result") + (
    Column("calc_ind_percent", form.COMPUTED_BY_NAME["calc_ind_percent"].label, "number", 10),
    Column("calc_ind_status", form.COMPUTED_BY_NAME["calc_ind_status"].label, "status", 14),
    _field_column(form.FIELD["ind_long_result"]),
)


def _table_columns(table: form.Table) -> tuple[Column, ...]:
    return PROVENANCE + (
        Column("source_cell", T("Ұяшық", "Ячейка", "Cell"), width=18),
        Column("row", T("Жол", "Строка", "Row"), "int", 6),
        Column("org_bin", form.FIELD["org_bin"].label, width=14),
    ) + tuple(_field_column(f) for f in table.columns)


PARTNER_COLUMNS = _table_columns(form.PARTNERS)
SUBGRANT_COLUMNS = _table_columns(form.SUBGRANTS)
FINDING_COLUMNS: tuple[Column, ...] = PROVENANCE + (
    Column("code", T("Код", "Код", "Code"), width=22),
    Column("severity", T("Маңыздылығы", "Важность", "Severity"), width=10),
    Column("sheet", T("Парақ", "Лист", "Sheet"), width=18),
    Column("cell", T("Ұяшық", "Ячейка", "Cell"), width=8),
    Column("field", T("Өріс", "Поле", "Field"), width=22),
    Column("row", T("Жол", "Строка", "Row"), "int", 6),
    Column("value", T("Табылған мән", "Найденное значение", "Value"), width=18),
    Column("expected", T("Күтілген мән", "Ожидаемое значение", "Expected"), width=18),
    Column("message", T("Хабарлама", "Сообщение", "Message"), width=80),
)

SHEETS = (  # key, title, columns, csv file
    ("reports", T("Есептер", "Отчёты", "Reports"), REPORT_COLUMNS, "reports.csv"),
    ("indicators", T("Индикаторлар", "Индикаторы", "Indicators"), IND_COLUMNS, "indicators.csv"),
    ("partners", T("Серіктестер", "Партнёры", "Partners"), PARTNER_COLUMNS, "partners.csv"),
    ("subgrants", T("Шағын гранттар", "Субгранты", "Sub-grants"), SUBGRANT_COLUMNS, "subgrants.csv"),
    ("findings", T("Нәтижелер", "Замечания", "Findings"), FINDING_COLUMNS, "findings.csv"),
)
SUMMARY_TITLE = T("Жиынтық", "Сводка", "Summary")
SUMMARY_COLUMNS = (
    ("region", T("Өңір", "Регион", "Region")),
    ("reports", T("Есептер", "Отчётов", "Reports")),
    ("valid", T("Жарамды", "Принято", "Valid")),
    ("invalid", T("Түзету қажет", "Требуют исправлений", "Need correction")),
    ("grant", T("Грант сомасы, теңге", "Сумма грантов, тенге", "Grant total, tenge")),
    ("direct_plan", T("Тікелей бенефициарлар, жоспар", "Прямые бенефициары, план", "Direct beneficiaries, plan")),
    ("direct_fact", T("Тікелей бенефициарлар, факт", "Прямые бенефициары, факт", "Direct beneficiaries, fact")),
    ("male", T("Ерлер", "Мужчины", "Men")),
    ("female", T("Әйелдер", "Женщины", "Women")),
    ("ind_lines", T("Көрсеткіштер", "Показателей", "Indicator lines")),
    ("ind_met", T("Орындалған көрсеткіштер", "Выполнено показателей", "Indicators met")),
    ("ind_met_share", T("Орындалған көрсеткіштер, %", "Выполнено показателей, %", "Indicators met, %")),
)
NATIONAL = T("Барлығы (республика бойынша)", "Итого по республике", "National total")
UNKNOWN_REGION = T("(өңір көрсетілмеген)", "(регион не указан)", "(no region)")


# Finding the inputs ---------------------------------------------------------------------------------

def find_inputs(inputs: Iterable, output=None) -> list[Path]:
    """Files and folders -> workbook paths in a stable order (input order; folders sorted, recursive;
    FOLDER_SUFFIXES only).
    Skips Office lock files (~$…), our own checked copies and the register being written."""
    out: list[Path] = []
    seen: set[str] = set()
    exclude = {os.path.abspath(output)} if output else set()

    def add(p: Path, explicit: bool):
        key = os.path.abspath(p)
        if key in seen or key in exclude:
            return
        name = p.name
        if name.startswith("~$") or name.lower().endswith(SKIP_SUFFIXES):
            return
        if not explicit and p.suffix.lower() not in FOLDER_SUFFIXES:
            return
        seen.add(key)
        out.append(p)

    for item in inputs:
        p = Path(item)
        if p.is_dir():
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames.sort()
                for name in sorted(filenames):
                    add(Path(dirpath) / name, explicit=False)
        else:
            add(p, explicit=True)
    return out


# Reading (in worker processes) ---------------------------------------------------------------------

@dataclass
class FileRows:
    """Everything the register needs from one workbook: plain, picklable data."""
    index: int
    path: str
    sha256: str
    status: str                       # valid / invalid / unreadable (superseded decided later)
    key: tuple | None                 # (BIN, agreement number) for resubmission detection
    report_date: Any
    mtime: float
    template_version: str | None
    lang: str | None
    counts: dict
    region: str | None
    summary: dict
    report: dict                      # column key -> value (REPORT_COLUMNS minus provenance/status)
    indicators: list[dict] = field(default_factory=list)
    partners: list[dict] = field(default_factory=list)
    subgrants: list[dict] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    # The four lists above rendered as register rows (rowxml), by sheet key; made in the worker and
    # there written to its spool file (spool()): then (file, offset, size, rows) instead of the bytes.
    xml: dict[str, Any] | None = None


def _limit_memory():
    """Worker start-up: the memory cap, and the default SIGTERM (the command line's handler, inherited
    through fork, is for the main process)."""
    import signal

    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except (ValueError, OSError):
        pass
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = WORKER_MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(WORKER_MEMORY_LIMIT, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def read_one(index: int, path: str, message_lang: str) -> FileRows:
    """Read and check one workbook into register rows. Never raises for a bad file."""
    mtime = _mtime(path)
    try:
        result = check(path)
    except MemoryError:
        result = None
    if result is None:
        return _unreadable(index, path, "crashed", mtime, message_lang)
    report = result.report
    unreadable = not result.readable
    status = "unreadable" if unreadable else ("valid" if result.valid else "invalid")
    counts = result.counts
    rows = FileRows(index=index, path=path, sha256=result.sha256, status=status, key=None,
                    report_date=None, mtime=mtime, template_version=result.template_version,
                    lang=result.lang, counts=counts, region=None, summary={}, report={})
    rows.findings = [_finding_row(f, message_lang) for f in result.findings]
    if unreadable:
        return rows
    v = report.values
    calc = result.calc if result.calc is not None else compute(report)
    statuses = calc["calc_ind_status"]
    lines = [s for s in statuses.values() if s]
    met = sum(1 for s in lines if s in ("met", "exceeded"))
    bin_ = v.get("org_bin")
    agreement = v.get("agreement_no")
    if bin_ and agreement:
        rows.key = (str(bin_), values.agreement_key(agreement))
    rows.report_date = v.get("report_date")
    # Only a known region code: off-list text typed by an NGO never reaches the Summary sheet.
    rows.region = v.get("region") if v.get("region") in _REGION_CODES else None
    rows.report = {c.key: _plain(v.get(c.key)) for c in REPORT_COLUMNS if c.key in form.FIELD}
    rows.report["agreement_key"] = values.agreement_key(agreement) if agreement else None
    rows.report.update(ind_lines=len(lines), ind_met_share=(met / len(lines) * 100) if lines else None)
    rows.summary = {
        "grant": _num(v.get("grant_amount")),
        "direct_plan": _num(v.get("impact_direct_beneficiaries_plan")),
        "direct_fact": _num(v.get("impact_direct_beneficiaries_fact")),
        "male": _num(v.get("stats_male")),
        "female": _num(v.get("stats_female")),
        "ind_lines": len(lines),
        "ind_met": met,
    }
    ind_sheet = report.table_sheet.get("ind", "")
    for row in report.tables.get("ind", []):
        d = {c.name: _plain(row.values.get(c.name)) for c in form.INDICATORS.columns}
        d.update(row=row.index, source_cell=_first_cell(ind_sheet, row), org_bin=bin_, region=rows.region,
                 calc_ind_percent=calc["calc_ind_percent"].get(row.index),
                 calc_ind_status=statuses.get(row.index))
        rows.indicators.append(d)
    for key, target in (("partner", rows.partners), ("subgrant", rows.subgrants)):
        sheet = report.table_sheet.get(key, "")
        for row in report.tables.get(key, []):
            d = {c.name: _plain(row.values.get(c.name)) for c in form.TABLE[key].columns}
            d.update(row=row.index, source_cell=_first_cell(sheet, row), org_bin=bin_)
            target.append(d)
    return rows


def _first_cell(sheet: str, row) -> str:
    cell = next(iter(row.cells.values()), "")
    return f"{sheet}!{cell}" if cell else sheet


_REGION_CODES = frozenset(o.code for o in form.LIST["region"].options)


def _plain(value):
    """Values that pickle small and write plainly (the reader's unknown-option marker -> str)."""
    if isinstance(value, str):
        return str(value)
    return value


def _num(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _finding_row(f: Finding, lang: str) -> dict:
    d = f.to_dict(lang)
    return d


def _unreadable(index, path, reason, mtime, lang, value=None) -> FileRows:
    from .reader import file_sha256

    f = Finding("file-unreadable", value=value, params={"reason": reason})
    return FileRows(index=index, path=path, sha256=file_sha256(path), status="unreadable", key=None, report_date=None,
                    mtime=mtime, template_version=None, lang=None, counts={"error": 1, "warning": 0, "info": 0},
                    region=None, summary={}, report={}, findings=[_finding_row(f, lang)])


DETAILS = ("indicators", "partners", "subgrants", "findings")   # sheets whose rows the workers render


def render(rows: FileRows, source: str, lang: str, keep_rows: bool = True) -> FileRows:
    """Render the file's detail rows for the register (rows.xml), in whichever process read it; with
    keep_rows False the row dicts are dropped (nothing but the register needs them)."""
    prov = {"source_file": source, "sha256": rows.sha256}
    renderers = _renderers(lang)
    rows.xml = {key: renderers[key].rows({**prov, **d} for d in getattr(rows, key)) for key in DETAILS}
    if not keep_rows:
        rows.indicators, rows.partners, rows.subgrants, rows.findings = [], [], [], []
    return rows


def spool(rows: FileRows, folder: str) -> FileRows:
    """Append the rendered rows to this process's spool files in `folder` (one per sheet), so only
    their place travels back to the main process: rows.xml[key] becomes (file, offset, size, rows)."""
    for key, data in rows.xml.items():
        if isinstance(data, bytes):
            path = os.path.join(folder, f"{os.getpid()}.{key}")
            with open(path, "ab", buffering=0) as fh:
                offset = fh.tell()
                fh.write(data)
            rows.xml[key] = (path, offset, len(data), rowxml.count(data))
    return rows


def _read_job(args):
    index, path, lang, source, keep_rows, folder = args
    try:
        rows = render(read_one(index, path, lang), source, lang, keep_rows)
    except Exception as exc:  # noqa: BLE001 - a bug in esep must not stop the merge: listed on its file
        finding = internal_error(exc)
        rows = render(_unreadable(index, path, "internal-error", _mtime(path), lang, finding.value), source,
                      lang, keep_rows)
    return spool(rows, folder) if folder else rows


def _mtime(path) -> float:
    try:
        return os.path.getmtime(path)
    except OSError:
        return 0.0


def read_all(paths: list[Path], lang: str, jobs: int, on_result: Callable[[FileRows], None],
             sources: list[str] | None = None, keep_rows: bool = True, spool_dir: str | None = None) -> None:
    """Read every path (in parallel when jobs > 1), calling on_result in completion order with its rows
    rendered (see render(); `sources` are the names the register shows) and, with spool_dir, spooled
    there (see spool())."""
    jobs_args = [(i, str(p), lang, sources[i] if sources else str(p), keep_rows, spool_dir)
                 for i, p in enumerate(paths)]
    if jobs <= 1 or len(paths) <= 1:
        for a in jobs_args:
            on_result(_read_job(a))
        return
    pending = list(reversed(jobs_args))
    suspects: list[tuple] = []
    while pending:
        in_flight = {}
        try:
            with ProcessPoolExecutor(max_workers=jobs, initializer=_limit_memory) as pool:
                while pending or in_flight:
                    while pending and len(in_flight) < jobs * IN_FLIGHT_PER_WORKER:
                        a = pending.pop()
                        in_flight[pool.submit(_read_job, a)] = a
                    done = next(iter(_as_completed(in_flight)))
                    rows = done.result()  # may raise BrokenProcessPool: `done` stays in flight, retried
                    del in_flight[done]
                    on_result(rows)
        except BrokenProcessPool:
            # A worker died (e.g. out of memory on a hostile file). Retry what was in flight one by one
            # in isolation, so the culprit is named and the others still get read.
            suspects.extend(in_flight.values())
            for a in suspects:
                on_result(_isolated(a))
            suspects = []


def _as_completed(futures):
    from concurrent.futures import FIRST_COMPLETED, wait
    done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
    return done


def _isolated(a) -> FileRows:
    try:
        with ProcessPoolExecutor(max_workers=1, initializer=_limit_memory) as pool:
            return pool.submit(_read_job, a).result()
    except BrokenProcessPool:
        index, path, lang, source, keep_rows, _ = a
        return render(_unreadable(index, path, "crashed", 0.0, lang), source, lang, keep_rows)


# Writing --------------------------------------------------------------------------------------------

@dataclass
class MergeResult:
    output: str
    csv_dir: str | None
    files: int = 0
    valid: int = 0
    invalid: int = 0
    unreadable: int = 0
    superseded: int = 0
    csv_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.invalid == 0 and self.unreadable == 0

    def to_dict(self) -> dict:
        return {"files": self.files, "valid": self.valid, "invalid": self.invalid,
                "unreadable": self.unreadable, "superseded": self.superseded,
                "output": self.output, "csv": self.csv_files}


def merge(inputs, output, *, csv_dir=None, lang: str = "kk", jobs: int | None = None,
          progress: Callable[[int, int, int], None] | None = None) -> MergeResult:
    """Merge workbooks (files and folders) into the register at `output` (and CSVs in csv_dir).

    `progress(done, total, errors)` is called after each file is read.
    """
    output = Path(output)
    paths = find_inputs(inputs, output=output)
    jobs = jobs or os.cpu_count() or 1
    result = MergeResult(output=str(output), csv_dir=str(csv_dir) if csv_dir else None, files=len(paths))
    read_at = _dt.datetime.now().replace(microsecond=0)
    names = _display_names(paths)

    with ExitStack() as stack:
        results = stack.enter_context(tempfile.TemporaryFile(prefix="esep-spool-"))
        # The rendered rows of each detail sheet, in spool files the workers append to: where is what.
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="esep-rows-"))
        at: dict[tuple[int, str], tuple[str, int, int, int]] = {}
        offsets: dict[int, int] = {}
        meta: dict[int, tuple] = {}
        errors = 0

        def keep(rows: FileRows):
            nonlocal errors
            if rows.xml is None:  # its worker died: rendered here
                render(rows, names[rows.index], lang, bool(csv_dir))
            spool(rows, folder)
            for key, where in rows.xml.items():
                at[rows.index, key] = where
            rows.xml = None
            offsets[rows.index] = results.tell()
            pickle.dump(rows, results, protocol=pickle.HIGHEST_PROTOCOL)
            meta[rows.index] = (rows.key, rows.report_date, rows.mtime)
            if rows.status != "valid":
                errors += 1
            if progress:
                progress(len(offsets), len(paths), errors)

        read_all(paths, lang, jobs, keep, sources=names, keep_rows=bool(csv_dir), spool_dir=folder)
        current, superseded_by = _resubmissions(meta)

        def load(i: int) -> FileRows:
            results.seek(offsets[i])
            return pickle.load(results)

        handles: dict[str, Any] = {}

        def chunk(i: int, key: str) -> bytes:
            path, offset, size, _ = at[i, key]
            if path not in handles:
                handles[path] = stack.enter_context(open(path, "rb"))
            handles[path].seek(offset)
            return handles[path].read(size)

        def rows_of(i: int, key: str) -> int:
            return at[i, key][3]

        def size_of(i: int, key: str) -> int:
            return at[i, key][2]

        _write(output, csv_dir, lang, len(paths), load, superseded_by, names, read_at, result, chunk, rows_of,
               size_of)
    return result


def _resubmissions(meta: dict[int, tuple]) -> tuple[dict, dict[int, int]]:
    """Group by (BIN, agreement): the newest report_date, then the newest file, then the later input
    is current; returns ({key: current index}, {superseded index: current index})."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, (key, _, _) in meta.items():
        if key:
            groups[key].append(i)
    current, superseded = {}, {}
    for key, members in groups.items():
        if len(members) < 2:
            continue

        def rank(i):
            _, report_date, mtime = meta[i]
            d = report_date.toordinal() if isinstance(report_date, _dt.date) else -1
            return (d, mtime, i)

        best = max(members, key=rank)
        current[key] = best
        for i in members:
            if i != best:
                superseded[i] = best
    return current, superseded


def _write(output: Path, csv_dir, lang, n, load, superseded_by, names, read_at, result: MergeResult,
           chunk: Callable[[int, str], bytes], rows_of: Callable[[int, str], int],
           size_of: Callable[[int, str], int]):
    """Write the register (and CSVs). File i's detail rows come rendered: chunk(i, key), their count
    rows_of(i, key) and size in bytes size_of(i, key); the rest (statuses, reports, summary) from load(i).

    Three passes: (1) over the spooled files in input order: statuses, the Reports rows, the
    duplicate-submission findings, the summary's sums and the CSVs; (2) XlsxWriter writes the workbook
    around the rows (headers, widths, filters, the Summary sheet and its chart); (3) the rows are
    numbered and stitched into their sheets (rowxml.stitch)."""
    import xlsxwriter

    renderers = _renderers(lang)
    with ExitStack() as stack:
        tmpdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="esep-register-")))
        csv_writers = {}
        if csv_dir:
            for key, _, columns, csv_name in SHEETS:
                path = Path(csv_dir) / csv_name
                tmp_csv = stack.enter_context(atomic_path(path))
                fh = stack.enter_context(open(tmp_csv, "w", encoding="utf-8-sig", newline=""))
                csv_writers[key] = csv.writer(fh)
                csv_writers[key].writerow([c.key for c in columns])
                result.csv_files.append(str(path))

        # 1. Statuses, Reports rows, duplicate findings, sums, CSVs.
        reports = stack.enter_context(tempfile.TemporaryFile(prefix="esep-reports-"))
        report_at: list[tuple[int, int]] = []
        dup_rows: dict[int, bytes] = {}
        totals = {key: 0 for key in DETAILS}
        by_region: dict[str | None, dict] = {}
        for i in range(n):
            rows = load(i)
            source = names[i]
            prov = {"source_file": source, "sha256": rows.sha256}
            status = rows.status
            superseded = i in superseded_by
            dups = []
            if superseded:
                status = "superseded"
                current = names[superseded_by[i]]
                dup = Finding("duplicate-submission", value=source, expected=current,
                              params={"bin": rows.key[0], "agreement": rows.report.get("agreement_no") or "",
                                      "current": current, "older": source})
                dups.append({**prov, **_finding_row(dup, lang)})
                dup_rows[i] = renderers["findings"].rows(dups)
                rows.counts["warning"] += 1
            setattr(result, status, getattr(result, status) + 1)
            report = {**prov, **rows.report, "template_version": rows.template_version, "lang": rows.lang,
                      "read_at": read_at, "status": status, "errors": rows.counts["error"],
                      "warnings": rows.counts["warning"]}
            data = renderers["reports"].rows([report])
            report_at.append((reports.tell(), len(data)))
            reports.write(data)
            for key in DETAILS:
                if key == "findings" or not superseded:
                    totals[key] += rows_of(i, key)
            totals["findings"] += len(dups)
            if csv_writers:
                _csv_rows(csv_writers["reports"], REPORT_COLUMNS, [report])
                _csv_rows(csv_writers["findings"], FINDING_COLUMNS,
                          [{**prov, **f} for f in rows.findings] + dups)
                if not superseded:
                    for key, columns in (("indicators", IND_COLUMNS), ("partners", PARTNER_COLUMNS),
                                         ("subgrants", SUBGRANT_COLUMNS)):
                        _csv_rows(csv_writers[key], columns, [{**prov, **d} for d in getattr(rows, key)])
            if superseded:
                continue
            agg = by_region.setdefault(rows.region, defaultdict(float))
            agg["reports"] += 1
            agg["valid"] += status == "valid"
            agg["invalid"] += status in ("invalid", "unreadable")
            for k, x in rows.summary.items():
                if x is not None:
                    agg[k] += x
        totals["reports"] = n

        # 2. The workbook around the rows.
        frame = tmpdir / "frame.xlsx"
        wb = xlsxwriter.Workbook(str(frame), {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            "default_date_format": "dd.mm.yyyy"})
        wb.set_properties({"title": "esep register", "created": read_at})
        fmt = _Formats(wb)
        summary_ws = wb.add_worksheet(SUMMARY_TITLE.get(lang))
        sheets = {}
        for k, (key, title, columns, _) in enumerate(SHEETS):
            ws = wb.add_worksheet(title.get(lang))
            _sheet_frame(ws, columns, lang, fmt, totals[key])
            sheets[f"xl/worksheets/sheet{k + 2}.xml"] = key
        _write_summary(wb, summary_ws, by_region, lang, fmt)
        wb.close()

        # 3. Number the rows and stitch them in.
        def blocks(key: str):
            r = 2
            for i in range(n):
                if key == "reports":
                    offset, size = report_at[i]
                    reports.seek(offset)
                    data = reports.read(size)
                elif key != "findings" and i in superseded_by:
                    continue
                else:
                    data = chunk(i, key)
                block, k = rowxml.numbered(data, r)
                r += k
                yield block
                if key == "findings" and i in dup_rows:
                    block, k = rowxml.numbered(dup_rows[i], r)
                    r += k
                    yield block
            if r - 1 != totals[key] + 1:
                raise AssertionError(f"register sheet {key}: {r - 2} rows stitched, {totals[key]} expected")

        columns_of = {key: columns for key, _, columns, _ in SHEETS}
        size = {key: sum(size_of(i, key) for i in range(n)) for key in DETAILS}
        size["reports"] = sum(b for _, b in report_at)
        tmp = stack.enter_context(atomic_path(output))
        rowxml.stitch(str(frame), str(tmp), {
            part: (totals[key] + 1, len(columns_of[key]) - 1, blocks(key)) for part, key in sheets.items()},
            {part: size[key] for part, key in sheets.items()})


def _display_names(paths: list[Path]) -> list[str]:
    """Source file names as the operator knows them: relative to the common folder."""
    if not paths:
        return []
    try:
        common = os.path.commonpath([os.path.abspath(p.parent) for p in paths])
    except ValueError:
        common = ""
    out = []
    for p in paths:
        ap = os.path.abspath(p)
        out.append(os.path.relpath(ap, common) if common else str(p))
    return out


class _Formats:
    def __init__(self, wb):
        # First, and in this order: the workers render these cells with these xf indices (rowxml.XF).
        self.date = wb.add_format({"num_format": "dd.mm.yyyy"})
        self.datetime = wb.add_format({"num_format": "dd.mm.yyyy hh:mm"})
        self.number = wb.add_format({"num_format": "#,##0.##"})
        self.int = wb.add_format({"num_format": "0"})
        for name in rowxml.XF_ORDER:
            if getattr(self, name)._get_xf_index() != rowxml.XF[name]:
                raise RuntimeError(f"XlsxWriter gave the {name} format another xf index than rowxml.XF")
        self.header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                     "valign": "top"})
        self.pct = wb.add_format({"num_format": "0.0"})
        self.bold = wb.add_format({"bold": True})
        self.bold_number = wb.add_format({"bold": True, "num_format": "#,##0.##", "top": 1})
        self.title = wb.add_format({"bold": True, "font_size": 14})


def _sheet_frame(ws, columns, lang, fmt: _Formats, rows: int):
    """A register sheet without its rows: header, widths and column formats, frozen header, filter."""
    col_format = {"date": fmt.date, "number": fmt.number, "int": fmt.int}
    for c, col in enumerate(columns):
        ws.write_string(0, c, col.label.get(lang), fmt.header)
        ws.set_column(c, c, col.width, col_format.get(col.kind))
    ws.freeze_panes(1, 0)
    ws.set_row(0, 45)
    ws.autofilter(0, 0, max(rows, 1), len(columns) - 1)


_RENDERERS: dict[str, dict[str, rowxml.Renderer]] = {}


def _renderers(lang: str) -> dict[str, rowxml.Renderer]:
    """Per register sheet, how its rows are rendered in `lang` (made once per process)."""
    if lang not in _RENDERERS:
        _RENDERERS[lang] = {key: rowxml.Renderer((c.key, c.kind, _shown_by(c, lang)) for c in columns)
                            for key, _, columns, _ in SHEETS}
    return _RENDERERS[lang]


def _shown_by(col: Column, lang: str):
    """None (a value is shown as it is) or raw value -> what the register shows (labels in `lang`)."""
    if col.kind.startswith("choice:"):
        return _OptionLabels(col.kind[7:], lang)
    if col.kind == "status":
        return {k: t.get(lang) for k, t in form.STATUSES.items()}
    if col.key == "status":
        return {k: t.get(lang) for k, t in REPORT_STATUS.items()}
    return None


def _csv_rows(writer, columns, rows: list[dict]):
    """CSV rows: the stable machine values (option codes, status codes, ISO dates)."""
    for data in rows:
        writer.writerow([_csv_value(data.get(c.key)) for c in columns])


class _OptionLabels(dict):
    """Option code -> label in the register's language; any other text (typed, not one of the
    options: kept as typed) is shown as it is."""

    def __init__(self, options: str, lang: str):
        super().__init__((o.code, o.label.get(lang)) for o in form.LIST[options].options)

    def __contains__(self, value) -> bool:
        return isinstance(value, str)

    def __missing__(self, value):
        return value


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, _dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, _dt.date):
        return value.isoformat()
    text = str(value)
    # Spreadsheet programs execute CSV cells starting with = + - @ tab CR: neutralise them (OWASP).
    if values.looks_like_formula(text):
        return "'" + text
    return text


def _write_summary(wb, ws, by_region: dict, lang: str, fmt: _Formats):
    ws.write_string(0, 0, SUMMARY_TITLE.get(lang), fmt.title)
    header_row = 2
    for c, (key, label) in enumerate(SUMMARY_COLUMNS):
        ws.write_string(header_row, c, label.get(lang), fmt.header)
        ws.set_column(c, c, 34 if c == 0 else 16)
    order = [o.code for o in form.LIST["region"].options]
    regions = sorted(by_region, key=lambda r: (order.index(r) if r in order else len(order), str(r)))
    r = header_row + 1
    national = defaultdict(float)
    for region in regions:
        agg = by_region[region]
        name = form.option_label("region", region, lang) if region else UNKNOWN_REGION.get(lang)
        _summary_row(ws, r, name, agg, fmt, bold=False)
        for k, x in agg.items():
            national[k] += x
        r += 1
    first_data, last_data = header_row + 1, r - 1
    _summary_row(ws, r, NATIONAL.get(lang), national, fmt, bold=True)
    ws.set_row(header_row, 45)
    ws.freeze_panes(header_row + 1, 1)
    ws.autofilter(header_row, 0, max(last_data, header_row + 1), len(SUMMARY_COLUMNS) - 1)
    if regions:
        chart = wb.add_chart({"type": "column"})
        for key in ("direct_plan", "direct_fact"):
            c = [k for k, _ in SUMMARY_COLUMNS].index(key)
            chart.add_series({
                "name": [ws.name, header_row, c],
                "categories": [ws.name, first_data, 0, last_data, 0],
                "values": [ws.name, first_data, c, last_data, c],
            })
        chart.set_title({"name": dict(SUMMARY_COLUMNS)["direct_fact"].get(lang).split(",")[0]})
        chart.set_size({"width": 900, "height": 420})
        ws.insert_chart(r + 2, 0, chart)


def _summary_row(ws, r, name, agg, fmt, bold):
    ws.write_string(r, 0, name, fmt.bold if bold else None)
    for c, (key, _) in enumerate(SUMMARY_COLUMNS[1:], 1):
        if key == "ind_met_share":
            lines = agg.get("ind_lines", 0)
            if lines:
                ws.write_number(r, c, agg.get("ind_met", 0) / lines * 100, fmt.pct)
            continue
        ws.write_number(r, c, agg.get(key, 0), fmt.bold_number if bold else fmt.number)
