"""The member register: who the members are and whether they are in good standing.

Any cooperative feeds it through one generic contract, `record_member_status`: "member X
has status S since T". Reports arrive at least once and in any order, so:

- a report whose `source_event_id` was seen before changes nothing;
- a report older than the latest one applied is kept in the history, which the voter roll
  reads, but does not overwrite the current status;
- `member_status_changed` is emitted only when the current status really changes.

Statuses: `applicant` (asked to join), `active` (a member in good standing: may vote,
propose and stand), `inactive` (lapsed, e.g. dues unpaid), `suspended` (by the board),
`withdrawn` (left). The join date is the earliest time the member was reported active.

A person who left and asked to be forgotten (`departures.record_departure`) is withdrawn
from the time they left for good: a report dated before then is kept in the history but
decides nothing, one dated then or after is not recorded at all, and no report brings a
name or an address for them to the register again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from loconomics_plumbing.errors import Conflict, Forbidden, NotFound, field_error
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Departure, Election, Member, MemberStatusChange, Proposal, RollEntry
from . import contacts
from .access import Caller, is_admin, require_admin, require_signed_in
from .identifiers import new_id
from .moments import iso, utc
from .paging import newest_first
from .statuses import GOOD_STANDING, STATUSES, WITHDRAWN

Emit = Callable[[str, dict], None]


def record_member_status(
    session: Session,
    emit: Emit,
    external_id: str,
    status: str,
    occurred_at: datetime,
    name: str | None = None,
    email: str | None = None,
    source_event_id: str | None = None,
    *,
    now: datetime,
) -> dict:
    """Apply one status report; returns the member and whether the status changed."""
    if status not in STATUSES:
        raise field_error("status", f"must be one of {', '.join(STATUSES)}")
    if not external_id:
        raise field_error("external_id", "is required")
    occurred_at = utc("occurred_at", occurred_at)
    contacts.hold_person(session, external_id)
    member = session.scalars(select(Member).where(Member.external_id == external_id)).first()
    if source_event_id is not None and _seen(session, source_event_id):
        return {**member_view(member), "changed": False}
    departure = session.get(Departure, external_id)
    if departure is not None:
        if occurred_at >= departure.left_at:
            if member is None:
                raise Conflict("This person left and asked to be forgotten: nothing is recorded.")
            return {**member_view(member), "changed": False}
        name = email = None
        if member is None:
            member = _enter_departed(session, emit, departure, now=now)
    if member is None:
        member = Member(
            id=new_id(),
            external_id=external_id,
            status=status,
            status_since=occurred_at,
            reported_at=occurred_at,
            joined_at=occurred_at if status == GOOD_STANDING else None,
            created_at=now,
            updated_at=now,
        )
        session.add(member)
        previous = None
        applied = True
    else:
        previous = member.status
        applied = occurred_at >= member.reported_at
        if status == GOOD_STANDING and (member.joined_at is None or occurred_at < member.joined_at):
            member.joined_at = occurred_at
        if applied:
            member.reported_at = occurred_at
            if status != member.status:
                member.status = status
                member.status_since = occurred_at
        member.updated_at = now
    if name and (applied or not member.name):
        member.name = name
    if email and (applied or not member.email):
        member.email = email
    session.add(
        MemberStatusChange(
            id=new_id(),
            member_id=member.id,
            status=status,
            occurred_at=occurred_at,
            recorded_at=now,
            source_event_id=source_event_id,
            applied=applied,
        )
    )
    session.flush()
    changed = applied and status != previous
    if changed:
        _announce(emit, member, previous)
    return {**member_view(member), "changed": changed}


def leave(
    session: Session, emit: Emit, member: Member, departure: Departure, *, now: datetime
) -> None:
    """`member` left for good at `departure.left_at`: withdrawn from then, whatever was
    reported after (even if it arrived first), and their address is erased; the register
    keeps the entry and the name (a cooperative keeps its register, former members too)."""
    member.email = None
    previous = member.status
    if previous != WITHDRAWN or member.status_since > departure.left_at:
        member.status = WITHDRAWN
        member.status_since = departure.left_at
    member.reported_at = max(member.reported_at, departure.left_at)
    member.updated_at = now
    _record_departure_in_history(session, member, departure, now=now)
    if previous != WITHDRAWN:
        _announce(emit, member, previous)


def _enter_departed(session: Session, emit: Emit, departure: Departure, *, now: datetime) -> Member:
    """The register's entry for someone it hears of only after they left: withdrawn since
    then, so the report that brought them is history (older than the departure)."""
    member = Member(
        id=new_id(),
        external_id=departure.external_id,
        status=WITHDRAWN,
        status_since=departure.left_at,
        reported_at=departure.left_at,
        joined_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(member)
    session.flush()
    _record_departure_in_history(session, member, departure, now=now)
    _announce(emit, member, None)
    return member


def _record_departure_in_history(
    session: Session, member: Member, departure: Departure, *, now: datetime
) -> None:
    session.add(
        MemberStatusChange(
            id=new_id(),
            member_id=member.id,
            status=WITHDRAWN,
            occurred_at=departure.left_at,
            recorded_at=now,
            source_event_id=departure.source_event_id,
            applied=True,
        )
    )
    session.flush()


def _announce(emit: Emit, member: Member, previous: str | None) -> None:
    emit(
        "member_status_changed",
        {
            "member_id": member.id,
            "external_id": member.external_id,
            "status": member.status,
            "previous_status": previous,
            "in_good_standing": member.status == GOOD_STANDING,
            "status_since": iso(member.status_since),
        },
    )


def member_view(member: Member) -> dict:
    return {
        "member_id": member.id,
        "external_id": member.external_id,
        "name": member.name,
        "email": member.email,
        "status": member.status,
        "in_good_standing": member.status == GOOD_STANDING,
        "status_since": member.status_since,
        "joined_at": member.joined_at,
    }


def my_membership(session: Session, caller: Caller) -> dict:
    """The caller's own membership and what it lets them do now (`GET /v1/me/member`)."""
    member = by_external_id(session, require_signed_in(caller))
    if member is None:
        raise NotFound("You are not a member of the cooperative.")
    good = member.status == GOOD_STANDING
    return {
        **member_view(member),
        "voting_rights": {
            "may_vote": good,
            "may_propose": good,
            "may_stand": good,
            "open_ballots": _open_ballots(session, member),
        },
    }


