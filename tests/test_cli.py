"""The command line is a thin shell over the library: its JSON equals the library's result, its exit
codes follow csvkit (0 fine, 1 problems, 2 usage), and every command has help with an example."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

import builders
import cli
from toolkit import validation


def run(args):
    return CliRunner().invoke(cli.cli, args)


def test_validate_json_equals_library(tmp_path):
    good = builders.clean(tmp_path / "good.xlsx")
    bad = builders.clean(tmp_path / "bad.xlsx", stats_female=394)
    result = run(["validate", str(good), str(bad), "--json", "--no-copy"])
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    expected = validation.summary([validation.validate(good), validation.validate(bad)])
    assert payload == json.loads(json.dumps(expected))
    assert payload["valid"] is False
    assert [f["valid"] for f in payload["files"]] == [True, False]
    first = payload["files"][1]
    assert set(first) == {"path", "sha256", "valid", "template_version", "lang", "output", "counts",
                          "findings"}
    assert set(first["counts"]) == {"error", "warning", "info"}
    assert set(first["findings"][0]) == {"code", "severity", "sheet", "cell", "field", "row", "value",
                                         "expected", "message"}


def test_validate_json_language_and_dates(tmp_path):
    bad = builders.clean(tmp_path / "bad.xlsx", period_end=builders.dt.date(2024, 5, 1))
    payload = json.loads(run(["validate", str(bad), "--json", "--no-copy", "--lang", "en"]).stdout)
    f = [f for f in payload["files"][0]["findings"] if f["code"] == "period-order"][0]
    assert f["value"] == "2024-05-01" and f["expected"] == "2024-05-27"
    assert f["message"].startswith("The project ends")


def test_validate_exit_codes_and_copy(tmp_path):
    good = builders.clean(tmp_path / "good.xlsx")
    before = good.read_bytes()
    result = run(["validate", str(good), "--out-dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "good.checked.xlsx").exists()
    assert good.read_bytes() == before
    assert "good.xlsx" in result.output
    assert run(["validate", str(tmp_path / "missing.xlsx")]).exit_code == 2
    assert run(["validate"]).exit_code == 2
    assert run(["validate", str(good), "--lang", "xx"]).exit_code == 2
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"")
    assert run(["validate", str(broken), "--no-copy"]).exit_code == 1


def test_merge_usage_errors(tmp_path):
    assert run(["merge", str(tmp_path)]).exit_code == 2           # no -o
    assert run(["merge", "-o", str(tmp_path / "r.xlsx")]).exit_code == 2


@pytest.mark.parametrize("command", sorted(cli.cli.commands))
def test_commands_have_help_with_example(command):
    result = run([command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output


def test_help_is_fast_and_imports_no_heavy_library():
    code = "import sys, cli; print(sorted(m for m in ('pandas', 'openpyxl', 'xlsxwriter', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=builders.ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_validate_imports_no_pandas_or_openpyxl(tmp_path):
    good = builders.clean(tmp_path / "good.xlsx")
    code = ("import sys, runpy; sys.argv=['esep','validate',%r,'--no-copy'];\n"
            "try:\n    runpy.run_path('cli.py', run_name='__main__')\nexcept SystemExit: pass\n"
            "print(sorted(m for m in ('pandas', 'openpyxl', 'numpy') if m in sys.modules))") % str(good)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=builders.ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_terminal_speaks_the_users_language(tmp_path, lang):
    """The shipped examples validated with --lang kk / ru: every printed word in that language (codes,
    paths, cells and values typed by the NGO excepted), statuses and counts from the vocabulary, and
    the «… more» line in words with what to do, never a bare code."""
    import re

    from test_vocabulary import _latin_words
    from toolkit import vocabulary

    examples = sorted((builders.TEMPLATES / "examples").glob("*.xlsx"))
    for no_copy in (False, True):
        args = ["validate", *map(str, examples), "--lang", lang, "--out-dir", str(tmp_path)]
        result = run(args + (["--no-copy"] if no_copy else []))
        assert result.exit_code == 1, result.output
        lines = result.output.splitlines()
        heads = [line for line in lines if not line.startswith("  ")]
        assert len(heads) == len(examples)
        for head in heads:
            assert vocabulary.counts_line({}, lang).split(":")[0] in head
            assert any(vocabulary.STATUS[s].get(lang).upper() in head for s in ("valid", "invalid"))
        more = [line for line in lines if line.startswith("  …")]
        assert more, "the seed example repeats a code more than five times"
        key = "more_no_copy" if no_copy else "more_in_copy"
        assert all(vocabulary.WORDS[key].get(lang).split("{")[0] in line for line in more)
        for line in lines:
            text = line.split(": ", 1)[1] if not line.startswith("  ") else line
            text = re.sub(r"\[[a-z-]+\]|«[^»]*»|\S+![A-Z]+\d+|\([A-Z]+\d+\)|\S+\.xlsx|--no-copy", "", text)
            assert not _latin_words(text, lang), line


def test_merge_progress_is_clicks_bar_with_time_left_and_problems(monkeypatch):
    import io

    import cli as cli_module

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    monkeypatch.setattr(cli_module.sys, "stderr", screen)
    progress = cli_module._Progress("ru")
    for done, errors in ((1, 0), (2, 1), (3, 1)):
        progress(done, 3, errors)
    shown = screen.getvalue()
    assert "Чтение файлов" in shown and "3/3" in shown and "Нужно исправить: 1" in shown
    assert progress.bar is None          # closed at the last file


# The kk and ru examples are one report (same BIN and agreement): the older one is superseded.
@pytest.mark.parametrize("lang, start", [
    ("kk", "Файлдар: 3 · тексеруден өткені: 1 · түзету қажеті: 1 · оқылмағаны: 0 · жаңасымен ауыстырылғаны: 1"),
    ("ru", "Файлов: 3 · прошли проверку: 1 · нужно исправить: 1 · не прочитаны: 0 · заменены новыми: 1"),
    ("en", "Files: 3 · passed the check: 1 · need corrections: 1 · unreadable: 0 · superseded: 1")])
def test_merge_summary_in_the_users_language(tmp_path, lang, start):
    examples = sorted((builders.TEMPLATES / "examples").glob("*.xlsx"))
    out = tmp_path / "register.xlsx"
    result = run(["merge", *map(str, examples), "-o", str(out), "--lang", lang, "--jobs", "1"])
    assert result.exit_code == 1, result.output
    line = result.output.splitlines()[0]
    assert line.startswith(start) and line.endswith(f"→ {out}"), line
