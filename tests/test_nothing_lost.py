"""Issue #11, nothing lost and nothing silent: outputs checked before any input is read, special files
never opened, any file name, one file never stops a run, no colliding outputs, an empty merge writes
nothing, the NGO's own sheets kept. Every input is built here by code. (Signals: test_signals.py.)"""
from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import builders
import cli
from toolkit import outputs, register, validation
from toolkit.outputs import OutputProblem

ROOT = Path(__file__).resolve().parent.parent
NON_UTF8 = os.fsdecode(b"otchet_\x8e\xa2.xlsx")     # cp866 bytes, not UTF-8: a name from a Windows zip


@pytest.fixture(scope="module")
def good_source(tmp_path_factory) -> Path:
    return builders.clean(tmp_path_factory.mktemp("src") / "good.xlsx")


@pytest.fixture(scope="module")
def bad_source(tmp_path_factory) -> Path:
    return builders.clean(tmp_path_factory.mktemp("src") / "bad.xlsx", stats_female=394)


def _copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


def run(args):
    return CliRunner().invoke(cli.cli, [str(a) for a in args])


def _snapshot(folder: Path) -> dict:
    """Every file under folder (links not followed) -> its bytes: to prove nothing was changed."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in filenames:
            p = Path(dirpath) / name
            st = os.lstat(p)
            out[str(p)] = p.read_bytes() if stat.S_ISREG(st.st_mode) else stat.S_IFMT(st.st_mode)
    return out


@pytest.fixture
def no_reading(monkeypatch):
    """Fail the test if any workbook is opened (outputs must be refused before that)."""
    def refuse(*args, **kwargs):
        raise AssertionError("an input was read before the outputs were checked")
    monkeypatch.setattr(register, "read_all", refuse)
    monkeypatch.setattr(validation, "check", refuse)


# 1. Outputs checked before any input is read ------------------------------------------------------

def test_merge_refuses_an_output_that_is_an_input_in_its_folder(good_source, tmp_path, no_reading):
    folder = tmp_path / "incoming"
    report = _copy(good_source, folder / "final_report_2024_kk.xlsx")
    _copy(good_source, folder / "other.xlsx")
    before = _snapshot(folder)
    result = run(["merge", folder, "-o", report])
    assert result.exit_code == 2, result.output
    assert "would be read as a report" in result.output and "Write the register outside" in result.output
    assert "біріктірілетін қалтада" in result.output          # kk first (the default --lang), then English
    assert _snapshot(folder) == before


def test_merge_refuses_an_output_named_as_an_input_file(good_source, tmp_path, no_reading):
    report = _copy(good_source, tmp_path / "r.xlsx")
    before = report.read_bytes()
    result = run(["merge", report, "-o", report, "--lang", "ru"])
    assert result.exit_code == 2
    assert "один из входных файлов" in result.output and "one of the input files" in result.output
    assert report.read_bytes() == before


def test_an_earlier_register_in_the_input_folder_is_replaced_not_refused(good_source, tmp_path):
    folder = tmp_path / "incoming"
    _copy(good_source, folder / "a.xlsx")
    target = folder / "register.xlsx"
    assert register.merge([folder], target, jobs=1).files == 1
    assert outputs.is_esep_register(target)
    again = register.merge([folder], target, jobs=1)      # the register itself is not an input
    assert again.files == 1 and again.written


def _special(path: Path) -> Path:
    """A character device like /dev/null (root may make one), else a FIFO: never to be replaced."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, AttributeError, OSError):
        os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_merge_refuses_a_special_file_as_output(good_source, tmp_path, no_reading, kind):
    _copy(good_source, tmp_path / "in" / "a.xlsx")
    target = _special(tmp_path / "null") if kind == "device" else tmp_path / "pipe.xlsx"
    if kind == "fifo":
        os.mkfifo(target)
    mode = os.lstat(target).st_mode
    result = run(["merge", tmp_path / "in", "-o", target, "--lang", "ru"])
    assert result.exit_code == 2
    assert "не обычный файл" in result.output and "not a regular file" in result.output
    assert os.lstat(target).st_mode == mode               # still the device / pipe


