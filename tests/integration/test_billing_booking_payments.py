"""Booking payments end to end: card held, charged, or the fee kept, with receipts.

booking's gateway routes are not wired yet, so the test plays booking's part on the broker:
it publishes booking's events on the `booking.events` exchange of the platform's vhost,
each payload checked first against booking's own event schemas (the producer's contract).
Everything the client does goes through the gateway; cards are made in localstripe as
Stripe.js makes them.
"""

from __future__ import annotations

import functools
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import stripe
from loconomics_booking.schemas import EMITTED_EVENTS as BOOKING_EVENTS
from nameko.standalone.events import event_dispatcher
from stripe_local import browser_card as local_card
from stripe_local import set_up_stripe, stripe_client

pytestmark = pytest.mark.integration

CHARGE_FAILS = "4000000000000341"
PRICE = 10000


@pytest.fixture(scope="module")
def stripe_side(platform):
    set_up_stripe(platform)
    return stripe_client(platform)


@pytest.fixture(scope="module")
def browser_card(platform, stripe_side):
    return functools.partial(local_card, platform, stripe_side)


@pytest.fixture(scope="module")
def booking(platform):
    """Publish one of booking's events, as booking's outbox relay would."""
    dispatch = event_dispatcher({"AMQP_URI": platform.amqp_uri, "serializer": "json"})

    def publish(name: str, booking_id: str, client, professional, start: datetime, **extra):
        payload = {
            "event_id": uuid.uuid4().hex,
            "occurred_at": datetime.now(UTC).isoformat(),
            "booking_id": booking_id,
            "client_id": client.account_id,
            "professional_id": professional.account_id,
            "service_id": "svc-massage-60",
            "listing_id": "lst-massage",
            "status": extra.pop("status", "confirmed"),
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "time_zone": "America/Los_Angeles",
            "price": {"amount_cents": PRICE, "currency": "USD"},
            "policy": "moderate",
            "instant": True,
            "created_by": "client",
            **extra,
        }
        errors = BOOKING_EVENTS[name]().validate(payload)
        assert not errors, f"not what booking publishes as {name}: {errors}"
        dispatch("booking", name, payload)

    return publish


def wait_for_payment(api, person, booking_id: str, status: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        answer = api.get(f"/v1/bookings/{booking_id}/payment", token=person.token)
        seen = answer.json()
        if answer.status_code == 200 and seen["status"] == status:
            return seen
        time.sleep(0.25)
    raise AssertionError(f"payment of {booking_id} never became {status}; last {seen}")


def intent_of(platform, stripe_side, booking_id: str) -> stripe.PaymentIntent:
    """The booking's PaymentIntent at Stripe, by the id billing keeps."""
    path = platform.var / "data" / "billing.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        [(intent_id,)] = db.execute(
            "SELECT payment_intent_id FROM booking_payments WHERE booking_id = ?", (booking_id,)
        ).fetchall()
    return stripe_side.v1.payment_intents.retrieve(intent_id)


def money(cents: int) -> dict:
    return {"amount_cents": cents, "currency": "USD"}


def pay(api, client, booking_id: str, card: str):
    return api.post(
        f"/v1/bookings/{booking_id}/payment", token=client.token, json={"payment_method_id": card}
    )


@pytest.fixture
def parties(api):
    return api.sign_up(roles=["client"]), api.sign_up(roles=["professional"])


