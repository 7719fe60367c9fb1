"""esep command line: parse arguments, call toolkit, print, set the exit code. Nothing else.

Exit codes (as csvkit): 0 everything fine, 1 problems found, 2 usage error.
Heavy libraries are imported inside the commands that need them, so `esep --help` stays instant.
"""
from __future__ import annotations

import json
import sys

import click

from toolkit import __version__

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(version=__version__, prog_name="esep", message="%(prog)s %(version)s")
def cli():
    """esep: final reports on state grants to NGOs (Kazakhstan) — template, validation, register.

    \b
    Examples:
        esep template --lang kk -o final_report_kk.xlsx
        esep validate report.xlsx
        esep merge incoming/ -o register.xlsx
    """


@cli.command()
@click.option("--lang", type=click.Choice(["kk", "ru"]), default="kk", show_default=True,
              help="Language of the labels.")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the template (.xlsx).")
@click.option("--password", default=None,
              help="Password for sheet and workbook protection (default: the template's built-in one).")
@click.option("--check-url", default=None, metavar="URL",
              help="Address of your self-check page (esep serve): the instruction sheet tells NGOs to "
                   "check their report there. Without it, it tells them to send the file to you.")
def template(lang, output, password, check_url):
    """Write the locked report template that NGOs fill in.

    \b
    Examples:
        esep template --lang kk -o final_report_kk.xlsx
        esep template --lang ru -o final_report_ru.xlsx --password s3cret
        esep template --lang kk -o final_report_kk.xlsx --check-url https://esep.example.kz/
    """
    from toolkit.outputs import OutputProblem, check_output_file
    from toolkit.template import write_template

    try:
        check_output_file(output, create_folder=True)
    except OutputProblem as problem:
        raise click.UsageError(_problem_text(problem, lang)) from None
    write_template(output, lang=lang, password=password, check_url=check_url)
    click.echo(output)


SEVERITY_COLOURS = {"error": "red", "warning": "yellow", "info": "blue"}
SHOWN_PER_CODE = 5


def _problem_text(problem, lang) -> str:
    """An output problem in the user's language, and in English for the command line's other users."""
    langs = [lang, "en"] if lang in ("kk", "ru") else (["en"] if lang == "en" else ["kk", "ru", "en"])
    return "\n".join(problem.message(x) for x in langs)


def _print_result(result, lang_option, copy_written: bool = True):
    from toolkit import vocabulary as v
    from toolkit.findings import CATALOGUE
    from toolkit.paths import display_path

    lang = result.message_lang(lang_option)
    status = v.STATUS["valid" if result.valid else ("invalid" if result.readable else "unreadable")].get(lang)
    line = f"{display_path(result.path)}: {status.upper()} — {v.counts_line(result.counts, lang)}"
    if result.output:
        line += f"  → {display_path(result.output)}"
    click.secho(line, fg="green" if result.valid else "red", bold=True)
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for f in result.findings:
        shown[f.code] = shown.get(f.code, 0) + 1
        if shown[f.code] > SHOWN_PER_CODE:
            hidden[f.code] = hidden.get(f.code, 0) + 1
            continue
        where = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or "")
        word = v.SEVERITY[f.severity].get(lang)
        click.echo("  " + click.style(f"{word:<12}", fg=SEVERITY_COLOURS[f.severity])
                   + f" {where:<24} {f.message(lang)}  [{f.code}]")
    for code, n in hidden.items():
        what = v.count(n, v.SEVERITY_NOUN[CATALOGUE[code].severity].get(lang), lang)
        key = "more_in_copy" if result.output or (copy_written and result.readable) else "more_no_copy"
        click.echo("  " + v.WORDS[key].get(lang).format(what=what, sheet=v.SHEETS["validation"].get(lang))
                   + f"  [{code}]")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--lang", type=click.Choice(["kk", "ru", "en"]), default=None,
              help="Language of the messages and of the checked copy's validation sheet "
                   "(default: the workbook's language).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout, nothing else.")
@click.option("--out-dir", type=click.Path(file_okay=False), default=None,
              help="Write checked copies here instead of next to the inputs.")
