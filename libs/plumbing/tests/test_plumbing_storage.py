"""The unit of work, the outbox relay and the processed-events memory, on real SQLite files."""

from __future__ import annotations

import json
import multiprocessing
import threading
from datetime import UTC, datetime, timedelta

import pytest
from loconomics_plumbing.outbox import pending_count, prune_published, relay_pending
from loconomics_plumbing.storage import (
    UnitOfWork,
    UtcDateTime,
    add_plumbing_tables,
    make_engine,
    read_one,
    session_factory,
)
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    metadata = MetaData()
    members = Table(
        "members",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50), unique=True),
        Column("joined_at", UtcDateTime()),
    )
    add_plumbing_tables(metadata)
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    metadata.create_all(engine)
    return engine, metadata, members


def unit(engine, metadata, **kwargs) -> UnitOfWork:
    return UnitOfWork(session_factory(engine)(), metadata, **kwargs)


def test_event_is_stored_only_with_the_change_that_caused_it(store):
    engine, metadata, members = store
    work = unit(engine, metadata, clock=lambda: T0)
    work.session.execute(insert(members).values(name="ana", joined_at=T0))
    event = work.emit("member_joined", {"name": "ana"})
    work.rollback()
    assert pending_count(engine, metadata) == 0

    work.session.execute(insert(members).values(name="ana", joined_at=T0))
    event = work.emit("member_joined", {"name": "ana"})
    work.commit()
    assert pending_count(engine, metadata) == 1
    assert event["occurred_at"] == T0.isoformat()
    assert len(event["event_id"]) == 36


def test_commit_wakes_the_relay_only_when_events_were_written(store):
    engine, metadata, members = store
    wakes = []
    work = unit(engine, metadata, on_commit=lambda: wakes.append(1))
    work.session.execute(insert(members).values(name="bo", joined_at=T0))
    work.commit()
    assert wakes == []
    work.emit("member_joined", {"name": "bo"})
    work.commit()
    assert wakes == [1]


def test_relay_publishes_in_order_and_marks_what_it_published(store):
    engine, metadata, _ = store
    clock = iter(T0 + timedelta(seconds=n) for n in range(100))
    work = unit(engine, metadata, clock=lambda: next(clock))
    for n in range(5):
        work.emit("counted", {"n": n})
    work.commit()
    published = []
    assert relay_pending(engine, metadata, lambda t, p: published.append(p["n"])) == 5
    assert published == [0, 1, 2, 3, 4]
    assert relay_pending(engine, metadata, lambda t, p: published.append(p["n"])) == 0
    assert pending_count(engine, metadata) == 0


def test_a_broker_failure_keeps_unpublished_events_for_the_next_round(store):
    engine, metadata, _ = store
    work = unit(engine, metadata)
    for n in range(3):
        work.emit("counted", {"n": n})
    work.commit()
    sent = []

    def flaky(event_type, payload):
        if payload["n"] == 1:
            raise ConnectionError("broker gone")
        sent.append(payload["n"])

    with pytest.raises(ConnectionError):
        relay_pending(engine, metadata, flaky)
    assert sent == [0]
    assert pending_count(engine, metadata) == 2
    later = datetime.now(UTC) + timedelta(minutes=1)
    relay_pending(engine, metadata, lambda t, p: sent.append(p["n"]), clock=lambda: later)
    assert sent == [0, 1, 2]
    assert pending_count(engine, metadata) == 0


def test_a_failed_publish_gives_its_claim_back_so_the_next_pass_need_not_wait(store):
    """The broker back a moment later: the unsent events go at once, not after the lease
    (which a clock moved back, as in the fault tests, would stretch to days)."""
    engine, metadata, _ = store
    work = unit(engine, metadata)
    for n in range(3):
        work.emit("counted", {"n": n})
    work.commit()
    sent = []

    def broker_gone(event_type, payload):
        raise ConnectionError("broker gone")

    with pytest.raises(ConnectionError):
        relay_pending(engine, metadata, broker_gone, clock=lambda: T0 + timedelta(days=3))
    outbox = metadata.tables["outbox_events"]
    with engine.connect() as conn:
        claims = conn.execute(select(outbox.c.claimed_by, outbox.c.claimed_until)).all()
    assert claims == [(None, None)] * 3
    assert relay_pending(engine, metadata, lambda t, p: sent.append(p["n"]), clock=lambda: T0) == 3
    assert sent == [0, 1, 2]


