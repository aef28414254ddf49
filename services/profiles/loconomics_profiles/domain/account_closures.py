"""Closing an account: the member's personal data erased, the account row kept.

The cooperative cannot delete everything a member leaves (the other party of a booking keeps
its history, reviews count in a professional's rating, other services keep account ids in
their records), so closing erases and anonymises: the row stays with `closed_at`, an email
nobody has (`accounts.closed_email`, which frees the member's own for a new sign-up), the name
`Former member` and a password nobody knows. Every log-in ends, and its reset and email
confirmation links go (so none of them ever works again). A
professional's shop goes as a deleted listing goes, and their profile with it, so search and
the public profile no longer know them. Reviews the member wrote stay. Reports the member made
(of reviews and of profiles) stay for the moderators' record, without the member's own words
(`details`); reports of the reviews deleted with a professional go with them, and so do the
reports of their profile. Their suspensions stay, notes included: they are the record of the
moderators' decisions, in the cooperative's words. A suspended account cannot be closed.

`account_closed` tells the other services, and carries the original email, name and language
for the goodbye email only: its outbox row is deleted once published
(`Database(forget_once_published=...)`). The outbox rows of earlier events that carried the
address go at once, sent or not, rather than a week after they are sent.

Bookings not finished block a closure (the member cancels them or waits), so the caller asks
booking first and passes the count: the domain cannot reach another service.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from loconomics_plumbing.errors import Conflict
from loconomics_plumbing.storage import OUTBOX
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import Account, Base, EmailConfirmation, PasswordReset
from ..shop_models import ProfessionalSchedule
from . import (
    account_standing,
    accounts,
    catalog,
    listings,
    login_sessions,
    profile_reports,
    review_reports,
    reviews,
)
from .professional_profiles import erase_profile
from .secret_tokens import new_token

Emit = Callable[[str, dict], object]

FORMER_MEMBER = "Former member"
ADDRESSED_EVENTS = (
    "account_created",
    "account_changed",
    "password_reset_requested",
    "password_changed",
    "email_confirmation_requested",
    "email_changed",
)
"""The events profiles emits with an account's email and name in them."""


def close_account(
    session: Session,
    emit: Emit,
    *,
    account_id: str,
    current_password: str,
    unfinished_bookings: int,
    now: datetime,
) -> Account:
    """Close the signed-in member's own account, confirmed by its current password.

    Refused with nothing changed: a wrong password (`Invalid`, `errors.current_password`), any
    booking not finished (`Conflict`, `errors.bookings` says how many), an account already
    closed (`Unauthorized`, as for everything else it could ask), an account suspended
    (`Forbidden`: a suspended member cannot sign in, so a token still in flight cannot close
    it either, and a suspension is never undone by a closure written in the same instant).
    """
    account_standing.hold(session, account_id)
    account = accounts.current_account(session, account_id)
    if account_standing.is_suspended(session, account.id):
        raise account_standing.account_suspended()
    accounts.confirm_current_password(account, current_password)
    if unfinished_bookings > 0:
        raise Conflict(
            "Some bookings are not finished.", {"bookings": [_unfinished(unfinished_bookings)]}
        )
    addressee = {"email": account.email, "name": account.name, "language": account.language}

    listings.withdraw_all(session, emit, account.id, now)
    catalog.withdraw_proposals(session, account.id, now)
    erase_profile(session, account.id)
    reviews.forget_reviews_of_professional(session, account.id)
    review_reports.forget_reporter_details(session, account.id)
    profile_reports.forget_reports_of_professional(session, account.id)
    profile_reports.forget_reporter_details(session, account.id)
    schedule = session.get(ProfessionalSchedule, account.id)
    if schedule is not None:
        session.delete(schedule)

    account.closed_at = now
    account.email = accounts.closed_email(account.id)
    account.name = FORMER_MEMBER
    accounts.set_password(account, new_token())  # a random secret nobody is ever shown
    login_sessions.revoke_all(session, account.id, now)
    session.execute(delete(PasswordReset).where(PasswordReset.account_id == account.id))
    session.execute(delete(EmailConfirmation).where(EmailConfirmation.account_id == account.id))
    _forget_addresses_in_outbox(session, account.id)
    session.flush()
    emit(
        "account_closed",
        {
            "account_id": account.id,
            "closed_at": now.isoformat(),
            "roles": account.roles,
            **addressee,
        },
    )
    return account


def _forget_addresses_in_outbox(session: Session, account_id: str) -> None:
    """Delete the outbox rows of this account's events that carried its address, published or
    not: the outbox keeps published rows a week, and nobody needs these again. One not yet
    published is not needed either: its readers (governance, notifications) take a closure of
    an account they never heard of, and ignore what arrives about it afterwards. A row the
    relay is sending at this moment goes out and is erased by `account_closed` after it."""
    outbox = Base.metadata.tables[OUTBOX]
    rows = session.execute(
        select(outbox.c.event_id, outbox.c.payload).where(
            outbox.c.event_type.in_(ADDRESSED_EVENTS),
            outbox.c.payload.contains(account_id, autoescape=True),
        )
    )
    theirs = [row.event_id for row in rows if json.loads(row.payload)["account_id"] == account_id]
    if theirs:
        session.execute(delete(outbox).where(outbox.c.event_id.in_(theirs)))


def _unfinished(count: int) -> str:
    if count == 1:
        return (
            "1 booking is not finished: cancel it or wait until it is completed, then close "
            "the account."
        )
    return (
        f"{count} bookings are not finished: cancel them or wait until they are completed, "
        "then close the account."
    )
