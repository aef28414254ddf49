"""Which pytest runs share the test servers, and which run stops them.

Several runs may go at once (a developer's and an editor's, or two helpers'); they share the
test PostgreSQL and RabbitMQ. Each run leaves a file named by its process id in a folder while
it goes, and marks a server `<name>.ours` when it finds it down (so a test run, whichever,
starts it). The last run to end stops the marked servers that are up; a server that was up
before any run (a developer's own) is never marked, so never stopped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def begin(folder: Path, pid: int, down: Iterable[str]) -> None:
    """Record the run, and mark the servers it finds down as the test runs'."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{pid}.run").touch()
    for name in down:
        (folder / f"{name}.ours").touch()


def others(folder: Path, pid: int, alive: Callable[[int], bool] = _alive) -> list[int]:
    """The runs still going besides `pid`; files of runs that died are removed."""
    going = []
    for entry in folder.glob("*.run"):
        other = int(entry.stem)
        if other == pid:
            continue
        if alive(other):
            going.append(other)
        else:
            entry.unlink(missing_ok=True)
    return sorted(going)


def end(
    folder: Path,
    pid: int,
    servers: Iterable[str],
    stop: Callable[[str], None],
    alive: Callable[[int], bool] = _alive,
) -> list[str]:
    """Forget the run; if it is the last one going, stop every marked server (`stop(name)`
    should do nothing to one that is down) and return their names."""
    (folder / f"{pid}.run").unlink(missing_ok=True)
    if others(folder, pid, alive):
        return []
    stopped = []
    for name in servers:
        mark = folder / f"{name}.ours"
        if mark.exists():
            stop(name)
            mark.unlink(missing_ok=True)
            stopped.append(name)
    return stopped
