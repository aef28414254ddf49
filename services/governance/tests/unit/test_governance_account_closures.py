"""Someone leaves and asks to be forgotten: the generic departure and Loconomics'
`account_closed` mapped onto it. The register keeps the entry and the name, erases the
address, withdraws the member for good; the contact goes; candidacies in elections not yet
counted are withdrawn; votes, rolls and patronage stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from loconomics_governance import platform_mapping
from loconomics_governance.domain import elections, patronage, proposals, stv
from loconomics_governance.domain.blt import read_blt
from loconomics_governance.domain.contacts import remember_contact, with_contact
from loconomics_governance.domain.departures import record_departure
from loconomics_governance.domain.members import get_member, record_member_status, statuses_at
from loconomics_governance.domain.roll import take_roll
from loconomics_governance.models import (
    Candidate,
    Contact,
    Departure,
    Member,
    MemberStatusChange,
    PatronageRecord,
    ProposalVote,
    RollEntry,
)
from loconomics_governance.schemas import DepartureRecordedSchema, PublishedBallotsSchema
from loconomics_plumbing.errors import Conflict, Invalid
from sqlalchemy import select


def member_row(session, external_id: str) -> Member:
    return session.scalars(select(Member).where(Member.external_id == external_id)).one()


def history(session, external_id: str) -> list[tuple[str, bool]]:
    member = member_row(session, external_id)
    changes = session.scalars(
        select(MemberStatusChange)
        .where(MemberStatusChange.member_id == member.id)
        .order_by(MemberStatusChange.occurred_at, MemberStatusChange.recorded_at)
    )
    return [(change.status, change.applied) for change in changes]


@pytest.fixture
def ada(session, emit, t0):
    """An active member since thirty days before T0, with a name and an address."""
    record_member_status(
        session,
        emit,
        "ada",
        "active",
        t0 - timedelta(days=30),
        name="Ada Lovelace",
        email="ada@example.org",
        now=t0 - timedelta(days=30),
    )
    emit.clear()
    return "ada"


# The register


def test_the_register_keeps_the_entry_and_name_erases_the_email_and_withdraws(
    session, emit, t0, ada, admin
):
    left = record_departure(session, emit, ada, t0, source_event_id="closure-1", now=t0)

    member = member_row(session, ada)
    assert (member.name, member.email) == ("Ada Lovelace", None)
    assert (member.status, member.status_since) == ("withdrawn", t0)
    assert member.joined_at == t0 - timedelta(days=30)
    assert left["recorded"] is True and left["member"]["email"] is None
    DepartureRecordedSchema().dump(left)
    event = emit.last("member_status_changed")
    assert (event["status"], event["previous_status"]) == ("withdrawn", "active")
    assert event["status_since"] == t0.isoformat()
    record = get_member(session, admin, ada)
    assert [(h["status"], h["applied"]) for h in record["history"]] == [
        ("active", True),
        ("withdrawn", True),
    ]
    closure = session.scalars(
        select(MemberStatusChange).where(MemberStatusChange.status == "withdrawn")
    ).one()
    assert closure.source_event_id == "closure-1"


def test_a_late_older_report_is_history_and_brings_back_nothing(session, emit, t0, ada):
    record_departure(session, emit, ada, t0, now=t0)
    emit.clear()

    late = record_member_status(
        session,
        emit,
        ada,
        "active",
        t0 - timedelta(days=1),
        name="Ada L.",
        email="ada@example.org",
        source_event_id="owner_status_changed:late",
        now=t0 + timedelta(hours=1),
    )

    assert late["changed"] is False
    member = member_row(session, ada)
    assert (member.status, member.name, member.email) == ("withdrawn", "Ada Lovelace", None)
    assert history(session, ada) == [("active", True), ("active", False), ("withdrawn", True)]
    assert emit.events == []
    assert statuses_at(session, t0 + timedelta(days=1))[member.id] == "withdrawn"


@pytest.mark.parametrize("after", [timedelta(0), timedelta(seconds=1), timedelta(days=40)])
def test_nothing_reported_from_the_departure_on_is_kept(session, emit, t0, ada, after):
    record_departure(session, emit, ada, t0, now=t0)
    emit.clear()

    for status in ("active", "withdrawn"):
        again = record_member_status(
            session, emit, ada, status, t0 + after, email="new@example.org", now=t0 + after
        )
        assert again["changed"] is False

    member = member_row(session, ada)
    assert (member.status, member.status_since, member.email) == ("withdrawn", t0, None)
    assert history(session, ada) == [("active", True), ("withdrawn", True)]
    assert emit.events == []


def test_a_report_dated_after_the_departure_that_arrived_first_does_not_win(
    session, emit, t0, ada, enrol
):
    # Queues are not ordered with each other: a report made after the closure can be
    # applied before the closure itself reaches governance.
    record_member_status(session, emit, ada, "active", t0 + timedelta(hours=1), now=t0)
    enrol("bob")

    record_departure(session, emit, ada, t0, now=t0 + timedelta(hours=2))

    member = member_row(session, ada)
    assert (member.status, member.status_since) == ("withdrawn", t0)
    assert emit.last("member_status_changed")["status"] == "withdrawn"
    later = t0 + timedelta(days=1)
    assert statuses_at(session, later)[member.id] == "withdrawn"
    assert statuses_at(session, t0 - timedelta(seconds=1))[member.id] == "active"
    take_roll(session, "ballot-after", later)
    on_roll = session.scalars(
        select(RollEntry.member_id).where(RollEntry.ballot_id == "ballot-after")
    )
    assert member.id not in set(on_roll)


def test_a_withdrawal_reported_after_the_departure_is_harmless(session, emit, t0, ada):
    # Billing cancels the membership when it hears of the closure, so its `cancelled`
    # (withdrawn) is dated after closed_at and may arrive before or after it.
    record_member_status(
        session, emit, ada, "withdrawn", t0 + timedelta(seconds=5), now=t0 + timedelta(seconds=5)
    )
    emit.clear()

    record_departure(session, emit, ada, t0, now=t0 + timedelta(seconds=6))

    member = member_row(session, ada)
    assert (member.status, member.status_since) == ("withdrawn", t0)
    assert emit.events == []


def test_a_member_who_had_withdrawn_before_keeps_the_date_they_withdrew(session, emit, t0, ada):
    record_member_status(session, emit, ada, "withdrawn", t0 - timedelta(days=3), now=t0)

    record_departure(session, emit, ada, t0, now=t0)

    assert member_row(session, ada).status_since == t0 - timedelta(days=3)


# The contact


def test_a_non_members_contact_is_erased_and_stays_erased(session, emit, t0):
    remember_contact(
        session, "cleo", "Cleo", "cleo@example.org", now=t0, said_at=t0 - timedelta(days=2)
    )

    left = record_departure(session, emit, "cleo", t0, now=t0)

    assert left["member"] is None and left["recorded"] is True
    assert session.get(Contact, "cleo") is None
    assert session.scalars(select(Member)).all() == []
    for said in (t0 - timedelta(days=3), t0 - timedelta(seconds=1), t0 + timedelta(days=1)):
        remember_contact(session, "cleo", "Cleo", "cleo@example.org", now=t0, said_at=said)
        assert session.get(Contact, "cleo") is None


def test_a_late_account_changed_restores_neither_email_nor_name_of_a_member(session, emit, t0, ada):
    remember_contact(session, ada, "Ada Lovelace", "ada@example.org", now=t0, said_at=t0)
    record_departure(session, emit, ada, t0 + timedelta(minutes=1), now=t0)

    remember_contact(
        session, ada, "Ada K.", "ada@example.org", now=t0, said_at=t0 - timedelta(days=1)
    )
    remember_contact(session, ada, "Former member", "closed-ada@closed.invalid", now=t0, said_at=t0)

    member = member_row(session, ada)
    assert (member.name, member.email) == ("Ada Lovelace", None)
    assert session.get(Contact, ada) is None


def test_someone_first_heard_of_after_leaving_is_registered_withdrawn_and_unnamed(
    session, emit, t0
):
    remember_contact(session, "dev", "Dev", "dev@example.org", now=t0, said_at=t0)
    record_departure(session, emit, "dev", t0 + timedelta(hours=1), "closure-dev", now=t0)
    emit.clear()

    report = with_contact(
        session,
        {
            "external_id": "dev",
            "status": "active",
            "occurred_at": t0 - timedelta(days=9),
            "source_event_id": "owner_status_changed:dev",
        },
    )
    recorded = record_member_status(session, emit, **report, now=t0 + timedelta(hours=2))

    member = member_row(session, "dev")
    assert (member.status, member.status_since) == ("withdrawn", t0 + timedelta(hours=1))
    assert (member.name, member.email) == (None, None)
    assert member.joined_at == t0 - timedelta(days=9)
    assert recorded["changed"] is False
    assert history(session, "dev") == [("active", False), ("withdrawn", True)]
    assert [(e["previous_status"], e["status"]) for e in emit.all("member_status_changed")] == [
        (None, "withdrawn")
    ]


def test_a_report_after_leaving_about_someone_never_registered_is_refused(session, emit, t0):
    record_departure(session, emit, "gone", t0, now=t0)

    with pytest.raises(Conflict):
        record_member_status(session, emit, "gone", "withdrawn", t0 + timedelta(days=1), now=t0)
    assert session.scalars(select(Member)).all() == []


# Elections


def call_election(session, emit, admin, t0, days=0):
    return elections.create_election(
        session,
        emit,
        admin,
        "Board of directors",
        1,
        opens_at=t0 + timedelta(days=days + 7),
        closes_at=t0 + timedelta(days=days + 14),
        nominations_close_at=t0 + timedelta(days=days + 5),
        now=t0,
    )["election_id"]


def test_a_candidacy_in_nominations_is_withdrawn(session, emit, t0, ada, admin, as_member):
    eid = call_election(session, emit, admin, t0)
    elections.nominate(session, emit, as_member(ada), eid, "My statement", now=t0)

    left = record_departure(session, emit, ada, t0 + timedelta(days=1), now=t0)

    assert left["candidacies_withdrawn"] == [eid]
    assert elections.get_election(session, admin, eid)["candidates"] == []
    candidate = session.scalars(select(Candidate)).one()
    assert (candidate.status, candidate.statement) == ("withdrawn", "")
    withdrawn = emit.last("candidate_withdrawn")
    assert (withdrawn["election_id"], withdrawn["external_id"]) == (eid, ada)


def test_a_candidacy_while_voting_is_open_is_withdrawn_and_papers_pass_on(
    session, emit, t0, ada, admin, enrol, as_member
):
    voters = ["v-1", "v-2", "v-3", "bob"]
    enrol(*voters)
    eid = call_election(session, emit, admin, t0)
    ids = {
        user: elections.nominate(
            session, emit, as_member(user), eid, now=t0 + timedelta(minutes=n)
        )["candidate_id"]
        for n, user in enumerate((ada, "bob"))
    }
    opens = t0 + timedelta(days=7)
    elections.open_due(session, emit, now=opens)
    rankings = {"v-1": [ada, "bob"], "v-2": [ada], "v-3": ["bob"], "bob": ["bob"]}
    for voter, ranking in rankings.items():
        elections.cast_ballot(session, as_member(voter), eid, [ids[u] for u in ranking], now=opens)

    record_departure(session, emit, ada, opens + timedelta(days=1), now=opens)
    with pytest.raises(Invalid):
        elections.cast_ballot(session, as_member(ada), eid, [ids[ada]], now=opens)
    elections.close_due(session, emit, now=t0 + timedelta(days=14))

    result = elections.election_result(session, admin, eid)
    assert [c["candidate_id"] for c in result["elected"]] == [ids["bob"]]
    # v-2 ranked only Ada: that paper has no preference left; v-1's passes to Bob.
    assert (result["valid_papers"], result["ballots_cast"]) == (3, 4)
    published = elections.published_ballots(session, admin, eid)
    PublishedBallotsSchema().dump(published)
    assert [(c["candidate_id"], c["withdrawn"]) for c in published["candidates"]] == [
        (ids[ada], True),
        (ids["bob"], False),
    ]
    assert sorted(b["ranking"] for b in published["ballots"]) == sorted(
        [ids[u] for u in ranking] for ranking in rankings.values()
    )
    blt = read_blt(published["blt"])
    assert blt.withdrawn == frozenset({1})
    recount = stv.count(blt.rankings(), blt.seats, blt.standing(), seed=eid)
    assert [blt.name_of(c) for c in recount.elected] == ["Name bob"]
    assert recount.valid_papers == result["valid_papers"]


def test_a_counted_election_keeps_its_candidates(session, emit, t0, ada, admin, enrol, as_member):
    enrol("v-1")
    eid = call_election(session, emit, admin, t0)
    cid = elections.nominate(session, emit, as_member(ada), eid, now=t0)["candidate_id"]
    elections.open_due(session, emit, now=t0 + timedelta(days=7))
    elections.cast_ballot(session, as_member("v-1"), eid, [cid], now=t0 + timedelta(days=7))
    elections.close_due(session, emit, now=t0 + timedelta(days=14))

    # Ada left while voting was open, but governance heard of it only after the count.
    left = record_departure(
        session, emit, ada, t0 + timedelta(days=13), now=t0 + timedelta(days=15)
    )

    assert left["candidacies_withdrawn"] == []
    assert session.get(Candidate, cid).status == "elected"


def test_an_election_whose_voting_ended_before_they_left_is_not_changed_by_a_late_timer(
    session, emit, t0, ada, admin, as_member
):
    eid = call_election(session, emit, admin, t0)
    cid = elections.nominate(session, emit, as_member(ada), eid, now=t0)["candidate_id"]
    elections.open_due(session, emit, now=t0 + timedelta(days=7))

    record_departure(session, emit, ada, t0 + timedelta(days=15), now=t0 + timedelta(days=15))

    assert session.get(Candidate, cid).status == "standing"


# What stays


def test_votes_rolls_and_patronage_stay(session, emit, t0, ada, admin, as_member, enrol):
    enrol("bob")
    opens, closes = t0 + timedelta(hours=1), t0 + timedelta(days=2)
    pid = proposals.create_proposal(
        session, emit, admin, "Adopt the budget", "", "ordinary", opens, closes, now=t0
    )["proposal_id"]
    proposals.open_due(session, emit, now=opens)
    proposals.cast_vote(session, as_member(ada), pid, "yes", now=opens)
    patronage.record_patronage(session, ada, t0, "dues:in_1", dues_cents=2500, now=t0)

    record_departure(session, emit, ada, opens + timedelta(hours=1), now=opens)
    proposals.close_due(session, emit, now=closes)

    assert len(session.scalars(select(ProposalVote)).all()) == 1
    assert len(session.scalars(select(RollEntry)).all()) == 2
    assert proposals.get_proposal(session, admin, pid)["tally"]["yes"] == 1
    audit = proposals.roll_audit(session, admin, pid)
    assert {"external_id": ada, "name": "Ada Lovelace", "voted": True} in audit["entries"]
    assert len(session.scalars(select(PatronageRecord)).all()) == 1
    year = patronage.year_patronage(session, admin, t0.year)
    assert [(m["external_id"], m["name"]) for m in year["members"]] == [(ada, "Ada Lovelace")]


# Once, and only well-formed


def test_a_person_leaves_once(session, emit, t0, ada):
    first = record_departure(session, emit, ada, t0, "closure-1", now=t0)
    emit.clear()

    repeat = record_departure(session, emit, ada, t0, "closure-1", now=t0 + timedelta(hours=1))
    other = record_departure(
        session, emit, ada, t0 - timedelta(days=1), "closure-2", now=t0 + timedelta(hours=2)
    )

    assert first["recorded"] is True
    assert (repeat["recorded"], other["recorded"]) == (False, False)
    assert other["left_at"] == t0
    assert emit.events == []
    assert history(session, ada) == [("active", True), ("withdrawn", True)]
    assert session.get(Departure, ada).source_event_id == "closure-1"


def test_a_departure_needs_an_id_and_a_time_with_its_offset(session, emit, t0):
    with pytest.raises(Invalid) as naive:
        record_departure(session, emit, "ada", t0.replace(tzinfo=None), now=t0)
    with pytest.raises(Invalid) as nobody:
        record_departure(session, emit, "", t0, now=t0)

    assert "left_at" in naive.value.errors and "external_id" in nobody.value.errors
    assert session.scalars(select(Departure)).all() == []


# Loconomics' account_closed


def closed_event(**fields) -> dict:
    return {
        "event_id": "ev-closed",
        "occurred_at": "2025-03-01T12:00:01+00:00",
        "account_id": "acc-7",
        "closed_at": "2025-03-01T07:00:00-05:00",
        "roles": ["client", "professional"],
        "email": "rosa@example.org",
        "name": "Rosa Parks",
        "language": "fr",
        **fields,
    }


def test_account_closed_maps_onto_a_departure_and_nothing_else(t0):
    departure = platform_mapping.departure_from_account_closed(closed_event())

    assert departure == {
        "external_id": "acc-7",
        "left_at": t0,
        "source_event_id": "account_closed:ev-closed",
    }
    assert departure["left_at"].utcoffset() == timedelta(hours=-5)
    without_closed_at = platform_mapping.departure_from_account_closed(closed_event(closed_at=None))
    assert without_closed_at["left_at"] == t0 + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"account_id": None}, "account_id"),
        ({"account_id": ""}, "account_id"),
        ({"event_id": None}, "event_id"),
        ({"closed_at": "2025-03-01T12:00:00"}, "closed_at"),
        ({"closed_at": "yesterday"}, "closed_at"),
        ({"closed_at": None, "occurred_at": None}, "closed_at"),
    ],
)
def test_a_malformed_account_closed_is_refused(fields, bad):
    with pytest.raises(Invalid) as error:
        platform_mapping.departure_from_account_closed(closed_event(**fields))

    assert bad in error.value.errors