@pytest.mark.parametrize("args, words", [
    (["-o", "{file}/r.xlsx"], "cannot be a folder"),
    (["-o", "{tmp}/out.xlsx", "--csv-dir", "{file}/csv"], "cannot be a folder"),
    (["-o", ""], "The output path is empty"),
    (["-o", "{tmp}/missing/r.xlsx"], "does not exist. Create it first"),
    (["-o", "{tmp}"], "is a directory"),                     # click's own check, before esep's
    (["-o", "{tmp}/" + "x" * 300 + ".xlsx"], "too long"),
])
def test_merge_refuses_unusable_outputs_before_reading(good_source, tmp_path, no_reading, args, words):
    _copy(good_source, tmp_path / "in" / "a.xlsx")
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    args = [a.format(file=afile, tmp=tmp_path) for a in args]
    result = run(["merge", tmp_path / "in", *args])
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output
    assert afile.read_text() == "not a folder"


def test_template_refuses_a_special_file_or_folder(tmp_path):
    device = _special(tmp_path / "null")
    mode = os.lstat(device).st_mode
    result = run(["template", "-o", device])
    assert result.exit_code == 2 and "not a regular file" in result.output
    assert os.lstat(device).st_mode == mode
    fifo = tmp_path / "t.xlsx"
    os.mkfifo(fifo)
    assert run(["template", "-o", fifo, "--lang", "ru"]).exit_code == 2
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_library_merge_raises_output_problem_with_messages(tmp_path, no_reading):
    (tmp_path / "in").mkdir()
    with pytest.raises(OutputProblem) as caught:
        register.merge([tmp_path / "in"], "")
    assert caught.value.code == "empty"
    assert all(caught.value.message(lang) for lang in ("kk", "ru", "en"))


def test_full_or_unwritable_folder_is_refused_up_front(good_source, tmp_path, monkeypatch, no_reading):
    """Injected: the probe file cannot be created (ENOSPC), as on a full disk."""
    _copy(good_source, tmp_path / "in" / "a.xlsx")
    real = outputs.tempfile.mkstemp

    def full(*args, **kwargs):
        if str(kwargs.get("dir", "")).endswith("out"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(outputs.tempfile, "mkstemp", full)
    (tmp_path / "out").mkdir()
    result = run(["merge", tmp_path / "in", "-o", tmp_path / "out" / "r.xlsx", "--lang", "ru"])
    assert result.exit_code == 2
    assert "на диске нет места" in result.output and "no space left" in result.output


@pytest.fixture
def mount_point(tmp_path):
    """A small tmpfs (root only): real read-only and full-disk folders. Skips, saying why, elsewhere."""
    point = tmp_path / "mnt"
    point.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(point)], check=True,
                       capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here ({exc}); the injected-OSError tests cover this case")
    yield point
    subprocess.run(["umount", "-l", str(point)], capture_output=True, timeout=30)


def test_read_only_folder_is_refused_even_for_root(good_source, tmp_path, mount_point, no_reading):
    _copy(good_source, tmp_path / "in" / "a.xlsx")
    subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True, timeout=30)
    result = run(["merge", tmp_path / "in", "-o", mount_point / "r.xlsx"])
    assert result.exit_code == 2
    assert "read-only file system" in result.output
    result = run(["validate", tmp_path / "in" / "a.xlsx", "--out-dir", mount_point / "checked"])
    assert result.exit_code == 2 and "read-only file system" in result.output


