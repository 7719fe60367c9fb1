"""Tests for toolkit.values: reading cell values the way Kazakhstan NGO staff type them."""
import datetime as dt
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit import values as V
from toolkit.values import (
    Parsed,
    bin_is_valid,
    count_sentences,
    is_blank,
    looks_like_formula,
    make_bin,
    normalize_phone,
    parse_bin,
    parse_date,
    parse_number,
    parse_text,
)

NBSP = "\u00a0"
NNBSP = "\u202f"
ERROR = Parsed(error=True)
BLANK = Parsed(blank=True)


def _same(got, value, note=None, op=None):
    """Value and its exact type match (so 1 vs 1.0 vs True cannot slip through ==)."""
    assert got == Parsed(value, note=note, op=op), got
    assert type(got.value) is type(value), (type(got.value), type(value))


# --------------------------------------------------------------------------- Parsed


class TestParsed:
    def test_defaults(self):
        p = Parsed()
        assert (p.value, p.note, p.op, p.error, p.blank) == (None, None, None, False, False)

    def test_positional_and_keyword_construction(self):
        assert Parsed(5, "threshold", ">=") == Parsed(value=5, note="threshold", op=">=")

    def test_frozen(self):
        p = Parsed(1)
        with pytest.raises(AttributeError):
            p.value = 2
        with pytest.raises(AttributeError):
            del p.note
        with pytest.raises(AttributeError):
            p.extra = 1

    def test_eq_hash_repr(self):
        a, b = Parsed(1, note="text-number"), Parsed(1, note="text-number")
        assert a == b and hash(a) == hash(b) and len({a, b}) == 1
        assert a != Parsed(1) and a != Parsed(2, note="text-number")
        assert a != (1, "text-number", None, False, False)
        assert repr(a) == "Parsed(value=1, note='text-number', op=None, error=False, blank=False)"

    def test_pickle_roundtrip(self):
        p = Parsed(dt.date(2024, 7, 10), note="text-date")
        assert pickle.loads(pickle.dumps(p)) == p

    def test_match(self):
        match Parsed(80, "threshold", ">="):
            case Parsed(v, "threshold", op):
                assert (v, op) == (80, ">=")
            case _:
                pytest.fail("no match")


# --------------------------------------------------------------------------- is_blank


@pytest.mark.parametrize(
    "raw", [None, "", " ", "   ", "\t\n", NBSP, NNBSP + " " + NBSP, "\u3000", "\u200b", "\ufeff \u200b"]
)
def test_is_blank_true(raw):
    assert is_blank(raw) is True


@pytest.mark.parametrize(
    "raw",
    ["0", "-", "a", " x ", "\x07", 0, 0.0, False, True, dt.date(2024, 1, 1), dt.time(0, 0),
     dt.timedelta(0), dt.datetime(2024, 1, 1)],
)
def test_is_blank_false(raw):
    assert is_blank(raw) is False


def test_whitespace_table_matches_str_isspace():
    assert set(V._WS) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


# --------------------------------------------------------------------------- parse_text


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Абай", "Абай"),
        ("  Қоғамдық  бірлестік \n", "Қоғамдық  бірлестік"),  # inner double space kept
        (NBSP + "текст" + NNBSP, "текст"),
        ("a\x07b", "a\x07b"),  # control characters inside are kept
        ("\u200bтекст\ufeff", "текст"),
        ("=SUM(A1)", "=SUM(A1)"),
        ("line1\nline2", "line1\nline2"),
        (123456789012.0, "123456789012"),  # BIN typed as a number
        (123456789012, "123456789012"),
        (87084013674.0, "87084013674"),
        (0, "0"),
        (-5.0, "-5"),
        (84.5, "84.5"),
        (-0.25, "-0.25"),
        (0.1 + 0.2, "0.3"),
        (1e-7, "0.0000001"),
        (1e20, "100000000000000000000"),
        (True, "TRUE"),
        (False, "FALSE"),
        (dt.date(2024, 7, 10), "2024-07-10"),
        (dt.datetime(2024, 7, 10), "2024-07-10"),
        (dt.datetime(2024, 7, 10, 9, 30), "2024-07-10 09:30"),
        (dt.datetime(2024, 7, 10, 9, 30, 15), "2024-07-10 09:30:15"),
        (dt.time(9, 5), "09:05"),
        (dt.time(9, 5, 7), "09:05:07"),
        (dt.timedelta(hours=26, minutes=5), "26:05"),
        (dt.timedelta(minutes=1, seconds=2), "0:01:02"),
        (dt.timedelta(hours=-1), "-1:00"),
    ],
)
def test_parse_text(raw, expected):
    _same(parse_text(raw), expected)


