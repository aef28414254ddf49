import threading
from datetime import UTC, datetime, timedelta

import pytest
from loconomics_booking.domain.availability import set_schedule
from loconomics_booking.domain.bookable_services import apply_listing_event
from loconomics_booking.domain.bookings import confirm_booking, create_booking
from loconomics_booking.domain.occupancy import assert_free, flush_or_conflict
from loconomics_booking.models import Base, Booking, occupancy_guard_ddl
from loconomics_plumbing.errors import Conflict
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import make_engine
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

T0 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
EARLY = datetime(2026, 1, 1, tzinfo=UTC)


def row(booking_id: str, start: datetime, minutes: int = 60, buffer: int = 0, **fields) -> Booking:
    end = start + timedelta(minutes=minutes)
    values = {
        "id": booking_id,
        "client_id": "c",
        "professional_id": "pro-1",
        "service_id": "svc-1",
        "listing_id": "listing-1",
        "status": "confirmed",
        "start": start,
        "end": end,
        "occupied_start": start,
        "occupied_end": end + timedelta(minutes=buffer),
        "buffer_minutes": buffer,
        "time_zone": "UTC",
        "price_cents": 100,
        "currency": "USD",
        "policy": "flexible",
        "instant": True,
        "created_by": "client",
        "creator_id": "c",
        "proposed_starts": [],
        "created_at": EARLY,
        "updated_at": EARLY,
    }
    values.update(fields)
    return Booking(**values)


def test_assert_free_sees_overlaps_buffers_and_ignores_non_holding(session):
    session.add_all(
        [
            row("a", T0, buffer=15),
            row("b", T0 + timedelta(hours=3), status="requested"),
            row("c", T0 + timedelta(hours=5), status="cancelled"),
        ]
    )
    session.flush()
    with pytest.raises(Conflict):
        assert_free(session, "pro-1", T0 + timedelta(minutes=30), T0 + timedelta(hours=2))
    with pytest.raises(Conflict):  # inside a's buffer
        assert_free(session, "pro-1", T0 + timedelta(minutes=70), T0 + timedelta(hours=2))
    assert_free(session, "pro-1", T0 + timedelta(minutes=75), T0 + timedelta(hours=2))
    assert_free(session, "pro-1", T0 + timedelta(hours=3), T0 + timedelta(hours=6))
    assert_free(session, "pro-2", T0, T0 + timedelta(hours=1))
    assert_free(session, "pro-1", T0, T0 + timedelta(hours=1), exclude_booking_id="a")


def test_the_database_refuses_an_overlap_even_without_the_check(session):
    session.add(row("a", T0, buffer=15))
    session.flush()
    session.add(row("b", T0 + timedelta(minutes=70)))
    with pytest.raises(Conflict):
        flush_or_conflict(session)
    session.rollback()
    session.add_all([row("a", T0, buffer=15), row("b", T0 + timedelta(minutes=75))])
    flush_or_conflict(session)
    assert session.get(Booking, "b") is not None


def test_the_database_refuses_moving_or_confirming_into_an_overlap(session):
    session.add_all(
        [row("a", T0), row("b", T0 + timedelta(hours=2)), row("r", T0, status="requested")]
    )
    session.commit()
    session.get(Booking, "b").occupied_start = T0 + timedelta(minutes=30)
    with pytest.raises(Conflict):
        flush_or_conflict(session)
    session.rollback()
    session.get(Booking, "r").status = "confirmed"
    with pytest.raises(Conflict):
        flush_or_conflict(session)
    session.rollback()
    session.get(Booking, "r").status = "declined"
    flush_or_conflict(session)


def test_guard_ddl_exists_for_both_databases():
    postgres = " ".join(occupancy_guard_ddl("postgresql"))
    assert "EXCLUDE USING gist" in postgres
    assert "tstzrange(occupied_start, occupied_end, '[)') WITH &&" in postgres
    assert "btree_gist" in postgres
    assert "'confirmed'" in postgres and "'requested'" not in postgres
    sqlite = occupancy_guard_ddl("sqlite")
    assert len(sqlite) == 2 and all("RAISE(ABORT" in statement for statement in sqlite)
    with pytest.raises(ValueError):
        occupancy_guard_ddl("mysql")


