"""Names and addresses the platform knows people by, kept for when they become members.

A status report may carry no name (Loconomics' billing knows only account ids), yet the
roll, the audit and the ballot paper read better with names. A platform mapping records
what it learns here; `record_member_status` reports then borrow it, and a member already
on the register is updated at once.

Someone who left and asked to be forgotten (`departures`) has no contact kept: theirs is
deleted when they leave, and nothing the platform says about them afterwards is kept,
however late it arrives and whatever time it carries.
"""

from __future__ import annotations

from datetime import datetime

from loconomics_plumbing.storage import hold_until_commit
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import Contact, Departure, Member


def hold_person(session: Session, external_id: str) -> None:
    """What governance keeps of one person (contact, register entry, departure) is written by
    one transaction at a time: a departure racing a first word about the person (which has no
    row yet to lock) would otherwise miss it, and an address would outlive the erasure."""
    hold_until_commit(session, f"governance-person:{external_id}")


def remember_contact(
    session: Session,
    external_id: str,
    name: str | None,
    email: str | None,
    *,
    now: datetime,
    said_at: datetime | None = None,
) -> None:
    """Keep what the platform says a person is called. `said_at`, when the platform said it:
    an older word arriving after a newer one (a sign-up behind a rename) changes nothing."""
    hold_person(session, external_id)
    if session.get(Departure, external_id) is not None:
        return
    said_at = said_at or now
    contact = session.get(Contact, external_id)
    if contact is not None and contact.updated_at > said_at:
        return
    if contact is None:
        contact = Contact(external_id=external_id)
        session.add(contact)
    contact.name = name or contact.name
    contact.email = email or contact.email
    contact.updated_at = said_at
    member = session.scalars(select(Member).where(Member.external_id == external_id)).first()
    if member is not None:
        member.name = name or member.name
        member.email = email or member.email
    session.flush()


def with_contact(session: Session, report: dict) -> dict:
    """`report` (arguments for `record_member_status`) with a known name and email filled in."""
    contact = session.get(Contact, report["external_id"])
    if contact is None:
        return report
    return {
        **report,
        "name": report.get("name") or contact.name,
        "email": report.get("email") or contact.email,
    }


def forget_contact(session: Session, external_id: str) -> None:
    """Erase what the platform said the person is called and where to write to them."""
    session.execute(delete(Contact).where(Contact.external_id == external_id))
