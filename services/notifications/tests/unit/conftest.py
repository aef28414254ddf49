"""Fixtures for the notifications unit tests: an in-memory database, callers, events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from itertools import count

import pytest
from loconomics_notifications.domain import conversations as talk
from loconomics_notifications.domain.deliveries import DeliveryError
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import Base, EmailDelivery, Notification
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class SmtpStandIn:
    """Accepts every email, or refuses the next `refusals` with 451 (or 550 if `permanent`);
    keeps what it accepted as a receiver would read it (parsed back from its bytes)."""

    def __init__(self, refusals: int = 0, permanent: bool = False):
        self.refusals = refusals
        self.permanent = permanent
        self.accepted = []

    def __call__(self, message):
        if self.refusals:
            self.refusals -= 1
            code = "550" if self.permanent else "451"
            raise DeliveryError(f"{code} not now", permanent=self.permanent)
        self.accepted.append(message_from_bytes(message.as_bytes(), policy=policy.default))


@pytest.fixture
def smtp_server() -> type[SmtpStandIn]:
    """The SMTP stand-in to pass to `deliver_due`: `smtp_server(refusals=1)`."""
    return SmtpStandIn


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
def delivery_of(session: Session) -> Callable[..., EmailDelivery]:
    """`delivery_of(event_id)`: the one email an event made (`recipient` picks one of several)."""

    def find(event_id: str, recipient: str | None = None) -> EmailDelivery:
        query = (
            select(EmailDelivery)
            .join(Notification, Notification.id == EmailDelivery.notification_id)
            .where(Notification.event_id == event_id)
        )
        if recipient is not None:
            query = query.where(Notification.recipient_id == recipient)
        return session.scalars(query).one()

    return find


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
    status: str = "confirmed",
    **extra,
) -> dict:
    """The core every booking event carries, as booking's `event_payload` writes it."""
    return {
        "event_id": event or event_id(),
        "occurred_at": occurred_at.isoformat(),
        "booking_id": booking_id,
        "client_id": client_id,
        "professional_id": professional_id,
        "service_id": "svc1",
        "listing_id": "lst1",
        "status": status,
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=minutes)).isoformat(),
        "time_zone": time_zone,
        "price": {"amount_cents": 1900, "currency": "USD"},
        "policy": "moderate",
        "instant": False,
        "created_by": "client",
        **extra,
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat()


_SETTLED = {"fee_cents": 0, "refund_cents": 1900, "kept_percent": 0}
BOOKING_EXTRAS: dict[str, dict] = {
    "booking_requested": {
        "status": "requested",
        "proposed_starts": ["2026-03-10T21:30:00+00:00", "2026-03-11T17:00:00+00:00"],
        "expires_at": _iso(NOW + timedelta(days=1)),
    },
    "booking_confirmed": {},
    "booking_declined": {"status": "declined", "declined_by": "professional", "reason": None}
    | _SETTLED,
    "booking_expired": {"status": "expired"} | _SETTLED,
    "booking_cancelled": {
        "status": "cancelled",
        "cancelled_by": "professional",
        "reason": None,
        "no_show": False,
    }
    | _SETTLED,
    "booking_rescheduled": {
        "previous_start": "2026-03-09T21:30:00+00:00",
        "previous_end": "2026-03-09T22:30:00+00:00",
        "rescheduled_by": "client",
    },
    "booking_reschedule_proposed": {
        "proposed_start": "2026-03-12T17:00:00+00:00",
        "proposed_end": "2026-03-12T18:00:00+00:00",
        "proposed_by": "professional",
        "expires_at": _iso(NOW + timedelta(days=1)),
    },
    "booking_reschedule_declined": {
        "proposed_start": "2026-03-12T17:00:00+00:00",
        "proposed_by": "professional",
        "declined_by": "client",
    },
    "booking_reschedule_expired": {
        "proposed_start": "2026-03-12T17:00:00+00:00",
        "proposed_by": "client",
    },
    "booking_performed": {"status": "performed"},
    "booking_completed": {"status": "completed", "completed_by": "system"},
    "booking_reminder_due": {},
    "booking_review_requested": {"status": "completed"},
}
"""What each booking event adds to the core, as booking's domain emits it."""


def _money(cents: int) -> dict:
    return {"amount_cents": cents, "currency": "USD"}


