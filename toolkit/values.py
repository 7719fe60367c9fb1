"""Read cell values the way Kazakhstan NGO staff type them (Kazakh/Russian).

Report workbooks are filled in by hand, often by copy-paste from Word, so numbers arrive as text
in local formats ("7 000 000", "1 076,5", "84 %", "5 000 тг"), dates as text ("10.07.2024 ж.")
or as bare Excel serials, and targets as phrases ("80%-дан кем емес"). Each function here takes
one raw cell value as python-calamine returns it (None, str, int, float, bool, date, datetime,
time, timedelta) and returns a `Parsed` result.

Nothing is silently guessed: a value read as-is has ``note=None``; every other reading carries a
note ("text-number", "text-date", "dash-as-zero", "threshold") so callers can show it, and text
that cannot be read unambiguously (e.g. "1,000": one thousand or one?) is an error, not a guess.

Pure functions, stdlib only. `re` is imported and patterns are compiled on first use, so importing
this module stays in the low milliseconds.
"""
import datetime as _dt
from dataclasses import dataclass

__all__ = [
    "Parsed",
    "is_blank",
    "parse_text",
    "parse_number",
    "parse_date",
    "parse_bin",
    "bin_is_valid",
    "make_bin",
    "normalize_phone",
    "count_sentences",
    "looks_like_formula",
    "agreement_key",
]


# --------------------------------------------------------------------------- result type


@dataclass(frozen=True)   # not slots=True: frozen + slots breaks assignment errors before 3.12
class Parsed:
    """How one raw cell value was read.

    ``value`` (int/float, datetime.date or str; None when blank or unreadable), ``note`` (None when
    read as-is, else "text-number", "text-date", "dash-as-zero" or "threshold"), ``op`` (">=" or "<="
    for thresholds), ``error`` (cannot be read as the requested type) and ``blank``.
    """

    value: object = None
    note: str | None = None
    op: str | None = None
    error: bool = False
    blank: bool = False


_BLANK = Parsed(blank=True)
_ERROR = Parsed(error=True)


# --------------------------------------------------------------------------- helpers

# Every character str.isspace() accepts (incl. NBSP U+00A0, narrow NBSP U+202F, thin space).
_WS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Zero-width characters that arrive with copy-paste from Word/web pages.
_ZW = "\u200b\u200c\u200d\u2060\ufeff"
_EDGE = _WS + _ZW
_SQUASH = str.maketrans({**{c: " " for c in _WS}, **{c: None for c in _ZW}})
_DASHES = frozenset("-\u2012\u2013\u2014\u2015\u2212")  # - ‒ – — ― −

_PATTERNS = {
    # currency / percent after a number: "7 000 000 теңге", "84 %", "5000тг."
    "num_suffix": r"(?i) ?(?:%|теңге|тенге|тңг|тг\.?|tg|₸|kzt)\Z",
    # what is left of a plain number: digits with space/comma/dot separators, ends in a digit
    "num_body": r"[0-9.,][0-9., ]*[0-9]|[0-9]",
    # a number inside free text ("20 000-нан кем емес", "80%-дан", "1/50 ден")
    "num_in_text": r"(?<![0-9])(?:[0-9]{1,3}(?: [0-9]{3})+(?![0-9])|[0-9]+)(?:[.,][0-9]+)?",
    "date": (
        r"(?i)(?:(?P<d>[0-9]{1,2})(?P<s1>[./-])(?P<m>[0-9]{1,2})(?P=s1)(?P<y>[0-9]{4}|[0-9]{2})"
        r"|(?P<Y>[0-9]{4})(?P<s2>[./-])(?P<M>[0-9]{1,2})(?P=s2)(?P<D>[0-9]{1,2}))"
        r"(?: ?(?:ж|жыл|жылы|г|год|года)\.?)?"
        r"(?:[ T](?P<hh>[0-9]{1,2}):(?P<mm>[0-9]{2})(?::(?P<ss>[0-9]{2})(?:\.[0-9]+)?)?)?"
    ),
    "plain_after_sign": r"(?:[0-9]+(?:[.,][0-9]+)?%?)?",
    "sentence_term": r"[.!?\u2026]+",
    # abbreviations that usually close a list ("..., т.б.") - a sentence end only before a capital
    "abbr_list_end": r"(?i)(?<![^\W\d_])(?:т\. ?б|т\. ?с\. ?с|т\. ?т|т\. ?д|т\. ?п|и др|и пр)\Z",
    # multi-letter abbreviations that never end a sentence (single letters are handled apart)
    "abbr": (
        r"(?i)(?<![^\W\d_])(?:жж|гг|обл|ауд|көш|даң|ул|пр|мкр|им|тел|тыс|млн|млрд|руб|тг|стр"
        r"|см|напр|проф|акад|доц|р-н)\Z"
    ),
}

