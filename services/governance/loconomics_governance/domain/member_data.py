"""A member's copy of what governance keeps about them (docs/data-export.md), from
governance's own database alone.

The caller is keyed as the register keys everyone: by `external_id`, the id the feeding
system knows them by (Loconomics: the account id, the caller's `user_id`). Someone
governance never heard of gets every section empty, not NotFound: a contact copy, a
departure or patronage can exist without a register entry, and "nothing" is an answer too.

Ballots are secret: a vote or a ranked ballot is stored with no member, no time and no
order (see `models`), so nothing links one to anyone and no section shows one. What the
cooperative does keep of a member's voting is the roll: that they were on it, whether
they voted and when (`roll_entries`), never how.

Each section is built as plain dicts here and dumped by its record schema in `schemas.py`,
so a new column never leaks by accident. Governance keeps no password, token or key.
"""

from __future__ import annotations

from loconomics_plumbing.member_data import member_data_part
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import (
    Candidate,
    Contact,
    Departure,
    Election,
    Member,
    MemberStatusChange,
    PatronageAllocation,
    PatronageRecord,
    PatronageShare,
    Proposal,
    RollEntry,
)
from . import members
from .access import Caller, require_signed_in

SERVICE = "governance"

ABOUT: dict[str, str] = {
    "member": (
        "Your entry in the cooperative's register of members: your status and since when, "
        "when you joined, and the name and email kept with it. A cooperative must keep its "
        "register, former members included (after a departure the email is erased)."
    ),
    "member_status_changes": (
        "Every status report received about you, oldest first, including late ones kept "
        "as history but not applied: voter rolls are read from this history."
    ),
    "contact": (
        "The name and email the platform told governance you go by, kept to name you on "
        "the register, rolls and ballot papers once you are a member."
    ),
    "departure": (
        "That you left and asked to be forgotten, and when: it keeps your address erased "
        "and you withdrawn, whatever arrives later."
    ),
    "roll_entries": (
        "The voter rolls you were on, one per proposal or election, with whether and when "
        "you voted. How you voted is not here: ballots are secret and linked to no one."
    ),
    "proposals": "Proposals you put forward, with their outcome and tally once voting closed.",
    "candidacies": (
        "Your candidacies in board elections: the name on the ballot paper, your statement "
        "and where the candidacy stands."
    ),
    "patronage_records": (
        "Business you did with the cooperative (dues paid, bookings completed), one row per "
        "event: your patronage, which decides your share of a surplus."
    ),
    "patronage_allocations": (
        "Year-end allocations of a surplus you have a share in, or that you proposed for "
        "the board: the surplus, the cash percentage and where the members' vote left it."
    ),
    "patronage_shares": (
        "Your share of each allocation: your points and the amount, split into cash and "
        "retained; what the cooperative owes you is still owed after you leave."
    ),
}

SECTIONS = tuple(ABOUT)

# Every table of governance's database: the sections it feeds ...
SECTIONS_BY_TABLE: dict[str, tuple[str, ...]] = {
    "members": ("member",),
    "member_status_changes": ("member_status_changes",),
    "contacts": ("contact",),
    "departures": ("departure",),
    "roll_entries": ("roll_entries",),
    "proposals": ("proposals",),
    "candidates": ("candidacies",),
    "patronage_records": ("patronage_records",),
    "patronage_allocations": ("patronage_allocations",),
    "patronage_shares": ("patronage_shares",),
}

# ... or why it holds nothing of a member's to show.
NOTHING_TO_SHOW: dict[str, str] = {
    "proposal_votes": (
        "Secret votes: each holds a proposal, a choice and a receipt, and nothing linking "
        "it to a member (no member id, no time, no order), so none can be shown as anyone's. "
        "That the member voted, and when, is in roll_entries."
    ),
    "election_ballots": (
        "Secret ranked ballots: each holds an election, a ranking and a receipt, and nothing "
        "linking it to a voter (no member id, no time, no order), so none can be shown as "
        "anyone's. That the member voted, and when, is in roll_entries."
    ),
    "elections": (
        "The elections themselves, the same for every member and called by the board; one a "
        "member is on the roll of or stands in appears in roll_entries and candidacies."
    ),
    "outbox_events": (
        "Events waiting to be relayed to the broker, then kept as relayed: copies of changes "
        "the sections already show (status, candidacies, shares)."
    ),
    "processed_events": "Ids of other services' events already handled; linked to no member.",
}


