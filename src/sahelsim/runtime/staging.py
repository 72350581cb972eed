"""A staging folder: scratch space inside an output folder, published only by a complete run (a
simulation's results, an ACLED fetch's pages), so a failed run leaves the previous output whole.

A run killed outright (kill -9, the OOM killer, a power cut) cannot remove its staging folder, so
the next run into the same output folder does. A staging folder is abandoned when nobody holds its
lock: a run holds an exclusive `flock` on its folder for as long as it lives (its worker processes
inherit and share it), and the kernel drops the lock when the last holder dies, however it dies.
A folder another run is still filling is left alone.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = ".partial-"


@contextmanager
def staging_folder(out: Path) -> Iterator[Path]:
    """A fresh, locked staging folder in `out` (which must exist), removed on the way out; stale
    staging folders of killed runs are removed first. Raises OSError when `out` is not writable."""
    sweep(out)
    staging = Path(tempfile.mkdtemp(prefix=PREFIX, dir=out))
    lock = os.open(staging, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield staging
    finally:
        os.close(lock)
        shutil.rmtree(staging, ignore_errors=True)


def sweep(out: Path) -> None:
    """Remove the staging folders in `out` that no living run holds."""
    for folder in out.glob(PREFIX + "*"):
        try:
            lock = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue  # gone meanwhile, or not a folder: not ours to judge
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            shutil.rmtree(folder, ignore_errors=True)
        except BlockingIOError:
            pass  # a run is still filling it
        finally:
            os.close(lock)