# Threshold phrases, applied in order to lower-cased text; each match is blanked out before the
# next rule runs, so negated phrases ("не более") are consumed before their bare word ("более").
_THRESHOLD_RULES = (
    (r"\bне\s*(?:более|больше|выше|превыша\w*)", "<="),
    (r"\bне\s*(?:менее|меньше|ниже)", ">="),
    (r"\bартық\s+(?:емес|болма\w*)", "<="),
    (r"\bкөп\s+(?:емес|болма\w*)", "<="),
    (r"\bкем\s+(?:емес|болма\w*|дегенде)", ">="),
    (r"\bтөмен\s+(?:емес|болма\w*)", ">="),
    (r"\bкемінде\b", ">="),
    (r"\bаспа(?:йды|йтын|уы|уын|уға|у|ған|сын|ды)\b", "<="),
    (r"\bмаксимум\b", "<="),
    (r"\b(?:как\s+)?минимум\b", ">="),
    (r"\bдо(?= ?[0-9])", "<="),
    (r"\bот(?= ?[0-9])", ">="),
    (r"≤|<=?|=<", "<="),
    (r"≥|>=?|=>", ">="),
    (r"\b(?:более|больше|свыше|астам|аса)\b", ">="),
)

_compiled = {}


def _rx(pattern):
    """Compile `pattern` (a key of _PATTERNS or a raw pattern) on first use."""
    rx = _compiled.get(pattern)
    if rx is None:
        import re

        rx = _compiled[pattern] = re.compile(_PATTERNS.get(pattern, pattern))
    return rx


def _squash(s):
    """Strip, turn every whitespace kind into one plain space, drop zero-width characters."""
    return " ".join(s.translate(_SQUASH).split())


def _num_value(x):
    """int/float cell value -> int when integral, float otherwise, None for nan/inf.

    An integral value after rounding to 15 significant digits (what Excel shows, e.g. the
    3.0000000000000004 a formula produces) counts as integral."""
    if isinstance(x, int):
        return x
    if x - x != 0:  # nan or +-inf
        return None
    if x.is_integer():
        return int(x)
    if abs(x) < 1e15:
        r = float(f"{x:.15g}")
        if r.is_integer():
            return int(r)
    return x


def _decimal_parts(x):
    """Non-integral finite float -> (negative, integer digits, fraction digits), no exponent."""
    s = repr(float(f"{abs(x):.15g}"))
    if "e" in s or "E" in s:
        import decimal

        s = format(decimal.Decimal(s), "f")
    ip, _, fp = s.partition(".")
    return x < 0, ip, fp.rstrip("0")


# --------------------------------------------------------------------------- blank / text