@pytest.mark.parametrize("raw", [None, "", "  ", NBSP])
def test_parse_text_blank(raw):
    assert parse_text(raw) == BLANK


@pytest.mark.parametrize("raw", [float("nan"), float("inf"), float("-inf")])
def test_parse_text_non_finite_is_error(raw):
    assert parse_text(raw) == ERROR


# --------------------------------------------------------------------------- parse_number: cells


@pytest.mark.parametrize(
    "raw, expected",
    [
        (0, 0),
        (1076, 1076),
        (-3, -3),
        (1076.0, 1076),  # integral floats always become int
        (-0.0, 0),
        (84.5, 84.5),
        (3.0000000000000004, 3),  # formula noise below Excel's 15 digits
        (123456789012.0, 123456789012),
        (2.0**60, 2**60),
    ],
)
def test_parse_number_cell_values(raw, expected):
    _same(parse_number(raw), expected)


@pytest.mark.parametrize(
    "raw",
    [True, False, float("nan"), float("inf"), dt.date(2024, 1, 1), dt.datetime(2024, 1, 1),
     dt.time(1, 0), dt.timedelta(hours=1), object()],
)
def test_parse_number_cell_type_errors(raw):
    assert parse_number(raw) == ERROR
    assert parse_number(raw, dash_zero=True, allow_threshold=True) == ERROR


def test_parse_number_integer_flag_on_cells():
    _same(parse_number(12.0, integer=True), 12)
    assert parse_number(12.5, integer=True) == ERROR
    _same(parse_number(12.5), 12.5)


# --------------------------------------------------------------------------- parse_number: text


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0", 0),
        ("1076", 1076),
        ("7 000 000", 7_000_000),
        (f"7{NBSP}000{NBSP}000", 7_000_000),
        (f"7{NNBSP}000{NNBSP}000", 7_000_000),
        ("7\u2009000", 7000),  # thin space
        ("7  000", 7000),  # double space from Word
        ("  1 076  ", 1076),
        ("1 076,5", 1076.5),
        ("1076,5", 1076.5),
        ("1076.5", 1076.5),
        ("84,5", 84.5),
        ("0,25", 0.25),
        (",5", 0.5),
        (".5", 0.5),
        ("84%", 84),
        ("84 %", 84),
        (f"84{NBSP}%", 84),
        ("12,5%", 12.5),
        ("+5", 5),
        ("-3", -3),
        ("\u22123", -3),  # U+2212 minus sign
        ("-1 076,5", -1076.5),
        ("-0", 0),
        ("1,076.5", 1076.5),  # comma thousands, dot decimal
        ("1,234,567.89", 1234567.89),
        ("1.076,5", 1076.5),  # dot thousands, comma decimal
        ("7.000.000", 7_000_000),  # repeated separator: grouping
        ("7,000,000", 7_000_000),
        ("1,076", 1.076),  # a single comma is a decimal comma (Kazakhstan convention)
        ("1.076", 1.076),
        ("7 000 000,00", 7_000_000),
        ("1 000,50", 1000.5),
        ("0,000", 0),
        ("007", 7),
        ("7 000 000 теңге", 7_000_000),
        ("7 000 000 тенге", 7_000_000),
        ("7 000 000 Теңге", 7_000_000),
        ("5000тг", 5000),
        ("5 000 тг.", 5000),
        ("5 000 tg", 5000),
        ("5 000 KZT", 5000),
        ("5 000 ₸", 5000),
        ("5000₸", 5000),
    ],
)
def test_parse_number_text(raw, expected):
    _same(parse_number(raw), expected, note="text-number")


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "бес",
        "1.2.3",
        "12/50",
        "1 200 адам",
        "5 шт",
        "10.07.2024",
        "1 0000",  # bad grouping
        "10 00",
        "1234 567",  # first group longer than three digits
        "1,000",  # thousands or one? ambiguous -> error
        "5.000",
        "12,000 тг",
        "1 000.000,5",  # mixed grouping
        "1,000 000",
        "1,2,3.4.5",
        "1.2,3.4",
        "1.",
        "1,",
        "-",
        "+",
        "--5",
        "- 5",
        "5-",
        "%",
        "тг",
        "1e5",
        "0x10",
        "١٢",  # Arabic-Indic digits
        "²",
        "(5)",
        "5 %%",
        "84 % тг",
        "кемінде 12",  # threshold phrase without allow_threshold
        "не более 20",
        "≥ 20",
    ],
)
def test_parse_number_text_errors(raw):
    assert parse_number(raw) == ERROR


