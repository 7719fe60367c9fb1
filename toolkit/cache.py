"""The merge cache: what reading one workbook gave, kept by the file's SHA-256, so a re-merge after a few
files were added or replaced reads only those.

One entry per workbook: `<sha256>.entry` in the cache folder, written atomically by whichever process
read the file. An entry is data, never code (JSON, no pickle: a cache folder is as untrusted as any file
on disk). It starts with an HMAC-SHA256 of the rest under a key kept outside the cache folder (in the
user's configuration folder, created 0600 on first use), so an entry someone else wrote, or one damaged
on disk, is never even decompressed. Then it is used only when everything checks out: the format, esep's
version and a fingerprint of its code (a changed rule must re-read every file), the language, the
SHA-256 in the name and inside, and the shape and type of every value. Anything else is a miss: the file
is read again and the entry rewritten.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import json
import secrets
import struct
import os
import tempfile
import zlib
from pathlib import Path
from typing import Any

FORMAT = 1
MAX_ENTRY_BYTES = 32 * 1024 * 1024          # uncompressed; a report's entry is ~100-300 KB
DEFAULT_FOLDER = ".esep-cache"             # beside the register
_SHA = frozenset("0123456789abcdef")

_FINGERPRINT: str | None = None


def fingerprint() -> str:
    """esep's version and a hash of its code: an entry written by other code is never used."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        from . import __version__

        h = hashlib.sha256(__version__.encode())
        here = Path(__file__).resolve().parent
        for path in sorted(here.glob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
        _FINGERPRINT = f"{__version__}+{h.hexdigest()[:16]}"
    return _FINGERPRINT


def key_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "esep" / "cache-key"


def secret_key() -> bytes | None:
    """This user's key for signing cache entries (made on first use); None when it cannot be kept, and
    then there is no cache."""
    path = key_path()
    try:
        data = path.read_bytes()
        if len(data) == 32:
            return data
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = secrets.token_bytes(32)
        fd, tmp = tempfile.mkstemp(prefix=".cache-key.", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:     # mkstemp: 0600
            fh.write(data)
        os.replace(tmp, path)
        return path.read_bytes() if path.stat().st_size == 32 else None
    except OSError:
        return None


def default_folder(output) -> Path:
    return Path(output).resolve().parent / DEFAULT_FOLDER


def _entry_path(folder, sha256: str) -> Path:
    return Path(folder) / f"{sha256}.entry"


# Values: JSON scalars, dates as {"$d": "YYYY-MM-DD"}, datetimes as {"$t": "YYYY-MM-DDTHH:MM:SS"} ---------

def _enc(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise TypeError("not a finite number")
        return value
    if isinstance(value, _dt.datetime):
        return {"$t": value.isoformat()}
    if isinstance(value, _dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, (list, tuple)):        # a finding's value may be a list ([1076, 1080])
        return [_enc(v) for v in value]
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _dec(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_dec(v) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        (tag, text), = value.items()
        if isinstance(text, str):
            if tag == "$t":
                return _dt.datetime.fromisoformat(text)
            if tag == "$d":
                return _dt.date.fromisoformat(text)
    raise ValueError("unexpected value")


def _enc_dict(d: dict) -> dict:
    return {str(k): _enc(v) for k, v in d.items()}


def _dec_dict(d) -> dict:
    if not isinstance(d, dict):
        raise ValueError("expected an object")
    return {k: _dec(v) for k, v in d.items()}


def _dec_rows(rows) -> list[dict]:
    if not isinstance(rows, list):
        raise ValueError("expected a list")
    return [_dec_dict(r) for r in rows]


LISTS = ("indicators", "partners", "subgrants", "findings")


_SIZES = struct.Struct(">III")      # compressed sizes of the three parts


def store(folder, key: bytes, rows, lang: str, source: str, xml: dict[str, bytes]) -> None:
    """Write the entry for one read workbook (rows: register.FileRows with its row dicts, before they are
    dropped; xml: its rendered rows for `source` in `lang`). Silent when the folder cannot be written:
    the cache is a speed-up, never a reason for a merge to fail.

    Layout: HMAC-SHA256 (32 bytes) of the rest; three compressed sizes; then, each zlib-compressed,
    the facts (JSON), the rendered rows (bytes, sheet after sheet) and the row dicts (JSON, read only
    when CSVs are written or the file's name changed)."""
    try:
        meta = {
            "format": FORMAT, "esep": fingerprint(), "lang": lang, "sha256": rows.sha256, "source": source,
            "status": rows.status, "key": list(rows.key) if rows.key else None,
            "report_date": _enc(rows.report_date), "template_version": rows.template_version,
            "file_lang": rows.lang, "counts": _enc_dict(rows.counts), "region": rows.region,
            "summary": _enc_dict(rows.summary), "report": _enc_dict(rows.report),
            "cells": {k: list(v) for k, v in rows.cells.items()},
            "xml_sizes": [len(xml[k]) for k in LISTS],
        }
        lists = {key: [_enc_dict(d) for d in getattr(rows, key)] for key in LISTS}
        parts = [zlib.compress(_json(meta), 1), zlib.compress(b"".join(xml[k] for k in LISTS), 1),
                 zlib.compress(_json(lists), 1)]
        body = _SIZES.pack(*(len(x) for x in parts)) + b"".join(parts)
        blob = hmac.new(key, body, hashlib.sha256).digest() + body
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".entry.", suffix=".part", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, _entry_path(folder, rows.sha256))
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except (OSError, TypeError, ValueError, UnicodeError):
        pass


def _json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, MAX_ENTRY_BYTES)
    if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
        raise ValueError("larger than the limit, truncated or trailing data")
    return out


def load(folder, key: bytes, sha256: str, lang: str) -> dict | None:
    """The checked entry for a file with this SHA-256 read in `lang`, or None (a miss). Its "rows" is a
    function giving the row dicts (checked too; None when they do not check out)."""
    if len(sha256) != 64 or not set(sha256) <= _SHA:
        return None
    path = _entry_path(folder, sha256)
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_ENTRY_BYTES:
            return None
        raw = path.read_bytes()
        mac, body = raw[:32], raw[32:]
        if not hmac.compare_digest(mac, hmac.new(key, body, hashlib.sha256).digest()):
            return None
        sizes = _SIZES.unpack_from(body)
        if _SIZES.size + sum(sizes) != len(body):
            return None
        at = _SIZES.size
        parts = []
        for n in sizes:
            parts.append(body[at:at + n])
            at += n
        data = json.loads(_inflate(parts[0]).decode("utf-8"))
        entry = _checked(data, sha256, lang)
        if entry is None:
            return None
        xml = _inflate(parts[1])
        sizes_xml = data.get("xml_sizes")
        if not (isinstance(sizes_xml, list) and len(sizes_xml) == len(LISTS)
                and all(isinstance(n, int) and n >= 0 for n in sizes_xml) and sum(sizes_xml) == len(xml)):
            return None
        entry["xml"], at = {}, 0
        for k, n in zip(LISTS, sizes_xml):
            entry["xml"][k] = xml[at:at + n]
            at += n
        entry["rows"] = lambda rows=parts[2]: _rows(rows)
        return entry
    except (OSError, ValueError, TypeError, KeyError, struct.error, zlib.error, RecursionError):
        return None


def _rows(compressed: bytes) -> dict | None:
    try:
        data = json.loads(_inflate(compressed).decode("utf-8"))
        if not isinstance(data, dict) or set(data) != set(LISTS):
            return None
        return {key: _dec_rows(data[key]) for key in LISTS}
    except (ValueError, TypeError, KeyError, zlib.error, RecursionError):
        return None


def _checked(data, sha256: str, lang: str) -> dict | None:
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("esep") != fingerprint():
        return None
    if data.get("sha256") != sha256 or data.get("lang") != lang:
        return None
    if data.get("status") not in ("valid", "invalid"):
        return None
    key = data.get("key")
    if key is not None and not (isinstance(key, list) and len(key) == 3 and all(isinstance(k, str) for k in key)):
        return None
    for name in ("source", "template_version", "file_lang", "region"):
        if data.get(name) is not None and not isinstance(data[name], str):
            return None
    counts = _dec_dict(data["counts"])
    if set(counts) != {"error", "warning", "info"} or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts.values()):
        return None
    cells = data["cells"]
    if not isinstance(cells, dict) or not all(
            isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v) for v in cells.values()):
        return None
    report_date = _dec(data["report_date"])
    if report_date is not None and not isinstance(report_date, _dt.date):
        return None
    return {
        "status": data["status"], "key": tuple(key) if key else None, "report_date": report_date,
        "template_version": data["template_version"], "lang": data["file_lang"], "counts": counts,
        "region": data["region"], "summary": _dec_dict(data["summary"]), "report": _dec_dict(data["report"]),
        "cells": {k: tuple(v) for k, v in cells.items()}, "source": data["source"],
    }
