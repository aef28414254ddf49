"""The one source of 'now' for services, movable by tests across processes.

Domain code never reads the clock; entrypoints pass `now()` in. When
`LOCONOMICS_CLOCK_FILE` names a file holding an offset in seconds, every process
reading it sees the same shifted time, so integration tests can make timers fire.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta


def offset_seconds() -> float:
    path = os.environ.get("LOCONOMICS_CLOCK_FILE")
    if not path:
        return 0.0
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read().strip()
    except FileNotFoundError:
        return 0.0
    return float(text or 0)


def now() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=offset_seconds())


def move_clock(path: str, offset: timedelta) -> None:
    """For tests: shift every process that reads `path` by `offset` from real time."""
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(str(offset.total_seconds()))
    os.replace(tmp, path)
