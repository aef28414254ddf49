"""Memberships end to end: the gateway, billing, profiles and the platform's localstripe.

Stripe's own side (its clock billing a period, a card failing, a period ending) is played by
the test against localstripe with the secret key, as Stripe would act; every member action
goes through the gateway, and every card is made as Stripe.js makes it, in localstripe.
localstripe delivers its webhooks to the gateway (`stripe_setup local-webhook`), except in
the replay test, which stands between the two.
"""

from __future__ import annotations

import functools
import json
import os
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe
from loconomics_billing.settings import DEVELOPMENT_WEBHOOK_SECRET
from loconomics_billing.stripe_setup import register_local_webhook
from service_databases import rows
from stripe_local import browser_card as local_card
from stripe_local import set_up_stripe, stripe_client
from stripe_webhooks import stripe_signature

pytestmark = pytest.mark.integration

CHARGE_FAILS = "4000000000000341"
WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", DEVELOPMENT_WEBHOOK_SECRET)
"""The secret billing checks: the platform passes its own environment on to the services."""


@pytest.fixture(scope="module")
def stripe_ready(platform):
    set_up_stripe(platform)
    return platform


@pytest.fixture(scope="module")
def stripe_side(stripe_ready):
    """Stripe itself: what billing never does (bill a period, end a subscription)."""
    return stripe_client(stripe_ready)


@pytest.fixture(scope="module")
def browser_card(stripe_side, stripe_ready):
    """A payment method made as Stripe.js makes it, with the publishable key only."""
    return functools.partial(local_card, stripe_ready, stripe_side)


def wait_until(probe, what: str, timeout: float = 20.0):
    """Poll `probe` until it returns something true; events and webhooks take a moment."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}; last saw {last!r}")


def membership_of(api, person) -> dict:
    answer = api.get("/v1/me/membership", token=person.token)
    assert answer.status_code == 200, answer.text
    return answer.json()


def owner_status_in_profiles(api, person) -> str:
    return api.get("/v1/me", token=person.token).json()["owner_status"]


def billing_rows(platform, sql: str, *params) -> list[tuple]:
    """Read billing's own database (read-only), for what the API rightly does not show."""
    return rows(platform, "billing", sql, *params)


def subscription_of(platform, stripe_side, person) -> stripe.Subscription:
    """The person's subscription at Stripe, by the id billing keeps."""
    [(subscription_id,)] = billing_rows(
        platform,
        "SELECT stripe_subscription_id FROM memberships WHERE user_id = ?",
        person.account_id,
    )
    return stripe_side.v1.subscriptions.retrieve(subscription_id)


def stripe_bills_a_period(stripe_side, subscription) -> stripe.Invoice:
    """Stripe's clock: invoice the next period and charge the default card."""
    invoice = stripe_side.v1.invoices.create(
        params={"customer": subscription.customer, "subscription": subscription.id}
    )
    return stripe_side.v1.invoices.pay(invoice.id)