def test_a_claimed_batch_is_not_published_twice_within_its_lease(store):
    engine, metadata, _ = store
    work = unit(engine, metadata)
    work.emit("counted", {"n": 1})
    work.commit()
    outbox = metadata.tables["outbox_events"]
    with engine.begin() as conn:
        conn.execute(
            outbox.update().values(claimed_by="other", claimed_until=T0 + timedelta(hours=1))
        )
    assert relay_pending(engine, metadata, lambda t, p: None, clock=lambda: T0) == 0
    expired = T0 + timedelta(hours=2)
    assert relay_pending(engine, metadata, lambda t, p: None, clock=lambda: expired) == 1


def test_old_published_events_are_pruned(store):
    engine, metadata, _ = store
    work = unit(engine, metadata)
    work.emit("counted", {"n": 1})
    work.commit()
    relay_pending(engine, metadata, lambda t, p: None, clock=lambda: T0)
    assert prune_published(engine, metadata, clock=lambda: T0 + timedelta(days=1)) == 0
    assert prune_published(engine, metadata, clock=lambda: T0 + timedelta(days=8)) == 1


def test_an_event_carrying_a_secret_leaves_the_outbox_once_published(store):
    """A password reset's token: its row is deleted as soon as the broker has it, the others
    are kept (marked) for the week; one that could not be sent stays until it is."""
    engine, metadata, _ = store
    work = unit(engine, metadata)
    work.emit("counted", {"n": 0})
    work.emit("secret", {"n": 1, "token": "s3cr3t"})
    work.emit("secret", {"n": 2, "token": "t0ken"})
    work.commit()
    sent = []

    def broker_gone_at_two(event_type, payload):
        if payload["n"] == 2:
            raise ConnectionError("broker gone")
        sent.append(payload["n"])

    forget = frozenset({"secret"})
    with pytest.raises(ConnectionError):
        relay_pending(engine, metadata, broker_gone_at_two, forget=forget)
    outbox = metadata.tables["outbox_events"]

    def rows():
        with engine.connect() as conn:
            found = conn.execute(select(outbox.c.payload, outbox.c.published_at)).all()
        return [(json.loads(payload)["n"], at is not None) for payload, at in found]

    assert sent == [0, 1]
    assert sorted(rows()) == [(0, True), (2, False)]
    assert relay_pending(engine, metadata, lambda t, p: sent.append(p["n"]), forget=forget) == 1
    assert sent == [0, 1, 2]
    assert rows() == [(0, True)]


def test_first_time_is_true_once_per_handler_key(store):
    engine, metadata, members = store
    first = unit(engine, metadata)
    assert first.first_time("on_joined:e1") is True
    first.session.execute(insert(members).values(name="cy", joined_at=T0))
    first.commit()
    again = unit(engine, metadata)
    assert again.first_time("on_joined:e1") is False
    assert again.first_time("on_left:e1") is True
    again.rollback()
    retry = unit(engine, metadata)
    assert retry.first_time("on_left:e1") is True


def test_datetimes_come_back_aware_utc_and_naive_ones_are_refused(store):
    engine, metadata, members = store
    work = unit(engine, metadata)
    paris = T0.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    work.session.execute(insert(members).values(name="di", joined_at=paris))
    work.commit()
    stored = work.session.execute(select(members.c.joined_at)).scalar_one()
    assert stored == T0 and stored.tzinfo is not None
    with pytest.raises(Exception, match="naive"):
        work.session.execute(insert(members).values(name="ed", joined_at=datetime(2026, 1, 1)))


def test_sqlite_writers_in_threads_never_lose_an_update(store):
    """BEGIN IMMEDIATE plus the writer lock make read-modify-write safe within a process."""
    engine, metadata, members = store
    with engine.begin() as conn:
        conn.execute(insert(members).values(id=1, name="0", joined_at=T0))
    sessions = session_factory(engine)

    def bump():
        for _ in range(20):
            with sessions() as session, session.begin():
                value = int(session.execute(select(members.c.name)).scalar_one())
                session.execute(members.update().values(name=str(value + 1)))

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as conn:
        assert conn.execute(select(members.c.name)).scalar_one() == "80"


def test_event_payload_is_json_with_its_envelope(store):
    engine, metadata, _ = store
    work = unit(engine, metadata, clock=lambda: T0)
    work.emit("price_set", {"amount_cents": 1900, "currency": "USD"})
    work.commit()
    with engine.connect() as conn:
        row = conn.execute(select(metadata.tables["outbox_events"])).one()
    body = json.loads(row.payload)
    assert row.event_type == "price_set"
    assert body["amount_cents"] == 1900 and body["event_id"] == row.event_id


