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
import functools
import multiprocessing
import os
import pickle
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from . import form, rowxml, values, vocabulary
from .atomic import atomic_path
from .compute import compute
from .findings import Finding
from .form import Text
from .outputs import check_merge_outputs, clean_stale, spool_prefix
from .paths import display_path
from .validation import check, internal_error

# Worker memory cap: far above what a report needs (~50 MB), low enough that a file slipping past the
# package limits cannot take the machine down with it (calamine aborts its process when out of memory).
WORKER_MEMORY_LIMIT = 2 * 1024 ** 3
# Files in flight per worker: keeps the pool busy without holding many results in memory.
IN_FLIGHT_PER_WORKER = 4
# How worker processes start. Not "fork": forking a process that runs threads (the caller's, or a web
# server's) may deadlock, Python 3.12 warns about it and 3.14 no longer forks by default. "forkserver"
# starts one clean server process that imports the reader once and forks the workers from it (spawn
# would import it in every worker); "spawn" where forkserver does not exist (Windows).
START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"

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
REPORT_STATUS = vocabulary.STATUS
LINE_NO = Column("row", vocabulary.WORDS["line_no"], "int", 7)

REPORT_COLUMNS: tuple[Column, ...] = PROVENANCE + (
    Column("template_version", T("Үлгі нұсқасы", "Версия шаблона", "Template version"), width=10),
    Column("lang", T("Тілі", "Язык", "Language"), width=6),
    Column("read_at", T("Оқылған уақыты", "Время чтения", "Read at"), width=18),
    Column("status", vocabulary.STATUS_HEADING, width=16),
    Column("errors", vocabulary.COUNT_HEADING["error"], "int", 8),
    Column("warnings", vocabulary.COUNT_HEADING["warning"], "int", 8),
    Column("ind_lines", T("Көрсеткіштер саны", "Количество показателей", "Indicator lines"), "int", 10),
    Column("ind_met_share", T("Орындалған көрсеткіштер, %", "Выполнено показателей, %",
                              "Indicators met, %"), "number", 10),
) + tuple(c for f in form.HEADER_FIELDS + form.IMPACT_FIELDS + form.STATS_FIELDS for c in (
    (_field_column(f),) if f.name != "agreement_no" else (
        _field_column(f),
        # Beside the number as typed, the key that says which workbooks are one grant
        # (values.agreement_key: «№», "No", spaces, dashes, case and look-alike letters ignored).
        Column("agreement_key", T("Шарт нөмірі (салыстыру үшін)", "Номер договора (для сопоставления)", "Agreement key"), width=12)))) + (
    # Last, so the columns before them keep their places: the resubmission chain.
    Column("supersedes", T("Ауыстырғаны", "Заменяет", "Supersedes"), width=24),
    Column("superseded_by", T("Ауыстырған файл", "Заменён файлом", "Superseded by"), width=24),
)

IND_COLUMNS: tuple[Column, ...] = PROVENANCE + (
    Column("source_cell", vocabulary.WORDS["cell"], width=18),
    LINE_NO,
    Column("org_bin", form.FIELD["org_bin"].label, width=14),
    Column("region", form.FIELD["region"].label, "choice:region", 18),
) + tuple(_field_column(f) for f in form.INDICATORS.columns if f.name != "ind_long_result") + (
    Column("calc_ind_percent", form.COMPUTED_BY_NAME["calc_ind_percent"].label, "number", 10),
    Column("calc_ind_status", form.COMPUTED_BY_NAME["calc_ind_status"].label, "status", 14),
    _field_column(form.FIELD["ind_long_result"]),
)


def _table_columns(table: form.Table) -> tuple[Column, ...]:
    return PROVENANCE + (
        Column("source_cell", vocabulary.WORDS["cell"], width=18),
        LINE_NO,
        Column("org_bin", form.FIELD["org_bin"].label, width=14),
    ) + tuple(_field_column(f) for f in table.columns)


PARTNER_COLUMNS = _table_columns(form.PARTNERS)
SUBGRANT_COLUMNS = _table_columns(form.SUBGRANTS)
FINDING_COLUMNS: tuple[Column, ...] = PROVENANCE + (
    Column("code", vocabulary.WORDS["code"], width=22),
    Column("severity", vocabulary.SEVERITY_HEADING, "severity", 12),
    Column("sheet", vocabulary.WORDS["sheet"], width=18),
    Column("cell", vocabulary.WORDS["cell"], width=8),
    Column("field", vocabulary.WORDS["field"], width=22),
    LINE_NO,
    Column("value", vocabulary.WORDS["found"], width=18),
    Column("expected", vocabulary.WORDS["expected"], width=18),
    Column("message", vocabulary.WORDS["message"], width=80),
)

