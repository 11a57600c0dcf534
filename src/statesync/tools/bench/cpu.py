"""CPU seconds of each process a resync runs in, from /proc: the district (the resync's own
process), the state's web server, its identity resolver, and the database's server."""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int | str) -> list[str]:
    # The command name is in parentheses and may hold spaces: fields start after ") ".
    return (Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1]).split()


def seconds(pid: int | str, children: bool = False) -> float:
    """CPU seconds `pid` used (with `children`, also those of its children it waited for)."""
    try:
        fields = _stat(pid)
    except (OSError, IndexError):
        return 0.0
    used = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        used += int(fields[13]) + int(fields[14])  # cutime, cstime
    return used / TICK


def _processes() -> list[tuple[int, int, str, str]]:
    """(pid, parent, name, command line) of every process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat(entry.name)
            name = (entry / "comm").read_text().strip()
            argv = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        found.append((int(entry.name), int(fields[1]), name, argv))
    return found


def descendants(pid: int) -> list[tuple[int, str]]:
    """`pid`'s children, theirs, and so on: (pid, command line)."""
    processes = _processes()
    found, wanted = [], {pid}
    while wanted:
        children = [(p, argv) for p, parent, _, argv in processes if parent in wanted]
        found += children
        wanted = {p for p, _ in children}
    return found


def server(pid: int) -> dict[str, float]:
    """The state's web server (its processes) and its identity resolver, apart."""
    used = {"state": seconds(pid, children=True), "resolver": 0.0}
    for child, argv in descendants(pid):
        used["resolver" if " resolver" in argv else "state"] += seconds(child)
    return used


def postgres() -> float:
    """Every PostgreSQL process's CPU; the postmaster's also counts backends that ended."""
    processes = [(p, parent) for p, parent, name, _ in _processes() if name == "postgres"]
    ids = {p for p, _ in processes}
    return sum(seconds(p, children=parent not in ids) for p, parent in processes)
