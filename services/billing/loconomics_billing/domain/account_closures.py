"""Closing an account, billing's part (profiles' `account_closed`, docs/account-closure.md).

The membership's subscription ends at Stripe at once (the period already paid is not
refunded), and what Stripe then says is applied with the same `apply_subscription_state` the
webhooks use, so the owner status is derived and announced as ever (reason
`account_closed`), and a later webhook about that subscription finds nothing left to change.
Then the Stripe customer is deleted, taking the cards and the email kept there with it, and
billing forgets which customer it was. Invoices, dues payments, booking payments and
receipts stay: the accounts must keep them, and they hold account ids and amounts only.

Every step may run again: a retry after Stripe failed halfway (the rolled-back transaction
forgot what Stripe had already done) finds the subscription ended or the customer gone,
takes that as done, and finishes the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ..models import Membership
from ..stripe_gateway import StripeGateway
from .customers import find_customer
from .events import Emit
from .membership import apply_subscription_state, find_membership, has_live_subscription
from .plans import plan_by_id
from .stripe_state import SubscriptionState

REASON = "account_closed"


@dataclass(frozen=True)
class ClosureOutcome:
    subscription_ended: bool
    customer_deleted: bool


def close_account(
    session: Session, gateway: StripeGateway, account_id: str, now: datetime, emit: Emit
) -> ClosureOutcome:
    """End the member's subscription now and delete their Stripe customer; nothing else."""
    membership = find_membership(session, account_id, lock=True)
    ended = False
    if membership is not None and has_live_subscription(membership):
        _end_subscription_now(session, gateway, membership, now, emit)
        ended = True
    customer = find_customer(session, account_id)
    if customer is not None:
        gateway.delete_customer(customer.stripe_customer_id)
        session.delete(customer)
        session.flush()
    return ClosureOutcome(subscription_ended=ended, customer_deleted=customer is not None)


def _end_subscription_now(
    session: Session, gateway: StripeGateway, membership: Membership, now: datetime, emit: Emit
) -> None:
    subscription_id = str(membership.stripe_subscription_id)
    obj = gateway.cancel_subscription_now(subscription_id)
    if obj is None:  # ended already, by an earlier attempt or by Stripe itself
        obj = gateway.retrieve_subscription(subscription_id)
    state = SubscriptionState.from_stripe(obj, now) if obj is not None else _gone(membership)
    apply_subscription_state(session, membership, state, now, emit, REASON)


def _gone(membership: Membership) -> SubscriptionState:
    """A subscription Stripe no longer knows at all (a localstripe started afresh): ended."""
    return SubscriptionState(
        id=str(membership.stripe_subscription_id),
        customer_id="",
        user_id=membership.user_id,
        status="canceled",
        stripe_status="canceled",
        stripe_plan_id=plan_by_id(membership.plan_id).stripe_plan_id,
        item_id=membership.stripe_item_id,
        trial_end=membership.trial_end,
        current_period_start=membership.current_period_start,
        current_period_end=membership.current_period_end,
        cancel_at_period_end=membership.cancel_at_period_end,
        latest_invoice=None,
    )