_S = vocabulary.SHEETS
SHEETS = (  # key, title, columns, csv file
    ("reports", _S["reports"], REPORT_COLUMNS, "reports.csv"),
    ("indicators", _S["indicators"], IND_COLUMNS, "indicators.csv"),
    ("partners", _S["partners"], PARTNER_COLUMNS, "partners.csv"),
    ("subgrants", _S["subgrants"], SUBGRANT_COLUMNS, "subgrants.csv"),
    ("findings", _S["findings"], FINDING_COLUMNS, "findings.csv"),
)
SUMMARY_TITLE = _S["summary"]
SUMMARY_COLUMNS = (
    ("region", form.FIELD["region"].label),
    ("reports", vocabulary.COUNT_HEADING["reports"]),
    ("valid", vocabulary.STATUS_COUNT["valid"]),
    ("invalid", vocabulary.STATUS_COUNT["invalid"]),
    ("grant", T("Бөлінген қаражаттың жалпы сомасы, теңге", "Общая сумма выделенных средств, тенге",
                "Total funds allocated, tenge")),
    ("direct_plan", T("Тікелей бенефициарлар, жоспар", "Прямые бенефициары, план", "Direct beneficiaries, plan")),
    ("direct_fact", T("Тікелей бенефициарлар, факт", "Прямые бенефициары, факт", "Direct beneficiaries, fact")),
    ("male", T("Ерлер", "Мужчины", "Men")),
    ("female", T("Әйелдер", "Женщины", "Women")),
    ("ind_lines", T("Көрсеткіштер саны", "Количество показателей", "Indicator lines")),
    ("ind_met", T("Орындалған көрсеткіштер саны", "Количество выполненных показателей", "Indicators met")),
    ("ind_met_share", T("Орындалған көрсеткіштер, %", "Выполнено показателей, %", "Indicators met, %")),
)
MEMORY_LIMIT_NOT_SET = T(
    "Жұмыс процесі жадты {limit} ГиБ-пен шектей алмады ({detail}): файлдар шектеусіз оқылды. "
    "Үлкен немесе зиянды файлдар болса, esep-ті жады шектелетін жүйеде іске қосыңыз.",
    "Рабочий процесс не смог ограничить память до {limit} ГиБ ({detail}): файлы прочитаны без "
    "ограничения. Если среди файлов могут быть очень большие или вредоносные, запустите esep в системе, "
    "где ограничение памяти работает.",
    "A worker could not cap its memory at {limit} GiB ({detail}): files were read without the cap. "
    "If files may be huge or hostile, run esep where the cap works.")
ROUND_SUMMARY_COLUMNS = (   # with --roster
    ("expected", T("Күтілген есептер", "Ожидается отчётов", "Expected")),
    ("received", T("Келген есептер", "Получено отчётов", "Received")),
    ("missing", T("Келмеген есептер", "Не получено отчётов", "Missing")),
    ("reporting_rate", T("Тапсыру деңгейі, %", "Доля сдавших, %", "Reporting rate, %")),
    ("on_time_rate", T("Мерзімінде тапсырғандар, %", "Сдано вовремя, %", "On-time rate, %")),
)
EXPECTED_TITLE = T("Күтілгендер", "Ожидаемые", "Expected")
EXPECTED_COLUMNS: tuple[Column, ...] = (
    Column("agreement_no", form.FIELD["agreement_no"].label, width=14),
    Column("org_bin", form.FIELD["org_bin"].label, width=14),
    Column("org_name", form.FIELD["org_name"].label, width=36),
    Column("region", form.FIELD["region"].label, "choice:region", 22),
    Column("report_type", form.FIELD["report_type"].label, "choice:report_type", 14),
    Column("due_date", T("Тапсыру мерзімі", "Срок сдачи", "Due date"), "date", 12),
    Column("status", T("Мәртебесі", "Статус", "Status"), "round_status", 14),
    Column("valid", T("Жарамды", "Принят", "Valid"), "yes_no", 10),
    Column("on_time", T("Мерзімінде", "Вовремя", "On time"), "yes_no", 10),
    Column("received_at", T("Келген уақыты", "Время получения", "Received at"), "datetime", 17),
    Column("received_from", T("Уақыт көзі", "Источник времени", "Time taken from"), "time_source", 18),
    Column("source_file", T("Бастапқы файл", "Исходный файл", "Source file"), width=32),
    Column("errors", T("Қателер", "Ошибки", "Errors"), "int", 8),
    Column("warnings", T("Ескертулер", "Предупреждения", "Warnings"), "int", 8),
    Column("org_email", form.FIELD["org_email"].label, width=24),
    Column("org_phone", form.FIELD["org_phone"].label, width=16),
    Column("program", T("Бағдарлама", "Программа", "Program"), width=20),
)
EXPECTED_CSV = ("expected", EXPECTED_TITLE, tuple(
    c for key in ("agreement_no", "org_bin", "org_name", "region", "report_type", "due_date", "status", "valid",
                  "on_time", "source_file") for c in EXPECTED_COLUMNS if c.key == key), "expected.csv")
ROUND_WORDS = vocabulary.ROUND   # a roster line's state in the Expected sheet
NATIONAL = T("Барлығы (республика бойынша)", "Итого по республике", "National total")
UNKNOWN_REGION = T("(өңір көрсетілмеген)", "(регион не указан)", "(no region)")


# Finding the inputs ---------------------------------------------------------------------------------

def find_inputs(inputs: Iterable, output=None) -> list[Path]:
    """Files and folders -> workbook paths in a stable order (input order; folders sorted, recursive;
    FOLDER_SUFFIXES only).
    Skips Office lock files (~$…), our own checked copies and the register being written.

    Symlinked folders are followed; a folder reached twice (a link loop, or a link to a folder already
    searched) is searched once, and a file reached by two paths is read once. A folder that cannot be
    listed is returned as an input of its own, so it is reported (file-unreadable), never skipped."""
    out: list[Path] = []
    seen: set = set()
    exclude = {_identity(output)} if output else set()
    exclude.discard(None)

    def add(p: Path, explicit: bool):
        name = p.name
        if name.startswith("~$") or name.lower().endswith(SKIP_SUFFIXES):
            return
        if not explicit and p.suffix.lower() not in FOLDER_SUFFIXES:
            return
        key = _identity(p) or ("path", os.path.abspath(p))
        if key in seen or key in exclude:
            return
        seen.add(key)
        out.append(p)

    for item in inputs:
        p = Path(item)
        if p.is_dir():
            for folder in _walk_folders(p):
                if isinstance(folder, _Unlisted):
                    if folder.path not in out:
                        out.append(folder.path)
                    continue
                dirpath, filenames = folder
                for name in filenames:
                    add(dirpath / name, explicit=False)
        else:
            add(p, explicit=True)
    return out


