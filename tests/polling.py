"""Waiting in tests for what the platform does asynchronously (events, timers, email)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest


def wait_for(
    check: Callable[[], object],
    what: str,
    timeout: float = 60.0,
    interval: float = 0.3,
    explain: Callable[[], str] | None = None,
) -> object:
    """The first truthy answer of `check`; the test fails naming `what` after `timeout`,
    with what `explain` says (e.g. the end of the platform's logs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    result = check()
    if result:
        return result
    pytest.fail(f"timed out waiting for {what}" + (f"\n{explain()}" if explain else ""))
