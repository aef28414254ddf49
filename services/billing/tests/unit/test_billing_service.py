"""The billing entrypoints through nameko's worker_factory, over a real unit of work.

The fake Stripe of conftest stands in for Stripe; events land in the outbox exactly as the
plumbing would publish them, and booking's events are built with booking's own schemas (the
producer's schema is the contract).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from loconomics_billing.dependencies import StripeAccount
from loconomics_billing.models import Base, BookingPayment, Membership
from loconomics_billing.schemas import EMITTED_EVENTS
from loconomics_billing.service import BillingService
from loconomics_billing.stripe_gateway import StripeRejected, StripeUnavailable
from loconomics_booking.schemas import EMITTED_EVENTS as BOOKING_EVENTS
from loconomics_plumbing.clock import move_clock
from loconomics_plumbing.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Unauthorized,
    Unavailable,
)
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import UnitOfWork
from nameko.testing.services import worker_factory
from sqlalchemy import select

MEMBER = Caller("member-7", frozenset({"professional"}))
CLIENT = Caller("client-7", frozenset({"client"}))
ADMIN = Caller("ops-1", frozenset({"admin"}))


@pytest.fixture
def clock_file(tmp_path, monkeypatch):
    path = tmp_path / "clock-offset"
    monkeypatch.setenv("LOCONOMICS_CLOCK_FILE", str(path))
    return str(path)


@pytest.fixture
def billing(unit, fake_stripe, webhook_secret):
    """`billing(caller)`: the service as that caller would reach it."""

    def make(caller: Caller = MEMBER, gateway=None):
        account = StripeAccount(gateway or fake_stripe, webhook_secret)
        return worker_factory(BillingService, db=unit, caller=caller, stripe=account)

    return make


def outbox(unit: UnitOfWork, event_type: str) -> list[dict]:
    table = Base.metadata.tables["outbox_events"]
    rows = unit.session.execute(
        select(table.c.payload).where(table.c.event_type == event_type).order_by(table.c.created_at)
    )
    return [json.loads(row.payload) for row in rows]


def booking_payload(name: str, booking_id: str, start: datetime, **extra) -> dict:
    """A booking event exactly as booking would publish it, checked by booking's schema."""
    payload = {
        "event_id": f"{name}:{booking_id}",
        "occurred_at": datetime.now(UTC).isoformat(),
        "booking_id": booking_id,
        "client_id": CLIENT.user_id,
        "professional_id": "pro-7",
        "service_id": "svc-1",
        "listing_id": "lst-1",
        "status": "confirmed",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "time_zone": "America/New_York",
        "price": {"amount_cents": 10000, "currency": "USD"},
        "policy": "flexible",
        "instant": True,
        "created_by": "client",
        **extra,
    }
    errors = BOOKING_EVENTS[name]().validate(payload)
    assert not errors, f"the test's {name} is not what booking publishes: {errors}"
    return payload


def test_subscribing_announces_the_membership_and_the_trial(billing, unit, fake_stripe):
    card = fake_stripe.card()
    change = billing().put_membership(plan_id="owner-growth-monthly", payment_method_id=card)

    assert change["actions"] == ["subscribed"]
    assert change["membership"]["owner_status"] == "trial"
    [started] = outbox(unit, "membership_started")
    assert not EMITTED_EVENTS["membership_started"]().validate(started)
    assert started["user_id"] == MEMBER.user_id
    assert (started["plan_name"], started["interval"]) == ("Owner Growth", "month")
    assert started["price"] == {"amount_cents": 1900, "currency": "USD"}
    assert started["current_period_end"] == started["trial_end"]
    assert started["first_subscription"] is True
    [status] = outbox(unit, "owner_status_changed")
    assert (status["from"], status["to"], status["plan_id"]) == (
        "not_yet_owner",
        "trial",
        "owner-growth-monthly",
    )
    assert billing().get_entitlements(user_id=MEMBER.user_id)["owner_status"] == "trial"