@dataclass(frozen=True)
class _Unlisted:
    path: Path


def _walk_folders(top: Path):
    """(folder, sorted file names) for `top` and every folder below it, symlinked folders included,
    each real folder once; _Unlisted(folder) for a folder that cannot be listed."""
    visited: set = set()
    stack = [top]
    while stack:
        folder = stack.pop()
        ident = _identity(folder)
        if ident in visited:
            continue
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            yield _Unlisted(folder)
            continue
        if ident is not None:
            visited.add(ident)
        files, subfolders = [], []
        for e in entries:
            try:
                is_dir = e.is_dir()   # follows symlinks
            except OSError:
                is_dir = False
            (subfolders if is_dir else files).append(e.name)
        yield folder, files
        stack.extend(folder / name for name in reversed(subfolders))


def _picked_up(path) -> bool:
    """Would find_inputs read this file when it searches a folder holding it?"""
    name = Path(path).name
    return not name.startswith("~$") and not name.lower().endswith(SKIP_SUFFIXES) \
        and Path(path).suffix.lower() in FOLDER_SUFFIXES


def _identity(path):
    """(device, inode) of what `path` points to, or None when it cannot be looked at."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino)


# Reading (in worker processes) ---------------------------------------------------------------------

@dataclass
class FileRows:
    """Everything the register needs from one workbook: plain, picklable data."""
    index: int
    path: str
    sha256: str
    status: str                       # valid / invalid / unreadable (superseded decided later)
    key: tuple | None                 # (BIN, agreement_key, report type) for resubmission detection
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
    note: str | None = None           # the reading worker could not cap its memory: why (see set_memory_limit)
    cells: dict[str, tuple] = field(default_factory=dict)   # header field -> (sheet, A1), for the roster


# What went wrong when this worker set its memory limit (None: the limit is in place). Set at worker
# start-up, sent back with every file the worker reads (FileRows.note) and shown once in the result.
_WORKER_NOTE: str | None = None


def _limit_memory():
    """Worker start-up: the default SIGTERM and no SIGINT (the command line's handlers are for the main
    process, which stops the workers itself: Ctrl+C reaches the whole process group); death with the
    parent, so a killed merge leaves no worker behind; and the memory cap (a cap that cannot be set is
    remembered and reported, never silently skipped)."""
    import signal

    global _WORKER_NOTE
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):
        pass
    _die_with_parent()
    _WORKER_NOTE = set_memory_limit()


def set_memory_limit(limit: int = WORKER_MEMORY_LIMIT) -> str | None:
    """Cap this process's address space at `limit` (or the hard limit, if lower); None when done,
    else why not (for the operator: files are then read without the cap)."""
    try:
        import resource
    except ImportError:
        return "the resource module is not available on this system"
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (AttributeError, ValueError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _die_with_parent():
    """End this worker when the merge that started it ends, even by SIGKILL: a thread waits on the
    multiprocessing parent sentinel (the pipe from the merge, which closes when it dies; with the
    forkserver the OS parent is the forkserver, which itself lives as long as any worker), and on
    Linux the OS parent's death is also fatal (PR_SET_PDEATHSIG)."""
    import sys
    import threading
    import multiprocessing
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is not None and getattr(parent, "sentinel", None) is not None:
        def watch(sentinel=parent.sentinel):
            try:
                wait([sentinel])
            except (OSError, ValueError):
                return
            os._exit(1)
        threading.Thread(target=watch, name="esep-exit-with-merge", daemon=True).start()
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal
        parent = os.getppid()
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)    # 1 = PR_SET_PDEATHSIG
        if os.getppid() != parent:                     # the parent ended before the call took effect
            os._exit(1)
    except (OSError, AttributeError, ValueError):
        pass


