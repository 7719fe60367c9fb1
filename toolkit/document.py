"""The report as the official document (Annex 7), in the workbook's language: DOCX with python-docx (an
editable file: NGOs may adjust wording before signing), PDF by LibreOffice converting that DOCX.

Every figure is esep's own: inputs as esep read them, percentages, statuses and totals recomputed
(compute.py), never a cached result. A workbook with errors, or one esep cannot read, gets its findings
instead of a document. python-docx is the `document` extra: `pip install esep[document]`.
"""
from __future__ import annotations

import datetime as _dt
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import form
from .atomic import atomic_path

FORMATS = ("docx", "pdf")
SOFFICE_TIMEOUT = 180          # seconds for one DOCX -> PDF conversion
BODY_PT, TABLE_PT = 11, 8.5


class DocumentError(Exception):
    """The document cannot be made here (python-docx or LibreOffice missing, conversion failed)."""

    def __init__(self, message: form.Text):
        super().__init__(message.en)
        self.text = message


NEEDS_DOCX = form.Text(
    "Құжат жасау үшін python-docx керек: pip install 'esep[document]' орнатып, қайта іске қосыңыз.",
    "Для документа нужен python-docx: установите pip install 'esep[document]' и запустите снова.",
    "Making documents needs python-docx: pip install 'esep[document]', then run again.")
NEEDS_SOFFICE = form.Text(
    "PDF жасау үшін LibreOffice керек (soffice табылмады). LibreOffice орнатыңыз (Debian: apt-get install "
    "libreoffice-writer-nogui) немесе --format docx таңдаңыз.",
    "Для PDF нужен LibreOffice (soffice не найден). Установите LibreOffice (Debian: apt-get install "
    "libreoffice-writer-nogui) или выберите --format docx.",
    "PDF needs LibreOffice (soffice not found). Install it (Debian: apt-get install "
    "libreoffice-writer-nogui) or use --format docx.")
CONVERSION_FAILED = form.Text(
    "LibreOffice DOCX файлын PDF-ке айналдыра алмады: --format docx таңдап, файлды Word немесе LibreOffice "
    "арқылы PDF етіп сақтаңыз.",
    "LibreOffice не смог преобразовать DOCX в PDF: выберите --format docx и сохраните файл в PDF из Word "
    "или LibreOffice.",
    "LibreOffice could not convert the DOCX to PDF: use --format docx and save it as PDF from Word or "
    "LibreOffice.")


@dataclass
class DocumentResult:
    path: str
    result: Any                      # validation.FileResult: the findings, when refused
    output: str | None = None        # the document written, or None when refused

    @property
    def written(self) -> bool:
        return self.output is not None


def output_path(path, fmt: str = "docx", out_dir=None) -> Path:
    """`<name>.docx|.pdf` next to the workbook, or in out_dir."""
    path = Path(path)
    return (Path(out_dir) if out_dir else path.parent) / f"{path.stem}.{fmt}"


def soffice() -> str | None:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    return "/usr/bin/soffice" if os.access("/usr/bin/soffice", os.X_OK) else None


def make_document(path, target=None, fmt: str = "docx", out_dir=None) -> DocumentResult:
    """Check the workbook and, when it has no errors, write its document to `target` (default
    output_path). Raises DocumentError when python-docx or (for PDF) LibreOffice is missing."""
    from .validation import check

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    _require_docx()
    if fmt == "pdf" and soffice() is None:
        raise DocumentError(NEEDS_SOFFICE)
    result = check(path)
    if not result.readable or not result.valid:
        return DocumentResult(str(path), result)
    target = Path(target) if target else output_path(path, fmt, out_dir)
    if os.path.abspath(target) == os.path.abspath(path):
        raise ValueError("the document would overwrite the workbook")
    doc = build(result.report, result.calc, source=Path(path).name)
    with atomic_path(target) as tmp:
        if fmt == "docx":
            doc.save(str(tmp))
        else:
            _to_pdf(doc, tmp)
    return DocumentResult(str(path), result, str(target))


def _require_docx() -> None:
    try:
        import docx  # noqa: F401
    except ImportError:
        raise DocumentError(NEEDS_DOCX) from None


