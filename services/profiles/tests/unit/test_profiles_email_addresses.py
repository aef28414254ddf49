"""A member's email address: confirmed by a link sent to it, and changed only to an address
confirmed the same way, the old one told with a link back. A link works once, within its
lifetime, only the newest confirming link works, at most five go out an hour, and every
refusal changes nothing. The domain alone, then the entrypoints through nameko's
worker_factory."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from loconomics_plumbing.errors import Conflict, Invalid, Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import UnitOfWork
from loconomics_profiles import service as service_module
from loconomics_profiles.domain import (
    account_closures,
    accounts,
    email_addresses,
    emailed_links,
    login_sessions,
    password_resets,
    secret_tokens,
)
from loconomics_profiles.models import (
    Account,
    Base,
    EmailConfirmation,
    LoginSession,
    PasswordReset,
)
from loconomics_profiles.schemas import (
    AccountSchema,
    EmailChangedEventSchema,
    EmailConfirmationRequestedEventSchema,
)
from loconomics_profiles.service import ProfilesService
from nameko.testing.services import worker_factory
from sqlalchemy import select, text, update

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
EMAIL = "ana@example.org"
NEW_EMAIL = "ana.new@example.org"
PASSWORD = "correct horse battery"
NOT_VALID = {"token": ["Not valid, already used or expired."]}
TAKEN = {"email": ["Already registered."]}


def sign_up(work: UnitOfWork, email: str = EMAIL, name: str = "Ana") -> Account:
    created = accounts.sign_up(
        work.session,
        work.emit,
        email=email,
        password=PASSWORD,
        name=name,
        roles=["client"],
        language="fr",
        now=NOW,
    )
    work.commit()
    return created


@pytest.fixture
def account(work):
    return sign_up(work)


def events(work: UnitOfWork, event_type: str) -> list[dict]:
    """The payloads of `event_type` in the outbox, as the relay will publish them."""
    outbox = Base.metadata.tables["outbox_events"]
    rows = work.session.execute(
        select(outbox.c.payload).where(outbox.c.event_type == event_type)
    ).scalars()
    return [json.loads(row) for row in rows]


def last_link(work: UnitOfWork) -> str:
    return events(work, "email_confirmation_requested")[-1]["confirmation_token"]


def resend(work: UnitOfWork, account: Account, at: datetime = NOW) -> str | None:
    """Ask for the link again; its token, or None when nothing was sent."""
    before = len(events(work, "email_confirmation_requested"))
    email_addresses.resend_confirmation(work.session, work.emit, account_id=account.id, now=at)
    work.commit()
    sent = events(work, "email_confirmation_requested")
    return sent[-1]["confirmation_token"] if len(sent) > before else None


def ask_change(
    work: UnitOfWork,
    account: Account,
    email: str = NEW_EMAIL,
    password: str = PASSWORD,
    at: datetime = NOW,
) -> str | None:
    """Ask to change the address; the token of the link to the new one, or None if none went."""
    before = len(events(work, "email_confirmation_requested"))
    email_addresses.request_change(
        work.session,
        work.emit,
        account_id=account.id,
        email=email,
        current_password=password,
        now=at,
    )
    work.commit()
    sent = events(work, "email_confirmation_requested")
    return sent[-1]["confirmation_token"] if len(sent) > before else None


def confirm(work: UnitOfWork, token: str, at: datetime = NOW) -> Account:
    done = email_addresses.confirm(work.session, work.emit, token=token, now=at)
    work.commit()
    return done


def changed(work: UnitOfWork, account: Account, at: datetime = NOW) -> str:
    """Change the address to NEW_EMAIL, confirmed; the undo token sent to the old one."""
    confirm(work, ask_change(work, account, at=at), at)
    return events(work, "email_changed")[-1]["undo_token"]


def state(work: UnitOfWork) -> tuple:
    """Everything a confirmation may change: addresses, links, log-ins and events."""
    work.session.expire_all()
    outbox = Base.metadata.tables["outbox_events"]
    return (
        work.session.execute(select(Account.id, Account.email, Account.email_confirmed_at)).all(),
        work.session.execute(select(EmailConfirmation.id, EmailConfirmation.used_at)).all(),
        work.session.execute(select(PasswordReset.id, PasswordReset.used_at)).all(),
        work.session.execute(select(LoginSession.id, LoginSession.revoked_at)).all(),
        work.session.execute(select(outbox.c.event_type)).scalars().all(),
    )


def refused(work: UnitOfWork, token: str, at: datetime = NOW) -> None:
    """The token is refused with the one answer, and nothing changed."""
    before = state(work)
    with pytest.raises(Invalid) as raised:
        confirm(work, token, at)
    work.rollback()
    assert raised.value.errors == NOT_VALID
    assert state(work) == before


def can_log_in(work: UnitOfWork, email: str) -> bool:
    try:
        accounts.log_in(work.session, email=email, password=PASSWORD)
    except Unauthorized:
        return False
    return True


def with_a_log_in_and_a_reset(work: UnitOfWork, account: Account) -> LoginSession:
    login, _ = login_sessions.open_session(work.session, account, NOW)
    password_resets.request_reset(work.session, work.emit, email=account.email, now=NOW)
    work.commit()
    return login


def unused(work: UnitOfWork, model) -> list:
    work.session.expire_all()
    return work.session.scalars(select(model).where(model.used_at.is_(None))).all()


# sign-up


def test_sign_up_sends_a_link_whose_token_only_the_email_holds(work, account):
    outbox = Base.metadata.tables["outbox_events"]
    assert work.session.execute(select(outbox.c.event_type)).scalars().all() == [
        "account_created",
        "email_confirmation_requested",
    ]
    [requested] = events(work, "email_confirmation_requested")
    token = requested["confirmation_token"]
    assert len(token) >= 43
    assert EmailConfirmationRequestedEventSchema().validate(requested) == {}
    assert set(requested) == set(EmailConfirmationRequestedEventSchema().fields)
    assert requested == {
        "account_id": account.id,
        "email": EMAIL,
        "name": "Ana",
        "language": "fr",
        "purpose": "sign_up",
        "confirmation_token": token,
        "expires_at": "2026-11-28T09:00:00+00:00",
        "event_id": requested["event_id"],
        "occurred_at": NOW.isoformat(),
    }
    stored = work.session.scalars(select(EmailConfirmation)).one()
    assert (stored.purpose, stored.email, stored.account_id) == ("sign_up", EMAIL, account.id)
    assert stored.token_hash == secret_tokens.token_hash(token) != token
    dump = work.session.execute(text("SELECT * FROM email_confirmations")).all()
    assert token not in repr(dump)
    assert account.email_confirmed_at is None and not account.email_confirmed


def test_the_link_confirms_the_address_once(work, account):
    token = last_link(work)
    later = NOW + timedelta(hours=47, minutes=59)
    assert confirm(work, token, later).id == account.id
    assert account.email_confirmed_at == later and account.email_confirmed
    refused(work, token, later)
    assert account.email_confirmed_at == later


def test_confirming_the_sign_up_address_tells_nobody(work, account):
    confirm(work, last_link(work))
    assert events(work, "account_changed") == events(work, "email_changed") == []


def test_an_expired_link_is_refused(work, account):
    refused(work, last_link(work), NOW + timedelta(hours=48))


def test_the_lifetimes_are_settings(work, monkeypatch):
    monkeypatch.setenv("LOCONOMICS_EMAIL_CONFIRMATION_HOURS", "2")
    monkeypatch.setenv("LOCONOMICS_EMAIL_UNDO_DAYS", "1")
    account = sign_up(work)
    assert events(work, "email_confirmation_requested")[0]["expires_at"] == (
        "2026-11-26T11:00:00+00:00"
    )
    refused(work, last_link(work), NOW + timedelta(hours=2))
    undo = changed(work, account)
    assert events(work, "email_changed")[0]["undo_expires_at"] == "2026-11-27T09:00:00+00:00"
    refused(work, undo, NOW + timedelta(days=1))


def test_an_unknown_token_is_refused(work, account):
    refused(work, "never-issued-token")


def test_a_newer_link_supersedes_the_older(work, account):
    first = last_link(work)
    second = resend(work, account, NOW + timedelta(minutes=5))
    assert second and second != first
    refused(work, first, NOW + timedelta(minutes=6))
    confirm(work, second, NOW + timedelta(minutes=6))
    assert account.email_confirmed


def test_a_sign_up_link_for_an_address_the_account_no_longer_has_is_refused(work, account):
    token = last_link(work)
    account.email = "ana.elsewhere@example.org"  # as only a change could have made it
    work.commit()
    refused(work, token)
    assert not account.email_confirmed


def test_a_confirmed_address_is_not_sent_another_link(work, account):
    confirm(work, last_link(work))
    assert resend(work, account, NOW + timedelta(minutes=1)) is None
    assert len(events(work, "email_confirmation_requested")) == 1


def test_at_most_five_links_an_hour_and_the_last_still_works(work, account):
    tokens = [resend(work, account, NOW + timedelta(minutes=minute)) for minute in (1, 2, 3, 4)]
    assert all(tokens), "sign-up's link and four more"
    assert resend(work, account, NOW + timedelta(minutes=30)) is None
    assert ask_change(work, account, at=NOW + timedelta(minutes=31)) is None, "changes count too"
    assert len(events(work, "email_confirmation_requested")) == 5
    assert len(work.session.scalars(select(EmailConfirmation)).all()) == 5
    confirm(work, tokens[-1], NOW + timedelta(minutes=32))
    assert account.email_confirmed, "the last link still works"
    assert ask_change(work, account, at=NOW + timedelta(minutes=61)), "an hour after the first"


def test_undo_links_neither_count_towards_the_limit_nor_are_superseded(work, account):
    undo = changed(work, account)
    tokens = [ask_change(work, account, f"ana{n}@example.org") for n in range(3)]
    assert all(tokens), "sign-up's link, the change, and three more"
    assert sorted(link.purpose for link in unused(work, EmailConfirmation)) == ["change", "undo"]
    confirm(work, undo, NOW + timedelta(minutes=1))
    assert account.email == EMAIL


# a closed account


def test_a_closed_accounts_links_are_deleted_and_never_work(work, account):
    token = last_link(work)
    bea = sign_up(work, "bea@example.org", "Bea")
    account_closures.close_account(
        work.session,
        work.emit,
        account_id=account.id,
        current_password=PASSWORD,
        unfinished_bookings=0,
        now=NOW,
    )
    work.commit()
    assert [link.account_id for link in work.session.scalars(select(EmailConfirmation))] == [bea.id]
    refused(work, token)
    with pytest.raises(Unauthorized):
        email_addresses.resend_confirmation(work.session, work.emit, account_id=account.id, now=NOW)
    with pytest.raises(Unauthorized):
        ask_change(work, account)


def test_a_link_left_to_a_closed_account_does_not_work(work, account):
    """A link made in the instant of the closure (by a request that read the account just
    before it closed) survives the closure's deletion: it is refused all the same."""
    token = last_link(work)
    account.closed_at = NOW
    work.commit()
    refused(work, token)
    assert not account.email_confirmed