def _stop_workers(pool) -> None:
    """End a pool's workers now (SIGKILL), whatever they are doing: blocked on I/O, or deep in a file.
    Used when the run is interrupted; shutdown() alone would wait for the files in flight."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.kill()
        except (OSError, ValueError, AttributeError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.join(timeout=1)
        except (OSError, ValueError, AttributeError, AssertionError):
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
    rows.findings = [f.to_dict(message_lang) for f in result.findings]
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
        # An interim and a final report of one grant are two reports, both current.
        rtype = v.get("report_type") if v.get("report_type") in ("final", "interim") else "final"
        rows.key = (str(bin_), values.agreement_key(agreement), rtype)
    rows.cells = {name: report.where[name] for name in ROSTER_FIELDS if name in report.where}
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
ROSTER_FIELDS = ("report_type", "agreement_no", "agreement_date", "org_name", "org_bin", "region",
                 "project_name", "period_start", "period_end", "grant_amount")


def _plain(value):
    """Values that pickle small and write plainly (the reader's unknown-option marker -> str)."""
    if isinstance(value, str):
        return str(value)
    return value


def _num(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _unreadable(index, path, reason, mtime, lang, value=None) -> FileRows:
    from .reader import file_sha256

    f = Finding("file-unreadable", value=value, params={"reason": reason})
    return FileRows(index=index, path=path, sha256=file_sha256(path), status="unreadable", key=None, report_date=None,
                    mtime=mtime, template_version=None, lang=None, counts={"error": 1, "warning": 0, "info": 0},
                    region=None, summary={}, report={}, findings=[f.to_dict(lang)])


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
    index, path, lang, source, keep_rows, folder, cache = args
    try:
        rows = render(read_one(index, path, lang), source, lang, keep_rows=keep_rows or cache is not None)
        if cache is not None:
            if rows.status != "unreadable":   # a file that failed to read is read again next time
                from . import cache as result_cache
                result_cache.store(cache[0], cache[1], rows, lang, source, rows.xml)
            if not keep_rows:
                rows.indicators, rows.partners, rows.subgrants, rows.findings = [], [], [], []
    except Exception as exc:  # noqa: BLE001 - a bug in esep must not stop the merge: listed on its file
        finding = internal_error(exc)
        rows = render(_unreadable(index, path, "internal-error", _mtime(path), lang, finding.value), source,
                      lang, keep_rows)
    rows.note = _WORKER_NOTE
    return spool(rows, folder) if folder else rows


def _mtime(path) -> float:
    try:
        return os.path.getmtime(path)
    except OSError:
        return 0.0


def read_all(paths: list[Path], lang: str, jobs: int, on_result: Callable[[FileRows], None],
             sources: list[str] | None = None, keep_rows: bool = True, spool_dir: str | None = None,
             skip: set[int] | frozenset = frozenset(), cache: tuple | None = None) -> None:
    """Read every path (in parallel when jobs > 1), calling on_result in completion order with its rows
    rendered (see render(); `sources` are the names the register shows) and, with spool_dir, spooled
    there (see spool()). Indices in `skip` are not read (the merge cache has them); with cache =
    (folder, key) each file read is stored there (see cache.py)."""
    jobs_args = [(i, str(p), lang, sources[i] if sources else str(p), keep_rows, spool_dir, cache)
                 for i, p in enumerate(paths) if i not in skip]
    if jobs <= 1 or len(jobs_args) <= 1:
        for a in jobs_args:
            on_result(_read_job(a))
        return
    pending = list(reversed(jobs_args))
    suspects: list[tuple] = []
    while pending:
        in_flight = {}
        try:
            with _pool(jobs) as pool:
                try:
                    while pending or in_flight:
                        while pending and len(in_flight) < jobs * IN_FLIGHT_PER_WORKER:
                            a = pending.pop()
                            in_flight[pool.submit(_read_job, a)] = a
                        done = next(iter(_as_completed(in_flight)))
                        rows = done.result()  # may raise BrokenProcessPool: `done` stays in flight, retried
                        del in_flight[done]
                        on_result(rows)
                except (KeyboardInterrupt, SystemExit):   # Ctrl+C, SIGTERM: stop now, not after the files in flight
                    _stop_workers(pool)
                    raise
        except BrokenProcessPool:
            # A worker died (e.g. out of memory on a hostile file). Retry what was in flight one by one
            # in isolation, so the culprit is named and the others still get read.
            suspects.extend(in_flight.values())
            for a in suspects:
                on_result(_isolated(a))
            suspects = []


def _esep_mp_tempdir() -> None:
    """multiprocessing keeps the forkserver's socket in a temporary folder of its own (pymp-…) that a
    SIGKILL leaves behind; give it an esep spool name instead (esep-mp-<pid>-…), so the next run can
    tell it is esep's and remove it (outputs.clean_stale). Removed at exit as multiprocessing does."""
    import multiprocessing
    import shutil
    from multiprocessing import util

    try:
        config = multiprocessing.current_process()._config
    except AttributeError:
        return
    if config.get("tempdir") is None:
        folder = tempfile.mkdtemp(prefix=spool_prefix("mp"))
        config["tempdir"] = folder
        util.Finalize(None, shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True}, exitpriority=-100)


def _pool(workers: int) -> ProcessPoolExecutor:
    _esep_mp_tempdir()
    context = multiprocessing.get_context(START_METHOD)
    if START_METHOD == "forkserver":
        context.set_forkserver_preload([__name__])   # the workers fork with the reader already imported
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_limit_memory)


def _as_completed(futures):
    from concurrent.futures import FIRST_COMPLETED, wait
    done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
    return done


def _isolated(a) -> FileRows:
    try:
        with _pool(1) as pool:
            try:
                return pool.submit(_read_job, a).result()
            except (KeyboardInterrupt, SystemExit):
                _stop_workers(pool)
                raise
    except BrokenProcessPool:
        index, path, lang, source, keep_rows, _, _ = a
        return render(_unreadable(index, path, "crashed", 0.0, lang), source, lang, keep_rows)


@dataclass
class _Cached:
    hits: set = field(default_factory=set)          # indices of the files taken from the cache
    store: tuple | None = None                      # (folder, key) for the workers, or None


