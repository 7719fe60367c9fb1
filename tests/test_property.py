"""Issue #6, property-based: random values of every kind in random input cells of the template never make
`validate` raise; every finding has a catalogue code, a severity and a location; the result is JSON.
Plus the value parsers (and the reader's per-field parsing on top of them) on arbitrary text.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import builders
from toolkit import form, reader, values
from toolkit.findings import CATALOGUE, SEVERITIES, Finding
from toolkit.validation import validate

# Codes that speak about the whole file or a whole sheet, so they may come without a cell
# (reader.py: file-unreadable, template-unknown, macros-present, protection-removed (sheet only),
# layout-changed for a missing sheet/table; register.py: duplicate-submission). Every other finding
# points at a cell.
FILE_LEVEL = {"file-unreadable", "template-unknown", "macros-present", "protection-removed",
              "layout-changed", "duplicate-submission"}

# Characters XML 1.0 cannot carry (openpyxl refuses them; Excel writes them as _xHHHH_ escapes, which
# test_hostile covers).
_XML_ILLEGAL = [chr(c) for c in range(32) if chr(c) not in "\t\n\r"] + ["\ufffe", "\uffff"]
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=_XML_ILLEGAL),
               max_size=60)
TRICKY_TEXT = st.sampled_from([
    "=1+1", "=HYPERLINK(\"http://example.com\",\"x\")", "+7 701 000 00 00", "-", "—", "-5", "+5", "@SUM(A1)",
    "\t=cmd", "\r=x", "1 076,5", "7 000 000", "84 %", "84%", "1,000", "10.07.2024", "10.07.24", "31.02.2024",
    "не менее 20", "80%-дан кем емес", "кемінде 12", "≥ 20", "TRUE", "#REF!", "_x0001_", "   ", "\u00a0",
    "0", "00", "٣٤", "１２３", "1e309", "-1e309", "NaN", "inf", "2024-07-10", "ж.", "орындалды",
])
VALUE = st.one_of(
    st.none(),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.integers(min_value=-5, max_value=2000),
    st.floats(allow_nan=False, allow_infinity=False),   # openpyxl writes nan/inf as text Excel rejects
    TEXT,
    TRICKY_TEXT,
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.booleans(),
)
SINGLE_NAMES = [f.name for f in form.SINGLE_FIELDS]
TABLE_ROWS = {t.key: t for t in form.TABLES}


@st.composite
def workbook_values(draw):
    """(singles, tables): a random subset of single fields and of table cells (rows near the start and
    the table's last row), on top of either the empty template or the clean report."""
    base = draw(st.booleans())
    singles = builders.clean_singles() if base else {}
    tables = builders.clean_tables() if base else {}
    for name in draw(st.lists(st.sampled_from(SINGLE_NAMES), max_size=25, unique=True)):
        singles[name] = draw(VALUE)
    for key, table in TABLE_ROWS.items():
        rows = tables.setdefault(key, [])
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            index = draw(st.integers(min_value=0, max_value=5))
            while len(rows) <= index:
                rows.append({})
            for col in draw(st.lists(st.sampled_from([c.name for c in table.columns]), min_size=1,
                                     max_size=len(table.columns), unique=True)):
                rows[index][col] = draw(VALUE)
    return singles, tables


def _check_finding(f: Finding):
    assert f.code in CATALOGUE, f.code
    assert f.severity in SEVERITIES, f
    if f.code not in FILE_LEVEL:
        assert f.sheet and f.cell, f
    if f.cell:
        assert builders.A1.match(f.cell), f.cell
    for lang in ("kk", "ru", "en"):
        message = f.message(lang)
        placeholders = re.findall(r"\{\w+\}", getattr(CATALOGUE[f.code], lang))
        assert message and not any(p in message for p in placeholders), (f.code, message)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workbook_values(), st.sampled_from(["kk", "ru"]))
