"""Proposals end to end in the domain: who may propose, the roll, secret votes, the close."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from loconomics_governance.domain import proposals
from loconomics_governance.domain.identifiers import RECEIPT_ALPHABET
from loconomics_governance.domain.members import my_membership, record_member_status
from loconomics_governance.models import Base, Member, ProposalVote, RollEntry
from loconomics_governance.policy import GovernancePolicy
from loconomics_governance.schemas import (
    CastVoteArgs,
    CreateProposalArgs,
    ProposalPageSchema,
    ProposalSchema,
    PublishedVotesSchema,
    RollAuditSchema,
)
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, Unauthorized
from loconomics_plumbing.identity import Caller
from marshmallow import ValidationError
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def put_forward(session, emit, caller, now, kind="ordinary", quorum=None, hours=1, days=7):
    return proposals.create_proposal(
        session,
        emit,
        caller,
        "Adopt the 2026 budget",
        "Full text.",
        kind,
        now + timedelta(hours=hours),
        now + timedelta(hours=hours, days=days),
        quorum,
        now=now,
    )


def test_members_in_good_standing_and_admins_may_put_a_proposal_forward(
    session, emit, t0, enrol, as_member, admin
):
    enrol("m-1")
    record_member_status(session, emit, "lapsed", "inactive", t0, now=t0)

    by_member = put_forward(session, emit, as_member("m-1"), t0)
    by_admin = put_forward(session, emit, admin, t0)

    assert by_member["status"] == proposals.SCHEDULED
    assert by_admin["created_by"] == "admin-1"
    assert by_member["quorum_percent"] == GovernancePolicy().quorum_percent
    assert emit.last("proposal_created")["proposal_id"] == by_admin["proposal_id"]
    with pytest.raises(Forbidden):
        put_forward(session, emit, as_member("lapsed"), t0)
    with pytest.raises(Forbidden):
        put_forward(session, emit, as_member("stranger"), t0)
    with pytest.raises(Unauthorized):
        put_forward(session, emit, Caller(), t0)


def test_a_proposal_without_a_window_is_a_draft_until_scheduled(
    session, emit, t0, enrol, as_member
):
    enrol("m-1", "m-2")
    draft = proposals.create_proposal(
        session, emit, as_member("m-1"), "Rename the co-op", "", "special", now=t0
    )
    assert draft["status"] == proposals.DRAFT
    assert proposals.open_due(session, emit, now=t0 + timedelta(days=365)) == []

    with pytest.raises(Forbidden):
        proposals.schedule_proposal(
            session,
            emit,
            as_member("m-2"),
            draft["proposal_id"],
            t0 + timedelta(days=1),
            t0 + timedelta(days=8),
            now=t0,
        )
    scheduled = proposals.schedule_proposal(
        session,
        emit,
        as_member("m-1"),
        draft["proposal_id"],
        t0 + timedelta(days=1),
        t0 + timedelta(days=8),
        now=t0,
    )
    assert scheduled["status"] == proposals.SCHEDULED
    assert emit.last("proposal_scheduled")["opens_at"] == (t0 + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"kind": "constitutional"}, "kind"),
        ({"quorum_percent": 101}, "quorum_percent"),
        ({"opens_at": "past"}, "opens_at"),
        ({"closes_at": "before"}, "closes_at"),
        ({"closes_at": None}, "closes_at"),
    ],
)
def test_invalid_proposals_name_the_bad_field(session, emit, t0, admin, changes, field):
    args = {
        "title": "Budget",
        "body": "",
        "kind": "ordinary",
        "opens_at": t0 + timedelta(hours=1),
        "closes_at": t0 + timedelta(days=2),
        "quorum_percent": None,
    }
    args.update(changes)
    if args["opens_at"] == "past":
        args["opens_at"] = t0 - timedelta(minutes=1)
    if args["closes_at"] == "before":
        args["closes_at"] = t0
    with pytest.raises(Invalid) as error:
        proposals.create_proposal(session, emit, admin, now=t0, **args)
    assert field in error.value.errors


def test_the_roll_is_who_was_in_good_standing_when_voting_opened(
    session, emit, t0, enrol, as_member, admin
):
    enrol("steady", "lapses", "returns")
    opens = t0 + timedelta(hours=1)
    proposal = put_forward(session, emit, admin, t0)
    record_member_status(session, emit, "lapses", "inactive", opens - timedelta(minutes=5), now=t0)
    record_member_status(session, emit, "returns", "inactive", t0 - timedelta(days=2), now=t0)
    record_member_status(session, emit, "returns", "active", opens - timedelta(minutes=1), now=t0)
    record_member_status(session, emit, "late", "active", opens + timedelta(minutes=1), now=t0)
    record_member_status(session, emit, "applied", "applicant", t0, now=t0)

    # The timer runs two hours late: the roll is still taken as of the opening time.
    opened = proposals.open_due(session, emit, now=opens + timedelta(hours=2))

    assert opened == [proposal["proposal_id"]]
    event = emit.last("proposal_opened")
    assert event["electorate"] == ["returns", "steady"]
    assert event["roll_size"] == 2
    now = opens + timedelta(hours=3)
    for outsider in ("lapses", "late", "applied", "stranger"):
        with pytest.raises(Forbidden):
            proposals.cast_vote(
                session, as_member(outsider), proposal["proposal_id"], "yes", now=now
            )
    # Lapsing after the roll was taken does not take the vote away.
    record_member_status(session, emit, "steady", "inactive", now, now=now)
    assert proposals.cast_vote(session, as_member("steady"), proposal["proposal_id"], "no", now=now)


def test_a_vote_gives_a_receipt_and_a_second_vote_conflicts(
    session, emit, t0, enrol, as_member, admin
):
    enrol("m-1")
    proposal = put_forward(session, emit, admin, t0)
    proposals.open_due(session, emit, now=t0 + timedelta(hours=1))
    now = t0 + timedelta(hours=2)

    first = proposals.cast_vote(session, as_member("m-1"), proposal["proposal_id"], "yes", now=now)

    assert len(first["receipt"]) == 10
    assert set(first["receipt"]) <= set(RECEIPT_ALPHABET)
    with pytest.raises(Conflict):
        proposals.cast_vote(session, as_member("m-1"), proposal["proposal_id"], "no", now=now)
    votes = session.scalars(select(ProposalVote)).all()
    assert [(v.choice, v.receipt) for v in votes] == [("yes", first["receipt"])]
    with pytest.raises(Invalid):
        proposals.cast_vote(session, as_member("m-1"), proposal["proposal_id"], "maybe", now=now)


def test_nothing_stored_with_a_vote_can_identify_the_voter(session):
    columns = {column.name for column in inspect(ProposalVote).columns}

    assert columns == {"id", "proposal_id", "choice", "receipt"}
    assert ProposalVote.__table__.dialect_options["sqlite"]["with_rowid"] is False
    assert not ProposalVote.__table__.c.id.autoincrement


def test_the_database_refuses_a_second_vote_a_stale_session_lets_through(tmp_path, t0):
    """Two service copies: the second read the roll before the first vote committed."""
    engine = create_engine(f"sqlite:///{tmp_path / 'governance.db'}")
    Base.metadata.create_all(engine)
    admin = Caller("admin-1", frozenset({"admin"}))
    voter = Caller("m-1", frozenset())
    with Session(engine) as setup:
        record_member_status(
            setup, lambda *_: None, "m-1", "active", t0 - timedelta(days=1), now=t0
        )
        proposal = put_forward(setup, lambda *_: None, admin, t0)
        proposals.open_due(setup, lambda *_: None, now=t0 + timedelta(hours=1))
        setup.commit()
    now = t0 + timedelta(hours=2)
    with Session(engine) as first, Session(engine) as second:
        stale = second.scalars(select(RollEntry)).one()
        assert stale.voted_at is None
        proposals.cast_vote(first, voter, proposal["proposal_id"], "yes", now=now)
        first.commit()
        with pytest.raises(Conflict):
            proposals.cast_vote(second, voter, proposal["proposal_id"], "no", now=now)
        second.rollback()
    with Session(engine) as check:
        assert check.scalars(select(ProposalVote.choice)).all() == ["yes"]
        member_id = check.scalars(select(Member.id)).one()
        check.add(RollEntry(id="dup", ballot_id=proposal["proposal_id"], member_id=member_id))
        with pytest.raises(IntegrityError):
            check.flush()
    engine.dispose()


def test_no_tally_of_any_kind_before_the_close(session, emit, t0, enrol, as_member, admin):
    enrol("m-1", "m-2")
    proposal = put_forward(session, emit, admin, t0)
    pid = proposal["proposal_id"]
    proposals.open_due(session, emit, now=t0 + timedelta(hours=1))
    proposals.cast_vote(session, as_member("m-1"), pid, "yes", now=t0 + timedelta(hours=2))

    view = proposals.get_proposal(session, as_member("m-2"), pid)
    page = proposals.list_proposals(session, as_member("m-2"))

    assert view["status"] == proposals.OPEN
    assert view["tally"] is None and view["outcome"] is None
    assert all(item["tally"] is None for item in page["items"])
    assert "yes" not in json.dumps(ProposalSchema().dump(view))
    for published in (proposals.published_votes, proposals.roll_audit):
        with pytest.raises(Conflict):
            published(session, as_member("m-1"), pid)
    with pytest.raises(Forbidden):
        proposals.get_proposal(session, as_member("stranger"), pid)


def test_close_counts_decides_announces_and_publishes(session, emit, t0, enrol, as_member, admin):
    enrol("m-1", "m-2", "m-3", "m-4")
    proposal = put_forward(session, emit, admin, t0, quorum=50)
    pid = proposal["proposal_id"]
    proposals.open_due(session, emit, now=t0 + timedelta(hours=1))
    now = t0 + timedelta(hours=2)
    receipts = {
        user: proposals.cast_vote(session, as_member(user), pid, choice, now=now)["receipt"]
        for user, choice in (("m-1", "yes"), ("m-2", "yes"), ("m-3", "abstain"))
    }
    closes = t0 + timedelta(hours=1, days=7)
    with pytest.raises(Conflict):
        proposals.cast_vote(session, as_member("m-4"), pid, "no", now=closes)

    assert proposals.close_due(session, emit, now=closes - timedelta(seconds=1)) == []
    assert proposals.close_due(session, emit, now=closes) == [pid]
    assert proposals.close_due(session, emit, now=closes) == []

    event = emit.last("proposal_closed")
    assert event["outcome"] == "passed"
    assert event["tally"] == {
        "yes": 2,
        "no": 0,
        "abstain": 1,
        "votes_cast": 3,
        "roll_size": 4,
        "quorum_met": True,
    }
    assert len(emit.all("proposal_closed")) == 1
    view = proposals.get_proposal(session, admin, pid)
    assert (view["status"], view["outcome"], view["tally"]["yes"]) == ("closed", "passed", 2)
    published = proposals.published_votes(session, as_member("m-4"), pid)
    assert published["ballots"] == sorted(
        [
            {"receipt": receipts["m-1"], "choice": "yes"},
            {"receipt": receipts["m-2"], "choice": "yes"},
            {"receipt": receipts["m-3"], "choice": "abstain"},
        ],
        key=lambda ballot: ballot["receipt"],
    )
    audit = proposals.roll_audit(session, as_member("m-4"), pid)
    assert [(e["external_id"], e["voted"]) for e in audit["entries"]] == [
        ("m-1", True),
        ("m-2", True),
        ("m-3", True),
        ("m-4", False),
    ]
    assert "choice" not in json.dumps(RollAuditSchema().dump(audit))
    PublishedVotesSchema().dump(published)
    with pytest.raises(Conflict):
        proposals.cast_vote(session, as_member("m-4"), pid, "no", now=closes)


def test_closing_reseals_the_votes_under_new_ids(session, emit, t0, enrol, as_member, admin):
    enrol("m-1", "m-2")
    pid = put_forward(session, emit, admin, t0)["proposal_id"]
    proposals.open_due(session, emit, now=t0 + timedelta(hours=1))
    for user in ("m-1", "m-2"):
        proposals.cast_vote(session, as_member(user), pid, "no", now=t0 + timedelta(hours=2))
    before = {(v.id, v.receipt) for v in session.scalars(select(ProposalVote))}

    proposals.close_due(session, emit, now=t0 + timedelta(days=30))

    after = {(v.id, v.receipt) for v in session.scalars(select(ProposalVote))}
    assert {r for _, r in after} == {r for _, r in before}
    assert not {i for i, _ in after} & {i for i, _ in before}
    assert emit.last("proposal_closed")["outcome"] == "rejected"


def test_too_few_votes_is_no_quorum(session, emit, t0, enrol, as_member, admin):
    enrol(*(f"m-{n}" for n in range(10)))
    pid = put_forward(session, emit, admin, t0, quorum=20)["proposal_id"]
    proposals.open_due(session, emit, now=t0 + timedelta(hours=1))
    proposals.cast_vote(session, as_member("m-0"), pid, "yes", now=t0 + timedelta(hours=2))

    proposals.close_due(session, emit, now=t0 + timedelta(days=30))

    assert emit.last("proposal_closed")["outcome"] == "no_quorum"
    assert emit.last("proposal_closed")["tally"]["quorum_met"] is False


def test_a_special_resolution_passes_at_exactly_two_thirds(
    session, emit, t0, enrol, as_member, admin
):
    enrol("m-1", "m-2", "m-3", "m-4")
    pid = put_forward(session, emit, admin, t0, kind="special", quorum=0)["proposal_id"]
    proposals.open_due(session, emit, now=t0 + timedelta(hours=1))
    for user, choice in (("m-1", "yes"), ("m-2", "yes"), ("m-3", "no"), ("m-4", "abstain")):
        proposals.cast_vote(session, as_member(user), pid, choice, now=t0 + timedelta(hours=2))

    proposals.close_due(session, emit, now=t0 + timedelta(days=30))

    assert emit.last("proposal_closed")["outcome"] == "passed"


def test_the_roll_is_reminded_once_a_day_before_the_close(
    session, emit, t0, enrol, as_member, admin
):
    enrol("m-1", "m-2")
    pid = put_forward(session, emit, admin, t0)["proposal_id"]
    proposals.open_due(session, emit, now=t0 + timedelta(hours=1))
    proposals.cast_vote(session, as_member("m-1"), pid, "yes", now=t0 + timedelta(hours=2))
    closes = t0 + timedelta(hours=1, days=7)

    assert proposals.remind_due(session, emit, now=closes - timedelta(hours=25)) == []
    assert proposals.remind_due(session, emit, now=closes - timedelta(hours=24)) == [pid]
    assert proposals.remind_due(session, emit, now=closes - timedelta(hours=2)) == []

    reminders = emit.all("proposal_closing_soon")
    assert len(reminders) == 1
    assert reminders[0]["not_yet_voted"] == ["m-2"]


def test_running_the_opening_timer_twice_opens_once(session, emit, t0, enrol, admin):
    enrol("m-1")
    put_forward(session, emit, admin, t0)

    proposals.open_due(session, emit, now=t0 + timedelta(hours=1))
    proposals.open_due(session, emit, now=t0 + timedelta(hours=1))

    assert len(emit.all("proposal_opened")) == 1
    assert len(session.scalars(select(RollEntry)).all()) == 1


def test_my_membership_lists_open_ballots_and_whether_i_voted(
    session, emit, t0, enrol, as_member, admin
):
    enrol("m-1")
    pid = put_forward(session, emit, admin, t0)["proposal_id"]
    proposals.open_due(session, emit, now=t0 + timedelta(hours=1))
    proposals.cast_vote(session, as_member("m-1"), pid, "yes", now=t0 + timedelta(hours=2))

    ballots = my_membership(session, as_member("m-1"))["voting_rights"]["open_ballots"]

    assert [(b["kind"], b["ballot_id"], b["voted"]) for b in ballots] == [("proposal", pid, True)]


def test_proposals_page_newest_first_and_filter_by_status(
    session, emit, t0, enrol, as_member, admin
):
    enrol("m-1")
    ids = [
        put_forward(session, emit, admin, t0 + timedelta(minutes=n))["proposal_id"]
        for n in range(3)
    ]
    proposals.open_due(session, emit, now=t0 + timedelta(hours=1, minutes=0))

    first = proposals.list_proposals(session, as_member("m-1"), limit=2)
    rest = proposals.list_proposals(session, as_member("m-1"), limit=2, cursor=first["next_cursor"])
    scheduled = proposals.list_proposals(session, as_member("m-1"), status="scheduled")

    assert [p["proposal_id"] for p in first["items"] + rest["items"]] == ids[::-1]
    assert [p["proposal_id"] for p in scheduled["items"]] == ids[:0:-1]
    ProposalPageSchema().dump(first)


def test_rpc_arguments_are_validated_strictly():
    with pytest.raises(ValidationError) as error:
        CastVoteArgs().load({"proposal_id": "p", "choice": "maybe", "member_id": "m-1"})
    assert set(error.value.messages) == {"choice", "member_id"}
    loaded = CreateProposalArgs().load({"title": "T", "kind": "special"})
    assert loaded["opens_at"] is None and loaded["body"] == ""