def test_closing_deletes_the_published_events_that_carried_the_address_and_tokens(work, account):
    changed(work, account)
    outbox = Base.metadata.tables["outbox_events"]
    work.session.execute(update(outbox).values(published_at=NOW))
    work.commit()
    assert {"email_confirmation_requested", "email_changed"} <= set(
        account_closures.ADDRESSED_EVENTS
    )
    account_closures.close_account(
        work.session,
        work.emit,
        account_id=account.id,
        current_password=PASSWORD,
        unfinished_bookings=0,
        now=NOW,
    )
    work.commit()
    assert events(work, "email_confirmation_requested") == events(work, "email_changed") == []


# asking for a change


@pytest.mark.parametrize(
    ("email", "password", "errors"),
    [
        (NEW_EMAIL, "not my password", {"current_password": ["Wrong password."]}),
        (" ANA@example.org", PASSWORD, {"email": ["This is the account's address already."]}),
        ("ana@nowhere.invalid", PASSWORD, {"email": ["Not an address email can reach."]}),
        ("ana@invalid", PASSWORD, {"email": ["Not an address email can reach."]}),
        (
            "ana@example.org",
            "not my password",
            {
                "current_password": ["Wrong password."],
                "email": ["This is the account's address already."],
            },
        ),
    ],
    ids=["wrong-password", "same-address", "invalid-domain", "invalid-tld", "both"],
)
def test_a_change_is_refused_with_nothing_changed(work, account, email, password, errors):
    before = state(work)
    with pytest.raises(Invalid) as raised:
        ask_change(work, account, email, password)
    work.rollback()
    assert raised.value.errors == errors
    assert state(work) == before