def _to_pdf(doc, target: Path) -> None:
    """The DOCX converted by LibreOffice headless, in a private profile (a running LibreOffice of the
    user's does not block it)."""
    with tempfile.TemporaryDirectory(prefix="esep-doc-") as work:
        work_dir = Path(work)
        source = work_dir / "report.docx"
        doc.save(str(source))
        cmd = [soffice(), f"-env:UserInstallation={(work_dir / 'profile').as_uri()}", "--headless",
               "--norestore", "--nolockcheck", "--convert-to", "pdf", "--outdir", str(work_dir), str(source)]
        try:
            subprocess.run(cmd, capture_output=True, timeout=SOFFICE_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired):
            raise DocumentError(CONVERSION_FAILED) from None
        pdf = work_dir / "report.pdf"
        if not pdf.exists() or pdf.stat().st_size == 0:
            raise DocumentError(CONVERSION_FAILED)
        shutil.copyfile(pdf, target)


# Values as the document shows them ----------------------------------------------------------------------

def number(value, lang: str, decimals: int | None = None) -> str:
    """1 076, 84,5 (a comma in kk/ru), no rounding of whole numbers."""
    if isinstance(value, bool) or value is None:
        return ""
    if decimals is not None:
        text = f"{value:,.{decimals}f}"
    elif isinstance(value, float) and not value.is_integer():
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    else:
        text = f"{int(value):,}"
    text = text.replace(",", "\u00a0")
    return text.replace(".", ",") if lang != "en" else text


def shown(report, name: str, lang: str, raw=None, value=None, use_row: bool = False) -> str:
    """A field's value as the document prints it: texts in full as typed, dates dd.mm.yyyy, options in
    the document's language, numbers with thousands spaces; a typed threshold phrase as typed."""
    f = form.FIELD[name]
    if not use_row:
        raw, value = report.raw.get(name), report.values.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ""
    if f.type == "choice":
        known = {o.code for o in form.LIST[f.options].options}
        return form.option_label(f.options, value, lang) if value in known else str(raw).strip()
    if f.type == "date":
        if isinstance(value, _dt.datetime):
            value = value.date()
        return value.strftime("%d.%m.%Y") if isinstance(value, _dt.date) else str(raw).strip()
    if f.type in ("measure", "count", "amount", "number"):
        if isinstance(raw, str) and raw.strip() and not isinstance(value, (int, float)):
            return raw.strip()
        if f.type == "measure" and isinstance(raw, str) and raw.strip():
            return raw.strip()              # «80%-дан кем емес»: the plan as worded
        return number(value, lang) if isinstance(value, (int, float)) else str(raw).strip()
    if isinstance(value, str):
        return value
    return str(value if value is not None else raw)


def percent(value, lang: str) -> str:
    return number(value, lang, 1) if isinstance(value, (int, float)) else ""


# The document -----------------------------------------------------------------------------------------

