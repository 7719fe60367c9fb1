"""The validation sheet, written into a faithful copy of the NGO's workbook.

The copy is made at zip level (zipsheet.py): every part of the original stays as it was (comments,
images, drop-downs incl. extension lists, protection, defined names, cached values); only the new
sheet is added. Macros are the one thing not kept: a checked copy never carries them.
"""
from __future__ import annotations

import datetime as _dt
from collections import Counter

from . import __version__, form
from .findings import Finding, show
from . import vocabulary as v
from .form import Text
from .zipsheet import Cell, NewSheet, add_sheet

UI = {
    "title": Text("Есепті тексеру нәтижесі", "Результат проверки отчёта", "Validation result"),
    "template": Text("Үлгі нұсқасы", "Версия шаблона", "Template version"),
    "tool": Text("esep нұсқасы", "Версия esep", "esep version"),
    "date": Text("Тексерілген күні", "Дата проверки", "Checked on"),
    "by_rule": Text("Ереже бойынша қысқаша", "Сводка по правилам", "Summary by rule"),
    "all": Text(v.FINDINGS.kk + " (ұяшыққа өту үшін сілтемені басыңыз)",
                v.FINDINGS.ru + " (нажмите на ссылку, чтобы перейти к ячейке)",
                v.FINDINGS.en + " (click a cell to jump to it)"),
    "no": Text("№", "№", "#"),
    "severity": v.SEVERITY_HEADING,
    "none": v.NO_FINDINGS,
    **{k: v.WORDS[k] for k in ("file", "count", "rule", "example", "message", "field", "cell", "found",
                               "expected", "code")},
    **{s: v.SEVERITY[s] for s in v.SEVERITY},
    **{f"{s}s": v.COUNT_LABEL[s] for s in v.COUNT_LABEL},
}


def _status_line(ok: bool, lang: str, check_url: str | None = None) -> str:
    status = v.STATUS["valid" if ok else "invalid"].get(lang).upper()
    if not ok and check_url:
        return f"{status}: {v.NEXT_STEP_WITH_PAGE.get(lang).format(url=check_url)}"
    return f"{status}: {v.NEXT_STEP['valid' if ok else 'invalid'].get(lang)}"


def _t(key: str, lang: str) -> str:
    return UI[key].get(lang)


