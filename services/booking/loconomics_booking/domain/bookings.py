"""Booking state changes a person asks for: book, confirm, decline, cancel, complete, dispute.

Each function checks who may act, moves the state through the lifecycle table,
settles money through the policy, writes through `flush_or_conflict` (so the
database's no-overlap rule and the optimistic lock speak as `Conflict`) and emits
exactly one event per change. The caller's unit of work commits, or rolls back
on any error, taking the events with it.

Choices worth knowing:

* A professional booking their own client gets a confirmed booking at once, at
  any free time they choose (outside their weekly hours too: it is their time),
  but never overlapping another booking.
* A client books only starts the slots query offers (schedule, notice, time off,
  buffers, imported busy time all apply).
* A request expires 72 h after it is made, or at its latest proposed start if
  that comes first (it cannot be confirmed after that anyway).
* Time-driven moves (`performed` at the end) are caught up on demand, so a client
  completing a booking a minute after its end does not wait for the timer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from loconomics_plumbing.identity import Caller
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import BookableService, Booking, Schedule, new_id
from . import blocks, policies, suspensions
from .availability import bookable_service, is_bookable_start
from .booking_views import booking_view, event_payload, side_of
from .lifecycle import (
    HOLDING,
    REMINDER_BEFORE,
    REQUEST_LIFETIME,
    REVIEW_REQUEST_AFTER,
    Status,
    move,
)
from .local_time import as_utc
from .occupancy import assert_free, flush_or_conflict, occupied_interval

Emit = Callable[[str, dict], None]

NOT_AVAILABLE = "This time is not available."


def _fingerprint(data: dict) -> str:
    body = {key: value for key, value in data.items() if key != "idempotency_key"}
    text = json.dumps(body, sort_keys=True, default=lambda value: value.astimezone(UTC).isoformat())
    return hashlib.sha256(text.encode()).hexdigest()


def _replayed(session: Session, creator_id: str, data: dict) -> Booking | None:
    """The booking a repeated request made, or None; the same key with another body is 422."""
    key = data.get("idempotency_key")
    if not key:
        return None
    booking = session.scalars(
        select(Booking).where(Booking.creator_id == creator_id, Booking.idempotency_key == key)
    ).first()
    if booking is not None and booking.request_fingerprint != _fingerprint(data):
        raise Invalid(
            "This Idempotency-Key was used for a different booking request.",
            {"idempotency_key": ["Already used with a different body."]},
        )
    return booking


def _pro_settings(session: Session, professional_id: str) -> tuple[str, int]:
    schedule = session.get(Schedule, professional_id)
    if schedule is None:
        return "UTC", 0
    return schedule.time_zone, schedule.buffer_minutes


def set_time(booking: Booking, start: datetime, duration: timedelta, buffer_minutes: int) -> None:
    booking.start = start
    booking.end = start + duration
    booking.buffer_minutes = buffer_minutes
    booking.occupied_start, booking.occupied_end = occupied_interval(
        booking.start, booking.end, buffer_minutes
    )


def schedule_follow_ups(booking: Booking, now: datetime) -> None:
    """Set when the reminder and the review request fall due for the booking's current time.

    A booking confirmed less than 48 h ahead gets no separate reminder: the
    confirmation itself is the reminder.
    """
    reminder_at = booking.start - REMINDER_BEFORE
    booking.reminder_due_at = reminder_at if reminder_at > now else None
    booking.reminder_sent_at = None
    booking.review_due_at = booking.end + REVIEW_REQUEST_AFTER


def _checked_starts(data: dict) -> list[datetime]:
    if data.get("start") is not None and data.get("proposed_starts"):
        raise Invalid(
            "Give either start or proposed_starts.",
            {"start": ["Not with proposed_starts."], "proposed_starts": ["Not with start."]},
        )
    given = [data["start"]] if data.get("start") is not None else data.get("proposed_starts")
    starts = [as_utc(start) for start in given or []]
    if not 1 <= len(starts) <= 3:
        raise field_error("proposed_starts", "Propose one to three starts.")
    if len(set(starts)) != len(starts):
        raise field_error("proposed_starts", "Proposed starts must differ.")
    return starts


def create_booking(session: Session, emit: Emit, caller: Caller, data: dict, now: datetime) -> dict:
    """Book a service: confirmed at once (instant listing, or the professional booking
    their client) or requested with one to three proposed starts."""
    user_id = caller.require_user()
    replay = _replayed(session, user_id, data)
    if replay is not None:
        return booking_view(replay)
    service = bookable_service(session, data["service_id"])
    starts = _checked_starts(data)
    if user_id == service.professional_id:
        return _book_own_client(session, emit, caller, service, data, starts, now)
    caller.require_role("client")
    if data.get("client_id") not in (None, user_id):
        raise Forbidden("Only the professional of this service may book for someone else.")
    _check_offer(session, service, user_id)
    suspensions.check_not_suspended(session, user_id, service.professional_id)
    blocks.check_bookable_between(session, user_id, service.professional_id, by_professional=False)
    if service.instant_booking:
        if len(starts) != 1:
            raise field_error("proposed_starts", "This listing books instantly: give one start.")
        if not is_bookable_start(session, service, starts[0], now):
            raise Conflict(NOT_AVAILABLE, {"start": [NOT_AVAILABLE]})
        booking = _new_booking(session, service, user_id, "client", user_id, data, starts, now)
        confirm_at(booking, starts[0], now)
        return hold_and_emit(session, emit, booking, "booking_confirmed")
    unavailable = [
        start.isoformat() for start in starts if not is_bookable_start(session, service, start, now)
    ]
    if unavailable:
        raise Conflict(
            NOT_AVAILABLE,
            {"proposed_starts": [f"{start}: {NOT_AVAILABLE}" for start in unavailable]},
        )
    booking = _new_booking(session, service, user_id, "client", user_id, data, starts, now)
    booking.status = Status.REQUESTED.value
    booking.expires_at = min(now + REQUEST_LIFETIME, max(starts))
    session.add(booking)
    _flush_new(session)
    emit(
        "booking_requested",
        event_payload(
            booking,
            proposed_starts=list(booking.proposed_starts),
            expires_at=booking.expires_at.isoformat(),
        ),
    )
    return booking_view(booking)


def _check_offer(session: Session, service: BookableService, client_id: str) -> None:
    """A service offered to one client only, or to first-time clients only, stays so."""
    if service.visible_to_client_id not in (None, client_id):
        raise NotFound("No such bookable service.")
    if service.first_time_clients_only:
        earlier = session.scalars(
            select(Booking.id)
            .where(
                Booking.client_id == client_id,
                Booking.professional_id == service.professional_id,
                Booking.status.in_([status.value for status in HOLDING]),
            )
            .limit(1)
        ).first()
        if earlier is not None:
            raise Forbidden("This offer is for first-time clients of this professional.")


def _book_own_client(
    session: Session,
    emit: Emit,
    caller: Caller,
    service: BookableService,
    data: dict,
    starts: list[datetime],
    now: datetime,
) -> dict:
    professional_id = caller.require_role("professional")
    client_id = data.get("client_id")
    if not client_id:
        raise field_error("client_id", "Name the client you are booking for.")
    if client_id == professional_id:
        raise field_error("client_id", "A professional cannot book themselves.")
    if len(starts) != 1:
        raise field_error("proposed_starts", "Book your client at one start.")
    if starts[0] <= now:
        raise field_error("start", "Must be in the future.")
    _check_offer(session, service, client_id)
    suspensions.check_not_suspended(session, client_id, professional_id)
    blocks.check_bookable_between(session, client_id, professional_id, by_professional=True)
    booking = _new_booking(
        session, service, client_id, "professional", professional_id, data, starts, now
    )
    confirm_at(booking, starts[0], now)
    return hold_and_emit(session, emit, booking, "booking_confirmed")


def _new_booking(
    session: Session,
    service: BookableService,
    client_id: str,
    created_by: str,
    creator_id: str,
    data: dict,
    starts: list[datetime],
    now: datetime,
) -> Booking:
    time_zone, buffer_minutes = _pro_settings(session, service.professional_id)
    booking = Booking(
        id=new_id(),
        client_id=client_id,
        professional_id=service.professional_id,
        service_id=service.service_id,
        listing_id=service.listing_id,
        time_zone=time_zone,
        price_cents=service.price_cents,
        currency=service.currency,
        policy=service.policy,
        instant=service.instant_booking,
        created_by=created_by,
        creator_id=creator_id,
        proposed_starts=[start.isoformat() for start in starts],
        idempotency_key=data.get("idempotency_key"),
        request_fingerprint=_fingerprint(data) if data.get("idempotency_key") else None,
        created_at=now,
        updated_at=now,
    )
    set_time(booking, starts[0], timedelta(minutes=service.duration_minutes), buffer_minutes)
    return booking


def _flush_new(session: Session) -> None:
    try:
        flush_or_conflict(session)
    except IntegrityError as error:
        if "idempotency" in str(error.orig):
            raise Conflict("A booking with this Idempotency-Key is being made; retry.") from None
        raise


def confirm_at(booking: Booking, start: datetime, now: datetime) -> None:
    booking.status = Status.CONFIRMED.value
    set_time(booking, start, booking.end - booking.start, booking.buffer_minutes)
    booking.confirmed_at = now
    booking.expires_at = None
    booking.updated_at = now
    schedule_follow_ups(booking, now)


def hold_and_emit(session: Session, emit: Emit, booking: Booking, event: str, **extra) -> dict:
    """Check the booking's time is free, write it (the database has the last word), emit."""
    assert_free(
        session,
        booking.professional_id,
        booking.occupied_start,
        booking.occupied_end,
        exclude_booking_id=booking.id,
    )
    if booking not in session:
        session.add(booking)
    _flush_new(session)
    emit(event, event_payload(booking, **extra))
    return booking_view(booking)


