"""Outputs are checked before any input is read, and never land on an input.

`check_merge_outputs` and `plan_checked_copies` are called by the library's merge and validate (and so
by the command line) before the first workbook is opened. A problem is an `OutputProblem`: data (a
code, the path, parameters) with a message in kk/ru/en that says what to do; the command line shows it
as a usage error (exit 2). Nothing has been written or read at that point.

`clean_stale` removes what a killed run (SIGKILL, power cut) left behind: temporary `.part` files beside
an output and spool folders in the temporary directory. It removes only esep's own (their names carry
`esep-<pid>`), only of a process that is no longer running, and only older than the current run.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import PART_NAME, PART_SUFFIX, part_prefix
from .paths import display_path

CHECKED_SUFFIX = ".checked.xlsx"
# Spool folders of a merge in the temporary directory: esep-<what>-<pid>-<random>.
SPOOL_NAME = re.compile(r"^esep-[a-z]+-(\d+)-[A-Za-z0-9_]+$")
REGISTER_TITLE = "esep register"     # docProps/core.xml title of every register esep writes

_T = {   # code -> (kk, ru, en)
    "empty": ("Шығыс файлдың жолы бос. Файл атын көрсетіңіз, мысалы: -o register.xlsx.",
              "Путь к выходному файлу пуст. Укажите имя файла, например: -o register.xlsx.",
              "The output path is empty. Give a file name, e.g. -o register.xlsx."),
    "is-input": ("{path} — кіріс файлдардың бірі, ал esep оқитын файлының үстіне ешқашан жазбайды. "
                 "Нәтижеге басқа ат беріңіз.",
                 "{path} — один из входных файлов, а esep никогда не записывает поверх файла, который "
                 "читает. Дайте результату другое имя.",
                 "{path} is one of the input files, and esep never writes over a file it reads. Give the "
                 "output another name."),
    "would-be-input": ("{path} біріктірілетін қалтада тұр және есеп ретінде оқылар еді (ол бар және esep "
                       "тізілімі емес). Тізілімді бұл қалтадан тыс жерге жазыңыз немесе басқа ат беріңіз.",
                       "{path} лежит в объединяемой папке и был бы прочитан как отчёт (файл существует и не "
                       "является реестром esep). Запишите реестр вне этой папки или дайте ему другое имя.",
                       "{path} is in a folder being merged and would be read as a report (it exists and is not "
                       "an esep register). Write the register outside that folder, or give it another name."),
    "not-regular": ("{path} кәдімгі файл емес ({kind}), esep оны файлмен ауыстырып жіберер еді. Кәдімгі "
                    "файлдың жолын көрсетіңіз.",
                    "{path} — не обычный файл ({kind}), esep заменил бы его файлом. Укажите путь к обычному "
                    "файлу.",
                    "{path} is not a regular file ({kind}); esep would replace it with a file. Give the path of "
                    "an ordinary file."),
    "is-folder": ("{path} — қалта. Оның ішіндегі файлдың атын көрсетіңіз, мысалы: {example}.",
                  "{path} — это папка. Укажите имя файла в ней, например: {example}.",
                  "{path} is a folder. Give a file name inside it, e.g. {example}."),
    "not-folder": ("{path} қалта бола алмайды: {blocker} — файл. Басқа қалтаны көрсетіңіз.",
                   "{path} не может быть папкой: {blocker} — это файл. Укажите другую папку.",
                   "{path} cannot be a folder: {blocker} is a file. Give another folder."),
    "no-folder": ("{folder} қалтасы жоқ. Алдымен оны жасаңыз немесе бар қалтаны көрсетіңіз.",
                  "Папки {folder} нет. Сначала создайте её или укажите существующую папку.",
                  "The folder {folder} does not exist. Create it first (mkdir -p {folder}) or give an existing "
                  "folder."),
    "not-writable": ("{folder} қалтасына жазу мүмкін емес: {reason}. Жазуға болатын қалтаны көрсетіңіз "
                     "немесе рұқсаттар мен бос орынды тексеріңіз.",
                     "В папку {folder} нельзя записать: {reason}. Укажите папку, в которую можно писать, или "
                     "проверьте права доступа и свободное место.",
                     "Cannot write in the folder {folder}: {reason}. Give a folder you can write to, or check its "
                     "permissions and free space."),
    "name-too-long": ("«{name}» деген ат бұл қалта үшін тым ұзын. Қысқарақ ат беріңіз.",
                      "Имя «{name}» слишком длинное для этой папки. Дайте имя короче.",
                      "The name «{name}» is too long for this folder. Give a shorter name."),
    "clash": ("{path} екі нәтиже үшін берілген. Әрқайсысына бөлек ат беріңіз.",
              "{path} указан для двух результатов. Дайте каждому своё имя.",
              "{path} is given for two outputs. Give each its own name."),
}
_KINDS = {   # not a regular file: what it is, (kk, ru, en)
    "fifo": ("FIFO арнасы", "именованный канал FIFO", "a FIFO named pipe"),
    "device": ("құрылғы", "устройство", "a device"),
    "socket": ("сокет", "сокет", "a socket"),
    "other": ("арнайы файл", "специальный файл", "a special file"),
}
_REASONS = {   # errno -> (kk, ru, en); others: the system's text
    errno.EACCES: ("рұқсат жоқ", "нет прав на запись", "permission denied"),
    errno.EPERM: ("рұқсат жоқ", "нет прав на запись", "permission denied"),
    errno.EROFS: ("диск тек оқуға арналған", "диск только для чтения", "read-only file system"),
    errno.ENOSPC: ("дискте бос орын жоқ", "на диске нет места", "no space left on the disk"),
    errno.EDQUOT: ("дисктегі үлес (квота) таусылған", "исчерпана квота на диске", "disk quota exceeded"),
}
LANGS = ("kk", "ru", "en")


@dataclass
class OutputProblem(Exception):
    """An output that cannot or must not be written; found before any input is read."""
    code: str
    path: str = ""
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        super().__init__(self.code, self.path)

    def message(self, lang: str = "en") -> str:
        i = LANGS.index(lang) if lang in LANGS else 2
        params = {"path": display_path(self.path) if self.path else "", **self.params}
        for key in ("kind", "reason"):
            if isinstance(params.get(key), tuple):
                params[key] = params[key][i]
        return _T[self.code][i].format(**params)

    def __str__(self) -> str:
        return self.message("en")


def reason_words(exc: OSError) -> tuple[str, str, str]:
    """Why a write failed, in kk/ru/en."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    text = exc.strerror or str(exc)
    return (text, text, text)


