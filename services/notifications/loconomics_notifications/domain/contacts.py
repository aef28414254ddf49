"""Our own copy of each account (name, email, language, zone), built from others' events.

Events arrive at least once and in any order: a snapshot older than the one we hold is
ignored, the same event twice changes nothing, and an `account_changed` that overtakes its
`account_created` is simply the first snapshot we keep.

Profiles' events carry no time zone, so a contact's zone is learned elsewhere: a
professional's from their schedule (booking's `schedule_changed`, which always wins), anyone's
from the first booking they take part in (where the appointment is, which is where they
are). Until then dates are shown in the cooperative's default zone, with its name.

A closed account's contact is erased (no address, `Former member`, no language or zone) and
marked closed, for good: no later or late event about the account fills it in again, and
nothing is sent to it (`closed_accounts`, which `routing.notify` asks before it creates
anything, and the one email it still gets, the goodbye, is addressed by its own event).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from loconomics_plumbing.storage import hold_until_commit
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Contact
from .wording import DEFAULT_LANGUAGE, language_of, zone_or_utc

FORMER_MEMBER = "Former member"
"""What a closed account is called wherever its name was shown (as profiles calls it)."""


def hold_contact(session: Session, account_id: str) -> None:
    """One account's contact is written by one transaction at a time, so a closure racing a
    sign-up or a change (the contact may have no row yet to lock) always comes after it or
    sees it: an address never outlives the closure."""
    hold_until_commit(session, f"notifications-contact:{account_id}")


def hold_contacts(session: Session, account_ids: Iterable[str]) -> None:
    """Several contacts at once (a message's two members, a block's, a booking's parties),
    always in sorted order: two transactions holding the same contacts never wait for each
    other in a circle."""
    for account_id in sorted(set(account_ids)):
        hold_contact(session, account_id)


def record_account(session: Session, account: dict[str, Any]) -> Contact:
    """Apply one loaded `account_created` / `account_changed` payload; returns what we now hold.
    A closed contact stays as it is, whatever the snapshot's time."""
    hold_contact(session, account["account_id"])
    contact = session.get(Contact, account["account_id"])
    occurred_at = account["occurred_at"]
    if contact is not None and (
        contact.closed_at is not None
        or contact.source_occurred_at > occurred_at
        or contact.source_event_id == account["event_id"]
    ):
        return contact
    if contact is None:
        contact = Contact(account_id=account["account_id"])
        session.add(contact)
    contact.email = account["email"]
    contact.name = account["name"]
    contact.language = language_of(account.get("language"))
    zone = account.get("time_zone")
    if zone:
        contact.time_zone = zone_or_utc(zone).key
    contact.roles = sorted(set(account.get("roles") or []))
    contact.source_occurred_at = occurred_at
    contact.source_event_id = account["event_id"]
    session.flush()
    return contact


def learn_zone(session: Session, account_id: str, zone: str, *, settled: bool = False) -> None:
    """Take `zone` as the account's own if we know none yet, or always when `settled` (the
    professional's schedule says so). A contact not heard of yet, or closed, is left alone."""
    hold_contact(session, account_id)
    contact = session.get(Contact, account_id)
    if contact is None or contact.closed_at is not None or (contact.time_zone and not settled):
        return
    contact.time_zone = zone_or_utc(zone).key
    session.flush()


def contact_for(session: Session, account_id: str) -> Contact | None:
    return session.get(Contact, account_id)


def contacts_by_id(session: Session, account_ids: Iterable[str]) -> dict[str, Contact]:
    ids = set(account_ids)
    if not ids:
        return {}
    rows = session.scalars(select(Contact).where(Contact.account_id.in_(ids)))
    return {c.account_id: c for c in rows}


def close_contact(session: Session, closure: dict[str, Any]) -> Contact:
    """Erase our copy of a closed account and mark it closed, for good; an account not heard of
    yet is kept as closed at once, so a sign-up event arriving late cannot fill it in. The
    contact then keeps the id of the event that closed it; a repeat, or a second closure,
    changes nothing."""
    hold_contact(session, closure["account_id"])
    contact = session.get(Contact, closure["account_id"])
    if contact is not None and contact.closed_at is not None:
        return contact
    if contact is None:
        contact = Contact(account_id=closure["account_id"], roles=[])
        session.add(contact)
    contact.email = ""
    contact.name = FORMER_MEMBER
    contact.language = DEFAULT_LANGUAGE
    contact.time_zone = None
    contact.roles = sorted(set(closure.get("roles") or contact.roles or []))
    contact.closed_at = closure["closed_at"]
    contact.source_occurred_at = closure["occurred_at"]
    contact.source_event_id = closure["event_id"]
    session.flush()
    return contact


def closed_accounts(session: Session, account_ids: Iterable[str]) -> set[str]:
    """Those of `account_ids` that are closed: nothing is sent to them, nobody writes to them."""
    ids = set(account_ids)
    if not ids:
        return set()
    return set(
        session.scalars(
            select(Contact.account_id).where(
                Contact.account_id.in_(ids), Contact.closed_at.is_not(None)
            )
        )
    )