def load_booking(session: Session, booking_id: str) -> Booking:
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def _require_side(caller: Caller, booking: Booking, *allowed: str) -> str:
    side = side_of(caller, booking)
    if side not in allowed:
        raise Forbidden(f"The {side} cannot do this on a booking.")
    return side


def ensure_request_open(booking: Booking, now: datetime) -> None:
    if booking.status == Status.REQUESTED and booking.expires_at and booking.expires_at <= now:
        raise Conflict("This request has expired.", {"status": ["expired"]})


def confirm_booking(
    session: Session, emit: Emit, caller: Caller, booking_id: str, start: datetime, now: datetime
) -> dict:
    """The professional accepts a request at one of its proposed starts."""
    start = as_utc(start)
    booking = load_booking(session, booking_id)
    _require_side(caller, booking, "professional")
    move(booking.status, Status.CONFIRMED)
    ensure_request_open(booking, now)
    if start.isoformat() not in booking.proposed_starts:
        raise field_error("start", "Must be one of the proposed starts.")
    if start <= now:
        raise field_error("start", "This proposed start has passed.")
    booking.buffer_minutes = _pro_settings(session, booking.professional_id)[1]
    confirm_at(booking, start, now)
    booking.reschedule_start = booking.reschedule_by = booking.reschedule_expires_at = None
    return hold_and_emit(session, emit, booking, "booking_confirmed")


