"""The entrypoints through nameko's worker_factory: input loading, views, events, the counter."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from loconomics_booking import service as booking_service
from loconomics_booking.models import Base, BookableService, BusyInterval, CalendarLink
from loconomics_booking.service import BOOKINGS_CREATED, BookingService, feed_base_url
from loconomics_plumbing.errors import Conflict, Invalid, NotFound, Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import session_factory
from nameko.testing.services import worker_factory
from sqlalchemy import select, update

PRO = Caller("pro-9", frozenset({"professional"}))
CLIENT = Caller("client-9", frozenset({"client"}))
ALL_WEEK = {
    day: [{"start": "00:00", "end": "24:00"}]
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
FEED = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:busy-1\r\n"
    b"DTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


class Worker:
    """One worker of the service; a failed call rolls back, as nameko's `worker_result` does."""

    def __init__(self, service: BookingService):
        self.service = service

    def __getattr__(self, name: str):
        method = getattr(self.service, name)

        def call(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except Exception:
                self.service.db.rollback()
                raise

        return call


def as_(caller: Caller, units) -> Worker:
    return Worker(worker_factory(BookingService, db=units(), caller=caller))


def read(engine, query) -> list:
    """Rows of a query in a short transaction of its own (SQLite serialises them all)."""
    with session_factory(engine)() as session:
        return list(session.execute(query))


def outbox(engine) -> list[tuple[str, dict]]:
    table = Base.metadata.tables["outbox_events"]
    rows = read(engine, select(table.c.event_type, table.c.payload).order_by(table.c.created_at))
    return [(kind, json.loads(payload)) for kind, payload in rows]


def publish_listing(units, instant: bool = True, version: int = 1) -> None:
    """A listing_published event as profiles sends it, through the handler."""
    handler = as_(Caller(), units)
    handler.on_listing_published(
        {
            "event_id": f"evt-{version}",
            "occurred_at": "2026-01-01T00:00:00+00:00",
            "listing_id": "listing-9",
            "professional_id": PRO.user_id,
            "job_title_id": "massage-therapist",
            "status": "on",
            "cancellation_policy": "moderate",
            "instant_booking": instant,
            "version": version,
            "services": [
                {
                    "service_id": "svc-9",
                    "name": "Massage",
                    "pricing_type": "service",
                    "price": {"amount_cents": 8_000, "currency": "USD"},
                    "duration_minutes": 60,
                    "sessions": None,
                    "first_time_clients_only": False,
                    "visible_to_client_id": None,
                }
            ],
            "service_area": None,
        }
    )


def next_hour(hours: int) -> datetime:
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return base + timedelta(hours=hours)


def created(status: str) -> float:
    return BOOKINGS_CREATED.labels(status)._value.get()


def test_schedule_slots_and_an_instant_booking_through_the_entrypoints(units, engine):
    schedule = as_(PRO, units).set_schedule(time_zone="UTC", weekly=ALL_WEEK)
    assert schedule["slot_increment_minutes"] == 15
    assert as_(CLIENT, units).get_schedule(professional_id=PRO.user_id)["time_zone"] == "UTC"
    assert as_(PRO, units).get_schedule()["weekly"]["mon"] == [{"start": "00:00", "end": "24:00"}]
    with pytest.raises(Unauthorized):
        as_(Caller(), units).get_schedule()
    publish_listing(units)
    start = next_hour(30)
    window = {"from": start.isoformat(), "to": (start + timedelta(hours=2)).isoformat()}
    slots = as_(Caller(), units).find_slots(
        professional_id=PRO.user_id, service_id="svc-9", **window
    )
    assert slots["items"][0] == start.isoformat()
    before = created("confirmed")
    booking = as_(CLIENT, units).create_booking(
        service_id="svc-9", start=start.isoformat(), idempotency_key="k-1"
    )
    assert booking["status"] == "confirmed"
    assert booking["price"] == {"amount_cents": 8_000, "currency": "USD"}
    again = as_(CLIENT, units).create_booking(
        service_id="svc-9", start=start.isoformat(), idempotency_key="k-1"
    )
    assert again["id"] == booking["id"]
    assert created("confirmed") == before + 1
    with pytest.raises(Conflict):
        as_(Caller("client-10", frozenset({"client"})), units).create_booking(
            service_id="svc-9", start=start.isoformat()
        )
    later = as_(Caller(), units).find_slots(
        professional_id=PRO.user_id, service_id="svc-9", **window
    )
    assert start.isoformat() not in later["items"]
    kinds = [kind for kind, _ in outbox(engine)]
    assert kinds == ["schedule_changed", "booking_confirmed"]


def test_a_repeated_listing_event_is_applied_once(units, engine):
    publish_listing(units, instant=False, version=3)
    publish_listing(units, instant=True, version=3)
    [(service,)] = read(engine, select(BookableService))
    assert service.instant_booking is False
    assert service.policy == "moderate"


def test_inputs_are_loaded_with_their_schemas(units):
    as_(PRO, units).set_schedule(time_zone="UTC", weekly=ALL_WEEK)
    with pytest.raises(Invalid) as refused:
        as_(PRO, units).set_schedule(time_zone="Mars/Olympus", weekly={}, colour="blue")
    assert {"time_zone", "colour"} <= set(refused.value.errors)
    with pytest.raises(Invalid) as naive:
        as_(CLIENT, units).create_booking(service_id="svc-9", start="2026-03-04T10:00:00")
    assert "start" in naive.value.errors
    off = as_(PRO, units).add_time_off(
        start=next_hour(2).isoformat(), end=next_hour(4).isoformat(), note="Dentist"
    )
    assert off["kind"] == "once"
    weekly = as_(PRO, units).add_time_off(
        weekday="fri", start_time="12:00", end_time="13:00", until="2099-01-01"
    )
    assert weekly["kind"] == "weekly"
    listed = as_(PRO, units).list_time_off()["items"]
    assert [item["id"] for item in listed] == [off["id"], weekly["id"]]
    as_(PRO, units).remove_time_off(time_off_id=off["id"])
    with pytest.raises(NotFound):
        as_(PRO, units).remove_time_off(time_off_id=off["id"])


def test_a_request_confirmed_then_expiry_and_reminder_on_the_timer(units, engine, monkeypatch):
    as_(PRO, units).set_schedule(time_zone="UTC", weekly=ALL_WEEK)
    publish_listing(units, instant=False)
    first, second = next_hour(100), next_hour(101)
    before = created("requested")
    request = as_(CLIENT, units).create_booking(
        service_id="svc-9", proposed_starts=[first.isoformat(), second.isoformat()]
    )
    assert request["status"] == "requested"
    assert created("requested") == before + 1
    confirmed = as_(PRO, units).confirm_booking(booking_id=request["id"], start=second.isoformat())
    assert confirmed["start"] == second.isoformat()
    waiting = as_(CLIENT, units).create_booking(
        service_id="svc-9", proposed_starts=[next_hour(120).isoformat()]
    )
    moved = datetime.now(UTC) + timedelta(hours=73)
    monkeypatch.setattr(booking_service.clock, "now", lambda: moved)
    as_(Caller(), units).run_due_work()
    assert as_(CLIENT, units).get_booking(booking_id=waiting["id"])["status"] == "expired"
    reminders = [payload for kind, payload in outbox(engine) if kind == "booking_reminder_due"]
    assert [payload["booking_id"] for payload in reminders] == [request["id"]]
    as_(Caller(), units).run_due_work()
    assert len([kind for kind, _ in outbox(engine) if kind == "booking_reminder_due"]) == 1


def test_cancellation_terms_and_quote_follow_the_policy(units, engine):
    as_(PRO, units).set_schedule(time_zone="UTC", weekly=ALL_WEEK)
    publish_listing(units)
    start = next_hour(10)
    terms = as_(Caller(), units).cancellation_terms(service_id="svc-9", start=start.isoformat())
    assert terms["policy"] == "moderate"
    assert [tier["kept_percent"] for tier in terms["tiers"]] == [0, 100]
    booking = as_(CLIENT, units).create_booking(service_id="svc-9", start=start.isoformat())
    quote = as_(CLIENT, units).cancellation_quote(booking_id=booking["id"])
    assert quote["fee"] == {"amount_cents": 8_000, "currency": "USD"}
    cancelled = as_(CLIENT, units).cancel_booking(booking_id=booking["id"], reason="Sick")
    assert cancelled["settlement"]["fee"]["amount_cents"] == 8_000
    assert outbox(engine)[-1][1]["fee_cents"] == 8_000


def test_the_export_feed_and_its_token(units):
    settings = as_(PRO, units).calendar_settings()
    assert settings["export_url"].startswith(feed_base_url() + "/")
    token = settings["export_url"].rsplit("/", 1)[1].removesuffix(".ics")
    feed = as_(Caller(), units).calendar_feed(token=token)
    assert Calendar.from_ical(feed).get("prodid") is not None
    renewed = as_(PRO, units).reset_calendar_token()
    assert renewed["export_url"] != settings["export_url"]
    with pytest.raises(NotFound):
        as_(Caller(), units).calendar_feed(token=token)


def test_the_import_timer_reads_outside_transactions_and_records(units, engine, monkeypatch):
    as_(PRO, units).set_schedule(time_zone="UTC", weekly=ALL_WEEK)
    as_(PRO, units).set_calendar_import(import_url="https://calendar.example.org/me.ics")
    busy_start = next_hour(5)
    stamp = "%Y%m%dT%H%M%SZ"
    document = FEED.replace(b"{start}", busy_start.strftime(stamp).encode()).replace(
        b"{end}", (busy_start + timedelta(hours=1)).strftime(stamp).encode()
    )
    reads: list[str] = []

    def serve(url: str, timeout: float, max_bytes: int) -> bytes:
        reads.append(url)
        return document

    monkeypatch.setattr(booking_service, "read_calendar", serve)
    as_(Caller(), units).refresh_calendars()
    assert reads == ["https://calendar.example.org/me.ics"]
    busy = read(engine, select(BusyInterval.start, BusyInterval.end))
    assert busy == [(busy_start, busy_start + timedelta(hours=1))]
    assert as_(PRO, units).calendar_settings()["import_status"] == "ok"

    def broken(url: str, timeout: float, max_bytes: int) -> bytes:
        return b"this is not a calendar"

    monkeypatch.setattr(booking_service, "read_calendar", broken)
    with session_factory(engine)() as session:
        session.execute(update(CalendarLink).values(import_next_at=None))
        session.commit()
    as_(Caller(), units).refresh_calendars()
    settings = as_(PRO, units).calendar_settings()
    assert settings["import_status"] == "failing"
    assert "iCalendar" in settings["import_error"]
    assert len(read(engine, select(BusyInterval.id))) == 1
    assert outbox(engine)[-1][0] == "calendar_import_failed"


def test_search_learns_who_has_a_free_start_in_a_window(units):
    as_(PRO, units).set_schedule(time_zone="UTC", weekly=ALL_WEEK)
    publish_listing(units)
    start = next_hour(30)
    window = {"from": start.isoformat(), "to": (start + timedelta(hours=1)).isoformat()}
    ask = {"professional_ids": [PRO.user_id, "pro-without-services"], **window}
    assert as_(Caller(), units).professionals_with_free_slots(**ask) == {
        "professional_ids": [PRO.user_id]
    }
    as_(CLIENT, units).create_booking(service_id="svc-9", start=start.isoformat())
    assert as_(Caller(), units).professionals_with_free_slots(**ask) == {"professional_ids": []}
    with pytest.raises(Invalid) as raised:
        as_(Caller(), units).professionals_with_free_slots(
            professional_ids=[PRO.user_id] * 26, **window
        )
    assert "professional_ids" in raised.value.errors
