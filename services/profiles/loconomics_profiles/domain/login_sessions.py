"""Log-in sessions: refresh tokens that rotate on use, and log-out that revokes.

A refresh token is shown once and stored as a SHA-256 hash. Using it replaces it;
presenting a replaced token again means it leaked, so the whole family of that
log-in is revoked (the standard reuse detection of refresh token rotation).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from loconomics_plumbing import config
from loconomics_plumbing.errors import Unauthorized
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Account, LoginSession
from . import account_standing
from .secret_tokens import new_token, token_hash


class RefreshTokenReused(Unauthorized):
    """A replaced token came back: its log-in is revoked, and that must be committed."""


def refresh_lifetime() -> timedelta:
    return timedelta(days=config.int_setting("LOCONOMICS_REFRESH_TOKEN_DAYS", 30))


def open_session(
    session: Session, account: Account, now: datetime, family_id: str | None = None
) -> tuple[LoginSession, str]:
    token = new_token()
    login = LoginSession(
        id=str(uuid.uuid4()),
        family_id=family_id or str(uuid.uuid4()),
        account_id=account.id,
        refresh_hash=token_hash(token),
        created_at=now,
        expires_at=now + refresh_lifetime(),
    )
    session.add(login)
    session.flush()
    return login, token


def rotate(
    session: Session, refresh_token: str, now: datetime
) -> tuple[Account, LoginSession, str]:
    """Swap a refresh token for a new one in the same family; never for a suspended account
    (`Forbidden`: its log-ins were revoked by the suspension, and none opens while it lasts)."""
    login = session.scalar(
        select(LoginSession).where(LoginSession.refresh_hash == token_hash(refresh_token))
    )
    if login is None:
        raise Unauthorized("The refresh token is not valid.")
    account_standing.hold(session, login.account_id)
    if account_standing.is_suspended(session, login.account_id):
        raise account_standing.account_suspended()
    if login.revoked_at is not None:
        revoke_family(session, login.family_id, now)
        raise RefreshTokenReused("The refresh token was already used; please log in again.")
    if login.expires_at <= now:
        raise Unauthorized("The refresh token has expired; please log in again.")
    account = session.get(Account, login.account_id)
    if account is None:
        raise Unauthorized("The refresh token is not valid.")
    successor, token = open_session(session, account, now, family_id=login.family_id)
    login.revoked_at = now
    login.replaced_by = successor.id
    return account, successor, token


def revoke_family(session: Session, family_id: str, now: datetime) -> None:
    open_logins = session.scalars(
        select(LoginSession).where(
            LoginSession.family_id == family_id, LoginSession.revoked_at.is_(None)
        )
    )
    for login in open_logins:
        login.revoked_at = now


def revoke_all(
    session: Session, account_id: str, now: datetime, keep_session_id: str | None = None
) -> None:
    """End every open log-in of the account: its password changed. The log-in of
    `keep_session_id` (the member changing it, if that session is theirs) stays open."""
    kept = session.get(LoginSession, keep_session_id) if keep_session_id else None
    kept_family = kept.family_id if kept is not None and kept.account_id == account_id else None
    open_logins = session.scalars(
        select(LoginSession).where(
            LoginSession.account_id == account_id, LoginSession.revoked_at.is_(None)
        )
    )
    for login in open_logins:
        if login.family_id != kept_family:
            login.revoked_at = now


def close(session: Session, session_id: str, account_id: str, now: datetime) -> None:
    """Log out: the session of this access token, and every token rotated from it, stop working."""
    login = session.get(LoginSession, session_id)
    if login is None or login.account_id != account_id:
        raise Unauthorized("This session is not yours or does not exist.")
    revoke_family(session, login.family_id, now)


def is_active(session: Session, session_id: str, now: datetime) -> bool:
    login = session.get(LoginSession, session_id)
    return login is not None and login.revoked_at is None and login.expires_at > now