def _ballot(kind: str) -> dict:
    opens, closes = NOW, NOW + timedelta(days=7)
    if kind == "proposal":
        return {
            "proposal_id": "p9",
            "title": "Budget 2026",
            "kind": "ordinary",
            "opens_at": _iso(opens),
            "closes_at": _iso(closes),
        }
    return {
        "election_id": "el1",
        "title": "Board 2026",
        "seats": 2,
        "opens_at": _iso(opens),
        "closes_at": _iso(closes),
    }


OTHER_EVENTS: dict[str, dict] = {
    "account_created": {
        "account_id": "acc9",
        "email": "acc9@example.org",
        "name": "Ana",
        "language": "en",
        "roles": ["client"],
    },
    "password_reset_requested": {
        "account_id": "acc9",
        "email": "acc9@example.org",
        "name": "Ana",
        "language": "en",
        "reset_token": "p6Yt1Xo0-Zr9_KmWb2QeLs5NaVh8UcJd3GfRi7OkT4w",  # token_urlsafe(32)
        "expires_at": _iso(NOW + timedelta(hours=1)),
    },
    "password_changed": {
        "account_id": "acc9",
        "email": "acc9@example.org",
        "name": "Ana",
        "language": "en",
        "changed_at": _iso(NOW),
        "how": "reset",
    },
    "email_confirmation_requested": {
        "account_id": "acc9",
        "email": "acc9@example.org",
        "name": "Ana",
        "language": "en",
        "purpose": "sign_up",
        "confirmation_token": "c0nF1rm-Xo0Zr9_KmWb2QeLs5NaVh8UcJd3GfRi7OkT",  # token_urlsafe(32)
        "expires_at": _iso(NOW + timedelta(hours=48)),
    },
    "email_changed": {
        "account_id": "acc9",
        "name": "Ana",
        "language": "en",
        "old_email": "acc9@example.org",
        "new_email": "ana.new@example.org",
        "changed_at": _iso(NOW),
        "undo_token": "Und0-Xo0Zr9_KmWb2QeLs5NaVh8UcJd3GfRi7OkT4w",  # token_urlsafe(32)
        "undo_expires_at": _iso(NOW + timedelta(days=7)),
    },
    "account_closed": {
        "account_id": "acc9",
        "closed_at": _iso(NOW),
        "roles": ["client"],
        "email": "acc9@example.org",
        "name": "Ana",
        "language": "en",
    },
    "data_export_requested": {
        "account_id": "acc9",
        "requested_at": _iso(NOW - timedelta(seconds=2)),
    },
    "review_removed": {
        "review_id": "rv1",
        "booking_id": "bk1",
        "author_id": "client1",
        "author_role": "client",
        "subject_id": "pro1",
        "professional_id": "pro1",
        "client_id": "client1",
        "reason": "harassment",
        "note": "Please keep reviews about the service.",
        "removed_at": _iso(NOW),
    },
    "review_report_resolved": {
        "report_id": "rr1",
        "review_id": "rv1",
        "reporter_id": "pro1",
        "outcome": "dismissed",
        "note": "The review describes the service; it stays.",
        "resolved_at": _iso(NOW),
    },
    "account_suspended": {
        "account_id": "pro1",
        "suspension_id": "su1",
        "reason": "fake_profile",
        "note": "The photos are of another business.",
        "suspended_at": _iso(NOW),
    },
    "account_reinstated": {
        "account_id": "pro1",
        "suspension_id": "su1",
        "note": "Your documents check out; welcome back.",
        "reinstated_at": _iso(NOW + timedelta(days=2)),
    },
    "profile_report_resolved": {
        "report_id": "pr1",
        "professional_id": "pro1",
        "reporter_id": "client1",
        "outcome": "dismissed",
        "note": "The credentials are genuine.",
        "resolved_at": _iso(NOW),
    },
    "listing_published": {
        "listing_id": "lst1",
        "professional_id": "pro1",
        "job_title_id": "jt1",
        "status": "on",
        "cancellation_policy": "moderate",
        "instant_booking": False,
        "version": 1,
        "services": [
            {
                "service_id": "svc1",
                "name": "Haircut",
                "pricing_type": "service",
                "price": _money(1900),
                "duration_minutes": 60,
                "sessions": None,
                "first_time_clients_only": False,
                "visible_to_client_id": None,
            }
        ],
        "service_area": None,
    },
    "schedule_changed": {
        "professional_id": "pro1",
        "time_zone": "America/Los_Angeles",
        "weekly": {"mon": [{"start": "09:00", "end": "17:00"}]},
        "advance_notice_hours": 2,
        "buffer_minutes": 0,
        "slot_increment_minutes": 30,
        "reason": "schedule",
        "changed_at": _iso(NOW),
    },
    "membership_started": {
        "user_id": "pro1",
        "plan_id": "owner-pro-monthly",
        "plan_name": "Owner Pro",
        "price": _money(2900),
        "interval": "month",
        "current_period_end": "2026-04-01T00:00:00+00:00",
        "trial_end": None,
        "first_subscription": True,
    },
    "payment_failed": {
        "user_id": "pro1",
        "invoice_id": "in_1",
        "amount_cents": 2900,
        "currency": "USD",
        "attempt_count": 1,
        "failed_at": _iso(NOW),
    },
    "dues_paid": {
        "user_id": "pro1",
        "invoice_id": "in_2",
        "amount_cents": 2900,
        "currency": "USD",
        "paid_at": _iso(NOW),
        "fiscal_year": 2026,
    },
    "owner_status_changed": {
        "user_id": "pro1",
        "from": "trial",
        "to": "active",
        "plan_id": "owner-pro-monthly",
        "reason": "subscription_paid",
        "changed_at": _iso(NOW),
    },
    "booking_payment_failed": {
        "booking_id": "bk1",
        "client_user_id": "client1",
        "professional_user_id": "pro1",
        "amount_cents": 1900,
        "currency": "USD",
        "reason": "card_declined",
        "failed_at": _iso(NOW),
    },
    "proposal_opened": _ballot("proposal") | {"roll_size": 2, "electorate": ["client1", "pro1"]},
    "proposal_closing_soon": _ballot("proposal") | {"not_yet_voted": ["client1"]},
    "proposal_closed": _ballot("proposal")
    | {
        "outcome": "passed",
        "tally": {
            "yes": 2,
            "no": 0,
            "abstain": 0,
            "votes_cast": 2,
            "roll_size": 2,
            "quorum_met": True,
        },
    },
    "election_opened": _ballot("election")
    | {
        "roll_size": 2,
        "electorate": ["client1", "pro1"],
        "candidates": [{"candidate_id": "c1", "name": "Pat Rivera"}],
    },
    "election_closing_soon": _ballot("election") | {"not_yet_voted": ["pro1"]},
    "election_closed": _ballot("election")
    | {
        "quota": 1,
        "valid_papers": 2,
        "stages": 1,
        "elected": [{"candidate_id": "c1", "name": "Pat Rivera", "external_id": "pro1"}],
    },
    "patronage_allocated": {
        "allocation_id": "al1",
        "fiscal_year": 2025,
        "external_id": "pro1",
        "points": "120.5",
        "amount": _money(10000),
        "cash": _money(2000),
        "retained": _money(8000),
    },
}
"""A payload of every other consumed event, shaped exactly as its producer writes it."""


