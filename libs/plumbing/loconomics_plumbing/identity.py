"""Who is calling: the gateway authenticates, services decide what the caller may do."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from .errors import Forbidden, Unauthorized

ROLES = ("client", "professional", "admin")


@dataclass(frozen=True)
class Caller:
    user_id: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_context(cls, context: dict) -> Caller:
        """Read identity from nameko context data (`user_id`, `roles` comma-separated)."""
        raw_roles = context.get("roles") or ""
        roles = raw_roles.split(",") if isinstance(raw_roles, str) else list(raw_roles)
        return cls(context.get("user_id") or None, frozenset(r for r in roles if r))

    @classmethod
    def from_context_cached(cls, context: dict) -> Caller:
        """`from_context`, remembered per (user_id, roles): a `Caller` is immutable, and the
        same few callers call again and again."""
        user_id, raw_roles = context.get("user_id"), context.get("roles")
        if not (isinstance(user_id, str | None) and isinstance(raw_roles, str | None)):
            return cls.from_context(context)
        return _caller_of(user_id, raw_roles)

    def as_context(self) -> dict:
        return {"user_id": self.user_id, "roles": ",".join(sorted(self.roles))}

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def require_user(self) -> str:
        if not self.user_id:
            raise Unauthorized("This needs a signed-in account.")
        return self.user_id

    def require_role(self, role: str) -> str:
        user_id = self.require_user()
        if role not in self.roles and not self.is_admin:
            raise Forbidden(f"This needs the {role} role.")
        return user_id

    def require_admin(self) -> str:
        user_id = self.require_user()
        if not self.is_admin:
            raise Forbidden("This needs an administrator.")
        return user_id


ANONYMOUS = Caller()


@functools.lru_cache(maxsize=4096)
def _caller_of(user_id: str | None, raw_roles: str | None) -> Caller:
    return Caller.from_context({"user_id": user_id, "roles": raw_roles})
