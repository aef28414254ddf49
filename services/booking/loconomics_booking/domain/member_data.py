"""Booking's part of a member's copy of their data (`docs/data-export.md`).

A member is a professional (their schedule, time off, calendar link, imported busy time,
bookable services and the bookings made with them) and a client (the bookings they made),
often both, so every section is answered for every member, empty where they have nothing.

The records are plain dicts of the fields the member owns or sees in the app; the
per-section schemas in `schemas.py` dump them, so nothing reaches the file by reflecting
on a model. Left out on purpose: the calendar's export token (the feed's only secret: the
section says `export_feed` instead), and of a booking the bookkeeping that is neither
theirs nor shown: the optimistic-lock version, the idempotency key and request
fingerprint of the client's app, the occupied interval and the buffer it adds (the
professional's setting, in `schedule`; clients do not see it), and the due times of
reminders and review requests (their sending is exported).
The reason a member gives for disputing a booking is for the administrator who decides:
it goes to that member's own copy, not to the other party's.
"""

from __future__ import annotations

from datetime import datetime

from loconomics_plumbing.member_data import member_data_part
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    BookableService,
    Booking,
    BusyInterval,
    CalendarLink,
    Schedule,
    TimeOff,
    WeeklyTimeOffRule,
)
from .local_time import WEEKDAYS

SERVICE = "booking"

ABOUT = {
    "schedule": "Your weekly hours as a professional, in your time zone, with the advance "
    "notice, buffer and slot step: booking offers clients only these times.",
    "time_off": "One-off time off you entered; no slot is offered during it.",
    "weekly_time_off": "Time off that repeats every week (wall-clock times in your zone) "
    "until the date you chose.",
    "calendar_link": "The calendar you import busy time from (the address as you gave it) "
    "and how its last reads went; export_feed says whether you have a secret calendar feed "
    "of your bookings (its address is not in this file: anyone holding it can read the feed).",
    "busy_intervals": "Busy times read from your imported calendar, kept so no client books "
    "you over them; replaced at every good read.",
    "bookable_services": "Booking's copy of your listed services (from your listings): what a "
    "client can book, for how long, at which price and under which cancellation policy.",
    "bookings_as_client": "Bookings you made or were booked for as a client, with their "
    "status, times, price, cancellation policy and any fee or refund; the professional "
    "appears by their account id.",
    "bookings_as_professional": "Bookings clients made with you (or you made for them), with "
    "their status, times, price, cancellation policy and any fee or refund; the client "
    "appears by their account id.",
}
SECTIONS = tuple(ABOUT)

SECTIONS_BY_TABLE: dict[str, tuple[str, ...]] = {
    "schedules": ("schedule",),
    "time_off": ("time_off",),
    "weekly_time_off": ("weekly_time_off",),
    "calendar_links": ("calendar_link",),
    "busy_intervals": ("busy_intervals",),
    "bookable_services": ("bookable_services",),
    "bookings": ("bookings_as_client", "bookings_as_professional"),
}
"""The tables that feed the member's sections, by table name."""

NOTHING_TO_SHOW: dict[str, str] = {
    "listing_states": "The newest profiles listing event applied per listing (listing id, "
    "professional id, event version and time, removed or not), kept only to ignore late or "
    "repeated events; it copies what profiles keeps of the listing and exports in its "
    "`listings` section, and the listings' services are in `bookable_services`.",
    "blocked_pairs": "Booking's copy of the blocks between members (who blocked whom, blocked "
    "or lifted, when), kept from notifications' events only to refuse a booking across a "
    "block; notifications keeps the blocks and exports a member's in its `blocks` section.",
    "suspended_accounts": "Booking's copy of whether an account is suspended (suspended or "
    "reinstated, when), kept from profiles' events only to refuse a booking with a suspended "
    "member; profiles keeps the suspensions and exports a member's in its `suspensions` "
    "section.",
    "outbox_events": "Events booking sent to the other services, a relay log: each payload "
    "is the booking, schedule or calendar state of the moment, which the sections above "
    "export from the rows themselves.",
    "processed_events": "Ids of the events booking's handlers already applied (handler and "
    "event id, when), so a redelivery changes nothing; nothing of a member.",
}
"""The tables that hold nothing of a member's to show, and why."""


def export_member_data(session: Session, account_id: str) -> dict:
    """Everything booking keeps about the account, one section per kind of row."""
    records = {
        "schedule": _schedule(session, account_id),
        "time_off": _time_off(session, account_id),
        "weekly_time_off": _weekly_time_off(session, account_id),
        "calendar_link": _calendar_link(session, account_id),
        "busy_intervals": _busy_intervals(session, account_id),
        "bookable_services": _bookable_services(session, account_id),
        "bookings_as_client": _bookings(session, account_id, "client"),
        "bookings_as_professional": _bookings(session, account_id, "professional"),
    }
    return member_data_part(SERVICE, ABOUT, records)


def _schedule(session: Session, account_id: str) -> list[dict]:
    row = session.get(Schedule, account_id)
    if row is None:
        return []
    return [
        {
            "time_zone": row.time_zone,
            "weekly": row.weekly or {},
            "advance_notice_hours": row.advance_notice_hours,
            "buffer_minutes": row.buffer_minutes,
            "slot_increment_minutes": row.slot_increment_minutes,
            "updated_at": row.updated_at,
        }
    ]


