"""From a consumed event to notifications: who is told, about what, on which channels.

Each event gives one notification per recipient and channel, keyed by (event_id, recipient,
channel) in the database, so a repeated event adds nothing. What a notification says is not
frozen here: its data are kept and rendered when read or sent (see `content`), in the
recipient's language at that time, which also lets an email wait for a contact that has not
arrived yet instead of going out in the wrong language.

Whoever an event names, nothing is made for a closed account (`notify` leaves it out, in the
one place every notification is made); only the goodbye email, addressed by its own event,
still goes to it. The other party of the same event is told as always.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from loconomics_plumbing.errors import Invalid
from loconomics_plumbing.validation import flatten_messages
from marshmallow import Schema, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import schemas
from ..models import CHANNELS, EmailDelivery, Notification
from .account_closures import GOODBYE_EVENT, close_account
from .ballot_rolls import keep_roll, voters_of
from .contacts import closed_accounts, contact_for, hold_contacts, learn_zone, record_account
from .known_bookings import note_booking_event
from .known_services import record_listing
from .preferences import channels_wanted
from .suspensions import is_current, record_reinstatement, record_suspension

Audience = list[tuple[str, str, dict[str, Any]]]
"""(account_id, role, data for that recipient)."""
AudienceOf = Callable[[Session, dict[str, Any]], Audience]


@dataclass(frozen=True)
class Route:
    template: str
    category: str
    transactional: bool
    link: str
    schema: type[Schema] | None = None
    audience: AudienceOf = field(default=lambda session, data: [])
    booking: bool = False
    calendar_status: str | None = None
    changes_calendar: bool = False
    channels: frozenset[str] = frozenset(CHANNELS)
    """The channels it may take at all; preferences then choose among them."""
    addressed_by_event: bool = False
    """The event says where the email goes and how (`address_field`, `name`, `language`): the
    address the producer gives, used as is, rather than our copy, which may not have arrived or
    may be another address (one to confirm, or the one the account just left)."""
    address_field: str = "email"
    """The event's field holding the address, when it is addressed by the event."""
    secrets: tuple[str, ...] = ()
    """Data only the email needs (a reset token, a closed account's address and name): dropped
    from the stored data, and from the delivery's last error, once the email is sent or given
    up (`forget_secrets`). Such an email is never in the inbox."""
    needs_link: bool = False
    """The email is nothing without its link: not built until the app's URL is set."""
    lapses_at: str | None = None
    """The data field after which (plus `lapses_after`) the email is no use: not sent then."""
    lapses_after: timedelta = timedelta(0)
    reaches_closed_account: bool = False
    """The goodbye: the one notification made for an account already closed (see `notify`);
    it is addressed by its event, since our contact of a closed account is erased."""
    replies_to_moderators: bool = False
    """Its email's Reply-To is the moderators' address (`Mailbox.moderators_address`): a
    suspended member answers it to appeal."""

    def __post_init__(self) -> None:
        if not self.channels or not self.channels <= set(CHANNELS):
            raise ValueError(f"{self.template}: channels must be among {CHANNELS}")
        if self.secrets and "in_app" in self.channels:
            raise ValueError(f"{self.template}: a notification with secrets is email only")
        if self.reaches_closed_account and not (
            self.addressed_by_event and self.channels == {"email"}
        ):
            raise ValueError(
                f"{self.template}: a closed account is reached by email, at its event's address"
            )
        if self.address_field != "email" and not self.addressed_by_event:
            raise ValueError(f"{self.template}: only an event can name its address field")
        if self.addressed_by_event and self.schema is not None:
            missing = {self.address_field, "name", "language"} - set(self.schema().fields)
            if missing:
                raise ValueError(f"{self.template}: its event has no {', '.join(sorted(missing))}")


def _account(session: Session, data: dict[str, Any]) -> Audience:
    return [(data["account_id"], "account", data)]


def _user(purpose: str | None = None) -> AudienceOf:
    def audience(session: Session, data: dict[str, Any]) -> Audience:
        return [(data["user_id"], "account", {**data, **({"purpose": purpose} if purpose else {})})]

    return audience


def _paying_client(session: Session, data: dict[str, Any]) -> Audience:
    client = data.get("client_user_id")
    return [(client, "client", {**data, "purpose": "booking"})] if client else []


def _client(session: Session, data: dict[str, Any]) -> Audience:
    return [(data["client_id"], "client", data)]


