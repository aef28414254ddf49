"""Typed business errors: the only errors a service lets cross the wire.

Plain Python on purpose, so domain code can raise them without importing the
transport. `loconomics_plumbing.rpc` registers them with nameko so a caller gets
the same class back, and the gateway maps each one to an HTTP status.
"""

from __future__ import annotations


class CoopError(Exception):
    """A failure the caller caused and can understand; never a bug."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str = "", errors: dict[str, list[str]] | None = None):
        super().__init__(detail, errors or {})
        self.detail = detail or self.title
        self.errors = errors or {}

    def __str__(self) -> str:
        return self.detail

    def as_dict(self) -> dict:
        return {"kind": type(self).__name__, "detail": self.detail, "errors": self.errors}


class BadRequest(CoopError):
    """A request that cannot be read at all (a bad signature, a body that is not what it claims)."""

    status = 400
    title = "Bad request"


class Invalid(CoopError):
    """Input that breaks a rule; `errors` names every bad field."""

    status = 422
    title = "Invalid input"


class Unauthorized(CoopError):
    """No caller, or a caller whose credentials do not hold."""

    status = 401
    title = "Unauthorized"


class Forbidden(CoopError):
    """A known caller asking for something their role does not allow."""

    status = 403
    title = "Forbidden"


class NotFound(CoopError):
    status = 404
    title = "Not found"


class Conflict(CoopError):
    """The request clashes with the current state: a taken slot, a second vote."""

    status = 409
    title = "Conflict"


class Unavailable(CoopError):
    """A dependency (database lock, another service, the broker) is busy or down: retry later."""

    status = 503
    title = "Service unavailable"


TYPED_ERRORS: tuple[type[CoopError], ...] = (
    BadRequest,
    Invalid,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    Unavailable,
)


def field_error(field: str, message: str) -> Invalid:
    """Shorthand for the common case of a single bad field."""
    return Invalid(f"{field}: {message}", {field: [message]})