def _kind(mode: int) -> tuple[str, str, str]:
    if stat.S_ISFIFO(mode):
        return _KINDS["fifo"]
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _KINDS["device"]
    if stat.S_ISSOCK(mode):
        return _KINDS["socket"]
    return _KINDS["other"]


def _stat(path):
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None


def _same(a, b) -> bool:
    sa, sb = _stat(a), _stat(b)
    if sa is not None and sb is not None:
        return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)
    return os.path.abspath(a) == os.path.abspath(b)


def _nearest_existing(path: Path) -> Path:
    p = Path(os.path.abspath(path))
    while not os.path.lexists(p) and p != p.parent:
        p = p.parent
    return p


def check_folder(folder, *, create: bool) -> None:
    """`folder` can take new files: it is (or, with create, can become) a folder we may write in."""
    folder = Path(folder)
    st = _stat(folder)
    if st is None:
        existing = _nearest_existing(folder)
        est = _stat(existing)
        if est is not None and not stat.S_ISDIR(est.st_mode):
            raise OutputProblem("not-folder", str(folder), {"blocker": display_path(existing)})
        if not create:
            raise OutputProblem("no-folder", str(folder), {"folder": display_path(folder)})
        _probe(existing)
        return
    if not stat.S_ISDIR(st.st_mode):
        raise OutputProblem("not-folder", str(folder), {"blocker": display_path(folder)})
    _probe(folder)


