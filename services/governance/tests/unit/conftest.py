"""Fixtures for governance's unit tests: an in-memory database, an emit that checks every
event against its schema, callers, and a quick way to enrol members."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from loconomics_governance.domain.members import record_member_status
from loconomics_governance.models import Base
from loconomics_governance.schemas import EVENT_SCHEMAS
from loconomics_plumbing import clock
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import UnitOfWork
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ADMIN = Caller("admin-1", frozenset({"admin"}))


class Recorder:
    """A list-appending emit; every payload must be JSON and match its event schema."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def __call__(self, name: str, payload: dict) -> None:
        assert name in EVENT_SCHEMAS, f"{name} has no event schema"
        json.dumps(payload)
        EVENT_SCHEMAS[name]().load(payload)
        self.events.append((name, payload))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def all(self, name: str) -> list[dict]:
        return [payload for event_name, payload in self.events if event_name == name]

    def last(self, name: str) -> dict:
        found = self.all(name)
        assert found, f"no {name} emitted; got {self.names()}"
        return found[-1]

    def clear(self) -> None:
        self.events.clear()


@pytest.fixture
def session() -> Session:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as db:
        yield db
    engine.dispose()


@pytest.fixture
def emit() -> Recorder:
    return Recorder()


@pytest.fixture
def t0() -> datetime:
    """Noon UTC on 1 March 2025: 'now' at the start of most tests."""
    return T0


@pytest.fixture
def admin() -> Caller:
    return ADMIN


@pytest.fixture
def as_member():
    def caller(user_id: str) -> Caller:
        return Caller(user_id, frozenset({"professional"}))

    return caller


@pytest.fixture
def enrol(session: Session):
    """Make each user an active member since `at` (thirty days before T0 by default)."""

    def enrol_members(*user_ids: str, at: datetime = T0 - timedelta(days=30)) -> None:
        for user_id in user_ids:
            record_member_status(
                session, lambda *_: None, user_id, "active", at, name=f"Name {user_id}", now=at
            )

    return enrol_members


@pytest.fixture
def unit():
    """A unit of work, as a worker gets, on a fresh in-memory governance database."""
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    Base.metadata.create_all(engine)
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    yield UnitOfWork(session, Base.metadata, clock=clock.now)
    session.close()
    engine.dispose()