def test_a_full_disk_is_one_files_finding_in_validate(good_source, tmp_path, mount_point):
    """A real full disk: the first copy fills the 256 KB tmpfs, later ones fail; every file is checked."""
    inputs = [_copy(good_source, tmp_path / "in" / f"r{i}.xlsx") for i in range(12)]
    filler = mount_point / "filler"
    with open(filler, "wb") as fh:       # leave less room than one copy needs
        try:
            fh.write(b"\0" * (256 * 1024 - 24 * 1024))
        except OSError:
            pass
    result = run(["validate", *inputs, "--out-dir", mount_point, "--json", "--lang", "en"])
    assert result.exit_code == 1
    files = json.loads(result.stdout)["files"]
    assert len(files) == len(inputs)
    failed = [f for f in files if f["output"] is None]
    assert failed, "the tmpfs did not fill up"
    for f in failed:
        codes = [x["code"] for x in f["findings"]]
        assert codes.count("copy-not-written") == 1
        message = [x for x in f["findings"] if x["code"] == "copy-not-written"][0]["message"]
        assert "no space left on the disk" in message
    assert not [p for p in os.listdir(mount_point) if p.endswith(".part")]


# 2. Special files, any file name, symlinked folders ---------------------------------------------------

def test_validate_a_fifo_and_a_device_without_reading_them(tmp_path):
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    device = _special(tmp_path / "zero.xlsx")
    proc = subprocess.run([sys.executable, "cli.py", "validate", str(fifo), str(device), "--json", "--no-copy"],
                          cwd=ROOT, capture_output=True, timeout=60)
    assert proc.returncode == 1
    files = json.loads(proc.stdout)["files"]
    for f in files:
        [finding] = f["findings"]
        assert finding["code"] == "file-unreadable"
        assert "not a regular file" in validation.check(f["path"]).findings[0].message("en")
        assert f["sha256"] == ""


def test_piped_stdin_says_save_it_as_a_file(good_source, tmp_path):
    with open(good_source, "rb") as fh:
        proc = subprocess.run(f"cat | {sys.executable} cli.py validate /dev/stdin --no-copy --lang en",
                              shell=True, cwd=ROOT, stdin=fh, capture_output=True, timeout=60)
    assert proc.returncode == 1
    text = proc.stdout.decode()
    assert "not a regular file (a pipe, device or socket)" in text and "save the report as an .xlsx file" in text
    assert "CSV" not in text


def test_non_utf8_names_in_terminal_json_csv_register(good_source, tmp_path):
    folder = tmp_path / "in"
    weird = _copy(good_source, folder / NON_UTF8)
    # validate: JSON is valid UTF-8 and names the file with \x escapes; the copy keeps the raw bytes
    proc = subprocess.run([sys.executable, "cli.py", "validate", str(weird), "--json"], cwd=ROOT,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout.decode("utf-8"))
    assert payload["files"][0]["path"].endswith("otchet_\\x8e\\xa2.xlsx")
    assert payload["files"][0]["output"].endswith("otchet_\\x8e\\xa2.checked.xlsx")
    assert (folder / os.fsdecode(b"otchet_\x8e\xa2.checked.xlsx")).is_file()
    terminal = subprocess.run([sys.executable, "cli.py", "validate", str(weird), "--no-copy"], cwd=ROOT,
                              capture_output=True, timeout=120)
    assert terminal.returncode == 0 and "otchet_\\x8e\\xa2.xlsx" in terminal.stdout.decode("utf-8")
    # merge with CSVs: no crash, the name in every output
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run([sys.executable, "cli.py", "merge", str(folder), "-o", str(out / "r.xlsx"),
                           "--csv-dir", str(out / "csv"), "--json"], cwd=ROOT, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO((out / "csv" / "reports.csv").read_text(encoding="utf-8-sig"))))
    assert [r["source_file"] for r in rows] == ["otchet_\\x8e\\xa2.xlsx"]
    with zipfile.ZipFile(out / "r.xlsx") as zf:
        assert any(b"otchet_\\x8e\\xa2.xlsx" in zf.read(n) for n in zf.namelist() if n.endswith(".xml"))


def test_symlinked_folders_are_followed_once_and_loops_end(good_source, tmp_path):
    top = tmp_path / "in"
    _copy(good_source, top / "a.xlsx")
    elsewhere = tmp_path / "elsewhere"
    _copy(good_source, elsewhere / "linked.xlsx")
    os.symlink(elsewhere, top / "link")                     # a symlinked subfolder: followed
    os.symlink(top, top / "loop")                           # a loop: searched once
    os.symlink(top / "a.xlsx", top / "same.xlsx")           # one file by two names: read once
    found = register.find_inputs([top])
    assert sorted(p.name for p in found) == ["a.xlsx", "linked.xlsx"]


