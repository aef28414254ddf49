"""Membership operations: subscribe, change plan, cancel at period end, resume, sign, suspend.

Each operation asks Stripe to act, then applies the subscription Stripe returns with the same
`apply_subscription_state` the webhooks use, so the synchronous answer and the later webhook
can only agree. One membership per person is a unique constraint; the row is locked while an
operation runs (`FOR UPDATE` on PostgreSQL), and Stripe calls that create things carry
idempotency keys derived from it, so a retried request never subscribes anyone twice.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from loconomics_plumbing.errors import Conflict, Forbidden, NotFound, field_error
from loconomics_plumbing.identity import Caller
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Membership, OwnerAcknowledgment, OwnerStatusChange
from ..stripe_gateway import CardDeclined, StripeGateway
from .acknowledgment import (
    ACCEPTED_VERSIONS,
    CURRENT_VERSION,
    signed_acknowledgment,
    text_sha256,
)
from .customers import attach_card, ensure_customer
from .dues import apply_invoice_state
from .events import Emit
from .owner_status import owner_status_history, refresh_owner_status
from .plans import FREE, Plan, plan_by_id, plan_for_stripe_plan
from .stripe_state import SubscriptionState

ENDED = frozenset({"canceled", "incomplete_expired"})
CHANGEABLE = frozenset({"trialing", "active"})


@dataclass(frozen=True)
class ProrationPreview:
    """What a plan change costs, by Stripe's rule (unused time credited, new time charged).

    Same billing interval: the difference is added to the next invoice. New interval: the
    billing period restarts now and the new plan's full price, less the credit, is billed now.
    An estimate for the member; Stripe's invoice is authoritative.
    """

    credit_cents: int
    charge_cents: int
    billed_now: bool
    currency: str = "USD"

    @property
    def net_cents(self) -> int:
        return self.charge_cents - self.credit_cents


@dataclass
class MembershipChange:
    membership: Membership
    actions: list[str] = field(default_factory=list)
    proration: ProrationPreview | None = None


def _half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


def proration_preview(
    old: Plan,
    new: Plan,
    period_start: datetime | None,
    period_end: datetime | None,
    now: datetime,
    *,
    in_trial: bool,
) -> ProrationPreview:
    """Credit for the unused part of the period and charge for the new plan, in cents.

    Time is counted to the second, as Stripe does, and each amount rounded half up to the
    cent. Nothing has been paid during a trial, so a change there costs nothing.
    """
    if in_trial or period_start is None or period_end is None or period_end <= period_start:
        return ProrationPreview(0, 0, billed_now=False, currency=new.currency)
    total = (period_end - period_start).total_seconds()
    left = min(max((period_end - now).total_seconds(), 0), total)
    unused = Fraction(int(left), int(total))
    credit = _half_up(old.amount_cents * unused)
    if new.interval != old.interval:
        return ProrationPreview(credit, new.amount_cents, billed_now=True, currency=new.currency)
    charge = _half_up(new.amount_cents * unused)
    return ProrationPreview(credit, charge, billed_now=False, currency=new.currency)


def _require_admin(caller: Caller) -> None:
    caller.require_user()
    if not caller.is_admin:
        raise Forbidden("only an administrator may do this")


def find_membership(session: Session, user_id: str, *, lock: bool = False) -> Membership | None:
    query = select(Membership).where(Membership.user_id == user_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def _free_membership(user_id: str, now: datetime) -> Membership:
    return Membership(
        user_id=user_id,
        plan_id=FREE.id,
        owner_status="not_yet_owner",
        cancel_at_period_end=False,
        trial_used=False,
        subscription_generation=0,
        suspended=False,
        created_at=now,
        updated_at=now,
    )


def get_or_create_membership(session: Session, user_id: str, now: datetime) -> Membership:
    """The person's membership, Free until they subscribe; locked for the caller's transaction."""
    membership = find_membership(session, user_id, lock=True)
    if membership is not None:
        return membership
    membership = _free_membership(user_id, now)
    session.add(membership)
    session.flush()
    return membership


def membership_of(
    session: Session, caller: Caller, user_id: str | None, now: datetime
) -> Membership:
    """A person's membership, for themselves or an administrator.

    Someone who never subscribed is on Free: they get an unsaved Free membership, so reading
    never writes.
    """
    me = caller.require_user()
    user_id = user_id or me
    if user_id != me and not caller.is_admin:
        raise Forbidden("only the member or an administrator may see this membership")
    return membership_or_free(session, user_id, now)


def membership_or_free(session: Session, user_id: str, now: datetime) -> Membership:
    """The stored membership, or an unsaved Free one for someone who never subscribed."""
    membership = find_membership(session, user_id)
    return membership if membership is not None else _free_membership(user_id, now)


def has_live_subscription(membership: Membership) -> bool:
    return (
        membership.stripe_subscription_id is not None
        and membership.subscription_status not in ENDED
    )


def effective_plan(membership: Membership) -> Plan:
    """The plan whose features apply now: Free once a subscription has ended."""
    return plan_by_id(membership.plan_id) if has_live_subscription(membership) else FREE


def apply_subscription_state(
    session: Session,
    membership: Membership,
    state: SubscriptionState,
    now: datetime,
    emit: Emit,
    reason: str,
) -> bool:
    """Make the membership say what Stripe says about its subscription.

    A subscription that is not the membership's current one (an older one, replayed late)
    or is on a plan that is not ours changes nothing.
    """
    if membership.stripe_subscription_id not in (None, state.id):
        return False
    plan = plan_for_stripe_plan(state.stripe_plan_id)
    if plan is None:
        return False
    membership.stripe_subscription_id = state.id
    membership.stripe_item_id = state.item_id
    membership.plan_id = plan.id
    membership.subscription_status = state.status
    membership.trial_end = state.trial_end
    membership.current_period_start = state.current_period_start
    membership.current_period_end = state.current_period_end
    membership.cancel_at_period_end = state.cancel_at_period_end
    membership.updated_at = now
    refresh_owner_status(session, membership, reason, now, emit)
    return True


def refresh_subscription(
    session: Session,
    gateway: StripeGateway,
    subscription_id: str,
    now: datetime,
    emit: Emit,
    reason: str,
) -> Membership | None:
    """Re-read a subscription from Stripe and apply it, with its latest invoice."""
    obj = gateway.retrieve_subscription(subscription_id)
    if obj is None:
        return None
    state = SubscriptionState.from_stripe(obj, now)
    membership = session.scalars(
        select(Membership).where(Membership.stripe_subscription_id == state.id).with_for_update()
    ).first()
    if membership is None and state.user_id:
        membership = find_membership(session, state.user_id, lock=True)
    if membership is None:
        return None
    if state.latest_invoice is not None:
        apply_invoice_state(session, state.latest_invoice, now, emit)
    applied = apply_subscription_state(session, membership, state, now, emit, reason)
    return membership if applied else None


def subscriptions_to_refresh(
    session: Session, now: datetime, quiet_for: timedelta, limit: int
) -> list[str]:
    """Live subscriptions nothing has touched for `quiet_for`, least recently touched first.

    The safety net for webhooks Stripe gave up on: re-reading them costs one Stripe call
    each, and applying is idempotent.
    """
    return list(
        session.scalars(
            select(Membership.stripe_subscription_id)
            .where(
                Membership.stripe_subscription_id.is_not(None),
                Membership.subscription_status.not_in(sorted(ENDED)),
                Membership.updated_at < now - quiet_for,
            )
            .order_by(Membership.updated_at, Membership.id)
            .limit(limit)
        )
    )


def _live_membership(session: Session, user_id: str) -> Membership:
    membership = find_membership(session, user_id, lock=True)
    if membership is None or not has_live_subscription(membership):
        raise NotFound("no owner subscription")
    return membership


def subscribe(
    session: Session,
    gateway: StripeGateway,
    caller: Caller,
    plan_id: str,
    payment_method_id: str,
    now: datetime,
    emit: Emit,
) -> Membership:
    """Start a paid plan: the card becomes the default, and a first owner plan gets a trial."""
    user_id = caller.require_user()
    plan = plan_by_id(plan_id)
    if not plan.is_paid or plan.stripe_plan_id is None:
        raise field_error("plan_id", "Free needs no subscription")
    membership = get_or_create_membership(session, user_id, now)
    if has_live_subscription(membership):
        raise Conflict("already subscribed; change the plan instead")
    customer = ensure_customer(session, gateway, user_id, now)
    attach_card(gateway, customer.stripe_customer_id, payment_method_id, make_default=True)
    trial_end = None
    if plan.trial_days and not membership.trial_used:
        trial_end = now + timedelta(days=plan.trial_days)
    membership.subscription_generation += 1
    try:
        obj = gateway.create_subscription(
            customer_id=customer.stripe_customer_id,
            plan_id=plan.stripe_plan_id,
            trial_end=int(trial_end.timestamp()) if trial_end else None,
            user_id=user_id,
            idempotency_key=(
                f"subscribe-{membership.id}-{membership.subscription_generation}"
                f"-{payment_method_id}"
            ),
        )
    except CardDeclined as exc:
        raise field_error("payment_method_id", f"the card was declined ({exc.code})") from exc
    state = SubscriptionState.from_stripe(obj, now)
    membership.stripe_subscription_id = state.id
    membership.trial_used = membership.trial_used or trial_end is not None
    if state.latest_invoice is not None:
        apply_invoice_state(session, state.latest_invoice, now, emit)
    apply_subscription_state(session, membership, state, now, emit, f"subscribed to {plan.id}")
    emit("membership_started", _membership_started(membership, plan, now))
    return membership


def _membership_started(membership: Membership, plan: Plan, now: datetime) -> dict:
    """What notifications needs for the welcome: the plan, its price, when it is first due."""
    first_due = membership.trial_end or membership.current_period_end or now
    return {
        "user_id": membership.user_id,
        "plan_id": plan.id,
        "plan_name": plan.name,
        "price": {"amount_cents": plan.amount_cents, "currency": plan.currency},
        "interval": plan.interval,
        "current_period_end": first_due.isoformat(),
        "trial_end": membership.trial_end.isoformat() if membership.trial_end else None,
        "first_subscription": membership.subscription_generation == 1,
    }


def change_plan(
    session: Session,
    gateway: StripeGateway,
    caller: Caller,
    plan_id: str,
    now: datetime,
    emit: Emit,
) -> ProrationPreview:
    """Move to another paid plan; Stripe prorates, and a pending cancellation is withdrawn."""
    user_id = caller.require_user()
    new = plan_by_id(plan_id)
    if not new.is_paid or new.stripe_plan_id is None:
        raise field_error("plan_id", "to leave a paid plan, cancel the membership")
    membership = _live_membership(session, user_id)
    old = plan_by_id(membership.plan_id)
    in_trial = membership.subscription_status == "trialing"
    if new.id == old.id:
        return ProrationPreview(0, 0, billed_now=False, currency=new.currency)
    if membership.subscription_status not in CHANGEABLE:
        raise Conflict("settle the unpaid invoice before changing plan")
    preview = proration_preview(
        old,
        new,
        membership.current_period_start,
        membership.current_period_end,
        now,
        in_trial=in_trial,
    )
    obj = gateway.change_subscription_plan(
        str(membership.stripe_subscription_id), str(membership.stripe_item_id), new.stripe_plan_id
    )
    state = SubscriptionState.from_stripe(obj, now)
    if state.latest_invoice is not None:
        apply_invoice_state(session, state.latest_invoice, now, emit)
    apply_subscription_state(
        session, membership, state, now, emit, f"plan changed from {old.id} to {new.id}"
    )
    return preview


def cancel_membership(
    session: Session, gateway: StripeGateway, caller: Caller, now: datetime, emit: Emit
) -> Membership:
    """Cancel at the end of the paid period (or trial): nothing is refunded, nothing cut short."""
    membership = _live_membership(session, caller.require_user())
    if membership.cancel_at_period_end:
        return membership
    obj = gateway.set_cancel_at_period_end(str(membership.stripe_subscription_id), True)
    apply_subscription_state(
        session,
        membership,
        SubscriptionState.from_stripe(obj, now),
        now,
        emit,
        "cancellation requested for period end",
    )
    return membership


def resume_membership(
    session: Session, gateway: StripeGateway, caller: Caller, now: datetime, emit: Emit
) -> Membership:
    """Withdraw a cancellation before the period ends; after the end, subscribe again."""
    user_id = caller.require_user()
    membership = find_membership(session, user_id, lock=True)
    if membership is None or membership.stripe_subscription_id is None:
        raise NotFound("no owner subscription")
    if not has_live_subscription(membership):
        raise Conflict("the subscription has ended; subscribe again")
    if not membership.cancel_at_period_end:
        return membership
    obj = gateway.set_cancel_at_period_end(str(membership.stripe_subscription_id), False)
    apply_subscription_state(
        session,
        membership,
        SubscriptionState.from_stripe(obj, now),
        now,
        emit,
        "cancellation withdrawn",
    )
    return membership


def update_payment_method(
    session: Session,
    gateway: StripeGateway,
    caller: Caller,
    payment_method_id: str,
    now: datetime,
    emit: Emit,
) -> Membership:
    """Use a new card for dues, and retry an invoice whose payment failed with the old one."""
    user_id = caller.require_user()
    membership = _live_membership(session, user_id)
    customer = ensure_customer(session, gateway, user_id, now)
    attach_card(gateway, customer.stripe_customer_id, payment_method_id, make_default=True)
    subscription_id = str(membership.stripe_subscription_id)
    obj = gateway.retrieve_subscription(subscription_id)
    if obj is None:
        raise NotFound("the subscription is gone from Stripe")
    state = SubscriptionState.from_stripe(obj, now)
    if state.latest_invoice is not None and state.latest_invoice.payment_failed:
        try:
            gateway.pay_invoice(state.latest_invoice.id)
        except CardDeclined as exc:
            raise field_error("payment_method_id", f"the card was declined ({exc.code})") from exc
    refresh_subscription(session, gateway, subscription_id, now, emit, "payment method updated")
    return membership


def put_membership(
    session: Session,
    gateway: StripeGateway,
    caller: Caller,
    plan_id: str,
    payment_method_id: str | None,
    now: datetime,
    emit: Emit,
) -> MembershipChange:
    """`PUT /v1/me/membership`: make the membership be on `plan_id`, doing whatever it takes.

    Free while subscribed cancels at period end; a paid plan without a live subscription
    subscribes (a card is required); the current plan with a pending cancellation resumes;
    another paid plan changes plan; a new card replaces the default and retries unpaid dues.
    Repeating the same request changes nothing.
    """
    user_id = caller.require_user()
    plan = plan_by_id(plan_id)
    membership = get_or_create_membership(session, user_id, now)
    change = MembershipChange(membership)
    if not plan.is_paid:
        if has_live_subscription(membership) and not membership.cancel_at_period_end:
            cancel_membership(session, gateway, caller, now, emit)
            change.actions.append("cancel_at_period_end")
        return change
    if not has_live_subscription(membership):
        if not payment_method_id:
            raise field_error("payment_method_id", "a card is needed for a paid plan")
        subscribe(session, gateway, caller, plan.id, payment_method_id, now, emit)
        change.actions.append("subscribed")
        return change
    if payment_method_id:
        update_payment_method(session, gateway, caller, payment_method_id, now, emit)
        change.actions.append("payment_method_updated")
    if plan.id != membership.plan_id:
        change.proration = change_plan(session, gateway, caller, plan.id, now, emit)
        change.actions.append("plan_changed")
    elif membership.cancel_at_period_end:
        resume_membership(session, gateway, caller, now, emit)
        change.actions.append("resumed")
    return change


def sign_owner_acknowledgment(
    session: Session,
    caller: Caller,
    ip_address: str,
    now: datetime,
    emit: Emit,
    version: str | None = None,
) -> OwnerAcknowledgment:
    """Record the signature (time, address, text hash); signing again keeps the first one."""
    user_id = caller.require_user()
    version = version or CURRENT_VERSION
    if version not in ACCEPTED_VERSIONS:
        raise field_error("version", f"sign the current text, version {CURRENT_VERSION}")
    try:
        address = str(ipaddress.ip_address(ip_address))
    except ValueError as exc:
        raise field_error("ip_address", "not an IP address") from exc
    existing = session.scalars(
        select(OwnerAcknowledgment).where(
            OwnerAcknowledgment.user_id == user_id, OwnerAcknowledgment.version == version
        )
    ).first()
    if existing is not None:
        return existing
    signature = OwnerAcknowledgment(
        user_id=user_id,
        version=version,
        text_sha256=text_sha256(version),
        ip_address=address,
        signed_at=now,
    )
    session.add(signature)
    session.flush()
    membership = get_or_create_membership(session, user_id, now)
    refresh_owner_status(session, membership, "owner acknowledgment signed", now, emit)
    return signature


def suspend_owner(
    session: Session, caller: Caller, user_id: str, reason: str, now: datetime, emit: Emit
) -> Membership:
    """An administrator's suspension; billing at Stripe is left as it is."""
    _require_admin(caller)
    if not reason.strip():
        raise field_error("reason", "say why")
    membership = get_or_create_membership(session, user_id, now)
    membership.suspended = True
    membership.suspension_reason = reason
    refresh_owner_status(session, membership, f"suspended by an administrator: {reason}", now, emit)
    return membership


