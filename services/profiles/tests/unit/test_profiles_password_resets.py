"""Forgotten and changed passwords: a reset token works once, within its hour, and only the
newest; a new password ends the account's other log-ins; asking tells nobody who is a member.
The domain alone, then the entrypoints through nameko's worker_factory."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from loconomics_plumbing.errors import Invalid, Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import UnitOfWork
from loconomics_plumbing.tokens import verify_access_token
from loconomics_profiles import service as service_module
from loconomics_profiles.domain import accounts, login_sessions, password_resets, secret_tokens
from loconomics_profiles.models import Base, LoginSession, PasswordReset
from loconomics_profiles.schemas import (
    PasswordChangedEventSchema,
    PasswordResetRequestedEventSchema,
)
from loconomics_profiles.service import ProfilesService
from nameko.testing.services import worker_factory
from sqlalchemy import select, text

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
EMAIL = "ana@example.org"
OLD = "correct horse battery"
NEW = "a brand new passphrase"
NOT_VALID = {"token": ["Not valid or expired; ask for a new link."]}


@pytest.fixture
def account(work):
    created = accounts.sign_up(
        work.session,
        work.emit,
        email=EMAIL,
        password=OLD,
        name="Ana",
        roles=["client"],
        language="fr",
        now=NOW,
    )
    work.commit()
    return created


def events(work: UnitOfWork, event_type: str) -> list[dict]:
    """The payloads of `event_type` in the outbox, as the relay will publish them."""
    outbox = Base.metadata.tables["outbox_events"]
    rows = work.session.execute(
        select(outbox.c.payload).where(outbox.c.event_type == event_type)
    ).scalars()
    return [json.loads(row) for row in rows]


def ask(work: UnitOfWork, email: str = EMAIL, at: datetime = NOW) -> str | None:
    """Ask for a reset; the token the email would carry, or None when none was sent."""
    before = len(events(work, "password_reset_requested"))
    password_resets.request_reset(work.session, work.emit, email=email, now=at)
    work.commit()
    sent = events(work, "password_reset_requested")
    return sent[-1]["reset_token"] if len(sent) > before else None


def reset(work: UnitOfWork, token: str, at: datetime = NOW, password: str = NEW):
    done = password_resets.reset_password(
        work.session, work.emit, token=token, password=password, now=at
    )
    work.commit()
    return done


def can_log_in(work: UnitOfWork, password: str) -> bool:
    try:
        accounts.log_in(work.session, email=EMAIL, password=password)
    except Unauthorized:
        return False
    return True


def refused(work: UnitOfWork, token: str, at: datetime = NOW) -> None:
    """The token is refused with the one answer, and nothing changed."""
    account = accounts.log_in(work.session, email=EMAIL, password=OLD)
    login, _ = login_sessions.open_session(work.session, account, NOW)
    work.commit()
    with pytest.raises(Invalid) as raised:
        reset(work, token, at)
    work.rollback()
    assert raised.value.errors == NOT_VALID
    assert "not valid or has expired" in raised.value.detail
    assert can_log_in(work, OLD) and not can_log_in(work, NEW)
    assert login_sessions.is_active(work.session, login.id, NOW)
    assert events(work, "password_changed") == []


def test_the_token_sets_a_new_password_once(work, account):
    token = ask(work, email="  ANA@Example.org ")
    assert token and len(token) >= 43
    assert can_log_in(work, OLD), "asking alone changes nothing"
    assert reset(work, token, NOW + timedelta(minutes=59)).id == account.id
    assert can_log_in(work, NEW) and not can_log_in(work, OLD)
    with pytest.raises(Invalid) as raised:
        reset(work, token, NOW + timedelta(minutes=59), password="yet another passphrase")
    work.rollback()
    assert raised.value.errors == NOT_VALID
    assert can_log_in(work, NEW), "a used token changes nothing"
    assert len(events(work, "password_changed")) == 1


def test_an_expired_token_is_refused(work, account):
    token = ask(work)
    refused(work, token, NOW + timedelta(hours=1))


def test_the_lifetime_is_a_setting(work, account, monkeypatch):
    monkeypatch.setenv("LOCONOMICS_PASSWORD_RESET_MINUTES", "10")
    token = ask(work)
    [sent] = events(work, "password_reset_requested")
    assert sent["expires_at"] == "2026-11-26T09:10:00+00:00"
    refused(work, token, NOW + timedelta(minutes=10))


def test_an_unknown_token_is_refused(work, account):
    ask(work)
    refused(work, "never-issued-token")


def test_a_newer_link_supersedes_the_older(work, account):
    first = ask(work)
    second = ask(work, at=NOW + timedelta(minutes=5))
    refused(work, first, NOW + timedelta(minutes=6))
    reset(work, second, NOW + timedelta(minutes=6))
    assert can_log_in(work, NEW)


def test_a_reset_ends_every_log_in_of_the_account(work, account):
    logins = [login_sessions.open_session(work.session, account, NOW)[0] for _ in range(3)]
    _, refresh_token = login_sessions.open_session(work.session, account, NOW)
    work.commit()
    reset(work, ask(work), NOW + timedelta(minutes=1))
    assert (
        work.session.scalars(select(LoginSession.revoked_at)).all()
        == [NOW + timedelta(minutes=1)] * 4
    )
    assert not any(login_sessions.is_active(work.session, login.id, NOW) for login in logins)
    with pytest.raises(Unauthorized):
        login_sessions.rotate(work.session, refresh_token, NOW + timedelta(minutes=2))


def test_the_database_never_holds_the_token(work, account):
    token = ask(work)
    stored = work.session.scalars(select(PasswordReset)).one()
    assert stored.token_hash == secret_tokens.token_hash(token) != token
    assert len(stored.token_hash) == 64
    dump = work.session.execute(text("SELECT * FROM password_resets")).all()
    assert token not in repr(dump)


def test_an_unknown_email_sends_nothing(work, account):
    assert ask(work, email="bo@example.org") is None
    assert work.session.scalars(select(PasswordReset)).all() == []
    assert events(work, "password_reset_requested") == []


def test_a_sixth_request_within_the_hour_sends_nothing(work, account):
    tokens = [ask(work, at=NOW + timedelta(minutes=minute)) for minute in range(5)]
    assert all(tokens)
    assert ask(work, at=NOW + timedelta(minutes=30)) is None
    assert len(events(work, "password_reset_requested")) == 5
    assert work.session.scalar(select(PasswordReset.id).where(PasswordReset.used_at.is_(None)))
    reset(work, tokens[-1], NOW + timedelta(minutes=31))
    assert can_log_in(work, NEW), "the last link still works"
    assert ask(work, at=NOW + timedelta(minutes=61)), "an hour after the first, one more"


def test_asking_answers_the_same_for_members_and_strangers(work, account):
    member = password_resets.request_reset(work.session, work.emit, email=EMAIL, now=NOW)
    stranger = password_resets.request_reset(
        work.session, work.emit, email="bo@example.org", now=NOW
    )
    assert member is None and stranger is None


def test_the_events_carry_what_the_emails_need(work, account):
    token = ask(work)
    reset(work, token, NOW + timedelta(minutes=2))
    [requested] = events(work, "password_reset_requested")
    [changed] = events(work, "password_changed")
    assert PasswordResetRequestedEventSchema().validate(requested) == {}
    assert PasswordChangedEventSchema().validate(changed) == {}
    person = {"account_id": account.id, "email": EMAIL, "name": "Ana", "language": "fr"}
    assert requested == {
        **person,
        "reset_token": token,
        "expires_at": "2026-11-26T10:00:00+00:00",
        "event_id": requested["event_id"],
        "occurred_at": NOW.isoformat(),
    }
    assert changed == {
        **person,
        "changed_at": "2026-11-26T09:02:00+00:00",
        "how": "reset",
        "event_id": changed["event_id"],
        "occurred_at": NOW.isoformat(),
    }


def change(work: UnitOfWork, account, current: str, keep: str | None = None):
    done = password_resets.change_password(
        work.session,
        work.emit,
        account_id=account.id,
        current_password=current,
        password=NEW,
        now=NOW,
        keep_session_id=keep,
    )
    work.commit()
    return done


def test_a_wrong_current_password_changes_nothing(work, account):
    login, _ = login_sessions.open_session(work.session, account, NOW)
    work.commit()
    with pytest.raises(Invalid) as raised:
        change(work, account, "not my password")
    work.rollback()
    assert raised.value.errors == {"current_password": ["Wrong password."]}
    assert can_log_in(work, OLD) and not can_log_in(work, NEW)
    assert login_sessions.is_active(work.session, login.id, NOW)
    assert events(work, "password_changed") == []


def test_a_change_keeps_the_callers_log_in_and_ends_the_others(work, account):
    mine, refresh_token = login_sessions.open_session(work.session, account, NOW)
    _, successor, _ = login_sessions.rotate(work.session, refresh_token, NOW)
    other, _ = login_sessions.open_session(work.session, account, NOW)
    work.commit()
    change(work, account, OLD, keep=mine.id)
    assert login_sessions.is_active(work.session, successor.id, NOW), "the same log-in, rotated"
    assert not login_sessions.is_active(work.session, other.id, NOW)
    assert can_log_in(work, NEW) and not can_log_in(work, OLD)
    [changed] = events(work, "password_changed")
    assert changed["how"] == "change" and changed["changed_at"] == NOW.isoformat()
    assert PasswordChangedEventSchema().validate(changed) == {}


def test_another_accounts_session_is_not_kept(work, account):
    other = accounts.sign_up(
        work.session,
        work.emit,
        email="bo@example.org",
        password=OLD,
        name="Bo",
        roles=["client"],
        language="en",
        now=NOW,
    )
    theirs, _ = login_sessions.open_session(work.session, other, NOW)
    mine, _ = login_sessions.open_session(work.session, account, NOW)
    work.commit()
    change(work, account, OLD, keep=theirs.id)
    assert not login_sessions.is_active(work.session, mine.id, NOW)
    assert login_sessions.is_active(work.session, theirs.id, NOW), "not theirs to end"


# the entrypoints


@pytest.fixture
def unit(work, monkeypatch):
    monkeypatch.setattr(service_module.clock, "now", lambda: NOW)
    return work


def worker(unit, caller=None):
    return worker_factory(ProfilesService, db=unit, caller=caller or Caller())


def test_the_entrypoints_reset_and_change_a_password(unit, account):
    anonymous = worker(unit)
    assert anonymous.request_password_reset(email="ANA@example.org") == {}
    assert anonymous.request_password_reset(email="nobody@example.org") == {}
    [requested] = events(unit, "password_reset_requested")
    assert anonymous.reset_password(token=requested["reset_token"], password=NEW) == {}
    session = anonymous.log_in(email=EMAIL, password=NEW)
    session_id = verify_access_token(session["access_token"], NOW).session_id
    signed_in = worker(unit, Caller(account.id, frozenset({"client"})))
    other, _ = login_sessions.open_session(unit.session, account, NOW)
    unit.commit()
    changed = signed_in.change_password(
        current_password=NEW, password="third passphrase", session_id=session_id
    )
    assert changed == {}
    assert anonymous.check_session(session_id=session_id) == {"active": True}
    assert anonymous.check_session(session_id=other.id) == {"active": False}
    assert [e["how"] for e in events(unit, "password_changed")] == ["reset", "change"]


def test_the_entrypoints_refuse_bad_input_with_every_field_named(unit, account):
    anonymous = worker(unit)
    with pytest.raises(Invalid) as raised:
        anonymous.request_password_reset(email="not an email", extra=1)
    assert set(raised.value.errors) == {"email", "extra"}
    with pytest.raises(Invalid) as raised:
        anonymous.reset_password(token="", password="short")
    assert set(raised.value.errors) == {"token", "password"}
    with pytest.raises(Invalid) as raised:
        anonymous.reset_password(token="never-issued-token", password=NEW)
    assert raised.value.errors == NOT_VALID
    with pytest.raises(Invalid) as raised:
        worker(unit, Caller(account.id, frozenset())).change_password(
            current_password=OLD, password="x" * 201
        )
    assert set(raised.value.errors) == {"password"}
    with pytest.raises(Unauthorized):
        anonymous.change_password(current_password=OLD, password=NEW)
    assert can_log_in(unit, OLD)
