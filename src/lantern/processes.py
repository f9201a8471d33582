"""Whether a process still runs: how an owner's death is told from a long piece of work."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True while process ``pid`` exists on this machine (another user's counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def parents() -> dict[int, int]:
    """Every visible process and its parent, from Linux's /proc (empty where there is none)."""
    found: dict[int, int] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    stat = fh.read()
                # The command name, in brackets, may hold spaces: fields resume after its ')'.
                found[int(entry)] = int(stat[stat.rindex(b")") + 2:].split()[1])
            except (OSError, ValueError, IndexError):  # gone meanwhile
                continue
    return found


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    return [child for child, parent in parents().items() if parent == pid]


def descendants(pid: int) -> list[int]:
    """``pid``'s children, their children and so on (a Spark JVM and its Python workers)."""
    under: dict[int, list[int]] = {}
    for child, parent in parents().items():
        under.setdefault(parent, []).append(child)
    found, todo = [], list(under.get(pid, []))
    while todo:
        one = todo.pop()
        found.append(one)
        todo += under.get(one, [])
    return found
