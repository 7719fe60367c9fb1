"""esep issue: one pre-filled report workbook per roster row, plus the access codes for the intake page.

The roster's header fields are written into the current template, locked and untinted, so what
identifies the grant (BIN, agreement, amount, period) arrives back exactly as the operator issued it.
The workbooks are deterministic (same roster, same bytes); access-codes.csv is not (its codes are
random, from `secrets`), and is written last.
"""
from __future__ import annotations

import csv
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from . import form
from .atomic import atomic_path
from .roster import Entry, Roster

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I/L: read aloud and typed by hand
CODE_LENGTH = 12
CODES_FILE = "access-codes.csv"
CODES_HEADER = ("agreement_no", "org_bin", "org_name", "file", "access_code")

# Kazakh and Russian letters -> Latin, for file names made of safe characters only.
_TRANSLIT = str.maketrans({
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n", "ң": "n", "о": "o",
    "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "h",
    "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e",
    "ю": "yu", "я": "ya"})


@dataclass
class Issued:
    entry: Entry
    path: str
    access_code: str

    def to_dict(self) -> dict:
        return {"row": self.entry.line, "agreement_no": self.entry["agreement_no"],
                "org_bin": self.entry["org_bin"], "report_type": self.entry.report_type, "file": self.path}


def safe_name(entry: Entry) -> str:
    """<BIN>_<agreement>[_interim].xlsx with [A-Za-z0-9-] only."""
    agreement = str(entry["agreement_no"]).casefold().translate(_TRANSLIT)
    agreement = re.sub(r"[^a-z0-9]+", "-", agreement).strip("-") or "agreement"
    suffix = "_interim" if entry.report_type == "interim" else ""
    return f"{entry['org_bin']}_{agreement[:40]}{suffix}.xlsx"


def entry_data(entry: Entry, lang: str) -> dict:
    """The roster's header fields as the template's `data` (labels in the workbook's language)."""
    singles = {}
    for name in ("report_type", "agreement_no", "agreement_date", "org_name", "org_bin", "region",
                 "project_name", "period_start", "period_end", "grant_amount", "org_phone", "org_email"):
        value = entry.report_type if name == "report_type" else entry[name]
        if value is None:
            continue
        f = form.FIELD[name]
        if f.type == "choice":
            value = form.option_label(f.options, value, lang)
        singles[name] = value
    return {"singles": singles, "tables": {}}


LOCKED = frozenset(("report_type", "agreement_no", "agreement_date", "org_name", "org_bin", "region",
                    "project_name", "period_start", "period_end", "grant_amount"))


def issue(roster: Roster, out_dir, lang: str = "kk", password: str | None = None,
          progress=None, check_url: str | None = None) -> list[Issued]:
    """Write one workbook per roster entry into out_dir, then access-codes.csv; return what was written.
    `check_url`: the operator's self-check page, named in every workbook's instruction sheet."""
    from .template import write_template

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    issued: list[Issued] = []
    used: set[str] = set()
    for entry in roster.entries:
        name = safe_name(entry)
        stem, k = name[:-5], 2
        while name.casefold() in used:       # two agreements that differ only in punctuation
            name, k = f"{stem}_{k}.xlsx", k + 1
        used.add(name.casefold())
        data = entry_data(entry, lang)
        locked = LOCKED & set(data["singles"])
        write_template(out / name, lang=lang, password=password, data=data, locked=locked,
                       check_url=check_url)
        issued.append(Issued(entry, str(out / name), new_code()))
        if progress:
            progress(len(issued), len(roster.entries))
    write_codes(out / CODES_FILE, issued)
    return issued


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def write_codes(path: Path, issued: list[Issued]) -> None:
    """access-codes.csv (UTF-8 with BOM, comma-separated): the contract `esep serve --codes` reads."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(CODES_HEADER)
            for item in issued:
                e = item.entry
                # Raw values (a machine-read contract); they come from the operator's own roster.
                w.writerow([e["agreement_no"], e["org_bin"], e["org_name"], Path(item.path).name,
                            item.access_code])
