"""A1 cell references: column letters, 'B3' <-> (row, column), the letters of a cell. The one place
for them (the form's layout, the package reader, the template, the register's rows and the checked
copy's sheet all use these). Pure, stdlib only."""
from __future__ import annotations

import re
from functools import lru_cache

MAX_ROWS = 1_048_576     # Excel's sheet size
MAX_COLS = 16_384

CELL_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")


@lru_cache(maxsize=None)   # at most MAX_COLS entries: the same few columns are asked for again and again
def col_letters(col0: int) -> str:
    """0-based column -> letters: 0 -> 'A', 25 -> 'Z', 26 -> 'AA'."""
    n, out = col0 + 1, ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    """Letters -> 0-based column ('A' -> 0, 'aa' -> 26); no bounds check (callers check the range)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def parse_a1(ref: str) -> tuple[int, int]:
    """'B3' -> (row0=2, col0=1). '$' markers and lower case are accepted; ValueError otherwise."""
    m = CELL_RE.fullmatch(ref.strip()) if isinstance(ref, str) else None
    if not m:
        raise ValueError(f"not an A1 cell reference: {ref!r}")
    col = col_index(m.group(1))
    row = int(m.group(2)) - 1
    if not (0 <= row < MAX_ROWS and 0 <= col < MAX_COLS):
        raise ValueError(f"cell reference outside the sheet: {ref!r}")
    return row, col


def a1(row0: int, col0: int) -> str:
    """(2, 1) -> 'B3'."""
    if not (0 <= row0 < MAX_ROWS and 0 <= col0 < MAX_COLS):
        raise ValueError(f"cell position outside the sheet: ({row0}, {col0})")
    return f"{col_letters(col0)}{row0 + 1}"


def letters_of(cell: str) -> str:
    """'B12' -> 'B' (a plain cell reference, no '$')."""
    return cell.rstrip("0123456789")
