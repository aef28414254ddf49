"""Everything the passing of time does to bookings, for a nameko timer to call.

Each kind of work is a small query for rows already due, handled in due order,
at most `limit` rows a kind per call, so one tick stays a short transaction and
a backlog (after downtime) drains over a few ticks. Every row changes state or
gets its `*_at` mark in the same transaction as its event, so each reminder and
review request goes out once. With several booking processes, PostgreSQL rows
are claimed with `FOR UPDATE SKIP LOCKED` (two timers never take the same rows)
and SQLite transactions are serialised by the write lock; the optimistic lock on
`version` turns any remaining race with a person's action into a rolled-back
tick that the next tick redoes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Booking
from . import policies
from .booking_views import event_payload
from .bookings import catch_up, mark_completed
from .lifecycle import AUTO_COMPLETE_AFTER, OPEN, Status, move
from .occupancy import flush_or_conflict
from .reschedules import lapse_pending

Emit = Callable[[str, dict], None]


def _due(session: Session, query, limit: int) -> list[Booking]:
    return list(session.scalars(query.limit(limit).with_for_update(skip_locked=True)))


def expire_requests(session: Session, emit: Emit, now: datetime, limit: int = 200) -> int:
    """Requests nobody confirmed in time: expired, everything refunded."""
    rows = _due(
        session,
        select(Booking)
        .where(Booking.status == Status.REQUESTED.value, Booking.expires_at <= now)
        .order_by(Booking.expires_at),
        limit,
    )
    for booking in rows:
        settlement = policies.full_refund(booking.price_cents)
        booking.status = move(booking.status, Status.EXPIRED).value
        booking.closed_at = now
        booking.closed_by = "system"
        booking.fee_cents = settlement.fee_cents
        booking.refund_cents = settlement.refund_cents
        booking.reschedule_start = booking.reschedule_by = booking.reschedule_expires_at = None
        booking.updated_at = now
        emit(
            "booking_expired",
            event_payload(
                booking,
                fee_cents=settlement.fee_cents,
                refund_cents=settlement.refund_cents,
                kept_percent=settlement.kept_percent,
            ),
        )
    return len(rows)


def lapse_reschedules(session: Session, emit: Emit, now: datetime, limit: int = 200) -> int:
    rows = _due(
        session,
        select(Booking)
        .where(
            Booking.status.in_([status.value for status in OPEN]),
            Booking.reschedule_expires_at <= now,
        )
        .order_by(Booking.reschedule_expires_at),
        limit,
    )
    for booking in rows:
        lapse_pending(booking, emit, now)
    return len(rows)


def perform_ended(session: Session, emit: Emit, now: datetime, limit: int = 200) -> int:
    """Confirmed bookings whose end has come are performed."""
    rows = _due(
        session,
        select(Booking)
        .where(Booking.status == Status.CONFIRMED.value, Booking.end <= now)
        .order_by(Booking.end),
        limit,
    )
    for booking in rows:
        catch_up(booking, emit, now)
    return len(rows)


def complete_undisputed(session: Session, emit: Emit, now: datetime, limit: int = 200) -> int:
    """Performed bookings nobody disputed within 72 h of the end are completed."""
    rows = _due(
        session,
        select(Booking)
        .where(Booking.status == Status.PERFORMED.value, Booking.end <= now - AUTO_COMPLETE_AFTER)
        .order_by(Booking.end),
        limit,
    )
    for booking in rows:
        mark_completed(booking, "system", now)
        emit("booking_completed", event_payload(booking, completed_by="system"))
    return len(rows)


def send_reminders(session: Session, emit: Emit, now: datetime, limit: int = 200) -> int:
    """One reminder per confirmed booking, 48 h before it starts (never after the start)."""
    rows = _due(
        session,
        select(Booking)
        .where(
            Booking.status == Status.CONFIRMED.value,
            Booking.reminder_due_at <= now,
            Booking.reminder_sent_at.is_(None),
            Booking.start > now,
        )
        .order_by(Booking.reminder_due_at),
        limit,
    )
    for booking in rows:
        booking.reminder_sent_at = now
        emit("booking_reminder_due", event_payload(booking))
    return len(rows)


def request_reviews(session: Session, emit: Emit, now: datetime, limit: int = 200) -> int:
    """One review request per performed or completed booking, a week after its end."""
    rows = _due(
        session,
        select(Booking)
        .where(
            Booking.status.in_([Status.PERFORMED.value, Status.COMPLETED.value]),
            Booking.review_due_at <= now,
            Booking.review_requested_at.is_(None),
        )
        .order_by(Booking.review_due_at),
        limit,
    )
    for booking in rows:
        booking.review_requested_at = now
        emit("booking_review_requested", event_payload(booking))
    return len(rows)


def due_work(session: Session, emit: Emit, now: datetime, limit: int = 200) -> dict[str, int]:
    """Run every kind of time-driven work once; returns how many bookings each touched."""
    done = {
        "expired": expire_requests(session, emit, now, limit),
        "reschedules_lapsed": lapse_reschedules(session, emit, now, limit),
        "performed": perform_ended(session, emit, now, limit),
        "completed": complete_undisputed(session, emit, now, limit),
        "reminders": send_reminders(session, emit, now, limit),
        "review_requests": request_reviews(session, emit, now, limit),
    }
    flush_or_conflict(session)
    return done