def test_an_address_another_account_has_is_a_conflict_told_only_with_the_password(work, account):
    sign_up(work, "bea@example.org", "Bea")
    before = state(work)
    with pytest.raises(Conflict) as raised:
        ask_change(work, account, "BEA@example.org ")
    work.rollback()
    assert raised.value.errors == TAKEN
    assert state(work) == before
    with pytest.raises(Invalid) as raised:
        ask_change(work, account, "bea@example.org", "not my password")
    work.rollback()
    assert raised.value.errors == {"current_password": ["Wrong password."]}
    assert state(work) == before


def test_asking_sends_a_link_to_the_new_address_and_changes_nothing_yet(work, account):
    token = ask_change(work, account, " Ana.New@Example.org")
    requested = events(work, "email_confirmation_requested")[-1]
    assert EmailConfirmationRequestedEventSchema().validate(requested) == {}
    assert requested == {
        "account_id": account.id,
        "email": NEW_EMAIL,
        "name": "Ana",
        "language": "fr",
        "purpose": "change",
        "confirmation_token": token,
        "expires_at": "2026-11-28T09:00:00+00:00",
        "event_id": requested["event_id"],
        "occurred_at": NOW.isoformat(),
    }
    assert account.email == EMAIL
    assert can_log_in(work, EMAIL) and not can_log_in(work, NEW_EMAIL)
    link = work.session.scalar(
        select(EmailConfirmation).where(EmailConfirmation.purpose == "change")
    )
    assert (link.email, link.token_hash) == (NEW_EMAIL, secret_tokens.token_hash(token))
    assert [e["purpose"] for e in events(work, "email_confirmation_requested")] == [
        "sign_up",
        "change",
    ]
    assert [link.purpose for link in unused(work, EmailConfirmation)] == ["change"], (
        "only the newest link works"
    )