def _probe(folder: Path) -> None:
    """Create and remove a temporary file: the one test that holds for root, read-only mounts and ACLs."""
    try:
        fd, name = tempfile.mkstemp(prefix=part_prefix("probe"), suffix=PART_SUFFIX, dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise OutputProblem("not-writable", str(folder), {"folder": display_path(folder),
                                                          "reason": reason_words(exc)}) from exc


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(_nearest_existing(folder), "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def check_output_file(path, inputs_files=(), *, create_folder: bool = False) -> None:
    """One output file: not empty, not an input, not a special file or folder, its folder writable,
    its name not too long."""
    if path is None or str(path) == "":
        raise OutputProblem("empty")
    path = Path(path)
    for item in inputs_files:
        if _same(path, item):
            raise OutputProblem("is-input", str(path))
    st = _stat(path)
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise OutputProblem("is-folder", str(path),
                                {"example": display_path(path / "register.xlsx")})
        if not stat.S_ISREG(st.st_mode):
            raise OutputProblem("not-regular", str(path), {"kind": _kind(st.st_mode)})
    if len(os.fsencode(path.name)) > _name_max(path.parent):
        raise OutputProblem("name-too-long", str(path), {"name": display_path(path.name)})
    check_folder(path.parent, create=create_folder)


def _inside(path: Path, folder: Path) -> bool:
    """`path` is somewhere below `folder` (real paths: links resolved)."""
    try:
        real = Path(os.path.realpath(path))
        return Path(os.path.realpath(folder)) in real.parents
    except (OSError, ValueError):
        return False


def is_esep_register(path) -> bool:
    """An xlsx that esep wrote as a register (its document title says so); read without trusting it."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return False
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("docProps/core.xml")
            if info.file_size > 64 * 1024:
                return False
            return f"<dc:title>{REGISTER_TITLE}</dc:title>".encode() in zf.read(info)
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, RuntimeError, EOFError):
        return False


def check_merge_outputs(inputs, output, csv_dir=None, *, picked_up=None, also_read=()) -> None:
    """Before merge reads anything: the register and the CSV files can be written, and none of them is,
    or would be picked up as, an input. `picked_up(path) -> bool` says whether a file in an input folder
    would be read as a workbook (register.find_inputs' rule); `also_read` are other files the run reads
    (the roster)."""
    inputs = [Path(p) for p in inputs]
    files = [p for p in inputs if not p.is_dir()] + [Path(p) for p in also_read]
    folders = [p for p in inputs if p.is_dir()]
    check_output_file(output, files)
    output = Path(output)
    if _stat(output) is not None and any(_inside(output, f) for f in folders) \
            and (picked_up is None or picked_up(output)) and not is_esep_register(output):
        raise OutputProblem("would-be-input", str(output))
    if csv_dir is not None:
        if str(csv_dir) == "":
            raise OutputProblem("empty")
        csv_dir = Path(csv_dir)
        check_folder(csv_dir, create=True)
        from .register import SHEETS
        for *_, csv_name in SHEETS:
            target = csv_dir / csv_name
            if _same(target, output):
                raise OutputProblem("clash", str(target))
            check_output_file(target, files, create_folder=True)


def plan_checked_copies(paths, out_dir=None) -> list[Path]:
    """Where validate writes each input's checked copy: `<name>.checked.xlsx` beside it or in out_dir,
    never one of the inputs and never the same file twice (the later one becomes `<name> (2).checked.xlsx`
    and so on). Raises OutputProblem when out_dir cannot be a folder we can write in."""
    if out_dir is not None:
        if str(out_dir) == "":
            raise OutputProblem("empty")
        check_folder(out_dir, create=True)
    taken: set = set()
    for p in paths:
        taken.add(_key(p))
    planned: list[Path] = []
    for p in paths:
        p = Path(p)
        folder = Path(out_dir) if out_dir is not None else p.parent
        stem = p.name[: -len(p.suffix)] if p.suffix else p.name
        n = 1
        while True:
            name = f"{stem}{CHECKED_SUFFIX}" if n == 1 else f"{stem} ({n}){CHECKED_SUFFIX}"
            target = folder / name
            if _key(target) not in taken:
                break
            n += 1
        taken.add(_key(target))
        planned.append(target)
    return planned


def _key(path) -> tuple:
    st = _stat(path)
    if st is not None:
        return ("inode", st.st_dev, st.st_ino)
    return ("path", os.path.normcase(os.path.abspath(path)))


# After a SIGKILL ------------------------------------------------------------------------------------

def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True       # someone else's live process (or an odd number): leave its files alone
    return True


def clean_stale(folders=(), *, started: float | None = None, temp: bool = True) -> list[str]:
    """Remove esep's temporary files (`.<name>.esep-<pid>.<random>.part`) in `folders`, and esep's spool
    folders (`esep-<what>-<pid>-<random>`) in the temporary directory, left by a process that is no
    longer running and last changed before `started` (default: now). Returns what was removed."""
    started = time.time() if started is None else started
    removed: list[str] = []
    seen: set = set()
    for folder in folders:
        key = _key(folder)
        if key in seen:
            continue
        seen.add(key)
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            m = PART_NAME.match(e.name)
            if not m or _running(int(m.group(1))):
                continue
            try:
                st = e.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode) and st.st_mtime < started:
                    os.unlink(e.path)
                    removed.append(e.path)
            except OSError:
                pass
    if temp:
        tmp = tempfile.gettempdir()
        try:
            entries = list(os.scandir(tmp))
        except OSError:
            entries = []
        for e in entries:
            m = SPOOL_NAME.match(e.name)
            if not m or _running(int(m.group(1))):
                continue
            try:
                st = e.stat(follow_symlinks=False)
                if stat.S_ISDIR(st.st_mode) and st.st_mtime < started:
                    shutil.rmtree(e.path, ignore_errors=True)
                    removed.append(e.path)
            except OSError:
                pass
    return removed


def spool_prefix(what: str) -> str:
    """Prefix of a spool folder in the temporary directory (see SPOOL_NAME)."""
    return f"esep-{what}-{os.getpid()}-"
