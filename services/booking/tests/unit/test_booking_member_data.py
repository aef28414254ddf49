"""A member's copy of their data: every section, only their rows, no secret, every table
accounted for (docs/data-export.md)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from loconomics_booking.domain.member_data import (
    NOTHING_TO_SHOW,
    SECTIONS,
    SECTIONS_BY_TABLE,
    export_member_data,
)
from loconomics_booking.models import (
    Base,
    BookableService,
    Booking,
    BusyInterval,
    CalendarLink,
    ListingState,
    Schedule,
    TimeOff,
    WeeklyTimeOffRule,
)
from loconomics_booking.schemas import MemberDataSchema
from loconomics_plumbing.errors import Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.member_data import unaccounted_tables
from loconomics_plumbing.storage import session_factory

MEMBER = "member-1"
OTHER = "member-2"
THIRD = "member-3"
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WED_10 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # 10:00 in New York
EXPORT_TOKEN = "export-token-of-member-1-b7Jq9x2LwPz4"
OTHER_TOKEN = "export-token-of-member-2-Kd83mQx0aVt1"
IDEMPOTENCY_KEY = "idem-key-member-1-5f2c"
FINGERPRINT = "f1ngerpr1nt0f1dempotentrequest0000000000000000000000000000000000"
DOCUMENTED_SECTIONS = [
    "schedule",
    "time_off",
    "weekly_time_off",
    "calendar_link",
    "busy_intervals",
    "bookable_services",
    "bookings_as_client",
    "bookings_as_professional",
]
WEEKLY = {"mon": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]}


def iso(instant: datetime) -> str:
    return instant.isoformat()


def exported(session, account_id: str) -> dict:
    """What the entrypoint answers: the domain's part dumped by the envelope schema."""
    return MemberDataSchema().dump(export_member_data(session, account_id))


def records(export: dict, section: str) -> list[dict]:
    return export["sections"][section]["records"]


def booking(
    booking_id: str,
    *,
    client_id: str,
    professional_id: str,
    start: datetime = WED_10,
    created_at: datetime = T0,
    service_id: str = "svc-m1",
    **fields,
) -> Booking:
    row = {
        "id": booking_id,
        "client_id": client_id,
        "professional_id": professional_id,
        "service_id": service_id,
        "listing_id": "listing-m1",
        "status": "confirmed",
        "start": start,
        "end": start + timedelta(hours=1),
        "occupied_start": start,
        "occupied_end": start + timedelta(hours=1, minutes=15),
        "buffer_minutes": 15,
        "time_zone": "America/New_York",
        "price_cents": 12_500,
        "currency": "USD",
        "policy": "moderate",
        "instant": False,
        "created_by": "client",
        "creator_id": client_id,
        "proposed_starts": [start.isoformat()],
        "created_at": created_at,
        "updated_at": created_at,
    }
    row.update(fields)
    return Booking(**row)


def professional_time(session, account_id: str, tag: str, token: str) -> None:
    """A professional's schedule, time off, calendar link, busy time and one service."""
    session.add_all(
        [
            Schedule(
                professional_id=account_id,
                time_zone="America/New_York",
                weekly=WEEKLY,
                advance_notice_hours=2,
                buffer_minutes=15,
                slot_increment_minutes=30,
                updated_at=T0,
            ),
            TimeOff(
                id=f"off-{tag}",
                professional_id=account_id,
                start=datetime(2026, 3, 10, 14, tzinfo=UTC),
                end=datetime(2026, 3, 12, 14, tzinfo=UTC),
                note=f"holiday of {tag}",
                created_at=T0,
            ),
            WeeklyTimeOffRule(
                id=f"weekly-{tag}",
                professional_id=account_id,
                weekday=2,
                start_time="12:00",
                end_time="13:30",
                until=date(2026, 6, 30),
                note=f"lunch of {tag}",
                created_at=T0,
            ),
            CalendarLink(
                professional_id=account_id,
                export_token=token,
                import_url=f"https://calendar.example.org/private/{tag}.ics",
                import_status="failing",
                import_error="HTTP 500",
                import_checked_at=T0,
                import_succeeded_at=T0 - timedelta(hours=1),
                import_failures=1,
                import_next_at=T0 + timedelta(minutes=30),
                updated_at=T0,
            ),
            BusyInterval(
                id=f"busy-{tag}",
                professional_id=account_id,
                start=datetime(2026, 3, 5, 15, tzinfo=UTC),
                end=datetime(2026, 3, 5, 16, tzinfo=UTC),
                source_uid=f"dentist-{tag}@calendar.example.org",
            ),
            BookableService(
                service_id=f"svc-{tag}",
                listing_id=f"listing-{tag}",
                professional_id=account_id,
                name=f"Massage by {tag}",
                duration_minutes=60,
                price_cents=12_500,
                currency="USD",
                pricing_type="service",
                sessions=None,
                first_time_clients_only=False,
                visible_to_client_id=None,
                policy="moderate",
                instant_booking=False,
                active=True,
                updated_at=T0,
            ),
            ListingState(
                listing_id=f"listing-{tag}",
                professional_id=account_id,
                version=3,
                changed_at=T0,
                removed=False,
                updated_at=T0,
            ),
        ]
    )