def put_membership(api, person, plan_id: str, card: str | None = None) -> dict:
    body = {"plan_id": plan_id, **({"payment_method_id": card} if card else {})}
    answer = api.put("/v1/me/membership", token=person.token, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_plans_are_public(api, stripe_ready):
    plans = api.get("/v1/plans").json()["items"]
    assert {p["id"]: p["price"]["amount_cents"] for p in plans} == {
        "free": 0,
        "owner-growth-monthly": 1900,
        "owner-pro-monthly": 3900,
        "owner-pro-annual": 39000,
    }
    text = api.get("/v1/me/owner-acknowledgment").json()
    assert "cannot be sold, transferred" in text["text"]


def test_a_member_from_trial_to_owner_to_lapsed_and_back_then_cancelled(
    api, platform, stripe_side, browser_card
):
    member = api.sign_up(roles=["professional"])

    change = put_membership(api, member, "owner-growth-monthly", browser_card())
    assert change["actions"] == ["subscribed"]
    assert change["membership"]["owner_status"] == "trial"
    assert change["membership"]["trial_end"] is not None
    wait_until(lambda: owner_status_in_profiles(api, member) == "trial", "profiles: trial")

    subscription = subscription_of(platform, stripe_side, member)
    assert subscription.trial_end is not None
    assert stripe_bills_a_period(stripe_side, subscription).status == "paid"
    ended_trial = wait_until(
        lambda: (m := membership_of(api, member))["subscription_status"] == "active" and m,
        "the trial-ending invoice to arrive by webhook",
    )
    assert ended_trial["owner_status"] == "not_yet_owner"

    signed = api.post("/v1/me/owner-acknowledgment", token=member.token, json={})
    assert signed.status_code == 201, signed.text
    assert signed.json()["ip_address"] == "127.0.0.1"
    assert membership_of(api, member)["owner_status"] == "active"
    wait_until(lambda: owner_status_in_profiles(api, member) == "active", "profiles: active")

    put_membership(api, member, "owner-growth-monthly", browser_card(CHARGE_FAILS))
    assert stripe_bills_a_period(stripe_side, subscription).status == "open"
    wait_until(
        lambda: membership_of(api, member)["owner_status"] == "inactive",
        "the failed renewal to arrive by webhook",
    )
    wait_until(lambda: owner_status_in_profiles(api, member) == "inactive", "profiles: inactive")

    retried = put_membership(api, member, "owner-growth-monthly", browser_card())
    assert retried["actions"] == ["payment_method_updated"]
    assert retried["membership"]["owner_status"] == "active"
    wait_until(lambda: owner_status_in_profiles(api, member) == "active", "profiles: active again")
    invoices = api.get("/v1/me/invoices", token=member.token).json()["items"]
    assert [(i["kind"], i["status"], i["amount"]["amount_cents"]) for i in invoices] == [
        ("membership_invoice", "paid", 1900),
        ("membership_invoice", "paid", 1900),
    ]

    cancelled = api.delete("/v1/me/membership", token=member.token).json()
    assert cancelled["cancel_at_period_end"] is True
    assert cancelled["owner_status"] == "active"
    assert stripe_side.v1.subscriptions.retrieve(subscription.id).cancel_at_period_end is True
    resumed = api.post("/v1/me/membership/resume", token=member.token)
    assert resumed.status_code == 200 and resumed.json()["cancel_at_period_end"] is False
    assert api.delete("/v1/me/membership", token=member.token).status_code == 200

    stripe_side.v1.subscriptions.cancel(subscription.id)
    ended = wait_until(
        lambda: (m := membership_of(api, member))["owner_status"] == "cancelled" and m,
        "the end of the period to arrive by webhook",
    )
    assert (ended["plan_id"], ended["ownership"]) == ("free", False)
    wait_until(lambda: owner_status_in_profiles(api, member) == "cancelled", "profiles: cancelled")
    history = api.get("/v1/me/membership/history", token=member.token).json()["items"]
    assert [change["to"] for change in history] == [
        "trial",
        "not_yet_owner",
        "active",
        "inactive",
        "active",
        "cancelled",
    ]


def test_an_administrator_suspends_and_reinstates_an_owner(api, admin, browser_card):
    member = api.sign_up(roles=["professional"])
    put_membership(api, member, "owner-pro-annual", browser_card())
    path = f"/v1/admin/members/{member.account_id}/suspension"

    refused = api.post(path, token=member.token, json={"reason": "self-service"})
    assert refused.status_code == 403
    suspended = api.post(path, token=admin.token, json={"reason": "chargeback investigation"})
    assert suspended.status_code == 201, suspended.text
    assert suspended.json()["owner_status"] == "suspended"
    wait_until(lambda: owner_status_in_profiles(api, member) == "suspended", "profiles: suspended")

    reinstated = api.delete(path, token=admin.token)
    assert reinstated.json()["owner_status"] == "trial"
    wait_until(lambda: owner_status_in_profiles(api, member) == "trial", "profiles: trial")
    seen = api.get(f"/v1/admin/members/{member.account_id}/membership", token=admin.token)
    assert seen.json()["subscribed_plan_id"] == "owner-pro-annual"


def test_a_forged_or_stale_webhook_is_refused_and_a_foreign_one_ignored(api, stripe_ready):
    event = json.dumps(
        {
            "id": f"evt_foreign_{time.time_ns()}",
            "object": "event",
            "type": "invoice.paid",
            "data": {"object": {"id": "in_not_ours", "object": "invoice"}},
        }
    ).encode()
    for signature in (
        stripe_signature(event, "whsec_someone_else"),
        stripe_signature(event, WEBHOOK_SECRET, at=int(time.time()) - 3600),
        None,
    ):
        headers = {"Stripe-Signature": signature} if signature else {}
        refused = api.post("/v1/webhooks/stripe", data=event, headers=headers)
        assert refused.status_code == 400, refused.text
    accepted = api.post(
        "/v1/webhooks/stripe",
        data=event,
        headers={"Stripe-Signature": stripe_signature(event, WEBHOOK_SECRET)},
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["outcome"] == "ignored"


# The replay: every webhook of a membership history, three times, shuffled.


@dataclass
class Held:
    order: int
    body: bytes
    signature: str
    event: dict = field(default_factory=dict)


class Relay:
    """Takes localstripe's webhooks in the gateway's place and holds them for the test."""

    def __init__(self):
        self.held: list[Held] = []
        self.lock = threading.Lock()
        self.last_arrival = time.monotonic()
        relay = self

        class Endpoint(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with relay.lock:
                    relay.held.append(Held(len(relay.held), body, self.headers["Stripe-Signature"]))
                    relay.last_arrival = time.monotonic()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/v1/webhooks/stripe"

    def settle(self) -> None:
        """localstripe sends each webhook a second after the event: wait for the last one."""
        started = time.monotonic()
        while time.monotonic() - started < 1.5 or time.monotonic() - self.last_arrival < 1.0:
            time.sleep(0.1)

    def of_customer(self, customer_id: str) -> list[Held]:
        with self.lock:
            held = list(self.held)
        mine = []
        for item in held:
            obj = json.loads(item.body)["data"]["object"]
            if customer_id in (obj.get("customer"), obj.get("id")):
                item.event = json.loads(item.body)
                mine.append(item)
        return sorted(mine, key=lambda item: (item.event["created"], item.order))


def customer_of(relay: Relay, person) -> str:
    with relay.lock:
        held = list(relay.held)
    for item in held:
        obj = json.loads(item.body)["data"]["object"]
        if (obj.get("metadata") or {}).get("user_id") == person.account_id and obj.get("customer"):
            return obj["customer"]
    raise AssertionError(f"no Stripe event names {person.account_id}'s customer")


def comparable(api, person) -> dict:
    """The state a member can see, without what differs by identity or by the second."""
    membership = membership_of(api, person)
    for name in ("user_id", "trial_end", "current_period_end"):
        assert name in membership
        membership.pop(name)
    membership["acknowledgment"] = (membership["acknowledgment"] or {}).get("version")
    invoices = api.get("/v1/me/invoices", token=person.token).json()["items"]
    return {
        "membership": membership,
        "invoices": sorted(
            (
                i["kind"],
                i["status"],
                i["invoice"]["plan_id"],
                i["invoice"]["amount_due"]["amount_cents"],
                i["invoice"]["amount_paid"]["amount_cents"],
            )
            for i in invoices
        ),
    }


def dues_recorded(platform, person) -> list[int]:
    """dues_paid events in billing's outbox: what governance will count as patronage."""
    rows = billing_rows(
        platform, "SELECT payload FROM outbox_events WHERE event_type = 'dues_paid'"
    )
    payloads = [json.loads(payload) for (payload,) in rows]
    return sorted(p["amount_cents"] for p in payloads if p["user_id"] == person.account_id)


def replay(api, held: list[Held], deliveries: list[Held]) -> dict[str, list[str]]:
    """POST each delivery, signed afresh with the secret; the outcomes per event id."""
    outcomes: dict[str, list[str]] = {}
    for item in deliveries:
        answer = api.post(
            "/v1/webhooks/stripe",
            data=item.body,
            headers={
                "Stripe-Signature": stripe_signature(item.body, WEBHOOK_SECRET),
                "Content-Type": "application/json",
            },
        )
        assert answer.status_code == 200, answer.text
        outcomes.setdefault(item.event["id"], []).append(answer.json()["outcome"])
    assert set(outcomes) == {item.event["id"] for item in held}
    assert all(seen[0] != "duplicate" for seen in outcomes.values())
    assert all(seen.count("duplicate") == 2 for seen in outcomes.values())
    return outcomes


def test_every_webhook_replayed_three_times_shuffled_leaves_the_state_of_one_ordered_delivery(
    api, platform, stripe_ready, stripe_side, browser_card
):
    """Three members live the same history in lock-step. Stripe's webhooks for `ordered` are
    delivered once each, in order, as they happen. Those for `shuffled` are held back, then
    delivered three times over in a random order; those for `backwards` too, with the first
    copy of each in reverse order (newest news first, the hardest case) and two more copies
    shuffled. All three must end in the same state."""
    relay = Relay()
    env = platform.env()
    register_local_webhook(env["STRIPE_API_BASE"], relay.url, WEBHOOK_SECRET)
    ordered, shuffled, backwards = (api.sign_up(roles=["professional"]) for _ in range(3))
    delivered: list[str] = []

    def deliver_ordered_so_far() -> None:
        relay.settle()
        for item in relay.of_customer(customer_of(relay, ordered)):
            if item.event["id"] in delivered:
                continue
            answer = api.post(
                "/v1/webhooks/stripe",
                data=item.body,
                headers={"Stripe-Signature": item.signature, "Content-Type": "application/json"},
            )
            assert answer.status_code == 200, answer.text
            delivered.append(item.event["id"])

    def each(step) -> None:
        for person in (ordered, shuffled, backwards):
            step(person)
        deliver_ordered_so_far()

    try:
        each(lambda p: put_membership(api, p, "owner-growth-monthly", browser_card()))
        each(lambda p: api.post("/v1/me/owner-acknowledgment", token=p.token, json={}))
        each(
            lambda p: stripe_bills_a_period(stripe_side, subscription_of(platform, stripe_side, p))
        )
        each(lambda p: put_membership(api, p, "owner-growth-monthly", browser_card(CHARGE_FAILS)))
        each(
            lambda p: stripe_bills_a_period(stripe_side, subscription_of(platform, stripe_side, p))
        )
        assert membership_of(api, ordered)["owner_status"] == "inactive"
        each(lambda p: put_membership(api, p, "owner-growth-monthly", browser_card()))
        each(lambda p: api.delete("/v1/me/membership", token=p.token))
        each(
            lambda p: stripe_side.v1.subscriptions.cancel(
                subscription_of(platform, stripe_side, p).id
            )
        )
    finally:
        register_local_webhook(
            env["STRIPE_API_BASE"], f"{platform.gateway_url}/v1/webhooks/stripe", WEBHOOK_SECRET
        )
        relay.server.shutdown()

    expected = comparable(api, ordered)
    assert expected["membership"]["owner_status"] == "cancelled"
    assert len(expected["invoices"]) == 2
    rng = random.Random(20260302)
    for person in (shuffled, backwards):
        held = relay.of_customer(customer_of(relay, person))
        types = {item.event["type"] for item in held}
        assert {
            "customer.subscription.created",
            "customer.subscription.deleted",
            "invoice.created",
            "invoice.payment_succeeded",
        } <= types
        assert comparable(api, person) != expected, "the held webhooks must carry news"

        if person is shuffled:
            deliveries = held * 3
            rng.shuffle(deliveries)
        else:
            rest = held * 2
            rng.shuffle(rest)
            deliveries = list(reversed(held)) + rest
        assert [d.event["id"] for d in deliveries] != [d.event["id"] for d in held * 3]
        replay(api, held, deliveries)

        assert comparable(api, person) == expected
    assert (
        dues_recorded(platform, shuffled)
        == dues_recorded(platform, backwards)
        == dues_recorded(platform, ordered)
        == [1900, 1900]
    )
    for person in (ordered, shuffled, backwards):
        wait_until(lambda p=person: owner_status_in_profiles(api, p) == "cancelled", "profiles")
