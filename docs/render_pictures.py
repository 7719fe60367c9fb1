"""Render the README's pictures from the shipped example (not by hand).

    python3 docs/render_pictures.py

docs/img/printed_page.png: the first page of the indicator table as LibreOffice prints the filled seed
example (workbook_templates/examples/final_report_2024_kk.xlsx); docs/img/document_page.png: the first
page of the indicator table of `esep document --format pdf` for the same workbook. Needs LibreOffice,
poppler-utils (pdftotext, pdftoppm), the Carlito font and python-docx.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EXAMPLE = ROOT / "workbook_templates" / "examples" / "final_report_2024_kk.xlsx"
OUT = ROOT / "docs" / "img"
WIDTH_PX = 1000         # small files: the README shows them at page width


def page_with(pdf: Path, text: str) -> int:
    """The first page (from 1) whose text contains `text`."""
    pages = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
        if line.startswith("Pages:")))
    for n in range(1, pages + 1):
        page = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        if text in page:
            return n
    raise SystemExit(f"{pdf.name}: no page with {text!r}")


def render(pdf: Path, page: int, target: Path) -> None:
    stem = target.with_suffix("")
    subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-singlefile", "-png", "-scale-to-x",
                    str(WIDTH_PX), "-scale-to-y", "-1", "-aa", "yes", str(pdf), str(stem)], check=True)
    print(f"{target.relative_to(ROOT)}: {target.stat().st_size // 1024} KB")


def main() -> None:
    from toolkit import form
    from toolkit.document import make_document, soffice

    OUT.mkdir(parents=True, exist_ok=True)
    heading = form.INDICATORS.label.get("kk")
    with tempfile.TemporaryDirectory(prefix="esep-pictures-") as work:
        work_dir = Path(work)
        subprocess.run([soffice(), f"-env:UserInstallation={(work_dir / 'profile').as_uri()}", "--headless",
                        "--norestore", "--convert-to", "pdf", "--outdir", str(work_dir), str(EXAMPLE)],
                       capture_output=True, check=True, timeout=300)
        printed = work_dir / f"{EXAMPLE.stem}.pdf"
        render(printed, page_with(printed, form.sheet_title("indicators", "kk")), OUT / "printed_page.png")
        made = make_document(EXAMPLE, work_dir / "document.pdf", fmt="pdf")
        document = Path(made.output)
        render(document, page_with(document, heading), OUT / "document_page.png")


if __name__ == "__main__":
    main()
