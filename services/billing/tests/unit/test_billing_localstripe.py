"""The real Stripe gateway against a real localstripe process (started by conftest's fixture)."""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from loconomics_billing.domain.booking_payments import (
    booking_cancelled,
    booking_confirmed,
    capture_booking_payment,
    register_payment_method,
)
from loconomics_billing.domain.membership import (
    cancel_membership,
    refresh_subscription,
    sign_owner_acknowledgment,
    subscribe,
    update_payment_method,
)
from loconomics_billing.domain.plans import sync_plans
from loconomics_billing.domain.webhooks import handle_stripe_webhook
from loconomics_billing.stripe_gateway import StripeSdkGateway
from loconomics_plumbing.identity import Caller

SECRET_KEY = "sk_test_billing"
CHARGE_FAILS = "4000000000000341"


@pytest.fixture(scope="module")
def gateway(localstripe_url):
    gateway = StripeSdkGateway(SECRET_KEY, localstripe_url, max_network_retries=0)
    sync_plans(gateway)
    return gateway


def wall_clock() -> datetime:
    """localstripe stamps objects with the real time, so these tests use it too."""
    return datetime.now(UTC)


def a_member() -> Caller:
    return Caller(f"member-{uuid.uuid4().hex[:8]}", frozenset({"professional"}))


def test_plan_sync_is_idempotent(gateway, stripe_client):
    again = sync_plans(gateway)

    assert again.created == [] and again.updated == []
    assert len(again.unchanged) == 5
    plans = {p.id: p for p in stripe_client.v1.plans.list(params={"limit": 100}).data}
    assert plans["loconomics-owner-pro-annual"].amount == 39000
    assert plans["loconomics-owner-pro-annual"].interval == "year"
    assert int(plans["loconomics-owner-growth-monthly"].trial_period_days) == 14
    assert len([p for p in plans if p.startswith("loconomics-")]) == 3


def test_a_member_goes_through_trial_ownership_a_failed_renewal_and_back(
    gateway, stripe_client, browser_card, session, events
):
    caller = a_member()
    now = wall_clock()
    membership = subscribe(
        session, gateway, caller, "owner-growth-monthly", browser_card(), now, events.emit
    )
    assert membership.owner_status == "trial"
    assert membership.trial_end == datetime.fromtimestamp(
        int((now + timedelta(days=14)).timestamp()), UTC
    )
    subscription_id = membership.stripe_subscription_id
    customer_id = stripe_client.v1.subscriptions.retrieve(subscription_id).customer

    sign_owner_acknowledgment(session, caller, "192.0.2.80", now, events.emit)
    assert membership.owner_status == "trial"

    def bill_now():
        invoice = stripe_client.v1.invoices.create(
            params={"customer": customer_id, "subscription": subscription_id}
        )
        return stripe_client.v1.invoices.pay(invoice.id)

    assert bill_now().status == "paid"
    refresh_subscription(session, gateway, subscription_id, wall_clock(), events.emit, "paid")
    assert membership.owner_status == "active"
    assert [d["amount_cents"] for d in events.named("dues_paid")] == [1900]

    failing = browser_card(CHARGE_FAILS)
    stripe_client.v1.payment_methods.attach(failing, params={"customer": customer_id})
    stripe_client.v1.customers.update(
        customer_id, params={"invoice_settings": {"default_payment_method": failing}}
    )
    assert bill_now().status == "open"
    refresh_subscription(session, gateway, subscription_id, wall_clock(), events.emit, "renewal")
    assert membership.owner_status == "inactive"
    assert len(events.named("payment_failed")) == 1

    update_payment_method(session, gateway, caller, browser_card(), wall_clock(), events.emit)
    assert membership.owner_status == "active"
    assert len(events.named("dues_paid")) == 2

    cancel_membership(session, gateway, caller, wall_clock(), events.emit)
    assert stripe_client.v1.subscriptions.retrieve(subscription_id).cancel_at_period_end is True
    assert membership.owner_status == "active"


