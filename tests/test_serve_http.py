"""Issue #15: `esep serve` at the HTTP level: the JSON API equals `esep validate --json`, and every limit
holds (size, zip bomb, time, memory, queue, escaping, CSRF, file names, headers, intake codes).

Servers run in this process (tests/servehelp.py) on a free loopback port, some with a worker job that
misbehaves on request (tests/servejobs.py), so time and memory limits are driven, not waited for."""
from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
import threading
import zipfile

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

import builders                                           # noqa: E402
import hostile                                            # noqa: E402
from servehelp import (ROOT, SEED, SEED_AGREEMENT, SEED_BIN, SEED_SHA256, InProcess, cli_server,  # noqa: E402
                       page_token, seed_result, write_codes)
from toolkit import package, validation                   # noqa: E402
from toolkit.web import intake                            # noqa: E402
from toolkit.web.app import Config                        # noqa: E402
from toolkit.web.pages import astana_time  # noqa: E402
from toolkit.web.texts import t                           # noqa: E402

MISBEHAVING = "servejobs:misbehaving"
CODE = "K7PX2MQ9RT4W"
TIMEOUT = 60


def post_file(url, data: bytes, name="report.xlsx", **kw):
    return httpx.post(url, files={"file": (name, data)}, timeout=TIMEOUT, **kw)


@pytest.fixture(scope="module")
def server():
    with InProcess(Config(workers=2, queue=4, timeout=3, job=MISBEHAVING)) as s:
        yield s


@pytest.fixture(scope="module")
def intake_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("intake")
    codes = write_codes(folder / "access-codes.csv",
                        [("№ 94", SEED_BIN, "Жас Ұрпақ", "final_report_2024_kk.xlsx", CODE),
                         ("17", "240540001232", "Other", "other.xlsx", "ABCDEFGHJK23")])
    inbox = folder / "inbox"
    with InProcess(Config(workers=2, inbox=inbox, codes=codes)) as s:
        s.inbox = inbox
        yield s


# -- the API is the command line's JSON ----------------------------------------------------------

def test_api_validate_equals_the_cli_json(server, tmp_path):
    expected = validation.summary([validation.validate(SEED)])["files"][0]
    r = post_file(server.url + "/api/validate", SEED.read_bytes(), name="final_report_2024_kk.xlsx")
    assert r.status_code == 200
    got = r.json()
    assert got == {**expected, "path": "final_report_2024_kk.xlsx", "output": None}
    assert got["counts"]["warning"] > 0 and got["findings"]
    ru = post_file(server.url + "/api/validate?lang=ru", SEED.read_bytes()).json()
    assert ru["findings"][0]["message"] == validation.validate(SEED).findings[0].message("ru")


def test_api_copy_is_the_checked_workbook(server):
    from openpyxl import load_workbook

    r = post_file(server.url + "/api/validate?copy=1", SEED.read_bytes(), name="есеп 2024.xlsx")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''%D0%B5%D1%81%D0%B5%D0%BF%202024.checked.xlsx" in r.headers["content-disposition"]
    assert r.headers["x-esep-valid"] == "true" and r.headers["x-esep-warnings"] == str(seed_result().counts["warning"])
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[-1] == "Тексеру"
    assert wb["Тексеру"]["B4"].value == "есеп 2024.xlsx"     # the user's name, not the temporary one


def test_non_workbook_is_a_finding_and_copy_refused(server):
    r = post_file(server.url + "/api/validate", b"agreement_no,org_bin\n94,1\n", name="report.csv")
    body = r.json()
    assert r.status_code == 200 and body["valid"] is False
    assert [f["code"] for f in body["findings"]] == ["file-unreadable"]
    assert "Excel" in body["findings"][0]["message"]
    r = post_file(server.url + "/api/validate?copy=1", b"not a workbook")
    assert r.status_code == 422 and r.json()["findings"][0]["code"] == "file-unreadable"


def test_health_and_templates(server):
    from openpyxl import load_workbook

    health = httpx.get(server.url + "/api/health").json()
    assert health["status"] == "ok" and health["workers"] == 2 and health["capacity"] == 6
    for lang, sheet in (("kk", "Нұсқаулық"), ("ru", "Инструкция")):
        r = httpx.get(server.url + f"/template/{lang}", timeout=TIMEOUT)
        assert r.status_code == 200
        assert f'filename="final_report_{lang}.xlsx"' in r.headers["content-disposition"]
        assert load_workbook(io.BytesIO(r.content)).sheetnames[0] == sheet
    assert httpx.get(server.url + "/template/en").status_code == 404


