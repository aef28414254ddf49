from datetime import UTC, date, datetime, timedelta

import pytest
from loconomics_booking.domain.bookable_services import apply_listing_event
from loconomics_booking.domain.bookings import (
    cancel_booking,
    confirm_booking,
    create_booking,
    decline_booking,
    dispute_booking,
    report_no_show,
)
from loconomics_booking.domain.calendar_import import ImportOutcome, record_import, set_import_url
from loconomics_booking.domain.due_work import due_work
from loconomics_booking.domain.reschedules import answer_reschedule, reschedule_booking
from loconomics_booking.schemas import (
    EMITTED_EVENTS,
    BookingSchema,
    CreateBookingSchema,
    ListingEventSchema,
    ScheduleInputSchema,
    SlotsQuerySchema,
    TimeOffInputSchema,
)
from loconomics_plumbing.errors import Invalid
from loconomics_plumbing.validation import load

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
WED_10 = datetime(2026, 3, 4, 15, tzinfo=UTC)


def errors_of(schema, data) -> dict:
    with pytest.raises(Invalid) as refused:
        load(schema, data)
    return refused.value.errors


def test_schedule_input():
    loaded = load(
        ScheduleInputSchema(),
        {"time_zone": "America/New_York", "weekly": {"mon": [{"start": "09:00", "end": "24:00"}]}},
    )
    assert loaded["slot_increment_minutes"] == 15
    assert loaded["advance_notice_hours"] == 0
    errors = errors_of(
        ScheduleInputSchema(),
        {
            "time_zone": "Nowhere/Land",
            "weekly": {"funday": [], "tue": [{"start": "12:00", "end": "09:00"}]},
            "buffer_minutes": -5,
            "colour": "blue",
        },
    )
    assert {"time_zone", "buffer_minutes", "colour"} <= set(errors)
    assert any(key.startswith("weekly") for key in errors)


def test_time_off_input_is_one_kind_or_the_other():
    once = load(
        TimeOffInputSchema(), {"start": "2026-03-04T10:00:00Z", "end": "2026-03-04T12:00:00Z"}
    )
    assert once["start"] == datetime(2026, 3, 4, 10, tzinfo=UTC)
    weekly = load(
        TimeOffInputSchema(),
        {"weekday": "fri", "start_time": "12:00", "end_time": "13:00", "until": "2026-06-30"},
    )
    assert weekly["until"] == date(2026, 6, 30)
    assert "until" in errors_of(
        TimeOffInputSchema(), {"weekday": "fri", "start_time": "12:00", "end_time": "13:00"}
    )
    errors_of(
        TimeOffInputSchema(),
        {"start": "2026-03-04T10:00:00Z", "weekday": "fri", "end": "2026-03-04T12:00:00Z"},
    )
    assert "end" in errors_of(
        TimeOffInputSchema(), {"start": "2026-03-04T10:00:00Z", "end": "2026-03-04T09:00:00Z"}
    )


def test_booking_input_needs_an_offset_and_one_form():
    loaded = load(CreateBookingSchema(), {"service_id": "s", "start": "2026-03-04T10:00:00-05:00"})
    assert loaded["start"] == WED_10
    assert "start" in errors_of(
        CreateBookingSchema(), {"service_id": "s", "start": "2026-03-04T10:00:00"}
    )
    errors_of(CreateBookingSchema(), {"service_id": "s"})
    errors_of(
        CreateBookingSchema(),
        {
            "service_id": "s",
            "start": "2026-03-04T10:00:00Z",
            "proposed_starts": ["2026-03-04T11:00:00Z"],
        },
    )
    four = [f"2026-03-04T1{n}:00:00Z" for n in range(4)]
    assert "proposed_starts" in errors_of(
        CreateBookingSchema(), {"service_id": "s", "proposed_starts": four}
    )


def test_slots_query_reads_from_and_to():
    loaded = load(
        SlotsQuerySchema(),
        {
            "professional_id": "p",
            "service_id": "s",
            "from": "2026-03-04T00:00:00Z",
            "to": "2026-03-11T00:00:00Z",
        },
    )
    assert loaded["to"] - loaded["from_"] == timedelta(days=7)
    assert "to" in errors_of(
        SlotsQuerySchema(),
        {
            "professional_id": "p",
            "service_id": "s",
            "from": "2026-03-04T00:00:00Z",
            "to": "2026-03-03T00:00:00Z",
        },
    )


