"""Stripe's failures as the platform's typed errors, at the edge of each entrypoint.

The domain speaks the gateway's three exceptions; callers over RPC understand only typed
errors. Stripe down or failing is `Unavailable` (503: retry later; Stripe itself retries a
webhook answered so); a request Stripe refuses is `Conflict` (the state at Stripe does not
allow it). An event handler keeps `StripeUnavailable` as it is, so the plumbing requeues the
event, while a refusal, which no retry can cure, is dropped with a log line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from loconomics_plumbing.errors import Conflict, Unavailable, field_error

from .stripe_gateway import CardDeclined, StripeRejected, StripeUnavailable


@contextmanager
def stripe_failures(*, requeue_when_unavailable: bool = False) -> Iterator[None]:
    try:
        yield
    except CardDeclined as exc:
        raise field_error("payment_method_id", f"the card was declined ({exc.code})") from exc
    except StripeRejected as exc:
        raise Conflict(f"Stripe refused the request: {exc.message}") from exc
    except StripeUnavailable as exc:
        if requeue_when_unavailable:
            raise
        raise Unavailable("Stripe cannot be reached just now; try again shortly.") from exc
