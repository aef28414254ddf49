"""Fixtures for booking's unit tests: an in-memory database, a recording emit, callers,
a professional with a schedule and a service ready to be booked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from loconomics_booking.domain.availability import set_schedule
from loconomics_booking.domain.bookable_services import apply_listing_event
from loconomics_booking.models import Base
from loconomics_booking.service import BookingService
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import UnitOfWork, make_engine, session_factory
from nameko.testing.services import worker_factory
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

PRO_ID = "pro-1"
CLIENT_ID = "client-1"
OTHER_CLIENT_ID = "client-2"
SERVICE_ID = "svc-1"
LISTING_ID = "listing-1"


class Recorder:
    """A list-appending emit with a few ways to look at what was emitted."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def __call__(self, name: str, payload: dict) -> None:
        self.events.append((name, payload))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def last(self, name: str) -> dict:
        for event_name, payload in reversed(self.events):
            if event_name == name:
                return payload
        raise AssertionError(f"no {name} emitted; got {self.names()}")

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
def pro() -> Caller:
    return Caller(PRO_ID, frozenset({"professional"}))


@pytest.fixture
def client() -> Caller:
    return Caller(CLIENT_ID, frozenset({"client"}))


@pytest.fixture
def other_client() -> Caller:
    return Caller(OTHER_CLIENT_ID, frozenset({"client"}))


@pytest.fixture
def admin() -> Caller:
    return Caller("admin-1", frozenset({"admin"}))


def listing_payload(
    *,
    version: int = 1,
    policy: str = "flexible",
    instant: bool = False,
    services: list[dict] | None = None,
    listing_id: str = LISTING_ID,
    professional_id: str = PRO_ID,
    status: str = "on",
) -> dict:
    """A listing event as profiles emits it (`listings.listing_payload` there)."""
    return {
        "listing_id": listing_id,
        "professional_id": professional_id,
        "job_title_id": "massage-therapist",
        "status": status,
        "cancellation_policy": policy,
        "instant_booking": instant,
        "version": version,
        "services": services if services is not None else [listed_service()],
        "service_area": None,
    }


def listed_service(service_id: str = SERVICE_ID, **fields) -> dict:
    service = {
        "service_id": service_id,
        "name": "Deep tissue massage",
        "pricing_type": "service",
        "price": {"amount_cents": 10_000, "currency": "USD"},
        "duration_minutes": 60,
        "sessions": None,
        "first_time_clients_only": False,
        "visible_to_client_id": None,
    }
    service.update(fields)
    return service


@pytest.fixture
def listing() -> Callable[..., dict]:
    """Build a profiles listing event payload (see `listing_payload`)."""
    return listing_payload


@pytest.fixture
def service_item() -> Callable[..., dict]:
    """Build one service of a listing event (see `listed_service`)."""
    return listed_service


WEEKDAYS_9_TO_17 = {
    day: [{"start": "09:00", "end": "17:00"}] for day in ("mon", "tue", "wed", "thu", "fri")
}


@pytest.fixture
def setup_pro(session: Session, pro: Caller) -> Callable[..., None]:
    """Give the professional a schedule and a listed service (flexible, by request unless told)."""

    def make(
        *,
        policy: str = "flexible",
        instant: bool = False,
        time_zone: str = "America/New_York",
        weekly: dict | None = None,
        buffer_minutes: int = 0,
        advance_notice_hours: int = 0,
        duration_minutes: int = 60,
        price_cents: int = 10_000,
    ) -> None:
        noise: list = []
        set_schedule(
            session,
            lambda *event: noise.append(event),
            pro,
            {
                "time_zone": time_zone,
                "weekly": weekly if weekly is not None else WEEKDAYS_9_TO_17,
                "advance_notice_hours": advance_notice_hours,
                "buffer_minutes": buffer_minutes,
                "slot_increment_minutes": 15,
            },
            datetime(2026, 1, 1, tzinfo=UTC),
        )
        payload = listing_payload(policy=policy, instant=instant)
        payload["services"][0]["duration_minutes"] = duration_minutes
        payload["services"][0]["price"]["amount_cents"] = price_cents
        apply_listing_event(session, "listing_published", payload, datetime(2026, 1, 1, tzinfo=UTC))
        session.flush()

    return make


@pytest.fixture
def engine(tmp_path):
    """A booking database in a file, which several units of work share (as copies do)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'booking.sqlite3'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def units(engine) -> Iterator[Callable[[], UnitOfWork]]:
    """`units()`: a fresh unit of work per call, as nameko gives each worker."""
    made: list[UnitOfWork] = []

    def unit() -> UnitOfWork:
        made.append(UnitOfWork(session_factory(engine)(), Base.metadata))
        return made[-1]

    yield unit
    for work in made:
        work.close()


@pytest.fixture
def worker(units) -> Callable[..., BookingService]:
    """`worker(caller)`: a worker of the service with a unit of work of its own."""

    def make(caller: Caller = Caller()) -> BookingService:
        return worker_factory(BookingService, db=units(), caller=caller)

    return make
