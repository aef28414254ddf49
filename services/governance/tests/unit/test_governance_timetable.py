"""The timer's two entry points move proposals and elections together and can run twice."""

from __future__ import annotations

from datetime import timedelta

from loconomics_governance.domain import elections, proposals, timetable
from loconomics_governance.schemas import CloseDueResultSchema, OpenDueResultSchema


def test_one_tick_opens_and_one_tick_closes_everything_due(
    session, emit, t0, enrol, admin, as_member
):
    enrol("m-1")
    pid = proposals.create_proposal(
        session,
        emit,
        admin,
        "Budget",
        "",
        "ordinary",
        t0 + timedelta(hours=1),
        t0 + timedelta(days=2),
        now=t0,
    )["proposal_id"]
    eid = elections.create_election(
        session, emit, admin, "Board", 1, t0 + timedelta(hours=1), t0 + timedelta(days=2), now=t0
    )["election_id"]
    candidate = elections.nominate(session, emit, as_member("m-1"), eid, now=t0)["candidate_id"]

    assert timetable.open_due(session, emit, now=t0) == {
        "proposals_opened": [],
        "elections_opened": [],
    }
    opened = timetable.open_due(session, emit, now=t0 + timedelta(hours=1))
    assert opened == {"proposals_opened": [pid], "elections_opened": [eid]}
    OpenDueResultSchema().dump(opened)
    proposals.cast_vote(session, as_member("m-1"), pid, "yes", now=t0 + timedelta(hours=2))
    elections.cast_ballot(session, as_member("m-1"), eid, [candidate], now=t0 + timedelta(hours=2))

    reminded = timetable.close_due(session, emit, now=t0 + timedelta(days=1, hours=1))
    closed = timetable.close_due(session, emit, now=t0 + timedelta(days=2))
    again = timetable.close_due(session, emit, now=t0 + timedelta(days=3))

    assert sorted(reminded["reminded"]) == sorted([pid, eid])
    assert closed == {
        "reminded": [],
        "proposals_closed": [pid],
        "elections_closed": [eid],
        "allocations_settled": [],
    }
    CloseDueResultSchema().dump(closed)
    assert again == {
        "reminded": [],
        "proposals_closed": [],
        "elections_closed": [],
        "allocations_settled": [],
    }
    assert emit.last("election_closed")["elected"][0]["external_id"] == "m-1"
