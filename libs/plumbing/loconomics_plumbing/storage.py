"""Engines, the unit of work, and the two tables every service database carries.

`outbox_events` holds events written in the same transaction as the change that
caused them (the relay publishes them afterwards); `processed_events` remembers
which events a handler already applied, so a redelivery changes nothing.
Plain SQLAlchemy: no transport here.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Index,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from .green_drivers import wait_cooperatively

OUTBOX = "outbox_events"
PROCESSED = "processed_events"
# an execution option: on SQLite, a connection that runs its statements outside a transaction
OUTSIDE_TRANSACTION = "loconomics_outside_transaction"


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite (which forgets the zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; every stored time is aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def add_plumbing_tables(metadata: MetaData) -> None:
    """Give a service's metadata the outbox and processed-events tables (for Alembic too)."""
    if OUTBOX in metadata.tables:
        return
    Table(
        OUTBOX,
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("claimed_by", String(36), nullable=True),
        Column("claimed_until", UtcDateTime(), nullable=True),
        Column("published_at", UtcDateTime(), nullable=True),
        Index("ix_outbox_events_pending", "published_at", "created_at"),
    )
    Table(
        PROCESSED,
        metadata,
        Column("handler_key", String(200), primary_key=True),
        Column("processed_at", UtcDateTime(), nullable=False),
    )


WAL_SWITCH_TRIES = 100


def _use_wal(cursor: Any) -> None:
    """Put the database file in WAL mode, which it keeps; a no-op once it is.

    Switching needs the file to itself, and SQLite refuses it at once ("database is locked")
    rather than waiting when another process has it open mid-transaction. That happens when
    several processes open a new file together, as gunicorn's workers each creating the
    gateway's tables: the refused worker failed to boot and took the gateway down. The switch
    is retried until the file is in WAL mode, whoever switched it.
    """
    for attempt in range(WAL_SWITCH_TRIES):
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == WAL_SWITCH_TRIES - 1:
                raise
            time.sleep(0.05)


def make_engine(url: str) -> Engine:
    """An engine whose transactions serialise writers on SQLite and keep PostgreSQL pooled.

    SQLite runs every transaction as BEGIN IMMEDIATE, so a check-then-write (no
    double booking, one vote) holds across processes sharing the file; a green
    lock per process keeps one greenlet from blocking the others in SQLite's busy wait.
    On PostgreSQL under eventlet, psycopg waits through the green `select` (`green_drivers`).
    """
    if not url.startswith("sqlite"):
        wait_cooperatively(url)
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    writer = threading.Lock()
    holder: dict[str, int | None] = {"thread": None}

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
            _use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # an erasure (a closed account) zeroes what it frees, rather than leave it in the file
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    def _release(info: dict) -> None:
        if info.pop("writer_lock_held", False):
            holder["thread"] = None
            writer.release()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        if conn.get_execution_options().get(OUTSIDE_TRANSACTION):
            return  # `read_one`: each statement commits by itself (the driver begins nothing)
        if holder["thread"] == threading.get_ident():
            raise RuntimeError(
                "This thread already has a transaction open on this SQLite database: "
                "finish it (commit or rollback) before starting another session."
            )
        writer.acquire()
        holder["thread"] = threading.get_ident()
        conn.info["writer_lock_held"] = True
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    def _commit(conn: Any) -> None:
        _release(conn.info)

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Any) -> None:
        _release(conn.info)

    @event.listens_for(engine.pool, "reset")
    def _reset(_dbapi: Any, record: Any, _state: Any = None) -> None:
        _release(record.info)

    @event.listens_for(engine.pool, "close")
    def _close(_dbapi: Any, record: Any) -> None:
        _release(record.info)

    return engine


def read_one(session: Session, statement: Any, params: dict) -> Any:
    """The first row of one statement that only reads, outside a transaction where it can be.

    One statement sees one consistent state of the database on SQLite as on PostgreSQL, so a
    read made of one statement needs no transaction. Outside one it costs no BEGIN and no
    COMMIT, and on SQLite it takes neither this process's writer lock nor the database's write
    lock (every transaction here is BEGIN IMMEDIATE), so the most frequent reads never queue
    behind a writer or each other. A session that has begun, or holds changes not yet
    flushed, is read through as it is: a worker sees its own changes.
    """
    if session.in_transaction() or session.new or session.dirty or session.deleted:
        session.flush()
        return session.connection().execute(statement, params).first()
    engine = session.get_bind()
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # SQLAlchemy's AUTOCOMMIT would hand the connection back to the pool with the
            # driver's own implicit transactions on; `make_engine` keeps them off for good
            connection.execution_options(**{OUTSIDE_TRANSACTION: True})
        else:
            connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection.execute(statement, params).first()


def hold_until_commit(session: Session, key: str) -> None:
    """Wait for, then keep until this transaction ends, the lock named `key`.

    For rules about something that may have no row yet to lock (a person not heard of, a
    professional's free time): two transactions naming the same key run one after the other,
    so the later one reads what the earlier wrote. PostgreSQL takes an advisory lock on the
    key's hash (two keys sharing a hash only wait for each other, briefly). SQLite needs
    none: every transaction here holds the database's write lock (BEGIN IMMEDIATE).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def utc_now() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    """One worker's session, plus the outbox and the processed-events memory bound to it."""

    def __init__(
        self,
        session: Session | None,
        metadata: MetaData,
        on_commit: Callable[[], None] | None = None,
        clock: Callable[[], datetime] = utc_now,
        sessions: Callable[[], Session] | None = None,
    ):
        """`session`, or None and `sessions` to open one only when the worker first uses it
        (a call that never touches the database then costs no session)."""
        if session is None and sessions is None:
            raise ValueError("give a session or a session factory")
        self._session = session
        self._sessions = sessions
        self._outbox = metadata.tables[OUTBOX]
        self._processed = metadata.tables[PROCESSED]
        self._on_commit = on_commit
        self._clock = clock
        self._emitted = 0

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self._sessions()
        return self._session

    def emit(self, event_type: str, payload: dict) -> dict:
        """Record an event in this transaction; the relay publishes it after commit."""
        event_id = str(uuid.uuid4())
        occurred_at = self._clock()
        body = {**payload, "event_id": event_id, "occurred_at": occurred_at.isoformat()}
        self.session.execute(
            insert(self._outbox).values(
                event_id=event_id,
                event_type=event_type,
                payload=json.dumps(body, default=str),
                created_at=occurred_at,
            )
        )
        self._emitted += 1
        return body

    def first_time(self, handler_key: str) -> bool:
        """True once per key: the caller applies the event only then, in this same transaction."""
        seen = self.session.execute(
            select(self._processed.c.handler_key).where(
                self._processed.c.handler_key == handler_key
            )
        ).first()
        if seen:
            return False
        try:
            with self.session.begin_nested():
                self.session.execute(
                    insert(self._processed).values(
                        handler_key=handler_key, processed_at=self._clock()
                    )
                )
        except IntegrityError:
            return False
        return True

    def commit(self) -> None:
        session = self._session
        if session is not None and session.in_transaction():  # a call that read or wrote
            session.commit()  # nothing has no transaction to end
        if self._emitted and self._on_commit:
            self._on_commit()
        self._emitted = 0

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
        self._emitted = 0

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