@click.option("--no-copy", is_flag=True, help="Do not write the checked copy (<name>.checked.xlsx).")
def validate(files, lang, as_json, out_dir, no_copy):
    """Check filled report workbooks: recompute every total and apply every rule.

    Writes <name>.checked.xlsx next to each input (or into --out-dir) with a validation sheet whose
    links jump to the cells concerned. The input files are never modified.

    Exit code: 0 when no file has an error, 1 when any has (an unreadable file counts), 2 for usage errors.

    \b
    Examples:
        esep validate report.xlsx
        esep validate incoming/*.xlsx --lang ru --out-dir checked/
        esep validate report.xlsx --json --no-copy > result.json
    """
    from toolkit.outputs import OutputProblem
    from toolkit.validation import prepare_copies, summary, validate as validate_file

    try:   # before any input is read
        targets = [None] * len(files) if no_copy else prepare_copies(files, out_dir)
    except OutputProblem as problem:
        raise click.UsageError(_problem_text(problem, lang)) from None
    results = []
    for path, target in zip(files, targets):
        result = validate_file(path, write_copy=not no_copy, lang=lang, target=target)
        results.append(result)
        if not as_json:
            _print_result(result, lang, copy_written=not no_copy)
    if as_json:
        click.echo(json.dumps(summary(results, lang), ensure_ascii=False, indent=2))
    sys.exit(0 if all(r.valid for r in results) else 1)


OUT_WORDS = {   # what the document and upgrade commands print per file, by the workbook's language
    "document": {"kk": "құжат жазылды", "ru": "документ записан", "en": "document written"},
    "refused": {"kk": "қателер бар, құжат жасалмады; оларды түзетіп, қайта іске қосыңыз",
                "ru": "есть ошибки, документ не создан; исправьте их и запустите снова",
                "en": "has errors, no document made; fix them and run again"},
    "upgraded": {"kk": "жаңа үлгіге көшірілді", "ru": "перенесён в новый шаблон", "en": "copied into the new template"},
    "current": {"kk": "үлгі қазірдің өзінде {version} нұсқасы, ештеңе жазылмады",
                "ru": "шаблон уже версии {version}, ничего не записано",
                "en": "already template {version}, nothing written"},
    "dropped": {"kk": "көшірілмегендер ({n}):", "ru": "не перенесено ({n}):", "en": "not carried ({n}):"},
    "one_output": {"kk": "-o тек бір файлмен; бірнеше файл үшін --out-dir қолданыңыз",
                   "ru": "-o только с одним файлом; для нескольких используйте --out-dir",
                   "en": "-o takes one input file; use --out-dir for several"},
}


def _word(key: str, lang: str | None, **fmt) -> str:
    return OUT_WORDS[key][lang if lang in ("kk", "ru") else "en"].format(**fmt)


@cli.command("document")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="The document to write (one input file only). Default: <name>.docx|.pdf beside it.")
@click.option("--out-dir", type=click.Path(file_okay=False), default=None,
              help="Write the documents here instead of next to the workbooks.")
@click.option("--format", "fmt", type=click.Choice(["docx", "pdf"]), default="docx", show_default=True,
              help="DOCX (editable, python-docx) or PDF (the DOCX converted by LibreOffice).")
@click.option("--lang", type=click.Choice(["kk", "ru", "en"]), default=None,
              help="Language of the messages printed (default: the workbook's). The document itself is "
                   "always in the workbook's language.")
def document_cmd(files, output, out_dir, fmt, lang):
    """Write the report as the official document (Annex 7) to sign: header, indicator table, impact,
    statistics, partners, sub-grants, every narrative in full, the signature block.

    Every figure is esep's own recomputation, never a cached result. A workbook with errors, or one esep
    cannot read, gets its findings instead of a document. Needs python-docx (pip install
    'esep[document]'); PDF also needs LibreOffice.

    Exit code: 0 when every document was written, 1 otherwise, 2 for usage errors.

    \b
    Examples:
        esep document report.xlsx
        esep document report.xlsx --format pdf -o report.pdf
        esep document incoming/*.xlsx --out-dir documents/ --format pdf
    """
    from toolkit.document import DocumentError, make_document

    if output and len(files) > 1:
        raise click.UsageError(_word("one_output", lang))
    ok = True
    for path in files:
        try:
            res = make_document(path, output, fmt=fmt, out_dir=out_dir)
        except DocumentError as exc:
            for text in ([exc.text.get(lang)] if lang else [exc.text.kk, exc.text.ru, exc.text.en]):
                click.secho(text, fg="red", err=True)
            sys.exit(1)
        if res.written:
            click.echo(f"{path}: {_word('document', lang or res.result.lang)} → {res.output}")
        else:
            ok = False
            click.secho(f"{path}: {_word('refused', lang or res.result.lang)}", fg="red", bold=True)
            _print_result(res.result, lang, copy_written=False)
    sys.exit(0 if ok else 1)