def _from_cache(cache, output, paths: list[Path], names: list[str], lang: str, keep_rows: bool,
                on_hit: Callable[[FileRows], None]) -> _Cached:
    """Hand each file whose reading the merge cache holds to on_hit as FileRows (mtime and path fresh,
    rendered for today's source name); return their indices and where the workers store the others."""
    if cache is None or cache is False:
        return _Cached()
    from . import cache as result_cache
    from .reader import file_sha256

    key = result_cache.secret_key()
    if key is None:
        return _Cached()
    folder = result_cache.default_folder(output) if cache is True else Path(cache)
    out = _Cached(store=(str(folder), key))
    for i, path in enumerate(paths):
        sha = file_sha256(path)
        entry = result_cache.load(folder, key, sha, lang) if sha else None
        if entry is None:
            continue
        xml, source, row_dicts = entry.pop("xml"), entry.pop("source"), entry.pop("rows")
        rows = FileRows(index=i, path=str(path), sha256=sha, mtime=_mtime(path), **entry)
        if keep_rows or source != names[i]:   # the row dicts are read only when needed
            lists = row_dicts()
            if lists is None:
                continue
            for sheet, items in lists.items():
                setattr(rows, sheet, items)
        if source == names[i]:
            rows.xml = xml
        else:
            render(rows, names[i], lang, keep_rows)
        on_hit(rows)
        out.hits.add(i)
    return out


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
    superseded_invalid: int = 0       # of the superseded, those that were not valid themselves
    csv_files: list[str] = field(default_factory=list)
    # Problems of the run itself, not of a file (a worker that could not cap its memory), in the
    # register's language: for the operator.
    warnings: list[str] = field(default_factory=list)
    cached: int = 0          # files taken from the merge cache instead of being read
    # With a roster: roster rows, those answered by a report, those not, and reports that came late.
    expected: int | None = None
    received: int | None = None
    missing: int | None = None
    late: int | None = None

    @property
    def ok(self) -> bool:
        """Every file found was valid (a superseded one too), and there was at least one."""
        return self.files > 0 and self.invalid == 0 and self.unreadable == 0 and self.superseded_invalid == 0

    @property
    def written(self) -> bool:
        """The register (and CSVs) were written; an empty run writes nothing."""
        return self.files > 0

    def to_dict(self) -> dict:
        out = {"files": self.files, "valid": self.valid, "invalid": self.invalid,
               "unreadable": self.unreadable, "superseded": self.superseded,
               "superseded_invalid": self.superseded_invalid, "written": self.written,
               "output": display_path(self.output), "csv": [display_path(p) for p in self.csv_files],
               "warnings": self.warnings, "cached": self.cached}
        if self.expected is not None:
            out.update(expected=self.expected, received=self.received, missing=self.missing, late=self.late)
        return out


