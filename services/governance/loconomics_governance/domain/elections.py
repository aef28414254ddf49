"""Board elections: members stand, the roll ranks them, Scottish STV counts.

Lifecycle: `nominating` (from creation until `nominations_close_at`, members in good
standing nominate themselves and may withdraw) -> `open` (from `opens_at`, the roll is
taken as of then and ranked ballots are cast) -> `closed` (counted by `stv.count`, seeded
with the election id for any drawing of lots; result, anonymised ballots, a BLT file and
the eligibility audit are published). Only administrators create elections.

A member who leaves the cooperative for good (`departures`) stops standing in every
election not yet counted whose voting ends after they left, while voting is open too.
Papers already ranking them then pass to their next preference, as for any candidate
withdrawn or excluded; the published BLT file lists them as withdrawn, so a re-count
from it skips them the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Candidate, Election, ElectionBallot, Member
from ..policy import DEFAULT_POLICY, GovernancePolicy
from . import ballot_timeline, roll, stv
from .access import (
    Caller,
    member_of,
    require_admin,
    require_member_in_good_standing,
    require_member_or_admin,
    require_signed_in,
)
from .ballot_box import reseal, unused_receipt
from .ballot_timeline import CLOSED, OPEN
from .blt import blt_from_rankings, write_blt
from .identifiers import new_id
from .moments import iso, utc
from .paging import newest_first
from .roll import electorate, mark_voted, take_roll

NOMINATING = "nominating"
STATUSES = (NOMINATING, OPEN, CLOSED)
STANDING = "standing"
WITHDRAWN = "withdrawn"
ELECTED = "elected"
NOT_ELECTED = "not_elected"
MAX_SEATS = 50

Emit = Callable[[str, dict], None]


def create_election(
    session: Session,
    emit: Emit,
    caller: Caller,
    title: str,
    seats: int,
    opens_at: datetime,
    closes_at: datetime,
    nominations_close_at: datetime | None = None,
    body: str = "",
    *,
    now: datetime,
) -> dict:
    user_id = require_admin(caller)
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    if not title or len(title) > 200:
        errors["title"] = ["must be 1 to 200 characters"]
    if not 1 <= seats <= MAX_SEATS:
        errors["seats"] = [f"must be between 1 and {MAX_SEATS}"]
    if errors:
        raise Invalid("The election is not valid.", errors)
    opens_at, closes_at = utc("opens_at", opens_at), utc("closes_at", closes_at)
    nominations_close_at = utc(
        "nominations_close_at", nominations_close_at if nominations_close_at else opens_at
    )
    if nominations_close_at <= now:
        raise field_error("nominations_close_at", "must be in the future")
    if opens_at < nominations_close_at:
        raise field_error("opens_at", "must not be before nominations close")
    if closes_at <= opens_at:
        raise field_error("closes_at", "must be after opens_at")
    election = Election(
        id=new_id(),
        title=title,
        body=body or "",
        seats=seats,
        status=NOMINATING,
        nominations_close_at=nominations_close_at,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=user_id,
        created_at=now,
    )
    session.add(election)
    session.flush()
    emit(
        "election_created",
        {**_announcement(election), "nominations_close_at": iso(nominations_close_at)},
    )
    return election_view(session, election)


def nominate(
    session: Session,
    emit: Emit,
    caller: Caller,
    election_id: str,
    statement: str = "",
    name: str | None = None,
    *,
    now: datetime,
) -> dict:
    """The caller stands for election (self-nomination; members in good standing only).

    `name` is how the candidate appears on the ballot paper; the register's name by default.
    """
    member = require_member_in_good_standing(session, caller)
    election = _nominations_open(session, election_id, now)
    candidate = _candidacy(session, election.id, member.id)
    if candidate is not None and candidate.status == STANDING:
        raise Conflict("You are already standing in this election.")
    if candidate is None:
        candidate = Candidate(
            id=new_id(), election_id=election.id, member_id=member.id, nominated_at=now
        )
        session.add(candidate)
    candidate.name = (name or "").strip()[:200] or member.name or member.external_id
    candidate.statement = statement or ""
    candidate.status = STANDING
    session.flush()
    emit(
        "candidate_nominated",
        {
            "election_id": election.id,
            "candidate_id": candidate.id,
            "external_id": member.external_id,
            "name": candidate.name,
        },
    )
    return candidate_view(candidate, member.external_id)


def withdraw(
    session: Session, emit: Emit, caller: Caller, election_id: str, *, now: datetime
) -> dict:
    require_signed_in(caller)
    election = _nominations_open(session, election_id, now)
    member = member_of(session, caller)
    candidate = _candidacy(session, election.id, member.id) if member else None
    if candidate is None or candidate.status != STANDING:
        raise NotFound("You are not standing in this election.")
    _withdraw_candidate(session, emit, candidate, member.external_id)
    return candidate_view(candidate, member.external_id)


def withdraw_departed(
    session: Session, emit: Emit, member: Member, *, left_at: datetime
) -> list[str]:
    """`member` left for good at `left_at`: their candidacy in every election not yet
    counted whose voting ends after then is withdrawn, and its statement erased. Returns
    the elections' ids. An election counted (its candidates are elected or not, no longer
    standing), or whose voting ended before they left, keeps them: its result is a record."""
    standing = session.scalars(
        select(Candidate)
        .join(Election, Election.id == Candidate.election_id)
        .where(
            Candidate.member_id == member.id,
            Candidate.status == STANDING,
            Election.closes_at > left_at,
        )
        .order_by(Candidate.election_id)
    ).all()
    for candidate in standing:
        candidate.statement = ""
        _withdraw_candidate(session, emit, candidate, member.external_id)
    return [candidate.election_id for candidate in standing]


def _withdraw_candidate(
    session: Session, emit: Emit, candidate: Candidate, external_id: str
) -> None:
    candidate.status = WITHDRAWN
    session.flush()
    emit(
        "candidate_withdrawn",
        {
            "election_id": candidate.election_id,
            "candidate_id": candidate.id,
            "external_id": external_id,
            "name": candidate.name,
        },
    )


def cast_ballot(
    session: Session, caller: Caller, election_id: str, ranking: Sequence[str], *, now: datetime
) -> dict:
    """Rank candidates once; returns the receipt that finds this ballot once published.

    Emits nothing: an event would put a time on the ballot.
    """
    require_signed_in(caller)
    election = _get(session, election_id)
    if election.status != OPEN or now >= election.closes_at:
        raise Conflict("Voting in this election is not open.")
    ranking = list(ranking)
    standing = {c.id for c in _candidates(session, election.id)}
    if not ranking:
        raise field_error("ranking", "rank at least one candidate")
    if len(set(ranking)) != len(ranking):
        raise field_error("ranking", "rank each candidate at most once")
    if not set(ranking) <= standing:
        raise field_error("ranking", "rank only candidates standing in this election")
    member = member_of(session, caller)
    if member is None:
        raise Forbidden("Only members on this election's roll may vote.")
    mark_voted(session, election.id, member, now)
    receipt = unused_receipt(session, ElectionBallot.election_id, election.id)
    session.add(
        ElectionBallot(id=new_id(), election_id=election.id, ranking=ranking, receipt=receipt)
    )
    session.flush()
    return {"election_id": election.id, "receipt": receipt}


def get_election(session: Session, caller: Caller, election_id: str) -> dict:
    require_member_or_admin(session, caller)
    return election_view(session, _get(session, election_id))


def list_elections(
    session: Session,
    caller: Caller,
    status: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> dict:
    require_member_or_admin(session, caller)
    query = select(Election)
    if status is not None:
        if status not in STATUSES:
            raise field_error("status", f"must be one of {', '.join(STATUSES)}")
        query = query.where(Election.status == status)
    return newest_first(
        session,
        query,
        Election.created_at,
        Election.id,
        limit,
        cursor,
        lambda election: election_view(session, election),
    )


def election_result(session: Session, caller: Caller, election_id: str) -> dict:
    """Who was elected, and every stage of the count, with candidate names."""
    require_member_or_admin(session, caller)
    election = _closed(session, election_id)
    candidates = {c.id: c for c in _candidates(session, election.id)}
    result = dict(election.count_result)
    return {
        "election_id": election.id,
        "title": election.title,
        **result,
        "candidates": [
            {"candidate_id": cid, "name": candidates[cid].name} for cid in result["candidates"]
        ],
        "elected": [
            {"candidate_id": cid, "name": candidates[cid].name} for cid in result["elected"]
        ],
        "ballots_cast": election.ballots_cast,
        "roll_size": election.roll_size,
    }


def published_ballots(session: Session, caller: Caller, election_id: str) -> dict:
    """After the close: every ranked ballot with its receipt, and the same as a BLT file."""
    require_member_or_admin(session, caller)
    election = _closed(session, election_id)
    rows = session.execute(
        select(ElectionBallot.receipt, ElectionBallot.ranking)
        .where(ElectionBallot.election_id == election.id)
        .order_by(ElectionBallot.receipt)
    ).all()
    candidates = _on_the_papers(session, election.id, [ranking for _, ranking in rows])
    blt = blt_from_rankings(
        election.title,
        election.seats,
        [(c.id, c.name) for c in candidates],
        (ranking for _, ranking in rows),
        withdrawn=[c.id for c in candidates if c.status == WITHDRAWN],
    )
    return {
        "election_id": election.id,
        "candidates": [
            {
                "number": n,
                "candidate_id": c.id,
                "name": c.name,
                "withdrawn": c.status == WITHDRAWN,
            }
            for n, c in enumerate(candidates, start=1)
        ],
        "ballots": [{"receipt": receipt, "ranking": list(ranking)} for receipt, ranking in rows],
        "blt": write_blt(blt),
    }


def roll_audit(session: Session, caller: Caller, election_id: str) -> dict:
    require_member_or_admin(session, caller)
    return roll.roll_audit(session, _closed(session, election_id).id)


def open_due(session: Session, emit: Emit, *, now: datetime) -> list[str]:
    """Open voting in every election whose time has come, taking its roll."""
    opened = []
    due = session.scalars(
        select(Election).where(Election.status == NOMINATING, Election.opens_at <= now)
    ).all()
    for election in due:
        if not ballot_timeline.move(session, election, NOMINATING, OPEN, opened_at=now):
            continue
        election.roll_size = take_roll(session, election.id, election.opens_at)
        emit(
            "election_opened",
            {
                **_announcement(election),
                "roll_size": election.roll_size,
                "electorate": electorate(session, election.id),
                "candidates": [
                    {"candidate_id": c.id, "name": c.name}
                    for c in _candidates(session, election.id)
                ],
            },
        )
        opened.append(election.id)
    return opened


def remind_due(
    session: Session, emit: Emit, *, now: datetime, policy: GovernancePolicy = DEFAULT_POLICY
) -> list[str]:
    """Tell the roll, once, that an open election closes within the reminder period."""
    return ballot_timeline.remind_due(
        session, emit, Election, "election_closing_soon", _announcement, now=now, policy=policy
    )


def close_due(session: Session, emit: Emit, *, now: datetime) -> list[str]:
    """Close every open election past its closing time and count it."""
    closed = []
    due = session.scalars(
        select(Election).where(Election.status == OPEN, Election.closes_at <= now)
    ).all()
    for election in due:
        if not ballot_timeline.move(session, election, OPEN, CLOSED, closed_at=now):
            continue
        candidates = _candidates(session, election.id)
        rankings = session.scalars(
            select(ElectionBallot.ranking).where(ElectionBallot.election_id == election.id)
        ).all()
        result = stv.count(rankings, election.seats, [c.id for c in candidates], seed=election.id)
        elected = set(result.elected)
        for candidate in candidates:
            candidate.status = ELECTED if candidate.id in elected else NOT_ELECTED
        election.ballots_cast = len(rankings)
        election.count_result = result.as_dict()
        reseal(session, ElectionBallot.election_id, election.id)
        names = {c.id: (c.name, c.member_id) for c in candidates}
        external = dict(
            session.execute(
                select(Member.id, Member.external_id).where(
                    Member.id.in_([member_id for _, member_id in names.values()])
                )
            ).all()
        )
        emit(
            "election_closed",
            {
                **_announcement(election),
                "quota": result.quota,
                "valid_papers": result.valid_papers,
                "stages": len(result.stages),
                "elected": [
                    {
                        "candidate_id": cid,
                        "name": names[cid][0],
                        "external_id": external[names[cid][1]],
                    }
                    for cid in result.elected
                ],
            },
        )
        closed.append(election.id)
    return closed


def election_view(session: Session, election: Election) -> dict:
    closed = election.status == CLOSED
    candidates = _candidates(session, election.id)
    external = dict(
        session.execute(
            select(Member.id, Member.external_id).where(
                Member.id.in_([c.member_id for c in candidates])
            )
        ).all()
    )
    return {
        "election_id": election.id,
        "title": election.title,
        "body": election.body,
        "seats": election.seats,
        "status": election.status,
        "nominations_close_at": election.nominations_close_at,
        "opens_at": election.opens_at,
        "closes_at": election.closes_at,
        "created_by": election.created_by,
        "created_at": election.created_at,
        "opened_at": election.opened_at,
        "closed_at": election.closed_at,
        "roll_size": election.roll_size,
        "ballots_cast": election.ballots_cast if closed else None,
        "candidates": [candidate_view(c, external[c.member_id]) for c in candidates],
    }


def candidate_view(candidate: Candidate, external_id: str) -> dict:
    return {
        "candidate_id": candidate.id,
        "external_id": external_id,
        "name": candidate.name,
        "statement": candidate.statement,
        "status": candidate.status,
        "nominated_at": candidate.nominated_at,
    }


def _announcement(election: Election) -> dict:
    return {
        "election_id": election.id,
        "title": election.title,
        "seats": election.seats,
        "opens_at": iso(election.opens_at),
        "closes_at": iso(election.closes_at),
    }


def _candidates(session: Session, election_id: str) -> list[Candidate]:
    """Candidates not withdrawn, in nomination order: how the count and BLT number them."""
    query = select(Candidate).where(
        Candidate.election_id == election_id, Candidate.status != WITHDRAWN
    )
    return list(session.scalars(query.order_by(Candidate.nominated_at, Candidate.id)))


def _on_the_papers(
    session: Session, election_id: str, rankings: Sequence[Sequence[str]]
) -> list[Candidate]:
    """The candidates the published ballots name, in nomination order: those counted, and
    those withdrawn while voting was open whom a paper ranks (a voter ranked them)."""
    ranked = {cid for ranking in rankings for cid in ranking}
    every = session.scalars(
        select(Candidate)
        .where(Candidate.election_id == election_id)
        .order_by(Candidate.nominated_at, Candidate.id)
    )
    return [c for c in every if c.status != WITHDRAWN or c.id in ranked]


def _candidacy(session: Session, election_id: str, member_id: str) -> Candidate | None:
    return session.scalars(
        select(Candidate).where(
            Candidate.election_id == election_id, Candidate.member_id == member_id
        )
    ).first()


def _nominations_open(session: Session, election_id: str, now: datetime) -> Election:
    election = _get(session, election_id)
    if election.status != NOMINATING or now >= election.nominations_close_at:
        raise Conflict("Nominations for this election are closed.")
    return election


def _get(session: Session, election_id: str) -> Election:
    election = session.get(Election, election_id)
    if election is None:
        raise NotFound("No election with that id.")
    return election


def _closed(session: Session, election_id: str) -> Election:
    election = _get(session, election_id)
    if election.status != CLOSED:
        raise Conflict("The count is run and published when voting closes.")
    return election
