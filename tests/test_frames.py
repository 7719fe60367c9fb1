"""toolkit.frames (issue #13): the register's CSVs as typed pandas DataFrames; pandas stays off the
validate and merge path."""
from __future__ import annotations

import csv
import subprocess
import sys

import pytest

import toolkit
from builders import ROOT
from toolkit import register

pd = pytest.importorskip("pandas")

EXAMPLES = ROOT / "workbook_templates" / "examples"


@pytest.fixture(scope="module")
def frames():
    return toolkit.frames([EXAMPLES], roster=EXAMPLES / "roster.csv", jobs=1)


def test_frames_have_the_csv_columns(frames, tmp_path):
    (tmp_path / "csv").mkdir()
    register.merge([EXAMPLES], tmp_path / "r.xlsx", csv_dir=tmp_path / "csv", roster=EXAMPLES / "roster.csv",
                   jobs=1)
    assert set(frames) == {"reports", "indicators", "partners", "subgrants", "findings", "expected"}
    for key, df in frames.items():
        with open(tmp_path / "csv" / f"{key}.csv", encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        assert list(df.columns) == rows[0], key
        assert len(df) == len(rows) - 1, key


def test_frames_dtypes(frames):
    reports, ind, exp = frames["reports"], frames["indicators"], frames["expected"]
    assert str(reports["grant_amount"].dtype) == "Int64"
    assert str(reports["period_start"].dtype).startswith("datetime64")
    assert str(reports["read_at"].dtype).startswith("datetime64")
    assert str(reports["errors"].dtype) == "Int64"
    assert str(ind["ind_participants"].dtype) == "Int64"
    assert str(ind["ind_plan"].dtype) == "Float64" and str(ind["calc_ind_percent"].dtype) == "Float64"
    assert str(ind["ind_date_start"].dtype).startswith("datetime64")
    assert str(ind["org_bin"].dtype) == "string" and str(ind["ind_operator"].dtype) == "string"
    assert str(exp["valid"].dtype) == "boolean" and str(exp["due_date"].dtype).startswith("datetime64")
    row = reports[reports["source_file"] == "final_report_2024_kk.xlsx"].iloc[0]
    assert row["grant_amount"] == 7000000 and row["org_bin"] == "240540001232"
    assert row["period_start"] == pd.Timestamp("2024-05-27")
    assert set(ind["ind_operator"].dropna()) <= {"eq", "ge", "le"}
    assert list(exp["status"]) == ["received", "missing", "missing"]


def test_frames_hold_text_not_its_csv_guard(tmp_path):
    from test_round import report

    report(tmp_path / "r.xlsx", project_name="=HYPERLINK(\"http://x\")")
    df = toolkit.frames(tmp_path / "r.xlsx", jobs=1)["reports"]
    assert df["project_name"].iloc[0] == "=HYPERLINK(\"http://x\")"


def test_validate_and_merge_never_import_pandas(tmp_path):
    code = (
        "import sys, cli\n"
        "for args in (['validate', '--no-copy', sys.argv[1]], ['merge', sys.argv[1], '-o', sys.argv[2], '--jobs', '1']):\n"
        "    try:\n"
        "        cli.main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in ('pandas', 'numpy') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code, str(EXAMPLES / "final_report_2024_kk.xlsx"),
                          str(tmp_path / "r.xlsx")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stderr[-2000:]
    assert (tmp_path / "r.xlsx").exists()
