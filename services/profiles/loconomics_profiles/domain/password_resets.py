"""Forgotten and changed passwords: a reset link by email, and a change with the current one.

A reset token is shown once (in the `password_reset_requested` event notifications emails)
and stored as a SHA-256 hash. It works once, within its lifetime, and only the newest of an
account's tokens works. Asking never tells whether an account has the email. A new password,
however it was set, ends every other log-in of the account: whoever knew the old one is out.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from loconomics_plumbing import config
from loconomics_plumbing.errors import Invalid
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Account, PasswordReset
from . import account_standing, accounts, emailed_links, login_sessions
from .secret_tokens import new_token, token_hash

Emit = Callable[[str, dict], object]

RESETS_PER_WINDOW = 5
RESET_WINDOW = timedelta(hours=1)
"""At most this many reset emails per account in this window: more would only flood its inbox."""


def reset_lifetime() -> timedelta:
    return timedelta(minutes=config.int_setting("LOCONOMICS_PASSWORD_RESET_MINUTES", 60))


def _addressee(account: Account) -> dict:
    return {
        "account_id": account.id,
        "email": account.email,
        "name": account.name,
        "language": account.language,
    }


def request_reset(session: Session, emit: Emit, *, email: str, now: datetime) -> None:
    """Send a reset link to the account with this email, if there is one; the same silence
    either way, so nobody learns from it who is a member."""
    account = session.scalar(
        select(Account).where(
            Account.email == accounts.normalise_email(email), Account.closed_at.is_(None)
        )
    )
    if account is None:
        return
    account_standing.hold(session, account.id)
    if account_standing.is_suspended(session, account.id):
        return  # nothing is sent, and the answer is the same
    recent = emailed_links.made_since(session, PasswordReset, account.id, now - RESET_WINDOW)
    if recent >= RESETS_PER_WINDOW:
        return
    emailed_links.use_up_unused(session, PasswordReset, account.id, now)  # only the newest works
    token = new_token()
    reset = PasswordReset(
        id=str(uuid.uuid4()),
        account_id=account.id,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + reset_lifetime(),
    )
    session.add(reset)
    session.flush()
    emit(
        "password_reset_requested",
        {**_addressee(account), "reset_token": token, "expires_at": reset.expires_at.isoformat()},
    )


def reset_password(
    session: Session, emit: Emit, *, token: str, password: str, now: datetime
) -> Account:
    """Set a new password with an emailed token, which is used up by it."""
    reset = emailed_links.usable(session, PasswordReset, token, now)
    if reset is None:
        raise _not_valid()
    account_standing.hold(session, reset.account_id)
    if account_standing.is_suspended(session, reset.account_id):
        raise account_standing.account_suspended()
    if not emailed_links.claim(session, PasswordReset, reset, now):
        raise _not_valid()
    account = accounts.get_account(session, reset.account_id)
    accounts.set_password(account, password)
    login_sessions.revoke_all(session, account.id, now)
    emit("password_changed", _changed(account, now, "reset"))
    return account


def change_password(
    session: Session,
    emit: Emit,
    *,
    account_id: str,
    current_password: str,
    password: str,
    now: datetime,
    keep_session_id: str | None = None,
) -> Account:
    """A signed-in member sets a new password by giving the current one; their other log-ins
    end, the one they are changing it from (`keep_session_id`) stays open."""
    account = accounts.current_account(session, account_id)
    accounts.confirm_current_password(account, current_password)
    accounts.set_password(account, password)
    login_sessions.revoke_all(session, account.id, now, keep_session_id=keep_session_id)
    emit("password_changed", _changed(account, now, "change"))
    return account


def _changed(account: Account, now: datetime, how: str) -> dict:
    return {**_addressee(account), "changed_at": now.isoformat(), "how": how}


def _not_valid() -> Invalid:
    return Invalid(
        "The reset link is not valid or has expired.",
        {"token": ["Not valid or expired; ask for a new link."]},
    )