# -- size -------------------------------------------------------------------------------------------

def test_size_limit_is_the_cli_limit():
    assert Config().max_bytes == package.MAX_FILE_BYTES


def test_oversize_is_413_in_the_page_language():
    with InProcess(Config(workers=1, max_bytes=100_000)) as s:
        big = b"PK" + b"\0" * 150_000
        r = post_file(s.url + "/api/validate", big)
        assert r.status_code == 413 and r.json()["error"] == "too-large"
        assert "0.0953674 МБ" in r.json()["message"] or "МБ" in r.json()["message"]
        # chunked, without Content-Length: counted while streaming
        def chunks():
            yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.xlsx\"\r\n\r\n"
            for _ in range(40):
                yield b"x" * 10_000
            yield b"\r\n--b--\r\n"
        r = httpx.post(s.url + "/api/validate", content=chunks(), timeout=TIMEOUT,
                       headers={"content-type": "multipart/form-data; boundary=b"})
        assert r.status_code == 413
        # the page: Russian browser, Russian message
        with httpx.Client(headers={"accept-language": "ru-RU,ru;q=0.9,en;q=0.5"}, timeout=TIMEOUT) as c:
            token = page_token(c, s.url)
            r = c.post(s.url + "/check", files={"file": ("big.xlsx", big)}, data={"csrf": token})
        assert r.status_code == 413
        assert "Файл слишком большой" in r.text and 'lang="ru"' in r.text
        assert s.health()["admitted"] == 0
        assert list(s.server.tmp.iterdir()) == []


# -- time, memory, crash: the worker is stopped or replaced, others go on ---------------------------

def test_timeout_is_a_clear_answer_and_never_blocks_others(server):
    answers = {}

    def slow():
        answers["slow"] = post_file(server.url + "/api/validate", b"SLEEP")

    thread = threading.Thread(target=slow)
    thread.start()
    server.wait_health(lambda h: h["running"] >= 1)
    r = post_file(server.url + "/api/validate", SEED.read_bytes())     # the other worker serves this
    assert r.status_code == 200 and r.json()["counts"] == seed_result().counts
    assert thread.is_alive()                                           # while the slow one still runs
    thread.join(TIMEOUT)
    body = answers["slow"].json()
    assert body["valid"] is False and body["findings"][0]["code"] == "file-unreadable"
    assert "тым ұзаққа" in body["findings"][0]["message"]
    server.wait_health(lambda h: h["running"] == 0 and h["admitted"] == 0)
    assert post_file(server.url + "/api/validate", SEED.read_bytes()).json()["counts"] == seed_result().counts


def test_timeout_on_the_page_says_what_to_do(server):
    with httpx.Client(headers={"accept-language": "ru"}, timeout=TIMEOUT) as c:
        token = page_token(c, server.url)
        r = c.post(server.url + "/check", files={"file": ("slow.xlsx", b"SLEEP")}, data={"csrf": token})
    assert r.status_code == 200
    assert "Проверка заняла больше 3 с и была остановлена" in r.text
    assert "сохраните заново как .xlsx" in r.text


def test_memory_limit_and_crash_replace_the_worker(server):
    r = post_file(server.url + "/api/validate", b"HOG")
    assert r.json()["findings"][0]["message"].startswith("Файлды есеп ретінде оқу мүмкін емес: файлды тексеруге")
    r = post_file(server.url + "/api/validate?lang=ru", b"DIE")
    assert "аварийно" in r.json()["findings"][0]["message"]
    for _ in range(2):                                                 # both workers work again
        assert post_file(server.url + "/api/validate", SEED.read_bytes()).json()["counts"] == seed_result().counts


def test_zip_bomb_is_refused_quickly_and_others_go_on(server, tmp_path):
    bomb = hostile.zip_bomb(tmp_path).read_bytes()
    r = post_file(server.url + "/api/validate", bomb)
    finding = r.json()["findings"][0]
    assert finding["code"] == "file-unreadable" and "шектен" in finding["message"]
    assert post_file(server.url + "/api/validate", SEED.read_bytes()).status_code == 200


