"""On PostgreSQL, from the migrations: one vote per member under real concurrency, and
ballots resealed at the close so the hidden `xmin` no longer matches a voter's roll entry."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from loconomics_governance.domain import members, proposals, timetable
from loconomics_plumbing.errors import Conflict
from loconomics_plumbing.identity import Caller
from sqlalchemy import text

pytestmark = pytest.mark.postgres

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
BOARD = Caller("board", frozenset({"admin"}))


def drop(*_) -> None:
    """Events are not what these tests look at."""


@pytest.fixture
def sessions(migrated_sessions):
    return migrated_sessions("governance")


def open_proposal(sessions, *user_ids: str) -> str:
    with sessions() as session:
        for user_id in user_ids:
            members.record_member_status(
                session, drop, user_id, "active", T0 - timedelta(days=9), now=T0
            )
        pid = proposals.create_proposal(
            session,
            drop,
            BOARD,
            "Adopt the budget",
            "",
            "ordinary",
            T0 + timedelta(minutes=1),
            T0 + timedelta(days=1),
            now=T0,
        )["proposal_id"]
        assert timetable.open_due(session, drop, now=T0 + timedelta(minutes=1))[
            "proposals_opened"
        ] == [pid]
        session.commit()
    return pid


def test_the_migration_sets_postgres_only_storage_options(sessions):
    with sessions() as session:
        options = dict(
            session.execute(
                text(
                    "SELECT relname, reloptions FROM pg_class "
                    "WHERE relname IN ('proposal_votes', 'election_ballots')"
                )
            ).all()
        )
    for table in ("proposal_votes", "election_ballots"):
        assert set(options[table]) == {
            "autovacuum_vacuum_threshold=0",
            "autovacuum_vacuum_scale_factor=0",
        }


def test_one_vote_per_member_while_another_transaction_holds_it(sessions):
    pid = open_proposal(sessions, "m-1", "m-2")
    voter = Caller("m-1", frozenset({"professional"}))
    when = T0 + timedelta(hours=1)
    first_voted = threading.Event()
    outcomes: list[str] = []
    waited: list[float] = []
    lock = threading.Lock()

    def holder() -> None:
        with sessions() as session:
            proposals.cast_vote(session, voter, pid, "yes", now=when)
            first_voted.set()
            time.sleep(0.5)
            session.commit()
        with lock:
            outcomes.append("voted")

    def contender(choice: str) -> None:
        first_voted.wait(5)
        started = time.monotonic()
        with sessions() as session:
            try:
                proposals.cast_vote(session, voter, pid, choice, now=when)
                session.commit()
                outcome = "voted"
            except Conflict:
                session.rollback()
                outcome = "refused"
        with lock:
            outcomes.append(outcome)
            waited.append(time.monotonic() - started)

    threads = [threading.Thread(target=holder)]
    threads += [threading.Thread(target=contender, args=(c,)) for c in ("no", "abstain", "no")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(outcomes) == ["refused", "refused", "refused", "voted"]
    assert min(waited) > 0.3, "the contenders waited for the holder's row lock"
    with sessions() as session:
        stored = session.execute(
            text("SELECT choice FROM proposal_votes WHERE proposal_id = :p"), {"p": pid}
        ).scalars()
        assert list(stored) == ["yes"]


def test_many_members_voting_at_once_all_count_once(sessions):
    voters = [f"m-{n}" for n in range(8)]
    pid = open_proposal(sessions, *voters)
    start = threading.Barrier(len(voters) * 2)
    results: list[str] = []
    lock = threading.Lock()

    def vote(user_id: str) -> None:
        start.wait(5)
        with sessions() as session:
            try:
                proposals.cast_vote(
                    session,
                    Caller(user_id, frozenset()),
                    pid,
                    "yes",
                    now=T0 + timedelta(hours=1),
                )
                session.commit()
                outcome = "voted"
            except Conflict:
                session.rollback()
                outcome = "refused"
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=vote, args=(v,)) for v in voters + voters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == ["refused"] * 8 + ["voted"] * 8
    with sessions() as session:
        count = session.execute(
            text("SELECT count(*) FROM proposal_votes WHERE proposal_id = :p"), {"p": pid}
        ).scalar_one()
        assert count == 8


def test_the_close_reseals_ballots_away_from_the_voters_transactions(sessions):
    voters = ["m-1", "m-2", "m-3"]
    pid = open_proposal(sessions, *voters)
    for user_id in voters:
        with sessions() as session:
            proposals.cast_vote(
                session, Caller(user_id, frozenset()), pid, "yes", now=T0 + timedelta(hours=1)
            )
            session.commit()

    def xmins(table: str, column: str) -> list[str]:
        with sessions() as session:
            return list(
                session.execute(
                    text(f"SELECT xmin::text FROM {table} WHERE {column} = :p"), {"p": pid}
                ).scalars()
            )

    roll = set(xmins("roll_entries", "ballot_id"))
    assert set(xmins("proposal_votes", "proposal_id")) <= roll, "before the close they match"
    with sessions() as session:
        closed = timetable.close_due(session, drop, now=T0 + timedelta(days=2))
        assert closed["proposals_closed"] == [pid]
        session.commit()
    after = xmins("proposal_votes", "proposal_id")
    assert len(after) == 3 and len(set(after)) == 1
    assert not set(after) & roll