def test_a_folder_that_cannot_be_listed_is_a_finding(good_source, tmp_path, monkeypatch):
    top = tmp_path / "in"
    _copy(good_source, top / "a.xlsx")
    (top / "locked").mkdir()
    real = os.scandir

    def scandir(path):
        if str(path).endswith("locked"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(register.os, "scandir", scandir)
    found = register.find_inputs([top])
    assert [p.name for p in found] == ["a.xlsx", "locked"]
    result = validation.check(found[1])
    assert [f.params["reason"] for f in result.findings] == ["folder"]
    assert "permissions" in result.findings[0].message("en")


# 3. One file never stops a run; 4. no colliding outputs ----------------------------------------------

def test_one_copy_that_cannot_be_written_does_not_stop_the_others(good_source, tmp_path):
    long_name = "r" * 245 + ".xlsx"                         # fits; its .checked.xlsx does not
    a = _copy(good_source, tmp_path / "in" / long_name)
    b = _copy(good_source, tmp_path / "in" / "b.xlsx")
    result = run(["validate", a, b, "--json", "--lang", "en"])
    assert result.exit_code == 1
    first, second = json.loads(result.stdout)["files"]
    assert first["output"] is None and second["output"].endswith("b.checked.xlsx")
    [finding] = [f for f in first["findings"] if f["code"] == "copy-not-written"]
    assert finding["severity"] == "error" and "too long" in finding["message"]
    assert Path(second["output"]).is_file()


def test_out_dir_under_a_file(good_source, tmp_path):
    a = _copy(good_source, tmp_path / "a.xlsx")
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = run(["validate", a, "--out-dir", afile / "x"])
    assert result.exit_code == 2 and "cannot be a folder" in result.output
    # the library without the up-front check: a finding on the file, not a traceback
    r = validation.validate(a, write_copy=True, out_dir=afile / "x")
    assert [f.code for f in r.findings if f.severity == "error"] == ["copy-not-written"]
    assert "where a folder should be" in [f for f in r.findings if f.code == "copy-not-written"][0].message("en")


def test_an_injected_write_error_is_that_files_finding(good_source, tmp_path, monkeypatch):
    from toolkit import checked
    a = _copy(good_source, tmp_path / "a.xlsx")
    b = _copy(good_source, tmp_path / "b.xlsx")
    real = checked.add_sheet

    def add_sheet(src, dst, *args, **kwargs):
        if Path(dst).name.startswith("a."):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(checked, "add_sheet", add_sheet)
    result = run(["validate", a, b, "--json", "--lang", "kk"])
    assert result.exit_code == 1
    first, second = json.loads(result.stdout)["files"]
    assert "дискте бос орын жоқ" in [f for f in first["findings"] if f["code"] == "copy-not-written"][0]["message"]
    assert second["output"] and not [f for f in second["findings"] if f["severity"] == "error"]


def test_same_names_into_one_out_dir_get_distinct_copies(good_source, bad_source, tmp_path):
    a = _copy(good_source, tmp_path / "a" / "report.xlsx")
    b = _copy(bad_source, tmp_path / "b" / "report.xlsx")
    c = _copy(good_source, tmp_path / "c" / "report.xlsx")
    result = run(["validate", a, b, c, "--out-dir", tmp_path / "out", "--json"])
    assert result.exit_code == 1
    files = json.loads(result.stdout)["files"]
    outs = [f["output"] for f in files]
    assert [Path(o).name for o in outs] == ["report.checked.xlsx", "report (2).checked.xlsx",
                                            "report (3).checked.xlsx"]
    assert [f["valid"] for f in files] == [True, False, True]
    # each copy is its own input's: the second (the bad report) carries the gender-sum error
    from openpyxl import load_workbook
    for out, f in zip(outs, files):
        sheet = load_workbook(out, read_only=True)["Тексеру"]
        codes = {c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)}
        assert ("gender-sum" in codes) == (not f["valid"])