def test_queue_full_is_503_with_retry_after():
    with InProcess(Config(workers=1, queue=1, timeout=2, retry_after=7, job=MISBEHAVING)) as s:
        threads = [threading.Thread(target=post_file, args=(s.url + "/api/validate", b"SLEEP")) for _ in range(2)]
        for th in threads:
            th.start()
        s.wait_health(lambda h: h["admitted"] == 2)
        r = post_file(s.url + "/api/validate", SEED.read_bytes())
        assert r.status_code == 503 and r.headers["retry-after"] == "7"
        assert r.json()["error"] == "busy" and "7" in r.json()["message"]
        with httpx.Client(headers={"accept-language": "ru"}, timeout=TIMEOUT) as c:
            token = page_token(c, s.url)
            r = c.post(s.url + "/check", files={"file": ("a.xlsx", SEED.read_bytes())}, data={"csrf": token})
        assert r.status_code == 503 and "Сервер сейчас занят" in r.text and r.headers["retry-after"] == "7"
        for th in threads:
            th.join(TIMEOUT)
        s.wait_health(lambda h: h["admitted"] == 0)
        assert post_file(s.url + "/api/validate", SEED.read_bytes()).status_code == 200


# -- escaping, CSRF, names, headers -------------------------------------------------------------------

def test_workbook_text_and_file_name_are_escaped(server, tmp_path):
    script = "<script>alert(1)</script>"
    path = builders.clean(tmp_path / "x.xlsx", org_phone=script)
    with httpx.Client(timeout=TIMEOUT) as c:
        token = page_token(c, server.url)
        r = c.post(server.url + "/check", data={"csrf": token},
                   files={"file": ('<img src=x onerror="alert(2)">.xlsx', path.read_bytes())})
    assert r.status_code == 200 and "phone-invalid" in r.text
    assert script not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "<img" not in r.text and "&lt;img src=x onerror=" in r.text


def test_csrf_is_required_on_forms(server):
    data = SEED.read_bytes()
    r = httpx.post(server.url + "/check", files={"file": ("a.xlsx", data)}, data={"csrf": "x" * 43},
                   headers={"accept-language": "kk"}, timeout=TIMEOUT)
    assert r.status_code == 403 and "Бет ескірген" in r.text
    with httpx.Client(timeout=TIMEOUT) as c:
        token = page_token(c, server.url)
        assert c.post(server.url + "/check", files={"file": ("a.xlsx", data)},
                      data={"csrf": token[:-1] + ("A" if token[-1] != "A" else "B")}).status_code == 403
        assert c.post(server.url + "/check", files={"file": ("a.xlsx", data)}, data={"csrf": token},
                      headers={"origin": "https://evil.example"}).status_code == 403
        ok = c.post(server.url + "/check", files={"file": ("a.xlsx", data)}, data={"csrf": token})
    assert ok.status_code == 200 and "Тексеру нәтижесі" in ok.text and "class=\"findings\"" in ok.text


def test_upload_name_is_never_a_path_and_nothing_is_kept(server, tmp_path):
    r = post_file(server.url + "/api/validate", SEED.read_bytes(), name="../../../../tmp/evil.xlsx")
    assert r.json()["path"] == "evil.xlsx"
    assert not (ROOT / "evil.xlsx").exists()
    server.wait_health(lambda h: h["admitted"] == 0)
    assert [p for p in server.server.tmp.iterdir() if not p.name.startswith("tmp")] == []
    assert list(server.server.tmp.iterdir()) == []


def test_security_headers_everywhere(server):
    for r in (httpx.get(server.url + "/"), httpx.get(server.url + "/api/health"), httpx.get(server.url + "/nope"),
              post_file(server.url + "/api/validate", b"x")):
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
    page = httpx.get(server.url + "/").text
    assert "<script>" not in page and "style=" not in page          # nothing inline for the CSP to allow


def test_page_language_from_accept_language_and_choice(server):
    assert 'lang="ru"' in httpx.get(server.url + "/", headers={"accept-language": "ru-RU,ru;q=0.9"}).text
    assert 'lang="kk"' in httpx.get(server.url + "/", headers={"accept-language": "kk,ru;q=0.5"}).text
    assert 'lang="kk"' in httpx.get(server.url + "/", headers={"accept-language": "en-US"}).text
    r = httpx.get(server.url + "/?lang=ru", headers={"accept-language": "kk"})
    assert 'lang="ru"' in r.text and "esep_lang=ru" in r.headers["set-cookie"]


# -- intake ----------------------------------------------------------------------------------------------

def _submit(c, url, code, data=None, name="final_report_2024_kk.xlsx"):
    token = page_token(c, url)
    return c.post(url + "/submit", files={"file": (name, data or SEED.read_bytes())},
                  data={"csrf": token, "code": code, "action": "submit"})


def test_intake_wrong_code_refused_right_code_stored(intake_server, caplog):
    url, inbox = intake_server.url, intake_server.inbox
    caplog.set_level(logging.DEBUG)
    with httpx.Client(timeout=TIMEOUT, headers={"accept-language": "ru"}) as c:
        r = _submit(c, url, "ABCDEFGHJK23")                         # another report's code
        assert r.status_code == 403 and "Код доступа не подходит" in r.text and "БИН 240540001232" in r.text
        assert [p for p in inbox.iterdir() if not p.name.startswith(".")] == []
        r = _submit(c, url, "")
        assert r.status_code == 400 and "введите код доступа" in r.text
        r = _submit(c, url, "k7px-2mq9 rt4w")                       # typed loosely: still the code
    assert r.status_code == 200 and "Отчёт сдан: квитанция" in r.text
    stored = sorted(p.name for p in inbox.iterdir())
    assert len(stored) == 2
    xlsx, receipt = stored
    assert re.fullmatch(r"\d{8}T\d{6}Z_240540001232_94_" + SEED_SHA256[:8] + r"\.xlsx", xlsx)
    assert receipt == xlsx + ".receipt.json"
    assert (inbox / xlsx).read_bytes() == SEED.read_bytes()
    data = json.loads((inbox / receipt).read_text(encoding="utf-8"))
    assert set(data) == {"received_at", "sha256", "agreement_no", "org_bin", "original_name", "esep_version"}
    assert data["sha256"] == SEED_SHA256 and data["org_bin"] == SEED_BIN
    assert data["agreement_no"] == SEED_AGREEMENT and data["original_name"] == "final_report_2024_kk.xlsx"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["received_at"])
    assert astana_time(data["received_at"]) in r.text and data["sha256"] in r.text
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert CODE not in logged and "ABCDEFGHJK23" not in logged and "K7PX" not in logged


def test_intake_unreadable_file_not_stored(intake_server):
    with httpx.Client(timeout=TIMEOUT) as c:
        r = _submit(c, intake_server.url, CODE, data=b"hello", name="a.xlsx")
    assert r.status_code == 422 and "Файл тапсырылмады және сақталмады" in r.text
    assert not any(p.name.endswith(".part") for p in intake_server.inbox.iterdir())


def test_repeated_wrong_codes_are_slowed_down(tmp_path):
    codes = write_codes(tmp_path / "codes.csv", [("94", SEED_BIN, "X", "x.xlsx", CODE)])
    with InProcess(Config(workers=1, inbox=tmp_path / "in", codes=codes)) as s:
        with httpx.Client(timeout=TIMEOUT) as c:
            for _ in range(3):
                assert _submit(c, s.url, "WRONGCODE22").status_code == 403
            r = _submit(c, s.url, CODE)                  # even the right code waits now
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "Кіру коды бірнеше рет қате енгізілді" in r.text
        assert list((tmp_path / "in").iterdir()) == []


def test_submit_is_absent_without_intake(server):
    with httpx.Client(timeout=TIMEOUT) as c:
        assert _submit(c, server.url, CODE).status_code == 404
        assert 'formaction="/submit"' not in c.get(server.url + "/").text


# -- intake pieces -----------------------------------------------------------------------------------------