@pytest.mark.parametrize("raw", [None, "", "   ", NBSP])
def test_parse_number_blank(raw):
    assert parse_number(raw) == Parsed(None, blank=True)
    got = parse_number(raw, dash_zero=True)
    assert got == Parsed(0, blank=True) and type(got.value) is int


@pytest.mark.parametrize("raw", ["-", "–", "—", " - ", "\u2212", NBSP + "—" + NBSP])
def test_parse_number_dash_as_zero(raw):
    got = parse_number(raw, dash_zero=True, integer=True)
    _same(got, 0, note="dash-as-zero")


@pytest.mark.parametrize("raw", ["-", "–", "—"])
def test_parse_number_dash_without_flag_is_error(raw):
    assert parse_number(raw) == ERROR


@pytest.mark.parametrize("raw", ["--", "- -", "-0-", "—5"])
def test_parse_number_dash_zero_only_single_dash(raw):
    assert parse_number(raw, dash_zero=True) == ERROR


@pytest.mark.parametrize(
    "raw, ok",
    [("12", 12), ("12,0", 12), ("1 200", 1200), ("84 %", 84), ("-3", -3), ("12,5", None),
     ("1,076", None), ("0,5", None)],
)
def test_parse_number_integer_text(raw, ok):
    got = parse_number(raw, integer=True)
    if ok is None:
        assert got == ERROR
    else:
        _same(got, ok, note="text-number")


# --------------------------------------------------------------------------- parse_number: thresholds


@pytest.mark.parametrize(
    "raw, value, op",
    [
        # Kazakh ">="
        ("80%-дан кем емес", 80, ">="),
        ("80% дан кем емес", 80, ">="),
        ("20-дан кем емес", 20, ">="),
        ("20 000-нан кем емес", 20000, ">="),
        (f"20{NBSP}000-нан кем емес", 20000, ">="),
        ("400 ден кем емес", 400, ">="),
        ("жалпы 400 ден кем емес", 400, ">="),
        ("20-шарадан кем емес", 20, ">="),
        ("1/50 ден кем емес", 50, ">="),  # the LAST number
        ("1,5-тен кем емес", 1.5, ">="),
        ("Кем емес 15", 15, ">="),
        ("кемінде 12", 12, ">="),
        ("кемінде 12 адам", 12, ">="),
        ("Кемінде 12 адам", 12, ">="),
        ("кем дегенде 30 адам", 30, ">="),
        ("20 кем болмауы тиіс", 20, ">="),
        ("15-тен кем болмады", 15, ">="),
        ("50%-дан төмен емес", 50, ">="),
        ("100-ден астам", 100, ">="),
        ("100-ден аса", 100, ">="),
        ("10 000 000 теңгеден кем емес", 10_000_000, ">="),
        # Russian ">="
        ("не менее 20", 20, ">="),
        ("Не менее 20 человек", 20, ">="),
        ("не меньше 20", 20, ">="),
        ("не ниже 70%", 70, ">="),
        ("минимум 20", 20, ">="),
        ("как минимум 20", 20, ">="),
        ("от 20", 20, ">="),
        ("от 20 человек", 20, ">="),
        ("более 20", 20, ">="),
        ("больше 20", 20, ">="),
        ("свыше 1 000", 1000, ">="),
        ("≥ 20", 20, ">="),
        ("≥20%", 20, ">="),
        (">= 20", 20, ">="),
        (">20", 20, ">="),
        ("=> 20", 20, ">="),
        # Kazakh "<="
        ("20-дан аспайды", 20, "<="),
        ("20 аспауы тиіс", 20, "<="),
        ("5%-дан аспауы", 5, "<="),
        ("20-дан артық емес", 20, "<="),
        ("10-нан көп емес", 10, "<="),
        # Russian "<="
        ("не более 20", 20, "<="),
        ("Не более 20", 20, "<="),
        ("мне более 20", 20, ">="),  # "не" only as a whole word: this is "более"
        ("не больше 20", 20, "<="),
        ("не выше 5%", 5, "<="),
        ("до 20", 20, "<="),
        ("до 20 человек", 20, "<="),
        ("≤ 20", 20, "<="),
        ("<= 20", 20, "<="),
        ("<20", 20, "<="),
        ("максимум 20", 20, "<="),
    ],
)
def test_parse_number_threshold(raw, value, op):
    _same(parse_number(raw, allow_threshold=True), value, note="threshold", op=op)


