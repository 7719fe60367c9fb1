"""Where the time of `esep merge` goes, per file (CPU time of one process, best of 5 rounds).

    python bench/breakdown.py DIR [--files K]

Stages over the first K workbooks of DIR (default 100), CPU time (time.process_time) of this one process;
the first six are differences of nested calls timed one after another on each file (noise can make a
small one negative):
  preflight   open_package: read, SHA-256, zip checks, inflate and vet every member, workbook.xml
  scan        the byte scan of every worksheet (extent check before calamine, formula cells)
  calamine    cell values of every sheet the reader uses
  reader      locating fields and parsing values (reader.read minus the three above)
  rules+rows  recomputation, every rule, sorting the findings and making the register rows
              (register.read_one minus reader.read; the rules alone are also measured on their own)
  render      rendering those rows as sheet XML (register.render, in the worker)
  pickle      spooling the rendered rows to a file and sending the rest to the main process
  write       the main process writing the register (register._write / files)
"""
from __future__ import annotations

import pickle
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import datetime as dt  # noqa: E402

from toolkit import reader, register, rowxml, rules  # noqa: E402
from toolkit.package import open_package  # noqa: E402
from toolkit.validation import check, sort_key  # noqa: E402


def interleaved(fns: dict, files, rounds=5) -> dict[str, float]:
    """CPU ms per file of each function, the functions run one after another on each file (so a busy
    moment of the machine hits them alike); the best round of each."""
    for fn in fns.values():
        fn(files[0])
    best = {k: 1e9 for k in fns}
    for _ in range(rounds):
        spent = dict.fromkeys(fns, 0.0)
        for f in files:
            for k, fn in fns.items():
                t = time.process_time()
                fn(f)
                spent[k] += time.process_time() - t
        best = {k: min(best[k], spent[k]) for k in fns}
    return {k: v / len(files) * 1000 for k, v in best.items()}


def main(argv):
    folder = Path(argv[0])
    k = int(argv[argv.index("--files") + 1]) if "--files" in argv else 100
    files = sorted(folder.glob("*.xlsx"))[:k]

    def preflight(f):
        with open_package(f):
            pass

    def scan(f):
        with open_package(f) as p:
            for s in p.sheets:
                p.formula_cells(s.title)

    def values(f):
        with open_package(f) as p:
            for s in p.sheets:
                p.formula_cells(s.title)
            for title in sorted({t for t in (s.title for s in p.sheets) if not t.startswith("_") or t == "_meta"}):
                p.values(title)

    t = interleaved({
        "preflight": preflight,
        "scan": scan,
        "calamine": values,
        "read": reader.read,
        "check": check,
        "read_one": lambda f: register.read_one(0, str(f), "kk"),
    }, files)
    reports = [reader.read(f) for f in files]
    t0 = time.process_time()
    for rep in reports:
        sorted(list(rep.findings) + rules.check(rep), key=sort_key)
    t["rules"] = (time.process_time() - t0) / len(files) * 1000
    rows = [register.read_one(i, str(f), "kk") for i, f in enumerate(files)]
    names = [f.name for f in files]
    t0 = time.process_time()
    rendered = [register.render(r, names[i], "kk", keep_rows=False) for i, r in enumerate(rows)]
    t["render"] = (time.process_time() - t0) / len(rows) * 1000
    xml = {(i, key): data for i, r in enumerate(rendered) for key, data in r.xml.items()}
    spool_dir = tempfile.mkdtemp(prefix="esep-breakdown-")
    t0 = time.process_time()
    sent = [pickle.loads(pickle.dumps(register.spool(r, spool_dir), protocol=pickle.HIGHEST_PROTOCOL))
            for r in rendered]
    t["pickle"] = (time.process_time() - t0) / len(rows) * 1000
    size = sum(len(pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL)) for r in sent) / len(rows)
    shutil.rmtree(spool_dir)
    with tempfile.TemporaryDirectory() as tmp, register.Spool() as spooled:
        for i, r in enumerate(rendered):   # the merge's own spool, which the main process reads back
            r.xml = {key: xml[i, key] for key in register.DETAILS}
            spooled.keep(r)
        out = Path(tmp) / "r.xlsx"
        res = register.MergeResult(output=str(out), csv_dir=None, files=len(files))
        read_at = dt.datetime.now().replace(microsecond=0)
        t0 = time.process_time()
        register._write(spooled, out, csv_dir=None, lang="kk", names=names, read_at=read_at, result=res)
        t["write"] = (time.process_time() - t0) / len(files) * 1000

    stages = [
        ("preflight (zip, SHA-256, vetting, workbook.xml)", t["preflight"]),
        ("worksheet byte scan (extent, formula cells)", t["scan"] - t["preflight"]),
        ("calamine values", t["calamine"] - t["scan"]),
        ("reader: locate + parse", t["read"] - t["calamine"]),
        (f"rules, recomputation, register rows (rules alone: {t['rules']:.2f} ms)", t["read_one"] - t["read"]),
        ("render the register rows (rowxml)", t["render"]),
        (f"spool the rendered rows + pickle the rest ({size / 1024:.0f} KB)", t["pickle"]),
        ("main process: write the register", t["write"]),
    ]
    total = sum(x for _, x in stages)
    print(f"per file, {len(files)} files of {folder}, best of 5 interleaved rounds, CPU time of one process:")
    for label, x in stages:
        print(f"  {label:<62} {x:6.2f} ms  {x / total * 100:4.0f} %")
    print(f"  {'total CPU':<62} {total:6.2f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
