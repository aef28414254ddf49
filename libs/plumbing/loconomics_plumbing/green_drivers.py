"""PostgreSQL waits that let the other greenlets of a service run.

psycopg waits for the server with its C `poll()` unless it sees gevent's patching; under
eventlet (nameko's) that froze the whole service process for every query: one slow query
or lock wait stalled all ten workers, the RPC listener and the outbox relay, and a worker
waiting on a row lock held by another worker of the same process could never be released.
psycopg's `wait_select` goes through the `select` module, which eventlet makes green.
"""

from __future__ import annotations

import importlib
import sys


def eventlet_patched_select() -> bool:
    """True in a process eventlet has monkey-patched (read, never imported, from here)."""
    patcher = sys.modules.get("eventlet.patcher")
    return patcher is not None and patcher.is_monkey_patched("select")


def wait_cooperatively(url: str) -> None:
    """Make psycopg wait through the green `select` when `url` uses it in a patched process."""
    uses_psycopg = url.startswith("postgresql+psycopg") and not url.startswith(
        "postgresql+psycopg2"
    )
    if uses_psycopg and eventlet_patched_select():
        waiting = importlib.import_module("psycopg.waiting")
        waiting.wait = waiting.wait_select
