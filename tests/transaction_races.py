"""Two transactions on PostgreSQL writing about the same thing at the same moment.

`race` holds the first open while the second starts, checks the second waits for it on an
advisory lock (`loconomics_plumbing.storage.hold_until_commit`), then lets both commit, the
first first: the order in which a missing lock would lose a write.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from polling import wait_for
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

Write = Callable[[Session], object]


def waiting_on_an_advisory_lock(sessions: sessionmaker) -> bool:
    with sessions() as session:
        waits = session.scalars(text("SELECT locktype FROM pg_locks WHERE NOT granted"))
        return list(waits) == ["advisory"]


def race(sessions: sessionmaker, first: Write, second: Write) -> None:
    """`first` writes and keeps its transaction open; `second`, in another thread, must wait
    for it, then commits after it. An error in `second` fails the caller's test."""
    holder = sessions()
    first(holder)
    failures: list[BaseException] = []

    def run_second() -> None:
        try:
            with sessions() as session:
                second(session)
                session.commit()
        except BaseException as error:  # handed to the test's thread
            failures.append(error)

    thread = threading.Thread(target=run_second)
    thread.start()
    try:
        wait_for(
            lambda: waiting_on_an_advisory_lock(sessions), "the second writer to wait", timeout=10
        )
    finally:
        holder.commit()
        holder.close()
        thread.join(timeout=10)
    assert not thread.is_alive(), "the second writer never finished"
    assert failures == []