def test_agreement_key_and_codes_file(tmp_path):
    for text in ("94", "№ 94", "№94", " 94 ", "No 94", "N94", "9-4"):
        assert intake.agreement_key(text) == "94", text
    assert intake.agreement_key("ГК-12а") == intake.agreement_key("гк 12a")
    codes = intake.load_codes(write_codes(tmp_path / "c.csv", [("№ 94", SEED_BIN, "X", "x.xlsx", CODE)]))
    assert intake.code_matches(codes, SEED_BIN, "94", CODE.lower()).org_name == "X"
    assert intake.code_matches(codes, SEED_BIN, "95", CODE) is None
    assert intake.code_matches(codes, "000000000000", "94", CODE) is None
    assert intake.code_matches(codes, SEED_BIN, "94", CODE[:-1]) is None
    (tmp_path / "bad.csv").write_text("agreement,bin,code\n1,2,3\n", encoding="utf-8")
    with pytest.raises(intake.CodesError, match="first line"):
        intake.load_codes(tmp_path / "bad.csv")
    with pytest.raises(intake.CodesError, match="at least 10"):
        intake.load_codes(write_codes(tmp_path / "short.csv", [("1", SEED_BIN, "X", "x", "ABC")]))
    with pytest.raises(intake.CodesError, match="two different codes"):
        intake.load_codes(write_codes(tmp_path / "two.csv", [("1", SEED_BIN, "X", "x", CODE),
                                                             ("№1", SEED_BIN, "X", "x", "ABCDEFGHJK23")]))


def test_store_never_overwrites(tmp_path):
    import datetime as dt

    upload = tmp_path / "u.xlsx"
    upload.write_bytes(SEED.read_bytes())
    at = dt.datetime(2026, 11, 30, 6, 12, 3, tzinfo=dt.timezone.utc)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    kw = dict(sha256="ab" * 32, org_bin=SEED_BIN, agreement_no="№ 94/ГК", name="C:\\Users\\x\\есеп.xlsx")
    first = intake.store(inbox, upload, received_at=at, **kw)
    assert first.path.name == "20261130T061203Z_240540001232_94-K_abababab.xlsx"   # ASCII only in names
    assert first.receipt["agreement_no"] == "№ 94/ГК"                               # as typed in the receipt
    assert first.receipt["received_at"] == "2026-11-30T06:12:03Z"
    assert first.receipt["original_name"] == "есеп.xlsx"
    again = intake.store(inbox, upload, received_at=at, **kw)
    assert again.already and again.path == first.path
    later = intake.store(inbox, upload, received_at=at + dt.timedelta(seconds=1), **kw)
    assert later.path != first.path
    names = sorted(p.name for p in inbox.iterdir())
    assert len(names) == 4 and not any(n.endswith(".part") for n in names)


def test_brake_doubles_and_forgets():
    now = [0.0]
    brake = intake.WrongCodeBrake(free=3, base=5, ceiling=60, window=900, clock=lambda: now[0])
    for _ in range(3):
        assert brake.wait_for("a") == 0
        brake.failed("a")
    assert brake.wait_for("a") == 5 and brake.wait_for("b") == 0
    now[0] = 5
    assert brake.wait_for("a") == 0
    brake.failed("a")
    assert brake.wait_for("a") == 10
    brake.succeeded("a")
    assert brake.wait_for("a") == 0


# -- command line --------------------------------------------------------------------------------------

def test_cli_validate_and_merge_never_import_the_web_stack(tmp_path):
    code = ("import sys, cli\n"
            "for args in (['validate', sys.argv[1], '--json', '--no-copy'], ['merge', sys.argv[1], '-o', sys.argv[2]]):\n"
            "    try:\n        cli.main(args)\n    except SystemExit:\n        pass\n"
            "print([m for m in ('starlette', 'uvicorn', 'multipart', 'python_multipart', 'toolkit.web.app') if m in sys.modules])\n")
    out = subprocess.run([sys.executable, "-c", code, str(SEED), str(tmp_path / "r.xlsx")], cwd=ROOT,
                         capture_output=True, text=True, timeout=TIMEOUT)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_cli_serve_usage_errors(tmp_path):
    from click.testing import CliRunner

    import cli

    r = CliRunner().invoke(cli.cli, ["serve", "--inbox", str(tmp_path)])
    assert r.exit_code == 2 and "--codes" in r.output
    bad = tmp_path / "codes.csv"
    bad.write_text("nope\n", encoding="utf-8")
    r = CliRunner().invoke(cli.cli, ["serve", "--inbox", str(tmp_path / "in"), "--codes", str(bad)])
    assert r.exit_code == 1 and "first line" in r.output