def test_a_disk_filling_up_while_the_register_is_written(good_source, tmp_path, monkeypatch):
    """The up-front probe passed, then the disk filled: a message, exit 1, the earlier register intact."""
    _copy(good_source, tmp_path / "in" / "a.xlsx")
    target = tmp_path / "out" / "r.xlsx"
    target.parent.mkdir()
    assert run(["merge", tmp_path / "in", "-o", target, "--no-cache"]).exit_code == 0
    before = target.read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(register.rowxml, "stitch", full)
    result = run(["merge", tmp_path / "in", "-o", target, "--lang", "ru", "--no-cache"])
    assert result.exit_code == 1
    assert "на диске нет места" in result.output and "was not written: no space left" in result.output
    assert "Traceback" not in result.output
    assert target.read_bytes() == before
    assert sorted(os.listdir(target.parent)) == ["r.xlsx"]


def test_a_copy_never_lands_on_an_input(good_source, tmp_path):
    a = _copy(good_source, tmp_path / "a.xlsx")
    checked_name = _copy(good_source, tmp_path / "a.checked.xlsx")   # an input named like a's copy
    before = checked_name.read_bytes()
    targets = outputs.plan_checked_copies([a, checked_name])
    assert [t.name for t in targets] == ["a (2).checked.xlsx", "a.checked.checked.xlsx"]
    assert run(["validate", a, checked_name]).exit_code == 0
    assert checked_name.read_bytes() == before


# 5. An empty run changes nothing ------------------------------------------------------------------------

