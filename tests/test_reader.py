"""toolkit.reader internals that the speed work touched: cell access by shape (a vertical run of cells
is sliced, anything else looked up cell by cell) must give the same values either way."""
from __future__ import annotations

from toolkit import reader
from toolkit.package import range_cells


class FakePackage:
    """values() of one ragged sheet, as calamine returns it ('' for an empty cell)."""

    def __init__(self, grid):
        self.grid = grid
        self.calls = 0

    def values(self, title):
        self.calls += 1
        return self.grid


GRID = [
    ["a1", "b1", ""],
    ["a2", 2.0],
    [],
    ["a4", "", "c4"],
]


def one_by_one(grid, cells):
    out = []
    for cell in cells:
        r, c = reader._position(cell)
        v = grid[r][c] if r < len(grid) and c < len(grid[r]) else None
        out.append(None if v == "" else v)
    return out


def test_vertical_run_is_read_like_single_cells():
    pkg = FakePackage(GRID)
    grid = reader._Grid(pkg)
    for ref in ("A1:A4", "B1:B6", "C1:C4", "D1:D3", "A3:A9"):
        cells = range_cells(ref)
        assert reader._shape(tuple(cells))[0] == "column"
        assert grid.column("S", cells) == one_by_one(GRID, cells)
        assert grid.column("S", cells) == [grid.value("S", c) for c in cells]
    assert pkg.calls == 1   # the sheet is read once


def test_scattered_cells_and_rows():
    grid = reader._Grid(FakePackage(GRID))
    for cells in (["C4", "A1", "B2"], range_cells("A1:C2"), ["A1", "A3", "A2"], ["Z99"], []):
        assert reader._shape(tuple(cells))[0] == ("column" if len(cells) <= 1 else "cells")
        assert grid.column("S", cells) == one_by_one(GRID, cells)
    assert grid.column("S", ["B2"]) == [2.0]
    assert grid.value("S", "C1") is None and grid.value("S", "C4") == "c4"


def test_ranges_and_shapes_are_remembered_by_value_not_by_id():
    cells = reader.range_cells("B6:B155")
    assert cells is reader.range_cells("B6:B155") and isinstance(cells, tuple)
    assert reader._shape(cells) is reader._shape(tuple(list(cells)))
    # A range far larger than the template's is read but not kept.
    big = reader.range_cells(f"A1:A{reader.TEMPLATE_RANGE + 1}")
    assert len(big) == reader.TEMPLATE_RANGE + 1 and big is not reader.range_cells(f"A1:A{reader.TEMPLATE_RANGE + 1}")
    other = ["B6", "B8"]   # same first cell, not a run: must not reuse the run's shape
    assert reader._shape(tuple(other))[0] == "cells"
