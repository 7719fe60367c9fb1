"""`esep document`: the report as the official document. The tests read the DOCX back with python-docx and
the PDF with pdftotext and find every narrative and every table cell's text in full."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import builders
import libreoffice
import cli
from toolkit import form, reader

from click.testing import CliRunner  # noqa: E402

docx = pytest.importorskip("docx", reason="python-docx (the document extra) is not installed")

from toolkit import document  # noqa: E402

EXAMPLES = builders.ROOT / "workbook_templates" / "examples"
SEEDS = ["final_report_2024_kk.xlsx", "final_report_2024_ru.xlsx"]


def run_cli(args):
    return CliRunner().invoke(cli.cli, args)


def _docx_texts(path):
    d = docx.Document(str(path))
    paragraphs = [p.text for p in d.paragraphs]
    cells = []
    for table in d.tables:
        for row in table.rows:
            for cell in row.cells:
                cells.append(cell.text)
    return paragraphs, cells


def _expected_cells(report, lang):
    """Every table cell the document must show: each indicator, partner and sub-grant value as esep reads it."""
    out = []
    for key in ("ind", "partner", "subgrant"):
        for row in report.tables[key]:
            for name in row.raw:
                if name in row.filled_down:
                    continue
                text = document.shown(report, name, lang, row.raw.get(name), row.values.get(name), True)
                if text and name not in ("ind_date_start", "ind_date_end"):
                    out.append(text)
    return out


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs")
    return {name: document.make_document(EXAMPLES / name, out / name.replace(".xlsx", ".docx")) for name in SEEDS}


@pytest.mark.parametrize("name", SEEDS)
def test_docx_has_every_narrative_and_cell_in_full(made, name):
    res = made[name]
    assert res.written and res.output.endswith(".docx")
    report = reader.read(EXAMPLES / name)
    lang = report.lang
    paragraphs, cells = _docx_texts(res.output)
    body = "\n".join(paragraphs)
    for f in (form.DEVIATION_NOTE,) + form.NARRATIVES:
        value = report.values.get(f.name)
        if value and f.type == "longtext":
            for line in str(value).split("\n"):
                assert line in paragraphs, f"{f.name}: line missing: {line[:60]}"
            assert f.label.get(lang) in paragraphs
    cell_texts = set(cells)
    wanted = _expected_cells(report, lang)
    assert len(wanted) > 400
    missing = [w for w in wanted if w not in cell_texts]
    assert not missing, missing[:5]
    # Header values, recomputed figures, the signature block.
    assert report.raw["org_name"] in body and "7 000 000" in body.replace("\u00a0", " ")
    assert form.DOCUMENT_TEXTS["title_final"].get(lang) in paragraphs
    statuses = {form.STATUSES[s].get(lang) for s in ("met", "exceeded")}
    assert statuses <= cell_texts
    assert "60\u00a0200,0" in cell_texts          # 602 participants against a plan of 1: esep's percent
    assert report.raw["org_head"] in cell_texts   # signs: the head named in the header
    assert form.TEMPLATE_TEXTS["seal"].get(lang) in paragraphs


def test_values_are_recomputed_not_cached(tmp_path):
    """A stale cached percent in the workbook does not reach the document."""
    src = EXAMPLES / SEEDS[0]
    res = document.make_document(src, tmp_path / "a.docx")
    _, cells = _docx_texts(res.output)
    report = reader.read(src)
    cached = [fc.cached for fc in report.formulas if fc.name == "calc_ind_percent" and fc.row == 10]
    assert cached == [60200]
    assert "60\u00a0200,0" in cells


def test_bad_workbook_gets_its_findings_exit_1(tmp_path):
    src = EXAMPLES / "broken_report.xlsx"
    res = document.make_document(src, tmp_path / "b.docx")
    assert not res.written and not (tmp_path / "b.docx").exists()
    assert "bin-invalid" in [f.code for f in res.result.findings]
    run = run_cli(["document", str(src), "--out-dir", str(tmp_path)])
    assert run.exit_code == 1 and "[bin-invalid]" in run.output
    assert not list(tmp_path.glob("*.docx"))
    junk = tmp_path / "notes.xlsx"
    junk.write_text("not a workbook")
    run = run_cli(["document", str(junk), "--out-dir", str(tmp_path)])
    assert run.exit_code == 1 and "[file-unreadable]" in run.output


def test_cli_usage_and_missing_libreoffice(tmp_path, monkeypatch):
    src = EXAMPLES / SEEDS[0]
    run = run_cli(["document", str(src), str(src), "-o", str(tmp_path / "x.docx")])
    assert run.exit_code == 2
    run = run_cli(["document", str(src), "--out-dir", str(tmp_path)])
    assert run.exit_code == 0 and (tmp_path / "final_report_2024_kk.docx").exists()
    monkeypatch.setattr(document, "soffice", lambda: None)
    run = run_cli(["document", str(src), "--format", "pdf", "--out-dir", str(tmp_path), "--lang", "ru"])
    assert run.exit_code == 1 and "LibreOffice" in run.output and "--format docx" in run.output
    assert not (tmp_path / "final_report_2024_kk.pdf").exists()


@pytest.mark.slow
@pytest.mark.skipif(not libreoffice.soffice_available(), reason="LibreOffice (soffice) is not installed")
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")
def test_pdf_has_every_narrative_and_cell(tmp_path):
    src = EXAMPLES / SEEDS[1]
    run = run_cli(["document", str(src), "--format", "pdf", "-o", str(tmp_path / "r.pdf")])
    assert run.exit_code == 0, run.output
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    squeezed = re.sub(r"\s+", "", text)
    report = reader.read(src)
    for f in (form.DEVIATION_NOTE,) + form.NARRATIVES:
        value = report.values.get(f.name)
        if value:
            for line in str(value).split("\n"):
                assert re.sub(r"\s+", "", line) in squeezed, f"{f.name}: {line[:60]}"
    # Table cells: every word (pdftotext may interleave the lines of neighbouring cells).
    words = set(re.split(r"[\s\-–]+", text))
    missing = [w for w in _expected_cells(report, "ru")
               if not all(p in words or p in squeezed for p in re.split(r"[\s\-–]+", w) if p)]
    assert not missing, missing[:5]


def test_readme_pictures_are_rendered_by_the_script_and_small():
    readme = (builders.ROOT / "README.md").read_text(encoding="utf-8")
    script = (builders.ROOT / "docs" / "render_pictures.py").read_text(encoding="utf-8")
    for name in ("printed_page.png", "document_page.png"):
        picture = builders.ROOT / "docs" / "img" / name
        assert f"docs/img/{name}" in readme and name in script
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size < 200_000
