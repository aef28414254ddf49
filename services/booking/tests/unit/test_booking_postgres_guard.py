"""The no-overlap rule on PostgreSQL: the exclusion constraint, under real concurrency.

Uses the project's throwaway PostgreSQL (`postgres_url`: a fresh database per test).
"""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from loconomics_booking.domain.availability import set_schedule
from loconomics_booking.domain.bookable_services import apply_listing_event
from loconomics_booking.domain.bookings import create_booking
from loconomics_booking.domain.due_work import due_work
from loconomics_booking.domain.occupancy import flush_or_conflict
from loconomics_booking.models import Base, Booking
from loconomics_plumbing.errors import Conflict
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import make_engine
from polling import wait_for
from sqlalchemy import text
from sqlalchemy.orm import Session

pytestmark = pytest.mark.postgres

EARLY = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
T0 = datetime(2026, 3, 4, 15, tzinfo=UTC)  # Wednesday 10:00 New York


@pytest.fixture
def engine(postgres_url):
    engine = make_engine(postgres_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _ready(engine, listing_payload) -> None:
    pro = Caller("pro-1", frozenset({"professional"}))
    with Session(engine) as db:
        set_schedule(
            db,
            lambda *event: None,
            pro,
            {
                "time_zone": "America/New_York",
                "weekly": {"wed": [{"start": "09:00", "end": "17:00"}]},
            },
            EARLY,
        )
        apply_listing_event(db, "listing_published", listing_payload(instant=True), EARLY)
        db.commit()


def _book(db: Session, client: str) -> dict:
    """`client` books svc-1 at T0 in `db`'s transaction, left uncommitted."""
    return create_booking(
        db,
        lambda *event: None,
        Caller(client, frozenset({"client"})),
        {"service_id": "svc-1", "start": T0},
        NOW,
    )


def _try_booking(engine, client: str, outcomes: list[str]) -> None:
    """`client` books svc-1 at T0 in a transaction of its own: "booked" or "conflict"."""
    with Session(engine) as db:
        try:
            _book(db, client)
            db.commit()
            outcomes.append("booked")
        except Conflict:
            db.rollback()
            outcomes.append("conflict")


def test_the_exclusion_constraint_is_installed(engine):
    with engine.connect() as connection:
        definition = connection.execute(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'bookings_no_overlap'"
            )
        ).scalar_one()
    assert definition.startswith("EXCLUDE USING gist")


def test_fifty_concurrent_bookings_of_one_slot_make_exactly_one(engine, listing):
    _ready(engine, listing)
    outcomes: list[str] = []
    barrier = threading.Barrier(50)

    def attempt(number: int) -> None:
        barrier.wait()
        _try_booking(engine, f"client-{number}", outcomes)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked"] + ["conflict"] * 49


def _locks_waited_for(engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(text("SELECT locktype FROM pg_locks WHERE NOT granted")))


def test_a_second_booking_of_the_slot_waits_for_the_professionals_time_not_in_the_constraint(
    engine, listing
):
    """The later of two bookings of one professional waits before its check, on the
    professional's lock, and is refused by the check; it never waits inside the exclusion
    constraint, where such waits deadlock (49 of 50 did in a CI run)."""
    _ready(engine, listing)
    first = Session(engine)
    _book(first, "client-1")  # not committed yet
    outcome: list[str] = []
    thread = threading.Thread(target=_try_booking, args=(engine, "client-2", outcome))
    thread.start()
    try:
        wait_for(
            lambda: _locks_waited_for(engine) == ["advisory"],
            "the second booking waiting on the professional's lock",
            timeout=10,
            explain=lambda: f"waiting on: {_locks_waited_for(engine)}",
        )
    finally:
        first.commit()
        first.close()
        thread.join(timeout=10)
    assert outcome == ["conflict"]
    with Session(engine) as db:
        assert db.scalar(text("SELECT count(*) FROM bookings")) == 1


def test_an_overlap_written_past_the_check_is_refused(engine, listing):
    _ready(engine, listing)
    with Session(engine) as db:
        booked = _book(db, "client-1")
        db.commit()
        original = db.get(Booking, booked["id"])
        columns = [c.key for c in Booking.__table__.columns if c.key not in ("id", "version")]
        clone = Booking(**{key: getattr(original, key) for key in columns})
        clone.id = "overlapping"
        clone.idempotency_key = None
        clone.occupied_start = original.occupied_start + timedelta(minutes=30)
        db.add(clone)
        with pytest.raises(Conflict):
            flush_or_conflict(db)


def test_due_work_runs_on_postgres(engine, listing):
    _ready(engine, listing)
    events: list[str] = []
    with Session(engine) as db:
        _book(db, "client-1")
        db.commit()
        done = due_work(db, lambda name, payload: events.append(name), T0 + timedelta(hours=2))
        db.commit()
    assert done["performed"] == 1
    assert events == ["booking_performed"]
