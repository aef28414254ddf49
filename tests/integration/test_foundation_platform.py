"""The platform as operators see it: readiness, metrics, events on the broker, broker outages."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
from kombu import Connection, Exchange, Queue
from platform_client import ApiClient

pytestmark = pytest.mark.integration


def test_health_readiness_and_docs(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["services"]) == {
        "profiles",
        "booking",
        "billing",
        "governance",
        "notifications",
    }
    spec = api.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert "/v1/accounts" in spec["paths"]
    docs = api.get("/docs")
    assert docs.status_code == 200
    assert "/openapi.json" in docs.text
    assert api.get("/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_gateway_metrics_count_routes_by_template(api):
    api.get("/healthz")
    api.get("/v1/me")
    text = api.get("/metrics").text
    assert 'loconomics_gateway_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="/v1/me",status="401"' in text
    assert "loconomics_gateway_request_duration_seconds_bucket" in text
    assert "loconomics_gateway_rpc_pool_size" in text


def test_service_metrics_time_each_rpc_method(api, platform):
    api.sign_up()
    port = platform.metrics_port_base + 1
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert 'entrypoint="sign_up",kind="rpc",outcome="ok",service="profiles"' in text
    assert "loconomics_entrypoint_duration_seconds_bucket" in text


def test_account_created_reaches_the_broker_through_the_outbox(api, platform):
    exchange = Exchange("profiles.events", type="topic", durable=True)
    queue = Queue(
        f"test-account-created-{uuid.uuid4().hex[:6]}",
        exchange=exchange,
        routing_key="account_created",
        auto_delete=True,
    )
    with Connection(platform.amqp_uri) as connection:
        bound = queue(connection.default_channel)
        bound.declare()
        person = api.sign_up(name="Event Watcher")
        deadline = time.monotonic() + 10
        seen = []
        while time.monotonic() < deadline:
            message = bound.get(no_ack=True)
            if message is None:
                time.sleep(0.1)
                continue
            payload = json.loads(message.body)
            seen.append(payload)
            if payload["account_id"] == person.account_id:
                break
        mine = [p for p in seen if p["account_id"] == person.account_id]
        assert len(mine) == 1
        assert mine[0]["email"] == person.email
        assert mine[0]["event_id"] and mine[0]["occurred_at"]


def test_broker_outage_gives_prompt_503_and_recovers_without_restarts(lone_platform):
    platform = lone_platform
    api = ApiClient(platform.gateway_url)
    api.sign_up()
    platform.stop_broker()
    try:
        started = time.monotonic()
        answer = api.post(
            "/v1/sessions", json={"email": "someone@example.org", "password": "whatever it is"}
        )
        elapsed = time.monotonic() - started
        assert answer.status_code == 503
        assert answer.headers["Retry-After"]
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        assert elapsed < 6, f"took {elapsed:.1f}s"
        assert api.get("/readyz").status_code == 503
        assert api.get("/healthz").status_code == 200
    finally:
        platform.start_broker()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if api.get("/readyz").status_code == 200:
            break
        time.sleep(1)
    else:
        pytest.fail("the platform did not recover after the broker came back")
    person = api.sign_up(name="After The Outage")
    assert api.get("/v1/me", token=person.token).json()["name"] == "After The Outage"
