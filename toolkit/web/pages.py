"""HTML of the `esep serve` pages, built as strings. Every value that comes from a workbook, an upload
or a request goes through esc() (html.escape with quotes): an organisation called `<script>` is text.
No inline script or style, so the Content-Security-Policy can forbid both."""
from __future__ import annotations

import base64
import datetime as _dt
from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote

from .. import __version__
from ..findings import SEVERITIES
from ..validation import _SHEET_ORDER
from .texts import LANG_NAMES, PAGE_LANGS, banner, count_label, severity_word, size_text, t

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def esc(value) -> str:
    return escape("" if value is None else str(value), quote=True)


@dataclass
class PageState:
    lang: str
    csrf: str
    intake: bool
    max_bytes: int
    timeout: float
    path: str = "/"
    result_html: str = ""
    status: int = 200
    extra: dict = field(default_factory=dict)


def page(state: PageState) -> str:
    lang = state.lang
    title = t("title_intake" if state.intake else "title", lang)
    nav = " ".join(
        f'<a href="{esc(state.path)}?lang={code}" hreflang="{code}" lang="{code}" data-lang="{code}"'
        + (' aria-current="true"' if code == lang else "") + f">{esc(LANG_NAMES[code])}</a>"
        for code in PAGE_LANGS)
    code_field = ""
    submit_button = ""
    if state.intake:
        code_field = (
            '<div class="field">'
            f'<label for="code">{esc(t("code_label", lang))}</label>'
            '<input id="code" name="code" type="text" autocomplete="off" autocapitalize="characters" '
            'spellcheck="false" maxlength="64" inputmode="text" aria-describedby="code-hint">'
            f'<p id="code-hint" class="hint">{esc(t("code_hint", lang))}</p></div>')
        submit_button = (f'<button type="submit" class="secondary" formaction="/submit" name="action" '
                         f'value="submit">{esc(t("submit", lang))}</button>')
    privacy = t("privacy_intake" if state.intake else "privacy", lang)
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} — esep</title>
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">{esc(t("skip", lang))}</a>
<header class="top">
<p class="brand"><a href="/?lang={lang}">esep</a> <span>{esc(t("app", lang))}</span></p>
<nav class="langs" aria-label="{esc(t("lang_switch", lang))}">{nav}</nav>
</header>
<main id="main">
<h1>{esc(title)}</h1>
<p>{esc(t("intro", lang))}</p>
<p class="privacy">{esc(privacy)}</p>
<form id="check-form" method="post" action="/check" enctype="multipart/form-data"
 data-uploading="{esc(t("uploading", lang))}" data-checking="{esc(t("checking", lang))}"
 data-network="{esc(t("network", lang))}" data-too-large="{esc(t("too_large", lang, limit=size_text(state.max_bytes, lang)))}"
 data-max-bytes="{state.max_bytes}">
<input type="hidden" name="csrf" value="{esc(state.csrf)}">
<input type="hidden" name="lang" value="{lang}">
<div class="drop" id="drop">
<label for="file">{esc(t("file_label", lang, limit=size_text(state.max_bytes, lang)))}</label>
<input id="file" name="file" type="file" required accept=".xlsx,.xlsm,{XLSX_TYPE}" aria-describedby="drop-hint">
<p id="drop-hint" class="hint">{esc(t("drop_hint", lang))}</p>
</div>
{code_field}
<div class="buttons"><button type="submit" name="action" value="check">{esc(t("check", lang))}</button>{submit_button}</div>
<p id="progress" class="progress" role="status" aria-live="polite"></p>
</form>
<section id="result" aria-labelledby="result-heading">{state.result_html}</section>
<section class="templates" aria-labelledby="templates-heading">
<h2 id="templates-heading">{esc(t("templates", lang))}</h2>
<ul>
<li><a href="/template/kk" download>{esc(t("template_kk", lang))}</a></li>
<li><a href="/template/ru" download>{esc(t("template_ru", lang))}</a></li>
</ul>
</section>
</main>
<footer><p>{esc(t("limits", lang, size=size_text(state.max_bytes, lang), seconds=f"{state.timeout:g}"))}</p>
<p>esep {esc(__version__)}</p></footer>
</body>
</html>
"""


ASTANA = _dt.timezone(_dt.timedelta(hours=5))     # Kazakhstan's one time zone since 1 March 2024


def astana_time(utc_text: str) -> str:
    """"2026-11-30T06:12:03Z" -> "30.11.2026 11:12:03", the time the NGO's own clock showed."""
    at = _dt.datetime.strptime(utc_text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)
    return at.astimezone(ASTANA).strftime("%d.%m.%Y %H:%M:%S")