@cli.command("upgrade")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="The new workbook (one input file only). Default: <name>.v<version>.xlsx beside it.")
@click.option("--out-dir", type=click.Path(file_okay=False), default=None,
              help="Write the new workbooks here instead of next to the old ones.")
@click.option("--password", default=None, help="Protection password of the new workbook (default: the "
                                                "template's built-in one).")
@click.option("--lang", type=click.Choice(["kk", "ru", "en"]), default=None,
              help="Language of the messages printed (default: the workbook's).")
def upgrade_cmd(files, output, out_dir, password, lang):
    """Copy every input of a workbook made from an older template into the current template.

    Values are carried exactly as typed (text stays text, dates stay dates); anything that cannot be
    carried (a value typed over a formula, a sheet of your own) is listed. The old workbook is never
    modified. Then check the new one: esep validate NEW.xlsx.

    Exit code: 0 when every workbook was carried over (or is current already), 1 otherwise, 2 for
    usage errors.

    \b
    Examples:
        esep upgrade report_2024.xlsx
        esep upgrade old/*.xlsx --out-dir upgraded/
        esep upgrade report_2024.xlsx -o report_2024_new.xlsx
    """
    from toolkit import form
    from toolkit.upgrade import upgrade

    if output and len(files) > 1:
        raise click.UsageError(_word("one_output", lang))
    ok = True
    for path in files:
        res = upgrade(path, output, out_dir=out_dir, password=password)
        words = lang or res.report.lang
        if res.current:
            click.echo(f"{path}: {_word('current', words, version=form.TEMPLATE_VERSION)}")
            continue
        if not res.written:
            ok = False
            for f in res.findings:
                click.secho(f"{path}: {f.message(words or 'kk')}  [{f.code}]", fg="red")
            continue
        click.echo(f"{path}: {_word('upgraded', words)} → {res.output}")
        if res.dropped:
            click.secho("  " + _word("dropped", words, n=len(res.dropped)), fg="yellow")
            for d in res.dropped:
                click.echo(f"    {d.message(words or 'kk')}")
    sys.exit(0 if ok else 1)


class _Progress:
    """merge's progress(done, total, errors) shown with click's progress bar (files done, time left)
    and the files with problems so far, on stderr."""

    def __init__(self, lang: str = "en"):
        from toolkit.vocabulary import STATUS_COUNT, WORDS

        self.label = WORDS["progress"].get(lang)
        # Files not valid so far: the summary's "need corrections" (unreadable ones included).
        self.problems = STATUS_COUNT["invalid"].get(lang) + ": {n}"
        self.bar = None

    def __call__(self, done, total, errors):
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr,
                                         show_pos=True, show_eta=True,
                                         item_show_func=lambda n: None if n is None
                                         else self.problems.format(n=n))
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos, errors)
        if done >= total:
            self.close()

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The register workbook to write (.xlsx); replaced only when complete.")
@click.option("--csv-dir", type=click.Path(file_okay=False), default=None,
              help="Also write reports.csv, indicators.csv, partners.csv, subgrants.csv, findings.csv here.")
@click.option("--lang", type=click.Choice(["kk", "ru", "en"]), default="kk", show_default=True,
              help="Language of the register's headers and messages, and of the summary printed.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the machine's cores).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout, nothing else.")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The round's roster (.xlsx/.csv): adds who is missing or late and headers that differ "
                   "from it (Expected sheet, expected.csv).")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False), default=None,
              help="Folder of the merge cache (default: .esep-cache beside the register).")
