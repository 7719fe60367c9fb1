"""Intake mode of `esep serve`: access codes, the operator's inbox and its receipts, and the brake on
repeated wrong codes. Plain Python, no web stack.

Formats fixed between helpers (see the README, "Intake"):
- access-codes.csv (written by `esep issue`): UTF-8 with BOM, header
  `agreement_no,org_bin,org_name,file,access_code`.
- an accepted upload is `<inbox>/<YYYYMMDDTHHMMSSZ>_<org_bin>_<safe agreement>_<8 hex of sha256>.xlsx`
  plus `<same name>.receipt.json` = {received_at, sha256, agreement_no, org_bin, original_name,
  esep_version}; `esep merge` takes the on-time status from received_at.
"""
from __future__ import annotations

import csv
import datetime as _dt
import hmac
import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .. import __version__

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODES_HEADER = ("agreement_no", "org_bin", "org_name", "file", "access_code")

from ..values import agreement_key                # the one normalisation of agreement numbers


class CodesError(ValueError):
    """The access-codes file cannot be used (said to the operator at start-up, never to an NGO)."""


@dataclass(frozen=True)
class Grantee:
    agreement_no: str
    org_bin: str
    org_name: str
    code: str


def normalise_code(text: str) -> str:
    """What the user typed, as a code: case, spaces and dashes ignored (codes are read off paper)."""
    return re.sub(r"[\s\-]+", "", str(text or "")).upper()


def load_codes(path) -> dict[tuple[str, str], Grantee]:
    """access-codes.csv -> {(org_bin, agreement_key): Grantee}. Refuses a file that is not in the
    agreed format or that gives one report two different codes."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise CodesError(f"cannot read {path}: {exc}") from exc
    if not rows or tuple(c.strip() for c in rows[0]) != CODES_HEADER:
        raise CodesError(f"{path}: the first line must be {','.join(CODES_HEADER)}")
    out: dict[tuple[str, str], Grantee] = {}
    for n, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(CODES_HEADER):
            raise CodesError(f"{path}, line {n}: expected {len(CODES_HEADER)} columns, found {len(row)}")
        agreement, org_bin, name, _file, code = (c.strip() for c in row)
        code = normalise_code(code)
        if len(code) < 10 or any(ch not in CODE_ALPHABET for ch in code):
            raise CodesError(f"{path}, line {n}: the access code is not at least 10 characters of "
                             f"{CODE_ALPHABET}")
        key = (org_bin, agreement_key(agreement))
        if key in out and out[key].code != code:
            raise CodesError(f"{path}, line {n}: BIN {org_bin}, agreement {agreement} has two different codes")
        out[key] = Grantee(agreement, org_bin, name, code)
    if not out:
        raise CodesError(f"{path}: no access codes")
    return out


def against_roster(codes: dict, roster) -> tuple[list[Grantee], list]:
    """(codes whose BIN and agreement are not on the roster, roster entries without a code): told to
    the operator at start-up, since those reports cannot be submitted or matched."""
    on_roster = {(e["org_bin"], agreement_key(e["agreement_no"])) for e in roster.entries}
    stray = [g for key, g in codes.items() if key not in on_roster]
    uncoded = [e for e in roster.entries if (e["org_bin"], agreement_key(e["agreement_no"])) not in codes]
    return stray, uncoded


_DUMMY = "X" * 16


def code_matches(codes: dict, org_bin: str | None, agreement_no: str | None, typed: str) -> Grantee | None:
    """The grantee when `typed` is the code of this BIN and agreement, else None. The comparison takes
    the same time whether or not the report is known and wherever the codes differ."""
    grantee = codes.get(((org_bin or "").strip(), agreement_key(agreement_no)))
    expected = grantee.code if grantee else _DUMMY
    ok = hmac.compare_digest(normalise_code(typed).encode(), expected.encode())
    return grantee if ok and grantee else None


class WrongCodeBrake:
    """Slows down guessing: after `free` wrong codes from one address within `window` seconds, that
    address must wait `base`, then twice as long after each further wrong code (at most `ceiling`)
    before it may try again. A right code clears its record."""

    def __init__(self, free: int = 3, base: float = 5.0, ceiling: float = 900.0, window: float = 900.0,
                 clock=time.monotonic, max_addresses: int = 10_000):
        self.free, self.base, self.ceiling, self.window = free, base, ceiling, window
        self.clock = clock
        self.max_addresses = max_addresses
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def wait_for(self, address: str) -> float:
        """Seconds `address` must still wait before its next attempt (0: may try now)."""
        now = self.clock()
        with self._lock:
            times = [t for t in self._failures.get(address, ()) if now - t < self.window]
            if times:
                self._failures[address] = times
            else:
                self._failures.pop(address, None)
            if len(times) < self.free:
                return 0.0
            delay = min(self.base * 2 ** (len(times) - self.free), self.ceiling)
            return max(0.0, times[-1] + delay - now)

    def failed(self, address: str) -> None:
        with self._lock:
            if address not in self._failures and len(self._failures) >= self.max_addresses:
                self._failures.pop(next(iter(self._failures)))     # the oldest address
            self._failures.setdefault(address, []).append(self.clock())

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)


def safe_agreement(agreement_no: str | None) -> str:
    """The agreement number as a file-name part: ASCII letters and digits, others as '-'."""
    key = agreement_key(agreement_no)
    return (re.sub(r"[^0-9A-Za-z]+", "-", key).strip("-") or "none")[:40]


def original_name(name: str | None) -> str:
    """The uploaded file's name as text for the receipt (never a path): its last component, printable."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:200] or "upload.xlsx"


