"""The loop a Python user would write instead of `esep merge` (no validation at all).

    python bench/pandas_loop.py OUT.xlsx DIR [--limit K]

Every sheet of every workbook with pandas' defaults, one frame per sheet name, concatenated, and each
concatenated frame written to one workbook. Run by bench/run.py in a fresh interpreter; prints a JSON
line with its own timings (the caller measures the whole command).
"""
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

t_start = time.perf_counter()
import pandas as pd  # noqa: E402

t_import = time.perf_counter()


def main(argv):
    out, folder = argv[0], Path(argv[1])
    limit = int(argv[argv.index("--limit") + 1]) if "--limit" in argv else None
    files = sorted(folder.glob("*.xlsx"))[:limit]
    frames = defaultdict(list)
    for f in files:
        for name, df in pd.read_excel(f, sheet_name=None).items():
            df.insert(0, "source_file", f.name)
            frames[name].append(df)
    t_read = time.perf_counter()
    with pd.ExcelWriter(out) as xw:
        engine = xw.engine
        for name, dfs in frames.items():
            pd.concat(dfs, ignore_index=True).to_excel(xw, sheet_name=name[:31], index=False)
    t_write = time.perf_counter()
    print(json.dumps({"files": len(files), "engine": engine, "import_s": t_import - t_start,
                      "read_s": t_read - t_import, "write_s": t_write - t_read}))


if __name__ == "__main__":
    main(sys.argv[1:])
