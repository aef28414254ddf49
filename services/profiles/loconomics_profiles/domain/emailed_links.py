"""Links emailed with a token that works once: password resets and email confirmations.

Each link is a row holding the account, the token's SHA-256 hash (`secret_tokens`), when it
was made, when it expires and when it stopped working (`used_at`: used, superseded by a newer
link, or used up by a change that made it pointless all end a link the same way). These are
the rules every such link follows, written once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from ..models import EmailConfirmation, EmailedLink, PasswordReset
from .secret_tokens import token_hash

LinkModel = type[EmailedLink]
Link = EmailedLink

KEPT_AFTER_EXPIRY = timedelta(days=7)
"""How long a link's row outlives its expiry (for support's questions), before it goes with
the address it was sent to."""


def usable(session: Session, model: LinkModel, token: str, now: datetime) -> Link | None:
    """The link of this token if it still works: known, not used, not expired."""
    link = session.scalar(select(model).where(model.token_hash == token_hash(token)))
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    return link


def claim(session: Session, model: LinkModel, link: Link, now: datetime) -> bool:
    """Use the link up; False if another request used it first. A conditional update, so two
    requests racing with one token cannot both win."""
    claimed = session.execute(
        update(model).where(model.id == link.id, model.used_at.is_(None)).values(used_at=now)
    )
    return claimed.rowcount == 1


def made_since(
    session: Session,
    model: LinkModel,
    account_id: str,
    since: datetime,
    *only: ColumnElement[bool],
) -> int:
    """How many links (of those matching `only`) the account was sent after `since`: the
    hourly limit that keeps anyone from flooding an inbox."""
    return session.scalar(
        select(func.count())
        .select_from(model)
        .where(model.account_id == account_id, model.created_at > since, *only)
    )


def use_up_unused(
    session: Session, model: LinkModel, account_id: str, now: datetime, *only: ColumnElement[bool]
) -> None:
    """End the account's links still working (of those matching `only`): a newer one
    supersedes them, or a change made them pointless."""
    session.execute(
        update(model)
        .where(model.account_id == account_id, model.used_at.is_(None), *only)
        .values(used_at=now)
    )


def forget_expired(session: Session, now: datetime) -> int:
    """Delete the links that expired more than `KEPT_AFTER_EXPIRY` ago, used or not: they
    can never work again, and an email confirmation holds the address it went to."""
    cutoff = now - KEPT_AFTER_EXPIRY
    forgotten = 0
    for model in (PasswordReset, EmailConfirmation):
        forgotten += session.execute(delete(model).where(model.expires_at < cutoff)).rowcount
    return forgotten
