"""From a consumed event to notifications: who is told, about what, on which channels.

Each event gives one notification per recipient and channel, keyed by (event_id, recipient,
channel) in the database, so a repeated event adds nothing. What a notification says is not
frozen here: its data are kept and rendered when read or sent (see `content`), in the
recipient's language at that time, which also lets an email wait for a contact that has not
arrived yet instead of going out in the wrong language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loconomics_plumbing.errors import Invalid
from loconomics_plumbing.validation import flatten_messages
from marshmallow import Schema, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import schemas
from ..models import EmailDelivery, Notification
from .contacts import record_account
from .known_bookings import note_booking_event
from .preferences import channels_wanted

Audience = list[tuple[str, str, dict[str, Any]]]
"""(account_id, role, data for that recipient)."""


@dataclass(frozen=True)
class Route:
    template: str
    category: str
    transactional: bool
    link: str
    schema: type[Schema] | None = None
    audience: Callable[[dict[str, Any]], Audience] = field(default=lambda data: [])
    calendar_status: str | None = None
    changes_calendar: bool = False


def _account(data: dict[str, Any]) -> Audience:
    return [(data["account_id"], "account", data)]


def _client(data: dict[str, Any]) -> Audience:
    return [(data["client_id"], "client", data)]


def _both_parties(data: dict[str, Any]) -> Audience:
    return [(data["client_id"], "client", data), (data["professional_id"], "professional", data)]


def _members(data: dict[str, Any]) -> Audience:
    shared = {k: v for k, v in data.items() if k != "member_ids"}
    return [(member_id, "member", shared) for member_id in dict.fromkeys(data["member_ids"])]


def _allocations(data: dict[str, Any]) -> Audience:
    return [
        (line["member_id"], "member", {"year": data["year"], "currency": data["currency"], **line})
        for line in data["allocations"]
    ]


def _booking(
    template: str,
    audience: Callable,
    status: str,
    *,
    changes: bool = True,
    category: str = "booking",
    transactional: bool = True,
) -> Route:
    return Route(
        template=template,
        category=category,
        transactional=transactional,
        link="/bookings/{booking_id}",
        schema=schemas.BookingEventSchema,
        audience=audience,
        calendar_status=status,
        changes_calendar=changes,
    )


def _governance(template: str, schema: type[Schema], link: str, audience=_members) -> Route:
    return Route(
        template=template,
        category="governance",
        transactional=False,
        link=link,
        schema=schema,
        audience=audience,
    )


ROUTES: dict[str, Route] = {
    "account_created": Route(
        template="welcome",
        category="account",
        transactional=True,
        link="/",
        schema=schemas.AccountEventSchema,
        audience=_account,
    ),
    "booking_requested": _booking("booking_requested", _both_parties, "TENTATIVE"),
    "booking_confirmed": _booking("booking_confirmed", _both_parties, "CONFIRMED"),
    "booking_declined": _booking("booking_declined", _client, "CANCELLED"),
    "booking_expired": _booking("booking_expired", _both_parties, "CANCELLED"),
    "booking_cancelled": _booking("booking_cancelled", _both_parties, "CANCELLED"),
    "booking_rescheduled": _booking("booking_rescheduled", _both_parties, "CONFIRMED"),
    "booking_completed": _booking("booking_completed", _both_parties, "CONFIRMED", changes=False),
    "booking_reminder_due": _booking(
        "booking_reminder",
        _both_parties,
        "CONFIRMED",
        changes=False,
        category="reminders",
        transactional=False,
    ),
    "booking_review_requested": Route(
        template="booking_review_requested",
        category="reminders",
        transactional=False,
        link="/bookings/{booking_id}/review",
        schema=schemas.BookingEventSchema,
        audience=_client,
    ),
    "membership_started": Route(
        template="membership_started",
        category="membership",
        transactional=True,
        link="/me/membership",
        schema=schemas.MembershipStartedSchema,
        audience=_account,
    ),
    "payment_failed": Route(
        template="payment_failed",
        category="payment",
        transactional=True,
        link="/me/membership",
        schema=schemas.PaymentFailedSchema,
        audience=_account,
    ),
    "owner_status_changed": Route(
        template="owner_status_changed",
        category="membership",
        transactional=False,
        link="/me/membership",
        schema=schemas.OwnerStatusChangedSchema,
        audience=_account,
    ),
    "proposal_opened": _governance(
        "proposal_opened", schemas.ProposalEventSchema, "/governance/proposals/{proposal_id}"
    ),
    "proposal_closing_soon": _governance(
        "proposal_closing_soon",
        schemas.ProposalEventSchema,
        "/governance/proposals/{proposal_id}",
    ),
    "proposal_closed": _governance(
        "proposal_closed", schemas.ProposalClosedSchema, "/governance/proposals/{proposal_id}"
    ),
    "election_opened": _governance(
        "election_opened", schemas.ElectionOpenedSchema, "/governance/elections/{election_id}"
    ),
    "election_closed": _governance(
        "election_closed",
        schemas.ElectionClosedSchema,
        "/governance/elections/{election_id}/result",
    ),
    # A written notice of allocation is owed to each member (Subchapter T), so it always goes.
    "patronage_allocated": Route(
        template="patronage_allocated",
        category="governance",
        transactional=True,
        link="/me/patronage",
        schema=schemas.PatronageAllocatedSchema,
        audience=_allocations,
    ),
}

MESSAGE_RECEIVED = Route(
    template="message_received",
    category="messages",
    transactional=False,
    link="/conversations/{conversation_id}",
)
ROUTES_BY_TEMPLATE: dict[str, Route] = {
    route.template: route for route in [*ROUTES.values(), MESSAGE_RECEIVED]
}
ACCOUNT_EVENTS = ("account_created", "account_changed")
CONSUMED_EVENTS = tuple(sorted({*ROUTES, *ACCOUNT_EVENTS}))


def _load(schema: type[Schema], event_name: str, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        return schema().load(payload)
    except ValidationError as error:
        raise Invalid(f"malformed {event_name} event", flatten_messages(error.messages)) from None


def handle_event(
    session: Session, event_name: str, payload: dict[str, Any], now: datetime
) -> list[Notification]:
    """Take in one consumed event: update our copies, then create what it tells whom.

    A malformed payload raises `Invalid` naming the bad fields: a producer bug to look at, not
    something a retry fixes. Events we do not route are ignored (returns nothing).
    """
    route = ROUTES.get(event_name)
    if event_name in ACCOUNT_EVENTS:
        record_account(session, _load(schemas.AccountEventSchema, event_name, payload))
    if route is None or route.schema is None:
        return []
    schema = route.schema()
    data = _load(route.schema, event_name, payload)
    if route.calendar_status is not None:
        data["calendar_sequence"] = note_booking_event(session, data, route.changes_calendar)
        data["calendar_status"] = route.calendar_status
    stored = schema.dump(data)
    stored.update({k: data[k] for k in ("calendar_sequence", "calendar_status") if k in data})
    return notify(session, route, data["event_id"], event_name, route.audience(stored), now)


def notify(
    session: Session,
    route: Route,
    event_id: str,
    event_name: str,
    audience: Audience,
    now: datetime,
) -> list[Notification]:
    """Create the notifications of one event, skipping any (recipient, channel) already made."""
    existing = {
        (recipient_id, channel)
        for recipient_id, channel in session.execute(
            select(Notification.recipient_id, Notification.channel).where(
                Notification.event_id == event_id
            )
        )
    }
    wanted = channels_wanted(
        session,
        [account_id for account_id, _, _ in audience],
        route.category,
        route.transactional,
    )
    created: list[Notification] = []
    for account_id, role, data in audience:
        for channel in sorted(wanted[account_id]):
            if (account_id, channel) in existing:
                continue
            existing.add((account_id, channel))
            notification = Notification(
                event_id=event_id,
                event_name=event_name,
                template=route.template,
                role=role,
                recipient_id=account_id,
                channel=channel,
                category=route.category,
                transactional=route.transactional,
                data=data,
                created_at=now,
            )
            session.add(notification)
            created.append(notification)
    session.flush()
    for notification in created:
        if notification.channel == "email":
            session.add(
                EmailDelivery(
                    notification_id=notification.id,
                    recipient_id=notification.recipient_id,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
    session.flush()
    return created