@pytest.mark.parametrize(
    "raw",
    [
        "от 20 до 50",  # a range: both directions
        "20-дан кем емес, 50-ден аспайды",
        "кем емес",  # keyword without a number
        "не менее",
        "12/50",  # no keyword
        "1 200 адам",
        "abc",
        "84% от общего числа",  # "от" not followed by a number is not "from"
        "аса маңызды",
        "наиболее 20",  # "более" only as a whole word
        "әкем емес 20",  # "кем емес" only as whole words
        "1,000-нан кем емес",  # ambiguous number inside
        "бестен кем емес",
    ],
)
def test_parse_number_threshold_errors(raw):
    assert parse_number(raw, allow_threshold=True) == ERROR


def test_parse_number_threshold_plain_number_still_text_number():
    _same(parse_number("80%", allow_threshold=True), 80, note="text-number")
    _same(parse_number(80.0, allow_threshold=True), 80)


def test_parse_number_threshold_integer():
    _same(parse_number("кемінде 12", allow_threshold=True, integer=True), 12, "threshold", ">=")
    assert parse_number("1,5-тен кем емес", allow_threshold=True, integer=True) == ERROR


# --------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    "raw, expected",
    [
        (dt.date(2024, 7, 10), dt.date(2024, 7, 10)),
        (dt.datetime(2024, 7, 10), dt.date(2024, 7, 10)),
        (dt.datetime(2024, 7, 10, 23, 59), dt.date(2024, 7, 10)),
    ],
)
def test_parse_date_cells(raw, expected):
    _same(parse_date(raw), expected)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (45483, dt.date(2024, 7, 10)),
        (45483.0, dt.date(2024, 7, 10)),
        (45483.75, dt.date(2024, 7, 10)),  # time of day dropped
        (1, dt.date(1900, 1, 1)),
        (59, dt.date(1900, 2, 28)),
        (61, dt.date(1900, 3, 1)),
        (25569, dt.date(1970, 1, 1)),
        (2958465, dt.date(9999, 12, 31)),
    ],
)
def test_parse_date_excel_serial(raw, expected):
    _same(parse_date(raw), expected, note="text-date")


@pytest.mark.parametrize("raw", [0, -1, 0.5, 60, 2958466, 1e12, float("nan"), float("inf")])
def test_parse_date_excel_serial_out_of_range(raw):
    assert parse_date(raw) == ERROR


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("10.07.2024", dt.date(2024, 7, 10)),
        ("1.7.2024", dt.date(2024, 7, 1)),
        ("10.07.24", dt.date(2024, 7, 10)),
        ("10.07.99", dt.date(2099, 7, 10)),  # two-digit years are always 20yy
        ("10/07/2024", dt.date(2024, 7, 10)),  # day first, never US month first
        ("10-07-2024", dt.date(2024, 7, 10)),
        ("2024-07-10", dt.date(2024, 7, 10)),
        ("2024.07.10", dt.date(2024, 7, 10)),
        ("10.07.2024 ж.", dt.date(2024, 7, 10)),
        ("10.07.2024 ж", dt.date(2024, 7, 10)),
        ("10.07.2024ж", dt.date(2024, 7, 10)),
        ("10.07.2024ж.", dt.date(2024, 7, 10)),
        ("10.07.2024 жыл", dt.date(2024, 7, 10)),
        ("10.07.2024 г.", dt.date(2024, 7, 10)),
        ("10.07.2024г", dt.date(2024, 7, 10)),
        ("10.07.2024 года", dt.date(2024, 7, 10)),
        (f" 10.07.2024{NBSP}ж. ", dt.date(2024, 7, 10)),
        ("29.02.2024", dt.date(2024, 2, 29)),
        ("2024-07-10 00:00:00", dt.date(2024, 7, 10)),
        ("2024-07-10T13:45:00", dt.date(2024, 7, 10)),
        ("10.07.2024 13:45", dt.date(2024, 7, 10)),
    ],
)
def test_parse_date_text(raw, expected):
    _same(parse_date(raw), expected, note="text-date")


