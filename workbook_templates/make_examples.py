"""Generate the example workbooks in workbook_templates/examples/ from the data in examples/data/.

    python workbook_templates/make_examples.py [--out DIR]

Each examples/data/*.json holds one report as a person would type it into the template:

    {"lang": "kk" | "ru", "file": "<workbook name>.xlsx",
     "singles": {field name: raw value},
     "tables": {"ind" | "partner" | "subgrant": [{column name: raw value}, ...]}}

Field and column names are the template's defined names (toolkit/form.py). Drop-down fields hold the
option label in the workbook's language, dates are ISO "YYYY-MM-DD" strings (written as real Excel
dates), numbers are JSON numbers, and anything the NGO typed as text (thresholds such as
"80%-дан кем емес", "-" for none) is a string. Keys starting with "_" are comments and are ignored at
any level. The workbooks are written by toolkit.template.write_template, which gives the same bytes
for the same data, so the committed examples can be checked for being current
(tests/test_examples.py).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLES = HERE / "examples"
DATA = EXAMPLES / "data"

if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))


def _strip_comments(obj):
    """Drop every dict key starting with "_" (comments), recursively."""
    if isinstance(obj, dict):
        return {k: _strip_comments(v) for k, v in obj.items() if not str(k).startswith("_")}
    if isinstance(obj, list):
        return [_strip_comments(v) for v in obj]
    return obj


def data_files(data_dir: Path = DATA) -> list[Path]:
    return sorted(Path(data_dir).glob("*.json"))


def load(path: Path) -> dict:
    """One example's data, comments removed and its shape checked."""
    with open(path, encoding="utf-8") as fh:
        data = _strip_comments(json.load(fh))
    missing = {"lang", "file", "singles", "tables"} - set(data)
    if missing:
        raise ValueError(f"{path.name}: missing keys {sorted(missing)}")
    extra = set(data) - {"lang", "file", "singles", "tables"}
    if extra:
        raise ValueError(f"{path.name}: unknown keys {sorted(extra)} (comments start with '_')")
    name = data["file"]
    if Path(name).name != name or not name.endswith(".xlsx"):
        raise ValueError(f"{path.name}: 'file' must be a bare .xlsx file name, not {name!r}")
    return data


def build_examples(out_dir: Path | str | None = None, data_dir: Path | str = DATA) -> list[Path]:
    """Write every example workbook into `out_dir` (default: examples/); return their paths."""
    from toolkit.template import write_template

    out = Path(out_dir) if out_dir is not None else EXAMPLES
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    names: dict[str, str] = {}
    for path in data_files(Path(data_dir)):
        data = load(path)
        if data["file"] in names:
            raise ValueError(f"{path.name} and {names[data['file']]} both write {data['file']}")
        names[data["file"]] = path.name
        written.append(write_template(out / data["file"], lang=data["lang"],
                                      data={"singles": data["singles"], "tables": data["tables"]}))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=EXAMPLES,
                        help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    for p in build_examples(args.out):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
