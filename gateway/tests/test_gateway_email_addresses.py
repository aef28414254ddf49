"""Email address confirmation and change with the RPC pool replaced: what each route asks of
profiles, what it answers, what it refuses before any call, and how strictly it is limited."""

from __future__ import annotations

import dataclasses

import pytest
from falcon import testing
from loconomics_gateway.app import create_app
from loconomics_gateway.rate_limits import STRICT_ROUTES
from loconomics_plumbing.errors import Conflict, Invalid
from openapi_spec_validator import validate

TOKEN = "Zq0r7nS3yX4u-FromTheConfirmationEmail_12345"
CHANGE = {"email": "ana.new@example.org", "current_password": "my current passphrase"}

ROUTES = [
    ("POST", "/v1/email-confirmations/confirm", {"token": TOKEN}, "confirm_email",
     {"token": TOKEN}, 204),
    ("POST", "/v1/me/email-confirmations", None, "resend_email_confirmation", {}, 202),
    ("PUT", "/v1/me/email", CHANGE, "request_email_change", CHANGE, 202),
]  # fmt: skip


@pytest.mark.parametrize(("verb", "path", "body", "method", "kwargs", "status"), ROUTES)
def test_each_route_asks_profiles_once_and_answers_without_a_body(
    client, pool, auth, verb, path, body, method, kwargs, status
):
    pool.answers[("profiles", method)] = {}
    answer = client.simulate_request(verb, path, json=body, headers=auth("acc-3"))
    assert answer.status_code == status, answer.text
    assert answer.content == b""
    [(service, called, caller, sent)] = pool.asked()
    assert (service, called, sent) == ("profiles", method, kwargs)
    if path.startswith("/v1/me/"):
        assert caller.user_id == "acc-3"
    else:
        assert caller.user_id is None, "a confirmation link works in any browser"


@pytest.mark.parametrize(
    ("verb", "path", "body", "fields"),
    [
        ("POST", "/v1/email-confirmations/confirm", {}, {"token"}),
        ("POST", "/v1/email-confirmations/confirm", {"token": TOKEN, "email": "a@b.org"},
         {"email"}),
        ("PUT", "/v1/me/email", {"email": "not an address", "current_password": "x"}, {"email"}),
        ("PUT", "/v1/me/email", {"email": "a@example.org"}, {"current_password"}),
        ("PUT", "/v1/me/email", {**CHANGE, "account_id": "someone-else"}, {"account_id"}),
    ],
)  # fmt: skip
def test_a_bad_body_is_refused_with_every_field_named_and_no_call(
    client, pool, auth, verb, path, body, fields
):
    answer = client.simulate_request(verb, path, json=body, headers=auth())
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert set(answer.json["errors"]) == fields
    assert pool.asked() == []


def test_signed_in_routes_need_a_token(client, pool):
    for verb, path, body, *_ in ROUTES[1:]:
        assert client.simulate_request(verb, path, json=body).status_code == 401
    assert pool.calls == []


def test_refusals_from_profiles_are_problems_naming_the_field(client, pool, auth):
    cases = (
        ("confirm_email", "POST", "/v1/email-confirmations/confirm", {"token": TOKEN},
         Invalid("The link is not valid or has expired.", {"token": ["Not valid."]}), 422,
         "token"),
        ("confirm_email", "POST", "/v1/email-confirmations/confirm", {"token": TOKEN},
         Conflict("Another account has this email.", {"email": ["Already registered."]}), 409,
         "email"),
        ("request_email_change", "PUT", "/v1/me/email", CHANGE,
         Invalid("The current password is wrong.", {"current_password": ["Wrong password."]}),
         422, "current_password"),
    )  # fmt: skip
    for method, verb, path, body, error, status, field in cases:
        pool.answers[("profiles", method)] = error
        answer = client.simulate_request(verb, path, json=body, headers=auth())
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert field in answer.json["errors"]
        assert TOKEN not in answer.text


@pytest.mark.parametrize(("verb", "path", "body", "method", "kwargs", "status"), ROUTES)
def test_each_route_is_in_the_strict_rate_limit(
    pool, settings, auth, verb, path, body, method, kwargs, status
):
    assert (verb, path) in STRICT_ROUTES
    strict = dataclasses.replace(settings, rate_limits_enabled=True, rate_limit_strict="3/minute")
    client = testing.TestClient(create_app(strict, pool_of=lambda: pool))
    codes = [
        client.simulate_request(verb, path, json=body, headers=auth()).status_code for _ in range(4)
    ]
    assert codes == [status] * 3 + [429]
    assert len(pool.calls_to("profiles", method)) == 3


def test_the_document_describes_the_three_routes(client):
    spec = client.simulate_get("/openapi.json").json
    validate(spec)
    confirm = spec["paths"]["/v1/email-confirmations/confirm"]["post"]
    resend = spec["paths"]["/v1/me/email-confirmations"]["post"]
    change = spec["paths"]["/v1/me/email"]["put"]
    assert "security" not in confirm and "401" not in confirm["responses"]
    assert {"204", "409", "422"} <= set(confirm["responses"])
    assert resend["security"] == change["security"] == [{"bearer": []}]
    assert "requestBody" not in resend
    assert {"202", "401", "409", "422"} <= set(change["responses"])
    me = spec["components"]["schemas"]["Account"]["properties"]
    assert me["email_confirmed"]["type"] == "boolean"