@dataclass
class Stored:
    path: Path
    receipt_path: Path
    receipt: dict
    already: bool = False      # the same bytes were stored under this name in the same second


def store(inbox, upload_path, *, sha256: str, org_bin: str, agreement_no: str, name: str,
          received_at: _dt.datetime) -> Stored:
    """Put an accepted upload into the inbox with its receipt. Both are written under temporary names
    and linked into place (never replacing anything), the receipt first, so the workbook never appears
    without it; the temporary names end in .part, which merge does not read."""
    inbox = Path(inbox)
    stamp = received_at.strftime("%Y%m%dT%H%M%SZ")
    base = f"{stamp}_{org_bin}_{safe_agreement(agreement_no)}_{sha256[:8]}"
    final = inbox / f"{base}.xlsx"
    final_receipt = inbox / f"{base}.xlsx.receipt.json"
    receipt = {
        "received_at": received_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sha256": sha256,
        "agreement_no": agreement_no,
        "org_bin": org_bin,
        "original_name": original_name(name),
        "esep_version": __version__,
    }
    if final.exists():
        return Stored(final, final_receipt, receipt, already=True)
    token = secrets.token_hex(8)
    tmp = inbox / f".esep-{token}.xlsx.part"
    tmp_receipt = inbox / f".esep-{token}.receipt.part"
    try:
        with open(upload_path, "rb") as src, open(tmp, "xb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        with open(tmp_receipt, "x", encoding="utf-8") as fh:
            json.dump(receipt, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            _link(tmp_receipt, final_receipt)
        except FileExistsError:
            pass                          # a receipt for these very bytes in this second: same content
        try:
            _link(tmp, final)
        except FileExistsError:
            return Stored(final, final_receipt, receipt, already=True)
        _sync_dir(inbox)
    finally:
        for p in (tmp, tmp_receipt):
            try:
                p.unlink()
            except FileNotFoundError:
                pass
    return Stored(final, final_receipt, receipt)


def _link(src: Path, dst: Path) -> None:
    """Create dst with src's content, failing if dst exists (a hard link is both atomic and exclusive)."""
    try:
        os.link(src, dst)
    except FileExistsError:
        raise
    except OSError:                       # a file system without hard links
        if dst.exists():
            raise FileExistsError(dst)
        os.replace(src, dst)


def _sync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_inbox(inbox) -> Path:
    """The inbox folder, created when missing; refused when it cannot be written (at start-up)."""
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    probe = inbox / f".esep-probe-{secrets.token_hex(4)}.part"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise CodesError(f"cannot write into the inbox {inbox}: {exc}") from exc
    return inbox