# a change confirmed


def test_a_confirmed_change_moves_the_account_to_the_new_address(work, account):
    login = with_a_log_in_and_a_reset(work, account)
    reset_token = events(work, "password_reset_requested")[-1]["reset_token"]
    token = ask_change(work, account)
    later = NOW + timedelta(hours=1)
    confirm(work, token, later)
    assert (account.email, account.email_confirmed_at) == (NEW_EMAIL, later)
    assert can_log_in(work, NEW_EMAIL) and not can_log_in(work, EMAIL)
    assert login_sessions.is_active(work.session, login.id, later), "the member stays in"
    assert unused(work, PasswordReset) == [], "the reset link went to the old address"
    with pytest.raises(Invalid):
        password_resets.reset_password(
            work.session, work.emit, token=reset_token, password="a brand new one", now=later
        )
    work.rollback()
    [account_changed] = events(work, "account_changed")
    assert account_changed == {
        **accounts.account_event(account),
        "event_id": account_changed["event_id"],
        "occurred_at": NOW.isoformat(),
    }
    assert account_changed["email"] == NEW_EMAIL
    [notice] = events(work, "email_changed")
    assert EmailChangedEventSchema().validate(notice) == {}
    assert set(notice) == set(EmailChangedEventSchema().fields)
    undo_token = notice["undo_token"]
    assert notice == {
        "account_id": account.id,
        "name": "Ana",
        "language": "fr",
        "old_email": EMAIL,
        "new_email": NEW_EMAIL,
        "changed_at": "2026-11-26T10:00:00+00:00",
        "undo_token": undo_token,
        "undo_expires_at": "2026-12-03T10:00:00+00:00",
        "event_id": notice["event_id"],
        "occurred_at": NOW.isoformat(),
    }
    undo = work.session.scalar(select(EmailConfirmation).where(EmailConfirmation.purpose == "undo"))
    assert (undo.email, undo.used_at) == (EMAIL, None)
    assert undo.token_hash == secret_tokens.token_hash(undo_token)
    dump = work.session.execute(text("SELECT * FROM email_confirmations")).all()
    assert undo_token not in repr(dump) and token not in repr(dump)
    refused(work, token, later)


