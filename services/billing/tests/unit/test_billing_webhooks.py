"""Stripe webhooks: signatures, one application per event id, convergence under any order."""

from __future__ import annotations

import json
import random
import time
from datetime import timedelta

import pytest
from loconomics_billing.domain.membership import (
    cancel_membership,
    sign_owner_acknowledgment,
    subscribe,
    update_payment_method,
)
from loconomics_billing.domain.plans import sync_plans
from loconomics_billing.domain.webhooks import (
    StripeSignatureInvalid,
    claim_event,
    handle_stripe_webhook,
)
from loconomics_billing.models import (
    Base,
    DuesPayment,
    Membership,
    MembershipInvoice,
    OwnerAcknowledgment,
    ProcessedStripeEvent,
    StripeCustomer,
)
from loconomics_billing.stripe_gateway import StripeUnavailable
from loconomics_plumbing.identity import Caller
from sqlalchemy import create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

ALICE = Caller("alice", frozenset({"professional"}))


@pytest.fixture
def deliver(sign, webhook_secret):
    """Send one Stripe event to billing as Stripe would: signed, as raw JSON."""

    def send(session, fake, event: dict, now, emit):
        payload = json.dumps(event)
        return handle_stripe_webhook(
            session, fake, payload, sign(payload), webhook_secret, now, emit
        )

    return send


def deliver_new(deliver, session, fake, seen: list, now, emit) -> None:
    """Deliver the events Stripe sent since the last call, in order, once."""
    for event in fake.events[len(seen) :]:
        deliver(session, fake, event, now, emit)
        seen.append(event)


def snapshot(session: Session) -> dict:
    membership = session.scalars(select(Membership)).one()
    return {
        "membership": {
            name: getattr(membership, name)
            for name in (
                "user_id",
                "plan_id",
                "stripe_subscription_id",
                "stripe_item_id",
                "subscription_status",
                "trial_end",
                "current_period_start",
                "current_period_end",
                "cancel_at_period_end",
                "owner_status",
            )
        },
        "invoices": sorted(
            (i.stripe_invoice_id, i.status, i.amount_due_cents, i.amount_paid_cents, i.paid_at)
            for i in session.scalars(select(MembershipInvoice))
        ),
        "dues": sorted(
            (d.stripe_invoice_id, d.user_id, d.amount_cents, d.currency, d.fiscal_year)
            for d in session.scalars(select(DuesPayment))
        ),
    }


def fresh_session() -> Session:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    return Session(engine)


def test_a_whole_membership_replayed_three_times_shuffled_equals_one_ordered_delivery(
    session, events, now, new_fake_stripe, deliver
):
    fake = new_fake_stripe(now)
    sync_plans(fake)
    seen: list[dict] = []

    membership = subscribe(
        session, fake, ALICE, "owner-growth-monthly", fake.card(), now, events.emit
    )
    seed_customer = session.scalars(select(StripeCustomer)).one()
    seed = (seed_customer.stripe_customer_id, membership.stripe_subscription_id)
    deliver_new(deliver, session, fake, seen, now, events.emit)
    signed_at = now + timedelta(hours=1)
    sign_owner_acknowledgment(session, ALICE, "192.0.2.44", signed_at, events.emit)
    assert membership.owner_status == "trial"

    fake.bill_next_period(membership.stripe_subscription_id)
    deliver_new(deliver, session, fake, seen, now, events.emit)
    assert membership.owner_status == "active"

    card = fake.customers[seed[0]]["invoice_settings"]["default_payment_method"]
    fake.cards[card]["behaviour"] = "declined_on_charge"
    fake.bill_next_period(membership.stripe_subscription_id)
    deliver_new(deliver, session, fake, seen, now, events.emit)
    assert membership.owner_status == "inactive"

    update_payment_method(session, fake, ALICE, fake.card(), now, events.emit)
    deliver_new(deliver, session, fake, seen, now, events.emit)
    assert membership.owner_status == "active"

    cancel_membership(session, fake, ALICE, now, events.emit)
    fake.end_period(membership.stripe_subscription_id)
    deliver_new(deliver, session, fake, seen, now, events.emit)
    assert membership.owner_status == "cancelled"
    ordered = snapshot(session)
    assert len(ordered["dues"]) == 2 and len(ordered["invoices"]) == 3

    replay = fresh_session()
    replay.add(StripeCustomer(user_id="alice", stripe_customer_id=seed[0], created_at=now))
    replay.add(
        Membership(
            user_id="alice",
            plan_id="owner-growth-monthly",
            stripe_subscription_id=seed[1],
            owner_status="not_yet_owner",
            created_at=now,
            updated_at=now,
        )
    )
    replay.add(
        OwnerAcknowledgment(
            user_id="alice",
            version="2025-01",
            text_sha256="0" * 64,
            ip_address="192.0.2.44",
            signed_at=signed_at,
        )
    )
    replay.flush()
    replayed_events: list = []
    deliveries = seen * 3
    random.Random(20260302).shuffle(deliveries)
    assert deliveries[: len(seen)] != seen
    outcomes = [
        deliver(replay, fake, event, now, lambda n, p: replayed_events.append((n, p))).outcome
        for event in deliveries
    ]

    assert snapshot(replay) == ordered
    assert outcomes.count("duplicate") == 2 * len(seen)
    assert len([e for e in replayed_events if e[0] == "dues_paid"]) == 2
    assert len(replay.scalars(select(ProcessedStripeEvent)).all()) == len(seen)
    assert len(events.named("dues_paid")) == 2


