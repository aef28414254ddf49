"""A person leaves and asks to be forgotten: the generic contract for the right to erasure.

"This person left at T and asks to be forgotten" (`record_departure`) is what any
cooperative's system says when a member resigns with an erasure request, or when someone it
knew (an applicant, a contact) closes their account. A cooperative must keep its register,
former members included, its voter rolls and what it owes by patronage, so forgetting here
is erasure, not deletion:

- the register keeps the member's entry and name (and the status history), but erases the
  address; the member is `withdrawn` from T for good (`members.leave`);
- the contact kept for them (`contacts`) is deleted;
- their candidacy in every election not yet counted whose voting ends after T is withdrawn;
- votes already cast (secret, linked to nobody), roll entries, patronage records and
  allocated shares stay.

It is final and stays so, whatever arrives later and in any order: a status report dated
before T is history that decides nothing, one dated T or after is not recorded, and no
name or address of theirs is kept again (`Departure`). A person leaves once: a second
departure, or a repeat of the first, changes nothing. Someone who comes back does so under
a new external id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from loconomics_plumbing.errors import field_error
from sqlalchemy.orm import Session

from ..models import Departure
from . import contacts, elections, members
from .moments import utc

Emit = Callable[[str, dict], None]


def record_departure(
    session: Session,
    emit: Emit,
    external_id: str,
    left_at: datetime,
    source_event_id: str | None = None,
    *,
    now: datetime,
) -> dict:
    """Apply one departure; returns what governance now keeps of the person."""
    if not external_id:
        raise field_error("external_id", "is required")
    left_at = utc("left_at", left_at)
    contacts.hold_person(session, external_id)
    departure = session.get(Departure, external_id)
    if departure is not None:
        return _view(session, departure, recorded=False, candidacies_withdrawn=[])
    departure = Departure(
        external_id=external_id,
        left_at=left_at,
        source_event_id=source_event_id,
        recorded_at=now,
    )
    session.add(departure)
    session.flush()
    contacts.forget_contact(session, external_id)
    member = members.by_external_id(session, external_id)
    withdrawn: list[str] = []
    if member is not None:
        members.leave(session, emit, member, departure, now=now)
        withdrawn = elections.withdraw_departed(session, emit, member, left_at=left_at)
    session.flush()
    return _view(session, departure, recorded=True, candidacies_withdrawn=withdrawn)


def _view(
    session: Session, departure: Departure, *, recorded: bool, candidacies_withdrawn: list[str]
) -> dict:
    member = members.by_external_id(session, departure.external_id)
    return {
        "external_id": departure.external_id,
        "left_at": departure.left_at,
        "recorded": recorded,
        "member": members.member_view(member) if member is not None else None,
        "candidacies_withdrawn": candidacies_withdrawn,
    }