@pytest.mark.parametrize(
    "raw",
    [
        "31.02.2024",
        "29.02.2023",
        "99.99.99",
        "00.01.2024",
        "10.13.2024",
        "11.07-09.09.24",
        "Маусым-қазан, 2024",
        "10 шілде 2024",
        "10.07",
        "2024",
        "45483",  # a serial typed as text is not a date format
        "10.07.2024.",
        "10.07/2024",  # mixed separators
        "10.07.202",
        "10.07.2024 25:00",
        "10.07.2024 ж. ж.",
        "abc",
        True,
        dt.time(10, 0),
        dt.timedelta(days=1),
    ],
)
def test_parse_date_errors(raw):
    assert parse_date(raw) == ERROR


@pytest.mark.parametrize("raw", [None, "", "  ", NBSP])
def test_parse_date_blank(raw):
    assert parse_date(raw) == BLANK


# --------------------------------------------------------------------------- BIN


def _check_digit_reference(d11):
    """Independent statement of the published algorithm."""
    d = list(map(int, d11))
    s = sum(x * w for x, w in zip(d, range(1, 12))) % 11
    if s == 10:
        s = sum(x * w for x, w in zip(d, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])) % 11
    return None if s == 10 else s


@pytest.mark.parametrize(
    "first11, expected",
    [
        ("04034000012", "040340000126"),  # worked by hand below
        # 1+4+9+...+81+0*10+1*11 = 296, 296 % 11 == 10 -> second weights:
        # 3+8+15+24+35+48+63+80+99+0+2 = 377, 377 % 11 == 3
        ("12345678901", "123456789013"),
        ("99999999999", "999999999990"),  # 9*66 = 594, 594 % 11 == 0
    ],
)
def test_make_bin_known(first11, expected):
    assert make_bin(first11) == expected
    assert bin_is_valid(expected)


def test_make_bin_by_hand():
    # 0*1+4*2+0*3+3*4+4*5+0*6+0*7+0*8+0*9+1*10+2*11 = 8+12+20+10+22 = 72; 72 % 11 = 6
    assert make_bin("04034000012") == "040340000126"


def test_make_bin_second_weights():
    # first sum % 11 == 10, second pass decides
    first11 = next(
        f"{n:011d}" for n in range(10**6)
        if sum(int(c) * w for c, w in zip(f"{n:011d}", range(1, 12))) % 11 == 10
        and _check_digit_reference(f"{n:011d}") is not None
    )
    b = make_bin(first11)
    assert b[-1] == str(_check_digit_reference(first11))
    assert bin_is_valid(b)


def test_make_bin_impossible():
    impossible = next(f"{n:011d}" for n in range(10**6) if _check_digit_reference(f"{n:011d}") is None)
    with pytest.raises(ValueError):
        make_bin(impossible)
    assert not any(bin_is_valid(impossible + str(c)) for c in range(10))


@pytest.mark.parametrize("bad", ["", "1234567890", "123456789012", "1234567890a", "１２３４５６７８９０１", 12345678901])
def test_make_bin_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        make_bin(bad)


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_make_bin_matches_reference(first11):
    ref = _check_digit_reference(first11)
    if ref is None:
        with pytest.raises(ValueError):
            make_bin(first11)
    else:
        b = make_bin(first11)
        assert b == first11 + str(ref)
        assert bin_is_valid(b) == (b != "000000000000")
        for c in "0123456789":
            if c != b[-1]:
                assert not bin_is_valid(first11 + c)


