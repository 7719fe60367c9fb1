"""The floor of `esep merge`: the same input and output work with no logic at all.

    python bench/floor.py DIR REGISTER.xlsx OUT.xlsx

1. read: python-calamine reads every sheet of every workbook in DIR (one process, no checks);
2. write: the cells of esep's own register (read back from REGISTER with calamine, not timed) are
   written with xlsxwriter into a new workbook (normal mode, plain write() of values); only the
   writing is timed.
Prints one JSON line.
"""
import json
import sys
import time
from pathlib import Path

from python_calamine import CalamineWorkbook


def read_all(folder: Path) -> tuple[float, int, int]:
    files = sorted(folder.glob("*.xlsx"))
    t0 = time.perf_counter()
    cells = 0
    for f in files:
        wb = CalamineWorkbook.from_path(str(f))
        for name in wb.sheet_names:
            rows = wb.get_sheet_by_name(name).to_python()
            cells += sum(len(r) for r in rows)
        wb.close()
    return time.perf_counter() - t0, len(files), cells


def write_register(register: Path, out: Path) -> tuple[float, int]:
    import xlsxwriter

    src = CalamineWorkbook.from_path(str(register))
    sheets = [(n, src.get_sheet_by_name(n).to_python()) for n in src.sheet_names]
    src.close()
    t0 = time.perf_counter()
    wb = xlsxwriter.Workbook(str(out), {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    cells = 0
    for name, rows in sheets:
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v != "":
                    ws.write(r, c, v)
                    cells += 1
    wb.close()
    return time.perf_counter() - t0, cells


def main(argv):
    folder, register, out = Path(argv[0]), Path(argv[1]), Path(argv[2])
    read_s, files, read_cells = read_all(folder)
    write_s, write_cells = write_register(register, out)
    print(json.dumps({"files": files, "read_s": read_s, "read_cells": read_cells,
                      "write_s": write_s, "write_cells": write_cells}))


if __name__ == "__main__":
    main(sys.argv[1:])