def test_empty_merge_keeps_the_earlier_register_and_csvs(good_source, tmp_path):
    full = tmp_path / "full"
    _copy(good_source, full / "a.xlsx")
    target, csv_dir = tmp_path / "register.xlsx", tmp_path / "csv"
    assert run(["merge", full, "-o", target, "--csv-dir", csv_dir]).exit_code == 0
    before = _snapshot(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a workbook")
    result = run(["merge", empty, "-o", target, "--csv-dir", csv_dir, "--lang", "ru"])
    assert result.exit_code == 1
    assert "не найдено ни одной книги" in result.output and "nothing was written" in result.output
    after = _snapshot(tmp_path)
    del after[str(empty / "notes.txt")]
    assert after == before
    result = run(["merge", empty, "-o", target, "--json"])
    assert result.exit_code == 1 and json.loads(result.stdout)["written"] is False


# 6. The NGO's workbook stays the NGO's ------------------------------------------------------------------

def test_the_ngos_own_validation_named_sheet_is_kept(tmp_path):
    def own_sheet(wb):
        ws = wb.create_sheet("Тексеру")
        ws["A1"] = "біздің өз жазбаларымыз"

    path = builders.fill(tmp_path / "r.xlsx", builders.clean_singles(), builders.clean_tables(), edit=own_sheet)
    result = validation.validate(path, write_copy=True)
    [f] = [f for f in result.findings if f.code == "validation-sheet-renamed"]
    assert (f.value, f.expected) == ("Тексеру", "Тексеру (2)")
    assert "Тексеру (2)" in f.message("kk")
    from openpyxl import load_workbook
    wb = load_workbook(result.output)
    assert wb["Тексеру"]["A1"].value == "біздің өз жазбаларымыз"
    assert "Тексеру (2)" in wb.sheetnames


# 7. After a SIGKILL: stale temporaries removed, only esep's own and only dead ones ------------------

def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_part_files_and_spools_of_dead_runs_are_removed(good_source, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(outputs.tempfile, "tempdir", None)
    out = tmp_path / "out"
    out.mkdir()
    dead, alive = _dead_pid(), os.getppid()
    stale = out / f".r.xlsx.esep-{dead}.abc123de.part"
    live = out / f".r.xlsx.esep-{alive}.abc123de.part"
    foreign = out / ".r.xlsx.abc123de.part"                     # not esep's marker: never touched
    stale_spool = tmp_path / "tmp" / f"esep-rows-{dead}-x1y2z3"
    other_spool = tmp_path / "tmp" / "someone-rows-1-x"
    for p in (stale, live, foreign):
        p.write_bytes(b"half")
    for d in (stale_spool, other_spool):
        d.mkdir()
        (d / "1.findings").write_bytes(b"rows")
    old = 1_000_000_000
    for p in (stale, live, foreign, stale_spool, other_spool):
        os.utime(p, (old, old))
    _copy(good_source, tmp_path / "in" / "a.xlsx")
    assert register.merge([tmp_path / "in"], out / "r.xlsx", jobs=1).written
    assert not stale.exists() and not stale_spool.exists()
    assert live.exists() and foreign.exists() and other_spool.exists()


# 8. The smaller items ---------------------------------------------------------------------------------

def _validated(tmp_path, singles=None, edit_tables=None):
    s = builders.clean_singles()
    s.update(singles or {})
    t = builders.clean_tables()
    if edit_tables:
        edit_tables(t)
    return validation.validate(builders.fill(tmp_path / "r.xlsx", s, t))


def test_percent_message_shows_the_value_typed(tmp_path):
    result = _validated(tmp_path, edit_tables=lambda t: t["ind"][2].update(ind_fact=100.0000001))
    [f] = [f for f in result.findings if f.code == "percent-out-of-range"]
    assert "100.0000001%" in f.message("en") and "100,0000001%" in f.message("ru")


# A serial 0 or -5 in a date cell reaches esep (through calamine) as the time 00:00: shown as «≤ 0».
@pytest.mark.parametrize("typed, shown", [(0, "«≤ 0»"), (-5, "«≤ 0»"), ("01.01.0001", "«01.01.0001»"),
                                          ("31.12.1899", "«31.12.1899»")])
def test_dates_before_1900_and_serials_up_to_zero_are_type_errors(tmp_path, typed, shown):
    result = _validated(tmp_path, {"report_date": typed})
    errors = [f for f in result.findings if f.code == "type-error" and f.field == "report_date"]
    assert len(errors) == 1, [(f.code, f.field, f.value) for f in result.findings]
    assert shown in errors[0].message("en") and "00:00:00" not in errors[0].message("en")
    assert result.report.get("report_date") is None


@pytest.mark.parametrize("field, value", [("grant_amount", 1e300), ("grant_amount", 10 ** 12 + 1),
                                          ("stats_male", 10 ** 8 + 1)])
def test_figures_no_report_can_hold_are_type_errors(tmp_path, field, value):
    result = _validated(tmp_path, {field: value})
    [f] = [f for f in result.findings if f.code == "type-error" and f.field == field]
    assert result.report.get(field) is None
    assert len(f.message("en")) < 300 and "trillion" in f.message("en") or "million" in f.message("en")


def test_sane_figures_at_the_bounds_are_read(tmp_path):
    result = _validated(tmp_path, {"grant_amount": 10 ** 12})
    assert result.report.get("grant_amount") == 10 ** 12
    assert not [f for f in result.findings if f.code == "type-error"]


def test_merge_fails_when_the_only_invalid_file_was_superseded(tmp_path):
    (tmp_path / "in").mkdir()
    old = builders.clean(tmp_path / "in" / "old.xlsx", stats_female=394,
                         report_date=builders.dt.date(2024, 12, 1))
    new = builders.clean(tmp_path / "in" / "new.xlsx", report_date=builders.dt.date(2024, 12, 20))
    assert validation.check(old).valid is False and validation.check(new).valid is True
    result = run(["merge", tmp_path / "in", "-o", tmp_path / "r.xlsx", "--json"])
    payload = json.loads(result.stdout)
    assert (payload["invalid"], payload["superseded"], payload["superseded_invalid"]) == (0, 1, 1)
    assert result.exit_code == 1


def test_csv_prefix_rule_as_the_readme_states(tmp_path):
    from toolkit import values
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`-1-1` (a spreadsheet computes −2), phone numbers such as `+7 (708) 401-36-74`" in readme
    for text in ("-1-1", "+7 (708) 401-36-74", "- пункт", "=1+1", "@SUM(A1)", "\tx"):
        assert register._csv_value(text) == "'" + text
    for text in ("-5", "+5", "-5,5", "-5%", "-", "мәтін"):
        assert register._csv_value(text) == text and not values.looks_like_formula(text)


# Done when: one folder with everything at once ------------------------------------------------------

def test_done_when_a_mixed_folder_is_merged_with_every_file_accounted_for(good_source, bad_source, tmp_path):
    folder = tmp_path / "incoming"
    _copy(good_source, folder / "final_report_2024_kk.xlsx")
    _copy(bad_source, folder / "b.xlsx")
    os.mkfifo(folder / "pipe.xlsx")
    _copy(good_source, folder / NON_UTF8)
    elsewhere = tmp_path / "elsewhere"
    _copy(bad_source, elsewhere / "in_linked_folder.xlsx")
    os.symlink(elsewhere, folder / "linked")
    before = _snapshot(folder)

    # The register named like an input: refused before anything is read, nothing overwritten.
    refused = subprocess.run([sys.executable, "cli.py", "merge", str(folder), "-o",
                              str(folder / "final_report_2024_kk.xlsx")], cwd=ROOT, capture_output=True, timeout=60)
    assert refused.returncode == 2 and b"would be read as a report" in refused.stderr
    assert _snapshot(folder) == before

    # Elsewhere: every file is in the register, none overwritten, the run ends (the FIFO never blocks it).
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run([sys.executable, "cli.py", "merge", str(folder), "-o", str(out / "register.xlsx"),
                           "--csv-dir", str(out / "csv"), "--json"], cwd=ROOT, capture_output=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    payload = json.loads(proc.stdout.decode("utf-8"))
    assert payload["files"] == 5 and payload["written"] is True
    rows = list(csv.DictReader(io.StringIO((out / "csv" / "reports.csv").read_text(encoding="utf-8-sig"))))
    assert sorted(r["source_file"] for r in rows) == sorted([
        "final_report_2024_kk.xlsx", "b.xlsx", "pipe.xlsx", "otchet_\\x8e\\xa2.xlsx",
        "linked/in_linked_folder.xlsx"])
    status = {r["source_file"]: r["status"] for r in rows}
    assert status["pipe.xlsx"] == "unreadable" and status["b.xlsx"] in ("invalid", "superseded")
    findings = list(csv.DictReader(io.StringIO((out / "csv" / "findings.csv").read_text(encoding="utf-8-sig"))))
    assert any(f["source_file"] == "pipe.xlsx" and f["code"] == "file-unreadable" for f in findings)
    assert _snapshot(folder) == before


# A property: any file name, validate and merge ----------------------------------------------------

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_NAME_BYTES = st.binary(min_size=1, max_size=40).map(lambda b: b.replace(b"/", b"_").replace(b"\0", b"_")) \
    .filter(lambda b: b not in (b".", b"..") and not b.startswith(b"~$")      # Office lock files and
            and not b.lower().endswith(b".checked"))                            # checked copies: skipped


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stem=_NAME_BYTES)
def test_any_file_name_validates_and_merges(good_source, tmp_path_factory, stem):
    folder = tmp_path_factory.mktemp("names")
    name = os.fsdecode(stem + b".xlsx")
    path = _copy(good_source, folder / "in" / name)
    result = validation.validate(path, write_copy=True, out_dir=folder / "checked")
    doc = json.dumps(result.to_dict("en"), ensure_ascii=False).encode("utf-8")   # always valid UTF-8
    assert json.loads(doc)["valid"] is True
    assert Path(result.output).is_file()
    merged = register.merge([folder / "in"], folder / "r.xlsx", csv_dir=folder / "csv", jobs=1)
    assert (merged.files, merged.valid) == (1, 1)
    text = (folder / "csv" / "reports.csv").read_bytes().decode("utf-8-sig")
    assert text.count("\n") >= 2
