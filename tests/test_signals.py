"""Issue #11, signals: SIGINT and SIGTERM end a merge within two seconds even while its workers are
blocked on I/O (the merge cache is off: every file is read by a worker), leaving no worker, temporary file or spool folder behind, with exit 130 / 143; after a
SIGKILL the workers die with the merge and the next run removes what it left.

Every wait here is on an event (a flag file a blocked worker creates, a process ending), never a guessed
sleep. Workers are made to block in a real system call: a `sitecustomize` placed on PYTHONPATH (so it is
loaded by the main process, the forkserver and every worker) makes opening a file whose name contains
"block" first open a FIFO that nobody writes to.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import builders

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 2.0          # seconds from the signal to: the merge exited, and every process of it is gone

SITECUSTOMIZE = '''
import os
if os.environ.get("ESEP_TEST_BLOCK"):
    import toolkit.package as _package
    _real = _package.open_regular

    def _blocking(path):
        if "block" in os.path.basename(os.fspath(path)):
            where = os.environ["ESEP_TEST_BLOCK"]
            open(os.path.join(where, "%d.blocked" % os.getpid()), "w").close()
            open(os.path.join(where, "fifo"), "rb").read()    # no writer: blocks in open(2)
        return _real(path)

    _package.open_regular = _blocking
'''


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return builders.clean(tmp_path_factory.mktemp("src") / "good.xlsx")


@pytest.fixture
def setup(tmp_path, good):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.xlsx", "block1.xlsx", "block2.xlsx", "b.xlsx"):
        shutil.copyfile(good, folder / name)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE)
    flags = tmp_path / "flags"
    flags.mkdir()
    os.mkfifo(flags / "fifo")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=os.pathsep.join([str(hook), str(ROOT)]),
               ESEP_TEST_BLOCK=str(flags))
    return {"folder": folder, "flags": flags, "tmp": tmp, "out": out, "env": env}


def _start(s, *args):
    return subprocess.Popen([sys.executable, "cli.py", "merge", str(s["folder"]), "-o", str(s["out"] / "r.xlsx"),
                             "--jobs", "2", "--no-cache", *args], cwd=ROOT, env=s["env"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


def _wait_for(condition, proc, timeout=120.0) -> None:
    """Wait until condition() holds (a file state), failing if the process ends first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the merge ended ({proc.returncode}) before the workers blocked: "
                        f"{proc.stderr.read().decode(errors='replace')}")
        if time.monotonic() > deadline:
            pytest.fail("the workers never blocked")
        time.sleep(0.005)


def _blocked(s) -> int:
    return len(list(s["flags"].glob("*.blocked")))


def _group_gone(pgid: int, until: float) -> bool | str:
    """True once no live process of the group is left (polled until `until`); else what is left. A
    zombie has ended: it only waits to be reaped by init, which in some containers is slow to do so."""
    while True:
        left = _members(pgid)
        if not left:
            return True
        if time.monotonic() > until:
            return "; ".join(left)
        time.sleep(0.005)


def _members(pgid: int) -> list[str]:
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:100].decode(errors="replace")
                left.append(f"{pid} {fields[0]} {cmd}")
        except (OSError, IndexError, ValueError):
            pass
    return left


def _leftovers(s) -> list[str]:
    return sorted(os.listdir(s["tmp"])) + sorted(p for p in os.listdir(s["out"]))


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


@pytest.mark.parametrize("signum, to_group", [(signal.SIGTERM, False), (signal.SIGINT, False),
                                              (signal.SIGINT, True)],
                         ids=["SIGTERM", "SIGINT", "Ctrl+C-to-the-group"])
def test_signal_ends_a_merge_with_blocked_workers(setup, signum, to_group):
    proc = _start(setup)
    try:
        _wait_for(lambda: _blocked(setup) >= 2, proc)        # both workers are stuck in open(2)
        start = time.monotonic()
        if to_group:
            os.killpg(proc.pid, signum)                       # what a terminal's Ctrl+C does
        else:
            proc.send_signal(signum)                          # `kill PID`: the main process only
        code = proc.wait(timeout=30)
        exited = time.monotonic() - start
        gone = _group_gone(proc.pid, start + DEADLINE)
    finally:
        _kill_group(proc)
    assert code == 128 + signum, proc.stderr.read().decode(errors="replace")
    assert exited < DEADLINE, f"exit took {exited:.2f} s"
    assert gone is True, f"processes left running: {gone}"
    assert _leftovers(setup) == []                           # no spool folder, no .part, no register
    assert b"interrupted" in proc.stderr.read()


def test_after_sigkill_workers_die_and_the_next_run_cleans_up(setup):
    proc = _start(setup)
    try:
        _wait_for(lambda: _blocked(setup) >= 2, proc)
        start = time.monotonic()
        proc.send_signal(signal.SIGKILL)                      # the main process only: nothing can clean up
        proc.wait(timeout=30)
        gone = _group_gone(proc.pid, start + DEADLINE)
    finally:
        _kill_group(proc)
    assert gone is True, f"processes outlived the killed merge: {gone}"
    spools = [n for n in os.listdir(setup["tmp"]) if n.startswith(f"esep-rows-{proc.pid}-")]
    assert spools, "expected the killed run's spool folder"
    # A .part left by a run killed while writing (held on an event by tests/held_merge.py).
    flag = setup["flags"] / "writing"
    env = {k: v for k, v in setup["env"].items() if k != "ESEP_TEST_BLOCK"}
    held = subprocess.Popen([sys.executable, "tests/held_merge.py", "writing", str(flag), "merge",
                             str(setup["folder"]), "-o", str(setup["out"] / "r.xlsx"), "--jobs", "2", "--no-cache"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        _wait_for(flag.exists, held)
        held.send_signal(signal.SIGKILL)
        held.wait(timeout=30)
    finally:
        _kill_group(held)
    parts = [n for n in os.listdir(setup["out"]) if n.endswith(".part")]
    assert len(parts) == 1 and f".esep-{held.pid}." in parts[0]
    # The next run: completes, and removes both (only esep's own, of dead processes, older than it).
    done = subprocess.run([sys.executable, "cli.py", "merge", str(setup["folder"]), "-o",
                           str(setup["out"] / "r.xlsx"), "--jobs", "2", "--no-cache"], cwd=ROOT, env=env,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert os.listdir(setup["tmp"]) == []
    assert sorted(os.listdir(setup["out"])) == ["r.xlsx"]