@pytest.mark.parametrize(
    "digits",
    [
        "040340000127",  # wrong check digit
        "04034000012",  # 11 digits
        "0403400001266",
        "04034000012a",
        "0403 4000 0126",  # not normalised
        "０４０３４０００００１２６",  # full-width digits
        "000000000000",
        "",
        None,
        40340000126,
    ],
)
def test_bin_is_valid_false(digits):
    assert bin_is_valid(digits) is False


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("040340000126", "040340000126"),
        (" 0403 4000 0126 ", "040340000126"),
        (f"0403{NBSP}4000{NBSP}0126", "040340000126"),
        ("0403-4000-0126", "040340000126"),
        ("0403–4000–0126", "040340000126"),
        ("'040340000126", "040340000126"),
        ("БИН 040340000126", "БИН040340000126"),  # garbage stays visible
        ("-", "-"),
        (40340000126, "040340000126"),  # number cell lost its leading zero
        (40340000126.0, "040340000126"),
        (123456789012.0, "123456789012"),
        (123456789012, "123456789012"),
        (12345, "12345"),  # too short to be a lost zero: left as is
        (1234567890123, "1234567890123"),
        (12.5, "12.5"),
        (dt.date(2024, 1, 1), "2024-01-01"),
    ],
)
def test_parse_bin(raw, expected):
    assert parse_bin(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "  ", NBSP])
def test_parse_bin_blank(raw):
    assert parse_bin(raw) is None


def test_parse_bin_then_validate():
    assert bin_is_valid(parse_bin(40340000126.0))
    assert bin_is_valid(parse_bin("0403 4000 0126"))
    assert not bin_is_valid(parse_bin("0403 4000 0127"))


# --------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("87084013674", "+77084013674"),
        ("+77084013674", "+77084013674"),
        ("77084013674", "+77084013674"),
        ("7084013674", "+77084013674"),
        ("8 708 401 36 74", "+77084013674"),
        ("8-708-401-36-74", "+77084013674"),
        ("8 (708) 401-36-74", "+77084013674"),
        ("+7 (727) 250-12-34", "+77272501234"),
        ("+7 727 250 12 34", "+77272501234"),
        (f"+7{NBSP}747{NBSP}123{NBSP}45{NBSP}67", "+77471234567"),
        ("8.708.401.36.74", "+77084013674"),
        ("8 (7172) 12-34-56", "+77172123456"),
        (" +7 701 234 56 78 ", "+77012345678"),
        (87084013674, "+77084013674"),
        (87084013674.0, "+77084013674"),
        (7084013674, "+77084013674"),
        (77084013674.0, "+77084013674"),
    ],
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "  ",
        "+7 912 345 67 89",  # Russia
        "89123456789",
        "9123456789",
        "12345",
        "+8 708 401 36 74",
        "+77084013674 5",
        "+7708401367",
        "870840136745",
        "тел. 87084013674",
        "87084013674, 87011234567",
        "8708401367a",
        "+",
        "+7",
        True,
        8708401367.5,
        -87084013674,
        dt.date(2024, 1, 1),
    ],
)
def test_normalize_phone_rejects(raw):
    assert normalize_phone(raw) is None


# --------------------------------------------------------------------------- sentences


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", 0),
        ("   ", 0),
        ("...", 0),
        ("!!! ???", 0),
        ("1. 2. 3.", 0),
        ("Бір сөйлем", 1),
        ("Бір сөйлем.", 1),
        ("Бір. Екі. Үш.", 3),
        ("Бір. Екі. Үш", 3),  # trailing fragment counts
        ("Бір! Екі? Үш.", 3),
        ("Неге?! Себебі...", 2),  # runs count once
        ("Неге!!! Себебі…", 2),
        ("Бағасы 1.5 млн теңге болды.", 1),
        ("Бағасы 1,5 млн. теңге болды.", 1),
        ("10.07.2024 ж. іс-шара өтті.", 1),
        ("2024 ж. іс-шара өтті. Барлығы 20 адам.", 2),
        ("Іс-шара 2024 г. прошло. Было 20 человек.", 2),
        ("Б. Калиева сөз сөйледі.", 1),
        ("Сөз сөйлеген Б. Калиева. Кейін А.Б. Нұрланов.", 2),
        ("Е.Қошанбеков баяндама жасады.", 1),
        ("Кітаптар, т.б. сатып алдық.", 1),
        ("Кітаптар, т.б. Келесі сөйлем.", 2),
        ("Книги, тетради и т.д. Потом ручки.", 2),
        ("Книги, т.е. учебники.", 1),
        ("Алматы обл. Талғар ауд. ауылында өтті.", 1),
        ("Абай көш. 10 үйде.", 1),
        ("www.ngo.kz сайтында жарияланды. Иә.", 2),
        ("info@ngo.kz поштасы.", 1),
        ("Сөйлем.Келесі сөйлем.", 2),  # missing space before a capital
        ("Ол: «Келемін.» Сосын кетті.", 2),
        ("Ол (жоқ.) Иә.", 2),
        ("1. Кіріспе. 2. Негізгі бөлім.", 2),
        ("Бірінші\nЕкінші.", 1),  # a newline alone does not end a sentence
        ("Бірінші.\nЕкінші.", 2),
        ("Жоба 5.5 айға созылды!", 1),
    ],
)
def test_count_sentences(text, expected):
    assert count_sentences(text) == expected


