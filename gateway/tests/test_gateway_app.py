"""The gateway alone, with its RPC pool replaced: validation, auth, problems, OpenAPI."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from loconomics_gateway.rpc import BrokerUnavailable, DeadlineExceeded, ServiceUnavailable
from loconomics_plumbing.errors import Conflict
from loconomics_plumbing.tokens import issue_access_token
from openapi_spec_validator import validate


def token_for(user_id="acc-1", roles=("client",)):
    token, _ = issue_access_token(user_id, list(roles), datetime.now(UTC))
    return {"Authorization": f"Bearer {token}"}


def test_valid_sign_up_is_passed_through_as_sent(client, pool):
    body = {"email": "a@example.org", "password": "0123456789", "name": "A", "roles": ["client"]}
    pool.answers[("profiles", "sign_up")] = {"id": "x"}
    answer = client.simulate_post("/v1/accounts", json=body)
    assert answer.status_code == 201
    assert pool.calls_to("profiles", "sign_up")[0][3] == body


def test_invalid_input_never_reaches_a_service(client, pool):
    answer = client.simulate_post("/v1/accounts", json={"email": 3})
    assert answer.status_code == 422
    assert {"email", "password", "name", "roles"} <= set(answer.json["errors"])
    assert pool.calls == []


def test_identity_travels_from_the_token(client, pool):
    answer = client.simulate_get("/v1/me", headers=token_for("acc-7", ("professional",)))
    assert answer.status_code == 200
    caller = pool.calls_to("profiles", "get_me")[0][2]
    assert caller.user_id == "acc-7" and caller.roles == {"professional"}


def test_a_member_changes_their_own_name_and_language(client, pool):
    pool.answers[("profiles", "change_me")] = {"id": "acc-7", "name": "Ana", "language": "fr"}
    body = {"name": "Ana", "language": "fr"}
    answer = client.simulate_patch("/v1/me", json=body, headers=token_for("acc-7"))
    assert answer.status_code == 200 and answer.json["language"] == "fr"
    [(_, _, caller, sent)] = pool.calls_to("profiles", "change_me")
    assert caller.user_id == "acc-7" and sent == body


@pytest.mark.parametrize(
    "body",
    [{"language": "de"}, {"name": ""}, {"email": "b@example.org"}, {"roles": ["admin"]}],
)
def test_a_change_of_me_outside_name_and_language_is_refused_before_any_call(client, pool, body):
    answer = client.simulate_patch("/v1/me", json=body, headers=token_for("acc-7"))
    assert answer.status_code == 422, answer.text
    assert set(answer.json["errors"]) == set(body)
    assert client.simulate_patch("/v1/me", json={"name": "A"}).status_code == 401
    assert pool.calls_to("profiles", "change_me") == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Conflict("taken", {"email": ["Already registered."]}), 409),
        (BrokerUnavailable("down"), 503),
        (ServiceUnavailable("profiles"), 503),
        (DeadlineExceeded("profiles.get_me"), 504),
        (RuntimeError("a bug"), 500),
    ],
)
def test_failures_become_problems(client, pool, error, status):
    pool.answers[("profiles", "get_me")] = error
    answer = client.simulate_get("/v1/me", headers=token_for())
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json["status"] == status
    if status == 503:
        assert int(answer.headers["retry-after"]) > 0
    if status == 500:
        assert "a bug" not in answer.text


def test_readiness_reports_each_service(client, pool):
    pool.answers[("billing", "ping")] = ServiceUnavailable("billing")
    answer = client.simulate_get("/readyz")
    assert answer.status_code == 503
    assert answer.json["services"]["billing"] == "not running"
    assert answer.json["services"]["profiles"] == "ok"


def test_openapi_document_is_valid_3_1_and_lists_every_route(client):
    spec = client.simulate_get("/openapi.json").json
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    signup = spec["paths"]["/v1/accounts"]["post"]
    assert "requestBody" in signup and "422" in signup["responses"]
    me = spec["paths"]["/v1/me"]["get"]
    assert me["security"] == [{"bearer": []}] and "401" in me["responses"]


def test_security_relevant_headers_and_request_id(client):
    answer = client.simulate_get("/healthz", headers={"X-Request-Id": "abc123"})
    assert answer.headers["x-request-id"] == "abc123"
    odd = client.simulate_get("/healthz", headers={"X-Request-Id": "<script>"})
    assert odd.headers["x-request-id"] != "<script>"


def expired_token() -> dict:
    issued = datetime(2020, 1, 1, tzinfo=UTC)
    token, _ = issue_access_token("acc-1", ["client"], issued)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_never_read_the_authorization_header(client, path):
    answer = client.simulate_get(path, headers=expired_token())
    assert answer.status_code == 200


def test_a_public_read_checks_a_token_that_is_sent_and_documents_the_refusal(client, pool):
    answer = client.simulate_get("/v1/plans", headers=expired_token())
    assert answer.status_code == 401
    assert "expired" in answer.json["detail"]
    assert client.simulate_get("/v1/plans").status_code == 200
    spec = client.simulate_get("/openapi.json").json
    assert "401" in spec["paths"]["/v1/plans"]["get"]["responses"]
    for path in ("/healthz", "/readyz", "/metrics", "/v1/webhooks/stripe"):
        for operation in spec["paths"][path].values():
            assert "401" not in operation["responses"] and "security" not in operation


def test_an_over_long_request_line_is_documented_as_gunicorns_own_page(client):
    """gunicorn answers 414 before the app runs, as text/html: the document says so."""
    spec = client.simulate_get("/openapi.json").json
    for path, verb in (("/v1/search", "get"), ("/v1/professionals/{id}", "get")):
        refusal = spec["paths"][path][verb]["responses"]["414"]
        assert set(refusal["content"]) == {"text/html"}
    assert "414" not in spec["paths"]["/v1/me"]["get"]["responses"]
    problem = spec["paths"]["/v1/search"]["get"]["responses"]["422"]["content"]
    assert set(problem) == {"application/problem+json"}
