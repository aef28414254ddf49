"""Email confirmation links: how they are made, how often, and which one works.

A link confirms an address the member typed (`sign_up`: the one given at sign-up, or sent
again; `change`: a new one they want), or brings the old address back after a change (`undo`).
Its token is shown once (in the event notifications emails) and stored as a SHA-256 hash.
Only the newest `sign_up`/`change` link works, and at most `LINKS_PER_WINDOW` of them go to an
account an hour; `undo` links are never superseded by them (whoever changed the address must
not be able to cancel the way back by asking for more links). What a link does when used is
`email_addresses`'s; this module only makes them, so that sign-up can send one without
depending on the rest.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from loconomics_plumbing import config
from sqlalchemy.orm import Session

from ..models import Account, EmailConfirmation
from . import emailed_links
from .secret_tokens import new_token, token_hash

Emit = Callable[[str, dict], object]

SIGN_UP = "sign_up"
CHANGE = "change"
UNDO = "undo"
CONFIRMING = (SIGN_UP, CHANGE)
"""The links that confirm an address the member typed: limited, and only the newest works."""

LINKS_PER_WINDOW = 5
LINK_WINDOW = timedelta(hours=1)
"""At most this many confirming links per account in this window: more would only flood an
inbox, and it may be a stranger's."""


def confirmation_lifetime() -> timedelta:
    return timedelta(hours=config.int_setting("LOCONOMICS_EMAIL_CONFIRMATION_HOURS", 48))


def undo_lifetime() -> timedelta:
    return timedelta(days=config.int_setting("LOCONOMICS_EMAIL_UNDO_DAYS", 7))


def send_confirmation(
    session: Session, emit: Emit, account: Account, email: str, purpose: str, now: datetime
) -> bool:
    """Send a link confirming `email` for the account (`purpose` `sign_up` or `change`);
    False, with nothing sent, when the account had its links for the hour."""
    confirming = EmailConfirmation.purpose.in_(CONFIRMING)
    recent = emailed_links.made_since(
        session, EmailConfirmation, account.id, now - LINK_WINDOW, confirming
    )
    if recent >= LINKS_PER_WINDOW:
        return False
    emailed_links.use_up_unused(session, EmailConfirmation, account.id, now, confirming)
    link, token = _make(session, account.id, purpose, email, now, confirmation_lifetime())
    emit(
        "email_confirmation_requested",
        {
            "account_id": account.id,
            "email": email,
            "name": account.name,
            "language": account.language,
            "purpose": purpose,
            "confirmation_token": token,
            "expires_at": link.expires_at.isoformat(),
        },
    )
    return True


def make_undo(
    session: Session, account_id: str, old_email: str, now: datetime
) -> tuple[EmailConfirmation, str]:
    """A link bringing `old_email` back, for the security notice to that address; the caller
    emits it. Never limited: it follows a change the member (or whoever had the password)
    confirmed."""
    return _make(session, account_id, UNDO, old_email, now, undo_lifetime())


def _make(
    session: Session,
    account_id: str,
    purpose: str,
    email: str,
    now: datetime,
    lifetime: timedelta,
) -> tuple[EmailConfirmation, str]:
    token = new_token()
    link = EmailConfirmation(
        id=str(uuid.uuid4()),
        account_id=account_id,
        purpose=purpose,
        email=email,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(link)
    return link, token