def export_member_data(session: Session, caller: Caller) -> dict:
    """Governance's part of the caller's copy: every section, empty ones included."""
    external_id = require_signed_in(caller)
    member = session.scalars(select(Member).where(Member.external_id == external_id)).first()
    records = {
        "member": [_member(member)] if member is not None else [],
        "member_status_changes": _status_changes(session, member),
        "contact": _contact(session, external_id),
        "departure": _departure(session, external_id),
        "roll_entries": _roll_entries(session, member),
        "proposals": _proposals(session, external_id),
        "candidacies": _candidacies(session, member),
        "patronage_records": _patronage_records(session, external_id),
        "patronage_allocations": _patronage_allocations(session, external_id),
        "patronage_shares": _patronage_shares(session, external_id),
    }
    return member_data_part(SERVICE, ABOUT, records)


def _member(member: Member) -> dict:
    """The register entry as `get_member` shows it, with when it was reported, made and
    changed."""
    return {
        **members.member_view(member),
        "reported_at": member.reported_at,
        "created_at": member.created_at,
        "updated_at": member.updated_at,
    }


def _status_changes(session: Session, member: Member | None) -> list[dict]:
    if member is None:
        return []
    changes = session.scalars(
        select(MemberStatusChange)
        .where(MemberStatusChange.member_id == member.id)
        .order_by(
            MemberStatusChange.occurred_at, MemberStatusChange.recorded_at, MemberStatusChange.id
        )
    )
    return [
        {
            "status": change.status,
            "occurred_at": change.occurred_at,
            "recorded_at": change.recorded_at,
            "applied": change.applied,
            "source_event_id": change.source_event_id,
        }
        for change in changes
    ]


def _contact(session: Session, external_id: str) -> list[dict]:
    contact = session.get(Contact, external_id)
    if contact is None:
        return []
    return [{"name": contact.name, "email": contact.email, "updated_at": contact.updated_at}]


def _departure(session: Session, external_id: str) -> list[dict]:
    departure = session.get(Departure, external_id)
    if departure is None:
        return []
    return [
        {
            "left_at": departure.left_at,
            "recorded_at": departure.recorded_at,
            "source_event_id": departure.source_event_id,
        }
    ]


def _roll_entries(session: Session, member: Member | None) -> list[dict]:
    if member is None:
        return []
    entries = session.execute(
        select(RollEntry.ballot_id, RollEntry.voted_at).where(RollEntry.member_id == member.id)
    ).all()
    voted_at = dict(entries)
    ballots = [
        ("proposal", ballot_id, title, opens_at)
        for ballot_id, title, opens_at in session.execute(
            select(Proposal.id, Proposal.title, Proposal.opens_at).where(
                Proposal.id.in_(list(voted_at))
            )
        )
    ] + [
        ("election", ballot_id, title, opens_at)
        for ballot_id, title, opens_at in session.execute(
            select(Election.id, Election.title, Election.opens_at).where(
                Election.id.in_(list(voted_at))
            )
        )
    ]
    ballots.sort(key=lambda ballot: (ballot[3], ballot[1]))
    return [
        {
            "ballot_kind": kind,
            "ballot_id": ballot_id,
            "title": title,
            "roll_as_of": opens_at,
            "voted": voted_at[ballot_id] is not None,
            "voted_at": voted_at[ballot_id],
        }
        for kind, ballot_id, title, opens_at in ballots
    ]


