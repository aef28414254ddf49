"""The outbox and the unit of work on a real PostgreSQL server."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter

import pytest
from loconomics_plumbing.entrypoints import rpc
from loconomics_plumbing.outbox import pending_count, relay_pending
from loconomics_plumbing.storage import (
    UnitOfWork,
    add_plumbing_tables,
    make_engine,
    read_one,
    session_factory,
)
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, update

pytestmark = pytest.mark.postgres


def test_two_relays_share_the_outbox_without_publishing_twice(postgres_url):
    metadata = MetaData()
    add_plumbing_tables(metadata)
    engine = make_engine(postgres_url)
    metadata.create_all(engine)
    work = UnitOfWork(session_factory(engine)(), metadata)
    for n in range(300):
        work.emit("counted", {"n": n})
    work.commit()
    work.close()

    published: Counter = Counter()
    lock = threading.Lock()

    def publish(event_type, payload):
        with lock:
            published[payload["n"]] += 1

    def relay():
        while relay_pending(engine, metadata, publish, batch=20):
            pass

    relays = [threading.Thread(target=relay) for _ in range(2)]
    for thread in relays:
        thread.start()
    for thread in relays:
        thread.join()
    assert sorted(published) == list(range(300))
    assert max(published.values()) == 1
    assert pending_count(engine, metadata) == 0
    engine.dispose()


def test_first_time_holds_under_concurrent_duplicates(postgres_url):
    metadata = MetaData()
    add_plumbing_tables(metadata)
    engine = make_engine(postgres_url)
    metadata.create_all(engine)
    winners = []
    barrier = threading.Barrier(4)

    def handle():
        work = UnitOfWork(session_factory(engine)(), metadata)
        barrier.wait()
        try:
            if work.first_time("on_event:same-id"):
                work.commit()
                winners.append(1)
        except Exception:
            work.rollback()
        finally:
            work.close()

    threads = [threading.Thread(target=handle) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    engine.dispose()


class Ledger:
    """Two calls that lock the same two rows in opposite orders: a textbook deadlock."""

    def __init__(self, db: UnitOfWork, both_locked_one: threading.Barrier):
        self.db = db
        self.both_locked_one = both_locked_one
        self.tries = 0

    @rpc
    def touch(self, first: int, second: int) -> int:
        self.tries += 1
        self.db.session.execute(
            update(tallies).where(tallies.c.id == first).values(count=tallies.c.count + 1)
        )
        if self.tries == 1:
            self.both_locked_one.wait(timeout=10)
        self.db.session.execute(
            update(tallies).where(tallies.c.id == second).values(count=tallies.c.count + 1)
        )
        return self.tries


tallies_metadata = MetaData()
tallies = Table(
    "tallies",
    tallies_metadata,
    Column("id", Integer, primary_key=True),
    Column("count", Integer, nullable=False),
)
add_plumbing_tables(tallies_metadata)


def test_a_real_deadlock_victim_is_tried_again_and_both_calls_succeed(postgres_url):
    engine = make_engine(postgres_url)
    tallies_metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(tallies), [{"id": 1, "count": 0}, {"id": 2, "count": 0}])
    barrier = threading.Barrier(2)
    ledgers = [
        Ledger(UnitOfWork(session_factory(engine)(), tallies_metadata), barrier) for _ in range(2)
    ]
    answers: list = [None, None]

    def call(index: int, first: int, second: int) -> None:
        try:
            answers[index] = ledgers[index].touch(first=first, second=second)
        except Exception as error:
            answers[index] = error

    threads = [
        threading.Thread(target=call, args=(0, 1, 2)),
        threading.Thread(target=call, args=(1, 2, 1)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers, key=str) == [1, 2], answers  # one went through, the victim retried
    with engine.connect() as connection:
        counts = dict(connection.execute(select(tallies.c.id, tallies.c.count)).all())
    assert counts == {1: 2, 2: 2}
    engine.dispose()


GREEN_PROBE = """
import eventlet
eventlet.monkey_patch()
import sys, time
from loconomics_plumbing.storage import make_engine
from sqlalchemy import text

engine = make_engine(sys.argv[1])
engine.connect().close()
ticks = []

def ticker():
    while True:
        ticks.append(time.monotonic())
        eventlet.sleep(0.01)

def slow_query():
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_sleep(0.5)"))

beat = eventlet.spawn(ticker)
eventlet.spawn(slow_query).wait()
beat.kill()
print(len(ticks))
"""


def test_a_slow_query_under_eventlet_leaves_the_other_greenlets_running(postgres_url):
    """A service's workers share one process: a query waiting on the server must yield."""
    ran = subprocess.run(
        [sys.executable, "-c", GREEN_PROBE, postgres_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    ticks = int(ran.stdout.split()[-1])
    assert ticks >= 20, f"the other greenlet ran {ticks} times during a 0.5 s query"


def test_read_one_reads_outside_a_transaction_and_hands_back_a_transactional_connection(
    postgres_url,
):
    metadata = MetaData()
    counters = Table("read_one_counters", metadata, Column("id", Integer, primary_key=True))
    add_plumbing_tables(metadata)
    engine = make_engine(postgres_url)
    metadata.create_all(engine)
    try:
        with engine.begin() as conn:
            conn.execute(counters.delete())
            conn.execute(insert(counters).values(id=1))
        sessions = session_factory(engine)
        reader = sessions()
        assert read_one(reader, select(counters.c.id), {}).id == 1
        assert not reader.in_transaction()
        reader.close()
        # the connection it used went back to the pool out of autocommit: a write rolled back
        # on it leaves nothing behind
        work = UnitOfWork(sessions(), metadata)
        work.session.execute(insert(counters).values(id=2))
        assert read_one(work.session, select(counters.c.id).where(counters.c.id == 2), {})
        work.rollback()
        work.close()
        with engine.connect() as conn:
            assert conn.execute(select(counters.c.id)).scalars().all() == [1]
    finally:
        metadata.drop_all(engine, tables=[counters])
        engine.dispose()
