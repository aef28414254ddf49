"""Board elections in the domain: calling, standing, ranking, counting, publishing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from loconomics_governance.domain import elections, stv
from loconomics_governance.domain.blt import read_blt
from loconomics_governance.domain.members import record_member_status
from loconomics_governance.models import ElectionBallot
from loconomics_governance.schemas import (
    CastBallotArgs,
    ElectionPageSchema,
    ElectionResultSchema,
    ElectionSchema,
    PublishedBallotsSchema,
)
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound
from marshmallow import ValidationError
from sqlalchemy import inspect, select


def call_election(session, emit, caller, t0, seats=2):
    return elections.create_election(
        session,
        emit,
        caller,
        "Board of directors 2026",
        seats,
        opens_at=t0 + timedelta(days=7),
        closes_at=t0 + timedelta(days=14),
        nominations_close_at=t0 + timedelta(days=5),
        now=t0,
    )


def stand(session, emit, as_member, election_id, t0, *users):
    return {
        user: elections.nominate(
            session, emit, as_member(user), election_id, f"I am {user}", now=t0
        )["candidate_id"]
        for user in users
    }


def test_only_admins_call_elections_and_dates_must_make_sense(
    session, emit, t0, admin, enrol, as_member
):
    enrol("m-1")
    election = call_election(session, emit, admin, t0)

    assert election["status"] == elections.NOMINATING
    assert (
        emit.last("election_created")["nominations_close_at"]
        == (t0 + timedelta(days=5)).isoformat()
    )
    ElectionSchema().dump(election)
    with pytest.raises(Forbidden):
        call_election(session, emit, as_member("m-1"), t0)
    with pytest.raises(Invalid) as error:
        elections.create_election(session, emit, admin, "", 0, t0, t0, now=t0)
    assert set(error.value.errors) == {"title", "seats"}
    with pytest.raises(Invalid) as error:
        elections.create_election(
            session,
            emit,
            admin,
            "Board",
            3,
            t0 + timedelta(days=2),
            t0 + timedelta(days=9),
            nominations_close_at=t0 + timedelta(days=3),
            now=t0,
        )
    assert "opens_at" in error.value.errors
    with pytest.raises(Invalid) as error:
        elections.create_election(
            session,
            emit,
            admin,
            "Board",
            3,
            t0 + timedelta(days=2),
            t0 + timedelta(days=1),
            now=t0,
        )
    assert "closes_at" in error.value.errors


def test_members_in_good_standing_stand_during_nominations(
    session, emit, t0, admin, enrol, as_member
):
    enrol("m-1", "m-2")
    record_member_status(session, emit, "lapsed", "inactive", t0, now=t0)
    eid = call_election(session, emit, admin, t0)["election_id"]

    candidate = elections.nominate(session, emit, as_member("m-1"), eid, "Vote for me", now=t0)

    assert (candidate["name"], candidate["status"]) == ("Name m-1", elections.STANDING)
    assert emit.last("candidate_nominated")["external_id"] == "m-1"
    with pytest.raises(Conflict):
        elections.nominate(session, emit, as_member("m-1"), eid, now=t0)
    with pytest.raises(Forbidden):
        elections.nominate(session, emit, as_member("lapsed"), eid, now=t0)
    with pytest.raises(Conflict):
        elections.nominate(session, emit, as_member("m-2"), eid, now=t0 + timedelta(days=5))
    with pytest.raises(NotFound):
        elections.nominate(session, emit, as_member("m-2"), "no-such-election", now=t0)


def test_a_candidate_may_withdraw_and_stand_again_before_nominations_close(
    session, emit, t0, admin, enrol, as_member
):
    enrol("m-1")
    eid = call_election(session, emit, admin, t0)["election_id"]
    first = elections.nominate(session, emit, as_member("m-1"), eid, now=t0)

    elections.withdraw(session, emit, as_member("m-1"), eid, now=t0)
    assert elections.get_election(session, admin, eid)["candidates"] == []
    again = elections.nominate(session, emit, as_member("m-1"), eid, "Back", now=t0)

    assert again["candidate_id"] == first["candidate_id"]
    assert emit.names().count("candidate_withdrawn") == 1
    with pytest.raises(NotFound):
        elections.withdraw(session, emit, as_member("m-2"), eid, now=t0)


def test_ballots_rank_standing_candidates_once_each(session, emit, t0, admin, enrol, as_member):
    enrol("m-1", "m-2", "m-3")
    eid = call_election(session, emit, admin, t0)["election_id"]
    ids = stand(session, emit, as_member, eid, t0, "m-1", "m-2")
    opens = t0 + timedelta(days=7)
    with pytest.raises(Conflict):
        elections.cast_ballot(session, as_member("m-3"), eid, [ids["m-1"]], now=opens)
    elections.open_due(session, emit, now=opens)
    now = opens + timedelta(hours=1)

    for bad in ([], [ids["m-1"], ids["m-1"]], ["someone-else"]):
        with pytest.raises(Invalid) as error:
            elections.cast_ballot(session, as_member("m-3"), eid, bad, now=now)
        assert "ranking" in error.value.errors
    receipt = elections.cast_ballot(session, as_member("m-3"), eid, [ids["m-2"]], now=now)
    assert len(receipt["receipt"]) == 10
    with pytest.raises(Conflict):
        elections.cast_ballot(session, as_member("m-3"), eid, [ids["m-1"]], now=now)
    with pytest.raises(Forbidden):
        elections.cast_ballot(session, as_member("stranger"), eid, [ids["m-1"]], now=now)


def test_ranked_ballots_store_nothing_about_the_voter():
    columns = {column.name for column in inspect(ElectionBallot).columns}

    assert columns == {"id", "election_id", "ranking", "receipt"}
    assert ElectionBallot.__table__.dialect_options["sqlite"]["with_rowid"] is False


def test_an_election_runs_to_a_published_verifiable_count(
    session, emit, t0, admin, enrol, as_member
):
    voters = [f"v-{n}" for n in range(9)]
    enrol("ann", "bob", "cat", *voters)
    eid = call_election(session, emit, admin, t0)["election_id"]
    ids = stand(session, emit, as_member, eid, t0, "ann", "bob", "cat")
    opens = t0 + timedelta(days=7)
    assert elections.open_due(session, emit, now=opens) == [eid]
    opened = emit.last("election_opened")
    assert opened["roll_size"] == 12
    assert sorted(c["name"] for c in opened["candidates"]) == ["Name ann", "Name bob", "Name cat"]
    rankings = [["ann", "bob"]] * 5 + [["bob"]] * 2 + [["cat", "bob"]] * 2
    receipts = {}
    for voter, ranking in zip(voters, rankings, strict=True):
        receipts[voter] = elections.cast_ballot(
            session, as_member(voter), eid, [ids[u] for u in ranking], now=opens
        )["receipt"]
    with pytest.raises(Conflict):
        elections.election_result(session, as_member("ann"), eid)
    assert elections.get_election(session, as_member("ann"), eid)["ballots_cast"] is None

    closes = t0 + timedelta(days=14)
    assert elections.close_due(session, emit, now=closes) == [eid]

    result = elections.election_result(session, as_member("v-0"), eid)
    # Quota floor(9 / 3) + 1 = 4. Ann 5 (surplus 1 -> Bob), Bob 2 + 1, Cat 2: Cat excluded.
    assert result["quota"] == 4
    assert [c["name"] for c in result["elected"]] == ["Name ann", "Name bob"]
    assert [s["action"] for s in result["stages"]] == [
        stv.FIRST_PREFERENCES,
        stv.SURPLUS,
        stv.EXCLUSION,
    ]
    assert result["ballots_cast"] == 9 and result["roll_size"] == 12
    ElectionResultSchema().dump(result)
    closed = emit.last("election_closed")
    assert [e["external_id"] for e in closed["elected"]] == ["ann", "bob"]
    statuses = {
        c["external_id"]: c["status"]
        for c in elections.get_election(session, admin, eid)["candidates"]
    }
    assert statuses == {"ann": "elected", "bob": "elected", "cat": "not_elected"}

    published = elections.published_ballots(session, as_member("cat"), eid)
    PublishedBallotsSchema().dump(published)
    mine = next(b for b in published["ballots"] if b["receipt"] == receipts["v-7"])
    assert mine["ranking"] == [ids["cat"], ids["bob"]]
    assert [b["receipt"] for b in published["ballots"]] == sorted(receipts.values())
    recount_from_file = read_blt(published["blt"])
    recount = stv.count(
        recount_from_file.rankings(), recount_from_file.seats, recount_from_file.standing()
    )
    assert [recount_from_file.name_of(c) for c in recount.elected] == ["Name ann", "Name bob"]
    audit = elections.roll_audit(session, as_member("ann"), eid)
    assert (audit["roll_size"], audit["voted"]) == (12, 9)
    assert {e["external_id"] for e in audit["entries"] if not e["voted"]} == {"ann", "bob", "cat"}


def test_the_count_draws_lots_reproducibly_from_the_election_id(
    session, emit, t0, admin, enrol, as_member
):
    enrol("ann", "bob", "v-1", "v-2")
    eid = call_election(session, emit, admin, t0, seats=1)["election_id"]
    ids = stand(session, emit, as_member, eid, t0, "ann", "bob")
    opens = t0 + timedelta(days=7)
    elections.open_due(session, emit, now=opens)
    elections.cast_ballot(session, as_member("v-1"), eid, [ids["ann"]], now=opens)
    elections.cast_ballot(session, as_member("v-2"), eid, [ids["bob"]], now=opens)

    elections.close_due(session, emit, now=t0 + timedelta(days=14))

    result = elections.election_result(session, admin, eid)
    expected = stv.count([[ids["ann"]], [ids["bob"]]], 1, [ids["ann"], ids["bob"]], seed=eid)
    assert [c["candidate_id"] for c in result["elected"]] == list(expected.elected)
    assert result["stages"][1]["tie_break"] == stv.LOT


def test_reminders_and_listing(session, emit, t0, admin, enrol, as_member):
    enrol("m-1", "m-2")
    eid = call_election(session, emit, admin, t0)["election_id"]
    ids = stand(session, emit, as_member, eid, t0, "m-1")
    elections.open_due(session, emit, now=t0 + timedelta(days=7))
    elections.cast_ballot(session, as_member("m-1"), eid, [ids["m-1"]], now=t0 + timedelta(days=7))
    closes = t0 + timedelta(days=14)

    assert elections.remind_due(session, emit, now=closes - timedelta(hours=30)) == []
    assert elections.remind_due(session, emit, now=closes - timedelta(hours=23)) == [eid]
    assert elections.remind_due(session, emit, now=closes - timedelta(hours=1)) == []
    assert emit.last("election_closing_soon")["not_yet_voted"] == ["m-2"]

    page = elections.list_elections(session, as_member("m-2"), status="open")
    assert [e["election_id"] for e in page["items"]] == [eid]
    ElectionPageSchema().dump(page)
    with pytest.raises(Forbidden):
        elections.list_elections(session, as_member("outsider"))


def test_ballot_arguments_are_validated_strictly():
    with pytest.raises(ValidationError) as error:
        CastBallotArgs().load({"election_id": "e", "ranking": [], "voter": "m"})
    assert set(error.value.messages) == {"ranking", "voter"}


def test_closing_reseals_ranked_ballots(session, emit, t0, admin, enrol, as_member):
    enrol("m-1", "m-2")
    eid = call_election(session, emit, admin, t0)["election_id"]
    ids = stand(session, emit, as_member, eid, t0, "m-1", "m-2")
    opens = t0 + timedelta(days=7)
    elections.open_due(session, emit, now=opens)
    for user in ("m-1", "m-2"):
        elections.cast_ballot(session, as_member(user), eid, [ids["m-2"], ids["m-1"]], now=opens)
    before = {b.id for b in session.scalars(select(ElectionBallot))}

    elections.close_due(session, emit, now=t0 + timedelta(days=14))

    after = session.scalars(select(ElectionBallot)).all()
    assert len(after) == 2 and not {b.id for b in after} & before
