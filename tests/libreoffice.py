"""LibreOffice headless helpers for tests: convert files, and recalculate xlsx formulas.

LibreOffice's default profile keeps the cached results of xlsx formulas. `recalc_xlsx` uses a dedicated
profile whose `OOXMLRecalcMode` is 0 ("always recalculate"), seeded before its first start (a profile
created by soffice itself keeps the cached results on the first load), so every formula is computed by
a real spreadsheet engine.
Each soffice start costs about 2 s: pass many files to one call (`recalc_many`) where possible.
The profiles live in one temporary folder per test session, removed at exit.
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT = 180   # seconds per soffice call

_RECALC_ITEMS = """\
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
"""
_REGISTRY = f"""\
<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
{_RECALC_ITEMS}</oor:items>
"""

_root: Path | None = None


def soffice() -> str | None:
    """Path of the soffice binary, or None."""
    found = shutil.which("soffice")
    if found:
        return found
    return "/usr/bin/soffice" if os.access("/usr/bin/soffice", os.X_OK) else None


def soffice_available() -> bool:
    return soffice() is not None


def _profile() -> Path:
    """A session-wide LibreOffice profile that recalculates every formula on load."""
    global _root
    if _root is None:
        _root = Path(tempfile.mkdtemp(prefix="esep-lo-"))
        atexit.register(shutil.rmtree, _root, True)
    profile = _root / "profile"
    registry = profile / "user" / "registrymodifications.xcu"
    if not registry.exists():
        registry.parent.mkdir(parents=True, exist_ok=True)
        registry.write_text(_REGISTRY, encoding="utf-8")
    elif "OOXMLRecalcMode" not in registry.read_text(encoding="utf-8"):
        text = registry.read_text(encoding="utf-8")
        registry.write_text(text.replace("</oor:items>", _RECALC_ITEMS + "</oor:items>"), encoding="utf-8")
    return profile


def convert_many(sources, fmt: str, out_dir) -> list[Path]:
    """Convert files with one soffice call; returns the output paths (same order).
    `fmt` is soffice's --convert-to argument ("xlsx", "pdf", "csv:Text - txt - csv (StarCalc):44,34,76")."""
    binary = soffice()
    if binary is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    sources = [Path(s).resolve() for s in sources]
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    for s in sources:
        if s.parent == out_dir:
            raise ValueError(f"{s}: out_dir must differ from the source folder (same file name)")
    cmd = [binary, f"-env:UserInstallation={_profile().as_uri()}", "--headless", "--norestore",
           "--nolockcheck", "--convert-to", fmt, "--outdir", str(out_dir), *map(str, sources)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    ext = fmt.split(":", 1)[0]
    outputs = [out_dir / f"{s.stem}.{ext}" for s in sources]
    missing = [str(p) for p in outputs if not p.exists()]
    if proc.returncode != 0 or missing:
        raise RuntimeError(f"soffice failed (exit {proc.returncode}); missing {missing}\n"
                           f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return outputs


def convert(src, fmt: str, out_dir) -> Path:
    return convert_many([src], fmt, out_dir)[0]


def recalc_many(sources, out_dir) -> list[Path]:
    """Recalculate every formula of each xlsx (one soffice call); returns the recalculated copies."""
    return convert_many(sources, "xlsx", out_dir)


def recalc_xlsx(src, out_dir) -> Path:
    return recalc_many([src], out_dir)[0]