def _both_parties(session: Session, data: dict[str, Any]) -> Audience:
    return [(data["client_id"], "client", data), (data["professional_id"], "professional", data)]


def _side(data: dict[str, Any], side: str) -> tuple[str, str, dict[str, Any]]:
    return (data[f"{side}_id"], side, data)


def _other_side_of_proposal(session: Session, data: dict[str, Any]) -> Audience:
    proposer = data.get("proposed_by")
    if proposer is None:
        return []
    return [_side(data, "professional" if proposer == "client" else "client")]


def _proposer(session: Session, data: dict[str, Any]) -> Audience:
    proposer = data.get("proposed_by")
    return [_side(data, proposer)] if proposer else []


def _listed(key: str) -> AudienceOf:
    def audience(session: Session, data: dict[str, Any]) -> Audience:
        shared = {k: v for k, v in data.items() if k != key}
        return [(member_id, "member", shared) for member_id in dict.fromkeys(data[key])]

    return audience


def _roll(kind: str) -> AudienceOf:
    def audience(session: Session, data: dict[str, Any]) -> Audience:
        return [
            (member_id, "member", data)
            for member_id in voters_of(session, kind, data[f"{kind}_id"])
        ]

    return audience


def _allocated_member(session: Session, data: dict[str, Any]) -> Audience:
    return [(data["external_id"], "member", data)]


def _review_author(session: Session, data: dict[str, Any]) -> Audience:
    return [(data["author_id"], "member", data)]


def _review_reporter(session: Session, data: dict[str, Any]) -> Audience:
    return [(data["reporter_id"], "member", {**data, "kind": "review"})]


def _profile_reporter(session: Session, data: dict[str, Any]) -> Audience:
    return [(data["reporter_id"], "member", {**data, "kind": "profile"})]


def _changed_account(suspended: bool, at: str) -> AudienceOf:
    """The account, told of a suspension or a reinstatement only while it is the change we hold
    (`suspensions.is_current`): one older than it, arriving late, tells nothing that is no
    longer true."""

    def audience(session: Session, data: dict[str, Any]) -> Audience:
        changed_at = datetime.fromisoformat(data[at])
        held = is_current(session, data["account_id"], suspended, data["suspension_id"], changed_at)
        return [(data["account_id"], "account", data)] if held else []

    return audience


def _closing_account(session: Session, data: dict[str, Any]) -> Audience:
    """The account, told once: by the event that closed it, not by a second closure."""
    contact = contact_for(session, data["account_id"])
    closed_by_this = contact is not None and contact.source_event_id == data["event_id"]
    return [(data["account_id"], "account", data)] if closed_by_this else []


def _booking(
    template: str,
    audience: AudienceOf,
    status: str | None = None,
    *,
    changes: bool = True,
    category: str = "booking",
    transactional: bool = True,
    link: str = "/bookings/{booking_id}",
) -> Route:
    return Route(
        template=template,
        category=category,
        transactional=transactional,
        link=link,
        schema=schemas.BookingEventSchema,
        audience=audience,
        booking=True,
        calendar_status=status,
        changes_calendar=changes and status is not None,
    )


def _governance(template: str, schema: type[Schema], link: str, audience: AudienceOf) -> Route:
    return Route(
        template=template,
        category="governance",
        transactional=False,
        link=link,
        schema=schema,
        audience=audience,
    )


def _billing(
    template: str, schema: type[Schema], audience: AudienceOf, category: str, link: str
) -> Route:
    return Route(
        template=template,
        category=category,
        transactional=True,
        link=link,
        schema=schema,
        audience=audience,
    )


_PROPOSAL = "/governance/proposals/{proposal_id}"
_ELECTION = "/governance/elections/{election_id}"


