"""Password reset and change routes with the RPC pool replaced: what each asks of profiles,
what it answers, what it refuses before any call, and how strictly it is rate limited."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime

import pytest
from falcon import testing
from loconomics_gateway.app import all_operations, create_app
from loconomics_gateway.rate_limits import STRICT_ROUTES
from loconomics_plumbing.errors import Invalid
from loconomics_plumbing.tokens import issue_access_token
from openapi_spec_validator import validate

TOKEN = "q0Zr7nS3yX4u-TokenFromTheEmail_1234567890ab"
NEW = "a brand new passphrase"
BAD_TOKEN = Invalid(
    "The reset link is not valid or has expired.",
    {"token": ["Not valid or expired; ask for a new link."]},
)

ROUTES = [
    ("POST", "/v1/password-resets", {"email": "Ana@Example.org"}, "request_password_reset",
     {"email": "Ana@Example.org"}, 202),
    ("POST", "/v1/password-resets/confirm", {"token": TOKEN, "password": NEW}, "reset_password",
     {"token": TOKEN, "password": NEW}, 204),
    ("PUT", "/v1/me/password", {"current_password": "the old one", "password": NEW},
     "change_password", {"current_password": "the old one", "password": NEW, "session_id": "s-7"},
     204),
]  # fmt: skip


@pytest.mark.parametrize(("verb", "path", "body", "method", "kwargs", "status"), ROUTES)
def test_each_route_asks_profiles_once_and_answers_without_a_body(
    client, pool, auth, verb, path, body, method, kwargs, status
):
    pool.answers[("profiles", method)] = {}
    answer = client.simulate_request(verb, path, json=body, headers=auth("acc-3", session_id="s-7"))
    assert answer.status_code == status, answer.text
    assert answer.content == b""
    [(service, called, caller, sent)] = pool.asked()
    assert (service, called, sent) == ("profiles", method, kwargs)
    if verb == "PUT":
        assert caller.user_id == "acc-3"
    else:
        assert caller.user_id is None, "anonymous routes never read the token"


def test_asking_answers_the_same_whether_or_not_an_account_has_the_email(client, pool):
    pool.answers[("profiles", "request_password_reset")] = {}
    member = client.simulate_post("/v1/password-resets", json={"email": "ana@example.org"})
    stranger = client.simulate_post("/v1/password-resets", json={"email": "bo@example.org"})
    assert member.status_code == stranger.status_code == 202
    assert member.content == stranger.content == b""


def stale_token() -> dict:
    token, _ = issue_access_token("acc-1", ["client"], datetime(2020, 1, 1, tzinfo=UTC))
    return {"Authorization": f"Bearer {token}"}


def test_a_stale_access_token_does_not_stand_in_the_way_of_a_reset(client, pool):
    for path, body in (
        ("/v1/password-resets", {"email": "ana@example.org"}),
        ("/v1/password-resets/confirm", {"token": TOKEN, "password": NEW}),
    ):
        assert client.simulate_post(path, json=body, headers=stale_token()).status_code < 300
    assert not pool.calls_to("profiles", "check_session")


@pytest.mark.parametrize(
    ("verb", "path", "body", "fields"),
    [
        ("POST", "/v1/password-resets", {"email": "not an email"}, {"email"}),
        ("POST", "/v1/password-resets", {}, {"email"}),
        ("POST", "/v1/password-resets", {"email": "a@example.org", "name": "A"}, {"name"}),
        ("POST", "/v1/password-resets/confirm", {"token": TOKEN, "password": "short"},
         {"password"}),
        ("POST", "/v1/password-resets/confirm", {"password": NEW}, {"token"}),
        ("POST", "/v1/password-resets/confirm", {"token": "", "password": "x" * 201},
         {"token", "password"}),
        ("PUT", "/v1/me/password", {"current_password": "old", "password": "short"},
         {"password"}),
        ("PUT", "/v1/me/password", {"password": NEW}, {"current_password"}),
        ("PUT", "/v1/me/password", {"current_password": "old", "password": NEW,
                                    "session_id": "someone-elses"}, {"session_id"}),
    ],
)  # fmt: skip
def test_a_bad_body_is_refused_with_every_field_named_and_no_call(
    client, pool, auth, verb, path, body, fields
):
    answer = client.simulate_request(verb, path, json=body, headers=auth())
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert set(answer.json["errors"]) == fields
    assert pool.asked() == []


def test_a_token_profiles_refuses_is_422_and_never_echoed(client, pool):
    pool.answers[("profiles", "reset_password")] = BAD_TOKEN
    answer = client.simulate_post(
        "/v1/password-resets/confirm", json={"token": TOKEN, "password": NEW}
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json["errors"] == {"token": ["Not valid or expired; ask for a new link."]}
    assert TOKEN not in answer.text


def test_the_token_never_reaches_the_logs(client, pool, caplog):
    pool.answers[("profiles", "reset_password")] = RuntimeError("a bug")
    with caplog.at_level(logging.DEBUG):
        answer = client.simulate_post(
            "/v1/password-resets/confirm", json={"token": TOKEN, "password": NEW}
        )
    assert answer.status_code == 500
    assert "/v1/password-resets/confirm" in caplog.text
    assert TOKEN not in caplog.text and TOKEN not in answer.text


def test_a_wrong_current_password_is_422_named(client, pool, auth):
    pool.answers[("profiles", "change_password")] = Invalid(
        "The current password is wrong.", {"current_password": ["Wrong password."]}
    )
    answer = client.simulate_put(
        "/v1/me/password", json={"current_password": "guess", "password": NEW}, headers=auth()
    )
    assert answer.status_code == 422
    assert answer.json["errors"] == {"current_password": ["Wrong password."]}


def test_changing_a_password_needs_a_token(client, pool):
    answer = client.simulate_put(
        "/v1/me/password", json={"current_password": "old password", "password": NEW}
    )
    assert answer.status_code == 401
    assert pool.calls == []


def test_a_token_without_a_session_keeps_no_log_in_open(client, pool, auth):
    pool.answers[("profiles", "change_password")] = {}
    answer = client.simulate_put(
        "/v1/me/password",
        json={"current_password": "old password", "password": NEW},
        headers=auth("acc-3", session_id=None),
    )
    assert answer.status_code == 204
    assert pool.calls_to("profiles", "change_password")[0][3]["session_id"] is None


def test_an_idempotency_key_is_not_honoured_here(client, pool, auth):
    """None of these creates a resource (no 201): each request is a request of its own."""
    operations = {(op.method, op.path): op for op in all_operations()}
    for verb, path, body, method, _, _ in ROUTES:
        assert not operations[(verb, path)].creates
        headers = {"Idempotency-Key": "same-key", **auth()}
        for _ in range(2):
            answer = client.simulate_request(verb, path, json=body, headers=headers)
            assert "idempotent-replayed" not in answer.headers
        assert len(pool.calls_to("profiles", method)) == 2


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


def test_resets_share_the_strict_allowance_with_logging_in(pool, settings):
    """A guesser gets no more tries by spreading them over log-in and reset."""
    strict = dataclasses.replace(settings, rate_limits_enabled=True, rate_limit_strict="3/minute")
    client = testing.TestClient(create_app(strict, pool_of=lambda: pool))
    log_in = {"email": "a@example.org", "password": "whatever"}
    assert client.simulate_post("/v1/sessions", json=log_in).status_code == 201
    confirm = {"token": TOKEN, "password": NEW}
    codes = [
        client.simulate_post("/v1/password-resets/confirm", json=confirm).status_code
        for _ in range(3)
    ]
    assert codes == [204, 204, 429]


def test_the_document_describes_the_three_routes(client):
    spec = client.simulate_get("/openapi.json").json
    validate(spec)
    asked = spec["paths"]["/v1/password-resets"]["post"]
    confirmed = spec["paths"]["/v1/password-resets/confirm"]["post"]
    changed = spec["paths"]["/v1/me/password"]["put"]
    assert "content" not in asked["responses"]["202"]
    assert "content" not in confirmed["responses"]["204"]
    assert "content" not in changed["responses"]["204"]
    for operation in (asked, confirmed):
        assert "security" not in operation and "401" not in operation["responses"]
        assert "422" in operation["responses"]
    assert changed["security"] == [{"bearer": []}]
    assert {"401", "422"} <= set(changed["responses"])
    body = changed["requestBody"]["content"]["application/json"]["schema"]
    assert "session_id" not in str(spec["components"]["schemas"].get(body["$ref"].split("/")[-1]))
