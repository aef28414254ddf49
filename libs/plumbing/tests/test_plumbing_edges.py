"""Tokens, caller identity, validation shapes, cursors and the movable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from loconomics_plumbing import clock
from loconomics_plumbing.errors import BadRequest, Conflict, Forbidden, Invalid, Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.tokens import issue_access_token, verify_access_token
from loconomics_plumbing.validation import (
    MoneySchema,
    decode_cursor,
    encode_cursor,
    flatten_messages,
    load,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_token_round_trip_and_expiry(monkeypatch):
    monkeypatch.setenv("LOCONOMICS_ACCESS_TOKEN_SECONDS", "600")
    token, lifetime = issue_access_token("acc-1", ["professional", "client"], NOW)
    assert lifetime == 600
    claims = verify_access_token(token, NOW + timedelta(seconds=599))
    assert claims.user_id == "acc-1"
    assert claims.roles == {"client", "professional"}
    with pytest.raises(Unauthorized, match="expired"):
        verify_access_token(token, NOW + timedelta(seconds=600))


def test_tokens_signed_with_another_secret_or_tampered_are_refused(monkeypatch):
    forged = jwt.encode(
        {"sub": "acc-1", "iss": "loconomics", "typ": "access", "iat": 0, "exp": 2**40},
        "another secret of the same length........",
        algorithm="HS256",
    )
    with pytest.raises(Unauthorized):
        verify_access_token(forged, NOW)
    token, _ = issue_access_token("acc-1", ["client"], NOW)
    head, body, signature = token.split(".")
    with pytest.raises(Unauthorized):
        verify_access_token(f"{head}.{body}x.{signature}", NOW)


def test_production_refuses_to_run_without_a_secret(monkeypatch):
    monkeypatch.delenv("LOCONOMICS_TOKEN_SECRET", raising=False)
    monkeypatch.setenv("LOCONOMICS_ENV", "production")
    with pytest.raises(RuntimeError):
        issue_access_token("acc-1", [], NOW)


def test_caller_roles_travel_as_context_and_gate_actions():
    caller = Caller.from_context({"user_id": "u1", "roles": "client,professional"})
    assert caller.as_context() == {"user_id": "u1", "roles": "client,professional"}
    assert caller.require_role("professional") == "u1"
    with pytest.raises(Forbidden):
        caller.require_admin()
    with pytest.raises(Unauthorized):
        Caller.from_context({}).require_user()
    assert Caller("a", frozenset({"admin"})).require_role("professional") == "a"


def test_load_names_every_bad_field_including_nested_ones():
    with pytest.raises(Invalid) as raised:
        load(MoneySchema(), {"amount_cents": -1, "currency": "usd", "tip": 1})
    assert set(raised.value.errors) == {"amount_cents", "currency", "tip"}
    assert flatten_messages({"a": {"b": ["bad"]}, "c": ["worse"]}) == {
        "a.b": ["bad"],
        "c": ["worse"],
    }


def test_cursor_round_trip_and_garbage():
    cursor = encode_cursor([0.25, "listing-9"])
    assert decode_cursor(cursor) == [0.25, "listing-9"]
    assert decode_cursor(None) is None
    for garbage in ("%%%", "bm90IGpzb24", "e30"):
        with pytest.raises(Invalid) as raised:
            decode_cursor(garbage)
        assert "cursor" in raised.value.errors


def test_clock_moves_every_reader_of_the_same_file(tmp_path, monkeypatch):
    path = tmp_path / "offset"
    monkeypatch.setenv("LOCONOMICS_CLOCK_FILE", str(path))
    before = clock.now()
    clock.move_clock(str(path), timedelta(hours=72))
    moved = clock.now()
    assert timedelta(hours=71, minutes=59) < moved - before < timedelta(hours=72, minutes=1)


def test_service_specific_errors_cross_the_wire_as_their_typed_base():
    from loconomics_plumbing.entrypoints import as_wire_error

    class SignatureStale(BadRequest):
        pass

    wire = as_wire_error(SignatureStale("too old", {"signature": ["stale"]}))
    assert type(wire) is BadRequest
    assert wire.detail == "too old" and wire.errors == {"signature": ["stale"]}
    same = Conflict("taken")
    assert as_wire_error(same) is same


def test_tokens_follow_the_platform_clock_not_the_machines():
    future = NOW + timedelta(days=400)
    token, _ = issue_access_token("acc-1", ["client"], future)
    assert verify_access_token(token, future + timedelta(seconds=5)).user_id == "acc-1"
    with pytest.raises(Unauthorized, match="not valid yet"):
        verify_access_token(token, future - timedelta(hours=1))