def _one_time_link(
    template: str,
    schema: type[Schema],
    page: str,
    *,
    token: str,
    lapses_at: str,
    address_field: str = "email",
) -> Route:
    """An email that is its one-time link (`page?token=`): to the address its event gives, by
    email only (never an inbox), whatever the preferences; the token leaves our data once the
    email is sent or dead, and the email is not sent after the link lapses."""
    return Route(
        template=template,
        category="account",
        transactional=True,
        link=f"{page}?token={{{token}}}",
        schema=schema,
        audience=_account,
        channels=frozenset({"email"}),
        addressed_by_event=True,
        address_field=address_field,
        secrets=(token,),
        needs_link=True,
        lapses_at=lapses_at,
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
    "booking_reschedule_proposed": _booking("booking_reschedule_proposed", _other_side_of_proposal),
    "booking_reschedule_declined": _booking("booking_reschedule_declined", _proposer),
    "booking_reschedule_expired": _booking("booking_reschedule_expired", _proposer),
    "booking_performed": _booking("booking_performed", _client, transactional=False),
    "booking_completed": _booking("booking_completed", _both_parties),
    "booking_reminder_due": _booking(
        "booking_reminder",
        _both_parties,
        "CONFIRMED",
        changes=False,
        category="reminders",
        transactional=False,
    ),
    "booking_review_requested": _booking(
        "booking_review_requested",
        _client,
        category="reminders",
        transactional=False,
        link="/bookings/{booking_id}/review",
    ),
    "membership_started": _billing(
        "membership_started",
        schemas.MembershipStartedSchema,
        _user(),
        "membership",
        "/me/membership",
    ),
    "dues_paid": _billing("dues_paid", schemas.DuesPaidSchema, _user(), "payment", "/me/invoices"),
    "payment_failed": _billing(
        "payment_failed",
        schemas.PaymentFailedSchema,
        _user("membership"),
        "payment",
        "/me/membership",
    ),
    "booking_payment_failed": _billing(
        "payment_failed",
        schemas.BookingPaymentFailedSchema,
        _paying_client,
        "payment",
        "/bookings/{booking_id}",
    ),
    "owner_status_changed": Route(
        template="owner_status_changed",
        category="membership",
        transactional=False,
        link="/me/membership",
        schema=schemas.OwnerStatusChangedSchema,
        audience=_user(),
    ),
    "proposal_opened": _governance(
        "proposal_opened", schemas.ProposalOpenedSchema, _PROPOSAL, _listed("electorate")
    ),
    "proposal_closing_soon": _governance(
        "proposal_closing_soon",
        schemas.ProposalClosingSoonSchema,
        _PROPOSAL,
        _listed("not_yet_voted"),
    ),
    "proposal_closed": _governance(
        "proposal_closed", schemas.ProposalClosedSchema, _PROPOSAL, _roll("proposal")
    ),
    "election_opened": _governance(
        "election_opened", schemas.ElectionOpenedSchema, _ELECTION, _listed("electorate")
    ),
    "election_closing_soon": _governance(
        "election_closing_soon",
        schemas.ElectionClosingSoonSchema,
        _ELECTION,
        _listed("not_yet_voted"),
    ),
    "election_closed": _governance(
        "election_closed",
        schemas.ElectionClosedSchema,
        _ELECTION + "/result",
        _roll("election"),
    ),
    # The link is the reset (the member cannot sign in, and the link must not wait in an inbox).
    "password_reset_requested": _one_time_link(
        "password_reset",
        schemas.PasswordResetRequestedSchema,
        "/reset-password",
        token="reset_token",
        lapses_at="expires_at",
    ),
    "password_changed": Route(
        template="password_changed",
        category="account",
        transactional=True,
        link="/forgot-password",
        schema=schemas.PasswordChangedSchema,
        audience=_account,
        addressed_by_event=True,
    ),
    # A copy of the member's data left with their password: told at the address we hold (the
    # event names none), by email only, whatever their preferences, with the password page.
    "data_export_requested": Route(
        template="data_export_requested",
        category="account",
        transactional=True,
        link="/forgot-password",
        schema=schemas.DataExportRequestedSchema,
        audience=_account,
        channels=frozenset({"email"}),
    ),
    # The link that confirms an address goes to that address (at a change, one the account
    # does not have yet).
    "email_confirmation_requested": _one_time_link(
        "email_confirmation",
        schemas.EmailConfirmationRequestedSchema,
        "/confirm-email",
        token="confirmation_token",
        lapses_at="expires_at",
    ),
    # The security notice of a new address goes to the one it replaced, with the link that takes
    # the account back: whoever changed it may hold the account and its new address.
    "email_changed": _one_time_link(
        "email_changed",
        schemas.EmailChangedSchema,
        "/confirm-email",
        token="undo_token",
        lapses_at="undo_expires_at",
        address_field="old_email",
    ),
    # The goodbye: to the address the member had (ours is erased by then), in their language,
    # email only, whatever their preferences were; the address and name leave our data once it
    # is sent or dead, and it is not sent at all a day after the closure.
    GOODBYE_EVENT: Route(
        template="account_closed",
        category="account",
        transactional=True,
        link="/",
        schema=schemas.AccountClosedSchema,
        audience=_closing_account,
        channels=frozenset({"email"}),
        addressed_by_event=True,
        secrets=("email", "name"),
        lapses_at="closed_at",
        lapses_after=timedelta(days=1),
        reaches_closed_account=True,
    ),
    # The moderators' decisions (docs/reports-and-blocks.md): the author of a removed review is
    # told why, and each reporter the outcome, whatever their choices (transactional).
    "review_removed": Route(
        template="review_removed",
        category="account",
        transactional=True,
        link="/bookings/{booking_id}",
        schema=schemas.ReviewRemovedSchema,
        audience=_review_author,
    ),
    "review_report_resolved": Route(
        template="report_resolved",
        category="account",
        transactional=True,
        link="/reviews/{review_id}",
        schema=schemas.ReviewReportResolvedSchema,
        audience=_review_reporter,
    ),
    # Suspensions (docs/suspensions.md): the member is told why, by email only since they
    # cannot sign in to read an inbox, and how to appeal (a reply reaches the moderators); told
    # again, in the inbox too, once they can sign in again. Profile reports' reporters are told
    # the outcome, as for reviews.
    "account_suspended": Route(
        template="account_suspended",
        category="account",
        transactional=True,
        link="/",
        schema=schemas.AccountSuspendedSchema,
        audience=_changed_account(True, "suspended_at"),
        channels=frozenset({"email"}),
        replies_to_moderators=True,
    ),
    "account_reinstated": Route(
        template="account_reinstated",
        category="account",
        transactional=True,
        link="/",
        schema=schemas.AccountReinstatedSchema,
        audience=_changed_account(False, "reinstated_at"),
    ),
    "profile_report_resolved": Route(
        template="report_resolved",
        category="account",
        transactional=True,
        link="/professionals/{professional_id}",
        schema=schemas.ProfileReportResolvedSchema,
        audience=_profile_reporter,
    ),
    # A written notice of allocation is owed to each member (Subchapter T), so it always goes.
    "patronage_allocated": Route(
        template="patronage_allocated",
        category="governance",
        transactional=True,
        link="/me/patronage",
        schema=schemas.PatronageAllocatedSchema,
        audience=_allocated_member,
    ),
}