def test_booking_authorised_captured_and_cancelled_with_a_partial_capture(
    gateway, stripe_client, browser_card, session, events
):
    client = Caller(f"client-{uuid.uuid4().hex[:8]}", frozenset({"client"}))
    now = wall_clock()
    for booking_id in ("performed-booking", "cancelled-booking"):
        register_payment_method(
            session, gateway, client, booking_id, browser_card(), now, events.emit
        )
        payment = booking_confirmed(
            session,
            gateway,
            booking_id=booking_id,
            client_user_id=str(client.user_id),
            professional_user_id="pro-1",
            amount_cents=10000,
            currency="USD",
            start=now + timedelta(hours=30),
            now=now,
            emit=events.emit,
        )
        assert payment.status == "authorised"
        intent = stripe_client.v1.payment_intents.retrieve(payment.payment_intent_id)
        assert (intent.status, intent.capture_method, intent.amount) == (
            "requires_capture",
            "manual",
            10000,
        )

    performed = capture_booking_payment(session, gateway, "performed-booking", now, events.emit)
    assert performed.status == "captured" and performed.captured_cents == 10000

    cancelled = booking_cancelled(
        session, gateway, booking_id="cancelled-booking", fee_cents=5000, now=now, emit=events.emit
    )
    assert cancelled.status == "fee_captured" and cancelled.captured_cents == 5000
    intent = stripe_client.v1.payment_intents.retrieve(cancelled.payment_intent_id)
    assert intent.status == "succeeded"
    assert [e["amount_cents"] for e in events.named("booking_payment_captured")] == [10000, 5000]
    assert events.named("booking_payment_released")[-1]["released_cents"] == 5000


def test_a_card_that_cannot_be_charged_fails_the_authorisation(
    gateway, browser_card, session, events
):
    client = Caller(f"client-{uuid.uuid4().hex[:8]}", frozenset({"client"}))
    now = wall_clock()
    booking_confirmed(
        session,
        gateway,
        booking_id="declined-booking",
        client_user_id=str(client.user_id),
        professional_user_id="pro-1",
        amount_cents=4000,
        currency="USD",
        start=now + timedelta(days=1),
        now=now,
        emit=events.emit,
    )
    payment = register_payment_method(
        session, gateway, client, "declined-booking", browser_card(CHARGE_FAILS), now, events.emit
    )
    assert payment.status == "failed" and payment.failure_reason == "card_declined"


def test_localstripe_webhooks_pass_our_signature_check(
    localstripe_url, gateway, browser_card, session, events
):
    received: list[tuple[bytes, str]] = []
    arrived = threading.Condition()

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with arrived:
                received.append((body, self.headers["Stripe-Signature"]))
                arrived.notify_all()
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            return

    server = HTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    secret = "whsec_localstripe"
    config = urllib.request.Request(
        f"{localstripe_url}/_config/webhooks/billing-unit",
        data=json.dumps(
            {
                "url": f"http://127.0.0.1:{server.server_port}/v1/webhooks/stripe",
                "secret": secret,
                "events": ["customer.subscription.created"],
            }
        ).encode(),
        method="POST",
    )
    urllib.request.urlopen(config, timeout=5).close()

    def ours() -> tuple[bytes, str] | None:
        for body, signature in received:
            if json.loads(body)["data"]["object"]["id"] == membership.stripe_subscription_id:
                return body, signature
        return None

    try:
        membership = subscribe(
            session,
            gateway,
            a_member(),
            "owner-pro-monthly",
            browser_card(),
            wall_clock(),
            events.emit,
        )
        with arrived:
            assert arrived.wait_for(lambda: ours() is not None, timeout=10)
    finally:
        server.shutdown()

    body, signature = ours()
    outcome = handle_stripe_webhook(
        session, gateway, body.decode(), signature, secret, wall_clock(), events.emit
    )
    assert (outcome.event_type, outcome.outcome) == ("customer.subscription.created", "applied")
