"""Accounts: the domain rules, and the entrypoints through nameko's worker_factory."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from loconomics_plumbing.errors import Conflict, Invalid, Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import UnitOfWork, make_engine, session_factory
from loconomics_plumbing.tokens import verify_access_token
from loconomics_profiles.domain import accounts
from loconomics_profiles.models import Base
from loconomics_profiles.service import ProfilesService
from nameko.testing.services import worker_factory
from sqlalchemy import select

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def unit(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'profiles.sqlite3'}")
    Base.metadata.create_all(engine)
    work = UnitOfWork(session_factory(engine)(), Base.metadata)
    yield work
    work.close()


def events_of(work: UnitOfWork) -> list[str]:
    outbox = Base.metadata.tables["outbox_events"]
    return [row.event_type for row in work.session.execute(select(outbox.c.event_type))]


def sign_up(work, email="ana@example.org", roles=("client",)):
    return accounts.sign_up(
        work.session,
        work.emit,
        email=email,
        password="correct horse battery",
        name=" Ana ",
        roles=list(roles),
        language="en",
        now=NOW,
    )


def test_sign_up_normalises_and_announces_the_account(unit):
    account = sign_up(unit, email="  Ana@Example.ORG ", roles=["professional", "client"])
    unit.commit()
    assert account.email == "ana@example.org"
    assert account.name == "Ana"
    assert account.roles == ["client", "professional"]
    assert account.password_hash.startswith("$argon2")
    assert events_of(unit) == ["account_created", "email_confirmation_requested"]


def test_one_account_per_email(unit):
    sign_up(unit)
    unit.commit()
    with pytest.raises(Conflict) as raised:
        sign_up(unit, email="ANA@example.org")
    assert raised.value.errors == {"email": ["Already registered."]}


def test_log_in_checks_the_password(unit):
    sign_up(unit)
    unit.commit()
    found = accounts.log_in(unit.session, email="ana@example.org", password="correct horse battery")
    assert found.email == "ana@example.org"
    with pytest.raises(Unauthorized):
        accounts.log_in(unit.session, email="ana@example.org", password="wrong horse battery")
    with pytest.raises(Unauthorized):
        accounts.log_in(unit.session, email="bo@example.org", password="correct horse battery")


def test_owner_status_keeps_the_latest_word_from_billing(unit):
    account = sign_up(unit)
    unit.commit()
    later, earlier = NOW + timedelta(hours=2), NOW + timedelta(hours=1)
    assert accounts.apply_owner_status(
        unit.session, user_id=account.id, status="active", changed_at=later
    )
    assert not accounts.apply_owner_status(
        unit.session, user_id=account.id, status="trial", changed_at=earlier
    )
    assert account.owner_status == "active"
    assert not accounts.apply_owner_status(
        unit.session, user_id="nobody", status="active", changed_at=later
    )


def test_entrypoints_validate_issue_tokens_and_know_the_caller(unit):
    service = worker_factory(ProfilesService, db=unit, caller=Caller())
    created = service.sign_up(
        email="cy@example.org", password="correct horse battery", name="Cy", roles=["client"]
    )
    assert created["owner_status"] == "not_yet_owner"
    session = service.log_in(email="cy@example.org", password="correct horse battery")
    claims = verify_access_token(session["access_token"], datetime.now(UTC))
    assert claims.user_id == created["id"]
    me = worker_factory(ProfilesService, db=unit, caller=Caller(created["id"], frozenset()))
    assert me.get_me()["email"] == "cy@example.org"
    with pytest.raises(Invalid) as raised:
        service.sign_up(email="nope", password="x", name="", roles=[])
    assert set(raised.value.errors) == {"email", "password", "name", "roles"}
    with pytest.raises(Unauthorized):
        service.get_me()


def payloads_of(work: UnitOfWork, event_type: str) -> list[dict]:
    outbox = Base.metadata.tables["outbox_events"]
    rows = work.session.execute(
        select(outbox.c.payload).where(outbox.c.event_type == event_type)
    ).all()
    return [
        row.payload if isinstance(row.payload, dict) else json.loads(row.payload) for row in rows
    ]


def test_a_member_renames_themselves_and_everyone_hears_the_whole_account_once(unit):
    account = sign_up(unit)
    unit.commit()
    changed = accounts.change_account(
        unit.session, unit.emit, account.id, {"name": "  Ana Rivera ", "language": "fr"}
    )
    unit.commit()
    assert (changed.name, changed.language) == ("Ana Rivera", "fr")
    [announced] = payloads_of(unit, "account_changed")
    assert {
        key: announced[key] for key in ("account_id", "email", "name", "language", "roles")
    } == {
        "account_id": account.id,
        "email": "ana@example.org",
        "name": "Ana Rivera",
        "language": "fr",
        "roles": ["client"],
    }
    # The same values again, or nothing at all: nothing to tell anyone.
    accounts.change_account(unit.session, unit.emit, account.id, {"name": "Ana Rivera"})
    accounts.change_account(unit.session, unit.emit, account.id, {})
    unit.commit()
    assert len(payloads_of(unit, "account_changed")) == 1


def test_a_blank_name_is_refused_at_sign_up_and_after(unit):
    account = sign_up(unit)
    unit.commit()
    with pytest.raises(Invalid) as raised:
        accounts.change_account(unit.session, unit.emit, account.id, {"name": "   "})
    assert set(raised.value.errors) == {"name"}
    unit.session.rollback()
    assert accounts.get_account(unit.session, account.id).name == "Ana"
    assert payloads_of(unit, "account_changed") == []
    with pytest.raises(Invalid) as raised:
        accounts.sign_up(
            unit.session,
            unit.emit,
            email="blank@example.org",
            password="correct horse battery",
            name="  ",
            roles=["client"],
            language="en",
            now=NOW,
        )
    assert set(raised.value.errors) == {"name"}


def test_the_change_entrypoint_is_the_callers_own_and_validates(unit):
    service = worker_factory(ProfilesService, db=unit, caller=Caller())
    created = service.sign_up(
        email="cy@example.org", password="correct horse battery", name="Cy", roles=["client"]
    )
    me = worker_factory(ProfilesService, db=unit, caller=Caller(created["id"], frozenset()))
    assert me.change_me(language="fr")["language"] == "fr"
    with pytest.raises(Invalid) as raised:
        me.change_me(name="", language="de", email="other@example.org")
    assert set(raised.value.errors) == {"name", "language", "email"}
    with pytest.raises(Unauthorized):
        service.change_me(name="Nobody")