MESSAGE_RECEIVED = Route(
    template="message_received",
    category="messages",
    transactional=False,
    link="/conversations/{conversation_id}",
)
MESSAGE_WITHHELD = Route(
    template="message_withheld",
    category="account",
    transactional=True,
    link="/conversations/{conversation_id}",
)
MESSAGE_REPORT_RESOLVED = Route(
    template="report_resolved",
    category="account",
    transactional=True,
    link="/conversations/{conversation_id}",
)
OWN_ROUTES: dict[str, Route] = {
    "message_received": MESSAGE_RECEIVED,
    "message_withheld": MESSAGE_WITHHELD,
    "message_report_resolved": MESSAGE_REPORT_RESOLVED,
}
"""Notifications of what happens here (a message, a moderator's decision), by event name."""
ROUTES_BY_TEMPLATE: dict[str, Route] = {
    route.template: route for route in [*ROUTES.values(), *OWN_ROUTES.values()]
}


def route_of(notification: Notification) -> Route:
    """The route a stored notification was made by."""
    return (
        ROUTES.get(notification.event_name)
        or OWN_ROUTES.get(notification.event_name)
        or ROUTES_BY_TEMPLATE[notification.template]
    )


def forget_secrets(notification: Notification) -> list[str]:
    """Drop from the stored data what only its email needed (a reset token, an address):
    called once the email is sent or given up, so the secret does not outlive its one use.
    Returns the values dropped, for the caller to erase wherever else they were written."""
    secrets = route_of(notification).secrets
    dropped = [str(value) for key, value in notification.data.items() if key in secrets and value]
    if any(key in notification.data for key in secrets):
        notification.data = {k: v for k, v in notification.data.items() if k not in secrets}
    return dropped


def _learn_schedule_zone(session: Session, schedule: dict[str, Any]) -> None:
    learn_zone(session, schedule["professional_id"], schedule["time_zone"], settled=True)