def build(report, calc: dict, source: str = ""):
    """The python-docx Document of a readable report."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    from . import __version__

    lang = report.lang or "kk"
    t = lambda text: text.get(lang)  # noqa: E731
    texts = form.DOCUMENT_TEXTS
    doc = docx.Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(BODY_PT)
    doc.core_properties.title = t(form.FORM_TITLE)
    doc.core_properties.comments = t(texts["source"]).format(file=source, version=__version__)
    doc.core_properties.language = {"kk": "kk-KZ", "ru": "ru-RU"}.get(lang, "")
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2))
    section.top_margin = section.bottom_margin = Cm(1.8)

    def para(text="", bold=False, size=None, align=None, italic=False, space_after=4):
        p = doc.add_paragraph()
        if text:
            run = p.add_run(text)
            run.bold, run.italic = bold, italic
            if size:
                run.font.size = Pt(size)
        if align:
            p.alignment = align
        p.paragraph_format.space_after = Pt(space_after)
        return p

    def text_block(text: str) -> None:
        for line in str(text).split("\n"):
            para(line, space_after=2)

    date = shown(report, "agreement_date", lang)
    para(t(texts["annex"]).format(date=date or "____", number=shown(report, "agreement_no", lang) or "____"),
         align=WD_ALIGN_PARAGRAPH.RIGHT, size=10)
    title = texts["title_interim" if report.values.get("report_type") == "interim" else "title_final"]
    para(t(title), bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=10)

    # Header data: numbered lines, as on the paper.
    para(t(texts["header"]), bold=True, size=12)
    n = 0
    for f in form.HEADER_FIELDS:
        if f.name == "report_type":
            continue
        value = shown(report, f.name, lang)
        n += 1
        p = para(space_after=2)
        p.add_run(f"{n}. {t(f.label)}: ").bold = True
        p.add_run(value)

    # Activities and indicators: landscape pages, task and activity merged down as on the paper.
    wide = doc.add_section()
    wide.orientation = WD_ORIENT.LANDSCAPE
    wide.page_width, wide.page_height = Cm(29.7), Cm(21)
    for side in ("left_margin", "right_margin"):
        setattr(wide, side, Cm(1.5))
    table = form.INDICATORS
    para(t(table.label), bold=True, size=12)
    ind_columns = [("number", None)] + [(f.name, f) for f in table.columns if f.name != "ind_date_end"]
    computed = {c.name: c for c in table.computed}
    heads, names = [], []
    for name, f in ind_columns:
        names.append(name)
        if name == "ind_fact":
            names += ["calc_ind_percent", "calc_ind_status"]
        if name == "number":
            heads.append(t(form.TEMPLATE_TEXTS["number"]))
        elif name == "ind_date_start":
            heads.append(t(texts["dates"]))
        else:
            heads.append(t(f.label))
        if name == "ind_fact":
            heads += [t(computed["calc_ind_percent"].label), t(computed["calc_ind_status"].label)]
    rows = report.tables.get("ind", [])
    grid = _table(doc, heads)
    above: dict[int, Any] = {}
    for k, row in enumerate(rows, 1):
        cells = grid.add_row().cells
        values = [str(k)]
        for name, f in ind_columns[1:]:
            if name == "ind_date_start":
                start = shown(report, name, lang, row.raw.get(name), row.values.get(name), True)
                end = shown(report, "ind_date_end", lang, row.raw.get("ind_date_end"),
                            row.values.get("ind_date_end"), True)
                values.append(start if not end or end == start else f"{start} – {end}")
            else:
                values.append(shown(report, name, lang, row.raw.get(name), row.values.get(name), True))
            if name == "ind_fact":
                status = (calc.get("calc_ind_status") or {}).get(row.index)
                values += [percent((calc.get("calc_ind_percent") or {}).get(row.index), lang),
                           t(form.STATUSES[status]) if status else ""]
        for col, (name, value) in enumerate(zip(names, values)):
            if name in ("ind_task", "ind_activity") and name in row.filled_down and col in above:
                _merge_down(above[col], cells[col])          # the same task/activity as the row above
                continue
            _write(cells[col], value, TABLE_PT)
            above[col] = cells[col]
    widths = {"number": 7, "ind_date_start": 13, "calc_ind_percent": 11, "calc_ind_status": 14, "ind_plan": 10,
              "ind_fact": 10, "ind_participants": 10}
    _widths(grid, [widths.get(n) or form.FIELD[n].width for n in names], 26.7)
    note = shown(report, "deviation_note", lang)
    para(t(form.DEVIATION_NOTE.label), bold=True, space_after=2).paragraph_format.space_before = Pt(8)
    text_block(note)

    # Socio-economic impact, budget, statistics, partners, sub-grants: portrait again.
    tall = doc.add_section()
    tall.orientation = WD_ORIENT.PORTRAIT
    tall.page_width, tall.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(tall, side, Cm(2))
    para(t(form.SHEET_HEADINGS["impact"]), bold=True, size=12)
    tt = form.TEMPLATE_TEXTS
    grid = _table(doc, [t(tt["number"]), t(tt["impact_indicator"]), t(tt["impact_unit"]), t(tt["impact_plan"]),
                        t(tt["impact_fact"]), t(form.COMPUTED_BY_NAME["calc_impact_staff_percent"].label)])
    for k, imp in enumerate(form.IMPACT_ROWS, 1):
        _add_row(grid, [str(k), t(imp.label), t(imp.unit), shown(report, imp.plan, lang),
                        shown(report, imp.fact, lang), percent(calc.get(f"calc_impact_{imp.key}_percent"), lang)])
    _widths(grid, [3, 40, 12, 12, 12, 10], 17)
    para(t(texts["budget"]), bold=True, space_after=2).paragraph_format.space_before = Pt(8)
    grid = _table(doc, None, columns=2)
    for name in ("calc_budget_total", "calc_budget_grant", "calc_budget_diff"):
        value = calc.get(name)
        _add_row(grid, [t(form.COMPUTED_BY_NAME[name].label),
                        number(value, lang) if isinstance(value, (int, float)) else ""])
    _widths(grid, [40, 12], 17)

    para(t(form.SHEET_HEADINGS["stats"]), bold=True, size=12).paragraph_format.space_before = Pt(10)
    for group in form.STATS_GROUPS:
        para(t(group.label), bold=True, space_after=2).paragraph_format.space_before = Pt(4)
        grid = _table(doc, None, columns=2)
        for name in (group.total,) + group.parts:
            _add_row(grid, [t(form.FIELD[name].label), shown(report, name, lang)])
        _widths(grid, [40, 12], 17)

    for key in ("partner", "subgrant"):
        spec = form.TABLE[key]
        para(t(spec.label), bold=True, size=12).paragraph_format.space_before = Pt(10)
        listed = report.tables.get(key, [])
        if not listed:
            para(t(texts["none"]))
            continue
        grid = _table(doc, [t(tt["number"])] + [t(f.label) for f in spec.columns])
        for k, row in enumerate(listed, 1):
            _add_row(grid, [str(k)] + [shown(report, f.name, lang, row.raw.get(f.name), row.values.get(f.name), True)
                                       for f in spec.columns])
        if key == "subgrant":
            total = calc.get("calc_subgrant_total")
            _add_row(grid, [""] * (len(spec.columns) - 1) + [t(form.SUBGRANT_TOTAL.label),
                                                              number(total, lang) if total is not None else ""])
        _widths(grid, [3] + [f.width for f in spec.columns], 17)

    # Narratives, each in full.
    para(t(form.SHEET_HEADINGS["narratives"]), bold=True, size=12).paragraph_format.space_before = Pt(10)
    for f in form.NARRATIVES:
        value = shown(report, f.name, lang)
        if f.type == "longtext":
            para(t(f.label), bold=True, space_after=2).paragraph_format.space_before = Pt(6)
            text_block(value)
        else:
            p = para(space_after=2)
            p.add_run(f"{t(f.label)}: ").bold = True
            p.add_run(value)

    # Signature block.
    para().paragraph_format.space_before = Pt(18)
    name = shown(report, "sign_name", lang) or shown(report, "org_head", lang)
    position = shown(report, "sign_position", lang)
    grid = doc.add_table(rows=2, cols=3)
    top = grid.rows[0].cells
    _write(top[0], t(tt["signature_title"]) + (f"\n{position}" if position else ""), BODY_PT)
    _write(top[1], "_" * 22, BODY_PT)
    _write(top[2], name, BODY_PT)
    under = grid.rows[1].cells
    _write(under[1], t(texts["signature_line"]), BODY_PT - 2)
    para(f"{t(texts['date_line'])}: {shown(report, 'sign_date', lang) or '«___» ____________ 20___'}",
         space_after=2).paragraph_format.space_before = Pt(10)
    para(t(tt["seal"]))
    return doc


def _table(doc, heads: list[str] | None, columns: int | None = None):
    grid = doc.add_table(rows=1 if heads else 0, cols=len(heads) if heads else columns)
    grid.style = "Table Grid"
    if heads:
        for cell, text in zip(grid.rows[0].cells, heads):
            _write(cell, text, TABLE_PT, bold=True)
        _repeat_header(grid.rows[0])
    return grid


def _add_row(grid, values: list[str]) -> None:
    for cell, value in zip(grid.add_row().cells, values):
        _write(cell, value, TABLE_PT)


def _write(cell, text: str, size: float, bold: bool = False) -> None:
    from docx.shared import Pt
    lines = str(text or "").split("\n")
    p = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            p = cell.add_paragraph()
        run = p.add_run(line)
        run.font.size = Pt(size)
        run.bold = bold
        p.paragraph_format.space_after = Pt(0)


def _merge_down(top, cell) -> None:
    """Merge `cell` into the cell above it (w:vMerge: cheap, unlike python-docx's merge)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    for target, value in ((top, "restart"), (cell, None)):
        props = target._tc.get_or_add_tcPr()
        if props.find(qn("w:vMerge")) is not None:
            continue
        mark = OxmlElement("w:vMerge")
        if value:
            mark.set(qn("w:val"), value)
        props.append(mark)


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    props = row._tr.get_or_add_trPr()
    mark = OxmlElement("w:tblHeader")
    mark.set(qn("w:val"), "true")
    props.append(mark)


def _widths(grid, weights: list[float], total_cm: float) -> None:
    """Fixed column widths in proportion to `weights` (LibreOffice and Word both honour cell widths)."""
    from docx.shared import Cm
    grid.autofit = False
    scale = total_cm / sum(weights)
    for column, w in zip(grid.columns, weights):
        column.width = Cm(w * scale)
    for row in grid.rows:
        for cell, w in zip(row.cells, weights):
            cell.width = Cm(w * scale)