@pytest.mark.parametrize("raw", [None, 5, 1.5])
def test_count_sentences_non_str(raw):
    assert count_sentences(raw) == 0


# --------------------------------------------------------------------------- formulas


@pytest.mark.parametrize(
    "text",
    [
        "=SUM(A1:A3)",
        "=1+1",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "- пункт",
        "-пункт",
        "+A1",
        "@SUM(A1)",
        "\t=1",
        "\tмәтін",
        "\rмәтін",
        "\nмәтін",
        "=",
        "+7 708 401 36 74 (ұялы)",
        "-5 тг",
        # issue #11: only a plain signed number stays as it is; phones and "-1-1" (= -2) are prefixed
        "-1-1",
        "-1 076.5",
        "+7 708 401 36 74",
        "+7 (727) 250-12-34",
        f"+7{NBSP}708{NBSP}401",
        "--",
    ],
)
def test_looks_like_formula_true(text):
    assert looks_like_formula(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "",
        "-",
        "+",
        "-5",
        "-5,5",
        "-5%",
        "+5",
        "мәтін",
        " =1",  # no stripping: a leading space is not a formula start
        "1+1",
        "a=b",
        None,
        5,
    ],
)
def test_looks_like_formula_false(text):
    assert looks_like_formula(text) is False


# --------------------------------------------------------------------------- numbers as people type them


def format_number(x, lang="kk") -> str:
    """A number as people type it: "1 076", "7 000 000", "84,5" (kk/ru) or "84.5" (en), thousands
    separated by a plain space, floats with the digits Excel shows (the inputs of the round trips)."""
    v = V._num_value(x)
    if isinstance(v, int):
        return f"{v:,}".replace(",", " ")
    neg, ip, fp = V._decimal_parts(v)
    return ("-" if neg else "") + f"{int(ip):,}".replace(",", " ") + ("." if lang == "en" else ",") + fp


@pytest.mark.parametrize("x, lang, expected", [
    (1076, "kk", "1 076"), (7_000_000, "en", "7 000 000"), (-1_234_567, "ru", "-1 234 567"), (84.5, "kk", "84,5"),
    (84.5, "en", "84.5"), (-1234567.25, "kk", "-1 234 567,25"), (1e-7, "en", "0.0000001")])
def test_the_round_trips_type_numbers_as_people_do(x, lang, expected):
    assert format_number(x, lang) == expected


# --------------------------------------------------------------------------- properties

_SAMPLE = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet="0123456789 ,.-+%тгеңкмсіа\u00a0\u202f/≥≤<>жыл", max_size=30),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
)


@settings(max_examples=400, deadline=None)
@given(_SAMPLE)
def test_never_raises_and_result_is_consistent(raw):
    for p in (
        parse_text(raw),
        parse_date(raw),
        parse_number(raw),
        parse_number(raw, integer=True, dash_zero=True),
        parse_number(raw, allow_threshold=True),
    ):
        assert isinstance(p, Parsed)
        if p.error:
            assert p.value is None and p.note is None and not p.blank
        if p.blank:
            assert is_blank(raw)
        if p.note == "threshold":
            assert p.op in (">=", "<=")
        else:
            assert p.op is None
    assert parse_bin(raw) is None or isinstance(parse_bin(raw), str)
    phone = normalize_phone(raw)
    assert phone is None or (len(phone) == 12 and phone.startswith("+77"))
    assert isinstance(looks_like_formula(raw), bool)
    assert count_sentences(raw) >= 0