def test_reading_a_membership_never_writes_and_only_self_or_admin_may(billing, unit):
    free = billing().get_membership()
    assert (free["plan_id"], free["owner_status"], free["subscribed_plan_id"]) == (
        "free",
        "not_yet_owner",
        None,
    )
    assert unit.session.scalars(select(Membership)).all() == []
    with pytest.raises(Forbidden):
        billing().get_membership(user_id="someone-else")
    assert billing(ADMIN).get_membership(user_id=MEMBER.user_id)["user_id"] == MEMBER.user_id
    with pytest.raises(Unauthorized):
        billing(Caller()).get_membership()


def test_signing_after_the_trial_makes_an_active_owner(billing, unit, fake_stripe):
    billing().put_membership(plan_id="owner-pro-monthly", payment_method_id=fake_stripe.card())
    subscription_id = unit.session.scalars(select(Membership)).one().stripe_subscription_id
    fake_stripe.bill_next_period(subscription_id)
    billing().put_membership(plan_id="owner-pro-monthly", payment_method_id=fake_stripe.card())

    assert billing().get_membership()["owner_status"] == "not_yet_owner"
    signed = billing().sign_owner_acknowledgment(ip_address="192.0.2.10")
    assert signed["ip_address"] == "192.0.2.10" and signed["version"] == "2025-01"
    assert billing().get_membership()["owner_status"] == "active"
    history = billing().owner_status_history()["items"]
    assert [(c["from"], c["to"]) for c in history] == [
        ("not_yet_owner", "trial"),
        ("trial", "not_yet_owner"),
        ("not_yet_owner", "active"),
    ]
    with pytest.raises(Invalid) as raised:
        billing().sign_owner_acknowledgment(ip_address="not-an-address")
    assert "ip_address" in raised.value.errors


def test_the_webhook_takes_the_raw_body_in_base64_and_applies_each_event_once(
    billing, fake_stripe, sign
):
    billing().put_membership(plan_id="owner-growth-monthly", payment_method_id=fake_stripe.card())
    created = next(e for e in fake_stripe.events if e["type"] == "customer.subscription.created")
    raw = json.dumps(created, indent=2).encode()
    body = base64.b64encode(raw).decode()

    first = billing(Caller()).handle_stripe_webhook(body_base64=body, signature=sign(raw.decode()))
    again = billing(Caller()).handle_stripe_webhook(body_base64=body, signature=sign(raw.decode()))

    assert (first["event_id"], first["outcome"]) == (created["id"], "applied")
    assert again["outcome"] == "duplicate"
    with pytest.raises(BadRequest):
        billing(Caller()).handle_stripe_webhook(body_base64=body, signature="t=1,v1=forged")
    with pytest.raises(BadRequest):
        billing(Caller()).handle_stripe_webhook(body_base64="%%%", signature=sign("x"))
    with pytest.raises(BadRequest):
        billing(Caller()).handle_stripe_webhook(body_base64="", signature=None)
    tampered = base64.b64encode(raw.replace(b"subscription", b"subscriptioN", 1)).decode()
    with pytest.raises(BadRequest):
        billing(Caller()).handle_stripe_webhook(body_base64=tampered, signature=sign(raw.decode()))


class DownStripe:
    """A Stripe that cannot be reached, or that refuses everything."""

    connect_enabled = False

    def __init__(self, failure: Exception):
        self.failure = failure

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise self.failure

        return fail


def test_stripe_failures_reach_callers_as_typed_errors(billing, unit, sign):
    down = billing(gateway=DownStripe(StripeUnavailable("connection refused")))
    with pytest.raises(Unavailable):
        down.put_membership(plan_id="owner-growth-monthly", payment_method_id="pm_1")
    unit.rollback()  # what the Database dependency does when a worker fails
    assert unit.session.scalars(select(Membership)).all() == []

    refusing = billing(gateway=DownStripe(StripeRejected("No such customer", None, 400)))
    with pytest.raises(Conflict):
        refusing.put_membership(plan_id="owner-growth-monthly", payment_method_id="pm_1")
    unit.rollback()

    event = {
        "id": "evt_x",
        "type": "invoice.paid",
        "data": {"object": {"id": "in_x", "object": "invoice"}},
    }
    raw = json.dumps(event)
    with pytest.raises(Unavailable):
        billing(Caller(), gateway=DownStripe(StripeUnavailable("timeout"))).handle_stripe_webhook(
            body_base64=base64.b64encode(raw.encode()).decode(), signature=sign(raw)
        )
    unit.rollback()
    retried = billing(Caller()).handle_stripe_webhook(
        body_base64=base64.b64encode(raw.encode()).decode(), signature=sign(raw)
    )
    assert retried["outcome"] == "ignored"


