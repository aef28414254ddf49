"""A member's email address: confirmed, and changed only to a confirmed one.

The address is how a member signs in, resets a forgotten password and hears about bookings, so
it is confirmed by a link sent to it (`email_confirmations` makes the links), and a new one
replaces it only once the link sent to the new address is used. The old address is then told,
with a link that brings it back for a week: whoever changed it knew the password, and if that
was not the member, that link is how they get their account back (every log-in ends, and they
reset the password, which the email tells them to do).

A link works once: it is used up by a conditional update, so two requests racing with one
token cannot both win, and a refusal changes nothing (the token of a refused confirmation, an
address another account took meanwhile, still works once the address is free).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from loconomics_plumbing.errors import Conflict, Invalid
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Account, EmailConfirmation, PasswordReset
from . import accounts, email_confirmations, emailed_links, login_sessions
from .email_confirmations import CHANGE, CONFIRMING, SIGN_UP, UNDO

Emit = Callable[[str, dict], object]


def resend_confirmation(session: Session, emit: Emit, *, account_id: str, now: datetime) -> None:
    """The link again, to the signed-in member's current address, unless it is confirmed
    already (or the hour's links went): the same silence either way."""
    account = accounts.current_account(session, account_id)
    if account.email_confirmed_at is not None:
        return
    email_confirmations.send_confirmation(session, emit, account, account.email, SIGN_UP, now)


def request_change(
    session: Session,
    emit: Emit,
    *,
    account_id: str,
    email: str,
    current_password: str,
    now: datetime,
) -> None:
    """Send a link to the new address; the account's changes only when it is used.

    Refused with nothing changed: a wrong current password (`errors.current_password`), the
    account's own address or one email cannot reach (`errors.email`), all `Invalid`; then an
    address another account has (`Conflict`), told only to whoever knows the password.
    """
    account = accounts.current_account(session, account_id)
    new_email = accounts.normalise_email(email)
    errors = {}
    if not accounts.has_password(account, current_password):
        errors["current_password"] = [accounts.WRONG_PASSWORD]
    if new_email == account.email:
        errors["email"] = ["This is the account's address already."]
    elif accounts.undeliverable(new_email):
        errors["email"] = ["Not an address email can reach."]
    if errors:
        detail = (
            accounts.PASSWORD_IS_WRONG
            if "current_password" in errors
            else "The input is not valid."
        )
        raise Invalid(detail, errors)
    if _taken(session, new_email, account.id):
        raise _address_taken()
    email_confirmations.send_confirmation(session, emit, account, new_email, CHANGE, now)


def confirm(session: Session, emit: Emit, *, token: str, now: datetime) -> Account:
    """Do what the link was sent for, once: confirm the sign-up address, make a new address
    the account's, or bring the old one back.

    Refused with nothing changed: a token unknown, used, superseded or expired, of a closed
    account, or a `sign_up` one for an address the account no longer has (`Invalid`,
    `errors.token`); the address another account's meanwhile (`Conflict`, `errors.email`,
    and the token still works).
    """
    link = emailed_links.usable(session, EmailConfirmation, token, now)
    if link is None:
        raise _not_valid()
    account = session.get(Account, link.account_id)
    if account is None or account.closed_at is not None:
        raise _not_valid()
    if link.purpose == SIGN_UP and link.email != account.email:
        raise _not_valid()  # the address changed since the link was sent
    if not emailed_links.claim(session, EmailConfirmation, link, now):
        raise _not_valid()
    if link.purpose == CHANGE:
        _change(session, emit, account, link, now)
    elif link.purpose == UNDO:
        _undo(session, emit, account, link, now)
    else:
        account.email_confirmed_at = now
    return account


def _change(
    session: Session, emit: Emit, account: Account, link: EmailConfirmation, now: datetime
) -> None:
    """The new address becomes the account's; reset links sent to the old one stop working,
    and the old one gets a link back."""
    old_email = account.email
    emailed_links.use_up_unused(session, PasswordReset, account.id, now)
    undo, undo_token = email_confirmations.make_undo(session, account.id, old_email, now)
    _set_address(session, account, link.email, now)
    emit("account_changed", accounts.account_event(account))
    emit(
        "email_changed",
        {
            "account_id": account.id,
            "name": account.name,
            "language": account.language,
            "old_email": old_email,
            "new_email": account.email,
            "changed_at": now.isoformat(),
            "undo_token": undo_token,
            "undo_expires_at": undo.expires_at.isoformat(),
        },
    )


def _undo(
    session: Session, emit: Emit, account: Account, link: EmailConfirmation, now: datetime
) -> None:
    """The old address comes back and whoever changed it is out: every log-in ends, and the
    links they could still use stop working: confirmation and reset links, and the undo links
    of this change and of any later one (they lead back to addresses this undo undoes). An
    undo link made before this one stays: it undoes an earlier change this one left alone."""
    confirmation = EmailConfirmation.purpose
    emailed_links.use_up_unused(
        session, EmailConfirmation, account.id, now, confirmation.in_(CONFIRMING)
    )
    emailed_links.use_up_unused(
        session,
        EmailConfirmation,
        account.id,
        now,
        confirmation == UNDO,
        EmailConfirmation.created_at >= link.created_at,
    )
    emailed_links.use_up_unused(session, PasswordReset, account.id, now)
    login_sessions.revoke_all(session, account.id, now)
    _set_address(session, account, link.email, now)
    emit("account_changed", accounts.account_event(account))


def _set_address(session: Session, account: Account, email: str, now: datetime) -> None:
    """The address, confirmed now. Another account having it (it took the address after the
    link was sent) is a conflict, and the caller rolls back, the token with it: the database's
    unique address decides, so two accounts racing for one address cannot both have it."""
    account.email = email
    account.email_confirmed_at = now
    try:
        session.flush()
    except IntegrityError:
        raise _address_taken() from None


def _taken(session: Session, email: str, account_id: str) -> bool:
    return (
        session.scalar(select(Account.id).where(Account.email == email, Account.id != account_id))
        is not None
    )


def _address_taken() -> Conflict:
    return Conflict("Another account has this email.", {"email": ["Already registered."]})


def _not_valid() -> Invalid:
    return Invalid(
        "The link is not valid or has expired.",
        {"token": ["Not valid, already used or expired."]},
    )
