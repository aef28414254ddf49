"""Billing's routes alone, with the RPC pool scripted: what reaches billing, and how."""

from __future__ import annotations

import base64
import dataclasses

from falcon import testing
from loconomics_gateway.app import create_app
from loconomics_plumbing.errors import BadRequest, Conflict

WEBHOOK_BODY = (
    b'{\n  "id": "evt_1",\n  "type": "invoice.paid",\n  "data": {"object": {"id": "in_1",'
    b' "description": "Cotisation \xc3\xa9t\xc3\xa9"}}\n}   \n'
)


def test_the_stripe_webhook_reaches_billing_byte_for_byte_without_a_token(client, pool):
    pool.answers[("billing", "handle_stripe_webhook")] = {
        "event_id": "evt_1",
        "event_type": "invoice.paid",
        "outcome": "applied",
    }
    answer = client.simulate_post(
        "/v1/webhooks/stripe",
        body=WEBHOOK_BODY,
        headers={"Stripe-Signature": "t=1,v1=abc", "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json["outcome"] == "applied"
    (service, method, caller, kwargs) = pool.calls_to("billing", "handle_stripe_webhook")[0]
    assert base64.b64decode(kwargs["body_base64"]) == WEBHOOK_BODY
    assert kwargs["signature"] == "t=1,v1=abc"
    assert caller.user_id is None


def test_a_bad_signature_is_a_400_and_a_race_a_409_so_stripe_retries(client, pool):
    pool.answers[("billing", "handle_stripe_webhook")] = BadRequest("bad Stripe signature")
    bad = client.simulate_post("/v1/webhooks/stripe", body=b"{}")
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert pool.calls_to("billing", "handle_stripe_webhook")[0][3]["signature"] is None

    pool.answers[("billing", "handle_stripe_webhook")] = Conflict("being applied")
    assert client.simulate_post("/v1/webhooks/stripe", body=b"{}").status_code == 409


def test_an_oversized_webhook_never_reaches_billing(client, pool, settings):
    answer = client.simulate_post("/v1/webhooks/stripe", body=b" " * (settings.max_body_bytes + 1))
    assert answer.status_code == 413
    assert pool.calls_to("billing", "handle_stripe_webhook") == []


def test_the_signer_address_is_the_peer_and_cannot_be_sent_in_the_body(client, pool, auth):
    pool.answers[("billing", "sign_owner_acknowledgment")] = lambda caller, **kwargs: {
        "version": "2025-01",
        "text_sha256": "0" * 64,
        "ip_address": kwargs["ip_address"],
        "signed_at": "2026-03-02T15:00:00+00:00",
    }
    signed = client.simulate_post(
        "/v1/me/owner-acknowledgment",
        json={},
        headers={**auth("acc-9", ("professional",)), "X-Forwarded-For": "203.0.113.7"},
        remote_addr="198.51.100.4",
    )
    assert signed.status_code == 201, signed.text
    (_, _, caller, kwargs) = pool.calls_to("billing", "sign_owner_acknowledgment")[0]
    assert kwargs == {"ip_address": "198.51.100.4"}
    assert caller.user_id == "acc-9"

    smuggled = client.simulate_post(
        "/v1/me/owner-acknowledgment",
        json={"ip_address": "10.0.0.1"},
        headers=auth("acc-9", ("professional",)),
    )
    assert smuggled.status_code == 422
    assert "ip_address" in smuggled.json["errors"]


def test_behind_a_trusted_proxy_the_forwarded_address_signs(pool, settings, auth):
    behind_proxy = dataclasses.replace(settings, trusted_proxy_hops=1)
    client = testing.TestClient(create_app(behind_proxy, pool_of=lambda: pool))
    client.simulate_post(
        "/v1/me/owner-acknowledgment",
        json={"version": "2025-01"},
        headers={**auth("acc-9"), "X-Forwarded-For": "6.6.6.6, 203.0.113.7"},
        remote_addr="10.0.0.2",
    )
    kwargs = pool.calls_to("billing", "sign_owner_acknowledgment")[0][3]
    assert kwargs == {"ip_address": "203.0.113.7", "version": "2025-01"}


def test_plans_are_public_and_membership_needs_a_token(client, pool):
    pool.answers[("billing", "list_plans")] = {"items": []}
    assert client.simulate_get("/v1/plans").status_code == 200
    assert client.simulate_get("/v1/me/membership").status_code == 401
    assert client.simulate_put("/v1/me/membership", json={"plan_id": "free"}).status_code == 401
    assert [c[1] for c in pool.calls if c[0] == "billing"] == ["list_plans"]


def test_a_membership_change_is_checked_before_billing_hears_of_it(client, pool, auth):
    answer = client.simulate_put(
        "/v1/me/membership",
        json={"plan_id": "owner-platinum", "payment_method_id": "4242424242424242"},
        headers=auth(),
    )
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"plan_id", "payment_method_id"}
    assert pool.calls_to("billing", "put_membership") == []

    client.simulate_put(
        "/v1/me/membership",
        json={"plan_id": "owner-pro-annual", "payment_method_id": "pm_card_visa"},
        headers=auth("acc-3"),
    )
    (_, _, caller, kwargs) = pool.calls_to("billing", "put_membership")[0]
    assert kwargs == {"plan_id": "owner-pro-annual", "payment_method_id": "pm_card_visa"}
    assert caller.user_id == "acc-3"


def test_a_booking_payment_names_the_booking_from_the_path(client, pool, auth):
    created = client.simulate_post(
        "/v1/bookings/bk-42/payment", json={"payment_method_id": "pm_abc"}, headers=auth()
    )
    assert created.status_code == 201
    assert pool.calls_to("billing", "register_booking_payment")[0][3] == {
        "booking_id": "bk-42",
        "payment_method_id": "pm_abc",
    }
    client.simulate_get("/v1/bookings/bk-42/payment", headers=auth())
    assert pool.calls_to("billing", "get_booking_payment")[0][3] == {"booking_id": "bk-42"}


def test_invoices_pass_the_page_arguments(client, pool, auth):
    client.simulate_get("/v1/me/invoices", query_string="limit=5&cursor=abc", headers=auth())
    assert pool.calls_to("billing", "list_records")[0][3] == {"limit": 5, "cursor": "abc"}
    bad = client.simulate_get("/v1/me/invoices", query_string="limit=500", headers=auth())
    assert bad.status_code == 422


def test_an_administrator_suspends_and_reinstates_a_member_named_in_the_path(client, pool, auth):
    admin = auth("ops-1", ("admin",))
    suspended = client.simulate_post(
        "/v1/admin/members/acc-5/suspension", json={"reason": "chargeback fraud"}, headers=admin
    )
    assert suspended.status_code == 201
    assert pool.calls_to("billing", "suspend_owner")[0][3] == {
        "user_id": "acc-5",
        "reason": "chargeback fraud",
    }
    assert client.simulate_delete("/v1/admin/members/acc-5/suspension", headers=admin).status_code
    assert pool.calls_to("billing", "reinstate_owner")[0][3] == {"user_id": "acc-5"}
    missing = client.simulate_post("/v1/admin/members/acc-5/suspension", json={}, headers=admin)
    assert missing.status_code == 422


def test_the_openapi_document_describes_every_billing_route(client):
    spec = client.simulate_get("/openapi.json").json
    for path, verb in [
        ("/v1/plans", "get"),
        ("/v1/me/membership", "put"),
        ("/v1/me/membership", "delete"),
        ("/v1/me/owner-acknowledgment", "post"),
        ("/v1/me/invoices", "get"),
        ("/v1/bookings/{id}/payment", "post"),
        ("/v1/webhooks/stripe", "post"),
    ]:
        assert verb in spec["paths"][path], (path, verb)
    webhook = spec["paths"]["/v1/webhooks/stripe"]["post"]
    assert "security" not in webhook and "400" in webhook["responses"]
    plan = spec["components"]["schemas"]["Plan"]["properties"]
    assert all(field.get("description") for field in plan.values())