def test_booking_events_authorise_capture_and_receipt_without_commission(
    billing, unit, fake_stripe
):
    start = datetime.now(UTC) + timedelta(days=2)
    billing().on_booking_confirmed(booking_payload("booking_confirmed", "bk-1", start))
    paid = billing(CLIENT).register_booking_payment(
        booking_id="bk-1", payment_method_id=fake_stripe.card()
    )
    assert paid["status"] == "authorised"

    billing().on_booking_performed(
        booking_payload("booking_performed", "bk-1", start, status="performed")
    )
    payment = billing(CLIENT).get_booking_payment(booking_id="bk-1")
    assert payment["status"] == "captured"
    [receipt] = payment["receipts"]
    assert receipt["kind"] == "payment"
    assert receipt["amount"] == {"amount_cents": 10000, "currency": "USD"}
    assert receipt["processor_fee"] == {"amount_cents": 320, "currency": "USD"}
    assert receipt["platform_fee"] == {"amount_cents": 0, "currency": "USD"}
    assert [e["amount_cents"] for e in outbox(unit, "booking_payment_captured")] == [10000]
    with pytest.raises(NotFound):
        billing(Caller("stranger", frozenset({"client"}))).get_booking_payment(booking_id="bk-1")


def test_a_cancellation_keeps_the_fee_booking_announced(billing, unit, fake_stripe):
    start = datetime.now(UTC) + timedelta(days=1)
    billing(CLIENT).register_booking_payment(
        booking_id="bk-2", payment_method_id=fake_stripe.card()
    )
    billing().on_booking_confirmed(booking_payload("booking_confirmed", "bk-2", start))
    billing().on_booking_cancelled(
        booking_payload(
            "booking_cancelled",
            "bk-2",
            start,
            status="cancelled",
            fee_cents=5000,
            refund_cents=5000,
            kept_percent=50,
            cancelled_by="client",
            reason=None,
            no_show=False,
        )
    )
    payment = billing(CLIENT).get_booking_payment(booking_id="bk-2")
    assert payment["status"] == "fee_captured"
    assert payment["captured"]["amount_cents"] == 5000
    assert payment["cancellation_fee"]["amount_cents"] == 5000
    [released] = outbox(unit, "booking_payment_released")
    assert (released["released_cents"], released["kept_cents"]) == (5000, 5000)


def test_a_redelivered_booking_event_is_applied_once(billing, unit, fake_stripe):
    start = datetime.now(UTC) + timedelta(days=1)
    billing(CLIENT).register_booking_payment(
        booking_id="bk-3", payment_method_id=fake_stripe.card()
    )
    confirmed = booking_payload("booking_confirmed", "bk-3", start)
    billing().on_booking_confirmed(confirmed)
    billing().on_booking_confirmed(confirmed)
    assert len(fake_stripe.called("create_payment_intent")) == 1
    assert len(outbox(unit, "booking_payment_authorised")) == 1


def test_a_stripe_outage_requeues_a_booking_event_and_changes_nothing(billing, unit):
    start = datetime.now(UTC) + timedelta(days=1)
    down = billing(gateway=DownStripe(StripeUnavailable("timeout")))
    unit.session.add(
        BookingPayment(
            booking_id="bk-4",
            client_user_id=CLIENT.user_id,
            status="awaiting_confirmation",
            payment_method_id="pm_1",
            stripe_customer_id="cus_1",
            application_fee_cents=0,
            authorisation_attempts=0,
            captured_cents=0,
            created_at=datetime.now(UTC),
            updated_at=datetime.now(UTC),
        )
    )
    unit.commit()
    with pytest.raises(StripeUnavailable):
        down.on_booking_confirmed(booking_payload("booking_confirmed", "bk-4", start))
    payment = unit.session.scalars(select(BookingPayment)).one()
    unit.session.refresh(payment)
    assert (payment.status, payment.authorisation_attempts) == ("awaiting_confirmation", 0)