def merge(inputs, output, *, csv_dir=None, lang: str = "kk", jobs: int | None = None,
          progress: Callable[[int, int, int], None] | None = None, roster=None,
          cache: bool | str | os.PathLike | None = None) -> MergeResult:
    """Merge workbooks (files and folders) into the register at `output` (and CSVs in csv_dir).

    `progress(done, total, errors)` is called after each file is read. `roster` (a path or a
    roster.Roster) adds the round: who is missing, who is late, headers that disagree with the roster;
    a bad roster raises roster.RosterError before anything is read or written. `cache` (True: the
    folder .esep-cache beside the register; or a folder) keeps what reading each file gave, by its
    SHA-256, so a re-merge reads only the files that changed (see cache.py); None or False reads all.
    """
    from . import expected as round_check

    started = time.time()
    # Before any input is read: every output can be written and none of them is an input.
    roster_path = getattr(roster, "path", roster)
    check_merge_outputs(inputs, output, csv_dir, picked_up=_picked_up,
                        also_read=[roster_path] if roster_path is not None else [])
    output = Path(output)
    clean_stale([output.parent] + ([Path(csv_dir)] if csv_dir else []), started=started)
    if roster is not None and not hasattr(roster, "entries"):
        from .roster import load as load_roster
        roster = load_roster(roster)
    paths = find_inputs(inputs, output=output)
    if roster is not None:   # the roster lying in an input folder is not a report
        paths = [p for p in paths if os.path.abspath(p) != os.path.abspath(roster.path)]
    heads: list = []
    jobs = jobs or os.cpu_count() or 1
    result = MergeResult(output=str(output), csv_dir=str(csv_dir) if csv_dir else None, files=len(paths))
    if not paths:   # nothing to merge: an earlier register and its CSVs stay as they are
        return result
    read_at = _dt.datetime.now().replace(microsecond=0)
    names = _display_names(paths)

    with Spool() as spool_:
        errors = 0

        def keep(rows: FileRows):
            nonlocal errors
            if rows.xml is None:  # its worker died: rendered here
                render(rows, names[rows.index], lang, bool(csv_dir))
            if rows.note:
                text = MEMORY_LIMIT_NOT_SET.get(lang).format(limit=WORKER_MEMORY_LIMIT // 1024 ** 3, detail=rows.note)
                if text not in result.warnings:
                    result.warnings.append(text)
            spool_.keep(rows)
            if roster is not None:
                at_, source_ = round_check.received(paths[rows.index], rows.sha256)
                heads.append(round_check.Head(
                    rows.index, names[rows.index], rows.status,
                    {k: rows.report.get(k) for k in ROSTER_FIELDS} if rows.status != "unreadable" else {},
                    dict(rows.cells), at_, source_))
            if rows.status != "valid":
                errors += 1
            if progress:
                progress(len(spool_), len(paths), errors)

        # Cache hits go to the spool one by one (memory stays flat), then the workers read the rest.
        cached = _from_cache(cache, output, paths, names, lang, bool(csv_dir), keep)
        read_all(paths, lang, jobs, keep, sources=names, keep_rows=bool(csv_dir), spool_dir=spool_.folder,
                 skip=cached.hits, cache=cached.store)
        result.cached = len(cached.hits)
        round_ = None
        if roster is not None:
            heads.sort(key=lambda h: h.index)
            live = set(range(len(paths))) - set(spool_.resubmissions())
            round_ = (roster, heads, round_check.check(roster, heads, live, lang))
        _write(spool_, output, csv_dir=csv_dir, lang=lang, names=names, read_at=read_at, result=result,
               round_=round_)
    return result


class Spool:
    """Everything the workers sent back, kept on disk so memory stays flat in the number of files:
    each file's FileRows (pickled, without its rendered rows) in one temporary file, and its rendered
    rows in the workers' spool files in `folder` (see spool()), found by (file index, sheet key)."""

    def __init__(self):
        self._stack = ExitStack()
        self.results = self._stack.enter_context(tempfile.TemporaryFile(prefix="esep-spool-"))
        self.folder = self._stack.enter_context(tempfile.TemporaryDirectory(prefix=spool_prefix("rows")))
        self._offsets: dict[int, int] = {}
        self._rows: dict[tuple[int, str], tuple[str, int, int, int]] = {}   # -> (file, offset, size, rows)
        self._meta: dict[int, tuple] = {}
        self._handles: dict[str, Any] = {}

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *exc_info) -> None:
        self._stack.close()

    def __len__(self) -> int:
        return len(self._offsets)

    def keep(self, rows: FileRows) -> None:
        spool(rows, self.folder)
        for key, where in rows.xml.items():
            self._rows[rows.index, key] = where
        rows.xml = None
        self._offsets[rows.index] = self.results.tell()
        pickle.dump(rows, self.results, protocol=pickle.HIGHEST_PROTOCOL)
        self._meta[rows.index] = (rows.key, rows.report_date, rows.mtime, rows.sha256, rows.status == "unreadable")
        self._chain = None

    def load(self, i: int) -> FileRows:
        """File i's FileRows (without its rendered rows: see chunk())."""
        self.results.seek(self._offsets[i])
        return pickle.load(self.results)

    def chunk(self, i: int, key: str) -> bytes:
        """File i's rendered rows of sheet `key` (rowxml: rows joined by SEP, ROW for the row number)."""
        path, offset, size, _ = self._rows[i, key]
        if path not in self._handles:
            self._handles[path] = self._stack.enter_context(open(path, "rb"))
        fh = self._handles[path]
        fh.seek(offset)
        return fh.read(size)

    def rows_of(self, i: int, key: str) -> int:
        return self._rows[i, key][3]

    def size_of(self, key: str) -> int:
        """Bytes of sheet `key`'s rendered rows over every file."""
        return sum(where[2] for (_, k), where in self._rows.items() if k == key)

    def resubmissions(self) -> dict[int, int]:
        """{superseded file index: current file index} (see _resubmissions)."""
        return self._resubmissions()[1]

    def identical(self) -> dict[int, int]:
        """{byte-identical copy: the file that stands for it} (also in resubmissions())."""
        return self._resubmissions()[2]

    def _resubmissions(self):
        if getattr(self, "_chain", None) is None:
            self._chain = _resubmissions(self._meta)
        return self._chain


def _resubmissions(meta: dict[int, tuple]) -> tuple[dict, dict[int, int], dict[int, int]]:
    """Which reports are current. meta: index -> (key, report_date, mtime, sha256, unreadable).

    Byte-identical reports (the same SHA-256, both read) are one submission: the first to arrive
    (earliest file time, then input order) stands for all; the copies are identical[copy] = first. Then the remaining reports
    are grouped by key (BIN, agreement_key, report type): the newest report_date, then the newest file,
    then the later input is current. Returns ({key: current index}, {superseded index: the index that
    replaced it}, identical); identical copies are in the second dict too."""
    by_sha: dict[str, list[int]] = defaultdict(list)
    for i, (_, _, _, sha, unreadable) in meta.items():
        # An unreadable file is no report: each copy stays unreadable with its own finding (nothing of it is
        # counted twice); a copy whose worker died is no reading of those bytes either.
        if sha and not unreadable:
            by_sha[sha].append(i)
    identical: dict[int, int] = {}
    for members in by_sha.values():
        if len(members) > 1:
            first = min(members, key=lambda i: (meta[i][2], i))
            identical.update((i, first) for i in members if i != first)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, (key, _, _, _, _) in meta.items():
        if key and i not in identical:
            groups[key].append(i)
    current, superseded = {}, dict(identical)
    for key, members in groups.items():
        if len(members) < 2:
            continue

        def rank(i):
            _, report_date, mtime, _, _ = meta[i]
            d = report_date.toordinal() if isinstance(report_date, _dt.date) else -1
            return (d, mtime, i)

        best = max(members, key=rank)
        current[key] = best
        for i in members:
            if i != best:
                superseded[i] = best
    return current, superseded, identical