def reinstate_owner(
    session: Session, caller: Caller, user_id: str, now: datetime, emit: Emit
) -> Membership:
    _require_admin(caller)
    membership = find_membership(session, user_id, lock=True)
    if membership is None:
        raise NotFound("no membership")
    membership.suspended = False
    membership.suspension_reason = None
    refresh_owner_status(session, membership, "reinstated by an administrator", now, emit)
    return membership


def describe_membership(session: Session, membership: Membership) -> dict:
    """The membership as the RPC result (`MembershipSchema`) shows it."""
    plan = effective_plan(membership)
    signature = signed_acknowledgment(session, membership.user_id)
    return {
        "user_id": membership.user_id,
        "plan_id": plan.id,
        "subscribed_plan_id": membership.plan_id if has_live_subscription(membership) else None,
        "owner_status": membership.owner_status,
        "subscription_status": membership.subscription_status,
        "trial_end": membership.trial_end,
        "current_period_end": membership.current_period_end,
        "cancel_at_period_end": membership.cancel_at_period_end,
        "suspended": membership.suspended,
        "ownership": plan.ownership,
        "features": list(plan.features),
        "max_listings": plan.max_listings,
        "acknowledgment": (
            {"version": signature.version, "signed_at": signature.signed_at} if signature else None
        ),
    }


def describe_proration(preview: ProrationPreview) -> dict:
    def money(cents: int) -> dict:
        return {"amount_cents": cents, "currency": preview.currency}

    return {
        "credit": money(preview.credit_cents),
        "charge": money(preview.charge_cents),
        "net": money(preview.net_cents),
        "billed_now": preview.billed_now,
    }


def describe_change(session: Session, change: MembershipChange) -> dict:
    """The result of `PUT /v1/me/membership` (`MembershipChangeSchema`)."""
    return {
        "membership": describe_membership(session, change.membership),
        "actions": list(change.actions),
        "proration": describe_proration(change.proration) if change.proration else None,
    }


def status_history_for(session: Session, caller: Caller, user_id: str) -> list[OwnerStatusChange]:
    """A person's owner status history, for themselves or an administrator."""
    if caller.require_user() != user_id and not caller.is_admin:
        raise Forbidden("only the member or an administrator may see this history")
    return owner_status_history(session, user_id)