@click.option("--no-cache", is_flag=True, help="Read every file, neither using nor writing the cache.")
def merge(inputs, output, csv_dir, lang, jobs, as_json, roster, cache_dir, no_cache):
    """Merge report workbooks (files and folders) into one consolidated register.

    Folders are searched recursively for .xlsx/.xlsm (and .xls/.xlsb/.ods, listed as unreadable with
    what to do); Office lock files (~$...), checked copies
    (*.checked.xlsx) and the register itself are skipped. Every file is read with the same rules as
    `esep validate`; a file that cannot be read is listed in the Findings sheet and the run goes on.
    Resubmissions (same BIN, agreement number and report type) keep the newest report as current; a
    byte-identical copy is counted once. With --roster, every roster row is received or missing, on
    time or late, and header fields that differ from the roster are findings at their cells.
    What reading each file gave is cached by its SHA-256 (and esep's version), so a re-merge reads
    only the files that are new or changed; --no-cache reads everything.

    Exit code: 0 when every file is valid, 1 otherwise, 2 for usage errors.

    \b
    Examples:
        esep merge incoming/ -o register.xlsx
        esep merge round1/ round2/ -o register.xlsx --csv-dir csv/ --lang ru --jobs 4
        esep merge inbox/ -o register.xlsx --roster roster.xlsx --csv-dir csv/
    """
    from toolkit.outputs import OutputProblem
    from toolkit.paths import display_path
    from toolkit.register import merge as merge_files

    loaded = _load_roster(roster, lang) if roster else None
    # Only on a terminal: off one, click's bar would still print its label once.
    progress = _Progress(lang) if sys.stderr.isatty() and not as_json else None
    try:
        result = merge_files(inputs, output, csv_dir=csv_dir, lang=lang, jobs=jobs, progress=progress,
                             roster=loaded, cache=False if no_cache else (cache_dir or True))
    except OutputProblem as problem:   # found before any input was read; nothing written
        raise click.UsageError(_problem_text(problem, lang)) from None
    except OSError as exc:              # the disk filled up or went read-only during the run
        from toolkit.outputs import reason_words

        words = reason_words(exc)
        i = ("kk", "ru", "en").index(lang) if lang in ("kk", "ru", "en") else 2
        for k in dict.fromkeys((i, 2)):
            click.echo(REGISTER_NOT_WRITTEN[k].format(reason=words[k], path=display_path(output)), err=True)
        sys.exit(1)
    finally:
        if progress:
            progress.close()
    if not result.written:
        click.echo(_problem_text(_NothingFound(inputs), lang), err=True)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    elif result.written:
        from toolkit.vocabulary import merge_line, roster_line

        click.echo(merge_line(result.files, {k: getattr(result, k) for k in ("valid", "invalid", "unreadable",
                                                                              "superseded")},
                              display_path(result.output), lang))
        if result.expected is not None:
            click.echo(roster_line(result.expected, result.received, result.missing, result.late, lang))
        for path in result.csv_files:
            click.echo(f"  {display_path(path)}")
    for warning in result.warnings:
        click.secho(warning, fg="yellow", err=True)
    sys.exit(0 if result.ok else 1)


ROSTER_REFUSED = {
    "kk": "Тізбе қабылданбады (қате: {n}); ештеңе жазылған жоқ. Тізбені түзетіп, команданы қайта іске қосыңыз:",
    "ru": "Перечень не принят (ошибок: {n}); ничего не записано. Исправьте перечень и запустите команду снова:",
    "en": "The roster was refused ({n} problems); nothing was written. Fix the roster and run again:",
}


def _load_roster(path, lang):
    """The roster, or exit 2 with every bad row and cell listed on stderr (nothing written)."""
    from toolkit.roster import RosterError, load

    try:
        return load(path)
    except RosterError as exc:
        msg_lang = lang if lang in ("kk", "ru") else "en"
        click.echo(f"{path}: " + ROSTER_REFUSED[msg_lang].format(n=len(exc.problems)), err=True)
        for p in exc.problems:
            where = p.where(msg_lang)
            value = "" if p.value in (None, "") or p.kind in ("duplicate", "file") else f" «{p.value}»"
            click.echo(f"  {where + ': ' if where else ''}{p.message(msg_lang)}{value}", err=True)
        sys.exit(2)


@cli.command("roster-template")
@click.option("--lang", type=click.Choice(["kk", "ru"]), default="kk", show_default=True,
              help="Language of the column labels, input messages and drop-downs.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the empty roster (.xlsx).")