def test_the_change_link_is_superseded_and_expires_like_the_others(work, account):
    first = ask_change(work, account)
    second = ask_change(work, account, "ana.other@example.org", at=NOW + timedelta(minutes=1))
    refused(work, first, NOW + timedelta(minutes=2))
    refused(work, second, NOW + timedelta(hours=48, minutes=1))
    confirm(work, second, NOW + timedelta(hours=48))
    assert account.email == "ana.other@example.org"


def test_asking_for_a_change_supersedes_the_sign_up_link(work, account):
    sign_up_link = last_link(work)
    ask_change(work, account)
    refused(work, sign_up_link)


def test_two_confirmations_racing_with_one_token_cannot_both_win(work, account, monkeypatch):
    """The second request read the link while it still worked; the conditional update that
    uses it up refuses it."""
    token = ask_change(work, account)
    stale = work.session.scalar(
        select(EmailConfirmation).where(EmailConfirmation.purpose == "change")
    )
    as_read = EmailConfirmation(
        **{column.key: getattr(stale, column.key) for column in EmailConfirmation.__table__.c}
    )
    confirm(work, token)
    monkeypatch.setattr(emailed_links, "usable", lambda *args: as_read)
    refused(work, token)
    assert len(events(work, "email_changed")) == 1


def refused_until_freed(work: UnitOfWork, token: str, holder: Account) -> None:
    """Confirming `token` is a conflict that changes nothing while `holder` has the address
    it would set; then `holder` closes their account, which frees the address."""
    before = state(work)
    with pytest.raises(Conflict) as raised:
        confirm(work, token)
    work.rollback()
    assert raised.value.errors == TAKEN
    assert state(work) == before
    account_closures.close_account(
        work.session,
        work.emit,
        account_id=holder.id,
        current_password=PASSWORD,
        unfinished_bookings=0,
        now=NOW,
    )
    work.commit()


def test_an_address_taken_meanwhile_is_a_conflict_and_the_link_still_works(work, account):
    """Another account took the new address after the link was sent: the database's unique
    address refuses it, and once the address is free again the link works."""
    token = ask_change(work, account)
    refused_until_freed(work, token, sign_up(work, NEW_EMAIL, "Bea"))
    confirm(work, token, NOW + timedelta(minutes=1))
    assert account.email == NEW_EMAIL


# undoing a change