@pytest.fixture
def world(session):
    """member-1 as professional and client, member-2 likewise with member-3, one booking
    between member-1 and member-2 (each side of it disputed by member-2)."""
    professional_time(session, MEMBER, "m1", EXPORT_TOKEN)
    professional_time(session, OTHER, "m2", OTHER_TOKEN)
    session.add_all(
        [
            # member-1 professional, member-3 client: cancelled late by the client
            booking(
                "bk-m1-pro",
                client_id=THIRD,
                professional_id=MEMBER,
                created_at=T0 + timedelta(minutes=5),
                status="cancelled",
                confirmed_at=T0 + timedelta(minutes=6),
                closed_at=T0 + timedelta(days=1),
                closed_by="client",
                close_reason="ill with flu m1",
                fee_cents=12_500,
                refund_cents=0,
                idempotency_key=IDEMPOTENCY_KEY,
                request_fingerprint=FINGERPRINT,
            ),
            # member-1 client of member-2: a request with a pending reschedule (made first)
            booking(
                "bk-m1-client",
                client_id=MEMBER,
                professional_id=OTHER,
                service_id="svc-m2",
                listing_id="listing-m2",
                status="requested",
                start=WED_10 + timedelta(days=1),
                proposed_starts=[
                    iso(WED_10 + timedelta(days=1)),
                    iso(WED_10 + timedelta(days=2)),
                ],
                expires_at=T0 + timedelta(hours=72),
                reschedule_start=WED_10 + timedelta(days=3),
                reschedule_by="professional",
                reschedule_expires_at=T0 + timedelta(hours=48),
                created_at=T0,
            ),
            # member-2 professional for member-1, disputed by member-2: member-1 does not see
            # member-2's reason
            booking(
                "bk-m1-disputed",
                client_id=MEMBER,
                professional_id=OTHER,
                service_id="svc-m2",
                listing_id="listing-m2",
                status="disputed",
                start=WED_10 - timedelta(days=7),
                created_at=T0 + timedelta(minutes=10),
                performed_at=WED_10 - timedelta(days=7) + timedelta(hours=1),
                reminder_sent_at=WED_10 - timedelta(days=9),
                disputed_at=WED_10 - timedelta(days=6),
                disputed_by="professional",
                dispute_reason="reason written by member-2 for the admin",
            ),
            # member-2 and member-3 only
            booking(
                "bk-m2-only",
                client_id=THIRD,
                professional_id=OTHER,
                service_id="svc-m2",
                listing_id="listing-m2",
                start=WED_10 + timedelta(days=20),
                price_cents=77_777,
                close_reason="between member-2 and member-3",
            ),
        ]
    )
    session.flush()
    return session


