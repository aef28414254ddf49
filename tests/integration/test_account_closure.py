"""A member closes their account, through the real gateway, the five services, the broker,
localstripe and the SMTP sink (docs/account-closure.md).

A booking not finished stands in the way until it is cancelled; then the account closes at
once, the member is told by email, and each service erases its copy of the member's personal
data: afterwards the address is in no service's database, while the other party keeps the
conversation (with a "Former member") and the cooperative its register. An owner's membership
ends at Stripe at once and the register shows them withdrawn.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import stripe
from booking_requests import requested_booking
from platform_client import Person
from polling import wait_for
from service_databases import SERVICES, database_text, rows
from sink_mail import mail_to
from stripe_local import browser_card, set_up_stripe, stripe_client

pytestmark = pytest.mark.integration

FORMER_MEMBER = "Former member"


def close(api, person: Person, password: str | None = None):
    return api.post(
        "/v1/me/closure",
        token=person.token,
        json={"current_password": person.password if password is None else password},
    )


def can_log_in(api, email: str, password: str) -> bool:
    answer = api.post("/v1/sessions", json={"email": email, "password": password})
    assert answer.status_code in (201, 401), answer.text
    return answer.status_code == 201


def other_party_name(api, person: Person, conversation_id: str) -> str:
    answer = api.get(f"/v1/conversations/{conversation_id}", token=person.token)
    assert answer.status_code == 200, answer.text
    return answer.json()["conversation"]["other_party"]["name"]


def test_a_member_closes_once_their_booking_is_finished_and_is_then_forgotten(platform, api):
    client = api.sign_up(name="Casey Leaving")
    professional = api.sign_up(roles=["professional"], name="Pat Painter")
    booking = requested_booking(api, platform, client, professional)
    started = api.post(
        "/v1/conversations",
        token=client.token,
        json={"to": professional.account_id, "subject": "The kitchen", "body": "Blue or green?"},
    )
    assert started.status_code == 201, started.text
    conversation_id = started.json()["conversation"]["id"]
    wait_for(
        lambda: other_party_name(api, professional, conversation_id) == "Casey Leaving",
        "the professional to see the client's name",
    )

    wrong = close(api, client, "not my password")
    assert wrong.status_code == 422 and "current_password" in wrong.json()["errors"], wrong.text
    refused = close(api, client)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "1 booking" in refused.json()["errors"]["bookings"][0]
    assert can_log_in(api, client.email, client.password), "a refusal changes nothing"

    cancelled = api.post(
        f"/v1/bookings/{booking['id']}/cancel", token=client.token, json={"reason": "Moving away"}
    )
    assert cancelled.status_code == 200, cancelled.text
    closed = close(api, client)
    assert closed.status_code == 202, closed.text
    assert datetime.fromisoformat(closed.json()["closed_at"]).tzinfo is not None

    # Closed at once: no log-in, and the token stops working.
    assert not can_log_in(api, client.email, client.password)
    wait_for(
        lambda: api.get("/v1/me", token=client.token).status_code == 401,
        "the closed account's access token to stop working",
    )

    # Told by email, once, at the address it had.
    goodbye = wait_for(
        lambda: next(
            (m for m in mail_to(platform, client.email) if "closed" in m["Subject"].lower()), None
        ),
        "the goodbye email",
    )
    assert "Casey Leaving" in str(goodbye["To"])

    # The other party keeps the conversation, with a former member who can no longer be written to.
    wait_for(
        lambda: other_party_name(api, professional, conversation_id) == FORMER_MEMBER,
        "the professional to see a former member",
    )
    history = api.get(f"/v1/conversations/{conversation_id}", token=professional.token).json()
    assert [m["body"] for m in history["messages"]["items"]] == ["Blue or green?"]
    reply = api.post(
        f"/v1/conversations/{conversation_id}/messages",
        token=professional.token,
        json={"body": "Are you still there?"},
    )
    assert reply.status_code == 409, reply.text

    # The address is in no service's database once the goodbye email has gone; the member's
    # own name is gone from the account and from every copy of it.
    wait_for(
        lambda: [s for s in SERVICES if client.email in database_text(platform, s)] == [],
        "every service to forget the address",
    )
    for service, table, key in (
        ("profiles", "accounts", "id"),
        ("notifications", "contacts", "account_id"),
    ):
        [(name,)] = rows(
            platform, service, f"SELECT name FROM {table} WHERE {key} = ?", client.account_id
        )
        assert name == FORMER_MEMBER, (service, name)  # fmt: skip

    # The address is free for a new account.
    again = api.post(
        "/v1/accounts",
        json={
            "email": client.email,
            "password": client.password,
            "name": "Casey Again",
            "roles": ["client"],
        },
    )
    assert again.status_code == 201, again.text
    assert again.json()["id"] != client.account_id


def test_an_owner_who_closes_leaves_stripe_and_the_register(platform, api):
    set_up_stripe(platform)
    stripe_side = stripe_client(platform)
    owner = api.sign_up(roles=["professional"], name="Olive Owner")
    card = browser_card(platform, stripe_side)
    joined = api.put(
        "/v1/me/membership",
        token=owner.token,
        json={"plan_id": "owner-growth-monthly", "payment_method_id": card},
    )
    assert joined.status_code == 200, joined.text
    [(subscription_id, customer_id)] = rows(
        platform,
        "billing",
        "SELECT m.stripe_subscription_id, c.stripe_customer_id FROM memberships m "
        "JOIN stripe_customers c ON c.user_id = m.user_id WHERE m.user_id = ?",
        owner.account_id,
    )
    assert joined.json()["membership"]["owner_status"] == "trial"
    assert stripe_side.v1.subscriptions.retrieve(subscription_id).status != "canceled"
    wait_for(
        lambda: rows(
            platform, "governance", "SELECT status FROM members WHERE external_id = ?",
            owner.account_id,
        ) == [("applicant",)],
        "the register to list the trial owner",
    )  # fmt: skip

    closed = close(api, owner)
    assert closed.status_code == 202, closed.text

    wait_for(
        lambda: stripe_side.v1.subscriptions.retrieve(subscription_id).status == "canceled",
        "the subscription to end at Stripe at once",
    )
    wait_for(
        lambda: rows(
            platform, "billing", "SELECT owner_status FROM memberships WHERE user_id = ?",
            owner.account_id,
        ) == [("cancelled",)],
        "billing to record the ownership ended",
    )  # fmt: skip
    wait_for(
        lambda: rows(
            platform, "governance", "SELECT name, email, status FROM members WHERE external_id = ?",
            owner.account_id,
        ) == [("Olive Owner", None, "withdrawn")],
        "the register to keep the name, forget the address and show the member withdrawn",
    )  # fmt: skip
    wait_for(
        lambda: not rows(
            platform, "billing", "SELECT 1 FROM stripe_customers WHERE stripe_customer_id = ?",
            customer_id,
        ),
        "billing to let go of the Stripe customer",
    )  # fmt: skip
    assert customer_is_gone(stripe_side, customer_id)


def customer_is_gone(stripe_side, customer_id: str) -> bool:
    """Stripe answers a deleted customer with `deleted: true`; localstripe with a 404."""
    try:
        return bool(getattr(stripe_side.v1.customers.retrieve(customer_id), "deleted", False))
    except stripe.InvalidRequestError as error:
        return error.http_status == 404
