"""A progress bar that appears with the first piece of finished work.

A command that refuses its input before any work (an unreadable option, an unknown figure) should
print its one-line error and nothing else; a bar started up front would leave a blank line before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sahelsim.cli.scenario import _progress


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """Yields `update(done, total)`; the bar starts at the first call and goes when the block ends."""
    bar, task = None, None

    def update(done: int, total: int) -> None:
        nonlocal bar, task
        if bar is None:
            bar = _progress()
            bar.start()
            task = bar.add_task(description, total=total)
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()