@given(st.integers(min_value=-(10**15 - 1), max_value=10**15 - 1), st.sampled_from(["kk", "ru", "en"]))  # 15 digits
def test_format_then_parse_int_roundtrip(n, lang):
    _same(parse_number(format_number(n, lang)), n, note="text-number")


@given(
    st.integers(min_value=-10**9, max_value=10**9),
    st.integers(min_value=1, max_value=99),
    st.sampled_from(["kk", "ru", "en"]),
)
def test_format_then_parse_decimal_roundtrip(whole, cents, lang):
    x = whole + (cents / 100 if whole >= 0 else -cents / 100)
    text = format_number(x, lang)
    got = parse_number(text)
    assert got.note == "text-number" and not got.error
    assert got.value == pytest.approx(x, rel=1e-12, abs=1e-12)


@given(st.integers(min_value=0, max_value=10**7), st.sampled_from(["", " ", NBSP, NNBSP]))
def test_threshold_any_spacing(n, space):
    text = format_number(n).replace(" ", space or "") + "-дан кем емес"
    _same(parse_number(text, allow_threshold=True), n, note="threshold", op=">=")


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)))
def test_date_text_and_serial_roundtrip(d):
    _same(parse_date(d.strftime("%d.%m.") + f"{d.year:04d}"), d, note="text-date")
    _same(parse_date(d.isoformat()), d, note="text-date")
    serial = (d - dt.date(1899, 12, 30)).days
    _same(parse_date(serial), d, note="text-date")
    _same(parse_date(float(serial) + 0.5), d, note="text-date")


@given(st.text(alphabet="0123456789", min_size=10, max_size=10).map(lambda s: "7" + s[1:]))
def test_phone_formats_roundtrip(d10):
    expected = "+7" + d10
    spaced = f"8 ({d10[:3]}) {d10[3:6]}-{d10[6:8]}-{d10[8:]}"
    for raw in (d10, "8" + d10, "7" + d10, "+7" + d10, spaced, float("8" + d10)):
        assert normalize_phone(raw) == expected


# --------------------------------------------------------------------------- import cost


def test_module_is_stdlib_only():
    """values is imported by every process of a merge: the standard library only. (Its former import-
    time budget, which kept even dataclasses out, no longer holds: form, reader and the register, which
    use values, import dataclasses anyway.)"""
    code = (
        "import sys, toolkit; before = set(sys.modules); import toolkit.values; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before} - {'toolkit'}; "
        "print(sorted(m for m in new if m not in sys.stdlib_module_names))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_count_sentences_is_linear_on_long_text():
    text = "Біз 2024 ж. Абай көш. 5 кітап, т.б. алдық. Б. Калиева сөйледі! " * 5000
    assert count_sentences(text) == 10000


def test_numbers_longer_than_a_spreadsheet_keeps_are_errors():
    assert parse_number("9" * 15).value == int("9" * 15)
    assert parse_number("0" * 30 + "42").value == 42
    for text in ("9" * 16, "1" * 400, "1 " + "000 " * 6 + "000", "-" + "9" * 400, "не менее " + "9" * 400):
        assert parse_number(text, allow_threshold=True).error, text
    assert parse_number("1," + "5" * 400).value == pytest.approx(1.5555555)


@pytest.mark.parametrize("typed, key", [
    ("94", "94"), ("№ 94", "94"), ("№94", "94"), (" 94 ", "94"), ("No 94", "94"), ("No.94", "94"),
    ("N94", "94"), ("n 94", "94"), ("Nº 94", "94"), ("Н 94", "94"), ("N-94", "94"), ("№\u00a094", "94"),
    ("94-1", "941"), ("94 – 1", "941"), ("94/1", "94/1"), ("094", "094"), (94, "94"), (94.0, "94"),
    ("а-94/с", "A94/C"), ("A94/C", "A94/C"), ("ab-12", "AB12"), ("АВ 12", "AB12"),
    ("", ""), (None, ""), ("  ", ""),
])
def test_agreement_key(typed, key):
    assert V.agreement_key(typed) == key


def test_agreement_key_keeps_different_agreements_apart():
    keys = {V.agreement_key(t) for t in ("94", "95", "94/1", "940", "A94", "NOR-94")}
    assert len(keys) == 6