def producer_event(name: str, *, event: str | None = None, **overrides) -> dict:
    """A consumed event as its producer sends it (plumbing fields included)."""
    if name in BOOKING_EXTRAS:
        return booking_event(event=event, **{**BOOKING_EXTRAS[name], **overrides})
    return {
        "event_id": event or event_id(),
        "occurred_at": NOW.isoformat(),
        **OTHER_EVENTS[name],
        **overrides,
    }


@pytest.fixture
def make_account() -> Callable[..., dict]:
    """Builds an `account_created`/`account_changed` payload."""
    return account_event


@pytest.fixture
def make_booking() -> Callable[..., dict]:
    """Builds a booking event payload (1 h of service svc1 at 13:30 Los Angeles time)."""
    return booking_event


@pytest.fixture
def make_event() -> Callable[..., dict]:
    """Builds any consumed event as its producer sends it: `make_event("dues_paid", ...)`."""
    return producer_event


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
    handle_event(session, "listing_published", producer_event("listing_published"), now)
    return {
        "client": Who("client1", {"client"}),
        "pro": Who("pro1", {"professional"}),
        "stranger": Who("stranger", {"client"}),
        "admin": Who("admin1", {"admin"}),
        "nobody": Who(None),
    }


@pytest.fixture
def thread(session, now, people, emit):
    """The client asked the professional a question."""
    started = talk.start_conversation(
        session,
        people["client"],
        to="pro1",
        subject="Parking",
        body="Where can I park?",
        booking_id=None,
        now=now,
        emit=emit,
    )
    return started["conversation"]["id"]