def test_an_event_id_is_applied_once(session, events, fake_stripe, now, deliver):
    subscribe(
        session, fake_stripe, ALICE, "owner-growth-monthly", fake_stripe.card(), now, events.emit
    )
    sub_id = session.scalars(select(Membership)).one().stripe_subscription_id
    fake_stripe.bill_next_period(sub_id)
    paid = next(
        e
        for e in fake_stripe.events
        if e["type"] == "invoice.paid" and e["data"]["object"]["amount_due"] > 0
    )
    events.clear()

    first = deliver(session, fake_stripe, paid, now, events.emit)
    second = deliver(session, fake_stripe, paid, now, events.emit)

    assert (first.outcome, second.outcome) == ("applied", "duplicate")
    assert [d["amount_cents"] for d in events.named("dues_paid")] == [1900]
    assert events.named("dues_paid")[0]["fiscal_year"] == 2026


def test_dues_are_counted_once_per_invoice_whatever_event_reports_it(
    session, events, fake_stripe, now, deliver
):
    subscribe(
        session, fake_stripe, ALICE, "owner-growth-monthly", fake_stripe.card(), now, events.emit
    )
    sub_id = session.scalars(select(Membership)).one().stripe_subscription_id
    invoice = fake_stripe.bill_next_period(sub_id)
    about_invoice = [
        e for e in fake_stripe.events if e["data"]["object"].get("id") == invoice["id"]
    ]
    assert len(about_invoice) >= 2

    for event in about_invoice:
        deliver(session, fake_stripe, event, now, events.emit)

    assert len(session.scalars(select(DuesPayment)).all()) == 1
    assert len(events.named("dues_paid")) == 1


def test_a_failed_renewal_makes_the_owner_inactive_and_is_reported_once(
    session, events, fake_stripe, now, deliver
):
    membership = subscribe(
        session, fake_stripe, ALICE, "owner-growth-monthly", fake_stripe.card(), now, events.emit
    )
    sign_owner_acknowledgment(session, ALICE, "192.0.2.1", now, events.emit)
    fake_stripe.bill_next_period(membership.stripe_subscription_id)
    customer = fake_stripe.subscriptions[membership.stripe_subscription_id]["customer"]
    card = fake_stripe.customers[customer]["invoice_settings"]["default_payment_method"]
    fake_stripe.cards[card]["behaviour"] = "declined_on_charge"
    failed = fake_stripe.bill_next_period(membership.stripe_subscription_id)
    events.clear()

    for event in fake_stripe.events:
        deliver(session, fake_stripe, event, now, events.emit)

    assert membership.owner_status == "inactive"
    assert [(p["invoice_id"], p["amount_cents"]) for p in events.named("payment_failed")] == [
        (failed["id"], 1900)
    ]
    assert events.named("owner_status_changed")[-1]["to"] == "inactive"


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "stale", "payload_changed", "missing_header", "not_a_signature"],
)
def test_a_bad_or_stale_signature_is_rejected_and_changes_nothing(
    session, events, fake_stripe, now, tamper, sign, webhook_secret
):
    subscribe(
        session, fake_stripe, ALICE, "owner-growth-monthly", fake_stripe.card(), now, events.emit
    )
    events.clear()
    event = fake_stripe.events[-1]
    payload = json.dumps(event)
    header = {
        "wrong_secret": sign(payload, "whsec_someone_else"),
        "stale": sign(payload, timestamp=int(time.time()) - 600),
        "payload_changed": sign(payload),
        "missing_header": None,
        "not_a_signature": "hello",
    }[tamper]
    if tamper == "payload_changed":
        payload = payload.replace("trialing", "active")

    with pytest.raises(StripeSignatureInvalid) as error:
        handle_stripe_webhook(
            session, fake_stripe, payload, header, webhook_secret, now, events.emit
        )

    assert error.value.status == 400
    assert session.scalars(select(ProcessedStripeEvent)).all() == []
    assert events.events == []


@pytest.mark.parametrize(
    ("event_type", "object_id"),
    [
        ("customer.created", "cus_x"),
        ("customer.subscription.updated", "sub_not_known_to_stripe"),
        ("payment_intent.succeeded", "pi_not_a_booking"),
        ("invoice.paid", "in_not_known_to_stripe"),
    ],
)
def test_an_event_that_is_not_ours_is_recorded_and_ignored(
    session, events, fake_stripe, now, deliver, event_type, object_id
):
    event = {"id": f"evt_{event_type}", "type": event_type, "data": {"object": {"id": object_id}}}
    outcome = deliver(session, fake_stripe, event, now, events.emit)
    assert outcome.outcome == "ignored"
    assert session.get(ProcessedStripeEvent, event["id"]).outcome == "ignored"
    assert events.events == []


def test_a_failure_while_applying_leaves_the_event_to_be_retried(
    session, events, fake_stripe, now, deliver, monkeypatch
):
    subscribe(
        session, fake_stripe, ALICE, "owner-growth-monthly", fake_stripe.card(), now, events.emit
    )
    session.commit()
    event = next(e for e in fake_stripe.events if e["type"] == "customer.subscription.created")

    def stripe_down(subscription_id):
        raise StripeUnavailable("connection refused")

    monkeypatch.setattr(fake_stripe, "retrieve_subscription", stripe_down)
    with pytest.raises(StripeUnavailable):
        deliver(session, fake_stripe, event, now, events.emit)
    session.rollback()
    monkeypatch.undo()

    assert session.get(ProcessedStripeEvent, event["id"]) is None
    assert deliver(session, fake_stripe, event, now, events.emit).outcome == "applied"


def test_a_concurrent_duplicate_fails_on_the_primary_key(session, now, monkeypatch):
    assert claim_event(session, "evt_1", "invoice.paid", now) is True
    session.commit()
    monkeypatch.setattr(session, "get", lambda *args, **kwargs: None)

    with pytest.raises(IntegrityError):
        claim_event(session, "evt_1", "invoice.paid", now)
