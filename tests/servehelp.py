"""Start `esep serve` for tests: in this process (a uvicorn thread, for swapping the worker job) or as the
real command line (a child process). Both listen on a free loopback port chosen by the OS (port 0) and
are ready when their start-up has completed (an event, not a sleep); the command line's readiness is
its "Uvicorn running on" line, then /api/health."""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "workbook_templates" / "examples" / "final_report_2024_kk.xlsx"
SEED_BIN = "240540001232"
SEED_AGREEMENT = "94"
SEED_SHA256 = hashlib.sha256(SEED.read_bytes()).hexdigest()
START_TIMEOUT = 60          # seconds: an upper bound for start-up on a loaded machine, never a wait


class InProcess:
    """A uvicorn server in a thread of the test process, on a toolkit.web.app.Server."""

    def __init__(self, config):
        import uvicorn

        from toolkit.web.app import Server

        self.server = Server(config)
        self.ready = threading.Event()
        outer = self

        class _Uvicorn(uvicorn.Server):
            async def startup(self, sockets=None):
                await super().startup(sockets)
                outer.ready.set()

            def install_signal_handlers(self):      # not the main thread
                pass

        self.uv = _Uvicorn(uvicorn.Config(self.server.asgi, host="127.0.0.1", port=0, log_level="warning",
                                          lifespan="on"))
        self.thread = threading.Thread(target=self.uv.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        if not self.ready.wait(START_TIMEOUT) or not self.uv.started:
            raise RuntimeError("server did not start")
        port = self.uv.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc):
        self.uv.should_exit = True
        self.thread.join(START_TIMEOUT)

    def health(self) -> dict:
        return httpx.get(self.url + "/api/health").json()

    def wait_health(self, predicate, timeout: float = START_TIMEOUT) -> dict:
        """Wait until /api/health satisfies predicate (the server's own counters: a state, not a delay)."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.health()
            if predicate(state):
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"server never reached the expected state: {state}")
            time.sleep(0.01)


@contextlib.contextmanager
def cli_server(*args, env=None):
    """`python cli.py serve --port 0 ARGS` as a child process; yields (url, process, log lines)."""
    cmd = [sys.executable, str(ROOT / "cli.py"), "serve", "--port", "0", *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
    lines: list[str] = []
    url = None
    found = threading.Event()

    def pump():
        nonlocal url
        for line in proc.stdout:
            lines.append(line)
            m = re.search(r"Uvicorn running on (http://\S+)", line)
            if m and url is None:
                url = m.group(1)
                found.set()
        found.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        if not found.wait(START_TIMEOUT) or url is None:
            raise RuntimeError("esep serve did not start:\n" + "".join(lines))
        assert httpx.get(url + "/api/health").json()["status"] == "ok"
        yield url, proc, lines
    finally:
        proc.terminate()
        try:
            proc.wait(START_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(5)


def page_token(client: httpx.Client, url: str) -> str:
    """GET the page (sets the CSRF cookie on the client) and return the form's token."""
    html = client.get(url + "/").text
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def write_codes(path: Path, rows) -> Path:
    """An access-codes.csv in the agreed format (UTF-8 with BOM)."""
    lines = ["agreement_no,org_bin,org_name,file,access_code"] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def seed_result():
    """The library's own result for the seed example: what every page and answer must show."""
    from toolkit import validation

    return validation.validate(SEED)
