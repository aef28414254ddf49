"""A member's copy of what governance keeps about them (docs/data-export.md): every section
with the member's own rows and nobody else's, no ballot content, empty sections for someone
governance never heard of, and every table of the database accounted for."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from loconomics_governance import service as governance
from loconomics_governance.domain import elections, member_data, patronage, proposals, timetable
from loconomics_governance.domain.contacts import remember_contact
from loconomics_governance.domain.departures import record_departure
from loconomics_governance.domain.members import record_member_status
from loconomics_governance.models import (
    Base,
    Candidate,
    ElectionBallot,
    Member,
    PatronageShare,
    ProposalVote,
    RollEntry,
)
from loconomics_governance.schemas import MemberDataSchema
from loconomics_plumbing.errors import Invalid, Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.member_data import unaccounted_tables
from loconomics_plumbing.storage import OUTBOX, PROCESSED
from nameko.testing.services import worker_factory
from sqlalchemy import select

SECTIONS = (
    "member",
    "member_status_changes",
    "contact",
    "departure",
    "roll_entries",
    "proposals",
    "candidacies",
    "patronage_records",
    "patronage_allocations",
    "patronage_shares",
)
BUSINESS_YEAR = datetime(2024, 6, 1, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def exported(session, user_id: str) -> dict:
    """The part as it crosses the wire: dumped by its schema, through JSON."""
    export = member_data.export_member_data(session, Caller(user_id, frozenset({"client"})))
    return json.loads(json.dumps(MemberDataSchema().dump(export)))


def records(part: dict, section: str) -> list[dict]:
    return part["sections"][section]["records"]


def member_row(session, external_id: str) -> Member:
    return session.scalars(select(Member).where(Member.external_id == external_id)).one()


@pytest.fixture
def cooperative(session, emit, t0, admin, as_member) -> dict:
    """Ada and Bob with a row in every table a member has rows in; Cleo votes too.

    Ada and Bob each put a proposal forward, stand, vote on everything and rank each other;
    the board shares a surplus by patronage, the members approve it, everything is counted.
    """
    # Cleo was a member before the others and voted alone on a motion of her own.
    early = t0 - timedelta(days=50)
    record_member_status(session, emit, "cleo", "active", early, name="Cleo", now=early)
    cleos = proposals.create_proposal(
        session,
        emit,
        as_member("cleo"),
        "Cleo's early motion",
        "",
        "ordinary",
        opens_at=early + timedelta(days=4),
        closes_at=early + timedelta(days=5),
        now=early,
    )["proposal_id"]
    timetable.open_due(session, emit, now=early + timedelta(days=4))
    proposals.cast_vote(session, as_member("cleo"), cleos, "yes", now=early + timedelta(days=4))
    timetable.close_due(session, emit, now=early + timedelta(days=5))

    for user, name in (("ada", "Ada Lovelace"), ("bob", "Bob Marley"), ("cleo", "Cleo Sol")):
        record_member_status(
            session,
            emit,
            user,
            "applicant",
            t0 - timedelta(days=40),
            source_event_id=f"crm-{user}-0",
            now=t0 - timedelta(days=40),
        )
        record_member_status(
            session,
            emit,
            user,
            "active",
            t0 - timedelta(days=30),
            name=name,
            email=f"{user}@example.org",
            source_event_id=f"crm-{user}-1",
            now=t0 - timedelta(days=29),
        )
    remember_contact(session, "ada", "Ada L.", "ada.l@example.org", now=t0 - timedelta(days=20))
    remember_contact(session, "bob", "Bob M.", "bob.m@example.org", now=t0 - timedelta(days=20))

    closes = t0 + timedelta(days=2)
    motions = {
        user: proposals.create_proposal(
            session,
            emit,
            as_member(user),
            f"{user.title()}'s motion",
            f"Why {user} asks",
            "ordinary",
            opens_at=t0 + timedelta(minutes=minutes),
            closes_at=closes,
            now=t0,
        )["proposal_id"]
        for user, minutes in (("ada", 60), ("bob", 90))
    }
    election = elections.create_election(
        session,
        emit,
        admin,
        "Board of directors 2026",
        2,
        opens_at=t0 + timedelta(days=1),
        closes_at=t0 + timedelta(days=3),
        now=t0,
    )["election_id"]
    candidates = {
        user: elections.nominate(
            session, emit, as_member(user), election, f"{user} will serve", now=t0
        )["candidate_id"]
        for user in ("ada", "bob", "cleo")
    }
    for user, dues in (("ada", 2500), ("bob", 7500)):
        patronage.record_patronage(
            session, user, BUSINESS_YEAR, f"dues_paid:inv-{user}", dues_cents=dues, now=t0
        )
    patronage.record_patronage(
        session, "ada", BUSINESS_YEAR, "booking_completed:bk-ada", completed_bookings=1, now=t0
    )
    allocation = patronage.propose_allocation(
        session,
        emit,
        admin,
        2024,
        10_000,
        25,
        opens_at=t0 + timedelta(hours=2),
        closes_at=closes,
        now=t0,
    )

    patronage.record_patronage(
        session,
        "bob",
        BUSINESS_YEAR.replace(year=2023),
        "dues_paid:inv-bob-0",
        dues_cents=100,
        now=t0,
    )
    bobs_year = patronage.propose_allocation(
        session,
        emit,
        admin,
        2023,
        500,
        20,
        opens_at=t0 + timedelta(days=30),
        closes_at=t0 + timedelta(days=40),
        now=t0,
    )["allocation_id"]
    draft = proposals.create_proposal(
        session, emit, as_member("ada"), "Ada's draft", "", "special", now=t0 + timedelta(hours=1)
    )["proposal_id"]

    timetable.open_due(session, emit, now=t0 + timedelta(days=1))
    voted = t0 + timedelta(days=1, hours=1)
    receipts = {}
    for user, choice in (("ada", "yes"), ("bob", "no"), ("cleo", "abstain")):
        receipts[user, "motion"] = proposals.cast_vote(
            session, as_member(user), motions["ada"], choice, now=voted
        )["receipt"]
        proposals.cast_vote(session, as_member(user), allocation["proposal_id"], "yes", now=voted)
    receipts["ada", "ballot"] = elections.cast_ballot(
        session, as_member("ada"), election, [candidates["bob"], candidates["cleo"]], now=voted
    )["receipt"]
    receipts["bob", "ballot"] = elections.cast_ballot(
        session, as_member("bob"), election, [candidates["ada"]], now=voted
    )["receipt"]
    timetable.close_due(session, emit, now=t0 + timedelta(days=4))
    session.flush()
    return {
        "cleos_motion": cleos,
        "draft": draft,
        "bobs_year": bobs_year,
        "motions": motions,
        "election": election,
        "candidates": candidates,
        "allocation": allocation["allocation_id"],
        "allocation_proposal": allocation["proposal_id"],
        "receipts": receipts,
        "voted": voted,
    }


def test_a_member_gets_each_of_their_rows_with_its_values(session, t0, cooperative):
    part = exported(session, "ada")
    ada = member_row(session, "ada")

    assert part["service"] == "governance"
    assert list(part["sections"]) == list(SECTIONS)
    assert all(part["sections"][name]["about"] for name in SECTIONS)
    assert records(part, "member") == [
        {
            "member_id": ada.id,
            "external_id": "ada",
            "name": "Ada L.",
            "email": "ada.l@example.org",
            "status": "active",
            "in_good_standing": True,
            "status_since": iso(t0 - timedelta(days=30)),
            "joined_at": iso(t0 - timedelta(days=30)),
            "reported_at": iso(t0 - timedelta(days=30)),
            "created_at": iso(t0 - timedelta(days=40)),
            "updated_at": iso(t0 - timedelta(days=29)),
        }
    ]
    assert records(part, "member_status_changes") == [
        {
            "status": "applicant",
            "occurred_at": iso(t0 - timedelta(days=40)),
            "recorded_at": iso(t0 - timedelta(days=40)),
            "applied": True,
            "source_event_id": "crm-ada-0",
        },
        {
            "status": "active",
            "occurred_at": iso(t0 - timedelta(days=30)),
            "recorded_at": iso(t0 - timedelta(days=29)),
            "applied": True,
            "source_event_id": "crm-ada-1",
        },
    ]
    assert records(part, "contact") == [
        {
            "name": "Ada L.",
            "email": "ada.l@example.org",
            "updated_at": iso(t0 - timedelta(days=20)),
        }
    ]
    assert records(part, "departure") == []

    voted = iso(cooperative["voted"])
    assert records(part, "roll_entries") == [
        {
            "ballot_kind": "proposal",
            "ballot_id": cooperative["motions"]["ada"],
            "title": "Ada's motion",
            "roll_as_of": iso(t0 + timedelta(hours=1)),
            "voted": True,
            "voted_at": voted,
        },
        {
            "ballot_kind": "proposal",
            "ballot_id": cooperative["motions"]["bob"],
            "title": "Bob's motion",
            "roll_as_of": iso(t0 + timedelta(minutes=90)),
            "voted": False,
            "voted_at": None,
        },
        {
            "ballot_kind": "proposal",
            "ballot_id": cooperative["allocation_proposal"],
            "title": "Patronage allocation for fiscal year 2024",
            "roll_as_of": iso(t0 + timedelta(hours=2)),
            "voted": True,
            "voted_at": voted,
        },
        {
            "ballot_kind": "election",
            "ballot_id": cooperative["election"],
            "title": "Board of directors 2026",
            "roll_as_of": iso(t0 + timedelta(days=1)),
            "voted": True,
            "voted_at": voted,
        },
    ]
    assert records(part, "proposals") == [
        {
            "proposal_id": cooperative["motions"]["ada"],
            "title": "Ada's motion",
            "body": "Why ada asks",
            "kind": "ordinary",
            "status": "closed",
            "quorum_percent": 10,
            "opens_at": iso(t0 + timedelta(hours=1)),
            "closes_at": iso(t0 + timedelta(days=2)),
            "created_at": iso(t0),
            "opened_at": iso(t0 + timedelta(days=1)),
            "closed_at": iso(t0 + timedelta(days=4)),
            "roll_size": 3,
            "outcome": "rejected",
            "yes_votes": 1,
            "no_votes": 1,
            "abstentions": 1,
        },
        {
            "proposal_id": cooperative["draft"],
            "title": "Ada's draft",
            "body": "",
            "kind": "special",
            "status": "draft",
            "quorum_percent": 10,
            "opens_at": None,
            "closes_at": None,
            "created_at": iso(t0 + timedelta(hours=1)),
            "opened_at": None,
            "closed_at": None,
            "roll_size": None,
            "outcome": None,
            "yes_votes": None,
            "no_votes": None,
            "abstentions": None,
        },
    ]
    candidacy = session.get(Candidate, cooperative["candidates"]["ada"])
    assert records(part, "candidacies") == [
        {
            "candidate_id": cooperative["candidates"]["ada"],
            "election_id": cooperative["election"],
            "election_title": "Board of directors 2026",
            "name": "Ada L.",
            "statement": "ada will serve",
            "status": candidacy.status,
            "nominated_at": iso(t0),
        }
    ]
    assert candidacy.status in ("elected", "not_elected")
    assert records(part, "patronage_records") == [
        {
            "fiscal_year": 2024,
            "dues_cents": dues,
            "currency": "USD",
            "completed_bookings": bookings,
            "occurred_at": iso(BUSINESS_YEAR),
            "recorded_at": iso(t0),
            "source_event_id": source,
        }
        for source, dues, bookings in sorted(
            [("booking_completed:bk-ada", 0, 1), ("dues_paid:inv-ada", 2500, 0)]
        )
    ]
    assert records(part, "patronage_allocations") == [
        {
            "allocation_id": cooperative["allocation"],
            "fiscal_year": 2024,
            "status": "approved",
            "surplus_cents": 10_000,
            "currency": "USD",
            "cash_percent": 25,
            "proposal_id": cooperative["allocation_proposal"],
            "basis": {"points_per_dues_dollar": "1", "points_per_completed_booking": "10"},
            "created_by": "admin-1",
            "created_at": iso(t0),
            "decided_at": iso(t0 + timedelta(days=4)),
        }
    ]
    share = session.scalars(select(PatronageShare).where(PatronageShare.external_id == "ada")).one()
    assert records(part, "patronage_shares") == [
        {
            "allocation_id": cooperative["allocation"],
            "fiscal_year": 2024,
            "points": "35",
            "amount_cents": share.amount_cents,
            "cash_cents": share.cash_cents,
            "retained_cents": share.retained_cents,
            "currency": "USD",
        }
    ]
    # Ada's 35 points of 110: 3182 cents of the 10000, a quarter of it (rounded up) in cash.
    assert (share.amount_cents, share.cash_cents, share.retained_cents) == (3182, 796, 2386)


def test_another_members_rows_never_appear(session, cooperative):
    part = exported(session, "ada")
    text = json.dumps(part)
    bob = member_row(session, "bob")

    for value in (
        bob.id,
        "bob@example.org",
        "bob.m@example.org",
        "Bob M.",
        "crm-bob",
        "bob will serve",
        "Why bob asks",
        "dues_paid:inv-bob",
        cooperative["candidates"]["bob"],
        cooperative["candidates"]["cleo"],
        cooperative["cleos_motion"],
        cooperative["bobs_year"],
    ):
        assert value not in text, value
    assert [p["proposal_id"] for p in records(part, "proposals")] == [
        cooperative["motions"]["ada"],
        cooperative["draft"],
    ]
    assert [a["allocation_id"] for a in records(part, "patronage_allocations")] == [
        cooperative["allocation"]
    ]
    assert {r["external_id"] for r in records(part, "member")} == {"ada"}
    assert len(records(part, "member_status_changes")) == 2
    assert [c["candidate_id"] for c in records(part, "candidacies")] == [
        cooperative["candidates"]["ada"]
    ]
    assert [r["source_event_id"] for r in records(part, "patronage_records")] == [
        "booking_completed:bk-ada",
        "dues_paid:inv-ada",
    ]
    assert [s["amount_cents"] for s in records(part, "patronage_shares")] == [3182]
    bob_shares = session.scalars(
        select(PatronageShare.amount_cents).where(PatronageShare.external_id == "bob")
    )
    assert sorted(bob_shares) == [500, 6818]

    theirs = exported(session, "bob")
    assert records(theirs, "member")[0]["email"] == "bob.m@example.org"
    assert "ada.l@example.org" not in json.dumps(theirs)
    assert [c["candidate_id"] for c in records(theirs, "candidacies")] == [
        cooperative["candidates"]["bob"]
    ]


def test_no_ballot_content_even_from_a_member_who_voted(session, cooperative):
    part = exported(session, "ada")
    text = json.dumps(part)
    ada = member_row(session, "ada")

    assert (
        session.scalars(select(RollEntry.voted_at).where(RollEntry.member_id == ada.id))
        .all()
        .count(None)
        == 1
    )  # she voted on all but Bob's motion
    votes = session.scalars(select(ProposalVote)).all()
    ballots = session.scalars(select(ElectionBallot)).all()
    assert len(votes) == 7 and len(ballots) == 2
    for receipt in [v.receipt for v in votes] + [b.receipt for b in ballots]:
        assert receipt not in text
    for receipt in cooperative["receipts"].values():
        assert receipt not in text
    # Her ranking named Bob and Cleo; their candidate ids are nowhere in her copy.
    for candidate in (cooperative["candidates"]["bob"], cooperative["candidates"]["cleo"]):
        assert candidate not in text
    for key in ("choice", "ranking", "receipt", "receipts", "ballots"):
        assert f'"{key}"' not in text


def test_after_a_departure_the_copy_shows_what_was_kept(session, emit, t0, cooperative):
    left = t0 + timedelta(days=10)
    record_departure(session, emit, "ada", left, source_event_id="closure-ada", now=left)

    part = exported(session, "ada")

    assert records(part, "departure") == [
        {"left_at": iso(left), "recorded_at": iso(left), "source_event_id": "closure-ada"}
    ]
    (member,) = records(part, "member")
    assert (member["name"], member["email"], member["status"]) == ("Ada L.", None, "withdrawn")
    assert member["status_since"] == iso(left) and member["in_good_standing"] is False
    assert records(part, "member_status_changes")[-1] == {
        "status": "withdrawn",
        "occurred_at": iso(left),
        "recorded_at": iso(left),
        "applied": True,
        "source_event_id": "closure-ada",
    }
    assert records(part, "contact") == []
    assert "ada.l@example.org" not in json.dumps(part)
    for kept in ("roll_entries", "candidacies", "patronage_records", "patronage_shares"):
        assert records(part, kept), kept


def test_someone_governance_never_heard_of_gets_every_section_empty(session, cooperative):
    part = exported(session, "stranger")

    assert part["service"] == "governance"
    assert list(part["sections"]) == list(SECTIONS)
    for name in SECTIONS:
        assert part["sections"][name]["records"] == [], name
        assert part["sections"][name]["about"]


def test_a_contact_who_is_not_a_member_gets_their_contact_only(session, t0, cooperative):
    remember_contact(session, "dee", "Dee Dee", "dee@example.org", now=t0)

    part = exported(session, "dee")

    assert records(part, "contact") == [
        {"name": "Dee Dee", "email": "dee@example.org", "updated_at": iso(t0)}
    ]
    assert all(records(part, name) == [] for name in SECTIONS if name != "contact")


def test_every_table_feeds_a_section_or_says_why_it_holds_nothing_to_show():
    shown, explained = member_data.SECTIONS_BY_TABLE, member_data.NOTHING_TO_SHOW
    assert unaccounted_tables(Base.metadata, shown, explained) == {}
    assert {OUTBOX, PROCESSED, "proposal_votes", "election_ballots"} <= set(explained)
    assert all(member_data.NOTHING_TO_SHOW.values())
    feeding = {
        section for sections in member_data.SECTIONS_BY_TABLE.values() for section in sections
    }
    assert feeding == set(member_data.SECTIONS) == set(SECTIONS)


def test_each_record_schema_dumps_exactly_the_fields_the_domain_gives(
    session, emit, t0, cooperative
):
    # A departure erases the contact, so the two are compared before and after one.
    ada = Caller("ada", frozenset())
    before = member_data.export_member_data(session, ada)
    record_departure(session, emit, "ada", t0 + timedelta(days=10), now=t0 + timedelta(days=10))
    after = member_data.export_member_data(session, ada)

    for name in SECTIONS:
        given = before["sections"][name]["records"] + after["sections"][name]["records"]
        assert given, f"{name} has no record to compare"
        dumped = [
            record
            for export in (before, after)
            for record in MemberDataSchema().dump(export)["sections"][name]["records"]
        ]
        assert [set(record) for record in dumped] == [set(record) for record in given], name


# The entrypoint


def test_the_entrypoint_answers_for_the_caller_and_refuses_no_caller(unit):
    admin = worker_factory(
        governance.GovernanceService, db=unit, caller=Caller("crm", frozenset({"admin"}))
    )
    admin.record_member_status(
        external_id="acc-9",
        status="active",
        occurred_at="2025-01-01T00:00:00+00:00",
        name="Nine",
        email="nine@example.org",
    )

    with pytest.raises(Unauthorized):
        worker_factory(governance.GovernanceService, db=unit, caller=Caller()).export_member_data()
    mine = worker_factory(
        governance.GovernanceService, db=unit, caller=Caller("acc-9", frozenset({"client"}))
    )
    with pytest.raises(Invalid):
        mine.export_member_data(account_id="acc-1")
    part = json.loads(json.dumps(mine.export_member_data()))

    assert part["service"] == "governance" and list(part["sections"]) == list(SECTIONS)
    (member,) = part["sections"]["member"]["records"]
    assert (member["external_id"], member["email"]) == ("acc-9", "nine@example.org")
    assert member["joined_at"] == "2025-01-01T00:00:00+00:00"