def test_cli_serve_starts_and_answers(tmp_path):
    with cli_server("--workers", "1") as (url, proc, lines):
        r = post_file(url + "/api/validate", SEED.read_bytes())
        assert r.json()["counts"] == seed_result().counts


@pytest.mark.parametrize("lang", ("kk", "ru"))
def test_page_texts_are_wholly_in_their_language(lang):
    from test_vocabulary import NOT_THESE, _latin_words

    from toolkit.web.texts import T

    for key, text in T.items():
        s = text.get(lang)
        assert not _latin_words(s.replace("F5", ""), lang), (key, s)
        assert not [p for p in NOT_THESE[lang] if re.search(p, s, re.IGNORECASE)], (key, s)


def test_round_trip_issue_serve_merge(tmp_path):
    """esep issue writes access-codes.csv; esep serve --inbox --codes --roster takes the seed report with its
    code; esep merge --roster takes the arrival time from the receipt."""
    import csv

    roster = ROOT / "workbook_templates" / "examples" / "roster.csv"
    issued = tmp_path / "issued"
    done = subprocess.run([sys.executable, "cli.py", "issue", str(roster), "--out-dir", str(issued)], cwd=ROOT,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    with open(issued / "access-codes.csv", encoding="utf-8-sig", newline="") as fh:
        code = next(r["access_code"] for r in csv.DictReader(fh) if r["agreement_no"] == "94")
    inbox = tmp_path / "inbox"
    with cli_server("--inbox", str(inbox), "--codes", str(issued / "access-codes.csv"), "--roster", str(roster),
                    "--workers", "1") as (url, proc, lines):
        assert not any("warning" in line for line in lines)          # every roster row has its code
        with httpx.Client(timeout=TIMEOUT) as c:
            assert _submit(c, url, code).status_code == 200
    assert not any(code in line for line in lines)
    done = subprocess.run([sys.executable, "cli.py", "merge", str(inbox), "-o", str(tmp_path / "r.xlsx"),
                           "--roster", str(roster), "--csv-dir", str(tmp_path / "csv")], cwd=ROOT,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode in (0, 1), done.stderr
    with open(tmp_path / "csv" / "expected.csv", encoding="utf-8-sig", newline="") as fh:
        rows = {r["agreement_no"]: r for r in csv.DictReader(fh)}
    assert rows["94"]["status"] == "received" and rows["94"]["source_file"].endswith(".xlsx")
    assert rows["112"]["status"] == "missing"
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "r.xlsx", read_only=True)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert "Уақыт көзі" in cells and "қабылдау түбіртегі" in cells  # the time came from the receipt


def test_codes_not_on_the_roster_are_reported_at_start(tmp_path):
    roster = ROOT / "workbook_templates" / "examples" / "roster.csv"
    codes = write_codes(tmp_path / "codes.csv", [("94", SEED_BIN, "X", "x.xlsx", CODE),
                                                ("999", "190840001231", "Y", "y.xlsx", "ABCDEFGHJK23")])
    with cli_server("--inbox", str(tmp_path / "in"), "--codes", str(codes), "--roster", str(roster),
                    "--workers", "1") as (url, proc, lines):
        text = "".join(lines)
    assert "agreement 999 is not on the roster" in text
    assert "agreement 112 has no access code" in text and "agreement № 57-Г has no access code" in text


def test_a_worker_dead_between_jobs_costs_nobody_a_check(monkeypatch):
    import os
    import signal

    from toolkit.web import jobs

    with InProcess(Config(workers=1)) as s:
        worker = s.server.pool._all[0]
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.join(TIMEOUT)
        r = post_file(s.url + "/api/validate", SEED.read_bytes())
        assert r.status_code == 200 and r.json()["counts"] == seed_result().counts
        monkeypatch.setattr(jobs, "JOBS_PER_WORKER", 1)             # recycled after every job
        before = s.server.pool._all[0].process.pid
        assert post_file(s.url + "/api/validate", SEED.read_bytes()).status_code == 200
        s.wait_health(lambda h: h["running"] == 0)
        assert s.server.pool._all[0].process.pid != before