def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def build_sheet(result, lang: str, today: _dt.date | None = None) -> NewSheet:
    """The validation sheet's content for one FileResult, in `lang`."""
    today = today or _dt.date.today()
    counts = result.counts
    ok = result.valid
    rows: list[list[Cell | None]] = []
    rows.append([Cell(_t("title", lang), "title")])
    check_url = result.report.check_url if result.report is not None else None
    rows.append([Cell(_status_line(ok, lang, check_url), "ok" if ok else "bad")])
    rows.append([Cell(_t("errors", lang), "bold"), Cell(counts["error"], "error" if counts["error"] else "text"),
                 Cell(_t("warnings", lang), "bold"),
                 Cell(counts["warning"], "warning" if counts["warning"] else "text"),
                 Cell(_t("infos", lang), "bold"), Cell(counts["info"], "text")])
    rows.append([Cell(_t("file", lang), "bold"), Cell(_basename(result.path)), None, None,
                 Cell("SHA-256", "bold"), Cell(result.sha256, "muted")])
    rows.append([Cell(_t("template", lang), "bold"), Cell(result.template_version or "—"),
                 Cell(_t("tool", lang), "bold"), Cell(__version__),
                 Cell(_t("date", lang), "bold"), Cell(today.strftime("%d.%m.%Y"))])
    rows.append([])

    # Summary by rule: a rule repeated on many rows stays readable here; the full list follows.
    by_code = Counter(f.code for f in result.findings)
    first: dict[str, Finding] = {}
    for f in result.findings:
        first.setdefault(f.code, f)
    rows.append([Cell(_t("by_rule", lang), "title")])
    rows.append([Cell(_t("count", lang), "header"), Cell(_t("severity", lang), "header"),
                 Cell(_t("example", lang), "header"), Cell(_t("code", lang), "header")])
    if not result.findings:
        rows.append([Cell(_t("none", lang), "ok")])
    for code, f in first.items():
        rows.append([Cell(by_code[code], "number"), Cell(_t(f.severity, lang), f.severity),
                     Cell(f.message(lang), "wrap"), Cell(code, "muted")])
    rows.append([])

    rows.append([Cell(_t("all", lang), "title")])
    header_row = len(rows)
    rows.append([Cell(_t(k, lang), "header") for k in
                 ("no", "severity", "message", "field", "cell", "found", "expected", "code")])
    for i, f in enumerate(result.findings, 1):
        link = f"{_quote(f.sheet)}!{f.cell}" if f.sheet and f.cell else None
        where = f"{f.sheet}!{f.cell}" if link else (f.sheet or "")
        rows.append([
            Cell(i, "number"),
            Cell(_t(f.severity, lang), f.severity),
            Cell(f.message(lang), "wrap"),
            Cell(form.label(f.field, lang) if f.field else "", "wrap"),
            Cell(where, "link" if link else "text", link=link),
            Cell(show(f.value, lang) if f.value is not None else ""),
            Cell(show(f.expected, lang) if f.expected is not None else ""),
            Cell(f.code, "muted"),
        ])
    last = len(rows)
    widths = {0: 16, 1: 16, 2: 70, 3: 32, 4: 24, 5: 22, 6: 22, 7: 24}
    return NewSheet(
        title=v.SHEETS["validation"].get(lang),
        rows=rows,
        col_widths=widths,
        row_heights=_row_heights(rows, widths),
        freeze_rows=0,
        merges=["A1:H1", "A2:H2"],
        autofilter=f"A{header_row + 1}:H{max(last, header_row + 1)}" if result.findings else None,
        tab_color="C00000" if not ok else "00B050",
    )


def _row_heights(rows, widths) -> dict[int, float]:
    """Explicit heights for rows with wrapped text: spreadsheet programs do not re-fit rows on open."""
    heights = {}
    for r, row in enumerate(rows):
        lines = 1
        for c, cell in enumerate(row):
            if cell is None or cell.style not in ("wrap", "header") or not isinstance(cell.value, str):
                continue
            per_line = max(int(widths.get(c, 10) * 1.1), 1)
            lines = max(lines, sum(-(-max(len(part), 1) // per_line) for part in cell.value.split("\n")))
        if lines > 1:
            heights[r] = min(15 * lines, 400)
    return heights


def _basename(path: str) -> str:
    from .paths import display_path
    return display_path(path.replace("\\", "/").rsplit("/", 1)[-1])


def sheet_title(result, lang: str | None = None) -> tuple[str, str]:
    """(the validation sheet's usual title, the title it gets in this workbook): a sheet of the NGO's
    that already has the usual title is kept, and ours takes the next free one ("Тексеру (2)")."""
    from .zipsheet import _unique_title

    usual = form.VALIDATION_SHEET.get(lang or result.lang or "kk")
    titles = result.report.sheet_titles if result.report else []
    taken = {t.casefold() for t in titles}
    return usual, (_unique_title(usual, taken) if usual.casefold() in taken else usual)


def write_checked_copy(result, target, today: _dt.date | None = None, lang: str | None = None) -> None:
    """Write `target`: the input workbook, unchanged (every sheet of it kept), plus the validation sheet (macros removed), in
    `lang` (default: the workbook's language).

    The copy is made of the bytes the reader vetted and read (result.report.data, from
    validation.check(path, keep_data=True)), never of the file read again: it may have changed since."""
    if result.report is None or result.report.data is None:
        raise ValueError("write_checked_copy needs the vetted bytes: validation.check(path, keep_data=True)")
    lang = lang or result.lang or "kk"
    sheet = build_sheet(result, lang, today)
    sheet.title = sheet_title(result, lang)[1]
    drop = bool(result.report.has_macros)
    add_sheet(result.report.data, target, sheet, replace_existing=False, activate=True, drop_macros=drop)