def _proposals(session: Session, external_id: str) -> list[dict]:
    proposals = session.scalars(
        select(Proposal)
        .where(Proposal.created_by == external_id)
        .order_by(Proposal.created_at, Proposal.id)
    )
    return [_proposal(proposal) for proposal in proposals]


def _proposal(proposal: Proposal) -> dict:
    """The outcome and the tally are written only when voting closes: null before."""
    return {
        "proposal_id": proposal.id,
        "title": proposal.title,
        "body": proposal.body,
        "kind": proposal.kind,
        "status": proposal.status,
        "quorum_percent": proposal.quorum_percent,
        "opens_at": proposal.opens_at,
        "closes_at": proposal.closes_at,
        "created_at": proposal.created_at,
        "opened_at": proposal.opened_at,
        "closed_at": proposal.closed_at,
        "roll_size": proposal.roll_size,
        "outcome": proposal.outcome,
        "yes_votes": proposal.yes_votes,
        "no_votes": proposal.no_votes,
        "abstentions": proposal.abstentions,
    }


def _candidacies(session: Session, member: Member | None) -> list[dict]:
    if member is None:
        return []
    rows = session.execute(
        select(Candidate, Election.title)
        .join(Election, Election.id == Candidate.election_id)
        .where(Candidate.member_id == member.id)
        .order_by(Candidate.nominated_at, Candidate.id)
    ).all()
    return [
        {
            "candidate_id": candidate.id,
            "election_id": candidate.election_id,
            "election_title": title,
            "name": candidate.name,
            "statement": candidate.statement,
            "status": candidate.status,
            "nominated_at": candidate.nominated_at,
        }
        for candidate, title in rows
    ]


def _patronage_records(session: Session, external_id: str) -> list[dict]:
    records = session.scalars(
        select(PatronageRecord)
        .where(PatronageRecord.external_id == external_id)
        .order_by(
            PatronageRecord.occurred_at,
            PatronageRecord.recorded_at,
            PatronageRecord.source_event_id,
        )
    )
    return [
        {
            "fiscal_year": record.fiscal_year,
            "dues_cents": record.dues_cents,
            "currency": record.currency,
            "completed_bookings": record.completed_bookings,
            "occurred_at": record.occurred_at,
            "recorded_at": record.recorded_at,
            "source_event_id": record.source_event_id,
        }
        for record in records
    ]


def _patronage_allocations(session: Session, external_id: str) -> list[dict]:
    with_share = select(PatronageShare.allocation_id).where(
        PatronageShare.external_id == external_id
    )
    allocations = session.scalars(
        select(PatronageAllocation)
        .where(
            or_(
                PatronageAllocation.id.in_(with_share),
                PatronageAllocation.created_by == external_id,
            )
        )
        .order_by(PatronageAllocation.created_at, PatronageAllocation.id)
    )
    return [
        {
            "allocation_id": allocation.id,
            "fiscal_year": allocation.fiscal_year,
            "status": allocation.status,
            "surplus_cents": allocation.surplus_cents,
            "currency": allocation.currency,
            "cash_percent": allocation.cash_percent,
            "proposal_id": allocation.proposal_id,
            "basis": dict(allocation.basis),
            "created_by": allocation.created_by,
            "created_at": allocation.created_at,
            "decided_at": allocation.decided_at,
        }
        for allocation in allocations
    ]


def _patronage_shares(session: Session, external_id: str) -> list[dict]:
    rows = session.execute(
        select(PatronageShare, PatronageAllocation)
        .join(PatronageAllocation, PatronageAllocation.id == PatronageShare.allocation_id)
        .where(PatronageShare.external_id == external_id)
        .order_by(PatronageAllocation.created_at, PatronageAllocation.id)
    ).all()
    return [
        {
            "allocation_id": allocation.id,
            "fiscal_year": allocation.fiscal_year,
            "points": share.points,
            "amount_cents": share.amount_cents,
            "cash_cents": share.cash_cents,
            "retained_cents": share.retained_cents,
            "currency": allocation.currency,
        }
        for share, allocation in rows
    ]
