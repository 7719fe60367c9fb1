"""Run `python cli.py ...` in a child process the way the hostile-input tests need it (not a test module).

The child gets a 1 GB address-space limit (a runaway allocation fails instead of taking the machine)
and a timeout; its own peak RSS comes from wait4 (RUSAGE_CHILDREN would give the maximum over every
child the test session ever ran, not this one's).
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "cli.py"
ADDRESS_LIMIT = 1024 ** 3


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_kb: int           # ru_maxrss of the child, KiB on Linux

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)


def _limit_address_space():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, ADDRESS_LIMIT))


def run_cli(*args, timeout: float = 15) -> Run:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    with open(os.devnull, "rb") as devnull, tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, str(CLI), *map(str, args)], stdin=devnull, stdout=out,
                                stderr=err, cwd=ROOT, env=env, preexec_fn=_limit_address_space)
        killed = threading.Event()

        def kill():
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        run = Run(proc.returncode, out.read().decode("utf-8"), err.read().decode("utf-8", "replace"),
                  seconds, usage.ru_maxrss)
    if killed.is_set():
        raise AssertionError(f"killed after {timeout} s: cli.py {' '.join(map(str, args))}")
    return run
