"""Fixtures for the notifications unit tests: an in-memory database, callers, events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import Base
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Who:
    user_id: str | None
    roles: set[str] = field(default_factory=set)


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as db:
        yield db
    engine.dispose()


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def emitted() -> list[tuple[str, dict]]:
    return []


@pytest.fixture
def emit(emitted: list[tuple[str, dict]]) -> Callable[[str, dict], None]:
    return lambda name, payload: emitted.append((name, payload))


_ids = count(1)


def event_id() -> str:
    return f"ev{next(_ids):06d}"


def account_event(
    account_id: str,
    name: str,
    *,
    language: str = "en",
    roles: tuple[str, ...] = ("client",),
    time_zone: str | None = None,
    email: str | None = None,
    occurred_at: datetime = NOW,
    event: str | None = None,
) -> dict:
    return {
        "event_id": event or event_id(),
        "occurred_at": occurred_at.isoformat(),
        "account_id": account_id,
        "email": email or f"{account_id}@example.org",
        "name": name,
        "language": language,
        "roles": list(roles),
        "time_zone": time_zone,
    }


def booking_event(
    *,
    booking_id: str = "bk1",
    client_id: str = "client1",
    professional_id: str = "pro1",
    start: datetime = datetime(2026, 3, 10, 21, 30, tzinfo=UTC),
    minutes: int = 60,
    time_zone: str = "America/Los_Angeles",
    occurred_at: datetime = NOW,
    event: str | None = None,
    **extra,
) -> dict:
    return {
        "event_id": event or event_id(),
        "occurred_at": occurred_at.isoformat(),
        "booking_id": booking_id,
        "client_id": client_id,
        "professional_id": professional_id,
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=minutes)).isoformat(),
        "time_zone": time_zone,
        "service_name": "Haircut",
        "price": {"amount_cents": 1900, "currency": "USD"},
        **extra,
    }


@pytest.fixture
def make_account() -> Callable[..., dict]:
    """Builds an `account_created`/`account_changed` payload."""
    return account_event


@pytest.fixture
def make_booking() -> Callable[..., dict]:
    """Builds a booking event payload (1 h Haircut at 13:30 Los Angeles time by default)."""
    return booking_event


@pytest.fixture
def people(session: Session, now: datetime) -> dict[str, Who]:
    """A French-speaking client in Paris and an English-speaking professional in Los Angeles."""
    handle_event(
        session,
        "account_created",
        account_event("client1", "Chloé Martin", language="fr-CA", time_zone="Europe/Paris"),
        now,
    )
    handle_event(
        session,
        "account_created",
        account_event(
            "pro1", "Pat Rivera", roles=("professional",), time_zone="America/Los_Angeles"
        ),
        now,
    )
    handle_event(session, "account_created", account_event("stranger", "Sam Other"), now)
    return {
        "client": Who("client1", {"client"}),
        "pro": Who("pro1", {"professional"}),
        "stranger": Who("stranger", {"client"}),
        "admin": Who("admin1", {"admin"}),
        "nobody": Who(None),
    }
