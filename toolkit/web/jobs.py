"""Validation jobs for `esep serve`, each in a worker process with a memory cap and a hard time limit.

Nothing here imports the web stack: the pool is plain multiprocessing, driven from the server's event
loop through a small thread pool (one thread per worker waits on that worker's pipe).

Why own workers instead of ProcessPoolExecutor: a job that runs past its time limit must be stopped
without stopping anyone else's, which means killing exactly that worker and starting a fresh one;
an executor can neither tell which process runs a job nor kill one.
"""
from __future__ import annotations

import asyncio
import dataclasses
import importlib
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

DEFAULT_JOB = "toolkit.web.jobs:check_upload"
JOBS_PER_WORKER = 500        # then a fresh process: whatever a long run of files leaves behind goes with it
LANGS = ("kk", "ru", "en")


def check_upload(path: str, display_name: str, want_copy: bool, langs=LANGS) -> dict:
    """The job: validate the uploaded file at `path` (a private temporary file), as `esep validate`
    does, under the name the user gave it. Returns plain data: the per-file object of
    `esep validate --json` with messages in each of `langs` (None: the workbook's language, as the
    command line does), the header fields intake needs, and the checked copy's bytes when asked for
    (written beside `path` and removed at once)."""
    from ..validation import check

    result = check(path, keep_data=want_copy)      # the copy is made of the bytes that were checked
    result.path = display_name
    copy = None
    if want_copy and result.readable:
        from ..checked import write_checked_copy

        target = path + ".checked"
        try:
            write_checked_copy(result, target)
            with open(target, "rb") as fh:
                copy = fh.read()
        finally:
            if os.path.exists(target):
                os.unlink(target)
    if result.report is not None:
        result.report.data = None
    values = result.report.values if result.report is not None else {}
    return {
        "results": {lang: result.to_dict(lang) for lang in langs},
        "lang": result.lang,
        "readable": result.readable,
        "org_bin": _text(values.get("org_bin")),
        "agreement_no": _text(values.get("agreement_no")),
        "org_name": _text(values.get("org_name")),
        "copy": copy,
    }


def _text(value) -> str | None:
    return None if value is None else str(value)


def _resolve(dotted: str):
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


def _worker_main(conn, memory_limit: int, job: str) -> None:
    """A worker: limits first, then one job at a time from the pipe until the pipe closes."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)      # Ctrl+C is for the server; it stops us
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except (ValueError, OSError):
        pass
    if memory_limit:
        try:
            import resource

            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            limit = memory_limit if hard == resource.RLIM_INFINITY else min(memory_limit, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        except (ImportError, ValueError, OSError):
            pass
    fn = _resolve(job)
    while True:
        try:
            args = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            reply = ("ok", fn(*args))
        except MemoryError:
            reply = ("memory", None)
        except Exception as exc:  # noqa: BLE001 - reported to the server as this job's outcome
            reply = ("error", f"{type(exc).__name__}: {exc}"[:300])
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("memory", None))
        if reply[0] == "memory":
            return                                       # a fresh process is cleaner than a recovered one


class Busy(Exception):
    """Every worker is busy and the waiting line is full."""


@dataclasses.dataclass
class Outcome:
    status: str            # ok | timeout | memory | crashed | error (| dead: never started, retried)
    value: object = None
    seconds: float = 0.0


class _Worker:
    def __init__(self, ctx, memory_limit: int, job: str):
        parent, child = ctx.Pipe()
        self.conn = parent
        self.process = ctx.Process(target=_worker_main, args=(child, memory_limit, job), daemon=True,
                                   name="esep-serve-worker")
        self.process.start()
        child.close()
        self.jobs = 0

    def call(self, args, timeout: float) -> Outcome:
        import time

        start = time.monotonic()
        try:
            self.conn.send(args)
        except (OSError, ValueError):
            return Outcome("dead")                         # died while idle: the job never started
        self.jobs += 1
        try:
            if not self.conn.poll(timeout):
                return Outcome("timeout", seconds=time.monotonic() - start)
            status, value = self.conn.recv()
        except (EOFError, OSError):
            return Outcome("crashed", seconds=time.monotonic() - start)
        return Outcome(status, value, time.monotonic() - start)

    def stop(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


class WorkerPool:
    """`workers` processes; up to `workers + queue` requests admitted at once (`admit()`), the rest
    refused at once with Busy so that the server answers 503 instead of letting requests pile up."""

    def __init__(self, workers: int, queue: int, timeout: float, memory_limit: int, job: str = DEFAULT_JOB):
        self.size = workers
        self.capacity = workers + queue
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.job = job
        self.admitted = 0
        self.running = 0
        self.done = 0
        self._lock = threading.Lock()
        self._ctx = None
        self._idle: asyncio.Queue | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._all: list[_Worker] = []

    def start(self) -> None:
        import multiprocessing

        # forkserver: workers are forked from a small clean server process with the toolkit preloaded,
        # never from this threaded one; a replacement after a kill starts in milliseconds.
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        self._ctx = multiprocessing.get_context(method)
        if method == "forkserver":
            self._ctx.set_forkserver_preload(["toolkit.web.jobs", "toolkit.validation", "toolkit.checked",
                                              self.job.partition(":")[0]])
        self._idle = asyncio.Queue()
        self._threads = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="esep-serve-wait")
        for _ in range(self.size):
            self._idle.put_nowait(self._new_worker())

    def _new_worker(self) -> _Worker:
        worker = _Worker(self._ctx, self.memory_limit, self.job)
        with self._lock:
            self._all.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

    def stop(self) -> None:
        with self._lock:
            workers = list(self._all)
        for worker in workers:
            worker.stop()
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)

    def admit(self) -> "_Admission":
        """Take a place (worker or waiting line) for one request, or raise Busy."""
        with self._lock:
            if self.admitted >= self.capacity:
                raise Busy()
            self.admitted += 1
        return _Admission(self)

    def _release(self) -> None:
        with self._lock:
            self.admitted -= 1

    async def run(self, *args) -> Outcome:
        """Run the job on an idle worker (waiting for one). The waiting thread, not this coroutine,
        hands the worker back, so a client that goes away mid-job never frees a busy worker; a
        worker that overran, ran out of memory or died is replaced by a fresh one first."""
        loop = asyncio.get_running_loop()
        worker = await self._idle.get()
        return await loop.run_in_executor(self._threads, self._call, loop, worker, args)

    def _call(self, loop, worker: _Worker, args) -> Outcome:
        with self._lock:
            self.running += 1
        outcome = Outcome("crashed")
        try:
            outcome = worker.call(args, self.timeout)
            if outcome.status == "dead":                   # a worker that died between jobs: start anew
                self._retire(worker)
                worker = self._new_worker()
                outcome = worker.call(args, self.timeout)
            return outcome
        finally:
            if outcome.status not in ("ok", "error") or worker.jobs >= JOBS_PER_WORKER:
                self._retire(worker)
                worker = self._new_worker()
            with self._lock:
                self.running -= 1
                self.done += 1
            loop.call_soon_threadsafe(self._idle.put_nowait, worker)

    def stats(self) -> dict:
        return {"workers": self.size, "capacity": self.capacity, "admitted": self.admitted,
                "running": self.running, "done": self.done}


class _Admission:
    def __init__(self, pool: WorkerPool):
        self.pool = pool
        self.released = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.pool._release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
