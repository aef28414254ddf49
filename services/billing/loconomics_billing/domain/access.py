"""Who is calling: the identity the gateway passes in, and the checks billing makes on it."""

from __future__ import annotations

from typing import Protocol

from loconomics_plumbing.errors import Forbidden, Unauthorized


class Caller(Protocol):
    user_id: str | None
    roles: set[str]


def require_user(caller: Caller) -> str:
    if not caller.user_id:
        raise Unauthorized("sign in first")
    return caller.user_id


def require_admin(caller: Caller) -> str:
    user_id = require_user(caller)
    if "admin" not in caller.roles:
        raise Forbidden("only an administrator may do this")
    return user_id
