"""The outbox and the unit of work on a real PostgreSQL server."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from loconomics_plumbing.outbox import pending_count, relay_pending
from loconomics_plumbing.storage import (
    UnitOfWork,
    add_plumbing_tables,
    make_engine,
    session_factory,
)
from sqlalchemy import MetaData

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
