"""Proposals: one member, one vote on a motion, by secret ballot.

Lifecycle: `draft` (no voting window yet) -> `scheduled` -> `open` (the roll is taken as
of `opens_at`) -> `closed` (tally and outcome recorded, ballots published). The timer
(`timetable`) moves proposals along; every move is a compare-and-set on `status`, so
several copies of the service running the same timer never open or close one twice.

Tallies stay hidden until the close: while voting is open no read shows any count.
Members in good standing and administrators may put a proposal forward.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Proposal, ProposalVote
from ..policy import DEFAULT_POLICY, GovernancePolicy
from . import ballot_timeline, roll
from .access import (
    Caller,
    is_admin,
    member_of,
    require_member_in_good_standing,
    require_member_or_admin,
    require_signed_in,
)
from .ballot_box import reseal, unused_receipt
from .ballot_timeline import CLOSED, OPEN
from .decisions import KINDS, decide
from .identifiers import new_id
from .moments import iso, utc
from .paging import newest_first
from .roll import electorate, mark_voted, take_roll

DRAFT = "draft"
SCHEDULED = "scheduled"
STATUSES = (DRAFT, SCHEDULED, OPEN, CLOSED)
CHOICES = ("yes", "no", "abstain")

Emit = Callable[[str, dict], None]


def create_proposal(
    session: Session,
    emit: Emit,
    caller: Caller,
    title: str,
    body: str,
    kind: str,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    quorum_percent: int | None = None,
    *,
    now: datetime,
    policy: GovernancePolicy = DEFAULT_POLICY,
) -> dict:
    user_id = require_signed_in(caller)
    if not is_admin(caller):
        require_member_in_good_standing(session, caller)
    proposal = put_forward(
        session,
        emit,
        user_id,
        title,
        body,
        kind,
        opens_at,
        closes_at,
        policy.quorum_percent if quorum_percent is None else quorum_percent,
        now=now,
    )
    return proposal_view(proposal)


def put_forward(
    session: Session,
    emit: Emit,
    created_by: str,
    title: str,
    body: str,
    kind: str,
    opens_at: datetime | None,
    closes_at: datetime | None,
    quorum_percent: int,
    *,
    now: datetime,
) -> Proposal:
    """Create a proposal for someone already authorised (a member, or the board)."""
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    if not title or len(title) > 200:
        errors["title"] = ["must be 1 to 200 characters"]
    if kind not in KINDS:
        errors["kind"] = [f"must be one of {', '.join(KINDS)}"]
    if not 0 <= quorum_percent <= 100:
        errors["quorum_percent"] = ["must be between 0 and 100"]
    if errors:
        raise Invalid("The proposal is not valid.", errors)
    if (opens_at is None) != (closes_at is None):
        raise field_error("closes_at", "give both opens_at and closes_at, or neither")
    if opens_at is not None and closes_at is not None:
        opens_at, closes_at = _voting_window(opens_at, closes_at, now)
    proposal = Proposal(
        id=new_id(),
        title=title,
        body=body or "",
        kind=kind,
        status=SCHEDULED if opens_at else DRAFT,
        quorum_percent=quorum_percent,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=created_by,
        created_at=now,
    )
    session.add(proposal)
    session.flush()
    emit("proposal_created", _announcement(proposal))
    return proposal


def schedule_proposal(
    session: Session,
    emit: Emit,
    caller: Caller,
    proposal_id: str,
    opens_at: datetime,
    closes_at: datetime,
    *,
    now: datetime,
) -> dict:
    """Set (or move) the voting window of a proposal that has not opened yet."""
    user_id = require_signed_in(caller)
    proposal = _get(session, proposal_id)
    if proposal.created_by != user_id and not is_admin(caller):
        raise Forbidden("Only whoever put the proposal forward, or an administrator, may do this.")
    if proposal.status not in (DRAFT, SCHEDULED):
        raise Conflict("Voting on this proposal has already opened.")
    proposal.opens_at, proposal.closes_at = _voting_window(opens_at, closes_at, now)
    proposal.status = SCHEDULED
    session.flush()
    emit("proposal_scheduled", _announcement(proposal))
    return proposal_view(proposal)


def cast_vote(
    session: Session, caller: Caller, proposal_id: str, choice: str, *, now: datetime
) -> dict:
    """Vote once; returns the receipt that finds this vote in the published ballots.

    Emits nothing: an event would put a time on the ballot.
    """
    require_signed_in(caller)
    if choice not in CHOICES:
        raise field_error("choice", f"must be one of {', '.join(CHOICES)}")
    proposal = _get(session, proposal_id)
    if proposal.status != OPEN or now >= proposal.closes_at:
        raise Conflict("Voting on this proposal is not open.")
    member = member_of(session, caller)
    if member is None:
        raise Forbidden("Only members on this proposal's roll may vote.")
    mark_voted(session, proposal.id, member, now)
    receipt = unused_receipt(session, ProposalVote.proposal_id, proposal.id)
    session.add(ProposalVote(id=new_id(), proposal_id=proposal.id, choice=choice, receipt=receipt))
    session.flush()
    return {"proposal_id": proposal.id, "receipt": receipt}


def get_proposal(session: Session, caller: Caller, proposal_id: str) -> dict:
    require_member_or_admin(session, caller)
    return proposal_view(_get(session, proposal_id))


def list_proposals(
    session: Session,
    caller: Caller,
    status: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> dict:
    require_member_or_admin(session, caller)
    query = select(Proposal)
    if status is not None:
        if status not in STATUSES:
            raise field_error("status", f"must be one of {', '.join(STATUSES)}")
        query = query.where(Proposal.status == status)
    return newest_first(
        session, query, Proposal.created_at, Proposal.id, limit, cursor, proposal_view
    )


def published_votes(session: Session, caller: Caller, proposal_id: str) -> dict:
    """After the close: every vote with its receipt, so each voter can find theirs."""
    require_member_or_admin(session, caller)
    proposal = _closed(session, proposal_id)
    votes = session.execute(
        select(ProposalVote.receipt, ProposalVote.choice)
        .where(ProposalVote.proposal_id == proposal.id)
        .order_by(ProposalVote.receipt)
    ).all()
    return {
        "proposal_id": proposal.id,
        "ballots": [{"receipt": receipt, "choice": choice} for receipt, choice in votes],
    }


def roll_audit(session: Session, caller: Caller, proposal_id: str) -> dict:
    """After the close: who was on the roll and whether they voted, never how."""
    require_member_or_admin(session, caller)
    return roll.roll_audit(session, _closed(session, proposal_id).id)


def open_due(session: Session, emit: Emit, *, now: datetime) -> list[str]:
    """Open every scheduled proposal whose time has come, taking its roll."""
    opened = []
    due = session.scalars(
        select(Proposal).where(Proposal.status == SCHEDULED, Proposal.opens_at <= now)
    ).all()
    for proposal in due:
        if not ballot_timeline.move(session, proposal, SCHEDULED, OPEN, opened_at=now):
            continue
        proposal.roll_size = take_roll(session, proposal.id, proposal.opens_at)
        emit(
            "proposal_opened",
            {
                **_announcement(proposal),
                "roll_size": proposal.roll_size,
                "electorate": electorate(session, proposal.id),
            },
        )
        opened.append(proposal.id)
    return opened


def remind_due(
    session: Session, emit: Emit, *, now: datetime, policy: GovernancePolicy = DEFAULT_POLICY
) -> list[str]:
    """Tell the roll, once, that an open proposal closes within the reminder period."""
    return ballot_timeline.remind_due(
        session, emit, Proposal, "proposal_closing_soon", _announcement, now=now, policy=policy
    )


def close_due(session: Session, emit: Emit, *, now: datetime) -> list[str]:
    """Close every open proposal past its closing time: count, decide, publish."""
    closed = []
    due = session.scalars(
        select(Proposal).where(Proposal.status == OPEN, Proposal.closes_at <= now)
    ).all()
    for proposal in due:
        if not ballot_timeline.move(session, proposal, OPEN, CLOSED, closed_at=now):
            continue
        tally = dict.fromkeys(CHOICES, 0)
        tally.update(
            session.execute(
                select(ProposalVote.choice, func.count())
                .where(ProposalVote.proposal_id == proposal.id)
                .group_by(ProposalVote.choice)
            ).all()
        )
        decision = decide(
            proposal.kind,
            tally["yes"],
            tally["no"],
            tally["abstain"],
            proposal.roll_size or 0,
            proposal.quorum_percent,
        )
        proposal.yes_votes, proposal.no_votes = tally["yes"], tally["no"]
        proposal.abstentions = tally["abstain"]
        proposal.outcome = decision.outcome
        reseal(session, ProposalVote.proposal_id, proposal.id)
        emit(
            "proposal_closed",
            {**_announcement(proposal), "outcome": decision.outcome, "tally": _tally(proposal)},
        )
        closed.append(proposal.id)
    return closed


def proposal_view(proposal: Proposal) -> dict:
    return {
        "proposal_id": proposal.id,
        "title": proposal.title,
        "body": proposal.body,
        "kind": proposal.kind,
        "status": proposal.status,
        "quorum_percent": proposal.quorum_percent,
        "opens_at": proposal.opens_at,
        "closes_at": proposal.closes_at,
        "created_by": proposal.created_by,
        "created_at": proposal.created_at,
        "opened_at": proposal.opened_at,
        "closed_at": proposal.closed_at,
        "roll_size": proposal.roll_size,
        "outcome": proposal.outcome if proposal.status == CLOSED else None,
        "tally": _tally(proposal) if proposal.status == CLOSED else None,
    }


def _tally(proposal: Proposal) -> dict:
    yes, no, abstain = proposal.yes_votes or 0, proposal.no_votes or 0, proposal.abstentions or 0
    decision = decide(
        proposal.kind, yes, no, abstain, proposal.roll_size or 0, proposal.quorum_percent
    )
    return {
        "yes": yes,
        "no": no,
        "abstain": abstain,
        "votes_cast": decision.votes_cast,
        "roll_size": proposal.roll_size or 0,
        "quorum_met": decision.quorum_met,
    }


def _announcement(proposal: Proposal) -> dict:
    return {
        "proposal_id": proposal.id,
        "title": proposal.title,
        "kind": proposal.kind,
        "opens_at": iso(proposal.opens_at),
        "closes_at": iso(proposal.closes_at),
    }


def _voting_window(opens_at: datetime, closes_at: datetime, now: datetime) -> tuple:
    opens_at, closes_at = utc("opens_at", opens_at), utc("closes_at", closes_at)
    if opens_at < now:
        raise field_error("opens_at", "must not be in the past")
    if closes_at <= opens_at:
        raise field_error("closes_at", "must be after opens_at")
    return opens_at, closes_at




def _get(session: Session, proposal_id: str) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound("No proposal with that id.")
    return proposal


def _closed(session: Session, proposal_id: str) -> Proposal:
    proposal = _get(session, proposal_id)
    if proposal.status != CLOSED:
        raise Conflict("Ballots and the roll are published when voting closes.")
    return proposal