def _write(spool_: Spool, output: Path, *, csv_dir, lang: str, names: list[str], read_at, result: MergeResult,
           round_=None):
    """Write the register (and CSVs) from what the spool holds for the files `names`.

    Three passes: (1) over the spooled files in input order: statuses, the Reports rows, the
    duplicate-submission findings, the summary's sums and the CSVs; (2) XlsxWriter writes the workbook
    around the rows (headers, widths, filters, the Summary sheet and its chart); (3) the rows are
    numbered and stitched into their sheets (rowxml.stitch).

    round_: (roster, heads, expected.Outcome) of merge --roster, which adds its findings to their files,
    the Expected sheet and expected.csv."""
    import xlsxwriter

    n = len(names)
    superseded_by = spool_.resubmissions()
    identical = spool_.identical()
    outcome = round_[2] if round_ else None
    supersedes: dict[int, list[str]] = defaultdict(list)
    for old, new in sorted(superseded_by.items()):
        supersedes[new].append(names[old])
    final: dict[int, tuple[str, int, int]] = {}     # index -> (status, errors, warnings)
    renderers = _renderers(lang)
    with ExitStack() as stack:
        tmpdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=spool_prefix("register"))))
        csv_writers = {}
        if csv_dir:
            for key, _, columns, csv_name in SHEETS + ((EXPECTED_CSV,) if round_ else ()):
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
            rows = spool_.load(i)
            source = names[i]
            prov = {"source_file": source, "sha256": rows.sha256}
            status = rows.status
            superseded = i in superseded_by
            dups = []
            extra = list(outcome.findings.get(i, ())) if outcome else []
            if superseded:
                status = "superseded"
                result.superseded_invalid += rows.status != "valid"
                current = names[superseded_by[i]]
                if i in identical:
                    extra.append(Finding("identical-resubmission", value=source, expected=current,
                                         params={"first": current}))
                else:
                    extra.append(Finding("duplicate-submission", value=source, expected=current, params={
                        "bin": rows.key[0], "agreement": rows.report.get("agreement_no") or "",
                        "current": current, "older": source}))
            if extra:
                dups = [{**prov, **f.to_dict(lang)} for f in extra]
                dup_rows[i] = renderers["findings"].rows(dups)
                for f in extra:
                    rows.counts[f.severity] = rows.counts.get(f.severity, 0) + 1
                if status == "valid" and any(f.severity == "error" for f in extra):
                    status = "invalid"
            final[i] = (status, rows.counts["error"], rows.counts["warning"])
            setattr(result, status, getattr(result, status) + 1)
            report = {**prov, **rows.report, "template_version": rows.template_version, "lang": rows.lang,
                      "read_at": read_at, "status": status, "errors": rows.counts["error"],
                      "warnings": rows.counts["warning"], "supersedes": "; ".join(supersedes.get(i, ())) or None,
                      "superseded_by": names[superseded_by[i]] if superseded else None}
            data = renderers["reports"].rows([report])
            report_at.append((reports.tell(), len(data)))
            reports.write(data)
            for key in DETAILS:
                if key == "findings" or not superseded:
                    totals[key] += spool_.rows_of(i, key)
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
        expected_rows = _expected_rows(round_, final, names, result, by_region) if round_ else []
        if csv_writers and round_:
            words = {True: "true", False: "false", None: None}
            _csv_rows(csv_writers["expected"], EXPECTED_CSV[2], [
                {**row, "valid": words[row["valid"]], "on_time": words[row["on_time"]]} for row in expected_rows])


        # 2. The workbook around the rows.
        frame = tmpdir / "frame.xlsx"
        wb = xlsxwriter.Workbook(str(frame), {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            "default_date_format": "dd.mm.yyyy"})
        wb.set_properties({"title": "esep register", "created": read_at})
        fmt = _Formats(wb)
        summary_ws = wb.add_worksheet(SUMMARY_TITLE.get(lang))
        if round_:
            _write_expected(wb.add_worksheet(EXPECTED_TITLE.get(lang)), expected_rows, lang, fmt)
        titles = {}
        for key, title, columns, _ in SHEETS:
            ws = wb.add_worksheet(title.get(lang))
            _sheet_frame(ws, columns, lang, fmt, totals[key])
            titles[ws.name] = key
        _write_summary(wb, summary_ws, by_region, lang, fmt, with_round=bool(round_))
        wb.close()
        rowxml.check_styles(str(frame))
        parts = rowxml.worksheet_parts(str(frame))
        if set(titles) - set(parts):   # their rows would be lost without a word
            raise KeyError(f"register frame: no worksheet for {sorted(set(titles) - set(parts))}")
        sheets = {parts[title]: key for title, key in titles.items()}

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
                    data = spool_.chunk(i, key)
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
        size = {key: spool_.size_of(key) for key in DETAILS}
        size["reports"] = sum(b for _, b in report_at)
        tmp = stack.enter_context(atomic_path(output))
        rowxml.stitch(str(frame), str(tmp), {
            part: (totals[key] + 1, len(columns_of[key]) - 1, blocks(key)) for part, key in sheets.items()},
            {part: size[key] for part, key in sheets.items()})


def _expected_rows(round_, final: dict[int, tuple[str, int, int]], names: list[str], result: MergeResult,
                   by_region: dict) -> list[dict]:
    """One row per roster entry (machine values); counts into result and by_region (by the roster's
    region)."""
    roster, heads, outcome = round_
    head = {h.index: h for h in heads}
    rows = []
    result.expected = result.received = result.missing = result.late = 0
    for k, entry in enumerate(roster.entries):
        i = outcome.answer.get(k)
        row = {key: entry[key] for key in ("agreement_no", "org_bin", "org_name", "region", "due_date",
                                           "org_email", "org_phone", "program")}
        row.update(report_type=entry.report_type, status="missing" if i is None else "received",
                   valid=None, on_time=None)
        agg = by_region.setdefault(entry["region"], defaultdict(float))
        agg["expected"] += 1
        result.expected += 1
        if i is None:
            result.missing += 1
            agg["missing"] += 1
        else:
            from .expected import on_time

            status, errors, warnings = final[i]
            at = head[i].received_at
            row.update(valid=status == "valid", on_time=on_time(entry, at), received_at=at,
                       received_from=head[i].received_from, source_file=names[i], errors=errors,
                       warnings=warnings)
            result.received += 1
            agg["received"] += 1
            agg["on_time"] += bool(row["on_time"])
            result.late += row["on_time"] is False
        rows.append(row)
    return rows