def _close(
    booking: Booking,
    target: Status,
    by: str,
    reason: str | None,
    settlement: policies.Settlement,
    now: datetime,
) -> None:
    booking.status = move(booking.status, target).value
    booking.closed_at = now
    booking.closed_by = by
    booking.close_reason = reason
    booking.fee_cents = settlement.fee_cents
    booking.refund_cents = settlement.refund_cents
    booking.reschedule_start = booking.reschedule_by = booking.reschedule_expires_at = None
    booking.updated_at = now


def _money_fields(settlement: policies.Settlement) -> dict:
    return {
        "fee_cents": settlement.fee_cents,
        "refund_cents": settlement.refund_cents,
        "kept_percent": settlement.kept_percent,
    }


def decline_booking(
    session: Session,
    emit: Emit,
    caller: Caller,
    booking_id: str,
    now: datetime,
    reason: str | None = None,
) -> dict:
    """The professional turns a request down; the client gets everything back."""
    booking = load_booking(session, booking_id)
    _require_side(caller, booking, "professional")
    settlement = policies.full_refund(booking.price_cents)
    _close(booking, Status.DECLINED, "professional", reason, settlement, now)
    flush_or_conflict(session)
    emit(
        "booking_declined",
        event_payload(
            booking, declined_by="professional", reason=reason, **_money_fields(settlement)
        ),
    )
    return booking_view(booking)


def cancel_booking(
    session: Session,
    emit: Emit,
    caller: Caller,
    booking_id: str,
    now: datetime,
    reason: str | None = None,
) -> dict:
    """Either side (or an admin) calls a request or a confirmed booking off, under its policy."""
    booking = load_booking(session, booking_id)
    side = _require_side(caller, booking, "client", "professional", "admin")
    return cancel(session, emit, booking, side, now, reason)


def check_cancellable(booking: Booking, now: datetime) -> None:
    """Conflict unless the lifecycle lets the booking be cancelled now: a confirmed booking
    that has not ended, a request that has not lapsed (the timer expires it, refunding all).
    A booking performed or disputed is settled by completion, a no-show report or an
    administrator's resolution, never by a cancellation's refund."""
    if booking.status in (Status.PERFORMED, Status.DISPUTED):
        raise Conflict("This booking has already taken place.", {"status": [booking.status]})
    if booking.status == Status.CONFIRMED and booking.end <= now:
        raise Conflict("This booking has already taken place.", {"status": ["performed"]})
    move(booking.status, Status.CANCELLED)
    if booking.status != Status.CONFIRMED:
        ensure_request_open(booking, now)


def policy_settlement(booking: Booking, side: str, now: datetime) -> policies.Settlement:
    """What `side` cancelling the booking now costs and refunds under its policy."""
    return policies.settle_cancellation(
        policies.Policy(booking.policy),
        booking.start,
        booking.price_cents,
        now,
        policies.CancelledBy(side),
        confirmed=booking.status == Status.CONFIRMED,
    )