def roster_template(lang, output):
    """Write an empty roster workbook: one row per grant agreement that must report.

    Row 1 holds the column names esep reads (agreement_no, agreement_date, org_bin, org_name, region,
    project_name, grant_amount, period_start, period_end, due_date; optional report_type, org_email,
    org_phone, program), row 2 their labels; region and report type are drop-downs. A .csv with the
    same headers (or the form's Kazakh/Russian labels), comma or semicolon, works too.

    \b
    Examples:
        esep roster-template -o roster.xlsx
        esep roster-template --lang ru -o roster_ru.xlsx
    """
    from toolkit.roster import write_template

    write_template(output, lang=lang)
    click.echo(output)


@cli.command("issue")
@click.argument("roster", type=click.Path(exists=True, dir_okay=False))
@click.option("--out-dir", required=True, type=click.Path(file_okay=False),
              help="Folder for the workbooks and access-codes.csv.")
@click.option("--lang", type=click.Choice(["kk", "ru"]), default="kk", show_default=True,
              help="Language of the workbooks.")
@click.option("--password", default=None, help="Protection password (default: the template's built-in one).")
@click.option("--check-url", default=None, metavar="URL",
              help="Address of your self-check page, written into every workbook's instruction sheet "
                   "(as in `esep template --check-url`).")
@click.option("--json", "as_json", is_flag=True, help="Print the list of files as JSON, nothing else.")
def issue_cmd(roster, out_dir, lang, password, check_url, as_json):
    """Issue one pre-filled report workbook per roster row.

    The roster's header fields (agreement, BIN, NGO, region, project, period, grant amount, report type)
    are filled in and locked; the NGO fills the rest. Files are named <BIN>_<agreement>.xlsx (an interim
    report: _interim) and are the same bytes for the same roster. access-codes.csv beside them holds one
    random access code per file for the intake page (esep serve --codes).

    \b
    Examples:
        esep issue roster.xlsx --out-dir issued/
        esep issue roster.csv --out-dir issued/ --lang ru --json
    """
    from toolkit.issue import CODES_FILE, issue

    from toolkit.outputs import OutputProblem, check_folder

    loaded = _load_roster(roster, lang)
    try:   # before anything is written
        check_folder(out_dir, create=True)
    except OutputProblem as problem:
        raise click.UsageError(_problem_text(problem, lang)) from None
    issued = issue(loaded, out_dir, lang=lang, password=password, check_url=check_url)
    codes = str(__import__("pathlib").Path(out_dir) / CODES_FILE)
    if as_json:
        click.echo(json.dumps({"files": [i.to_dict() for i in issued], "access_codes": codes},
                              ensure_ascii=False, indent=2))
    else:
        from toolkit import form
        from toolkit.vocabulary import WORDS

        for i in issued:
            kind = form.option_label("report_type", i.entry.report_type, lang)
            click.echo(f"{i.path}: {i.entry['org_bin']}, {i.entry['agreement_no']} ({kind})")
        click.echo(WORDS["issued"].get(lang).format(n=len(issued), codes=codes))
    sys.exit(0)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (127.0.0.1: this machine only; put a reverse proxy in front for HTTPS).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--inbox", type=click.Path(file_okay=False), default=None,
              help="Intake mode: store submissions accepted with a right access code in this folder.")
@click.option("--codes", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Intake mode: access-codes.csv written by `esep issue`.")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Intake mode: the round's roster; checked at start, codes not on it are reported.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes that check files (default: the machine's cores).")
@click.option("--queue", type=click.IntRange(min=0), default=16, show_default=True,
              help="Requests that may wait for a worker; more are answered 503 with Retry-After.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Hard time limit of one check, in seconds.")
@click.option("--memory", "memory_mb", type=click.IntRange(min=64), default=1024, show_default=True,
              help="Memory (address space) limit of each worker, in MiB.")
