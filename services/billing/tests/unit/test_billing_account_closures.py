"""Closing an account, billing's part: the subscription ends now, the Stripe customer goes.

Against the fake Stripe (the rules), through the entrypoint (redelivery, Stripe down, a bad
payload, nothing personal kept), and with the real SDK gateway against localstripe and a
recording server (what Stripe is actually asked).
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import stripe
from database_rows import every_row
from loconomics_billing.dependencies import StripeAccount
from loconomics_billing.domain.account_closures import close_account
from loconomics_billing.domain.booking_payments import (
    booking_cancelled,
    booking_confirmed,
    capture_booking_payment,
    register_payment_method,
)
from loconomics_billing.domain.customers import attach_card, ensure_customer
from loconomics_billing.domain.membership import (
    cancel_membership,
    describe_membership,
    refresh_subscription,
    sign_owner_acknowledgment,
    subscribe,
    suspend_owner,
)
from loconomics_billing.domain.plans import sync_plans
from loconomics_billing.domain.webhooks import handle_stripe_webhook
from loconomics_billing.models import (
    Base,
    BookingPayment,
    DuesPayment,
    Membership,
    MembershipInvoice,
    OwnerAcknowledgment,
    OwnerStatusChange,
    Receipt,
    StripeCustomer,
)
from loconomics_billing.schemas import CONSUMED_EVENTS, EMITTED_EVENTS
from loconomics_billing.service import BillingService
from loconomics_billing.stripe_gateway import StripeRejected, StripeSdkGateway, StripeUnavailable
from loconomics_plumbing.errors import Invalid
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import UnitOfWork
from loconomics_plumbing.validation import load
from loconomics_profiles.schemas import AccountClosedEventSchema
from nameko.testing.services import worker_factory
from sqlalchemy import inspect, select

OLIVE = Caller("olive", frozenset({"professional"}))
ADMIN = Caller("ops-1", frozenset({"admin"}))


def trial_owner(session, events, fake, now, caller: Caller = OLIVE) -> Membership:
    membership = subscribe(
        session, fake, caller, "owner-growth-monthly", fake.card(), now, events.emit
    )
    assert membership.owner_status == "trial"
    return membership


def active_owner(session, events, fake, now, caller: Caller = OLIVE) -> Membership:
    membership = trial_owner(session, events, fake, now, caller)
    fake.bill_next_period(membership.stripe_subscription_id)
    refresh_subscription(
        session, fake, membership.stripe_subscription_id, now, events.emit, "trial ended"
    )
    sign_owner_acknowledgment(session, caller, "192.0.2.10", now, events.emit)
    assert membership.owner_status == "active"
    return membership


def customer_id_of(session, user_id: str = "olive") -> str:
    return session.scalars(
        select(StripeCustomer.stripe_customer_id).where(StripeCustomer.user_id == user_id)
    ).one()


def rows(session, model) -> list[dict]:
    """Every row of a table, column by column, to compare before and after."""
    columns = [c.key for c in inspect(model).columns]
    return sorted(
        ({c: getattr(row, c) for c in columns} for row in session.scalars(select(model))),
        key=lambda row: str(row["id"]),
    )


# the rules, against the fake Stripe


def test_an_active_owner_is_cancelled_at_once_and_announced(session, events, fake_stripe, now):
    membership = active_owner(session, events, fake_stripe, now)
    subscription_id = membership.stripe_subscription_id
    events.clear()
    later = now + timedelta(days=3)

    outcome = close_account(session, fake_stripe, "olive", later, events.emit)

    assert outcome.subscription_ended
    assert fake_stripe.subscriptions[subscription_id]["status"] == "canceled"
    assert fake_stripe.called("cancel_now") == [{"subscription": subscription_id}]
    assert fake_stripe.called("cancel_at_period_end") == []
    assert fake_stripe.called("refund") == []
    assert (membership.subscription_status, membership.owner_status) == ("canceled", "cancelled")
    assert describe_membership(session, membership)["plan_id"] == "free"
    [changed] = events.named("owner_status_changed")
    assert changed == {
        "user_id": "olive",
        "from": "active",
        "to": "cancelled",
        "plan_id": "owner-growth-monthly",
        "reason": "account_closed",
        "changed_at": later.isoformat(),
    }
    history = session.scalars(select(OwnerStatusChange).order_by(OwnerStatusChange.sequence))
    assert [(c.to_status, c.reason) for c in history][-1] == ("cancelled", "account_closed")


def test_a_trial_is_cancelled_at_once_too(session, events, fake_stripe, now):
    membership = trial_owner(session, events, fake_stripe, now)
    events.clear()

    close_account(session, fake_stripe, "olive", now, events.emit)

    assert fake_stripe.subscriptions[membership.stripe_subscription_id]["status"] == "canceled"
    assert [(e["from"], e["to"], e["reason"]) for e in events.named("owner_status_changed")] == [
        ("trial", "cancelled", "account_closed")
    ]


def test_a_cancellation_pending_for_the_period_end_ends_now(session, events, fake_stripe, now):
    membership = active_owner(session, events, fake_stripe, now)
    cancel_membership(session, fake_stripe, OLIVE, now, events.emit)
    assert membership.owner_status == "active"

    close_account(session, fake_stripe, "olive", now, events.emit)

    assert fake_stripe.subscriptions[membership.stripe_subscription_id]["status"] == "canceled"
    assert membership.owner_status == "cancelled"


def test_a_suspended_owner_stays_suspended_but_stops_paying(session, events, fake_stripe, now):
    membership = active_owner(session, events, fake_stripe, now)
    suspend_owner(session, ADMIN, "olive", "fraud", now, events.emit)
    events.clear()

    close_account(session, fake_stripe, "olive", now, events.emit)

    assert fake_stripe.subscriptions[membership.stripe_subscription_id]["status"] == "canceled"
    assert (membership.subscription_status, membership.owner_status) == ("canceled", "suspended")
    assert events.named("owner_status_changed") == []


def test_someone_who_never_paid_costs_nothing(session, events, fake_stripe, now):
    sign_owner_acknowledgment(session, OLIVE, "192.0.2.10", now, events.emit)
    events.clear()

    outcome = close_account(session, fake_stripe, "olive", now, events.emit)
    nobody = close_account(session, fake_stripe, "never-seen", now, events.emit)

    assert not outcome.subscription_ended and not outcome.customer_deleted
    assert not nobody.subscription_ended and not nobody.customer_deleted
    assert fake_stripe.calls == [] and events.events == []
    assert session.scalars(select(Membership)).one().owner_status == "not_yet_owner"


def test_the_stripe_customer_is_deleted_and_forgotten(session, events, fake_stripe, now):
    trial_owner(session, events, fake_stripe, now)
    customer_id = customer_id_of(session)
    card = fake_stripe.customers[customer_id]["invoice_settings"]["default_payment_method"]

    outcome = close_account(session, fake_stripe, "olive", now, events.emit)

    assert outcome.customer_deleted
    assert customer_id not in fake_stripe.customers
    assert fake_stripe.cards[card]["customer"] is None
    assert fake_stripe.called("delete_customer") == [{"customer": customer_id}]
    assert session.scalars(select(StripeCustomer)).all() == []


def test_a_client_who_never_subscribed_loses_the_customer_too(session, events, fake_stripe, now):
    customer = ensure_customer(session, fake_stripe, "olive", now)
    attach_card(fake_stripe, customer.stripe_customer_id, fake_stripe.card(), make_default=False)

    outcome = close_account(session, fake_stripe, "olive", now, events.emit)

    assert (outcome.subscription_ended, outcome.customer_deleted) == (False, True)
    assert fake_stripe.customers == {}
    assert events.events == []


def test_invoices_dues_payments_and_receipts_stay(session, events, fake_stripe, now):
    membership = active_owner(session, events, fake_stripe, now)
    register_payment_method(
        session, fake_stripe, OLIVE, "bk-1", fake_stripe.card(), now, events.emit
    )
    booking_confirmed(
        session,
        fake_stripe,
        booking_id="bk-1",
        client_user_id="olive",
        professional_user_id="pro-1",
        amount_cents=10000,
        currency="USD",
        start=now + timedelta(hours=30),
        now=now,
        emit=events.emit,
    )
    capture_booking_payment(session, fake_stripe, "bk-1", now, events.emit)
    kept = (MembershipInvoice, DuesPayment, BookingPayment, Receipt, OwnerAcknowledgment)
    before = {model.__name__: rows(session, model) for model in kept}
    assert all(before.values())
    history = [c.id for c in session.scalars(select(OwnerStatusChange))]

    close_account(session, fake_stripe, "olive", now, events.emit)

    assert {model.__name__: rows(session, model) for model in kept} == before
    assert [c.id for c in session.scalars(select(OwnerStatusChange))][: len(history)] == history
    assert session.get(Membership, membership.id) is not None


def test_closing_again_changes_nothing(session, events, fake_stripe, now):
    active_owner(session, events, fake_stripe, now)
    close_account(session, fake_stripe, "olive", now, events.emit)
    calls, emitted = list(fake_stripe.calls), list(events.events)
    before = rows(session, Membership)

    again = close_account(session, fake_stripe, "olive", now + timedelta(hours=1), events.emit)

    assert not again.subscription_ended and not again.customer_deleted
    assert fake_stripe.calls == calls and events.events == emitted
    assert rows(session, Membership) == before


def test_a_retry_after_stripe_ended_the_subscription_still_deletes_the_customer(
    session, events, fake_stripe, now
):
    """The first attempt ended the subscription at Stripe, then failed; nothing was kept."""
    membership = active_owner(session, events, fake_stripe, now)
    fake_stripe.cancel_subscription_now(membership.stripe_subscription_id)
    customer_id = customer_id_of(session)
    events.clear()

    close_account(session, fake_stripe, "olive", now, events.emit)

    assert membership.owner_status == "cancelled"
    assert [e["reason"] for e in events.named("owner_status_changed")] == ["account_closed"]
    assert customer_id not in fake_stripe.customers
    assert session.scalars(select(StripeCustomer)).all() == []


def test_a_subscription_stripe_ended_by_itself_is_recorded_as_stripe_says(
    session, events, fake_stripe, now
):
    membership = trial_owner(session, events, fake_stripe, now)
    fake_stripe.subscriptions[membership.stripe_subscription_id]["status"] = "incomplete_expired"
    events.clear()

    close_account(session, fake_stripe, "olive", now, events.emit)

    assert fake_stripe.called("cancel_now") == []
    assert membership.subscription_status == "incomplete_expired"
    assert [(e["to"], e["reason"]) for e in events.named("owner_status_changed")] == [
        ("not_yet_owner", "account_closed")
    ]


def test_a_subscription_stripe_no_longer_knows_is_recorded_as_ended(
    session, events, fake_stripe, now
):
    """A localstripe started afresh has forgotten every subscription and customer."""
    membership = trial_owner(session, events, fake_stripe, now)
    del fake_stripe.subscriptions[membership.stripe_subscription_id]
    fake_stripe.customers.clear()

    outcome = close_account(session, fake_stripe, "olive", now, events.emit)

    assert outcome.subscription_ended and outcome.customer_deleted
    assert (membership.subscription_status, membership.owner_status) == ("canceled", "cancelled")
    assert membership.plan_id == "owner-growth-monthly"
    assert session.scalars(select(StripeCustomer)).all() == []


@pytest.fixture
def deliver(sign, webhook_secret):
    def send(session, fake, event: dict, now, emit):
        payload = json.dumps(event)
        return handle_stripe_webhook(
            session, fake, payload, sign(payload), webhook_secret, now, emit
        )

    return send


def test_later_webhooks_about_the_subscription_change_nothing(
    session, events, fake_stripe, now, deliver
):
    membership = active_owner(session, events, fake_stripe, now)
    close_account(session, fake_stripe, "olive", now, events.emit)
    before = rows(session, Membership)
    events.clear()

    outcomes = [
        deliver(session, fake_stripe, event, now + timedelta(minutes=1), events.emit).outcome
        for event in reversed(fake_stripe.events)
        if event["type"].startswith("customer.subscription.")
    ]

    assert set(outcomes) == {"applied"}
    assert fake_stripe.events[-2]["type"] == "customer.subscription.deleted"
    updated = [{**row, "updated_at": None} for row in rows(session, Membership)]
    assert updated == [{**row, "updated_at": None} for row in before]
    assert membership.owner_status == "cancelled"
    assert events.named("owner_status_changed") == []


def test_a_renewal_reported_late_still_lands_in_the_closed_members_records(
    session, events, fake_stripe, now, deliver
):
    membership = active_owner(session, events, fake_stripe, now)
    fake_stripe.bill_next_period(membership.stripe_subscription_id)
    paid = next(e for e in reversed(fake_stripe.events) if e["type"] == "invoice.paid")
    close_account(session, fake_stripe, "olive", now, events.emit)
    events.clear()

    deliver(session, fake_stripe, paid, now, events.emit)

    [dues] = events.named("dues_paid")
    assert (dues["user_id"], dues["invoice_id"]) == ("olive", paid["data"]["object"]["id"])
    assert len(session.scalars(select(DuesPayment)).all()) == 2
    assert membership.owner_status == "cancelled"


# the entrypoint


@pytest.fixture
def billing(unit, fake_stripe, webhook_secret):
    def make(caller: Caller = OLIVE, gateway=None):
        account = StripeAccount(gateway or fake_stripe, webhook_secret)
        return worker_factory(BillingService, db=unit, caller=caller, stripe=account)

    return make


def outbox(unit: UnitOfWork, event_type: str) -> list[dict]:
    table = Base.metadata.tables["outbox_events"]
    found = unit.session.execute(
        select(table.c.payload).where(table.c.event_type == event_type).order_by(table.c.created_at)
    )
    return [json.loads(row.payload) for row in found]


def closure(event_id: str = "closure-1", *, without: tuple[str, ...] = (), **changes) -> dict:
    """`account_closed` as docs/account-closure.md says profiles publishes it."""
    event = {
        "event_id": event_id,
        "occurred_at": "2026-03-02T15:00:00+00:00",
        "account_id": "olive",
        "closed_at": "2026-03-02T10:00:00-05:00",
        "roles": ["client", "professional"],
        "email": "olive.owner@example.org",
        "name": "Olive Owner",
        "language": "es",
        **changes,
    }
    return {name: value for name, value in event.items() if name not in without}


class FlakyStripe:
    """The fake Stripe, except that one call fails `times` times as a network blip would."""

    def __init__(self, fake, method: str, failure: Exception, times: int = 1):
        self.fake, self.method, self.failure, self.left = fake, method, failure, times

    def __getattr__(self, name):
        target = getattr(self.fake, name)
        if name != self.method:
            return target

        def call(*args, **kwargs):
            if self.left:
                self.left -= 1
                raise self.failure
            return target(*args, **kwargs)

        return call


def subscribed(billing, unit, fake_stripe) -> str:
    billing().put_membership(plan_id="owner-growth-monthly", payment_method_id=fake_stripe.card())
    return unit.session.scalars(select(Membership)).one().stripe_subscription_id


def test_the_handler_ends_the_membership_and_keeps_nothing_personal(billing, unit, fake_stripe):
    subscription_id = subscribed(billing, unit, fake_stripe)

    billing().on_account_closed(closure())

    assert fake_stripe.subscriptions[subscription_id]["status"] == "canceled"
    assert fake_stripe.customers == {}
    assert billing().get_entitlements(user_id="olive")["owner_status"] == "cancelled"
    cancelled = outbox(unit, "owner_status_changed")[-1]
    assert not EMITTED_EVENTS["owner_status_changed"]().validate(cancelled)
    assert (cancelled["to"], cancelled["reason"]) == ("cancelled", "account_closed")
    everything = every_row(unit.session, Base.metadata)
    for personal in ("olive.owner@example.org", "Olive Owner"):
        assert personal not in everything


def test_a_redelivered_closure_is_applied_once(billing, unit, fake_stripe):
    subscribed(billing, unit, fake_stripe)

    billing().on_account_closed(closure())
    billing().on_account_closed(closure())
    billing().on_account_closed(closure("closure-again"))

    assert len(fake_stripe.called("cancel_now")) == 1
    assert len(fake_stripe.called("delete_customer")) == 1
    assert [e["to"] for e in outbox(unit, "owner_status_changed")] == ["trial", "cancelled"]


def test_stripe_down_before_anything_is_retried_and_nothing_is_kept(billing, unit, fake_stripe):
    subscription_id = subscribed(billing, unit, fake_stripe)
    down = FlakyStripe(fake_stripe, "cancel_subscription_now", StripeUnavailable("timeout"))

    with pytest.raises(StripeUnavailable):
        billing(gateway=down).on_account_closed(closure())

    assert fake_stripe.subscriptions[subscription_id]["status"] == "trialing"
    assert billing().get_membership()["owner_status"] == "trial"
    assert len(outbox(unit, "owner_status_changed")) == 1

    billing(gateway=down).on_account_closed(closure())
    assert billing().get_membership()["owner_status"] == "cancelled"
    assert fake_stripe.customers == {}


def test_stripe_failing_halfway_is_retried_and_the_retry_finishes(billing, unit, fake_stripe):
    subscription_id = subscribed(billing, unit, fake_stripe)
    flaky = FlakyStripe(fake_stripe, "delete_customer", StripeUnavailable("connection reset"))

    with pytest.raises(StripeUnavailable):
        billing(gateway=flaky).on_account_closed(closure())

    assert fake_stripe.subscriptions[subscription_id]["status"] == "canceled"
    assert billing().get_membership()["owner_status"] == "trial"
    assert len(outbox(unit, "owner_status_changed")) == 1
    assert len(unit.session.scalars(select(StripeCustomer)).all()) == 1

    billing(gateway=flaky).on_account_closed(closure())

    assert billing().get_membership()["owner_status"] == "cancelled"
    assert fake_stripe.customers == {}
    assert unit.session.scalars(select(StripeCustomer)).all() == []
    assert [(e["to"], e["reason"]) for e in outbox(unit, "owner_status_changed")][-1] == (
        "cancelled",
        "account_closed",
    )
    assert len(fake_stripe.called("cancel_now")) == 1


def test_a_refusal_no_retry_can_cure_is_dropped(billing, unit, fake_stripe):
    subscribed(billing, unit, fake_stripe)
    refusing = FlakyStripe(fake_stripe, "delete_customer", StripeRejected("nope", None, 400))

    assert billing(gateway=refusing).on_account_closed(closure()) is None

    assert billing().get_membership()["owner_status"] == "trial"


@pytest.mark.parametrize(
    ("malformed", "fields"),
    [
        (closure(without=("account_id",)), {"account_id"}),
        (closure(account_id=""), {"account_id"}),
        (closure(without=("closed_at",)), {"closed_at"}),
        (closure(closed_at="2026-03-02T10:00:00"), {"closed_at"}),
        (closure(closed_at="yesterday", account_id=7), {"closed_at", "account_id"}),
    ],
)
def test_a_malformed_closure_is_refused_and_changes_nothing(
    billing, unit, fake_stripe, malformed, fields
):
    with pytest.raises(Invalid) as raised:
        load(CONSUMED_EVENTS["account_closed"](), malformed)
    assert set(raised.value.errors) == fields

    subscribed(billing, unit, fake_stripe)
    calls = list(fake_stripe.calls)
    assert billing().on_account_closed(malformed) is None
    assert fake_stripe.calls == calls
    assert billing().get_membership()["owner_status"] == "trial"


def test_the_tests_send_what_profiles_publishes():
    assert AccountClosedEventSchema().validate(closure()) == {}


def test_the_event_needs_only_the_account_and_when_it_closed():
    minimal = {"account_id": "olive", "closed_at": "2026-03-02T10:00:00-05:00"}
    loaded = load(CONSUMED_EVENTS["account_closed"](), closure())
    assert loaded == load(CONSUMED_EVENTS["account_closed"](), minimal)
    assert loaded["closed_at"] == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


# the SDK gateway: localstripe, and what exactly Stripe is asked


@pytest.fixture(scope="module")
def gateway(localstripe_url):
    gateway = StripeSdkGateway("sk_test_billing", localstripe_url, max_network_retries=0)
    sync_plans(gateway)
    return gateway


def a_member() -> Caller:
    return Caller(f"member-{uuid.uuid4().hex[:8]}", frozenset({"professional"}))


def is_deleted(stripe_client, customer_id: str) -> bool:
    """Stripe answers a deleted customer with `deleted: true`; localstripe with a 404."""
    try:
        return bool(stripe_client.v1.customers.retrieve(customer_id).to_dict().get("deleted"))
    except stripe.InvalidRequestError as exc:
        return exc.http_status == 404


def test_localstripe_ends_the_subscription_at_once_and_deletes_the_customer(
    gateway, stripe_client, browser_card, session, events
):
    caller = a_member()
    now = datetime.now(UTC)
    membership = subscribe(
        session, gateway, caller, "owner-growth-monthly", browser_card(), now, events.emit
    )
    subscription_id = membership.stripe_subscription_id
    customer_id = customer_id_of(session, str(caller.user_id))

    close_account(session, gateway, str(caller.user_id), now, events.emit)

    assert stripe_client.v1.subscriptions.retrieve(subscription_id).status == "canceled"
    assert is_deleted(stripe_client, customer_id)
    assert membership.owner_status == "cancelled"
    assert [e["reason"] for e in events.named("owner_status_changed")][-1] == "account_closed"

    again = close_account(session, gateway, str(caller.user_id), now, events.emit)
    assert not again.subscription_ended and not again.customer_deleted
    before = rows(session, Membership)
    refresh_subscription(session, gateway, subscription_id, now, events.emit, "late webhook")
    assert rows(session, Membership) == before


def test_localstripe_retry_after_a_lost_transaction_finishes(
    gateway, stripe_client, browser_card, session, events
):
    caller = a_member()
    now = datetime.now(UTC)
    subscribe(session, gateway, caller, "owner-pro-monthly", browser_card(), now, events.emit)
    session.commit()
    close_account(session, gateway, str(caller.user_id), now, events.emit)
    session.rollback()  # Stripe did it all; billing's transaction was lost

    close_account(session, gateway, str(caller.user_id), now, events.emit)

    membership = session.scalars(
        select(Membership).where(Membership.user_id == caller.user_id)
    ).one()
    assert (membership.subscription_status, membership.owner_status) == ("canceled", "cancelled")
    assert (
        session.scalars(
            select(StripeCustomer).where(StripeCustomer.user_id == caller.user_id)
        ).all()
        == []
    )


def test_a_hold_placed_before_the_closure_is_still_released_after_it(
    gateway, stripe_client, browser_card, session, events
):
    """booking cancels an open booking on `account_closed`, maybe after billing's part."""
    client = a_member()
    now = datetime.now(UTC)
    register_payment_method(
        session, gateway, client, "bk-closing", browser_card(), now, events.emit
    )
    held = booking_confirmed(
        session,
        gateway,
        booking_id="bk-closing",
        client_user_id=str(client.user_id),
        professional_user_id="pro-1",
        amount_cents=8000,
        currency="USD",
        start=now + timedelta(hours=30),
        now=now,
        emit=events.emit,
    )
    assert held.status == "authorised"

    close_account(session, gateway, str(client.user_id), now, events.emit)
    released = booking_cancelled(
        session, gateway, booking_id="bk-closing", fee_cents=0, now=now, emit=events.emit
    )

    assert released.status == "released"
    assert stripe_client.v1.payment_intents.retrieve(held.payment_intent_id).status == "canceled"


