"""Fixtures for billing's unit tests: a database, an event log, a fake Stripe, a localstripe
with Stripe's own side and cards made as Stripe.js makes them."""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
import stripe
from loconomics_billing.models import Base
from loconomics_billing.schemas import EMITTED_EVENTS
from loconomics_billing.stripe_gateway import CardDeclined, StripeRejected
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import UnitOfWork, make_engine, session_factory
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from stripe_local import card_made_in

WEBHOOK_SECRET = "whsec_unit_test"
LOCALSTRIPE_SECRET_KEY = "sk_test_billing"
LOCALSTRIPE_PUBLISHABLE_KEY = "pk_test_billing"
GOOD_CARD = "4242424242424242"


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as db:
        yield db
    engine.dispose()


class EventLog:
    """A list-appending `emit` that also checks every payload against its event schema."""

    def __init__(self):
        self.events: list[tuple[str, dict]] = []

    def emit(self, name: str, payload: dict) -> None:
        errors = EMITTED_EVENTS[name]().validate(payload)
        assert not errors, f"{name} payload breaks its schema: {errors}"
        json.dumps(payload)
        self.events.append((name, payload))

    def named(self, name: str) -> list[dict]:
        return [payload for event, payload in self.events if event == name]

    def clear(self) -> None:
        self.events.clear()


@pytest.fixture
def events() -> EventLog:
    return EventLog()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def member(user_id: str = "member-1", *roles: str) -> Caller:
    return Caller(user_id, frozenset(roles or {"professional"}))


@pytest.fixture
def caller_for():
    return member