def serve(host, port, inbox, codes, roster, workers, queue, timeout, memory_mb):
    """Serve the self-check page (Kazakh and Russian), the JSON API and, with --inbox, intake.

    Self-check: NGOs open the page, drop their workbook and see every finding; they download the
    checked copy. Nothing is stored. Intake (--inbox DIR --codes access-codes.csv): a right access
    code stores the workbook in DIR with a receipt; `esep merge DIR` builds the register.

    \b
    Examples:
        esep serve
        esep serve --host 0.0.0.0 --port 8080
        esep serve --inbox inbox/ --roster roster.xlsx --codes issued/access-codes.csv
    """
    if (inbox is None) != (codes is None) or (roster is not None and inbox is None):
        raise click.UsageError("intake mode needs both --inbox and --codes (--roster only with them)")
    try:
        from toolkit.web.app import Config, run
    except ImportError as exc:
        raise click.ClickException(f"the web server is an optional part: pip install 'esep[serve]' ({exc})")
    from pathlib import Path

    from toolkit.web.intake import CodesError

    if roster:
        from toolkit.web.intake import against_roster, load_codes

        try:
            stray, uncoded = against_roster(load_codes(codes), _load_roster(roster, "en"))
        except CodesError as exc:
            raise click.ClickException(str(exc))
        for g in stray:
            click.echo(f"warning: {codes}: BIN {g.org_bin}, agreement {g.agreement_no} is not on the roster",
                       err=True)
        for e in uncoded:
            click.echo(f"warning: {roster}, row {e.line}: BIN {e['org_bin']}, agreement {e['agreement_no']} "
                       f"has no access code: it cannot be submitted through the page", err=True)
    config = Config(queue=queue, timeout=timeout, memory=memory_mb * 1024 * 1024,
                    inbox=Path(inbox) if inbox else None, codes=Path(codes) if codes else None,
                    roster=Path(roster) if roster else None)
    if workers:
        config.workers = workers
    try:
        run(config, host=host, port=port)
    except CodesError as exc:
        raise click.ClickException(str(exc))


REGISTER_NOT_WRITTEN = (
    "{path} тізілімі жазылмады: {reason}. Бұрынғы тізілім өзгеріссіз қалды, уақытша файлдар жойылды. Орын "
    "босатыңыз немесе басқа қалтаны көрсетіп, қайта іске қосыңыз.",
    "Реестр {path} не записан: {reason}. Прежний реестр не изменён, временные файлы удалены. Освободите "
    "место или укажите другую папку и запустите снова.",
    "The register {path} was not written: {reason}. An earlier register is unchanged and temporary files "
    "were removed. Free some space or give another folder, and run again.",
)


class _NothingFound:
    """The message of a merge that found no workbook (shaped like outputs.OutputProblem)."""
    TEXT = ("{inputs} ішінен бірде-бір жұмыс кітабы (.xlsx, .xlsm, .xls, .xlsb, .ods) табылмады; ештеңе "
            "жазылмады, бұрынғы тізілім өзгеріссіз қалды. Қалтаны және файлдардың кеңейтімін тексеріңіз.",
            "В {inputs} не найдено ни одной книги (.xlsx, .xlsm, .xls, .xlsb, .ods); ничего не записано, "
            "прежний реестр не изменён. Проверьте папку и расширения файлов.",
            "No workbook (.xlsx, .xlsm, .xls, .xlsb, .ods) found in {inputs}; nothing was written and an "
            "earlier register is unchanged. Check the folder and the files' extensions.")

    def __init__(self, inputs):
        from toolkit.paths import display_path

        self.inputs = ", ".join(display_path(p) for p in inputs)

    def message(self, lang):
        return self.TEXT[("kk", "ru", "en").index(lang)].format(inputs=self.inputs)


INTERRUPTED = (
    "esep: тоқтатылды; уақытша файлдар жойылды, бұрынғы нәтижелер өзгеріссіз қалды. Аяқтау үшін команданы "
    "қайта іске қосыңыз.",
    "esep: прервано; временные файлы удалены, прежние результаты не изменены. Чтобы закончить, запустите "
    "команду снова.",
    "esep: interrupted; temporary files removed, earlier outputs left as they were. Run the command again "
    "to finish.",
)


def _exit_on_signals():
    """SIGINT (Ctrl+C) and SIGTERM (kill, a service manager, a CI timeout) end the run by an exception,
    so temporary files, spool folders and worker processes are removed and an earlier register or copy is
    left as it was; the exit code is 128 + the signal (130, 143), as shells report it."""
    import signal

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    for name in ("SIGINT", "SIGTERM"):
        try:
            signal.signal(getattr(signal, name), stop)
        except (ValueError, OSError, AttributeError):   # not the main thread, or no such signal here
            pass


def main(argv=None):
    _exit_on_signals()
    try:
        cli.main(args=argv, prog_name="esep")
    except SystemExit as exc:
        if exc.code in (130, 143):
            sys.stderr.write("\n" + "\n".join(INTERRUPTED) + "\n")
        raise


if __name__ == "__main__":
    main()
