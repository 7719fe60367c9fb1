"""The filled seed example prints as the document: LibreOffice's PDF of it holds every narrative and every
indicator line in full, no text runs over another, type is at least 7 pt, header rows repeat on every
page of a table, and the signature block closes the report.

Needs LibreOffice, poppler-utils (pdftotext) and the Carlito font (Calibri's metrics; tests/run.sh
installs all three); without them the test skips and says why.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter

import pytest

import builders
import libreoffice
from toolkit import form, reader

CARLITO = shutil.which("fc-list") and "Carlito" in subprocess.run(
    ["fc-list"], capture_output=True, text=True).stdout
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not libreoffice.soffice_available(), reason="LibreOffice (soffice) is not installed"),
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed"),
    pytest.mark.skipif(not CARLITO, reason="the Carlito font (fonts-crosextra-carlito) is not installed"),
]

EXAMPLES = builders.ROOT / "workbook_templates" / "examples"
MIN_PT = 7.0
BOX_PER_PT = 1.22    # pdftotext's word box height for 1 pt of Carlito (measured: 13.9 at 11 pt)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


@pytest.fixture(scope="module", params=["kk", "ru"])
def printed(request, tmp_path_factory):
    lang = request.param
    src = EXAMPLES / f"final_report_2024_{lang}.xlsx"
    pdf = libreoffice.convert(src, "pdf", tmp_path_factory.mktemp(f"pdf_{lang}"))
    raw = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = []
    for page in bbox.split("<page ")[1:]:
        words = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in _WORD.findall(page)]
        pages.append(words)
    return lang, reader.read(src), raw, pages


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _unescape(word: str) -> str:
    return word.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')


def _pieces(text: str) -> list[str]:
    """Words split at hyphens too: LibreOffice wraps «оқыту-семинары» after the hyphen."""
    return [p for p in re.split(r"[\s\-–]+", text) if p]


def _sheet_pages(pages, lang, key):
    title = form.sheet_title(key, lang)
    out = []
    for words in pages:
        top = min(w[1] for w in words)
        header = " ".join(_unescape(w[4]) for w in words if w[1] - top < 2)
        if header.endswith(title):
            out.append(words)
    return out


def test_every_narrative_in_full(printed):
    lang, report, raw, _ = printed
    text = _squeeze(raw)
    narratives = (form.DEVIATION_NOTE,) + form.NARRATIVES
    filled = [f for f in narratives if report.values.get(f.name)]
    assert len(filled) >= 9
    for f in filled:
        for part in report.parts.get(f.name) or [report.raw[f.name]]:
            if part:
                assert _squeeze(str(part)) in text, f"{f.name}: not printed in full"


def test_every_indicator_line_in_full(printed):
    lang, report, raw, pages = printed
    sheet = _sheet_pages(pages, lang, "indicators")
    assert len(sheet) >= 3
    printed_words = Counter(p for words in sheet for w in words for p in _pieces(_unescape(w[4])))
    needed: Counter = Counter()
    rows = report.tables["ind"]
    assert len(rows) == 69
    for row in rows:
        for value in row.raw.values():
            if isinstance(value, str) and value.strip():
                needed.update(_pieces(value))
    squeezed = _squeeze(raw)
    # A word wider than its column is broken by LibreOffice mid-word: then it is there letter for letter.
    missing = {w: n for w, n in (needed - printed_words).items() if _squeeze(w) not in squeezed}
    assert not missing, f"indicator words not printed: {list(missing.items())[:10]}"
    heading = form.FIELD["ind_indicator"].label.get(lang).split()[0]
    for words in sheet:      # the column headings repeat at the top of every page of the table
        assert heading in {_unescape(w[4]) for w in words}


def test_type_is_readable_and_nothing_overlaps(printed):
    _, _, _, pages = printed
    for number, words in enumerate(pages, 1):
        smallest = min(w[3] - w[1] for w in words)
        assert smallest / BOX_PER_PT >= MIN_PT, f"page {number}: {smallest / BOX_PER_PT:.1f} pt"
        ordered = sorted(words, key=lambda w: w[1])
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                if b[1] >= a[3]:
                    break
                if abs(b[1] - a[1]) < 1.0:          # the same line
                    continue
                overlap_x = min(a[2], b[2]) - max(a[0], b[0])
                overlap_y = a[3] - b[1]             # word boxes of adjacent lines overlap by ~20 %
                limit = 0.45 * min(a[3] - a[1], b[3] - b[1])
                assert not (overlap_x > 1.0 and overlap_y > limit), (
                    f"page {number}: «{a[4]}» and «{b[4]}» overlap (a text longer than its row)")


def test_title_page_numbers_and_signature_block(printed):
    lang, _, raw, pages = printed
    title = form.FORM_TITLE.get(lang)
    assert raw.count(title) >= len(pages)                    # in every page header
    assert f"1 / {len(pages)}" in raw and f"{len(pages)} / {len(pages)}" in raw
    last = " ".join(_unescape(w[4]) for w in pages[-1])
    texts = form.TEMPLATE_TEXTS
    for text in (texts["signature_title"], texts["signature"], texts["seal"]):
        assert text.get(lang) in last
    for f in form.SIGNATURE_FIELDS:
        assert f.label.get(lang) in last
