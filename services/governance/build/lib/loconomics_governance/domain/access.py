"""Who may do what: admins run elections and allocations; members in good standing take part."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from loconomics_plumbing.errors import Forbidden, Unauthorized
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Member
from .statuses import GOOD_STANDING


class Caller(Protocol):
    """The identity the gateway vouches for; `user_id` is the member's external id."""

    user_id: str | None
    roles: Collection[str]


def require_signed_in(caller: Caller) -> str:
    if not caller.user_id:
        raise Unauthorized("This needs a signed-in account.")
    return caller.user_id


def is_admin(caller: Caller) -> bool:
    return "admin" in caller.roles


def require_admin(caller: Caller) -> str:
    user_id = require_signed_in(caller)
    if not is_admin(caller):
        raise Forbidden("Only an administrator of the cooperative may do this.")
    return user_id


def member_of(session: Session, caller: Caller) -> Member | None:
    if not caller.user_id:
        return None
    return session.scalars(select(Member).where(Member.external_id == caller.user_id)).first()


def require_member_in_good_standing(session: Session, caller: Caller) -> Member:
    require_signed_in(caller)
    member = member_of(session, caller)
    if member is None or member.status != GOOD_STANDING:
        raise Forbidden("Only a member in good standing may do this.")
    return member


def require_member_or_admin(session: Session, caller: Caller) -> None:
    """Audits and published ballots are for the membership, not the public."""
    require_signed_in(caller)
    if not is_admin(caller) and member_of(session, caller) is None:
        raise Forbidden("Only members of the cooperative may see this.")
