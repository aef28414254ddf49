"""Refresh tokens rotate, a reused one burns its whole log-in, log-out revokes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from loconomics_plumbing.errors import Unauthorized
from loconomics_profiles.domain import accounts, login_sessions
from loconomics_profiles.models import LoginSession

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def account(work):
    created = accounts.sign_up(
        work.session,
        work.emit,
        email="ana@example.org",
        password="correct horse battery",
        name="Ana",
        roles=["client"],
        language="en",
        now=NOW,
    )
    work.commit()
    return created


def test_refresh_tokens_rotate_and_are_stored_hashed(work, account):
    login, token = login_sessions.open_session(work.session, account, NOW)
    assert token not in login.refresh_hash and len(login.refresh_hash) == 64
    _, successor, new_token = login_sessions.rotate(work.session, token, NOW + timedelta(hours=1))
    assert new_token != token
    assert successor.family_id == login.family_id
    assert login.revoked_at is not None and login.replaced_by == successor.id
    assert login_sessions.is_active(work.session, successor.id, NOW + timedelta(hours=1))
    assert not login_sessions.is_active(work.session, login.id, NOW + timedelta(hours=1))


def test_reusing_a_rotated_token_revokes_the_whole_log_in(work, account):
    login, token = login_sessions.open_session(work.session, account, NOW)
    _, successor, _ = login_sessions.rotate(work.session, token, NOW)
    with pytest.raises(Unauthorized, match="already used"):
        login_sessions.rotate(work.session, token, NOW)
    assert not login_sessions.is_active(work.session, successor.id, NOW)


def test_expired_and_unknown_refresh_tokens_are_refused(work, account):
    _, token = login_sessions.open_session(work.session, account, NOW)
    with pytest.raises(Unauthorized, match="expired"):
        login_sessions.rotate(work.session, token, NOW + timedelta(days=31))
    with pytest.raises(Unauthorized):
        login_sessions.rotate(work.session, "never-issued-token", NOW)


def test_log_out_closes_only_the_callers_own_log_in(work, account):
    first, _ = login_sessions.open_session(work.session, account, NOW)
    second, _ = login_sessions.open_session(work.session, account, NOW)
    with pytest.raises(Unauthorized):
        login_sessions.close(work.session, first.id, "someone-else", NOW)
    login_sessions.close(work.session, first.id, account.id, NOW)
    assert not login_sessions.is_active(work.session, first.id, NOW)
    assert login_sessions.is_active(work.session, second.id, NOW)
    assert work.session.query(LoginSession).count() == 2