def sign_payload(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for `payload`, as Stripe computes it."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode("utf-8"), f"{stamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={stamp},v1={digest}"


@pytest.fixture
def sign():
    return sign_payload


@pytest.fixture
def webhook_secret() -> str:
    return WEBHOOK_SECRET


class FakeStripe:
    """A small stateful Stripe behind the `StripeGateway` protocol, for domain tests.

    It answers in the shapes of the current Stripe API (period dates on subscription items,
    `parent.subscription_details` on invoices, `amount_captured` on charges), records every
    event Stripe would send, and has levers to move a subscription through time.
    """

    connect_enabled = True

    def __init__(self, now: datetime):
        self.now = now
        self.ids = itertools.count(1)
        self.products: dict[str, dict] = {}
        self.plans: dict[str, dict] = {}
        self.customers: dict[str, dict] = {}
        self.cards: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.idempotent: dict[str, dict] = {}
        self.events: list[dict] = []
        self.calls: list[tuple[str, dict]] = []

    # helpers

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self.ids):06d}"

    def _ts(self, moment: datetime | None = None) -> int:
        return int((moment or self.now).timestamp())

    def _event(self, event_type: str, obj: dict) -> None:
        self.events.append(
            {
                "id": self._id("evt"),
                "object": "event",
                "type": event_type,
                "created": self._ts(),
                "data": {"object": copy.deepcopy(obj)},
            }
        )

    def card(self, behaviour: str = "ok") -> str:
        pm = self._id("pm")
        self.cards[pm] = {"id": pm, "behaviour": behaviour, "customer": None}
        return pm

    def _charge(self, customer_id: str, amount: int) -> bool:
        pm = self.customers[customer_id]["invoice_settings"]["default_payment_method"]
        return pm is not None and self.cards[pm]["behaviour"] == "ok"

    # products and plans

    def retrieve_product(self, product_id):
        return copy.deepcopy(self.products.get(product_id))

    def create_product(self, product_id, name, metadata):
        self.products[product_id] = {"id": product_id, "name": name, "metadata": dict(metadata)}
        return copy.deepcopy(self.products[product_id])

    def update_product(self, product_id, changes):
        self.products[product_id].update(copy.deepcopy(changes))
        return copy.deepcopy(self.products[product_id])

    def retrieve_plan(self, plan_id):
        return copy.deepcopy(self.plans.get(plan_id))

    def create_plan(
        self,
        *,
        plan_id,
        product_id,
        amount_cents,
        currency,
        interval,
        nickname,
        trial_period_days,
        metadata,
    ):
        self.plans[plan_id] = {
            "id": plan_id,
            "object": "plan",
            "product": product_id,
            "amount": amount_cents,
            "currency": currency.lower(),
            "interval": interval,
            "interval_count": 1,
            "nickname": nickname,
            "trial_period_days": trial_period_days,
            "metadata": dict(metadata),
            "active": True,
        }
        return copy.deepcopy(self.plans[plan_id])

    def update_plan(self, plan_id, changes):
        self.plans[plan_id].update(copy.deepcopy(changes))
        return copy.deepcopy(self.plans[plan_id])

    # customers and cards

    def create_customer(self, user_id, idempotency_key):
        if idempotency_key in self.idempotent:
            return copy.deepcopy(self.idempotent[idempotency_key])
        customer = {
            "id": self._id("cus"),
            "object": "customer",
            "metadata": {"user_id": user_id},
            "invoice_settings": {"default_payment_method": None},
        }
        self.customers[customer["id"]] = customer
        self.idempotent[idempotency_key] = customer
        self.calls.append(("create_customer", {"user_id": user_id}))
        return copy.deepcopy(customer)

    def attach_payment_method(self, payment_method_id, customer_id):
        card = self.cards.get(payment_method_id)
        if card is None:
            raise StripeRejected("No such PaymentMethod", "payment_method", 404)
        if card["behaviour"] == "declined_on_attach":
            raise CardDeclined("card_declined", "Your card was declined.")
        card["customer"] = customer_id
        self.calls.append(("attach", {"pm": payment_method_id, "customer": customer_id}))
        return copy.deepcopy(card)

    def set_default_payment_method(self, customer_id, payment_method_id):
        self.customers[customer_id]["invoice_settings"]["default_payment_method"] = (
            payment_method_id
        )
        return copy.deepcopy(self.customers[customer_id])

    # subscriptions and invoices

    def _period_end(self, start: datetime, interval: str) -> datetime:
        return start + (timedelta(days=365) if interval == "year" else timedelta(days=30))

    def _invoice(self, sub: dict, amount: int, start: datetime, end: datetime) -> dict:
        item = sub["items"]["data"][0]
        invoice = {
            "id": self._id("in"),
            "object": "invoice",
            "customer": sub["customer"],
            "parent": {
                "type": "subscription_details",
                "subscription_details": {"subscription": sub["id"]},
            },
            "status": "open",
            "amount_due": amount,
            "amount_paid": 0,
            "currency": "usd",
            "attempted": False,
            "attempt_count": 0,
            "period_start": self._ts(start),
            "period_end": self._ts(end),
            "status_transitions": {"paid_at": None},
            "created": self._ts(),
            "lines": {
                "data": [
                    {
                        "proration": False,
                        "pricing": {"price_details": {"price": item["price"]["id"]}},
                    }
                ]
            },
        }
        self.invoices[invoice["id"]] = invoice
        sub["latest_invoice"] = invoice["id"]
        self._event("invoice.created", invoice)
        return invoice

    def _attempt(self, invoice: dict) -> bool:
        invoice["attempted"] = True
        invoice["attempt_count"] += 1
        if invoice["amount_due"] == 0 or self._charge(invoice["customer"], invoice["amount_due"]):
            invoice["status"] = "paid"
            invoice["amount_paid"] = invoice["amount_due"]
            invoice["status_transitions"]["paid_at"] = self._ts()
            self._event("invoice.paid", invoice)
            return True
        self._event("invoice.payment_failed", invoice)
        return False

    def _expanded(self, sub: dict) -> dict:
        out = copy.deepcopy(sub)
        if sub["latest_invoice"]:
            out["latest_invoice"] = copy.deepcopy(self.invoices[sub["latest_invoice"]])
        return out

    def create_subscription(self, *, customer_id, plan_id, trial_end, user_id, idempotency_key):
        if idempotency_key in self.idempotent:
            return self._expanded(self.subscriptions[self.idempotent[idempotency_key]["id"]])
        plan = self.plans.get(plan_id)
        if plan is None:
            raise StripeRejected("No such plan", "items", 404)
        start = self.now
        end = (
            datetime.fromtimestamp(trial_end, UTC)
            if trial_end
            else self._period_end(start, plan["interval"])
        )
        sub = {
            "id": self._id("sub"),
            "object": "subscription",
            "customer": customer_id,
            "status": "trialing" if trial_end else "incomplete",
            "metadata": {"user_id": user_id},
            "cancel_at_period_end": False,
            "trial_end": trial_end,
            "latest_invoice": None,
            "items": {
                "data": [
                    {
                        "id": self._id("si"),
                        "price": copy.deepcopy(plan),
                        "current_period_start": self._ts(start),
                        "current_period_end": self._ts(end),
                    }
                ]
            },
        }
        self.subscriptions[sub["id"]] = sub
        invoice = self._invoice(sub, 0 if trial_end else plan["amount"], start, end)
        if not self._attempt(invoice):
            del self.subscriptions[sub["id"]]
            raise CardDeclined("card_declined", "Your card was declined.")
        if not trial_end:
            sub["status"] = "active"
        self.idempotent[idempotency_key] = sub
        self.calls.append(("create_subscription", {"plan": plan_id, "trial_end": trial_end}))
        self._event("customer.subscription.created", sub)
        return self._expanded(sub)

    def change_subscription_plan(self, subscription_id, item_id, plan_id):
        sub = self.subscriptions[subscription_id]
        item = sub["items"]["data"][0]
        assert item["id"] == item_id
        old, new = item["price"], self.plans[plan_id]
        item["price"] = copy.deepcopy(new)
        sub["cancel_at_period_end"] = False
        self.calls.append(("change_plan", {"from": old["id"], "to": plan_id}))
        if old["interval"] != new["interval"] and sub["status"] == "active":
            end = self._period_end(self.now, new["interval"])
            item["current_period_start"], item["current_period_end"] = self._ts(), self._ts(end)
            self._attempt(self._invoice(sub, new["amount"], self.now, end))
        self._event("customer.subscription.updated", sub)
        return self._expanded(sub)

    def set_cancel_at_period_end(self, subscription_id, cancel):
        sub = self.subscriptions[subscription_id]
        sub["cancel_at_period_end"] = cancel
        self.calls.append(("cancel_at_period_end", {"cancel": cancel}))
        self._event("customer.subscription.updated", sub)
        return self._expanded(sub)

    def retrieve_subscription(self, subscription_id):
        sub = self.subscriptions.get(subscription_id)
        return self._expanded(sub) if sub else None

    def cancel_subscription_now(self, subscription_id):
        sub = self.subscriptions.get(subscription_id)
        if sub is None or sub["status"] in ("canceled", "incomplete_expired"):
            return None  # Stripe answers 404 to cancelling a cancelled subscription
        sub["status"] = "canceled"
        sub["ended_at"] = self._ts()
        self.calls.append(("cancel_now", {"subscription": subscription_id}))
        self._event("customer.subscription.deleted", sub)
        return self._expanded(sub)

    def delete_customer(self, customer_id):
        customer = self.customers.pop(customer_id, None)
        if customer is None:
            return False
        for card in self.cards.values():
            if card["customer"] == customer_id:
                card["customer"] = None
        self.calls.append(("delete_customer", {"customer": customer_id}))
        self._event("customer.deleted", customer)
        return True

    def retrieve_invoice(self, invoice_id):
        return copy.deepcopy(self.invoices.get(invoice_id))

    def pay_invoice(self, invoice_id):
        invoice = self.invoices[invoice_id]
        sub = self.subscriptions[invoice["parent"]["subscription_details"]["subscription"]]
        paid = self._attempt(invoice)
        if paid and sub["status"] == "past_due":
            sub["status"] = "active"
            self._event("customer.subscription.updated", sub)
        if not paid:
            raise CardDeclined("card_declined", "Your card was declined.")
        return copy.deepcopy(invoice)

    # levers: time passing at Stripe

    def bill_next_period(self, subscription_id: str) -> dict:
        """A trial ending or a renewal: invoice the next period and try the default card."""
        sub = self.subscriptions[subscription_id]
        item = sub["items"]["data"][0]
        start = datetime.fromtimestamp(item["current_period_end"], UTC)
        end = self._period_end(start, item["price"]["interval"])
        item["current_period_start"], item["current_period_end"] = self._ts(start), self._ts(end)
        invoice = self._invoice(sub, item["price"]["amount"], start, end)
        sub["status"] = "active" if self._attempt(invoice) else "past_due"
        self._event("customer.subscription.updated", sub)
        return invoice

    def end_period(self, subscription_id: str) -> None:
        sub = self.subscriptions[subscription_id]
        assert sub["cancel_at_period_end"]
        sub["status"] = "canceled"
        self._event("customer.subscription.deleted", sub)

    # payment intents

    def create_payment_intent(
        self,
        *,
        amount_cents,
        currency,
        customer_id,
        payment_method_id,
        capture_manual,
        off_session,
        destination_account,
        metadata,
        idempotency_key,
    ):
        if idempotency_key in self.idempotent:
            return copy.deepcopy(self.intents[self.idempotent[idempotency_key]["id"]])
        self.calls.append(
            (
                "create_payment_intent",
                {
                    "amount": amount_cents,
                    "manual": capture_manual,
                    "off_session": off_session,
                    "destination": destination_account if self.connect_enabled else None,
                },
            )
        )
        intent = {
            "id": self._id("pi"),
            "object": "payment_intent",
            "amount": amount_cents,
            "currency": currency.lower(),
            "customer": customer_id,
            "payment_method": payment_method_id,
            "metadata": dict(metadata),
            "capture_method": "manual" if capture_manual else "automatic",
            "transfer_data": (
                {"destination": destination_account}
                if self.connect_enabled and destination_account
                else None
            ),
            "latest_charge": None,
            "last_payment_error": None,
        }
        self.intents[intent["id"]] = intent
        self.idempotent[idempotency_key] = intent
        if self.cards[payment_method_id]["behaviour"] != "ok":
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {
                "code": "card_declined",
                "decline_code": "insufficient_funds",
            }
            self._event("payment_intent.payment_failed", intent)
            raise CardDeclined("insufficient_funds", "Your card was declined.", intent["id"])
        intent["latest_charge"] = {
            "id": self._id("ch"),
            "amount": amount_cents,
            "captured": not capture_manual,
            "amount_captured": 0 if capture_manual else amount_cents,
            "amount_refunded": 0,
        }
        intent["status"] = "requires_capture" if capture_manual else "succeeded"
        self._event(
            "payment_intent.amount_capturable_updated"
            if capture_manual
            else "payment_intent.succeeded",
            intent,
        )
        return copy.deepcopy(intent)

    def capture_payment_intent(self, payment_intent_id, amount_cents):
        intent = self.intents[payment_intent_id]
        if intent["status"] != "requires_capture":
            raise StripeRejected("This PaymentIntent could not be captured", None, 400)
        charge = intent["latest_charge"]
        charge["captured"] = True
        charge["amount_captured"] = intent["amount"] if amount_cents is None else amount_cents
        intent["status"] = "succeeded"
        self.calls.append(("capture", {"amount": amount_cents}))
        self._event("payment_intent.succeeded", intent)
        return copy.deepcopy(intent)

    def cancel_payment_intent(self, payment_intent_id):
        intent = self.intents[payment_intent_id]
        intent["status"] = "canceled"
        self.calls.append(("cancel_intent", {}))
        self._event("payment_intent.canceled", intent)
        return copy.deepcopy(intent)

    def refund_payment_intent(self, payment_intent_id, amount_cents):
        intent = self.intents[payment_intent_id]
        intent["latest_charge"]["amount_refunded"] += amount_cents
        self.calls.append(("refund", {"amount": amount_cents}))
        self._event(
            "charge.refunded", {**intent["latest_charge"], "payment_intent": payment_intent_id}
        )
        return {"id": self._id("re"), "amount": amount_cents, "status": "succeeded"}

    def retrieve_payment_intent(self, payment_intent_id):
        return copy.deepcopy(self.intents.get(payment_intent_id))

    def called(self, name: str) -> list[dict]:
        return [args for call, args in self.calls if call == name]


