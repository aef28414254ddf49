"""Closing one's account with the RPC pool replaced: what the route asks of profiles, what it
answers, what it refuses before any call, and that the closed log-in is not kept open here."""

from __future__ import annotations

import dataclasses

from falcon import testing
from loconomics_gateway.app import create_app
from loconomics_gateway.rate_limits import STRICT_ROUTES
from loconomics_plumbing.errors import Conflict, Invalid, Unavailable
from openapi_spec_validator import validate

PATH = "/v1/me/closure"
BODY = {"current_password": "my current passphrase"}
CLOSED = {"closed_at": "2026-11-28T07:00:00+00:00"}


def closure_calls(pool) -> list:
    return pool.calls_to("profiles", "close_account")


def test_the_route_asks_profiles_for_the_caller_and_answers_202_with_the_time(client, pool, auth):
    pool.answers[("profiles", "close_account")] = CLOSED
    answer = client.simulate_post(PATH, json=BODY, headers=auth("acc-3", session_id="s-7"))
    assert answer.status_code == 202, answer.text
    assert answer.json == CLOSED
    [(_, _, caller, sent)] = closure_calls(pool)
    assert caller.user_id == "acc-3"
    assert sent == BODY


def test_the_closed_log_in_is_asked_about_again_on_its_next_request(client, pool, auth):
    """The gateway keeps a session it checked open for a while; closing forgets it at once."""
    headers = auth("acc-3", session_id="s-7")
    pool.answers[("profiles", "close_account")] = CLOSED
    assert client.simulate_get("/v1/me", headers=headers).status_code == 200
    checks = len(pool.calls_to("profiles", "check_session"))
    assert client.simulate_post(PATH, json=BODY, headers=headers).status_code == 202
    pool.answers[("profiles", "check_session")] = {"active": False}
    assert client.simulate_get("/v1/me", headers=headers).status_code == 401
    assert len(pool.calls_to("profiles", "check_session")) == checks + 1


def test_a_bad_body_is_refused_with_the_field_named_and_no_call(client, pool, auth):
    for body, fields in (
        ({}, {"current_password"}),
        ({"current_password": "x" * 201}, {"current_password"}),
        ({"current_password": "x", "account_id": "someone-else"}, {"account_id"}),
    ):
        answer = client.simulate_post(PATH, json=body, headers=auth())
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert set(answer.json["errors"]) == fields
    assert closure_calls(pool) == []


def test_closing_needs_a_token(client, pool):
    answer = client.simulate_post(PATH, json=BODY)
    assert answer.status_code == 401
    assert pool.calls == []


def test_profiles_refusals_pass_through_as_problems(client, pool, auth):
    refusals = (
        (Invalid("The current password is wrong.", {"current_password": ["Wrong password."]}),
         422, "current_password"),
        (Conflict("Some bookings are not finished.",
                  {"bookings": ["2 bookings are not finished."]}), 409, "bookings"),
    )  # fmt: skip
    for error, status, field in refusals:
        pool.answers[("profiles", "close_account")] = error
        answer = client.simulate_post(PATH, json=BODY, headers=auth())
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert field in answer.json["errors"]
    pool.answers[("profiles", "close_account")] = Unavailable("booking could not answer")
    assert client.simulate_post(PATH, json=BODY, headers=auth()).status_code == 503


def test_closing_is_in_the_strict_rate_limit(pool, settings, auth):
    """A stolen token cannot be used to guess the password at the ordinary pace."""
    assert ("POST", PATH) in STRICT_ROUTES
    pool.answers[("profiles", "close_account")] = Invalid(
        "The current password is wrong.", {"current_password": ["Wrong password."]}
    )
    strict = dataclasses.replace(settings, rate_limits_enabled=True, rate_limit_strict="3/minute")
    client = testing.TestClient(create_app(strict, pool_of=lambda: pool))
    codes = [client.simulate_post(PATH, json=BODY, headers=auth()).status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]
    assert len(closure_calls(pool)) == 3


def test_the_document_describes_the_route(client):
    spec = client.simulate_get("/openapi.json").json
    validate(spec)
    operation = spec["paths"][PATH]["post"]
    assert set(operation["responses"]) >= {"202", "401", "409", "422", "503"}
    assert operation["security"] == [{"bearer": []}]

    def schema(reference: dict) -> dict:
        return spec["components"]["schemas"][reference["$ref"].split("/")[-1]]

    body = schema(operation["requestBody"]["content"]["application/json"]["schema"])
    assert body["required"] == ["current_password"]
    answered = operation["responses"]["202"]["content"]["application/json"]["schema"]
    assert set(schema(answered)["properties"]) == {"closed_at"}
