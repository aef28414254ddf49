"""Membership operations against a fake Stripe: subscribe, change plan, cancel, resume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from loconomics_billing.domain.membership import (
    change_plan,
    describe_change,
    describe_membership,
    get_or_create_membership,
    proration_preview,
    put_membership,
    refresh_subscription,
    resume_membership,
    sign_owner_acknowledgment,
    subscribe,
    update_payment_method,
)
from loconomics_billing.domain.plans import (
    OWNER_GROWTH_MONTHLY,
    OWNER_PRO_ANNUAL,
    OWNER_PRO_MONTHLY,
)
from loconomics_billing.models import Membership, MembershipInvoice, StripeCustomer
from loconomics_billing.schemas import MembershipChangeSchema
from loconomics_plumbing.errors import Conflict, Invalid, NotFound
from loconomics_plumbing.identity import Caller
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

ALICE = Caller("alice", frozenset({"professional"}))


def test_subscribing_to_an_owner_plan_starts_a_trial(session, events, fake_stripe, now):
    card = fake_stripe.card()
    membership = subscribe(
        session, fake_stripe, ALICE, "owner-growth-monthly", card, now, events.emit
    )

    assert membership.owner_status == "trial"
    assert membership.subscription_status == "trialing"
    assert membership.trial_end == now + timedelta(days=14)
    assert membership.trial_used
    customer = session.scalars(select(StripeCustomer)).one()
    stripe_customer = fake_stripe.customers[customer.stripe_customer_id]
    assert stripe_customer["invoice_settings"]["default_payment_method"] == card
    assert fake_stripe.cards[card]["customer"] == customer.stripe_customer_id
    assert fake_stripe.called("create_subscription") == [
        {
            "plan": "loconomics-owner-growth-monthly",
            "trial_end": int(membership.trial_end.timestamp()),
        }
    ]
    assert events.named("owner_status_changed")[0]["to"] == "trial"
    assert events.named("dues_paid") == []


def test_a_second_subscription_gets_no_second_trial_and_reuses_the_customer(
    session, events, fake_stripe, now
):
    subscribe(
        session, fake_stripe, ALICE, "owner-growth-monthly", fake_stripe.card(), now, events.emit
    )
    membership = session.scalars(select(Membership)).one()
    membership.subscription_status = "canceled"

    later = now + timedelta(days=60)
    subscribe(
        session, fake_stripe, ALICE, "owner-pro-monthly", fake_stripe.card(), later, events.emit
    )

    assert membership.subscription_status == "active"
    assert membership.trial_end is None
    assert [call["trial_end"] for call in fake_stripe.called("create_subscription")][1] is None
    assert len(fake_stripe.called("create_customer")) == 1
    assert events.named("dues_paid")[0]["amount_cents"] == 3900
    assert membership.owner_status == "not_yet_owner"


def test_a_declined_card_names_the_field_and_creates_no_subscription(
    session, events, fake_stripe, now
):
    membership = get_or_create_membership(session, "alice", now)
    membership.trial_used = True
    with pytest.raises(Invalid) as error:
        subscribe(
            session,
            fake_stripe,
            ALICE,
            "owner-growth-monthly",
            fake_stripe.card("declined_on_charge"),
            now,
            events.emit,
        )
    assert "payment_method_id" in error.value.errors
    assert fake_stripe.subscriptions == {}
    assert membership.stripe_subscription_id is None


def test_a_card_refused_at_attach_is_invalid_input(session, events, fake_stripe, now):
    with pytest.raises(Invalid) as error:
        subscribe(
            session,
            fake_stripe,
            ALICE,
            "owner-growth-monthly",
            fake_stripe.card("declined_on_attach"),
            now,
            events.emit,
        )
    assert "declined" in error.value.errors["payment_method_id"][0]


def test_subscribing_twice_is_a_conflict(session, events, fake_stripe, now):
    subscribe(
        session, fake_stripe, ALICE, "owner-growth-monthly", fake_stripe.card(), now, events.emit
    )
    with pytest.raises(Conflict):
        subscribe(
            session, fake_stripe, ALICE, "owner-pro-monthly", fake_stripe.card(), now, events.emit
        )


def test_the_database_holds_one_membership_per_person(session, now):
    get_or_create_membership(session, "bob", now)
    session.add(
        Membership(
            user_id="bob",
            plan_id="free",
            owner_status="not_yet_owner",
            created_at=now,
            updated_at=now,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_proration_credits_unused_time_and_charges_the_new_plan():
    start = datetime(2026, 3, 1, tzinfo=UTC)
    end = datetime(2026, 3, 31, tzinfo=UTC)
    a_third_used = start + timedelta(days=10)

    same_interval = proration_preview(
        OWNER_GROWTH_MONTHLY, OWNER_PRO_MONTHLY, start, end, a_third_used, in_trial=False
    )
    # 20 of 30 days unused: 1900 * 2/3 = 1266.67 -> 1267; 3900 * 2/3 = 2600.
    assert (same_interval.credit_cents, same_interval.charge_cents) == (1267, 2600)
    assert same_interval.net_cents == 1333 and not same_interval.billed_now

    to_annual = proration_preview(
        OWNER_PRO_MONTHLY, OWNER_PRO_ANNUAL, start, end, a_third_used, in_trial=False
    )
    assert (to_annual.credit_cents, to_annual.charge_cents, to_annual.billed_now) == (
        2600,
        39000,
        True,
    )
    downgrade = proration_preview(
        OWNER_PRO_MONTHLY, OWNER_GROWTH_MONTHLY, start, end, a_third_used, in_trial=False
    )
    assert downgrade.net_cents == 1267 - 2600


def test_proration_during_a_trial_costs_nothing():
    start = datetime(2026, 3, 1, tzinfo=UTC)
    preview = proration_preview(
        OWNER_GROWTH_MONTHLY,
        OWNER_PRO_MONTHLY,
        start,
        start + timedelta(days=14),
        start + timedelta(days=2),
        in_trial=True,
    )
    assert (preview.credit_cents, preview.charge_cents) == (0, 0)


def _paid_owner(session, events, fake_stripe, now) -> Membership:
    membership = subscribe(
        session, fake_stripe, ALICE, "owner-growth-monthly", fake_stripe.card(), now, events.emit
    )
    fake_stripe.bill_next_period(membership.stripe_subscription_id)
    refresh_subscription(
        session, fake_stripe, membership.stripe_subscription_id, now, events.emit, "trial ended"
    )
    sign_owner_acknowledgment(session, ALICE, "192.0.2.10", now, events.emit)
    assert membership.owner_status == "active"
    return membership


def test_changing_plan_prorates_and_keeps_the_owner_active(session, events, fake_stripe, now):
    membership = _paid_owner(session, events, fake_stripe, now)
    later = membership.current_period_start + timedelta(days=10)

    preview = change_plan(session, fake_stripe, ALICE, "owner-pro-monthly", later, events.emit)

    assert membership.plan_id == "owner-pro-monthly"
    assert fake_stripe.called("change_plan") == [
        {"from": "loconomics-owner-growth-monthly", "to": "loconomics-owner-pro-monthly"}
    ]
    assert preview.credit_cents == 1267 and preview.charge_cents == 2600
    assert membership.owner_status == "active"


def test_changing_to_annual_bills_now_and_records_the_invoice(session, events, fake_stripe, now):
    membership = _paid_owner(session, events, fake_stripe, now)
    events.clear()

    preview = change_plan(session, fake_stripe, ALICE, "owner-pro-annual", now, events.emit)

    assert preview.billed_now
    assert membership.plan_id == "owner-pro-annual"
    assert membership.current_period_end == now + timedelta(days=365)
    assert [d["amount_cents"] for d in events.named("dues_paid")] == [39000]


def test_changing_to_the_same_plan_calls_nobody(session, events, fake_stripe, now):
    _paid_owner(session, events, fake_stripe, now)
    preview = change_plan(session, fake_stripe, ALICE, "owner-growth-monthly", now, events.emit)
    assert fake_stripe.called("change_plan") == [] and preview.net_cents == 0


def test_changing_plan_while_past_due_is_refused(session, events, fake_stripe, now):
    membership = _paid_owner(session, events, fake_stripe, now)
    fake_stripe.cards[
        fake_stripe.customers[
            fake_stripe.subscriptions[membership.stripe_subscription_id]["customer"]
        ]["invoice_settings"]["default_payment_method"]
    ]["behaviour"] = "declined_on_charge"
    fake_stripe.bill_next_period(membership.stripe_subscription_id)
    refresh_subscription(
        session, fake_stripe, membership.stripe_subscription_id, now, events.emit, "renewal"
    )
    assert membership.owner_status == "inactive"
    with pytest.raises(Conflict):
        change_plan(session, fake_stripe, ALICE, "owner-pro-monthly", now, events.emit)


def test_cancel_at_period_end_then_resume_before_the_end(session, events, fake_stripe, now):
    membership = _paid_owner(session, events, fake_stripe, now)

    cancelled = put_membership(session, fake_stripe, ALICE, "free", None, now, events.emit)
    assert cancelled.actions == ["cancel_at_period_end"]
    assert membership.cancel_at_period_end and membership.owner_status == "active"

    resumed = put_membership(
        session, fake_stripe, ALICE, "owner-growth-monthly", None, now, events.emit
    )
    assert resumed.actions == ["resumed"]
    assert not membership.cancel_at_period_end
    assert fake_stripe.called("cancel_at_period_end") == [{"cancel": True}, {"cancel": False}]


def test_the_period_end_cancels_and_resume_is_then_refused(session, events, fake_stripe, now):
    membership = _paid_owner(session, events, fake_stripe, now)
    put_membership(session, fake_stripe, ALICE, "free", None, now, events.emit)
    fake_stripe.end_period(membership.stripe_subscription_id)
    refresh_subscription(
        session, fake_stripe, membership.stripe_subscription_id, now, events.emit, "ended"
    )

    assert membership.owner_status == "cancelled"
    assert describe_membership(session, membership)["plan_id"] == "free"
    with pytest.raises(Conflict):
        resume_membership(session, fake_stripe, ALICE, now, events.emit)


def test_cancelling_without_a_subscription_is_not_found(session, events, fake_stripe, now):
    with pytest.raises(NotFound):
        resume_membership(session, fake_stripe, ALICE, now, events.emit)
    assert put_membership(session, fake_stripe, ALICE, "free", None, now, events.emit).actions == []


def test_a_new_card_pays_the_failed_invoice_and_the_owner_is_active_again(
    session, events, fake_stripe, now
):
    membership = _paid_owner(session, events, fake_stripe, now)
    first_card = fake_stripe.customers[
        fake_stripe.subscriptions[membership.stripe_subscription_id]["customer"]
    ]["invoice_settings"]["default_payment_method"]
    fake_stripe.cards[first_card]["behaviour"] = "declined_on_charge"
    fake_stripe.bill_next_period(membership.stripe_subscription_id)
    refresh_subscription(
        session, fake_stripe, membership.stripe_subscription_id, now, events.emit, "renewal"
    )
    assert membership.owner_status == "inactive"
    assert len(events.named("payment_failed")) == 1

    change = put_membership(
        session, fake_stripe, ALICE, "owner-growth-monthly", fake_stripe.card(), now, events.emit
    )

    assert change.actions == ["payment_method_updated"]
    assert membership.owner_status == "active"
    statuses = session.scalars(select(MembershipInvoice.status)).all()
    assert sorted(statuses) == ["paid", "paid", "paid"]
    assert [e["to"] for e in events.named("owner_status_changed")][-2:] == ["inactive", "active"]


def test_a_new_card_that_also_fails_is_invalid(session, events, fake_stripe, now):
    membership = _paid_owner(session, events, fake_stripe, now)
    customer = fake_stripe.subscriptions[membership.stripe_subscription_id]["customer"]
    card = fake_stripe.customers[customer]["invoice_settings"]["default_payment_method"]
    fake_stripe.cards[card]["behaviour"] = "declined_on_charge"
    fake_stripe.bill_next_period(membership.stripe_subscription_id)
    with pytest.raises(Invalid):
        update_payment_method(
            session, fake_stripe, ALICE, fake_stripe.card("declined_on_charge"), now, events.emit
        )


def test_put_membership_subscribes_and_is_idempotent(session, events, fake_stripe, now):
    card = fake_stripe.card()
    first = put_membership(session, fake_stripe, ALICE, "owner-pro-monthly", card, now, events.emit)
    again = put_membership(session, fake_stripe, ALICE, "owner-pro-monthly", None, now, events.emit)

    assert first.actions == ["subscribed"] and again.actions == []
    assert len(fake_stripe.subscriptions) == 1
    dumped = MembershipChangeSchema().dump(describe_change(session, first))
    assert dumped["membership"]["owner_status"] == "trial"
    assert dumped["membership"]["plan_id"] == "owner-pro-monthly"
    assert MembershipChangeSchema().validate(dumped) == {}


def test_a_paid_plan_needs_a_card(session, events, fake_stripe, now):
    with pytest.raises(Invalid) as error:
        put_membership(session, fake_stripe, ALICE, "owner-growth-monthly", None, now, events.emit)
    assert "payment_method_id" in error.value.errors


def test_an_older_subscription_replayed_late_changes_nothing(session, events, fake_stripe, now):
    membership = _paid_owner(session, events, fake_stripe, now)
    old_subscription = membership.stripe_subscription_id
    fake_stripe.subscriptions[old_subscription]["status"] = "canceled"
    membership.subscription_status = "canceled"
    subscribe(
        session, fake_stripe, ALICE, "owner-pro-monthly", fake_stripe.card(), now, events.emit
    )
    current = membership.stripe_subscription_id

    refresh_subscription(session, fake_stripe, old_subscription, now, events.emit, "late event")

    assert membership.stripe_subscription_id == current != old_subscription
    assert membership.subscription_status == "active"