def get_member(session: Session, caller: Caller, external_id: str) -> dict:
    """A member's record and status history: for themselves and for administrators."""
    if require_signed_in(caller) != external_id and not is_admin(caller):
        raise Forbidden("Only the member themselves or an administrator may see this.")
    member = by_external_id(session, external_id)
    if member is None:
        raise NotFound("No member with that id.")
    history = session.scalars(
        select(MemberStatusChange)
        .where(MemberStatusChange.member_id == member.id)
        .order_by(MemberStatusChange.occurred_at, MemberStatusChange.recorded_at)
    ).all()
    return {
        **member_view(member),
        "history": [
            {
                "status": change.status,
                "occurred_at": change.occurred_at,
                "recorded_at": change.recorded_at,
                "applied": change.applied,
            }
            for change in history
        ],
    }


def list_members(
    session: Session,
    caller: Caller,
    status: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> dict:
    require_admin(caller)
    query = select(Member)
    if status is not None:
        if status not in STATUSES:
            raise field_error("status", f"must be one of {', '.join(STATUSES)}")
        query = query.where(Member.status == status)
    return newest_first(session, query, Member.created_at, Member.id, limit, cursor, member_view)


def statuses_at(session: Session, moment: datetime) -> dict[str, str]:
    """Each member's status at `moment`, read from the history (late reports included);
    a member who had left for good by then is withdrawn, whatever was reported after."""
    changes = session.execute(
        select(MemberStatusChange.member_id, MemberStatusChange.status)
        .where(MemberStatusChange.occurred_at <= moment)
        .order_by(
            MemberStatusChange.member_id,
            MemberStatusChange.occurred_at,
            MemberStatusChange.recorded_at,
            MemberStatusChange.id,
        )
    ).all()
    departed = session.scalars(
        select(Member.id)
        .join(Departure, Departure.external_id == Member.external_id)
        .where(Departure.left_at <= moment)
    )
    return {member_id: status for member_id, status in changes} | dict.fromkeys(departed, WITHDRAWN)


def _seen(session: Session, source_event_id: str) -> bool:
    return (
        session.scalars(
            select(MemberStatusChange.id).where(
                MemberStatusChange.source_event_id == source_event_id
            )
        ).first()
        is not None
    )


def by_external_id(session: Session, external_id: str) -> Member | None:
    return session.scalars(select(Member).where(Member.external_id == external_id)).first()


def _open_ballots(session: Session, member: Member) -> list[dict]:
    entries = session.execute(
        select(RollEntry.ballot_id, RollEntry.voted_at).where(RollEntry.member_id == member.id)
    ).all()
    voted = {ballot_id: voted_at is not None for ballot_id, voted_at in entries}
    if not voted:
        return []
    proposals = session.execute(
        select(Proposal.id, Proposal.title, Proposal.closes_at).where(
            Proposal.id.in_(voted), Proposal.status == "open"
        )
    ).all()
    elections = session.execute(
        select(Election.id, Election.title, Election.closes_at).where(
            Election.id.in_(voted), Election.status == "open"
        )
    ).all()
    ballots = [
        {
            "kind": kind,
            "ballot_id": bid,
            "title": title,
            "closes_at": closes_at,
            "voted": voted[bid],
        }
        for kind, rows in (("proposal", proposals), ("election", elections))
        for bid, title, closes_at in rows
    ]
    return sorted(ballots, key=lambda b: (b["closes_at"], b["ballot_id"]))
