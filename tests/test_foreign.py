"""Issue #6: ~130 real workbooks written by other programs (../shared/corpus/foreign/, from calamine's
test data). Each must end as `template-unknown` or `file-unreadable` with what to do, never an
exception, within 5 s, without being changed; a merge over the folder lists every one of them.
"""
from __future__ import annotations

import csv
import hashlib
import time
from pathlib import Path

import pytest

import builders
from clirun import run_cli
from toolkit import register, validation

FOREIGN = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "foreign"
if not FOREIGN.is_dir():
    pytest.skip(f"{FOREIGN} is missing", allow_module_level=True)

FILES = sorted(p for p in FOREIGN.iterdir() if p.is_file() and p.suffix.lower() in register.FOLDER_SUFFIXES)
# One of each kind through the command line as well.
CLI_SAMPLE = sorted({p.suffix.lower(): p for p in reversed(FILES)}.values())
# Words that tell the user what to do, per message language.
WHAT_TO_DO = {
    "en": ("xlsx", "save", "fill in"),
    "ru": ("xlsx", "сохраните", "заполните"),
    "kk": ("xlsx", "сақта", "толтыр"),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_corpus_is_there():
    assert len(FILES) >= 100
    assert {p.suffix.lower() for p in FILES} >= {".xlsx", ".xls", ".ods", ".xlsb", ".xlsm"}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_foreign_file_is_refused_clearly(path):
    before = sha256(path)
    start = time.monotonic()
    result = validation.validate(path)
    seconds = time.monotonic() - start
    assert seconds < 5, f"{seconds:.1f} s"
    assert sha256(path) == before
    assert not result.valid and not result.readable
    assert [f.code for f in result.findings] in (["template-unknown"], ["file-unreadable"])
    f = result.findings[0]
    assert f.severity == "error"
    for lang, words in WHAT_TO_DO.items():
        message = f.message(lang).lower()
        assert any(w in message for w in words), (lang, message)
        assert "{" not in message, message           # every placeholder was filled
    if path.suffix.lower() in (".xls", ".xlsb", ".ods"):
        assert f.code == "file-unreadable" and "xlsx" in f.message("en")
    result.to_dict()


@pytest.mark.parametrize("path", CLI_SAMPLE, ids=[p.name for p in CLI_SAMPLE])
def test_foreign_file_through_the_cli(path, tmp_path):
    before = sha256(path)
    run = run_cli("validate", path, "--json", "--out-dir", tmp_path)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 1
    doc = run.json
    assert doc["valid"] is False
    assert [f["code"] for f in doc["files"][0]["findings"]] in (["template-unknown"], ["file-unreadable"])
    assert doc["files"][0]["output"] is None and not list(tmp_path.iterdir())
    assert sha256(path) == before


def test_merge_over_the_folder_lists_every_file(tmp_path):
    goods = [builders.clean(tmp_path / "good_kk.xlsx", agreement_no="201"),
             builders.clean(tmp_path / "good_ru.xlsx", lang="ru", agreement_no="202",
                            org_bin=builders.values.make_bin("24054000456"))]
    before = {p: sha256(p) for p in FILES}
    start = time.monotonic()
    result = register.merge([FOREIGN, *goods], tmp_path / "register.xlsx", csv_dir=tmp_path / "csv", jobs=2)
    assert time.monotonic() - start < 120
    assert result.files == len(FILES) + 2
    assert result.valid == 2 and not result.ok
    assert result.unreadable + result.invalid == len(FILES)
    assert all(sha256(p) == h for p, h in before.items())
    with open(tmp_path / "csv" / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    listed = {}
    for r in rows:
        listed.setdefault(Path(r["source_file"]).name, set()).add(r["code"])
    for p in FILES:
        assert listed.get(p.name, set()) & {"template-unknown", "file-unreadable"}, p.name
    assert not any(g.name in listed and listed[g.name] - {"dash-as-zero"} for g in goods), \
        {g.name: listed.get(g.name) for g in goods}
