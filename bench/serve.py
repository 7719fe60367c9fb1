"""Benchmark: `esep serve` under 8 concurrent clients against `esep validate` on the same files.

    python bench/serve.py [--uploads 300] [--files 40] [--clients 8] [--out DIR] [--workers W]

1. Generates --files realistic workbooks with bench/run.py's generator (reused from --out).
2. Baseline: `python cli.py validate --json --no-copy F1 ... FN` (the --uploads paths, cycling over the
   files) in one process: what an operator would run on the same files. Wall time of the whole command.
3. Server: `python cli.py serve --port 0` (default workers), --clients threads each with one keep-alive
   connection POST the same --uploads files to /api/validate; per-request latency from the first byte sent
   to the last byte received; throughput over the wall time from the first request to the last answer.
   Every answer must be 200 and carry its file's SHA-256.
4. The same with ?copy=1 (the checked copy returned) against `esep validate --out-dir` (copies written).
Prints ratios and the targets of issue #15 (throughput >= 0.8x validate, p95 <= 1.5 s); exits non-zero only
when a command or a request fails, never because of a figure. The load average is printed: the machine
may be shared.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import queue
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench_run  # noqa: E402  (bench/run.py: the generator and the machine line)

TARGET_RATIO = 0.8
TARGET_P95 = 1.5


def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "esepbench" + secrets.token_hex(8)
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def baseline(paths: list[Path], copy_dir: Path | None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `esep validate` over all the paths."""
    cmd = [sys.executable, str(ROOT / "cli.py"), "validate", "--json"]
    cmd += ["--out-dir", str(copy_dir)] if copy_dir else ["--no-copy"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd + [str(p) for p in paths], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"validate failed with exit code {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by root and its live descendants (the server, the forkserver, the workers)."""
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / _TICK
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo += children.get(pid, [])
    return total


class Server:
    def __init__(self, workers: int | None):
        cmd = [sys.executable, str(ROOT / "cli.py"), "serve", "--port", "0", "--queue", "64"]
        if workers:
            cmd += ["--workers", str(workers)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.port = None
        for line in self.proc.stdout:          # ready: uvicorn's own line (an event, not a pause)
            m = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            raise SystemExit("esep serve did not start")
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(60)


def load(port: int, uploads: list[tuple[str, bytes, str]], clients: int, copy: bool) -> dict:
    jobs: queue.Queue = queue.Queue()
    for item in uploads:
        jobs.put(item)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    path = "/api/validate?copy=1" if copy else "/api/validate"

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            try:
                name, data, sha = jobs.get_nowait()
            except queue.Empty:
                break
            body, ctype = multipart(name, data)
            t0 = time.perf_counter()
            conn.request("POST", path, body=body, headers={"Content-Type": ctype})
            resp = conn.getresponse()
            answer = resp.read()
            dt = time.perf_counter() - t0
            ok = resp.status == 200 and (answer[:2] == b"PK" if copy else sha.encode() in answer)
            with lock:
                latencies.append(dt)
                if not ok:
                    failures.append(f"{name}: HTTP {resp.status} {answer[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    return {"wall": wall, "n": len(latencies), "failures": failures,
            "p50": statistics.median(latencies), "p95": latencies[int(0.95 * (len(latencies) - 1))],
            "max": latencies[-1]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--uploads", type=int, default=300)
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--out", type=Path, default=None, help="work folder (generated files are reused)")
    args = ap.parse_args(argv)
    work = args.out or Path(tempfile.mkdtemp(prefix="esep-bench-serve-"))
    folder = work / "reports"
    gen, reused = bench_run.generate(args.files, folder)
    files = sorted(folder.glob("*.xlsx"))
    paths = [files[i % len(files)] for i in range(args.uploads)]
    uploads = []
    for p in paths:
        data = p.read_bytes()
        uploads.append((p.name, data, hashlib.sha256(data).hexdigest()))

    command = "python bench/serve.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"esep serve bench: {args.uploads} uploads of {len(files)} generated files, {args.clients} clients; "
          f"command: {command.strip()}")
    for line in bench_run.machine():
        print(line)
    print(f"(generation: {'reused' if reused else f'{gen:.1f} s'})")

    rows = [("step", "time", "per upload", "throughput", "p50", "p95", "max", "ratio", "CPU per upload")]
    verdicts = []
    cpu_notes = []
    failed = False
    for copy in (False, True):
        copy_dir = Path(tempfile.mkdtemp(dir=work)) if copy else None
        base, base_cpu = baseline(paths, copy_dir)
        if copy_dir:
            shutil.rmtree(copy_dir, ignore_errors=True)
        server = Server(args.workers)
        try:
            load(server.port, uploads[: 2 * (args.workers or os.cpu_count() or 1)], args.clients, copy)   # warm-up
            cpu0 = tree_cpu(server.proc.pid)
            res = load(server.port, uploads, args.clients, copy)
            server_cpu = tree_cpu(server.proc.pid) - cpu0
        finally:
            server.stop()
        failed |= bool(res["failures"])
        label = "with the checked copy" if copy else "JSON only"
        ratio = (res["n"] / res["wall"]) / (len(paths) / base)
        rows.append((f"esep validate {'--out-dir' if copy else '--no-copy'}, one process", f"{base:.2f} s",
                     f"{1000 * base / len(paths):.1f} ms", f"{len(paths) / base:.1f}/s", "", "", "", "1.00",
                     f"{1000 * base_cpu / len(paths):.1f} ms"))
        rows.append((f"esep serve, {label} ({args.clients} clients)", f"{res['wall']:.2f} s",
                     f"{1000 * res['wall'] / res['n']:.1f} ms", f"{res['n'] / res['wall']:.1f}/s",
                     f"{res['p50']:.2f} s", f"{res['p95']:.2f} s", f"{res['max']:.2f} s", f"{ratio:.2f}",
                     f"{1000 * server_cpu / res['n']:.1f} ms"))
        cpu_notes.append(f"  {label}: the server's process tree used {1000 * server_cpu / res['n']:.1f} ms of CPU per "
                         f"upload, validate {1000 * base_cpu / len(paths):.1f} ms per file")
        verdicts.append(f"  [{'met' if ratio >= TARGET_RATIO else 'NOT met'}] {label}: throughput >= "
                        f"{TARGET_RATIO}x validate: {ratio:.2f}x")
        verdicts.append(f"  [{'met' if res['p95'] <= TARGET_P95 else 'NOT met'}] {label}: p95 <= "
                        f"{TARGET_P95} s: {res['p95']:.2f} s")
        for f in res["failures"][:5]:
            print("FAILED:", f)
    print(bench_run.table(rows))
    print()
    print("\n".join(verdicts))
    print("CPU time (independent of other load on the machine; the server spreads it over its workers):")
    print("\n".join(cpu_notes))
    try:
        print("load average after: %.2f %.2f %.2f" % os.getloadavg())
    except OSError:
        pass
    if not args.out:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
