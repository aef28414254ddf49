"""Email deliveries: nothing lost, nothing doubled.

A delivery is `pending` until tried, `failed` (waiting for its next try, with exponential
backoff) after a temporary failure, `sent` once the server accepted it, and `dead` after the
last try or a permanent refusal. Dead deliveries stay listed for an operator, who can replay
them. Sending is at least once: if the server accepted a message but we could not record it
(a crash before commit), it is sent again with the same Message-ID, which lets mail systems
drop the copy; there is no way to be exactly-once over SMTP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from loconomics_plumbing.errors import Conflict
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import EmailDelivery, Notification
from .callers import Caller, operator
from .emails import Mailbox, Unsendable, build_email
from .paging import beyond, clamp_limit, decode_cursor, encode_cursor
from .routing import forget_secrets
from .wording import DEFAULT_ZONE

RETRYABLE = ("pending", "failed")
SENDING_LEASE = timedelta(minutes=10)
_ERROR_LENGTH = 1000


class DeliveryError(Exception):
    """A send that did not go through; `permanent` when retrying cannot help (5xx refusals)."""

    def __init__(self, reason: str, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class RetryPolicy:
    """Waits of first_delay, then doubled each try up to max_delay; dead after max_attempts."""

    first_delay: timedelta = timedelta(minutes=1)
    factor: int = 2
    max_delay: timedelta = timedelta(hours=1)
    max_attempts: int = 8

    def delay_after(self, attempts: int) -> timedelta:
        return min(self.first_delay * self.factor ** max(attempts - 1, 0), self.max_delay)


@dataclass
class DeliveryRun:
    sent: int = 0
    retrying: int = 0
    dead: int = 0


def due_deliveries(session: Session, now: datetime, limit: int = 50) -> list[EmailDelivery]:
    """Deliveries to try now, oldest first; locked and skipped by other copies on PostgreSQL."""
    return list(
        session.scalars(
            select(EmailDelivery)
            .where(EmailDelivery.status.in_(RETRYABLE), EmailDelivery.next_attempt_at <= now)
            .order_by(EmailDelivery.next_attempt_at, EmailDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def record_attempt(
    session: Session,
    delivery: EmailDelivery,
    now: datetime,
    error: str | None = None,
    *,
    permanent: bool = False,
    policy: RetryPolicy = RetryPolicy(),
) -> EmailDelivery:
    """Record one try: sent when `error` is None, else retried later or dead. Sent or dead, the
    email will not be built again on its own, so what only it needed (a reset token, a closed
    account's address) goes, from the notification and from the error a server wrote back."""
    if delivery.status not in RETRYABLE:
        raise Conflict(f"delivery {delivery.id} is {delivery.status}; nothing to attempt")
    delivery.attempts += 1
    delivery.updated_at = now
    if error is None:
        delivery.status = "sent"
        delivery.sent_at = now
        delivery.next_attempt_at = None
    else:
        delivery.last_error = error[:_ERROR_LENGTH]
        if permanent or delivery.attempts >= policy.max_attempts:
            delivery.status = "dead"
            delivery.next_attempt_at = None
        else:
            delivery.status = "failed"
            delivery.next_attempt_at = now + policy.delay_after(delivery.attempts)
    if delivery.status in ("sent", "dead"):
        notification = session.get(Notification, delivery.notification_id)
        if notification is not None:
            for secret in forget_secrets(notification):
                if delivery.last_error:
                    delivery.last_error = delivery.last_error.replace(secret, "[erased]")
    session.flush()
    return delivery


@dataclass(frozen=True)
class Claimed:
    delivery_id: str
    message: EmailMessage


@dataclass
class Claim:
    """Emails taken for sending, and what happened to those that could not even be built."""

    items: list[Claimed] = field(default_factory=list)
    run: DeliveryRun = field(default_factory=DeliveryRun)


Outcome = tuple[str, DeliveryError | None]
"""(delivery id, None when the server accepted it, else why not)."""


def _count(run: DeliveryRun, delivery: EmailDelivery) -> None:
    if delivery.status == "sent":
        run.sent += 1
    elif delivery.status == "dead":
        run.dead += 1
    else:
        run.retrying += 1


def claim_due(
    session: Session,
    now: datetime,
    mailbox: Mailbox,
    *,
    limit: int = 20,
    lease: timedelta = SENDING_LEASE,
    policy: RetryPolicy = RetryPolicy(),
    default_zone: str = DEFAULT_ZONE,
) -> Claim:
    """Build the due emails and hold them for `lease`, so the caller can commit and send them
    outside any transaction (an SMTP server may be slow; a database write lock must not wait
    for it). Another copy of the service skips what is held; if this one dies while sending,
    the lease runs out and the email is tried again, with the same Message-ID."""
    claim = Claim()
    for delivery in due_deliveries(session, now, limit):
        try:
            message = build_email(session, delivery, mailbox, now, default_zone=default_zone)
        except (LookupError, ValueError) as problem:
            record_attempt(
                session,
                delivery,
                now,
                f"cannot build: {problem}",
                permanent=isinstance(problem, Unsendable),
                policy=policy,
            )
            _count(claim.run, delivery)
            continue
        delivery.next_attempt_at = now + lease
        claim.items.append(Claimed(delivery.id, message))
    session.flush()
    return claim


def send_claimed(claimed: list[Claimed], send: Callable[[EmailMessage], None]) -> list[Outcome]:
    """Hand each email to `send`, which raises `DeliveryError` when the server says no."""
    outcomes: list[Outcome] = []
    for item in claimed:
        try:
            send(item.message)
        except DeliveryError as failure:
            outcomes.append((item.delivery_id, failure))
        else:
            outcomes.append((item.delivery_id, None))
    return outcomes


def record_outcomes(
    session: Session,
    now: datetime,
    outcomes: list[Outcome],
    *,
    policy: RetryPolicy = RetryPolicy(),
    run: DeliveryRun | None = None,
) -> DeliveryRun:
    """Record each try; one already recorded elsewhere (an operator, another copy) is left."""
    run = run or DeliveryRun()
    for delivery_id, failure in outcomes:
        delivery = session.get(
            EmailDelivery, delivery_id, with_for_update=True, populate_existing=True
        )
        if delivery is None or delivery.status not in RETRYABLE:
            continue
        if failure is None:
            record_attempt(session, delivery, now, policy=policy)
        else:
            record_attempt(
                session, delivery, now, failure.reason, permanent=failure.permanent, policy=policy
            )
        _count(run, delivery)
    return run


def deliver_due(
    session: Session,
    now: datetime,
    send: Callable[[EmailMessage], None],
    mailbox: Mailbox,
    *,
    policy: RetryPolicy = RetryPolicy(),
    limit: int = 20,
    default_zone: str = DEFAULT_ZONE,
) -> DeliveryRun:
    """Claim, send and record in one go: for a caller that holds no write lock while sending
    (tests, a one-off command). The service commits between the three steps instead."""
    claim = claim_due(session, now, mailbox, limit=limit, policy=policy, default_zone=default_zone)
    outcomes = send_claimed(claim.items, send)
    return record_outcomes(session, now, outcomes, policy=policy, run=claim.run)


def _as_item(delivery: EmailDelivery, kind: str) -> dict:
    return {
        "id": delivery.id,
        "notification_id": delivery.notification_id,
        "recipient_id": delivery.recipient_id,
        "kind": kind,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "next_attempt_at": delivery.next_attempt_at,
        "updated_at": delivery.updated_at,
    }


def dead_deliveries(
    session: Session, caller: Caller, limit: int = 50, cursor: str | None = None
) -> dict:
    """The dead-letter list, oldest first, for an operator to look at before replaying."""
    operator(caller)
    query = (
        select(EmailDelivery, Notification.template)
        .join(Notification, Notification.id == EmailDelivery.notification_id)
        .where(EmailDelivery.status == "dead")
        .order_by(EmailDelivery.updated_at, EmailDelivery.id)
        .limit(clamp_limit(limit) + 1)
    )
    if cursor:
        updated_at, delivery_id = decode_cursor(cursor, datetime, str)
        query = query.where(
            beyond(
                EmailDelivery.updated_at,
                EmailDelivery.id,
                updated_at,
                delivery_id,
                descending=False,
            )
        )
    rows = session.execute(query).all()
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1][0]
        next_cursor = encode_cursor(last.updated_at, last.id)
    return {"items": [_as_item(d, kind) for d, kind in page], "next_cursor": next_cursor}


def replay_dead(
    session: Session, caller: Caller, now: datetime, delivery_ids: list[str] | None = None
) -> int:
    """Put dead deliveries back in the queue with a fresh set of tries; returns how many."""
    operator(caller)
    query = select(EmailDelivery).where(EmailDelivery.status == "dead")
    if delivery_ids is not None:
        query = query.where(EmailDelivery.id.in_(delivery_ids))
    replayed = 0
    for delivery in session.scalars(query.with_for_update()):
        delivery.status = "pending"
        delivery.attempts = 0
        delivery.next_attempt_at = now
        delivery.updated_at = now
        replayed += 1
    session.flush()
    return replayed
