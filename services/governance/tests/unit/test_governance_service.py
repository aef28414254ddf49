"""The nameko entrypoints with a real database: authorization, the feeds, the timetable.

Dependencies are injected with nameko's `worker_factory`; the database is an in-memory
SQLite behind the plumbing's `UnitOfWork`, so commits and the outbox are real.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from database_rows import every_row
from loconomics_governance import service as governance
from loconomics_governance.models import Base, Departure, Member, PatronageRecord
from loconomics_governance.settings import GovernanceSettings, SettingError
from loconomics_plumbing import clock
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import OUTBOX
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.testing.services import worker_factory
from sqlalchemy import select

ADMIN = Caller("board-1", frozenset({"admin"}))


@pytest.fixture
def as_caller(unit):
    def service(caller: Caller = ADMIN):
        return worker_factory(governance.GovernanceService, db=unit, caller=caller)

    return service


@pytest.fixture
def clock_file(tmp_path, monkeypatch):
    path = tmp_path / "clock"
    monkeypatch.setenv("LOCONOMICS_CLOCK_FILE", str(path))
    return str(path)


def member(user_id: str) -> Caller:
    return Caller(user_id, frozenset({"professional"}))


def outbox(unit) -> list[tuple[str, dict]]:
    table = Base.metadata.tables[OUTBOX]
    rows = unit.session.execute(select(table.c.event_type, table.c.payload)).all()
    return [(event_type, json.loads(payload)) for event_type, payload in rows]


def enrol(as_caller, *user_ids: str) -> None:
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    for user_id in user_ids:
        as_caller().record_member_status(
            external_id=user_id, status="active", occurred_at=since, name=user_id.title()
        )


def test_only_an_administrator_caller_feeds_the_register(as_caller, unit):
    report = {"external_id": "acc-1", "status": "active", "occurred_at": "2025-01-01T00:00:00Z"}
    with pytest.raises(Forbidden):
        as_caller(member("acc-1")).record_member_status(**report)
    recorded = as_caller().record_member_status(**report)
    assert recorded["status"] == "active" and recorded["changed"] is True
    assert [name for name, _ in outbox(unit)] == ["member_status_changed"]
    with pytest.raises(Invalid) as refused:
        as_caller().record_member_status(**{**report, "status": "honorary"})
    assert "status" in refused.value.errors


def test_a_proposal_through_the_entrypoints_and_the_timer(as_caller, unit, clock_file):
    enrol(as_caller, "acc-1", "acc-2", "acc-3")
    now = clock.now()
    with pytest.raises(Forbidden):
        as_caller(Caller("outsider", frozenset({"client"}))).create_proposal(
            title="Paint it red", kind="ordinary"
        )
    proposal = as_caller(member("acc-1")).create_proposal(
        title="Adopt the budget",
        kind="ordinary",
        opens_at=(now + timedelta(minutes=1)).isoformat(),
        closes_at=(now + timedelta(days=1)).isoformat(),
    )
    pid = proposal["proposal_id"]
    assert proposal["status"] == "scheduled" and proposal["tally"] is None

    clock.move_clock(clock_file, timedelta(minutes=2))
    as_caller().keep_timetable()
    receipts = [
        as_caller(member(user)).cast_vote(proposal_id=pid, choice=choice)["receipt"]
        for user, choice in (("acc-1", "yes"), ("acc-2", "yes"), ("acc-3", "no"))
    ]
    with pytest.raises(Conflict):
        as_caller(member("acc-1")).cast_vote(proposal_id=pid, choice="no")
    seen_open = as_caller(member("acc-2")).get_proposal(proposal_id=pid)
    assert seen_open["status"] == "open" and seen_open["tally"] is None
    with pytest.raises(Conflict):
        as_caller(member("acc-2")).proposal_ballots(proposal_id=pid)

    clock.move_clock(clock_file, timedelta(days=2))
    run = as_caller().run_timetable()
    assert run["closed"]["proposals_closed"] == [pid]
    closed = as_caller(member("acc-2")).get_proposal(proposal_id=pid)
    assert closed["outcome"] == "passed"
    assert closed["tally"] == {
        "yes": 2, "no": 1, "abstain": 0, "votes_cast": 3, "roll_size": 3, "quorum_met": True
    }  # fmt: skip
    published = as_caller(member("acc-3")).proposal_ballots(proposal_id=pid)
    assert sorted(b["receipt"] for b in published["ballots"]) == sorted(receipts)
    events = [name for name, _ in outbox(unit)]
    assert {"proposal_created", "proposal_opened", "proposal_closed"} <= set(events)
    with pytest.raises(Forbidden):
        as_caller(member("acc-1")).run_timetable()


def billing_event(event_id: str, **fields) -> dict:
    return {"event_id": event_id, "occurred_at": "2025-05-01T10:00:00+00:00", **fields}


def test_loconomics_events_feed_the_register_and_patronage_once_each(as_caller, unit):
    svc = as_caller(Caller())
    svc.on_account_created(
        billing_event("ev-0", account_id="acc-7", name="Rosa Parks", email="rosa@example.org")
    )
    change = billing_event(
        "ev-1",
        user_id="acc-7",
        **{"from": "trial", "to": "active"},
        plan_id="owner-monthly",
        reason="paid",
        changed_at="2025-05-01T09:59:00+00:00",
    )
    svc.on_owner_status_changed(change)
    svc.on_owner_status_changed(change)
    member_row = unit.session.scalars(select(Member)).one()
    assert (member_row.external_id, member_row.status, member_row.name) == (
        "acc-7", "active", "Rosa Parks"
    )  # fmt: skip
    assert [name for name, _ in outbox(unit)] == ["member_status_changed"]

    dues = billing_event(
        "ev-2",
        user_id="acc-7",
        invoice_id="in_1",
        amount_cents=2500,
        currency="USD",
        paid_at="2025-05-01T09:00:00+00:00",
        fiscal_year=2025,
    )
    svc.on_dues_paid(dues)
    svc.on_dues_paid({**dues, "event_id": "ev-2-redelivered-by-billing"})
    svc.on_booking_completed(
        billing_event("ev-3", booking_id="bk-1", professional_id="acc-7", client_id="acc-8")
    )
    records = unit.session.scalars(select(PatronageRecord)).all()
    assert sorted((r.dues_cents, r.completed_bookings) for r in records) == [(0, 1), (2500, 0)]
    mine = as_caller(member("acc-7")).my_patronage()
    assert mine["years"][0]["points"] == "35"


def account_event(event_id: str, at: str, name: str) -> dict:
    return {
        "event_id": event_id,
        "occurred_at": at,
        "account_id": "acc-7",
        "name": name,
        "email": "rosa@example.org",
    }


def test_a_renamed_account_renames_its_member_and_an_older_word_changes_nothing(as_caller, unit):
    svc = as_caller(Caller())
    svc.on_account_created(account_event("ev-0", "2025-05-01T09:00:00+00:00", "Rosa P."))
    svc.on_owner_status_changed(
        billing_event(
            "ev-1",
            user_id="acc-7",
            **{"from": "trial", "to": "active"},
            plan_id="owner-monthly",
            reason="paid",
            changed_at="2025-05-01T09:59:00+00:00",
        )
    )
    svc.on_account_changed(account_event("ev-2", "2025-05-02T09:00:00+00:00", "Rosa Parks"))
    assert unit.session.scalars(select(Member)).one().name == "Rosa Parks"
    # A rename that happened before the one kept, delivered late (the queues are not ordered
    # with each other), leaves the newer name.
    svc.on_account_changed(account_event("ev-3", "2025-05-01T12:00:00+00:00", "R. Parks"))
    assert unit.session.scalars(select(Member)).one().name == "Rosa Parks"
    # A time with no offset cannot be ordered: the event is dropped (logged), not applied.
    svc.on_account_changed(account_event("ev-4", "2025-05-03T09:00:00", "Naive Time"))
    assert unit.session.scalars(select(Member)).one().name == "Rosa Parks"


def test_an_incomplete_platform_event_is_dropped_not_applied(as_caller, unit):
    as_caller(Caller()).on_owner_status_changed(billing_event("ev-9", user_id="acc-1"))
    assert unit.session.scalars(select(Member)).all() == []


def test_the_feeds_are_configuration():
    def entrypoints(mixins):
        return {
            name
            for mixin in mixins
            for name, attr in vars(mixin).items()
            if getattr(attr, ENTRYPOINT_EXTENSIONS_ATTR, None)
        }

    alone = GovernanceSettings.from_env({"GOVERNANCE_PLATFORM_MAPPING": "none"})
    assert governance.feeds(alone) == ()
    loconomics = GovernanceSettings.from_env({})
    assert entrypoints(governance.feeds(loconomics)) == {
        "on_owner_status_changed",
        "on_dues_paid",
        "on_booking_completed",
        "on_account_created",
        "on_account_changed",
        "on_account_closed",
    }
    other = GovernanceSettings.from_env(
        {"GOVERNANCE_PLATFORM_MAPPING": "none", "GOVERNANCE_MEMBER_EVENTS_FROM": "crm, ledger"}
    )
    assert entrypoints(governance.feeds(other)) == {
        "on_member_status_changed_from_crm",
        "on_member_status_changed_from_ledger",
        "on_member_departed_from_crm",
        "on_member_departed_from_ledger",
    }
    [handler] = getattr(
        governance.feeds(other)[0].on_member_status_changed_from_crm, ENTRYPOINT_EXTENSIONS_ATTR
    )
    assert (handler.source_service, handler.event_type) == ("crm", "member_status_changed")


def test_member_status_changed_events_from_another_system(as_caller, unit):
    mixin = governance.member_events_feed("crm")
    feed = mixin.on_member_status_changed_from_crm
    svc = as_caller(Caller())
    event = {
        "event_id": "crm-1",
        "occurred_at": "2025-02-01T00:00:00+00:00",
        "external_id": "m-42",
        "status": "active",
        "name": "Ada",
        "shoe_size": 43,
    }
    feed(svc, event)
    feed(svc, {**event, "event_id": "crm-2", "status": "suspended",
               "status_since": "2025-01-15T00:00:00+00:00"})  # fmt: skip
    feed(svc, {"event_id": "crm-3", "external_id": "m-43", "status": "emeritus"})
    row = unit.session.scalars(select(Member)).one()
    assert (row.external_id, row.status, row.name) == ("m-42", "active", "Ada")
    history = as_caller().get_member(external_id="m-42")["history"]
    assert [(h["status"], h["applied"]) for h in history] == [
        ("suspended", False), ("active", True)
    ]  # fmt: skip


def everything_stored(unit) -> str:
    """Every row of every table, as text: what a search for personal data would find."""
    return every_row(unit.session, Base.metadata)


def test_a_closed_account_is_forgotten_and_stays_forgotten(as_caller, unit):
    svc = as_caller(Caller())
    svc.on_account_created(account_event("ev-0", "2025-05-01T09:00:00+00:00", "Rosa Parks"))
    active = billing_event(
        "ev-1",
        user_id="acc-7",
        **{"from": "trial", "to": "active"},
        plan_id="owner-monthly",
        reason="paid",
        changed_at="2025-05-01T09:59:00+00:00",
    )
    svc.on_owner_status_changed(active)
    svc.on_dues_paid(
        billing_event(
            "ev-2",
            user_id="acc-7",
            invoice_id="in_1",
            amount_cents=2500,
            currency="USD",
            paid_at="2025-05-01T09:00:00+00:00",
        )
    )
    closed = {
        "event_id": "ev-3",
        "occurred_at": "2025-06-01T10:00:01+00:00",
        "account_id": "acc-7",
        "closed_at": "2025-06-01T12:00:00+02:00",
        "roles": ["professional"],
        "email": "rosa@example.org",
        "name": "Rosa Parks",
        "language": "fr",
    }
    svc.on_account_closed(closed)

    row = unit.session.scalars(select(Member)).one()
    assert (row.name, row.email, row.status) == ("Rosa Parks", None, "withdrawn")
    assert row.status_since == datetime(2025, 6, 1, 10, tzinfo=UTC)
    assert "rosa@example.org" not in everything_stored(unit)
    assert outbox(unit)[-1][0] == "member_status_changed"
    assert outbox(unit)[-1][1]["status"] == "withdrawn"
    events_so_far = len(outbox(unit))

    # Late, older words from profiles and billing; the redelivered closure; billing's own
    # cancellation, made after the closure: none brings anything back.
    svc.on_account_changed(account_event("ev-4", "2025-05-20T09:00:00+00:00", "Rosa P."))
    svc.on_account_created(account_event("ev-0-again", "2025-05-01T09:00:00+00:00", "Rosa"))
    svc.on_owner_status_changed({**active, "event_id": "ev-1-late"})
    svc.on_account_closed(closed)
    svc.on_owner_status_changed(
        billing_event(
            "ev-5",
            user_id="acc-7",
            **{"from": "active", "to": "cancelled"},
            reason="account_closed",
            changed_at="2025-06-01T10:00:03+00:00",
        )
    )

    row = unit.session.scalars(select(Member)).one()
    assert (row.name, row.email, row.status) == ("Rosa Parks", None, "withdrawn")
    assert "rosa@example.org" not in everything_stored(unit)
    assert len(outbox(unit)) == events_so_far
    assert unit.session.scalars(select(PatronageRecord)).one().dues_cents == 2500
    history = as_caller().get_member(external_id="acc-7")["history"]
    assert [(h["status"], h["applied"]) for h in history] == [
        ("active", True), ("active", False), ("withdrawn", True)
    ]  # fmt: skip


@pytest.mark.parametrize(
    "bad",
    [
        {"account_id": None},
        {"closed_at": "2025-06-01T12:00:00"},
        {"closed_at": "soon"},
    ],
)
def test_a_malformed_account_closed_is_dropped(as_caller, unit, bad):
    svc = as_caller(Caller())
    svc.on_account_created(account_event("ev-0", "2025-05-01T09:00:00+00:00", "Rosa Parks"))
    closed = {
        "event_id": "ev-3",
        "occurred_at": "2025-06-01T10:00:01+00:00",
        "account_id": "acc-7",
        "closed_at": "2025-06-01T12:00:00+02:00",
    }

    svc.on_account_closed({**closed, **bad})

    assert unit.session.scalars(select(Departure)).all() == []


def test_the_departure_contract_without_the_loconomics_mapping(as_caller, unit):
    as_caller().record_member_status(
        external_id="m-42",
        status="active",
        occurred_at="2025-01-01T00:00:00+00:00",
        name="Ada",
        email="ada@example.org",
    )
    departure = {"external_id": "m-42", "left_at": "2025-02-01T00:00:00+00:00"}
    with pytest.raises(Forbidden):
        as_caller(member("m-42")).record_departure(**departure)
    with pytest.raises(Invalid) as refused:
        as_caller().record_departure(external_id="m-42", left_at="2025-02-01T00:00:00")
    assert "left_at" in refused.value.errors

    left = as_caller().record_departure(**departure, source_event_id="crm-left-1")
    again = as_caller().record_departure(**departure, source_event_id="crm-left-1")

    assert (left["recorded"], again["recorded"]) == (True, False)
    assert (left["member"]["name"], left["member"]["email"]) == ("Ada", None)
    assert left["member"]["status"] == "withdrawn"
    assert left["left_at"] == "2025-02-01T00:00:00+00:00"

    feed = governance.member_events_feed("crm")
    svc = as_caller(Caller())
    feed.on_member_status_changed_from_crm(
        svc,
        {"event_id": "crm-1", "external_id": "m-43", "status": "active",
         "status_since": "2025-01-01T00:00:00+00:00", "email": "bo@example.org"},
    )  # fmt: skip
    feed.on_member_departed_from_crm(
        svc,
        {"event_id": "crm-2", "occurred_at": "2025-03-01T00:00:00+00:00", "external_id": "m-43"},
    )
    feed.on_member_departed_from_crm(svc, {"event_id": "crm-3", "external_id": "m-44"})
    row = unit.session.scalars(select(Member).where(Member.external_id == "m-43")).one()
    assert (row.status, row.email) == ("withdrawn", None)
    assert row.status_since == datetime(2025, 3, 1, tzinfo=UTC)
    assert unit.session.get(Departure, "m-44") is None


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"GOVERNANCE_PLATFORM_MAPPING": "acme"}, "GOVERNANCE_PLATFORM_MAPPING"),
        ({"GOVERNANCE_MEMBER_EVENTS_FROM": "governance"}, "GOVERNANCE_MEMBER_EVENTS_FROM"),
        ({"GOVERNANCE_QUORUM_PERCENT": "120"}, "GOVERNANCE_QUORUM_PERCENT"),
        ({"GOVERNANCE_MINIMUM_CASH_PERCENT": "lots"}, "GOVERNANCE_MINIMUM_CASH_PERCENT"),
        ({"GOVERNANCE_FISCAL_TIME_ZONE": "Mars/Olympus"}, "GOVERNANCE_FISCAL_TIME_ZONE"),
        ({"GOVERNANCE_CURRENCY": "usd"}, "GOVERNANCE_CURRENCY"),
    ],
)
def test_a_bad_setting_names_its_variable(env, name):
    with pytest.raises(SettingError, match=name):
        GovernanceSettings.from_env(env)


def test_the_bylaws_numbers_come_from_the_environment():
    settings = GovernanceSettings.from_env(
        {
            "GOVERNANCE_QUORUM_PERCENT": "25",
            "GOVERNANCE_MINIMUM_CASH_PERCENT": "30",
            "GOVERNANCE_POINTS_PER_COMPLETED_BOOKING": "2.5",
            "GOVERNANCE_FISCAL_YEAR_START_MONTH": "7",
            "GOVERNANCE_FISCAL_TIME_ZONE": "America/Los_Angeles",
            "GOVERNANCE_TIMETABLE_SECONDS": "5",
        }
    )
    policy = settings.policy
    assert (policy.quorum_percent, policy.minimum_cash_percent) == (25, 30)
    assert str(policy.points_per_completed_booking) == "2.5"
    assert (policy.fiscal_year_start_month, policy.fiscal_time_zone) == (7, "America/Los_Angeles")
    assert settings.timetable_seconds == 5.0