COPIES: dict[str, tuple[type[Schema], Callable[[Session, dict[str, Any]], object]]] = {
    "account_created": (schemas.AccountEventSchema, record_account),
    "account_changed": (schemas.AccountEventSchema, record_account),
    GOODBYE_EVENT: (schemas.AccountClosedSchema, close_account),
    "listing_published": (schemas.ListingEventSchema, record_listing),
    "listing_changed": (schemas.ListingEventSchema, record_listing),
    "schedule_changed": (schemas.ScheduleChangedSchema, _learn_schedule_zone),
    "account_suspended": (schemas.AccountSuspendedSchema, record_suspension),
    "account_reinstated": (schemas.AccountReinstatedSchema, record_reinstatement),
}
"""Events that only update our copies of other services' data (before any notifying)."""

ROLLS = {"proposal_opened": "proposal", "election_opened": "election"}
CONSUMED_EVENTS = tuple(sorted({*ROUTES, *COPIES}))

PRODUCERS: dict[str, tuple[str, ...]] = {
    "profiles": (
        "account_created",
        "account_changed",
        "account_closed",
        "listing_published",
        "listing_changed",
        "password_reset_requested",
        "password_changed",
        "email_confirmation_requested",
        "email_changed",
        "data_export_requested",
        "review_removed",
        "review_report_resolved",
        "account_suspended",
        "account_reinstated",
        "profile_report_resolved",
    ),
    "booking": (
        *(
            name
            for name in ROUTES
            if name.startswith("booking_") and name != "booking_payment_failed"
        ),
        "schedule_changed",
    ),
    "billing": (
        "membership_started",
        "dues_paid",
        "payment_failed",
        "owner_status_changed",
        "booking_payment_failed",
    ),
    "governance": (
        "proposal_opened",
        "proposal_closing_soon",
        "proposal_closed",
        "election_opened",
        "election_closing_soon",
        "election_closed",
        "patronage_allocated",
    ),
}
"""Which service publishes each consumed event (the service subscribes to exactly these)."""


def _load(schema: type[Schema], event_name: str, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        return schema().load(payload)
    except ValidationError as error:
        raise Invalid(f"malformed {event_name} event", flatten_messages(error.messages)) from None


def _remember_booking(session: Session, route: Route, data: dict[str, Any], status: Any) -> None:
    """Keep the parties and their zones; give a calendar-bearing email its SEQUENCE/STATUS
    (a request moved before anyone confirmed it is still tentative)."""
    sequence = note_booking_event(session, data, route.changes_calendar)
    hold_contacts(session, (data["client_id"], data["professional_id"]))
    for party in ("client_id", "professional_id"):
        learn_zone(session, data[party], data["time_zone"])
    if route.calendar_status is not None:
        data["calendar_sequence"] = sequence
        tentative = route.calendar_status == "CONFIRMED" and status == "requested"
        data["calendar_status"] = "TENTATIVE" if tentative else route.calendar_status


def handle_event(
    session: Session, event_name: str, payload: dict[str, Any], now: datetime
) -> list[Notification]:
    """Take in one consumed event: update our copies, then create what it tells whom.

    A malformed payload raises `Invalid` naming the bad fields: a producer bug to look at, not
    something a retry fixes. Events we do not route are ignored (returns nothing).
    """
    if event_name in COPIES:
        schema, keep = COPIES[event_name]
        keep(session, _load(schema, event_name, payload))
    route = ROUTES.get(event_name)
    if route is None or route.schema is None:
        return []
    schema = route.schema()
    data = _load(route.schema, event_name, payload)
    if route.booking:
        _remember_booking(session, route, data, payload.get("status"))
    if event_name in ROLLS:
        keep_roll(session, ROLLS[event_name], data[f"{ROLLS[event_name]}_id"], data["electorate"])
    stored = schema.dump(data)
    stored.update({k: data[k] for k in ("calendar_sequence", "calendar_status") if k in data})
    return notify(
        session, route, data["event_id"], event_name, route.audience(session, stored), now
    )


def notify(
    session: Session,
    route: Route,
    event_id: str,
    event_name: str,
    audience: Audience,
    now: datetime,
) -> list[Notification]:
    """Create the notifications of one event, skipping any (recipient, channel) already made,
    and anyone whose account is closed (unless the route is the goodbye, made for them)."""
    if not route.reaches_closed_account:
        closed = closed_accounts(session, [account_id for account_id, _, _ in audience])
        audience = [entry for entry in audience if entry[0] not in closed]
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
        for channel in sorted(wanted[account_id] & route.channels):
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
