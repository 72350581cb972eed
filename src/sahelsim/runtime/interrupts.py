"""Ctrl-C and the point of no return.

A Ctrl-C (SIGINT) before an ingest commits stops it and leaves the store as it was. Once the COMMIT
starts, the data is stored (or about to be, atomically): an interrupt can no longer undo it, so
answering "interrupted" would tell the user the opposite of the truth, and an interrupt landing in
the COMMIT itself could only leave the outcome in doubt. From the point of no return to the end of
the enclosing `scope` (one library call), or of the process where it runs one command (the CLI),
SIGINT is therefore ignored, and the command ends by reporting what it stored.

The signal is ignored, not blocked: blocking (`pthread_sigmask`) holds it off one thread only, and
the kernel hands a Ctrl-C to any of DuckDB's worker threads that does not block it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_open_scopes = 0


@contextmanager
def scope() -> Iterator[None]:
    """A unit of work that may pass a point of no return: the SIGINT handler in force when the
    outermost scope begins is back when it ends. Only the main thread handles signals, so elsewhere
    this does nothing."""
    global _open_scopes
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handler = signal.getsignal(signal.SIGINT)
    _open_scopes += 1
    try:
        yield
    finally:
        _open_scopes -= 1
        if not _open_scopes and handler is not None:  # None: a handler not set from Python
            signal.signal(signal.SIGINT, handler)


def point_of_no_return() -> None:
    """From here to the end of the outermost open scope, a Ctrl-C is ignored."""
    if _open_scopes and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def one_command() -> None:
    """This process runs one command (the CLI): from a point of no return on, a Ctrl-C is ignored
    until the process exits, since the command's answer, and its exit status, is then what it
    stored. Ignoring it only to the end of the command's function would let a Ctrl-C during the
    interpreter's exit turn a stored result into an interrupted one."""
    global _open_scopes
    _open_scopes += 1
