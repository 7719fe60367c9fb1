"""Gnumeric helpers for tests: recalculate xlsx files with `ssconvert --recalc` (Debian package gnumeric).

ssconvert takes one file per call, but starts in a fraction of a second, so a few dozen files cost a few
seconds. The output is an .xlsx written by Gnumeric: every formula computed by Gnumeric's own engine.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

TIMEOUT = 120   # seconds per ssconvert call


def ssconvert() -> str | None:
    found = shutil.which("ssconvert")
    if found:
        return found
    return "/usr/bin/ssconvert" if os.access("/usr/bin/ssconvert", os.X_OK) else None


def available() -> bool:
    return ssconvert() is not None


def recalc_many(sources, out_dir) -> list[Path]:
    """Recalculate and re-save each xlsx with Gnumeric; returns the copies (same order, same names)."""
    binary = ssconvert()
    if binary is None:
        raise RuntimeError("Gnumeric (ssconvert) is not installed")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = []
    for src in map(Path, sources):
        out = out_dir / src.name
        if out.resolve() == src.resolve():
            raise ValueError(f"{src}: out_dir must differ from the source folder")
        proc = subprocess.run([binary, "--recalc", "--export-type=Gnumeric_Excel:xlsx2", str(src), str(out)],
                              capture_output=True, text=True, timeout=TIMEOUT,
                              env={**os.environ, "HOME": str(out_dir)})
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"ssconvert failed on {src} (exit {proc.returncode})\n{proc.stderr}")
        outputs.append(out)
    return outputs
