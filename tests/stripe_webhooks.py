"""Stripe's webhook signature, for tests that deliver events to the gateway themselves."""

from __future__ import annotations

import hashlib
import hmac
import time


def stripe_signature(body: bytes, secret: str, at: int | None = None) -> str:
    """The `Stripe-Signature` header for `body`, as Stripe computes it (now, unless `at`)."""
    stamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"