def is_blank(raw) -> bool:
    """True for None, '' and strings of only whitespace (incl. NBSP) or zero-width characters."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip(_EDGE)
    return False


def parse_text(raw) -> Parsed:
    """Read any cell value as text (never a note).

    str -> stripped of surrounding whitespace, inner text and control characters kept;
    numbers -> their digits ("123456789012" for 123456789012.0, "84.5");
    dates -> ISO "YYYY-MM-DD" (datetimes with a time part -> "YYYY-MM-DD HH:MM[:SS]");
    times -> "HH:MM[:SS]"; durations -> "H:MM[:SS]"; bool -> "TRUE"/"FALSE"; nan/inf -> error.
    """
    if is_blank(raw):
        return _BLANK
    if isinstance(raw, str):
        return Parsed(raw.strip(_EDGE))
    if isinstance(raw, bool):
        return Parsed("TRUE" if raw else "FALSE")
    if isinstance(raw, (int, float)):
        v = _num_value(raw)
        if v is None:
            return _ERROR
        if isinstance(v, int):
            return Parsed(str(v))
        neg, ip, fp = _decimal_parts(v)
        return Parsed(("-" if neg else "") + ip + "." + fp)
    if isinstance(raw, _dt.datetime):
        if raw.time() == _dt.time():
            return Parsed(raw.date().isoformat())
        spec = "minutes" if raw.second == 0 and raw.microsecond == 0 else "seconds"
        return Parsed(raw.isoformat(sep=" ", timespec=spec))
    if isinstance(raw, _dt.date):
        return Parsed(raw.isoformat())
    if isinstance(raw, _dt.time):
        spec = "minutes" if raw.second == 0 and raw.microsecond == 0 else "seconds"
        return Parsed(raw.isoformat(timespec=spec))
    if isinstance(raw, _dt.timedelta):
        total = int(raw.total_seconds())
        sign, total = ("-", -total) if total < 0 else ("", total)
        h, rest = divmod(total, 3600)
        m, s = divmod(rest, 60)
        return Parsed(f"{sign}{h}:{m:02d}" + (f":{s:02d}" if s else ""))
    return Parsed(str(raw))


# --------------------------------------------------------------------------- numbers


# Digits a typed number may have before the decimal mark. Excel keeps 15 significant digits, so a longer
# number is not one a spreadsheet can hold; and an int of hundreds of digits cannot become a float.
MAX_NUMBER_DIGITS = 15


def _read_plain_number(s):
    """Squashed text of a plain number in Kazakhstan formats -> int/float, else None.

    Accepts an optional sign, thousands groups separated by spaces ("7 000 000"), or by commas /
    dots when the other one is the decimal mark or the separator repeats ("1,076.5", "1.076,5",
    "7.000.000"), one decimal comma or dot ("1 076,5", "1076.5"), then an optional "%" or
    currency word. Groups must be exactly three digits. A lone separator followed by "000"
    ("1,000", "5.000") is ambiguous (thousands or decimals?) and rejected.
    """
    m = _rx("num_suffix").search(s)
    if m:
        s = s[: m.start()]
    neg = False
    if s[:1] in ("+", "-", "\u2212"):
        neg = s[0] != "+"
        s = s[1:]
    if not s or not _rx("num_body").fullmatch(s):
        return None
    commas, dots = s.count(","), s.count(".")
    if commas and dots:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        grp = "." if dec == "," else ","
        if s.count(dec) != 1 or " " in s:
            return None
    elif commas or dots:
        sep = "," if commas else "."
        dec, grp = (sep, " ") if s.count(sep) == 1 else ("", sep)
        if grp == sep and " " in s:
            return None
    else:
        dec, grp = "", " "
    if dec:
        int_part, _, frac = s.rpartition(dec)
        if not frac.isdigit():
            return None
    else:
        int_part, frac = s, ""
    groups = int_part.split(grp)
    if len(groups) > 1:
        if not (1 <= len(groups[0]) <= 3) or any(len(g) != 3 for g in groups[1:]):
            return None
    digits = "".join(groups)
    if not digits.isdigit():
        if digits or not frac:  # ".5" is fine, anything else is not
            return None
        digits = "0"
    if len(digits.lstrip("0")) > MAX_NUMBER_DIGITS:
        return None
    if (
        frac == "000"
        and len(groups) == 1
        and s.count(dec) == 1
        and (commas + dots) == 1
        and int(digits) != 0
    ):
        return None  # "1,000" / "5.000": thousands separator or decimals? Do not guess.
    if frac.strip("0"):
        value = float(f"{digits}.{frac}")
    else:
        value = int(digits)
    return -value if neg and value else value


def _read_threshold(s):
    """Squashed text with a threshold phrase -> (op, number), else None."""
    low = s.lower().replace("ё", "е")
    ops = set()
    for pattern, op in _THRESHOLD_RULES:
        rx = _rx(pattern)
        if rx.search(low):
            ops.add(op)
            low = rx.sub(" ", low)
    if len(ops) != 1:  # no keyword, or a range ("от 20 до 50")
        return None
    last = None
    for last in _rx("num_in_text").finditer(s):
        pass
    if last is None:
        return None
    value = _read_plain_number(last.group())
    return None if value is None else (ops.pop(), value)


def _checked(value, note, op, integer):
    if value is None or (integer and not isinstance(value, int)):
        return _ERROR
    return Parsed(value, note=note, op=op)


def parse_number(raw, *, integer=False, dash_zero=False, allow_threshold=False) -> Parsed:
    """Read a number cell.

    int/float -> as is (integral floats become int), note None; bool, dates, nan/inf -> error.
    Text in Kazakhstan formats ("7 000 000", "1 076,5", "84 %", "+5", "-3", "5 000 тг") -> note
    "text-number" ("84%" reads as 84). integer=True: a non-integral value is an error.
    dash_zero=True: "-", "–", "—" -> 0 with note "dash-as-zero", blank -> 0 (blank=True).
    allow_threshold=True: a threshold phrase ("80%-дан кем емес", "не более 20", "≥ 20") -> its
    last number, note "threshold", op ">=" or "<=". Anything else -> error.
    """
    if is_blank(raw):
        return Parsed(0, blank=True) if dash_zero else _BLANK
    if isinstance(raw, bool):
        return _ERROR
    if isinstance(raw, (int, float)):
        return _checked(_num_value(raw), None, None, integer)
    if not isinstance(raw, str):
        return _ERROR
    s = _squash(raw)
    if dash_zero and s in _DASHES:
        return Parsed(0, note="dash-as-zero")
    value = _read_plain_number(s)
    if value is not None:
        return _checked(value, "text-number", None, integer)
    if allow_threshold:
        found = _read_threshold(s)
        if found is not None:
            return _checked(found[1], "threshold", found[0], integer)
    return _ERROR


# --------------------------------------------------------------------------- dates

_EXCEL_MAX_SERIAL = 2958466  # 9999-12-31 is serial 2958465


def _excel_serial_to_date(n):
    """Excel 1900-system serial -> date; None outside 1..2958465 and for the fictitious
    1900-02-29 (serial 60, Lotus 1-2-3 leap-year bug). Fractions (time of day) are dropped."""
    if n - n != 0 or not 1 <= n < _EXCEL_MAX_SERIAL:
        return None
    n = int(n)
    if n == 60:
        return None
    if n < 60:
        return _dt.date(1899, 12, 31) + _dt.timedelta(days=n)
    return _dt.date(1899, 12, 30) + _dt.timedelta(days=n)


def _read_date_text(s):
    m = _rx("date").fullmatch(s)
    if m is None:
        return None
    if m["d"] is not None:
        day, month, year = int(m["d"]), int(m["m"]), m["y"]
        year = 2000 + int(year) if len(year) == 2 else int(year)
    else:
        day, month, year = int(m["D"]), int(m["M"]), int(m["Y"])
    if m["hh"] is not None:
        if int(m["hh"]) > 23 or int(m["mm"]) > 59 or int(m["ss"] or 0) > 59:
            return None
    try:
        return _dt.date(year, month, day)
    except ValueError:
        return None


def parse_date(raw) -> Parsed:
    """Read a date cell.

    datetime -> its date(), date -> as is (note None). int/float -> Excel serial date, note
    "text-date". Text "10.07.2024", "10.07.24" (-> 2024), "10/07/2024", "10-07-2024",
    "2024-07-10", with an optional "ж."/"жыл"/"г."/"года" and an optional time part ->
    note "text-date"; always day-month-year, never month-day. Impossible dates, ranges
    ("11.07-09.09.24"), month names ("Маусым-қазан, 2024"), bool, time, timedelta, serials <= 0 and
    dates before 1900 (MIN_YEAR) -> error.
    """
    if is_blank(raw):
        return _BLANK
    if isinstance(raw, bool):
        return _ERROR
    if isinstance(raw, _dt.datetime):
        raw = raw.date()
    if isinstance(raw, _dt.date):
        return Parsed(raw) if raw.year >= MIN_YEAR else _ERROR
    if isinstance(raw, (int, float)):
        d = _excel_serial_to_date(raw)
    elif isinstance(raw, str):
        d = _read_date_text(_squash(raw))
    else:
        d = None
    return _ERROR if d is None or d.year < MIN_YEAR else Parsed(d, note="text-date")


# A report's dates are this century's: 01.01.0001 or a serial <= 0 (shown by spreadsheets as a time
# or 00.01.1900) is a typing slip, never a date (type-error). Spreadsheets start their dates in 1900.
MIN_YEAR = 1900
# The largest figure a report can hold: a grant, payroll or purchase above a trillion tenge, or more than
# 100 million people (five times the country), is a slip (1e300, digits pasted twice): type-error.
MAX_AMOUNT = 10 ** 12
MAX_COUNT = 10 ** 8


# --------------------------------------------------------------------------- BIN / IIN

_BIN_STRIP = str.maketrans({**{c: None for c in _EDGE}, **{c: None for c in _DASHES}})


def parse_bin(raw) -> str | None:
    """Normalise a BIN/IIN cell to its digit string; None when blank.

    Text: spaces (incl. NBSP), dashes and a leading apostrophe are removed; anything else is kept,
    so garbage stays visible to bin_is_valid(). A number cell loses leading zeros in Excel
    (BINs of 2000-2009 start with "0"), so a 9-11 digit number is zero-padded to 12 digits;
    the check digit then tells whether that was right.
    """
    if is_blank(raw):
        return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        v = _num_value(raw)
        if isinstance(v, int) and v >= 0:
            s = str(v)
            return s.zfill(12) if 9 <= len(s) <= 11 else s
        return parse_text(raw).value
    if not isinstance(raw, str):
        return parse_text(raw).value
    s = raw.strip(_EDGE).lstrip("'").translate(_BIN_STRIP)
    return s or raw.strip(_EDGE)


_BIN_WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_BIN_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def _bin_check_digit(first11):
    digits = [int(c) for c in first11]
    s = sum(d * w for d, w in zip(digits, _BIN_WEIGHTS_1)) % 11
    if s == 10:
        s = sum(d * w for d, w in zip(digits, _BIN_WEIGHTS_2)) % 11
        if s == 10:
            return None
    return s


def _is_ascii_digits(s, n):
    return isinstance(s, str) and len(s) == n and s.isascii() and s.isdigit()


def bin_is_valid(digits: str) -> bool:
    """True for a 12-digit Kazakhstan BIN/IIN whose check digit is right.

    Check digit: s = sum(d_i * i, i = 1..11) mod 11; if s == 10, s = sum with weights
    3..11, 1, 2 mod 11; if still 10 the number is invalid. "000000000000" (a placeholder that
    passes the arithmetic) is rejected.
    """
    if not _is_ascii_digits(digits, 12) or digits == "000000000000":
        return False
    check = _bin_check_digit(digits[:11])
    return check is not None and check == int(digits[11])


def make_bin(first11: str) -> str:
    """Append the correct check digit to 11 digits; ValueError when no check digit exists."""
    if not _is_ascii_digits(first11, 11):
        raise ValueError(f"expected 11 ASCII digits, got {first11!r}")
    check = _bin_check_digit(first11)
    if check is None:
        raise ValueError(f"{first11!r} has no valid check digit")
    return first11 + str(check)


# --------------------------------------------------------------------------- phones

_PHONE_STRIP = str.maketrans(
    {**{c: None for c in _EDGE}, **{c: None for c in _DASHES}, ".": None, "(": None, ")": None}
)


def normalize_phone(raw) -> str | None:
    """Kazakhstan phone -> "+7XXXXXXXXXX"; None when blank or not a Kazakhstan number.

    Spaces, NBSP, dashes, dots and parentheses are ignored. Accepted: "+7" + 10 digits,
    "8"/"7" + 10 digits, or the 10 significant digits alone; those must start with 7
    (mobile 70x/747/77x, landline 71x/72x), so Russian "+7 9xx" numbers are rejected.
    A number cell (87084013674.0) works too. Text with anything else (words, two numbers) -> None.
    """
    if is_blank(raw) or isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        v = _num_value(raw)
        if not isinstance(v, int) or v < 0:
            return None
        s = str(v)
    elif isinstance(raw, str):
        s = raw.translate(_PHONE_STRIP)
    else:
        return None
    if s.startswith("+"):
        s = s[1:]
        if not s.startswith("7"):
            return None
        if len(s) != 11:
            return None
    if not (s.isascii() and s.isdigit()):
        return None
    if len(s) == 11 and s[0] in "78":
        s = s[1:]
    if len(s) != 10 or s[0] != "7":
        return None
    return "+7" + s


# --------------------------------------------------------------------------- sentences

_CLOSERS = "\"'»”’)]}›"
_OPENERS = "\"'«“„‘([{‹-\u2013\u2014"


def _next_visible(text, k):
    """First character at or after k that is not whitespace or an opening quote/dash."""
    n = len(text)
    while k < n and (text[k].isspace() or text[k] in _OPENERS):
        k += 1
    return text[k] if k < n else ""


def _ends_sentence(text, i, j):
    """Does the run of terminators text[i:j] end a sentence?"""
    n = len(text)
    k = j
    while k < n and text[k] in _CLOSERS:
        k += 1
    if k == n:
        return True
    nxt = text[k]
    if not (nxt.isspace() or (nxt.isalpha() and nxt.isupper())):
        return False  # "1.5", "10.07.2024", "www.ngo.kz", "т.б", "деді.", etc.
    if text[i:j] != ".":
        return True  # "!", "?", "?!", "...", "…"
    before = text[max(0, i - 12) : i]  # longer than any abbreviation, plus the char before it
    if _rx("abbr_list_end").search(before):
        return _next_visible(text, k).isupper()
    if before[-1:].isalpha() and not before[-2:-1].isalpha():
        return False  # initial "Б. Калиева", "Е.Қошанбеков"; one-letter abbreviation "ж.", "г."
    if _rx("abbr").search(before):
        return False
    return True


def count_sentences(text: str) -> int:
    """Count sentences in Kazakh/Russian text (a heuristic, for "at least N sentences" checks).

    A sentence ends at a run of ".", "!", "?", "…" (a run counts once) followed by whitespace, a
    closing quote/bracket, the end of the text, or a capital letter (missing space). Not an end:
    a dot between digits ("1.5", "10.07.2024") or before a lower-case letter ("www.ngo.kz");
    a dot after a single letter (initials "Б. Калиева", "Е.Қошанбеков"; "2024 ж.", "г.") or a
    common abbreviation ("млн.", "обл.", "көш."); "т.б.", "т.д.", "и др." end a sentence only
    when a capital letter follows. A piece counts only if it contains a letter, so list numbers
    ("1.") and stray punctuation do not count; a trailing piece without a final dot counts.

    Limits: an ellipsis followed by a lower-case word counts as an end; a sentence ending in a
    one-letter word or an abbreviation before a new sentence is merged with the next one
    ("... 2024 ж. Келесі ..."); non-str input -> 0.
    """
    if not isinstance(text, str):
        return 0
    count = 0
    start = 0
    for m in _rx("sentence_term").finditer(text):
        if _ends_sentence(text, m.start(), m.end()):
            if any(c.isalpha() for c in text[start : m.start()]):
                count += 1
            start = m.end()
    if any(c.isalpha() for c in text[start:]):
        count += 1
    return count


# --------------------------------------------------------------------------- formulas


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet would treat `text` as a formula (CSV/formula injection).

    Starts with "=", "@", tab, CR or LF; or with "+"/"-" unless it is a lone sign or the rest is a
    plain number: digits with at most one decimal mark ("." or ",") and an optional "%" ("-5", "+5",
    "-5,5", "-5%"). Everything else after a sign counts, phone numbers ("+7 (708) 401-36-74") and
    "-1-1" (which a spreadsheet computes as -2) included. No stripping is done first.
    """
    if not isinstance(text, str) or not text:
        return False
    first = text[0]
    if first in "=@\t\r\n":
        return True
    if first in "+-":
        return _rx("plain_after_sign").fullmatch(text, 1) is None
    return False


