"""Who is asking: the identity the gateway vouches for, as the domain needs it."""

from __future__ import annotations

from typing import Protocol

from loconomics_plumbing.errors import Forbidden, Unauthorized


class Caller(Protocol):
    user_id: str | None
    roles: set[str]


def signed_in(caller: Caller) -> str:
    """The caller's account id; everything here is about one's own notifications."""
    if not caller.user_id:
        raise Unauthorized("sign in first")
    return caller.user_id


def operator(caller: Caller) -> str:
    """Dead letters hold other members' mail, so only an admin may look at or replay them."""
    user_id = signed_in(caller)
    if "admin" not in caller.roles:
        raise Forbidden("only an operator (admin) may do this")
    return user_id


def moderator(caller: Caller) -> str:
    """Reports and what they are about are for the moderators: administrators only."""
    user_id = signed_in(caller)
    if "admin" not in caller.roles:
        raise Forbidden("only a moderator (admin) may do this")
    return user_id