def test_every_section_holds_the_members_rows_with_their_values(world):
    export = exported(world, MEMBER)

    assert export["service"] == "booking"
    assert list(export["sections"]) == DOCUMENTED_SECTIONS
    assert records(export, "schedule") == [
        {
            "time_zone": "America/New_York",
            "weekly": WEEKLY,
            "advance_notice_hours": 2,
            "buffer_minutes": 15,
            "slot_increment_minutes": 30,
            "updated_at": "2026-03-02T12:00:00+00:00",
        }
    ]
    assert records(export, "time_off") == [
        {
            "id": "off-m1",
            "start": "2026-03-10T14:00:00+00:00",
            "end": "2026-03-12T14:00:00+00:00",
            "note": "holiday of m1",
            "created_at": "2026-03-02T12:00:00+00:00",
        }
    ]
    assert records(export, "weekly_time_off") == [
        {
            "id": "weekly-m1",
            "weekday": "wed",
            "start_time": "12:00",
            "end_time": "13:30",
            "until": "2026-06-30",
            "note": "lunch of m1",
            "created_at": "2026-03-02T12:00:00+00:00",
        }
    ]
    assert records(export, "calendar_link") == [
        {
            "export_feed": True,
            "import_url": "https://calendar.example.org/private/m1.ics",
            "import_status": "failing",
            "import_error": "HTTP 500",
            "import_checked_at": "2026-03-02T12:00:00+00:00",
            "import_succeeded_at": "2026-03-02T11:00:00+00:00",
            "import_failures": 1,
            "import_next_at": "2026-03-02T12:30:00+00:00",
            "updated_at": "2026-03-02T12:00:00+00:00",
        }
    ]
    assert records(export, "busy_intervals") == [
        {
            "id": "busy-m1",
            "start": "2026-03-05T15:00:00+00:00",
            "end": "2026-03-05T16:00:00+00:00",
            "source_uid": "dentist-m1@calendar.example.org",
        }
    ]
    assert records(export, "bookable_services") == [
        {
            "service_id": "svc-m1",
            "listing_id": "listing-m1",
            "name": "Massage by m1",
            "pricing_type": "service",
            "duration_minutes": 60,
            "sessions": None,
            "price_cents": 12_500,
            "currency": "USD",
            "policy": "moderate",
            "instant_booking": False,
            "first_time_clients_only": False,
            "visible_to_client_id": None,
            "active": True,
            "updated_at": "2026-03-02T12:00:00+00:00",
        }
    ]

    as_professional = records(export, "bookings_as_professional")
    assert [item["id"] for item in as_professional] == ["bk-m1-pro"]
    assert as_professional[0] == {
        "id": "bk-m1-pro",
        "client_id": THIRD,
        "professional_id": MEMBER,
        "service_id": "svc-m1",
        "service_name": "Massage by m1",
        "listing_id": "listing-m1",
        "status": "cancelled",
        "start": "2026-03-04T15:00:00+00:00",
        "end": "2026-03-04T16:00:00+00:00",
        "time_zone": "America/New_York",
        "price_cents": 12_500,
        "currency": "USD",
        "policy": "moderate",
        "instant": False,
        "created_by": "client",
        "proposed_starts": ["2026-03-04T15:00:00+00:00"],
        "expires_at": None,
        "confirmed_at": "2026-03-02T12:06:00+00:00",
        "reschedule_start": None,
        "reschedule_end": None,
        "reschedule_proposed_by": None,
        "reschedule_expires_at": None,
        "reminder_sent_at": None,
        "performed_at": None,
        "completed_at": None,
        "completed_by": None,
        "disputed_at": None,
        "disputed_by": None,
        "dispute_reason": None,
        "review_requested_at": None,
        "closed_at": "2026-03-03T12:00:00+00:00",
        "closed_by": "client",
        "close_reason": "ill with flu m1",
        "fee_cents": 12_500,
        "refund_cents": 0,
        "created_at": "2026-03-02T12:05:00+00:00",
        "updated_at": "2026-03-02T12:05:00+00:00",
    }

    as_client = records(export, "bookings_as_client")
    assert [item["id"] for item in as_client] == ["bk-m1-client", "bk-m1-disputed"]  # oldest first
    request, disputed = as_client
    assert (request["client_id"], request["professional_id"]) == (MEMBER, OTHER)
    assert request["service_name"] == "Massage by m2"
    assert request["status"] == "requested"
    assert request["proposed_starts"] == [
        "2026-03-05T15:00:00+00:00",
        "2026-03-06T15:00:00+00:00",
    ]
    assert request["expires_at"] == "2026-03-05T12:00:00+00:00"
    assert (
        request["reschedule_start"],
        request["reschedule_end"],
        request["reschedule_proposed_by"],
        request["reschedule_expires_at"],
    ) == (
        "2026-03-07T15:00:00+00:00",
        "2026-03-07T16:00:00+00:00",
        "professional",
        "2026-03-04T12:00:00+00:00",
    )
    assert (disputed["status"], disputed["disputed_by"], disputed["disputed_at"]) == (
        "disputed",
        "professional",
        "2026-02-26T15:00:00+00:00",
    )
    assert disputed["performed_at"] == "2026-02-25T16:00:00+00:00"
    assert disputed["reminder_sent_at"] == "2026-02-23T15:00:00+00:00"