# --------------------------------------------------------------------------- agreement numbers

# Cyrillic letters that look like Latin ones (Russian and Kazakh keyboards), folded to the Latin letter,
# so "А-94" typed on either layout is one agreement. Upper case only: the key is upper-cased first.
_LOOKALIKES = str.maketrans({
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Ү": "Y",
})
_KEY_DROP_DASHES = str.maketrans({c: None for c in _DASHES})
_KEY_DROP = str.maketrans({**{c: None for c in _EDGE}, **{c: None for c in _DASHES},
                           "№": None, "\u2116": None, "_": None})


def agreement_key(text) -> str:
    """The agreement number as matched across workbooks: "94", "№ 94", "№94", " 94 ", "No. 94" -> "94".

    Ignored: the number sign «№» and a leading "No"/"N"/"Nº" (Latin or Cyrillic, with or without a dot)
    before a digit, every whitespace kind, dashes and underscores, letter case. Cyrillic letters that
    look like Latin ones are folded to Latin ("А-94/С" and "A94/C" are one key). Kept: every other
    character, leading zeros and slashes ("94/1" stays apart from "941", while "94-1" is "941").
    A number cell (94.0) reads as "94". Blank -> "".
    """
    import unicodedata

    if is_blank(text):
        return ""
    s = parse_text(text).value if not isinstance(text, str) else text
    # NFKC also turns "№" into "No", so one pattern removes every spelling of the number sign.
    s = unicodedata.normalize("NFKC", str(s)).upper().translate(_KEY_DROP_DASHES)
    s = _rx(r"(?:^|(?<=\s))[NН]\s*[OОº°]?\s*\.?(?=\s*[0-9])").sub(" ", s)
    return s.translate(_KEY_DROP).translate(_LOOKALIKES)
