"""Fixtures for gateway tests without a broker: a scripted RPC pool and a Falcon test client."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from falcon import testing
from loconomics_gateway.app import create_app
from loconomics_gateway.settings import Settings
from loconomics_plumbing.tokens import issue_access_token


class FakePool:
    """Answers RPC calls from a script; records who called what."""

    timeout = 1.0

    def __init__(self):
        self.calls = []
        self.answers = {("profiles", "check_session"): {"active": True}}

    def call(self, service, method, caller=None, timeout=None, request_id=None, **kwargs):
        self.calls.append((service, method, caller, kwargs))
        answer = self.answers.get((service, method), {"ok": True})
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(caller=caller, **kwargs)
        return answer

    def calls_to(self, service: str, method: str) -> list:
        return [c for c in self.calls if c[:2] == (service, method)]

    def asked(self) -> list:
        """The calls made beyond checking a sent token's session."""
        return [c for c in self.calls if c[:2] != ("profiles", "check_session")]


@pytest.fixture
def pool() -> FakePool:
    return FakePool()


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("LOCONOMICS_VAR", str(tmp_path))
    return dataclasses.replace(Settings.from_env(), rate_limits_enabled=False)


@pytest.fixture
def client(pool, settings) -> testing.TestClient:
    return testing.TestClient(create_app(settings, pool_of=lambda: pool))


def token_for(user_id: str = "acc-1", roles=("client",), session_id: str | None = "s-1") -> dict:
    token, _ = issue_access_token(user_id, list(roles), datetime.now(UTC), session_id=session_id)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def auth():
    """`auth("acc-1", ("professional",))` gives the Authorization header of that caller."""
    return token_for
