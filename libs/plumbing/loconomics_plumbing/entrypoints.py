"""nameko entrypoints with the unit of work and typed errors built in.

Each decorated method commits `self.db` before its reply or acknowledgement
leaves, turns marshmallow validation failures into `Invalid`, and lets only
typed errors cross the wire. Services name their `Database` dependency `db`.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable

from marshmallow import ValidationError
from nameko.events import SERVICE_POOL
from nameko.timer import timer
from sqlalchemy.exc import IntegrityError, OperationalError

from . import remote_errors  # noqa: F401 - registers typed errors for callers
from .errors import TYPED_ERRORS, Conflict, CoopError, Invalid, Unavailable
from .queues import event_handler
from .rpc_transport import ReplyRpc
from .validation import flatten_messages

log = logging.getLogger(__name__)


# PostgreSQL's "try the transaction again" answers: serialization_failure, deadlock_detected.
# Two inserts racing on an exclusion constraint can deadlock by design (booking avoids it
# with a lock per professional); a loser's retry then sees the winner's row and answers as
# it should have (a Conflict).
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
RPC_ATTEMPTS = 3


def is_retryable(error: OperationalError) -> bool:
    """True when the database aborted the transaction only to have it tried again."""
    orig = error.orig
    return (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)) in RETRYABLE_SQLSTATES


class Clash(Conflict):
    """A write the database refused for a row it already holds, which the code did not expect
    (an RPC's caller gets a Conflict; an event is delivered again, and then sees that row)."""


def _in_unit_of_work(fn: Callable, attempts: int = 1) -> Callable:
    """Run `fn` in one transaction, committed after it returns; a transaction the database
    aborted for a retry (deadlock, serialization failure) is run again, `attempts` in all."""

    @functools.wraps(fn)
    def run(self, *args, **kwargs):
        unit = getattr(self, "db", None)
        attempt = 1
        while True:
            try:
                result = fn(self, *args, **kwargs)
                if unit is not None:
                    unit.commit()
                return result
            except ValidationError as error:
                raise Invalid("The input is not valid.", flatten_messages(error.messages)) from None
            except IntegrityError as error:
                if unit is not None:
                    unit.rollback()
                raise Clash("This conflicts with existing data.") from error
            except OperationalError as error:
                if unit is not None:
                    unit.rollback()
                if attempt < attempts and is_retryable(error):
                    log.info("retrying %s after %s", fn.__name__, type(error.orig).__name__)
                    time.sleep(random.uniform(0, 0.02 * attempt))
                    attempt += 1
                    continue
                raise Unavailable("The database is busy; try again.") from error

    return run


def as_wire_error(error: CoopError) -> CoopError:
    """A service's own subclass of a typed error crosses the wire as its registered base."""
    if type(error) in TYPED_ERRORS:
        return error
    for base in TYPED_ERRORS:
        if isinstance(error, base):
            return base(error.detail, error.errors)
    return Invalid(error.detail, error.errors)


def rpc(fn: Callable) -> Callable:
    """An RPC method whose input errors and conflicts reach the caller as typed errors."""
    in_unit = _in_unit_of_work(fn, attempts=RPC_ATTEMPTS)

    @functools.wraps(fn)
    def run(self, *args, **kwargs):
        try:
            return in_unit(self, *args, **kwargs)
        except CoopError as error:
            wire = as_wire_error(error)
            if wire is error:
                raise
            raise wire from error

    return ReplyRpc.decorator(expected_exceptions=TYPED_ERRORS)(run)


def handles(source_service: str, event_type: str) -> Callable[[Callable], Callable]:
    """An event handler applied once per `event_id`, in the same transaction as its change.

    A bad payload (typed error) is logged and dropped: redelivering it cannot help.
    Anything else is requeued: the database busy (`Unavailable`, whoever raised it), a clash
    with a row another worker wrote meanwhile (an integrity error: the next delivery sees that
    row), a bug fixed by a redeploy.
    """

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(self, payload: dict):
            key = f"{fn.__name__}:{payload.get('event_id', '')}"
            try:
                if payload.get("event_id") and not self.db.first_time(key):
                    self.db.rollback()
                    return None
                result = _in_unit_of_work(fn)(self, payload)
            except CoopError as error:
                self.db.rollback()
                if _passes(error):
                    log.warning(
                        "requeued %s event %s: %s",
                        event_type,
                        payload.get("event_id"),
                        error.as_dict(),
                    )
                    time.sleep(1)
                    raise
                log.error(
                    "dropped %s event %s: %s", event_type, payload.get("event_id"), error.as_dict()
                )
                return None
            except Exception:
                self.db.rollback()
                time.sleep(1)
                raise
            return result

        return event_handler(
            source_service,
            event_type,
            handler_type=SERVICE_POOL,
            reliable_delivery=True,
            requeue_on_error=True,
        )(run)

    return decorate


def _passes(error: CoopError) -> bool:
    """A typed error that says "not now" rather than "never": worth another delivery."""
    return isinstance(error, Unavailable | Clash)


def every(seconds: float) -> Callable[[Callable], Callable]:
    """Time-driven work (expiry, reminders, closing ballots), committed like any worker."""

    def decorate(fn: Callable) -> Callable:
        return timer(interval=seconds)(_in_unit_of_work(fn))

    return decorate
