"""Accounts: sign-up (with the link confirming its address), log-in and the owner status
profiles gates features on."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from loconomics_plumbing.errors import Conflict, Invalid, NotFound, Unauthorized
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Account, AccountRole
from . import account_standing, email_confirmations

Emit = Callable[[str, dict], object]

_hasher = PasswordHasher()
# Checked when the email is unknown, so a wrong email costs as long as a wrong password.
_UNKNOWN_ACCOUNT_HASH = _hasher.hash("no account has this password")

CLOSED_EMAIL_DOMAIN = "closed.invalid"
"""Where a closed account's email points: `.invalid` never delivers (RFC 2606), and nobody may
sign up with an address there, so nobody can take a closed account's address in advance and
stop its closure."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def closed_email(account_id: str) -> str:
    """The email a closed account keeps: unique, and frees the member's own for a new sign-up."""
    return f"closed-{account_id}@{CLOSED_EMAIL_DOMAIN}"


def undeliverable(email: str) -> bool:
    """An address at a `.invalid` domain: nothing reaches it, and closed accounts have one."""
    domain = email.rpartition("@")[2]
    return domain == "invalid" or domain.endswith(".invalid")


def clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise Invalid("The input is not valid.", {"name": ["Must not be blank."]})
    return cleaned


def account_event(account: Account) -> dict:
    return {
        "account_id": account.id,
        "email": account.email,
        "name": account.name,
        "language": account.language,
        "roles": account.roles,
    }


def sign_up(
    session: Session,
    emit: Emit,
    *,
    email: str,
    password: str,
    name: str,
    roles: list[str],
    language: str,
    now: datetime,
) -> Account:
    email = normalise_email(email)
    if undeliverable(email):
        raise Invalid("The input is not valid.", {"email": ["Not an address email can reach."]})
    if session.scalar(select(Account.id).where(Account.email == email)):
        raise Conflict("An account with this email exists.", {"email": ["Already registered."]})
    account = Account(
        id=str(uuid.uuid4()),
        email=email,
        name=clean_name(name),
        password_hash=_hasher.hash(password),
        language=language,
        created_at=now,
        role_rows=[AccountRole(role=role) for role in sorted(set(roles))],
    )
    session.add(account)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            "An account with this email exists.", {"email": ["Already registered."]}
        ) from None
    emit("account_created", account_event(account))
    email_confirmations.send_confirmation(
        session, emit, account, account.email, email_confirmations.SIGN_UP, now
    )
    return account


def log_in(session: Session, *, email: str, password: str) -> Account:
    """The account these credentials open; one vague error for every failure. A suspended
    account is `Forbidden`, but only to whoever gave its right password."""
    account = session.scalar(select(Account).where(Account.email == normalise_email(email)))
    stored = account.password_hash if account else _UNKNOWN_ACCOUNT_HASH
    if not _verifies(stored, password) or account is None:
        raise Unauthorized("The email or password is wrong.")
    # Before the session is opened: a suspension in flight revokes it, or is seen here.
    account_standing.hold(session, account.id)
    if account_standing.is_suspended(session, account.id):
        raise account_standing.account_suspended()
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    return account


def change_account(session: Session, emit: Emit, account_id: str, changes: dict) -> Account:
    """The member's own name or language. Everyone who keeps a copy (notifications' contacts,
    the cooperative's register) hears the whole account again, once, if anything changed."""
    account = current_account(session, account_id)
    wanted = dict(changes)
    if "name" in wanted:
        wanted["name"] = clean_name(wanted["name"])
    changed = {field: value for field, value in wanted.items() if getattr(account, field) != value}
    for field, value in changed.items():
        setattr(account, field, value)
    if changed:
        session.flush()
        emit("account_changed", account_event(account))
    return account


def set_password(account: Account, password: str) -> None:
    account.password_hash = _hasher.hash(password)


def has_password(account: Account, password: str) -> bool:
    return _verifies(account.password_hash, password)


WRONG_PASSWORD = "Wrong password."
PASSWORD_IS_WRONG = "The current password is wrong."


def confirm_current_password(account: Account, current_password: str) -> None:
    """The member proves it is them before something a stolen access token must not be enough
    for (a closure, a new password, a copy of their data): `Invalid`, `errors.current_password`
    when it is wrong."""
    if not has_password(account, current_password):
        raise Invalid(PASSWORD_IS_WRONG, {"current_password": [WRONG_PASSWORD]})


def _verifies(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def get_account(session: Session, account_id: str) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("No such account.")
    return account


def current_account(session: Session, account_id: str) -> Account:
    """The signed-in member's own account. A closed one no longer counts as signed in: its
    sessions were revoked, and a token still in flight must not read or change what is left."""
    account = get_account(session, account_id)
    if account.closed_at is not None:
        raise Unauthorized("This account is closed.")
    return account


def apply_owner_status(
    session: Session, *, user_id: str, status: str, changed_at: datetime
) -> bool:
    """Keep billing's latest word on ownership; an older event arriving late changes nothing."""
    account = session.get(Account, user_id)
    if account is None:
        return False
    known = account.owner_status_changed_at
    if known is not None and known > changed_at:
        return False
    account.owner_status = status
    account.owner_status_changed_at = changed_at
    return True
