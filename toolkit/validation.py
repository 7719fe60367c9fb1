"""validate: read one workbook, recompute, run every rule, optionally write the checked copy.

The result is data (FileResult); its `to_dict()` is exactly the JSON the command line prints.
"""
from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import form, reader, rules
from .compute import compute
from .findings import SEVERITIES, Finding
from .package import parse_a1
from .outputs import clean_stale, plan_checked_copies
from .paths import display_path

_SHEET_ORDER = {}
for _i, _s in enumerate(form.SHEETS):
    for _lang in form.LANGS:
        _SHEET_ORDER.setdefault(_s.name(_lang), _i)


@dataclass
class FileResult:
    path: str
    sha256: str
    template_version: str | None
    lang: str | None
    findings: list[Finding]
    report: reader.Report | None = field(default=None, repr=False)
    output: str | None = None
    readable: bool = True
    calc: dict | None = field(default=None, repr=False)   # compute.compute(report), when readable

    @property
    def valid(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in SEVERITIES}
        for f in self.findings:
            out[f.severity] += 1
        return out

    def message_lang(self, lang: str | None = None) -> str:
        return lang or self.lang or "kk"

    def to_dict(self, lang: str | None = None) -> dict:
        lang = self.message_lang(lang)
        return {
            "path": display_path(self.path),
            "sha256": self.sha256,
            "valid": self.valid,
            "template_version": self.template_version,
            "lang": self.lang,
            "output": display_path(self.output) if self.output else None,
            "counts": self.counts,
            "findings": [f.to_dict(lang) for f in self.findings],
        }


def sort_key(f: Finding):
    row, col = (10**9, 10**9)
    if f.cell:
        try:
            row, col = parse_a1(f.cell)
        except ValueError:
            pass
    return (SEVERITIES.index(f.severity), _SHEET_ORDER.get(f.sheet, 99) if f.sheet else -1, row, col,
            f.code)


def check(path, keep_data: bool = False) -> FileResult:
    """Read and check one workbook (no output written); keep_data: see reader.read."""
    try:
        report = reader.read(path, keep_data=keep_data)
        findings = list(report.findings)
        calc = None
        if report.readable:
            calc = compute(report)
            findings.extend(rules.check(report, calc))
    except Exception as exc:  # noqa: BLE001 - a bug in esep is reported on its file; the run goes on
        report = reader.Report(path=str(path), sha256=reader.file_sha256(path))
        findings, calc = [internal_error(exc)], None
    findings.sort(key=sort_key)
    return FileResult(path=str(path), sha256=report.sha256, template_version=report.template_version,
                      lang=report.lang, findings=findings, report=report, readable=report.readable, calc=calc)


def internal_error(exc: BaseException) -> Finding:
    """The finding for a file esep itself failed on (the exception type and text, for the bug report)."""
    return Finding("file-unreadable", value=f"{type(exc).__name__}: {exc}"[:300],
                   params={"reason": "internal-error"})


def output_path(path, out_dir=None) -> Path:
    """`<name>.checked.xlsx` next to the input, or in out_dir. Never the input itself."""
    path = Path(path)
    target_dir = Path(out_dir) if out_dir else path.parent
    return target_dir / f"{path.stem}.checked.xlsx"


def validate(path, *, write_copy: bool = False, out_dir=None, lang: str | None = None,
             target=None) -> FileResult:
    """Validate one workbook. With write_copy, also write the checked copy with its validation sheet
    (only for a file that could be read as a report: a broken file has nothing to copy into), in `lang`
    (default: the workbook's language), to `target` (default: output_path(path, out_dir)). A copy that
    cannot be written is a finding on this file (copy-not-written), never an exception: the other files
    of a run go on."""
    result = check(path, keep_data=write_copy)
    try:
        if write_copy and result.readable:
            from .checked import sheet_title, write_checked_copy

            target = Path(target) if target is not None else output_path(path, out_dir)
            usual, title = sheet_title(result, lang)
            if title != usual:
                result.findings.append(Finding("validation-sheet-renamed", value=usual, expected=title))
                result.findings.sort(key=sort_key)
            try:
                if os.path.abspath(target) == os.path.abspath(path):
                    raise FileExistsError(errno.EEXIST, "the checked copy would replace the input", str(target))
                write_checked_copy(result, target, lang=lang)   # from the vetted bytes, not the path
                result.output = str(target)
            except Exception as exc:  # noqa: BLE001 - any failure to write this one copy is this file's finding
                result.findings.append(copy_not_written(target, exc))
    finally:
        if result.report is not None:
            result.report.data = None   # a run of many files keeps its results, not their bytes
    return result


def copy_not_written(target, exc: BaseException) -> Finding:
    from .outputs import reason_words

    if isinstance(exc, FileExistsError):
        words = ("кіріс файлдың үстіне жазылар еді", "копия записалась бы поверх входного файла",
                 "it would replace the input file")
    elif isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
        words = ("файл аты тым ұзын", "слишком длинное имя файла", "the file name is too long")
    elif isinstance(exc, OSError) and exc.errno in (errno.ENOTDIR, errno.EEXIST):
        words = ("жолда қалтаның орнында файл тұр",
                 "в пути на месте папки лежит файл",
                 "a file stands where a folder should be in the path")
        if exc.errno == errno.EEXIST:
            words = ("осы атпен кәдімгі файл емес нәрсе (арна, құрылғы) бар",
                     "с этим именем уже есть не обычный файл (канал, устройство)",
                     "something that is not a regular file (a pipe, a device) already has that name")
    elif isinstance(exc, OSError) and exc.errno == errno.EISDIR:
        words = ("осы атпен қалта бар", "с этим именем уже есть папка", "a folder already has that name")
    elif isinstance(exc, OSError):
        words = reason_words(exc)
    else:
        words = (f"{type(exc).__name__}: {exc}",) * 3
    return Finding("copy-not-written", value=display_path(target),
                   params={"reason": form.Text(*(w[:200] for w in words))})


def prepare_copies(paths, out_dir=None) -> list[Path]:
    """Before any input is read: where each checked copy goes (outputs.plan_checked_copies; raises
    outputs.OutputProblem for an unusable out_dir), and the temporary files a killed earlier run left
    there removed (outputs.clean_stale)."""
    import time

    started = time.time()
    targets = plan_checked_copies(paths, out_dir)
    clean_stale({t.parent for t in targets}, started=started, temp=False)
    return targets


def summary(results: list[FileResult], lang: str | None = None) -> dict:
    """The JSON document of `esep validate --json`."""
    return {"valid": all(r.valid for r in results), "files": [r.to_dict(lang) for r in results]}

