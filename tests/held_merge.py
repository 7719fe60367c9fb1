"""`esep merge` that stops and waits at a chosen point, so a test can interrupt it there on an event
(a flag file), not after a guessed time.

    python tests/held_merge.py reading|writing FLAG merge ARGS...

reading: holds after the first file's rows are kept (before the register is begun);
writing: holds after the first block of rows went into the temporary register.
On reaching the point it creates FLAG and sleeps until it is killed or terminated.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cli  # noqa: E402
from toolkit import register, rowxml  # noqa: E402


def hold(flag: str) -> None:
    Path(flag).touch()
    time.sleep(3600)


def main() -> None:
    stage, flag, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
    if stage == "reading":
        read_all = register.read_all

        def held_read_all(paths, lang, jobs, on_result, **kwargs):
            def keep(rows):
                on_result(rows)
                hold(flag)
            read_all(paths, lang, jobs, keep, **kwargs)

        register.read_all = held_read_all
    elif stage == "writing":
        stitch = rowxml.stitch

        def held_stitch(source, target, sheets, sum_hint=None):
            def held(blocks):
                for block in blocks:
                    yield block
                    hold(flag)
            return stitch(source, target, {part: (last_row, last_col, held(blocks))
                                           for part, (last_row, last_col, blocks) in sheets.items()}, sum_hint)

        rowxml.stitch = held_stitch
    else:
        raise SystemExit(f"unknown stage {stage!r}")
    cli.main(argv)


if __name__ == "__main__":
    main()