# Found by this test: a huge negative number in a date cell made calamine panic (whole file "corrupt");
# the largest float is read back as inf, which json.dumps wrote as the invalid JSON token Infinity.
@example(({"agreement_date": -3.492612738815799e+16}, {}), "kk")
@example(({}, {"subgrant": [{"subgrant_recipient": 1.7976931348623157e+308}]}), "ru")
def test_random_values_never_break_validate(data, lang):
    singles, tables = data
    with tempfile.TemporaryDirectory() as tmp:
        path = builders.fill(Path(tmp) / "random.xlsx", singles, tables, lang=lang)
        before = path.read_bytes()
        result = validate(path, write_copy=True, out_dir=Path(tmp) / "out")
        assert path.read_bytes() == before
        assert result.readable, [f.to_dict() for f in result.findings]
        for f in result.findings:
            _check_finding(f)
        for message_lang in ("kk", "ru", "en"):
            json.dumps(result.to_dict(message_lang), ensure_ascii=False, allow_nan=False)
        # The checked copy is a zip whose new sheet is well-formed XML.
        with zipfile.ZipFile(result.output) as zf:
            for name in zf.namelist():
                if name.endswith(".xml") or name.endswith(".rels"):
                    ElementTree.fromstring(zf.read(name))


# The parsers, alone -----------------------------------------------------------------------------------

NUMBERISH = st.text(alphabet="0123456789 ,.-+%eE—–тгжылмнкеіаоесдо≥≤<>=()'\u00a0\u202f\t", max_size=40)
DATEISH = st.text(alphabet="0123456789./- :жылгода", max_size=30)
ANY_TEXT = st.one_of(st.text(), NUMBERISH, DATEISH, TRICKY_TEXT, st.text(min_size=500, max_size=3000))


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_parsers_never_raise_on_text(text):
    for p in (values.parse_text(text), values.parse_date(text), values.parse_number(text),
              values.parse_number(text, integer=True, dash_zero=True),
              values.parse_number(text, allow_threshold=True)):
        assert isinstance(p, values.Parsed)
        assert not (p.error and p.blank)
    digits = values.parse_bin(text)
    assert digits is None or isinstance(values.bin_is_valid(digits), bool)
    values.normalize_phone(text)
    assert values.count_sentences(text) >= 0
    assert isinstance(values.looks_like_formula(text), bool)
    form.fold(text)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(form.SINGLE_FIELDS) + [c for t in form.TABLES for c in t.columns]),
       st.one_of(VALUE, ANY_TEXT))
def test_every_field_reads_any_value(field, raw):
    """The reader's per-field parsing (types, drop-down options, BIN) and the findings it records."""
    parsed = reader._parse(field.type, field.options, raw)
    assert isinstance(parsed, values.Parsed)
    for f in reader._reading_findings(field, parsed, raw, "Sheet", "B3", None):
        _check_finding(f)
        json.dumps(f.to_dict("en"), ensure_ascii=False, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(form.SINGLE_FIELDS) + [c for t in form.TABLES for c in t.columns]),
       st.lists(st.one_of(VALUE, st.sampled_from([0, 0.0, 1, 1.0, True, False, "1", "0", -0.0])), max_size=8))
def test_remembered_parsing_equals_parsing(field, raws):
    """The reader remembers parse results per field type; what it remembers must be what _parse gives,
    value type included (1, 1.0, True and "1" are different inputs although 1 == 1.0 == True)."""
    parse = reader.parser_of(field)
    for raw in raws + raws[::-1]:
        got, want = parse(raw), reader._parse(field.type, field.options, raw)
        assert got == want
        assert type(got.value) is type(want.value)


def test_remembered_parsing_keeps_bool_and_number_apart():
    count = next(f for t in form.TABLES for f in t.columns if f.type == "count")
    parse = reader.parser_of(count)
    assert parse(True).error
    assert parse(1).value == 1 and not parse(1).error
    assert parse(1.0).value == 1 and not parse(1.0).error
    assert parse("1").note == "text-number"