def _time_off(session: Session, account_id: str) -> list[dict]:
    rows = session.scalars(
        select(TimeOff)
        .where(TimeOff.professional_id == account_id)
        .order_by(TimeOff.created_at, TimeOff.id)
    )
    return [
        {
            "id": row.id,
            "start": row.start,
            "end": row.end,
            "note": row.note,
            "created_at": row.created_at,
        }
        for row in rows
    ]


def _weekly_time_off(session: Session, account_id: str) -> list[dict]:
    rows = session.scalars(
        select(WeeklyTimeOffRule)
        .where(WeeklyTimeOffRule.professional_id == account_id)
        .order_by(WeeklyTimeOffRule.created_at, WeeklyTimeOffRule.id)
    )
    return [
        {
            "id": row.id,
            "weekday": WEEKDAYS[row.weekday],
            "start_time": row.start_time,
            "end_time": row.end_time,
            "until": row.until,
            "note": row.note,
            "created_at": row.created_at,
        }
        for row in rows
    ]


def _calendar_link(session: Session, account_id: str) -> list[dict]:
    link = session.get(CalendarLink, account_id)
    if link is None:
        return []
    return [
        {
            "export_feed": bool(link.export_token),
            "import_url": link.import_url,
            "import_status": link.import_status,
            "import_error": link.import_error,
            "import_checked_at": link.import_checked_at,
            "import_succeeded_at": link.import_succeeded_at,
            "import_failures": link.import_failures,
            "import_next_at": link.import_next_at,
            "updated_at": link.updated_at,
        }
    ]


def _busy_intervals(session: Session, account_id: str) -> list[dict]:
    rows = session.scalars(
        select(BusyInterval)
        .where(BusyInterval.professional_id == account_id)
        .order_by(BusyInterval.start, BusyInterval.id)
    )
    return [
        {"id": row.id, "start": row.start, "end": row.end, "source_uid": row.source_uid}
        for row in rows
    ]


def _bookable_services(session: Session, account_id: str) -> list[dict]:
    rows = session.scalars(
        select(BookableService)
        .where(BookableService.professional_id == account_id)
        .order_by(BookableService.updated_at, BookableService.service_id)
    )
    return [
        {
            "service_id": row.service_id,
            "listing_id": row.listing_id,
            "name": row.name,
            "pricing_type": row.pricing_type,
            "duration_minutes": row.duration_minutes,
            "sessions": row.sessions,
            "price_cents": row.price_cents,
            "currency": row.currency,
            "policy": row.policy,
            "instant_booking": row.instant_booking,
            "first_time_clients_only": row.first_time_clients_only,
            "visible_to_client_id": row.visible_to_client_id,
            "active": row.active,
            "updated_at": row.updated_at,
        }
        for row in rows
    ]


def _bookings(session: Session, account_id: str, side: str) -> list[dict]:
    party = Booking.client_id if side == "client" else Booking.professional_id
    rows = list(
        session.scalars(
            select(Booking).where(party == account_id).order_by(Booking.created_at, Booking.id)
        )
    )
    names = _service_names(session, {row.service_id for row in rows})
    return [_booking_record(row, side, names.get(row.service_id)) for row in rows]


def _service_names(session: Session, service_ids: set[str]) -> dict[str, str]:
    if not service_ids:
        return {}
    return dict(
        session.execute(
            select(BookableService.service_id, BookableService.name).where(
                BookableService.service_id.in_(service_ids)
            )
        ).all()
    )


def _booking_record(row: Booking, side: str, service_name: str | None) -> dict:
    reschedule_end = (
        row.reschedule_start + (row.end - row.start) if row.reschedule_start is not None else None
    )
    return {
        "id": row.id,
        "client_id": row.client_id,
        "professional_id": row.professional_id,
        "service_id": row.service_id,
        "service_name": service_name,
        "listing_id": row.listing_id,
        "status": row.status,
        "start": row.start,
        "end": row.end,
        "time_zone": row.time_zone,
        "price_cents": row.price_cents,
        "currency": row.currency,
        "policy": row.policy,
        "instant": row.instant,
        "created_by": row.created_by,
        "proposed_starts": [datetime.fromisoformat(start) for start in row.proposed_starts or []],
        "expires_at": row.expires_at,
        "confirmed_at": row.confirmed_at,
        "reschedule_start": row.reschedule_start,
        "reschedule_end": reschedule_end,
        "reschedule_proposed_by": row.reschedule_by,
        "reschedule_expires_at": row.reschedule_expires_at,
        "reminder_sent_at": row.reminder_sent_at,
        "performed_at": row.performed_at,
        "completed_at": row.completed_at,
        "completed_by": row.completed_by,
        "disputed_at": row.disputed_at,
        "disputed_by": row.disputed_by,
        "dispute_reason": row.dispute_reason if row.disputed_by == side else None,
        "review_requested_at": row.review_requested_at,
        "closed_at": row.closed_at,
        "closed_by": row.closed_by,
        "close_reason": row.close_reason,
        "fee_cents": row.fee_cents,
        "refund_cents": row.refund_cents,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }
