"""Abuse and safety: idempotency keys, rate limits, CORS, security headers, revoked sessions."""

from __future__ import annotations

import dataclasses

import pytest
from falcon import testing
from loconomics_gateway.app import create_app
from loconomics_gateway.rate_limits import exempt_networks
from loconomics_gateway.settings import Settings
from loconomics_plumbing.errors import Conflict

SIGN_UP = {"email": "a@example.org", "password": "0123456789", "name": "A", "roles": ["client"]}


def counting_sign_up(store: list):
    def answer(caller=None, **kwargs):
        store.append(kwargs)
        return {"id": f"acc-{len(store)}", **{k: kwargs[k] for k in ("email", "name")}}

    return answer


def test_a_repeated_key_returns_the_first_answer_without_calling_again(client, pool):
    created = []
    pool.answers[("profiles", "sign_up")] = counting_sign_up(created)
    headers = {"Idempotency-Key": "k-123"}
    first = client.simulate_post("/v1/accounts", json=SIGN_UP, headers=headers)
    second = client.simulate_post("/v1/accounts", json=SIGN_UP, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json == second.json == {"id": "acc-1", "email": "a@example.org", "name": "A"}
    assert second.headers["idempotent-replayed"] == "true"
    assert len(created) == 1
    other_key = client.simulate_post("/v1/accounts", json=SIGN_UP, headers={"Idempotency-Key": "x"})
    assert other_key.json["id"] == "acc-2"


def test_the_same_key_with_another_body_is_refused(client, pool):
    pool.answers[("profiles", "sign_up")] = counting_sign_up([])
    headers = {"Idempotency-Key": "k-1"}
    assert client.simulate_post("/v1/accounts", json=SIGN_UP, headers=headers).status_code == 201
    changed = client.simulate_post(
        "/v1/accounts", json={**SIGN_UP, "name": "B"}, headers=headers
    )
    assert changed.status_code == 422
    assert "Idempotency-Key" in changed.json["errors"]


def test_keys_belong_to_their_caller(client, pool, auth):
    pool.answers[("profiles", "sign_up")] = counting_sign_up(created := [])
    headers = {"Idempotency-Key": "shared"}
    client.simulate_post("/v1/accounts", json=SIGN_UP, headers={**headers, **auth("u1")})
    client.simulate_post("/v1/accounts", json=SIGN_UP, headers={**headers, **auth("u2")})
    assert len(created) == 2


def test_a_failed_request_frees_its_key(client, pool):
    pool.answers[("profiles", "sign_up")] = Conflict("taken")
    headers = {"Idempotency-Key": "retry-me"}
    assert client.simulate_post("/v1/accounts", json=SIGN_UP, headers=headers).status_code == 409
    pool.answers[("profiles", "sign_up")] = counting_sign_up([])
    assert client.simulate_post("/v1/accounts", json=SIGN_UP, headers=headers).status_code == 201


def test_an_unusable_key_is_named(client, pool):
    answer = client.simulate_post(
        "/v1/accounts", json=SIGN_UP, headers={"Idempotency-Key": "x" * 300}
    )
    assert answer.status_code == 422
    assert "Idempotency-Key" in answer.json["errors"]


def test_log_in_is_rate_limited_with_retry_after(pool, settings):
    strict = dataclasses.replace(settings, rate_limits_enabled=True, rate_limit_strict="3/minute")
    client = testing.TestClient(create_app(strict, pool_of=lambda: pool))
    body = {"email": "a@example.org", "password": "whatever"}
    codes = [client.simulate_post("/v1/sessions", json=body).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    limited = client.simulate_post("/v1/sessions", json=body)
    assert limited.headers["content-type"] == "application/problem+json"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    other_address = client.simulate_post("/v1/sessions", json=body, remote_addr="10.9.8.7")
    assert other_address.status_code == 201
    assert client.simulate_get("/healthz").status_code == 200
    assert len(pool.calls_to("profiles", "log_in")) == 4


def limited_client(
    pool, settings, hops: int = 0, exempt: tuple[str, ...] = ()
) -> testing.TestClient:
    strict = dataclasses.replace(
        settings,
        rate_limits_enabled=True,
        rate_limit_strict="3/minute",
        trusted_proxy_hops=hops,
        rate_limit_exempt=exempt_networks(exempt),
    )
    return testing.TestClient(create_app(strict, pool_of=lambda: pool))


def log_in_codes(client: testing.TestClient, times: int, **request) -> list[int]:
    body = {"email": "a@example.org", "password": "whatever"}
    return [client.simulate_post("/v1/sessions", json=body, **request).status_code
            for _ in range(times)]


def test_exempt_addresses_and_networks_are_never_limited_and_others_still_are(pool, settings):
    client = limited_client(pool, settings, exempt=("10.0.0.7", "192.168.0.0/16", "::1"))
    assert log_in_codes(client, 5, remote_addr="10.0.0.7") == [201] * 5
    assert log_in_codes(client, 5, remote_addr="192.168.44.2") == [201] * 5
    assert log_in_codes(client, 5, remote_addr="::1") == [201] * 5
    assert log_in_codes(client, 4, remote_addr="::ffff:10.0.0.7") == [201] * 4
    assert log_in_codes(client, 4, remote_addr="10.0.0.8") == [201, 201, 201, 429]
    assert len(pool.calls_to("profiles", "log_in")) == 5 + 5 + 5 + 4 + 3


def test_a_forwarded_address_earns_an_exemption_only_through_trusted_proxies(pool, settings):
    forged = {"X-Forwarded-For": "10.0.0.7"}
    direct = limited_client(pool, settings, hops=0, exempt=("10.0.0.7",))
    assert log_in_codes(direct, 4, remote_addr="203.0.113.5", headers=forged)[-1] == 429
    proxied = limited_client(pool, settings, hops=1, exempt=("10.0.0.7",))
    through_proxy = {"X-Forwarded-For": "10.0.0.7"}
    assert log_in_codes(proxied, 5, remote_addr="10.1.1.1", headers=through_proxy) == [201] * 5
    forged_then_real = {"X-Forwarded-For": "10.0.0.7, 203.0.113.9"}
    codes = log_in_codes(proxied, 4, remote_addr="10.1.1.1", headers=forged_then_real)
    assert codes == [201, 201, 201, 429]


def test_the_exempt_list_is_read_from_the_environment_and_a_bad_entry_is_named(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("LOCONOMICS_VAR", str(tmp_path))
    monkeypatch.setenv("GATEWAY_RATE_LIMIT_EXEMPT", " 127.0.0.1 , 10.0.0.0/8,,")
    assert [str(n) for n in Settings.from_env().rate_limit_exempt] == ["127.0.0.1/32", "10.0.0.0/8"]
    monkeypatch.delenv("GATEWAY_RATE_LIMIT_EXEMPT")
    assert Settings.from_env().rate_limit_exempt == ()
    monkeypatch.setenv("GATEWAY_RATE_LIMIT_EXEMPT", "127.0.0.1, 10.0.0.300")
    with pytest.raises(ValueError, match=r"GATEWAY_RATE_LIMIT_EXEMPT: '10\.0\.0\.300'"):
        Settings.from_env()


def test_cors_answers_only_listed_origins(pool, settings):
    allowed = dataclasses.replace(settings, cors_origins=("https://app.loconomics.coop",))
    client = testing.TestClient(create_app(allowed, pool_of=lambda: pool))
    ok = client.simulate_get("/healthz", headers={"Origin": "https://app.loconomics.coop"})
    assert ok.headers["access-control-allow-origin"] == "https://app.loconomics.coop"
    other = client.simulate_get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_security_headers_on_every_answer(client):
    for path in ("/healthz", "/v1/nowhere", "/docs"):
        headers = client.simulate_get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_a_closed_session_stops_its_access_token(client, pool, auth):
    pool.answers[("profiles", "check_session")] = {"active": False}
    answer = client.simulate_get("/v1/me", headers=auth("acc-1", session_id="closed"))
    assert answer.status_code == 401
    assert "log in again" in answer.json["detail"]


def test_log_out_revokes_at_once_on_this_worker(client, pool, auth):
    headers = auth("acc-1", session_id="s-9")
    assert client.simulate_get("/v1/me", headers=headers).status_code == 200
    assert client.simulate_delete("/v1/sessions/current", headers=headers).status_code == 204
    assert pool.calls_to("profiles", "log_out")[0][3] == {"session_id": "s-9"}
    pool.answers[("profiles", "check_session")] = {"active": False}
    assert client.simulate_get("/v1/me", headers=headers).status_code == 401


def test_bodies_over_the_limit_are_refused_before_reading_them_all(client):
    answer = client.simulate_post(
        "/v1/accounts",
        body=b"{" + b" " * 300_000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413


def test_forwarded_addresses_are_trusted_only_as_far_as_our_proxies():
    from loconomics_gateway.client_address import client_address

    forged_then_real = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9"}
    req = testing.create_req(headers=forged_then_real, remote_addr="10.0.0.2")
    assert client_address(req, 0) == "10.0.0.2"
    assert client_address(req, 1) == "203.0.113.9"
    assert client_address(req, 2) == "6.6.6.6"


def test_ballots_and_tokens_never_store_an_answer_under_an_idempotency_key():
    from loconomics_gateway.app import all_operations

    secret = ("/votes", "/ballots", "/v1/sessions", "/v1/sessions/refresh")
    posts = [op for op in all_operations() if op.method == "POST" and op.path.endswith(secret)]
    assert len(posts) == 4
    assert not any(op.creates for op in posts)


def test_a_log_in_with_an_idempotency_key_is_never_replayed(client, pool):
    issued = iter(range(100))
    pool.answers[("profiles", "log_in")] = lambda caller=None, **kw: {"token": next(issued)}
    body = {"email": "a@example.org", "password": "whatever"}
    headers = {"Idempotency-Key": "same"}
    first = client.simulate_post("/v1/sessions", json=body, headers=headers)
    second = client.simulate_post("/v1/sessions", json=body, headers=headers)
    assert first.json != second.json
    assert "idempotent-replayed" not in second.headers