def test_the_side_that_disputed_sees_its_reason_the_other_does_not(world):
    def reason(account_id: str, section: str) -> str | None:
        (item,) = [
            item
            for item in records(exported(world, account_id), section)
            if item["id"] == "bk-m1-disputed"
        ]
        return item["dispute_reason"]

    assert reason(OTHER, "bookings_as_professional") == "reason written by member-2 for the admin"
    assert reason(MEMBER, "bookings_as_client") is None
    assert "reason written by member-2" not in json.dumps(exported(world, MEMBER))


def test_another_members_rows_never_appear(world):
    text = json.dumps(exported(world, MEMBER))

    for value in (
        "off-m2",
        "holiday of m2",
        "weekly-m2",
        "lunch of m2",
        "https://calendar.example.org/private/m2.ics",
        "busy-m2",
        "dentist-m2@calendar.example.org",
        "bk-m2-only",
        "77777",
        "between member-2 and member-3",
    ):
        assert value not in text, value
    export = exported(world, MEMBER)
    assert [item["service_id"] for item in records(export, "bookable_services")] == ["svc-m1"]
    assert len(records(export, "schedule")) == len(records(export, "calendar_link")) == 1

    theirs = json.dumps(exported(world, OTHER))
    for value in (
        "off-m1",
        "holiday of m1",
        "private/m1.ics",
        "busy-m1",
        "bk-m1-pro",
        "ill with flu",
    ):
        assert value not in theirs, value
    assert '"bk-m1-client"' in theirs  # the booking they share, from member-2's side


def test_no_secret_is_exported(world):
    export = exported(world, MEMBER)
    text = json.dumps(export)

    assert EXPORT_TOKEN not in text
    assert OTHER_TOKEN not in text
    assert IDEMPOTENCY_KEY not in text
    assert FINGERPRINT not in text
    assert records(export, "calendar_link")[0]["export_feed"] is True


def test_a_member_with_nothing_gets_every_section_empty(world):
    export = exported(world, "member-without-anything")

    assert export["service"] == "booking"
    assert list(export["sections"]) == DOCUMENTED_SECTIONS
    for name, section in export["sections"].items():
        assert section["records"] == [], name
        assert section["about"].strip(), name


def test_every_table_feeds_a_section_or_says_why_it_holds_nothing_of_a_member():
    assert unaccounted_tables(Base.metadata, SECTIONS_BY_TABLE, NOTHING_TO_SHOW) == {}
    assert {"outbox_events", "processed_events", "listing_states"} <= set(NOTHING_TO_SHOW)
    assert all(reason.strip() for reason in NOTHING_TO_SHOW.values())
    fed = {section for sections in SECTIONS_BY_TABLE.values() for section in sections}
    assert fed == set(SECTIONS) == set(DOCUMENTED_SECTIONS)


# --- through the entrypoint -----------------------------------------------------------------


def test_the_entrypoint_answers_for_the_caller_only(engine, worker):
    with session_factory(engine)() as session:
        professional_time(session, MEMBER, "m1", EXPORT_TOKEN)
        professional_time(session, OTHER, "m2", OTHER_TOKEN)
        session.commit()

    export = worker(Caller(MEMBER, frozenset({"professional"}))).export_member_data()

    assert json.loads(json.dumps(export)) == export
    assert list(export["sections"]) == DOCUMENTED_SECTIONS
    assert [item["id"] for item in records(export, "time_off")] == ["off-m1"]
    assert records(export, "calendar_link")[0]["export_feed"] is True
    assert EXPORT_TOKEN not in json.dumps(export)
    assert "m2" not in json.dumps(export)


def test_no_caller_is_unauthorized(engine, worker):
    with pytest.raises(Unauthorized):
        worker(Caller()).export_member_data()