def cancel(
    session: Session,
    emit: Emit,
    booking: Booking,
    side: str,
    now: datetime,
    reason: str | None = None,
    settlement: policies.Settlement | None = None,
) -> dict:
    """Call a booking off as `side` (client, professional or admin): `booking_cancelled`.

    The booking's policy settles the money unless `settlement` is given: closing an
    account cancels with `policies.full_refund`, whichever side closes.
    """
    check_cancellable(booking, now)
    if settlement is None:
        settlement = policy_settlement(booking, side, now)
    _close(booking, Status.CANCELLED, side, reason, settlement, now)
    flush_or_conflict(session)
    emit(
        "booking_cancelled",
        event_payload(
            booking, cancelled_by=side, reason=reason, no_show=False, **_money_fields(settlement)
        ),
    )
    return booking_view(booking)


def catch_up(booking: Booking, emit: Emit, now: datetime) -> None:
    """Mark a confirmed booking performed if its end has passed and the timer has not yet."""
    if booking.status == Status.CONFIRMED and booking.end <= now:
        booking.status = move(booking.status, Status.PERFORMED).value
        booking.performed_at = now
        booking.reschedule_start = booking.reschedule_by = booking.reschedule_expires_at = None
        booking.updated_at = now
        emit("booking_performed", event_payload(booking))


def report_no_show(
    session: Session, emit: Emit, caller: Caller, booking_id: str, now: datetime
) -> dict:
    """The professional says the client did not come: a late cancellation by the client."""
    booking = load_booking(session, booking_id)
    _require_side(caller, booking, "professional")
    if booking.status == Status.CONFIRMED and booking.start > now:
        raise Conflict("A no-show can only be reported once the booking has started.")
    catch_up(booking, emit, now)
    settlement = policies.settle_no_show(
        policies.Policy(booking.policy), booking.start, booking.price_cents
    )
    _close(booking, Status.CANCELLED, "client", "no_show", settlement, now)
    flush_or_conflict(session)
    emit(
        "booking_cancelled",
        event_payload(
            booking,
            cancelled_by="client",
            reported_by="professional",
            reason="no_show",
            no_show=True,
            **_money_fields(settlement),
        ),
    )
    return booking_view(booking)


def complete_booking(
    session: Session, emit: Emit, caller: Caller, booking_id: str, now: datetime
) -> dict:
    """The client confirms the service was given, ending the dispute window early."""
    booking = load_booking(session, booking_id)
    _require_side(caller, booking, "client")
    catch_up(booking, emit, now)
    mark_completed(booking, "client", now)
    flush_or_conflict(session)
    emit("booking_completed", event_payload(booking, completed_by="client"))
    return booking_view(booking)


def mark_completed(booking: Booking, by: str, now: datetime) -> None:
    booking.status = move(booking.status, Status.COMPLETED).value
    booking.completed_at = now
    booking.completed_by = by
    booking.updated_at = now


def dispute_booking(
    session: Session, emit: Emit, caller: Caller, booking_id: str, reason: str, now: datetime
) -> dict:
    """Either side contests a performed booking before it is completed; an admin decides."""
    booking = load_booking(session, booking_id)
    side = _require_side(caller, booking, "client", "professional")
    catch_up(booking, emit, now)
    booking.status = move(booking.status, Status.DISPUTED).value
    booking.disputed_at = now
    booking.disputed_by = side
    booking.dispute_reason = reason
    booking.updated_at = now
    flush_or_conflict(session)
    emit("booking_disputed", event_payload(booking, disputed_by=side, reason=reason))
    return booking_view(booking)


def resolve_dispute(
    session: Session, emit: Emit, caller: Caller, booking_id: str, outcome: str, now: datetime
) -> dict:
    """An admin closes a dispute: `completed` (the professional is paid) or `refunded`."""
    caller.require_admin()
    booking = load_booking(session, booking_id)
    if booking.status != Status.DISPUTED:
        raise Conflict("Only a disputed booking can be resolved.", {"status": [booking.status]})
    if outcome == "completed":
        mark_completed(booking, "admin", now)
        flush_or_conflict(session)
        emit("booking_completed", event_payload(booking, completed_by="admin"))
    elif outcome == "refunded":
        settlement = policies.full_refund(booking.price_cents)
        _close(booking, Status.CANCELLED, "admin", "dispute", settlement, now)
        flush_or_conflict(session)
        emit(
            "booking_cancelled",
            event_payload(
                booking,
                cancelled_by="admin",
                reason="dispute",
                no_show=False,
                **_money_fields(settlement),
            ),
        )
    else:
        raise field_error("outcome", "Must be completed or refunded.")
    return booking_view(booking)