def test_a_booking_is_held_on_confirmation_and_charged_once_performed(
    api, platform, parties, booking, browser_card, stripe_side
):
    client, professional = parties
    booking_id = uuid.uuid4().hex
    start = datetime.now(UTC) + timedelta(days=2)

    booking("booking_confirmed", booking_id, client, professional, start)
    paid = pay(api, client, booking_id, browser_card())
    assert paid.status_code == 201, paid.text
    held = wait_for_payment(api, client, booking_id, "authorised")
    assert held["price"] == money(PRICE) and held["captured"] == money(0)
    intent = intent_of(platform, stripe_side, booking_id)
    assert intent.metadata["booking_id"] == booking_id
    assert (intent.status, intent.capture_method, intent.amount) == (
        "requires_capture",
        "manual",
        PRICE,
    )

    booking("booking_performed", booking_id, client, professional, start, status="performed")
    charged = wait_for_payment(api, client, booking_id, "captured")
    assert charged["captured"] == money(PRICE)
    [receipt] = charged["receipts"]
    assert (receipt["kind"], receipt["amount"], receipt["price"]) == (
        "payment",
        money(PRICE),
        money(PRICE),
    )
    assert receipt["processor_fee"] == money(320)
    assert receipt["platform_fee"] == money(0)
    assert stripe_side.v1.payment_intents.retrieve(intent.id).status == "succeeded"

    booking(
        "booking_completed",
        booking_id,
        client,
        professional,
        start,
        status="completed",
        completed_by="client",
    )
    as_professional = api.get(f"/v1/bookings/{booking_id}/payment", token=professional.token)
    assert as_professional.json()["receipts"] == charged["receipts"]
    [record] = api.get("/v1/me/invoices", token=client.token).json()["items"]
    assert (record["kind"], record["role"], record["amount"]) == (
        "booking_payment",
        "payer",
        money(PRICE),
    )
    [record] = api.get("/v1/me/invoices", token=professional.token).json()["items"]
    assert record["role"] == "payee"
    assert record["receipt"]["platform_fee"] == money(0)


def test_a_cancellation_keeps_the_policys_fee_and_releases_the_rest(
    api, platform, parties, booking, browser_card, stripe_side
):
    client, professional = parties
    booking_id = uuid.uuid4().hex
    start = datetime.now(UTC) + timedelta(hours=30)
    assert pay(api, client, booking_id, browser_card()).status_code == 201
    booking("booking_confirmed", booking_id, client, professional, start)
    wait_for_payment(api, client, booking_id, "authorised")

    booking(
        "booking_cancelled",
        booking_id,
        client,
        professional,
        start,
        status="cancelled",
        fee_cents=5000,
        refund_cents=5000,
        kept_percent=50,
        cancelled_by="client",
        reason=None,
        no_show=False,
    )
    settled = wait_for_payment(api, client, booking_id, "fee_captured")
    assert settled["cancellation_fee"] == money(5000)
    assert settled["captured"] == money(5000)
    [receipt] = settled["receipts"]
    assert receipt["amount"] == money(5000)
    assert receipt["processor_fee"] == money(175)
    assert receipt["platform_fee"] == money(0)
    intent = intent_of(platform, stripe_side, booking_id)
    assert (intent.status, intent.amount) == ("succeeded", PRICE)


def test_a_free_cancellation_releases_the_whole_hold(
    api, platform, parties, booking, browser_card, stripe_side
):
    client, professional = parties
    booking_id = uuid.uuid4().hex
    start = datetime.now(UTC) + timedelta(days=3)
    booking("booking_confirmed", booking_id, client, professional, start)
    pay(api, client, booking_id, browser_card())
    wait_for_payment(api, client, booking_id, "authorised")

    booking(
        "booking_cancelled",
        booking_id,
        client,
        professional,
        start,
        status="cancelled",
        fee_cents=0,
        refund_cents=PRICE,
        kept_percent=0,
        cancelled_by="professional",
        reason="ill",
        no_show=False,
    )
    released = wait_for_payment(api, client, booking_id, "released")
    assert released["captured"] == money(0) and released["receipts"] == []
    assert intent_of(platform, stripe_side, booking_id).status == "canceled"


def test_only_the_client_pays_and_a_declined_card_is_reported(api, parties, booking, browser_card):
    client, professional = parties
    booking_id = uuid.uuid4().hex
    start = datetime.now(UTC) + timedelta(days=1)
    booking("booking_confirmed", booking_id, client, professional, start)
    wait_for_payment(api, client, booking_id, "awaiting_payment_method")

    stranger = api.sign_up(roles=["client"])
    assert pay(api, stranger, booking_id, browser_card()).status_code == 403
    assert api.get(f"/v1/bookings/{booking_id}/payment", token=stranger.token).status_code == 404

    declined = pay(api, client, booking_id, browser_card(CHARGE_FAILS))
    assert declined.status_code == 201
    assert (declined.json()["status"], declined.json()["failure_reason"]) == (
        "failed",
        "card_declined",
    )
    retried = pay(api, client, booking_id, browser_card())
    assert retried.json()["status"] == "authorised"