def test_the_undo_link_brings_the_old_address_back_and_throws_everyone_out(work, account):
    undo_token = changed(work, account)
    logins = [with_a_log_in_and_a_reset(work, account) for _ in range(2)]
    reset_token = events(work, "password_reset_requested")[-1]["reset_token"]
    change_token = ask_change(work, account, "mallory@example.org")
    later = NOW + timedelta(hours=1)
    confirm(work, undo_token, later)
    assert (account.email, account.email_confirmed_at) == (EMAIL, later)
    assert can_log_in(work, EMAIL) and not can_log_in(work, NEW_EMAIL)
    assert not any(login_sessions.is_active(work.session, login.id, later) for login in logins)
    assert unused(work, EmailConfirmation) == unused(work, PasswordReset) == []
    refused(work, change_token, later)
    with pytest.raises(Invalid):
        password_resets.reset_password(
            work.session, work.emit, token=reset_token, password="a brand new one", now=later
        )
    work.rollback()
    account_changed = events(work, "account_changed")
    assert [e["email"] for e in account_changed] == [NEW_EMAIL, EMAIL]
    assert account_changed[-1] == {
        **accounts.account_event(account),
        "event_id": account_changed[-1]["event_id"],
        "occurred_at": NOW.isoformat(),
    }
    assert len(events(work, "email_changed")) == 1, "an undo sends no new notice"
    refused(work, undo_token, later)


def test_the_undo_link_lasts_a_week(work, account):
    undo_token = changed(work, account)
    refused(work, undo_token, NOW + timedelta(days=7))
    confirm(work, undo_token, NOW + timedelta(days=7) - timedelta(seconds=1))
    assert account.email == EMAIL


def twice_changed(work: UnitOfWork, account: Account) -> tuple[str, str]:
    """The address changed to B, then a minute later to C; the undo links sent to the
    original address and to B."""
    to_original = changed(work, account, NOW)
    a_minute_later = NOW + timedelta(minutes=1)
    confirm(work, ask_change(work, account, "c@example.org", at=a_minute_later), a_minute_later)
    return to_original, events(work, "email_changed")[-1]["undo_token"]


def test_undoing_an_earlier_change_ends_the_way_back_to_a_later_address(work, account):
    """The link sent to the original address undoes both changes: the link sent to B, which
    whoever made them holds, stops working."""
    to_original, to_b = twice_changed(work, account)
    confirm(work, to_original, NOW + timedelta(minutes=2))
    assert account.email == EMAIL
    refused(work, to_b, NOW + timedelta(minutes=3))


def test_undoing_a_later_change_keeps_the_way_back_to_the_original_address(work, account):
    """The link sent to B undoes only the second change: the link sent to the original
    address still brings it back (whoever changed the address cannot cancel it so)."""
    to_original, to_b = twice_changed(work, account)
    confirm(work, to_b, NOW + timedelta(minutes=2))
    assert account.email == NEW_EMAIL
    confirm(work, to_original, NOW + timedelta(minutes=3))
    assert account.email == EMAIL


def test_an_old_address_taken_meanwhile_is_a_conflict_and_the_undo_link_still_works(work, account):
    undo_token = changed(work, account)
    refused_until_freed(work, undo_token, sign_up(work, EMAIL, "Bea"))
    confirm(work, undo_token)
    assert account.email == EMAIL


# what the member sees


def test_the_account_shows_whether_its_address_is_confirmed(work, account):
    assert AccountSchema().dump(account)["email_confirmed"] is False
    confirm(work, last_link(work))
    assert AccountSchema().dump(account)["email_confirmed"] is True
    assert AccountSchema().fields["email_confirmed"].dump_only
    assert AccountSchema().fields["email_confirmed"].metadata["description"]


# the entrypoints


@pytest.fixture
def unit(work, monkeypatch):
    monkeypatch.setattr(service_module.clock, "now", lambda: NOW)
    return work


def worker(unit, caller=None):
    return worker_factory(ProfilesService, db=unit, caller=caller or Caller())


def caller_of(account: Account) -> Caller:
    return Caller(account.id, frozenset(account.roles))