@pytest.fixture
def new_fake_stripe():
    """A Stripe with no plans yet, for tests that build their own world."""
    return FakeStripe


@pytest.fixture
def fake_stripe(now) -> FakeStripe:
    from loconomics_billing.domain.plans import sync_plans

    fake = FakeStripe(now)
    sync_plans(fake)
    return fake


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# localstripe writes its whole store to /tmp/localstripe.pickle after every change, a path
# shared with any other localstripe on the machine; the test instance keeps its state in memory.
LOCALSTRIPE_IN_MEMORY = (
    "import sys\n"
    "import localstripe.resources as resources\n"
    "resources.Store.dump_to_disk = lambda self: None\n"
    "from localstripe.server import start\n"
    "sys.argv = ['localstripe', '--port', sys.argv[1], '--from-scratch']\n"
    "start()\n"
)


@pytest.fixture(scope="session")
def localstripe_url():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", LOCALSTRIPE_IN_MEMORY, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    request = urllib.request.Request(
        f"{url}/v1/plans", headers={"Authorization": f"Bearer {LOCALSTRIPE_SECRET_KEY}"}
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(request, timeout=1):
                break
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("localstripe did not start") from None
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def stripe_client(localstripe_url):
    """Stripe's own side (the clock, the browser), which billing never does itself."""
    return stripe.StripeClient(
        LOCALSTRIPE_SECRET_KEY, base_addresses={"api": localstripe_url}, max_network_retries=0
    )


@pytest.fixture
def browser_card(localstripe_url, stripe_client):
    """A payment method made as Stripe.js makes it: the card goes to Stripe, not to us."""

    def make(number: str = GOOD_CARD) -> str:
        return card_made_in(
            localstripe_url, stripe_client, number, LOCALSTRIPE_PUBLISHABLE_KEY, timeout=5
        )

    return make


@pytest.fixture
def unit(tmp_path):
    """A unit of work on a fresh billing database in a file, as a worker gets."""
    engine = make_engine(f"sqlite:///{tmp_path / 'billing.sqlite3'}")
    Base.metadata.create_all(engine)
    work = UnitOfWork(session_factory(engine)(), Base.metadata)
    yield work
    work.close()
    engine.dispose()
