"""Worker jobs for the `esep serve` limit tests: the real check, unless the upload's first bytes ask for a
misbehaving job (sleep past the time limit, eat memory past the cap, die). Lets the tests drive the
server's time, memory and queue limits deterministically instead of hunting for a slow workbook."""
from __future__ import annotations

import os
import time

from toolkit.web.jobs import check_upload


def misbehaving(path: str, name: str, want_copy: bool, langs=(None,)):
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(b"SLEEP"):
        time.sleep(600)
    if head.startswith(b"HOG"):
        hoard = bytearray(8 * 1024 ** 3)  # far past the worker's address-space limit: MemoryError at once
        return {"hoard": len(hoard)}
    if head.startswith(b"DIE"):
        os._exit(3)
    return check_upload(path, name, want_copy, langs)
