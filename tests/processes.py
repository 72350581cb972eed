"""Processes from /proc: which descendants a command left alive after it was killed.

Shared by the crash tests and the soak driver; psutil would do it, but /proc is always there on
the Linux machines these run on, and the check needs nothing else.
"""

from __future__ import annotations

from pathlib import Path


def processes() -> dict[int, tuple[int, str, str]]:
    """Every process: pid -> (parent pid, state, start time)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            table[int(entry.name)] = (int(fields[1]), fields[0], fields[19])
    return table


def descendants(root: int) -> dict[int, str]:
    """The living descendants of `root`: pid -> start time (to tell a reused pid apart)."""
    table, found, frontier = processes(), {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, state, started) in table.items():
            if ppid == parent and state != "Z" and pid not in found:
                found[pid] = started
                frontier.append(pid)
    return found


def alive(started_at: dict[int, str]) -> list[int]:
    """Which of the processes `descendants` found still run (a reused pid is another process)."""
    table = processes()
    return [pid for pid, started in started_at.items()
            if pid in table and table[pid][1] != "Z" and table[pid][2] == started]