def _write_expected(ws, rows: list[dict], lang: str, fmt):
    """The Expected sheet: one row per roster entry, in the roster's order (the operator's own; the
    filter sorts and picks the missing)."""
    _sheet_frame(ws, EXPECTED_COLUMNS, lang, fmt, len(rows))
    for r, row in enumerate(rows, 1):
        for c, col in enumerate(EXPECTED_COLUMNS):
            value = row.get(col.key)
            if value is None or value == "":
                continue
            if col.kind == "date":
                ws.write_datetime(r, c, _dt.datetime.combine(value, _dt.time()), fmt.date)
            elif col.kind == "datetime":
                ws.write_datetime(r, c, value, fmt.datetime)
            elif col.kind == "int":
                ws.write_number(r, c, value, fmt.int)
            elif col.kind.startswith("choice:"):
                ws.write_string(r, c, form.option_label(col.kind[7:], value, lang))
            elif col.kind in ("round_status", "yes_no", "time_source"):
                ws.write_string(r, c, ROUND_WORDS[value].get(lang))
            else:
                ws.write_string(r, c, str(value))


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
        out.append(display_path(os.path.relpath(ap, common) if common else str(p)))
    return out


class _Formats:
    def __init__(self, wb):
        # First, and in this order: the workers render these cells with these xf indices (rowxml.XF).
        # XlsxWriter numbers formats when they are first used; _get_xf_index() (its one private method
        # esep calls; tests/test_register.py pins the versions) uses them now, in this order, and
        # rowxml.check_styles() then proves the indices on the written file.
        for name in rowxml.XF_ORDER:
            setattr(self, name, wb.add_format({"num_format": rowxml.XF_FORMATS[name]}))
            getattr(self, name)._get_xf_index()
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


@functools.cache   # one per language and process
def _renderers(lang: str) -> dict[str, rowxml.Renderer]:
    """Per register sheet, how its rows are rendered in `lang`."""
    return {key: rowxml.Renderer((c.key, c.kind, _shown_by(c, lang)) for c in columns)
            for key, _, columns, _ in SHEETS}


def _shown_by(col: Column, lang: str):
    """None (a value is shown as it is) or raw value -> what the register shows (labels in `lang`)."""
    if col.kind.startswith("choice:"):
        return _OptionLabels(col.kind[7:], lang)
    if col.kind == "status":
        return {k: t.get(lang) for k, t in form.STATUSES.items()}
    if col.key == "status":
        return {k: t.get(lang) for k, t in REPORT_STATUS.items()}
    if col.kind == "severity":
        return {k: t.get(lang) for k, t in vocabulary.SEVERITY.items()}
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


def _write_summary(wb, ws, by_region: dict, lang: str, fmt: _Formats, with_round: bool = False):
    columns = SUMMARY_COLUMNS + (ROUND_SUMMARY_COLUMNS if with_round else ())
    ws.write_string(0, 0, SUMMARY_TITLE.get(lang), fmt.title)
    header_row = 2
    for c, (key, label) in enumerate(columns):
        ws.write_string(header_row, c, label.get(lang), fmt.header)
        ws.set_column(c, c, 34 if c == 0 else 16)
    order = [o.code for o in form.LIST["region"].options]
    regions = sorted(by_region, key=lambda r: (order.index(r) if r in order else len(order), str(r)))
    r = header_row + 1
    national = defaultdict(float)
    for region in regions:
        agg = by_region[region]
        name = form.option_label("region", region, lang) if region else UNKNOWN_REGION.get(lang)
        _summary_row(ws, r, name, agg, fmt, bold=False, columns=columns)
        for k, x in agg.items():
            national[k] += x
        r += 1
    first_data, last_data = header_row + 1, r - 1
    _summary_row(ws, r, NATIONAL.get(lang), national, fmt, bold=True, columns=columns)
    ws.set_row(header_row, 45)
    ws.freeze_panes(header_row + 1, 1)
    ws.autofilter(header_row, 0, max(last_data, header_row + 1), len(columns) - 1)
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
        # From zero: a value axis starting near the smallest bar makes 1 000 against 1 076 look fourfold.
        chart.set_y_axis({"min": 0})
        ws.insert_chart(r + 2, 0, chart)


def _summary_row(ws, r, name, agg, fmt, bold, columns=SUMMARY_COLUMNS):
    ws.write_string(r, 0, name, fmt.bold if bold else None)
    rates = {"ind_met_share": ("ind_met", "ind_lines"), "reporting_rate": ("received", "expected"),
             "on_time_rate": ("on_time", "received")}
    for c, (key, _) in enumerate(columns[1:], 1):
        if key in rates:
            part, whole = rates[key]
            if agg.get(whole, 0):
                ws.write_number(r, c, agg.get(part, 0) / agg[whole] * 100, fmt.pct)
            continue
        ws.write_number(r, c, agg.get(key, 0), fmt.bold_number if bold else fmt.number)