class RecordingStripe(BaseHTTPRequestHandler):
    """Stripe's answers to the two deletions, real Stripe's way (404 once gone)."""

    requests: list[str] = []
    answers = {
        "/v1/subscriptions/sub_live": (200, {"id": "sub_live", "object": "subscription"}),
        "/v1/customers/cus_live": (200, {"id": "cus_live", "object": "customer", "deleted": True}),
        "/v1/customers/cus_broken": (500, {"error": {"type": "api_error", "message": "oops"}}),
    }
    missing = (404, {"error": {"type": "invalid_request_error", "code": "resource_missing"}})

    def do_DELETE(self):
        self.requests.append(self.path)
        status, body = self.answers.get(self.path.split("?")[0], self.missing)
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        return


@pytest.fixture
def recording_stripe():
    RecordingStripe.requests = []
    server = HTTPServer(("127.0.0.1", 0), RecordingStripe)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield StripeSdkGateway(
        "sk_test_billing", f"http://127.0.0.1:{server.server_port}", max_network_retries=0
    )
    server.shutdown()
    server.server_close()


def test_the_sdk_cancels_without_credit_or_final_invoice_and_takes_gone_as_done(
    recording_stripe,
):
    assert recording_stripe.cancel_subscription_now("sub_live")["id"] == "sub_live"
    assert RecordingStripe.requests[-1] == (
        "/v1/subscriptions/sub_live?invoice_now=false&prorate=false"
    )
    assert recording_stripe.cancel_subscription_now("sub_cancelled_before") is None
    assert recording_stripe.delete_customer("cus_live") is True
    assert recording_stripe.delete_customer("cus_deleted_before") is False
    with pytest.raises(StripeUnavailable):
        recording_stripe.delete_customer("cus_broken")