def _file_database(tmp_path, engine_factory):
    engine = engine_factory(f"sqlite:///{tmp_path / 'booking.db'}")
    Base.metadata.create_all(engine)
    return engine


def test_stale_check_loses_to_the_trigger_in_a_second_connection(tmp_path):
    engine = _file_database(tmp_path, create_engine)
    first, second = Session(engine), Session(engine)
    assert_free(first, "pro-1", T0, T0 + timedelta(hours=1))
    assert_free(second, "pro-1", T0, T0 + timedelta(hours=1))
    first.add(row("a", T0))
    flush_or_conflict(first)
    first.commit()
    second.add(row("b", T0 + timedelta(minutes=30)))
    with pytest.raises(Conflict):
        flush_or_conflict(second)
    second.rollback()
    with Session(engine) as check:
        assert check.scalar(text("SELECT count(*) FROM bookings")) == 1
    first.close()
    second.close()
    engine.dispose()


def test_many_concurrent_instant_bookings_of_one_slot_make_exactly_one(tmp_path, listing):
    """Thirty clients at once, each in its own connection and transaction (the plumbing's
    BEGIN IMMEDIATE engine, as the service runs it): one booking, the rest Conflict."""
    engine = _file_database(tmp_path, make_engine)
    with Session(engine) as setup:
        pro = Caller("pro-1", frozenset({"professional"}))
        week = {day: [{"start": "09:00", "end": "17:00"}] for day in ("mon", "tue", "wed")}
        set_schedule(
            setup, lambda *e: None, pro, {"time_zone": "America/New_York", "weekly": week}, EARLY
        )
        apply_listing_event(setup, "listing_published", listing(instant=True), EARLY)
        setup.commit()
    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    outcomes: list[str] = []
    barrier = threading.Barrier(30)

    def attempt(number: int) -> None:
        caller = Caller(f"client-{number}", frozenset({"client"}))
        barrier.wait()
        with Session(engine) as db:
            try:
                create_booking(
                    db, lambda *e: None, caller, {"service_id": "svc-1", "start": T0}, now
                )
                db.commit()
                outcomes.append("booked")
            except Conflict:
                db.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked"] + ["conflict"] * 29
    with Session(engine) as check:
        assert check.scalar(text("SELECT count(*) FROM bookings WHERE status='confirmed'")) == 1
    engine.dispose()


def test_concurrent_confirmations_of_competing_requests_make_exactly_one(tmp_path, listing):
    engine = _file_database(tmp_path, make_engine)
    pro = Caller("pro-1", frozenset({"professional"}))
    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    with Session(engine) as setup:
        week = {day: [{"start": "09:00", "end": "17:00"}] for day in ("mon", "tue", "wed")}
        set_schedule(
            setup, lambda *e: None, pro, {"time_zone": "America/New_York", "weekly": week}, EARLY
        )
        apply_listing_event(setup, "listing_published", listing(), EARLY)
        requests = [
            create_booking(
                setup,
                lambda *e: None,
                Caller(f"client-{n}", frozenset({"client"})),
                {"service_id": "svc-1", "start": T0},
                now,
            )["id"]
            for n in range(12)
        ]
        setup.commit()
    outcomes: list[str] = []
    barrier = threading.Barrier(len(requests))

    def attempt(booking_id: str) -> None:
        barrier.wait()
        with Session(engine) as db:
            try:
                confirm_booking(db, lambda *e: None, pro, booking_id, T0, now)
                db.commit()
                outcomes.append("confirmed")
            except Conflict:
                db.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=attempt, args=(booking_id,)) for booking_id in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["confirmed"] + ["conflict"] * (len(requests) - 1)
    engine.dispose()
