"""The merge cache (issue #13): a re-merge reads only what changed, gives the same register, and never
trusts an entry it did not write itself."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import struct
import zlib
from pathlib import Path

import openpyxl
import pytest

from builders import clean_singles, clean_tables
from toolkit import cache, register, values
from toolkit.template import write_template


@pytest.fixture(autouse=True)
def _own_key(tmp_path, monkeypatch):
    """Every test signs with its own key, kept in its own folder (not the user's)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def _report(path: Path, k: int, **changes) -> Path:
    singles = clean_singles()
    singles.update(org_bin=values.make_bin(f"2405400{k:04d}"), agreement_no=str(100 + k), **changes)
    write_template(path, data={"singles": singles, "tables": clean_tables()})
    t = dt.datetime(2024, 12, 1 + k % 20).timestamp()
    os.utime(path, (t, t))
    return path


def _inbox(folder: Path, n: int = 6) -> Path:
    folder.mkdir(parents=True)
    for k in range(n):
        _report(folder / f"r{k:02d}.xlsx", k)
    _report(folder / "bad.xlsx", 1, stats_male=1)                  # an error; resubmission of r01
    (folder / "junk.xlsx").write_bytes(b"not a workbook")          # unreadable: never cached
    shutil.copy(folder / "r02.xlsx", folder / "r02-again.xlsx")     # identical resubmission
    return folder


def _sheets(path: Path) -> dict:
    wb = openpyxl.load_workbook(path, read_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        if rows and ws.title == register.SHEETS[0][1].get("kk"):      # Reports: when it was read differs
            col = [c.key for c in register.REPORT_COLUMNS].index("read_at")
            for r in rows[1:]:
                r[col] = None
        out[ws.title] = rows
    return out


def _csvs(folder: Path) -> dict:
    out = {}
    for path in sorted(folder.iterdir()):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        if path.name == "reports.csv":
            col = rows[0].index("read_at")
            for r in rows[1:]:
                r[col] = ""
        out[path.name] = rows
    return out


def _merge(inbox, tmp_path, name, **kw):
    out = tmp_path / name
    (out / "csv").mkdir(parents=True)
    result = register.merge([inbox], out / "register.xlsx", csv_dir=out / "csv", jobs=2, **kw)
    return result, _sheets(out / "register.xlsx"), _csvs(out / "csv")


def test_cached_merge_equals_a_full_merge_sheet_by_sheet(tmp_path):
    inbox = _inbox(tmp_path / "in")
    folder = tmp_path / "cache"
    plain, sheets, csvs = _merge(inbox, tmp_path, "plain")
    first, sheets1, csvs1 = _merge(inbox, tmp_path, "first", cache=folder)
    again, sheets2, csvs2 = _merge(inbox, tmp_path, "again", cache=folder)
    assert (plain.cached, first.cached, again.cached) == (0, 0, 8)     # all but junk.xlsx
    assert len(list(folder.glob("*.entry"))) == 7                     # r02-again is r02's entry
    assert sheets1 == sheets == sheets2
    assert csvs1 == csvs == csvs2
    assert plain.to_dict() | {"cached": 0, "output": "", "csv": []} == again.to_dict() | {
        "cached": 0, "output": "", "csv": []}


def test_re_merge_reads_only_what_changed_and_renames_are_rendered_anew(tmp_path):
    inbox = _inbox(tmp_path / "in")
    folder = tmp_path / "cache"
    _merge(inbox, tmp_path, "first", cache=folder)
    _report(inbox / "r03.xlsx", 3, grant_amount=7100000)               # replaced
    _report(inbox / "new.xlsx", 40)                                    # added
    (inbox / "r04.xlsx").rename(inbox / "renamed.xlsx")                 # same bytes, another name
    result, sheets, csvs = _merge(inbox, tmp_path, "again", cache=folder)
    plain, sheets0, csvs0 = _merge(inbox, tmp_path, "plain")
    assert result.cached == result.files - 3                           # r03, new, junk read
    assert sheets == sheets0 and csvs == csvs0
    sources = {r[0] for r in csvs["indicators.csv"][1:]}
    assert "renamed.xlsx" in sources and "r04.xlsx" not in sources


def _parts(raw: bytes) -> list[bytes]:
    sizes = struct.unpack_from(">III", raw, 32)
    at, parts = 32 + 12, []
    for n in sizes:
        parts.append(raw[at:at + n])
        at += n
    return parts


def _resign(path: Path, key: bytes, parts: list[bytes]) -> None:
    body = struct.pack(">III", *(len(p) for p in parts)) + b"".join(parts)
    path.write_bytes(hmac.new(key, body, hashlib.sha256).digest() + body)


def _meta(data: dict) -> bytes:
    return zlib.compress(json.dumps(data).encode())


@pytest.mark.parametrize("damage", ["truncated", "flipped", "foreign-key", "other-sha", "other-version",
                                    "bad-shape", "bomb", "not-json", "bad-rows", "short-xml"])
def test_damaged_or_foreign_entries_are_ignored_and_rebuilt(tmp_path, damage):
    inbox = _inbox(tmp_path / "in", n=3)
    folder = tmp_path / "cache"
    _, sheets0, csvs0 = _merge(inbox, tmp_path, "first", cache=folder)
    key = cache.secret_key()
    entries = list(folder.glob("*.entry"))
    assert entries
    for path in entries:
        raw = path.read_bytes()
        parts = _parts(raw)
        data = json.loads(zlib.decompress(parts[0]))
        if damage == "truncated":
            path.write_bytes(raw[: len(raw) // 2])
        elif damage == "flipped":
            path.write_bytes(raw[:100] + bytes([raw[100] ^ 1]) + raw[101:])
        elif damage == "foreign-key":
            _resign(path, b"k" * 32, parts)
        elif damage == "other-sha":
            _resign(path, key, [_meta({**data, "sha256": "0" * 64})] + parts[1:])
        elif damage == "other-version":
            _resign(path, key, [_meta({**data, "esep": "0.0.1+feedface"})] + parts[1:])
        elif damage == "bad-shape":
            bad = {**data, "counts": {"error": -1, "warning": 0, "info": 0}, "report": {"grant_amount": {"$x": 1}}}
            _resign(path, key, [_meta(bad)] + parts[1:])
        elif damage == "bomb":
            _resign(path, key, [zlib.compress(b"[" * (cache.MAX_ENTRY_BYTES + 10))] + parts[1:])
        elif damage == "not-json":
            _resign(path, key, [zlib.compress(b"\x80\x04 pickle? never")] + parts[1:])
        elif damage == "bad-rows":
            _resign(path, key, parts[:2] + [zlib.compress(b'{"indicators": [{"x": {"$x": 1}}]}')])
        elif damage == "short-xml":
            _resign(path, key, [parts[0], zlib.compress(zlib.decompress(parts[1])[:-5]), parts[2]])
    result, sheets, csvs = _merge(inbox, tmp_path, "again", cache=folder)
    assert result.cached == 0
    assert sheets == sheets0 and csvs == csvs0
    third, _, _ = _merge(inbox, tmp_path, "third", cache=folder)       # rebuilt by the run before
    assert third.cached == result.files - 1


def test_no_cache_and_default_folder_from_the_command_line(tmp_path):
    from click.testing import CliRunner

    import cli

    inbox = _inbox(tmp_path / "in", n=3)
    out = tmp_path / "out" / "register.xlsx"
    out.parent.mkdir()
    runner = CliRunner()
    r = runner.invoke(cli.cli, ["merge", str(inbox), "-o", str(out), "--no-cache", "--json"])
    assert json.loads(r.stdout)["cached"] == 0 and not (out.parent / ".esep-cache").exists()
    runner.invoke(cli.cli, ["merge", str(inbox), "-o", str(out), "--json"])
    assert (out.parent / ".esep-cache").is_dir()
    r = runner.invoke(cli.cli, ["merge", str(inbox), "-o", str(out), "--json"])
    assert json.loads(r.stdout)["cached"] == json.loads(r.stdout)["files"] - 1
    r = runner.invoke(cli.cli, ["merge", str(inbox), "-o", str(out), "--json", "--cache", str(tmp_path / "c")])
    assert json.loads(r.stdout)["cached"] == 0 and any((tmp_path / "c").iterdir())


def test_the_cache_never_unpickles():
    source = Path(cache.__file__).read_text(encoding="utf-8")
    assert "pickle" not in source.replace("no pickle", "").replace("pickle?", "")
