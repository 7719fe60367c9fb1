"""Issue #15: `esep serve` in a real browser (Debian's Chromium driven by Playwright): an NGO checks its
workbook, reads the findings in Kazakh and Russian, downloads the checked copy, gets a clear message for
a file that is not a workbook, and submits with a wrong and then the right access code. Also without
JavaScript, by drag and drop, on a phone-sized screen and from the keyboard.

The server is the real command line (`python cli.py serve --port 0 ...`) in intake mode."""
from __future__ import annotations

import base64
import io
import json
import os
import shutil

import pytest

pytest.importorskip("starlette")
sync_api = pytest.importorskip("playwright.sync_api")

from servehelp import SEED, SEED_BIN, cli_server, seed_result, write_codes   # noqa: E402
from toolkit.web.pages import astana_time  # noqa: E402
from toolkit.web.texts import banner                                          # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
CODE = "Q8ZT3NB6WK2P"
WAIT = 60_000            # ms: an upper bound for events on a loaded machine, never a pause

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not (os.path.exists(CHROMIUM) or shutil.which("chromium")),
                                 reason="Chromium not installed (tests/run.sh installs it as root)")]


def expected_banner(lang):
    return banner(seed_result().valid, lang)


def first_sheet_finding():
    """The seed's first finding on the header sheet (the page groups by sheet)."""
    result = seed_result()
    return next(f for f in result.findings if f.sheet == "Жалпы мәліметтер" and f.cell)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve-browser")
    codes = write_codes(folder / "access-codes.csv", [("94", SEED_BIN, "Жас Ұрпақ", "final_report_2024_kk.xlsx", CODE)])
    inbox = folder / "inbox"
    with cli_server("--inbox", str(inbox), "--codes", str(codes), "--workers", "2") as (url, proc, lines):
        yield url, inbox, lines


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
                              args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="kk-KZ", extra_http_headers={"Accept-Language": "kk-KZ,kk;q=0.9"},
                                  accept_downloads=True)
    context.set_default_timeout(WAIT)
    yield context.new_page()
    context.close()


def stored(inbox):
    return sorted(p.name for p in inbox.iterdir() if not p.name.startswith(".")) if inbox.exists() else []


def test_check_the_seed_report_and_read_every_finding(site, page):
    url, _, _ = site
    page.goto(url + "/")
    assert page.locator("html").get_attribute("lang") == "kk"
    page.get_by_label("Есеп файлы").set_input_files(str(SEED))         # the script checks it at once
    banner = page.locator("#result .banner")
    banner.wait_for()
    result = seed_result()
    assert banner.inner_text() == expected_banner("kk")
    counts = page.locator(".counts li").all_inner_texts()
    assert counts == [f"Қате: {result.counts['error']}", f"Ескертпе: {result.counts['warning']}",
                      f"Мәлімет үшін: {result.counts['info']}"]
    assert len(result.findings) > 20
    assert page.locator(".findings li").count() == len(result.findings)   # every finding, not the first few
    on_header = [f for f in result.findings if f.sheet == "Жалпы мәліметтер"]
    general = page.locator("section.sheet", has=page.locator("h3", has_text="Жалпы мәліметтер"))
    assert general.locator("h3").inner_text() == f"Жалпы мәліметтер ({len(on_header)})"
    f = first_sheet_finding()
    item = general.locator("li", has_text=f.code).first
    assert f"Ұяшық {f.cell}" in item.inner_text() and f.message("kk") in item.inner_text()
    assert "ештеңе сақтамайды" in page.locator(".privacy").inner_text()


def test_switch_language_keeps_the_result(site, page):
    url, _, _ = site
    page.goto(url + "/")
    page.get_by_label("Есеп файлы").set_input_files(str(SEED))
    page.locator("#result .banner").wait_for()
    with page.expect_navigation():
        page.get_by_role("link", name="Русский").click()
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("h1").inner_text() == "Проверка и сдача отчёта"
    assert page.locator("#result .banner").inner_text() == expected_banner("ru")
    f = first_sheet_finding()
    item = page.locator("li", has_text=f.code).first
    assert f"Ячейка {f.cell}" in item.inner_text() and f.message("ru") in item.inner_text()
    page.goto(url + "/")                                              # the choice is remembered
    assert page.locator("html").get_attribute("lang") == "ru"