def test_listing_events_need_an_order_and_a_policy_for_services(listing, service_item):
    free_addon = service_item("svc-2", pricing_type="addon", price=None, duration_minutes=None)
    event = {**listing(services=[service_item(), free_addon]), "title": "extra fields are fine"}
    loaded = load(ListingEventSchema(), event)
    assert loaded["services"][0]["duration_minutes"] == 60
    assert loaded["services"][1]["price"] is None
    assert loaded["job_title_id"] == "massage-therapist"
    assert "version" in errors_of(ListingEventSchema(), {**listing(), "version": None})
    assert "cancellation_policy" in errors_of(
        ListingEventSchema(), {**listing(), "cancellation_policy": None}
    )


def test_every_emitted_event_matches_its_schema(
    session, emit, pro, client, other_client, listing, setup_pro
):
    setup_pro(instant=True)
    first = create_booking(session, emit, client, {"service_id": "svc-1", "start": WED_10}, NOW)
    reschedule_booking(session, emit, pro, first["id"], WED_10 + timedelta(days=1), NOW)
    answer_reschedule(session, emit, client, first["id"], False, NOW)
    reschedule_booking(session, emit, pro, first["id"], WED_10 + timedelta(days=1), NOW)
    answer_reschedule(session, emit, client, first["id"], True, NOW)
    reschedule_booking(session, emit, client, first["id"], WED_10, NOW)
    second = create_booking(
        session,
        emit,
        other_client,
        {"service_id": "svc-1", "start": WED_10 + timedelta(hours=2)},
        NOW,
    )
    cancel_booking(session, emit, other_client, second["id"], NOW)
    apply_listing_event(session, "listing_changed", listing(version=2), NOW)
    request = create_booking(
        session,
        emit,
        other_client,
        {"service_id": "svc-1", "start": WED_10 + timedelta(hours=4)},
        NOW,
    )
    decline_booking(session, emit, pro, request["id"], NOW, reason="Full")
    expiring = create_booking(
        session,
        emit,
        other_client,
        {"service_id": "svc-1", "start": WED_10 + timedelta(days=7)},
        NOW,
    )
    confirmed_later = create_booking(
        session, emit, client, {"service_id": "svc-1", "start": WED_10 + timedelta(days=2)}, NOW
    )
    confirm_booking(session, emit, pro, confirmed_later["id"], WED_10 + timedelta(days=2), NOW)
    reschedule_booking(
        session, emit, pro, confirmed_later["id"], WED_10 + timedelta(days=2, hours=1), NOW
    )
    due_work(session, emit, NOW + timedelta(hours=72))
    assert expiring["id"] == emit.last("booking_expired")["booking_id"]
    due_work(session, emit, WED_10 + timedelta(hours=2))
    dispute_booking(session, emit, client, first["id"], "Late", WED_10 + timedelta(hours=2))
    report_no_show(session, emit, pro, confirmed_later["id"], WED_10 + timedelta(days=2, hours=1))
    set_import_url(session, emit, pro, "https://example.org/c.ics", "https://x", NOW)
    record_import(
        session, emit, "pro-1", "https://example.org/c.ics", ImportOutcome(error="no"), NOW
    )
    later = create_booking(
        session, emit, client, {"service_id": "svc-1", "start": WED_10 + timedelta(days=14)}, NOW
    )
    confirm_booking(session, emit, pro, later["id"], WED_10 + timedelta(days=14), NOW)
    due_work(session, emit, WED_10 + timedelta(days=12))
    due_work(session, emit, WED_10 + timedelta(days=30))

    seen = set(emit.names())
    assert seen >= set(EMITTED_EVENTS) - {"schedule_changed"} - {"booking_reschedule_expired"}
    for name, payload in emit.events:
        assert name in EMITTED_EVENTS, name
        assert EMITTED_EVENTS[name]().validate(payload) == {}, (name, payload)
    assert BookingSchema().validate(first) == {}
