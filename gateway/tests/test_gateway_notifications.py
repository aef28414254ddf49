"""The notifications routes alone, with the RPC pool replaced: each path reaches the right
RPC with the right arguments, bad input never leaves the gateway, errors keep their status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from falcon import testing
from loconomics_gateway.app import create_app
from loconomics_gateway.settings import Settings
from loconomics_plumbing.errors import Forbidden, Invalid, NotFound
from loconomics_plumbing.tokens import issue_access_token
from openapi_spec_validator import validate


class FakePool:
    """Answers RPC calls from a script; records who called what."""

    timeout = 1.0

    def __init__(self):
        self.calls = []
        self.answers = {}

    def call(self, service, method, caller=None, timeout=None, request_id=None, **kwargs):
        self.calls.append((service, method, caller, kwargs))
        answer = self.answers.get((service, method), {"ok": True})
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def pool():
    return FakePool()


@pytest.fixture
def client(pool):
    return testing.TestClient(create_app(Settings.from_env(), pool_of=lambda: pool))


def signed_in(user_id="acc-1", roles=("client",)):
    token, _ = issue_access_token(user_id, list(roles), datetime.now(UTC))
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("method", "path", "body", "rpc", "kwargs", "status"),
    [
        (
            "GET",
            "/v1/me/notifications?unread_only=true&limit=5",
            None,
            "list_notifications",
            {"unread_only": True, "limit": 5},
            200,
        ),
        ("POST", "/v1/me/notifications/n1/read", None, "mark_read", {"notification_id": "n1"}, 200),
        ("POST", "/v1/me/notifications/read-all", None, "mark_all_read", {}, 200),
        ("GET", "/v1/me/notifications/unread-count", None, "unread_count", {}, 200),
        ("GET", "/v1/me/notification-preferences", None, "get_preferences", {}, 200),
        (
            "PUT",
            "/v1/me/notification-preferences",
            {"messages": {"email": False}},
            "set_preferences",
            {"messages": {"email": False}},
            200,
        ),
        ("GET", "/v1/conversations", None, "list_conversations", {"limit": 20}, 200),
        (
            "POST",
            "/v1/conversations",
            {"to": "pro-1", "subject": "Parking", "body": "Where?", "booking_id": "bk1"},
            "start_conversation",
            {"to": "pro-1", "subject": "Parking", "body": "Where?", "booking_id": "bk1"},
            201,
        ),
        (
            "GET",
            "/v1/conversations/c1?limit=2&cursor=abc",
            None,
            "get_conversation",
            {"conversation_id": "c1", "limit": 2, "cursor": "abc"},
            200,
        ),
        (
            "POST",
            "/v1/conversations/c1/messages",
            {"body": "On my way"},
            "post_message",
            {"conversation_id": "c1", "body": "On my way"},
            201,
        ),
        (
            "POST",
            "/v1/conversations/c1/read",
            None,
            "mark_conversation_read",
            {"conversation_id": "c1"},
            200,
        ),
        ("GET", "/v1/admin/email-dead-letters", None, "list_dead_deliveries", {"limit": 20}, 200),
        (
            "POST",
            "/v1/admin/email-dead-letters/replay",
            {"delivery_ids": ["d1"]},
            "replay_dead_deliveries",
            {"delivery_ids": ["d1"]},
            200,
        ),
    ],
)
def test_each_route_calls_its_rpc_with_the_callers_identity(
    client, pool, method, path, body, rpc, kwargs, status
):
    pool.answers[("notifications", rpc)] = {"answered": rpc}
    answer = client.simulate_request(
        method, path, json=body, headers=signed_in("acc-7", ("client",))
    )
    assert answer.status_code == status, answer.text
    assert answer.json == {"answered": rpc}
    service, called, caller, sent = pool.calls[0]
    assert (service, called, sent) == ("notifications", rpc, kwargs)
    assert caller.user_id == "acc-7"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/me/notifications"),
        ("POST", "/v1/conversations"),
        ("GET", "/v1/conversations/c1"),
        ("GET", "/v1/admin/email-dead-letters"),
    ],
)
def test_every_route_needs_a_signed_in_caller(client, pool, method, path):
    answer = client.simulate_request(method, path)
    assert answer.status_code == 401
    assert pool.calls == []


def test_a_bad_conversation_start_names_every_field_and_never_reaches_the_service(client, pool):
    answer = client.simulate_post(
        "/v1/conversations", json={"to": "", "body": "x" * 5001, "cc": "x"}, headers=signed_in()
    )
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"to", "subject", "body", "cc"}
    assert pool.calls == []


def test_a_message_needs_a_body(client, pool):
    answer = client.simulate_post("/v1/conversations/c1/messages", json={}, headers=signed_in())
    assert answer.status_code == 422 and "body" in answer.json["errors"]
    assert pool.calls == []


def test_unknown_preference_categories_are_refused_at_the_door(client, pool):
    answer = client.simulate_put(
        "/v1/me/notification-preferences",
        json={"spam": {"email": True}, "booking": {"sms": True}},
        headers=signed_in(),
    )
    assert answer.status_code == 422
    assert {"spam", "booking.sms"} <= set(answer.json["errors"])
    assert pool.calls == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound("no such conversation"), 404),
        (Forbidden("only an operator"), 403),
        (Invalid("no", {"booking.email": ["transactional emails cannot be switched off"]}), 422),
    ],
)
def test_service_errors_keep_their_status(client, pool, error, status):
    pool.answers[("notifications", "get_conversation")] = error
    answer = client.simulate_get("/v1/conversations/c9", headers=signed_in())
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"


def test_the_openapi_document_describes_every_notifications_route(client):
    spec = client.simulate_get("/openapi.json").json
    validate(spec)
    paths = spec["paths"]
    assert {
        "/v1/me/notifications",
        "/v1/me/notifications/{notification_id}/read",
        "/v1/me/notifications/read-all",
        "/v1/me/notifications/unread-count",
        "/v1/me/notification-preferences",
        "/v1/conversations",
        "/v1/conversations/{conversation_id}",
        "/v1/conversations/{conversation_id}/messages",
        "/v1/conversations/{conversation_id}/read",
        "/v1/admin/email-dead-letters",
        "/v1/admin/email-dead-letters/replay",
    } <= set(paths)
    assert set(paths["/v1/me/notification-preferences"]) == {"get", "put"}
    assert "201" in paths["/v1/conversations"]["post"]["responses"]
    assert "404" in paths["/v1/conversations/{conversation_id}"]["get"]["responses"]
    assert "403" in paths["/v1/admin/email-dead-letters"]["get"]["responses"]
