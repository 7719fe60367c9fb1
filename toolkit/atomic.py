"""Atomic file output: write to a temporary file beside the target, then rename into place.

A reader of the target sees either the old complete file or the new complete one, never half of it;
an interrupted run leaves the old file untouched. The temporary file is removed on any error and on
SIGINT/SIGTERM (they arrive as exceptions); only a SIGKILL can leave one behind, and its name says
whose it is: `.<name>.esep-<pid>.<random>.part`, so the next run removes it (outputs.clean_stale)
without touching anyone else's files.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import stat
import tempfile
import threading
from pathlib import Path
from typing import Iterator

PART_SUFFIX = ".part"
# .<up to 80 characters of the name>.esep-<pid>.<mkstemp's random part>.part
PART_NAME = re.compile(r"^\..*\.esep-(\d+)\.[A-Za-z0-9_]+\.part$", re.DOTALL)
_SIGNALS = {getattr(signal, n) for n in ("SIGINT", "SIGTERM") if hasattr(signal, n)}


def part_prefix(name: str) -> str:
    """The temporary file's name up to mkstemp's random part: short enough for any file system."""
    short = name[:80]
    while len(os.fsencode(short)) > 120:
        short = short[:-1]
    return f".{short}.esep-{os.getpid()}."


@contextlib.contextmanager
def _signals_held():
    """SIGINT/SIGTERM wait while a temporary file is created and its name recorded (so the handler's
    exception always finds the name to remove)."""
    held = hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
    if held:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        if held:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success move it onto `target`.

    Refuses (IsADirectoryError / OSError EEXIST) a target that exists and is not a regular file: a
    FIFO, device or socket is never replaced by a file."""
    target = Path(target)
    _refuse_special(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = None
    try:
        with _signals_held():
            fd, tmp = tempfile.mkstemp(prefix=part_prefix(target.name), suffix=PART_SUFFIX, dir=target.parent)
            tmp_path = Path(tmp)
        os.close(fd)
        # mkstemp creates the file 0600; give the output the permissions a normal new file gets.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        yield tmp_path
        _refuse_special(target)
        os.replace(tmp_path, target)
    except BaseException:
        if tmp_path is not None:
            with contextlib.suppress(OSError):
                tmp_path.unlink()
        raise


def _refuse_special(target: Path) -> None:
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder", str(target))
    if not stat.S_ISREG(mode):
        raise OSError(errno.EEXIST, "exists and is not a regular file", str(target))
