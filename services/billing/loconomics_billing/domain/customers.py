"""A person's single Stripe customer and the cards they hand us (as Stripe ids, never numbers)."""

from __future__ import annotations

from datetime import datetime

from loconomics_plumbing.errors import field_error
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import StripeCustomer
from ..stripe_gateway import CardDeclined, StripeGateway, StripeRejected


def find_customer(session: Session, user_id: str) -> StripeCustomer | None:
    return session.scalars(select(StripeCustomer).where(StripeCustomer.user_id == user_id)).first()


def user_for_customer(session: Session, stripe_customer_id: str | None) -> str | None:
    if not stripe_customer_id:
        return None
    return session.scalar(
        select(StripeCustomer.user_id).where(
            StripeCustomer.stripe_customer_id == stripe_customer_id
        )
    )


def ensure_customer(
    session: Session, gateway: StripeGateway, user_id: str, now: datetime
) -> StripeCustomer:
    """The person's Stripe customer, created once.

    The idempotency key makes a retry after a rolled-back transaction get the same Stripe
    customer back instead of a second one.
    """
    existing = find_customer(session, user_id)
    if existing is not None:
        return existing
    created = gateway.create_customer(user_id, idempotency_key=f"customer-{user_id}")
    customer = StripeCustomer(user_id=user_id, stripe_customer_id=created["id"], created_at=now)
    session.add(customer)
    session.flush()
    return customer


def attach_card(
    gateway: StripeGateway, customer_id: str, payment_method_id: str, *, make_default: bool
) -> None:
    """Attach a Stripe payment method to the customer; a refusal is the caller's bad input."""
    try:
        gateway.attach_payment_method(payment_method_id, customer_id)
        if make_default:
            gateway.set_default_payment_method(customer_id, payment_method_id)
    except CardDeclined as exc:
        raise field_error("payment_method_id", f"the card was declined ({exc.code})") from exc
    except StripeRejected as exc:
        raise field_error("payment_method_id", exc.message) from exc