def test_a_second_open_transaction_in_one_thread_fails_fast_instead_of_hanging(store):
    engine, metadata, members = store
    first = unit(engine, metadata)
    first.session.execute(select(members.c.id))
    second = unit(engine, metadata)
    with pytest.raises(RuntimeError, match="already has a transaction open"):
        second.session.execute(select(members.c.id))
    first.commit()
    assert second.session.execute(select(members.c.id)).all() == []


def _open_and_write(url: str, start, answers) -> None:
    engine = make_engine(url)
    tables = MetaData()
    Table("visits", tables, Column("id", Integer, primary_key=True))
    start.wait()
    try:
        tables.create_all(engine)
        with engine.begin() as connection:
            connection.execute(insert(tables.tables["visits"]))
        answers.put("ok")
    except Exception as error:  # reported to the test, which names it
        answers.put(repr(error))


def test_processes_opening_a_new_database_together_all_get_in(tmp_path):
    """Like gunicorn's workers each creating the gateway's tables at boot: SQLite refused the
    switch to WAL at once to whoever found another process mid-transaction, and that worker
    failed to boot (about one round in ten below failed before the switch was retried)."""
    context = multiprocessing.get_context("fork")
    failures = []
    for round_ in range(15):
        url = f"sqlite:///{tmp_path}/new-{round_}.sqlite3"
        start, answers = context.Barrier(8), context.Queue()
        workers = [
            context.Process(target=_open_and_write, args=(url, start, answers)) for _ in range(8)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        told = [answers.get(timeout=5) for _ in workers]
        failures += [answer for answer in told if answer != "ok"]
        with make_engine(url).connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("SELECT count(*) FROM visits").scalar() == 8
    assert failures == []


def test_read_one_reads_committed_rows_while_a_writer_holds_the_database(store):
    """No BEGIN IMMEDIATE and no writer lock: a read made of one statement never waits."""
    engine, metadata, members = store
    with engine.begin() as conn:
        conn.execute(insert(members).values(id=1, name="ana", joined_at=T0))
    writing, release = threading.Event(), threading.Event()

    def writer():
        work = unit(engine, metadata)
        work.session.execute(members.update().values(name="bea"))
        writing.set()
        release.wait(10)
        work.commit()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert writing.wait(5)
        reader = session_factory(engine)()
        answers = []
        read = threading.Thread(
            target=lambda: answers.append(read_one(reader, select(members.c.name), {}))
        )
        read.start()
        read.join(3)  # a read that took the writer's lock would wait here for `release`
        assert answers and answers[0].name == "ana"
        assert not reader.in_transaction()
    finally:
        release.set()
        thread.join()
    assert read_one(session_factory(engine)(), select(members.c.name), {}).name == "bea"


def test_read_one_sees_the_sessions_own_changes_and_leaves_the_pool_as_it_was(store):
    engine, metadata, members = store
    work = unit(engine, metadata)
    assert read_one(work.session, select(members.c.id), {}) is None
    assert not work.session.in_transaction()  # read outside: no transaction begun
    work.session.execute(insert(members).values(id=7, name="cy", joined_at=T0))
    assert read_one(work.session, select(members.c.name), {}).name == "cy"  # its own write
    work.rollback()
    assert read_one(work.session, select(members.c.name), {}) is None
    # the pooled connections still run transactions as BEGIN IMMEDIATE with the driver's own
    # implicit transactions off: a write rolled back leaves nothing
    other = unit(engine, metadata)
    other.session.execute(insert(members).values(id=8, name="di", joined_at=T0))
    assert other.session.connection().connection.dbapi_connection.isolation_level is None
    other.rollback()
    with engine.connect() as conn:
        assert conn.execute(select(members.c.id)).all() == []


def test_erased_data_does_not_stay_in_the_sqlite_file(tmp_path):
    """An erasure (a closed account) zeroes the bytes SQLite frees, instead of leaving them in
    free pages of the file where a copy of the file would still show them. (The write-ahead
    log keeps old page images until SQLite writes over it after a checkpoint.)"""
    path = tmp_path / "erasure.sqlite3"
    metadata = MetaData()
    people = Table(
        "people", metadata, Column("id", Integer, primary_key=True), Column("email", String)
    )
    engine = make_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    secret = "erase-me-" + "x" * 64 + "@example.org"
    with engine.begin() as conn:
        conn.execute(insert(people), [{"id": n, "email": f"{n}-{secret}"} for n in range(200)])
    with engine.begin() as conn:
        conn.execute(people.delete())
    engine.dispose()  # the last connection to close moves the log into the file
    assert secret.encode() not in path.read_bytes()