def test_download_the_checked_copy(site, page, tmp_path):
    from openpyxl import load_workbook

    url, _, _ = site
    page.goto(url + "/")
    page.get_by_label("Есеп файлы").set_input_files(str(SEED))
    link = page.get_by_role("link", name="Тексерілген көшірмені жүктеп алу (.xlsx)")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "final_report_2024_kk.checked.xlsx"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    wb = load_workbook(target)
    assert wb.sheetnames[-1] == "Тексеру"
    values = [c.value for row in wb["Тексеру"].iter_rows() for c in row if c.value]
    assert first_sheet_finding().code in values and expected_banner("kk") in values


def test_a_non_workbook_gets_a_clear_message(site, page):
    url, _, _ = site
    page.goto(url + "/")
    page.get_by_label("Есеп файлы").set_input_files(
        {"name": "есеп.xlsx", "mimeType": "text/csv", "buffer": "БСН;шарт\n240540001232;94\n".encode()})
    banner = page.locator("#result .banner")
    banner.wait_for()
    assert banner.inner_text().startswith("ОҚЫЛМАДЫ:")
    message = page.locator(".findings .msg").inner_text()
    assert "Excel файлы емес" in message and ".xlsx" in message


def test_submit_with_a_wrong_then_the_right_code(site, page):
    url, inbox, lines = site
    page.goto(url + "/")
    page.get_by_label("Есеп файлы").set_input_files(str(SEED))
    page.locator("#result .banner").wait_for()
    page.get_by_label("Кіру коды").fill("AAAABBBBCCCC")
    page.get_by_role("button", name="Есепті тапсыру").click()
    alert = page.locator("#result [role=alert]")
    alert.wait_for()
    assert "сәйкес келмейді" in alert.inner_text() and "сақталмады" in alert.inner_text()
    assert stored(inbox) == []
    page.get_by_label("Кіру коды").fill(CODE.lower())
    page.get_by_role("button", name="Есепті тапсыру").click()
    heading = page.locator("#result h2", has_text="Есеп тапсырылды")
    heading.wait_for()
    names = stored(inbox)
    assert len(names) == 2 and names[1] == names[0] + ".receipt.json"
    receipt = json.loads((inbox / names[1]).read_text(encoding="utf-8"))
    text = page.locator("#result").inner_text()
    assert receipt["sha256"] in text and astana_time(receipt["received_at"]) in text
    assert expected_banner("kk") in text
    assert f"Ескертпе: {seed_result().counts['warning']}" in page.locator(".counts").inner_text()
    assert not any(CODE in line or "AAAABBBBCCCC" in line for line in lines)     # codes never logged


def test_works_without_javascript(site, browser):
    url, _, _ = site
    context = browser.new_context(java_script_enabled=False, extra_http_headers={"Accept-Language": "ru"})
    page = context.new_page()
    page.set_default_timeout(WAIT)
    page.goto(url + "/")
    page.get_by_label("Файл отчёта").set_input_files(str(SEED))
    with page.expect_navigation():
        page.get_by_role("button", name="Проверить").click()
    assert page.url.endswith("/check")
    assert page.locator("#result .banner").inner_text() == expected_banner("ru")
    assert page.locator(".findings li").count() == len(seed_result().findings)
    context.close()


def test_drop_a_file_on_the_page(site, page):
    url, _, _ = site
    page.goto(url + "/")
    data = base64.b64encode(SEED.read_bytes()).decode()
    transfer = page.evaluate_handle(
        """(data) => { const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
                       const dt = new DataTransfer();
                       dt.items.add(new File([bytes], "dropped.xlsx")); return dt; }""", data)
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})
    page.locator("#result .banner").wait_for()
    assert page.locator(".meta dd").first.inner_text() == "dropped.xlsx"


def test_phone_screen_and_keyboard(site, browser):
    url, _, _ = site
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  extra_http_headers={"Accept-Language": "kk"})
    page = context.new_page()
    page.set_default_timeout(WAIT)
    page.goto(url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "file"          # reachable without a mouse
    page.locator("#file").set_input_files(str(SEED))
    page.locator("#result .banner").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    assert page.evaluate("document.activeElement.id") == "result-heading"   # focus moves to the result
    context.close()