def test_the_timer_authorises_a_far_booking_a_day_before_it_starts(
    billing, unit, fake_stripe, clock_file
):
    start = datetime.now(UTC) + timedelta(days=10)
    billing(CLIENT).register_booking_payment(
        booking_id="bk-5", payment_method_id=fake_stripe.card()
    )
    billing().on_booking_confirmed(booking_payload("booking_confirmed", "bk-5", start))
    assert billing(CLIENT).get_booking_payment(booking_id="bk-5")["status"] == "scheduled"

    billing().authorise_due_payments()
    assert billing(CLIENT).get_booking_payment(booking_id="bk-5")["status"] == "scheduled"

    move_clock(clock_file, timedelta(days=9, hours=1))
    billing(gateway=DownStripe(StripeUnavailable("timeout"))).authorise_due_payments()
    assert billing(CLIENT).get_booking_payment(booking_id="bk-5")["status"] == "scheduled"

    billing().authorise_due_payments()
    assert billing(CLIENT).get_booking_payment(booking_id="bk-5")["status"] == "authorised"
    [intent] = fake_stripe.called("create_payment_intent")
    assert intent["off_session"] is True


def test_the_safety_net_rereads_a_quiet_subscription(billing, unit, fake_stripe, clock_file):
    billing().put_membership(plan_id="owner-growth-monthly", payment_method_id=fake_stripe.card())
    billing().sign_owner_acknowledgment(ip_address="192.0.2.1")
    subscription_id = unit.session.scalars(select(Membership)).one().stripe_subscription_id
    fake_stripe.bill_next_period(subscription_id)

    billing().refresh_quiet_subscriptions()
    assert billing().get_membership()["owner_status"] == "trial"

    move_clock(clock_file, timedelta(hours=7))
    billing().refresh_quiet_subscriptions()
    assert billing().get_membership()["owner_status"] == "active"
    assert [d["amount_cents"] for d in outbox(unit, "dues_paid")] == [1900]


def test_only_administrators_suspend_link_accounts_and_sync_plans(billing, unit):
    with pytest.raises(Forbidden):
        billing().suspend_owner(user_id="member-9", reason="fraud")
    with pytest.raises(Forbidden):
        billing().sync_plans()
    with pytest.raises(Forbidden):
        billing().link_payout_account(user_id="pro-7", stripe_account_id="acct_123")

    suspended = billing(ADMIN).suspend_owner(user_id="member-9", reason="fraud")
    assert suspended["owner_status"] == "suspended"
    assert billing(ADMIN).reinstate_owner(user_id="member-9")["owner_status"] == "not_yet_owner"
    assert billing(ADMIN).sync_plans()["created"] == []
    linked = billing(ADMIN).link_payout_account(user_id="pro-7", stripe_account_id="acct_123")
    assert linked == {"user_id": "pro-7", "stripe_account_id": "acct_123"}
    unit.commit()
    with pytest.raises(Conflict):
        billing(ADMIN).link_payout_account(user_id="pro-8", stripe_account_id="acct_123")
    assert [(e["from"], e["to"]) for e in outbox(unit, "owner_status_changed")] == [
        ("not_yet_owner", "suspended"),
        ("suspended", "not_yet_owner"),
    ]


def test_plans_and_the_acknowledgment_text_are_public(billing):
    plans = billing(Caller()).list_plans()["items"]
    assert [p["id"] for p in plans] == [
        "free",
        "owner-growth-monthly",
        "owner-pro-monthly",
        "owner-pro-annual",
    ]
    text = billing(Caller()).get_owner_acknowledgment_text()
    assert "personal to me" in text["text"]
    assert "cannot be sold, transferred" in text["text"]