def test_the_entrypoints_confirm_resend_and_change(unit):
    anonymous = worker(unit)
    created = anonymous.sign_up(email=EMAIL, password=PASSWORD, name="Ana", roles=["client"])
    assert created["email_confirmed"] is False
    account = unit.session.get(Account, created["id"])
    me = worker(unit, caller_of(account))
    assert me.resend_email_confirmation() == {}
    assert [e["purpose"] for e in events(unit, "email_confirmation_requested")] == ["sign_up"] * 2
    assert anonymous.confirm_email(token=last_link(unit)) == {}
    assert me.get_me()["email_confirmed"] is True
    assert me.resend_email_confirmation() == {}
    assert len(events(unit, "email_confirmation_requested")) == 2, "confirmed: nothing sent"
    assert me.request_email_change(email=NEW_EMAIL, current_password=PASSWORD) == {}
    assert me.get_me()["email"] == EMAIL
    assert anonymous.confirm_email(token=last_link(unit)) == {}
    assert (me.get_me()["email"], me.get_me()["email_confirmed"]) == (NEW_EMAIL, True)
    assert anonymous.log_in(email=NEW_EMAIL, password=PASSWORD)["access_token"]
    undo_token = events(unit, "email_changed")[-1]["undo_token"]
    assert anonymous.confirm_email(token=undo_token) == {}
    assert me.get_me()["email"] == EMAIL
    assert anonymous.log_in(email=EMAIL, password=PASSWORD)["access_token"]
    with pytest.raises(Unauthorized):
        anonymous.log_in(email=NEW_EMAIL, password=PASSWORD)


def test_the_entrypoints_refuse_with_every_field_named(unit, account):
    anonymous = worker(unit)
    me = worker(unit, caller_of(account))
    with pytest.raises(Invalid) as raised:
        anonymous.confirm_email(token="", email=EMAIL)
    assert set(raised.value.errors) == {"token", "email"}
    with pytest.raises(Invalid) as raised:
        anonymous.confirm_email(token="never-issued-token")
    assert raised.value.errors == NOT_VALID
    with pytest.raises(Invalid) as raised:
        me.request_email_change(email="not an address", password=PASSWORD)
    assert set(raised.value.errors) == {"email", "current_password", "password"}
    with pytest.raises(Invalid) as raised:
        me.request_email_change(email=NEW_EMAIL, current_password="not my password")
    assert raised.value.errors == {"current_password": ["Wrong password."]}
    sign_up(unit, "bea@example.org", "Bea")
    with pytest.raises(Conflict) as raised:
        me.request_email_change(email="bea@example.org", current_password=PASSWORD)
    assert raised.value.errors == TAKEN
    assert len(events(unit, "email_confirmation_requested")) == 2, "the two sign-ups' only"


def test_the_signed_in_entrypoints_need_an_open_account(unit, account):
    anonymous = worker(unit)
    with pytest.raises(Unauthorized):
        anonymous.resend_email_confirmation()
    with pytest.raises(Unauthorized):
        anonymous.request_email_change(email=NEW_EMAIL, current_password=PASSWORD)
    account.closed_at = NOW
    unit.commit()
    closed = worker(unit, caller_of(account))
    with pytest.raises(Unauthorized, match="This account is closed."):
        closed.resend_email_confirmation()
    with pytest.raises(Unauthorized, match="This account is closed."):
        closed.request_email_change(email=NEW_EMAIL, current_password=PASSWORD)
    assert len(events(unit, "email_confirmation_requested")) == 1


def test_the_events_carrying_tokens_leave_the_outbox_once_published():
    assert {"email_confirmation_requested", "email_changed"} <= (
        ProfilesService.db.forget_once_published
    )


def test_links_go_a_week_after_they_expired_with_the_addresses_they_went_to(work, account):
    password_resets.request_reset(work.session, work.emit, email=EMAIL, now=NOW)
    work.commit()

    def kept() -> tuple[int, int]:
        return (
            len(work.session.scalars(select(PasswordReset)).all()),
            len(work.session.scalars(select(EmailConfirmation)).all()),
        )

    assert kept() == (1, 1)
    # the reset expired after an hour, the sign-up link after 48 hours
    assert emailed_links.forget_expired(work.session, NOW + timedelta(days=7, minutes=59)) == 0
    assert emailed_links.forget_expired(work.session, NOW + timedelta(days=7, hours=2)) == 1
    assert kept() == (0, 1)
    assert emailed_links.forget_expired(work.session, NOW + timedelta(days=9, hours=1)) == 1
    assert kept() == (0, 0)