def message_box(text: str, lang: str) -> str:
    """The result area holding one message (refusals, limits, errors)."""
    return (f'<h2 id="result-heading" tabindex="-1">{esc(t("result", lang))}</h2>'
            f'<div class="banner bad" role="alert">{esc(text)}</div>')


def checked_copy_name(uploaded: str) -> str:
    name = uploaded.replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = "".join(ch for ch in stem if ch.isprintable() and ch not in '"\\/:*?<>|') or "report"
    return f"{stem[:120]}.checked.xlsx"


def content_disposition(filename: str) -> str:
    """attachment; an ASCII fallback and the real (e.g. Kazakh) name per RFC 6266 / 5987."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in filename)
    return f'attachment; filename="{fallback}"; filename*=UTF-8\'\'{quote(filename, safe="")}'


def result_section(obj: dict, lang: str, copy: bytes | None, name: str, *, before: str = "",
                   receipt: dict | None = None) -> str:
    """The result area: status banner, counts, the checked copy, and every finding grouped by sheet.
    `obj` is the per-file object of `esep validate --json` with messages in `lang`."""
    counts = obj["counts"]
    readable = obj.get("template_version") is not None or not any(
        f["code"] == "file-unreadable" for f in obj["findings"])
    if obj["valid"]:
        status_class, status_text = "ok", banner(True, lang)
    elif readable:
        status_class, status_text = "bad", banner(False, lang)
    else:
        status_class, status_text = "bad", t("unreadable", lang)
    parts = [f'<h2 id="result-heading" tabindex="-1">'
             f'{esc(t("receipt", lang) if receipt else t("result", lang))}</h2>', before]
    if receipt:
        parts.append('<dl class="meta receipt">' + "".join(
            f"<dt>{esc(t(k, lang))}</dt><dd>{esc(v)}</dd>" for k, v in (
                ("received_at", astana_time(receipt["received_at"])),
                ("org", receipt.get("org_name") or "—"),
                ("bin", receipt["org_bin"]),
                ("agreement", receipt["agreement_no"]),
                ("file", receipt["original_name"]))) + "</dl>")
        parts.append(f'<p class="hint">{esc(t("receipt_note", lang))}</p>')
        parts.append(f'<p class="status-label">{esc(t("status", lang))}:</p>')
    parts.append(f'<div class="banner {status_class}" role="status">{esc(status_text)}</div>')
    if not receipt:
        parts.append(f'<dl class="meta"><dt>{esc(t("file", lang))}</dt><dd>{esc(obj["path"])}</dd>')
    else:
        parts.append('<dl class="meta">')
    parts.append(f'<dt>{esc(t("template_version", lang))}</dt><dd>{esc(obj["template_version"] or "—")}</dd>'
                 f'<dt>SHA-256</dt><dd class="hash">{esc(obj["sha256"])}</dd></dl>')
    parts.append('<ul class="counts">' + "".join(
        f'<li class="c-{s}">{esc(count_label(s, lang))}: <span class="n">{int(counts[s])}</span></li>'
        for s in SEVERITIES) + "</ul>")
    if copy:
        href = f"data:{XLSX_TYPE};base64," + base64.b64encode(copy).decode("ascii")
        parts.append(f'<p><a class="button" id="download" href="{href}" download="{esc(checked_copy_name(name))}">'
                     f'{esc(t("download", lang))}</a></p><p class="hint">{esc(t("download_hint", lang))}</p>')
    parts.append(findings_html(obj["findings"], lang))
    return "".join(parts)


def findings_html(findings: list[dict], lang: str) -> str:
    if not findings:
        return f'<p class="none">{esc(t("none", lang))}</p>'
    groups: dict[str | None, list[dict]] = {}
    for f in findings:
        groups.setdefault(f["sheet"], []).append(f)
    order = sorted(groups, key=lambda s: -1 if s is None else _SHEET_ORDER.get(s, 98))
    out = [f'<h2 class="findings-heading">{esc(t("findings", lang))}</h2>']
    for sheet in order:
        items = groups[sheet]
        title = sheet if sheet is not None else t("general", lang)
        out.append(f'<section class="sheet"><h3>{esc(title)} <span class="n">({len(items)})</span></h3><ol class="findings">')
        for f in items:
            cell = f'<span class="cell">{esc(t("cell", lang))} {esc(f["cell"])}</span>' if f["cell"] else ""
            out.append(f'<li class="f f-{esc(f["severity"])}"><span class="sev">{esc(severity_word(f["severity"], lang))}</span>'
                       f'{cell}<span class="msg">{esc(f["message"])}</span>'
                       f'<code title="{esc(t("code", lang))}">{esc(f["code"])}</code></li>')
        out.append("</ol></section>")
    return "".join(out)
