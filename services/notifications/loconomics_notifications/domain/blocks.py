"""Blocks between members (docs/reports-and-blocks.md).

A member blocks another account we know (a contact, not closed): unknown is NotFound, oneself
Invalid. Blocking is idempotent (a repeat answers the same block, same `blocked_at`, and emits
nothing); unblocking a member one has not blocked is NotFound. While a block exists either
way, neither member starts a conversation with the other nor posts in one of theirs
(`refuse_across_block`, asked by `conversations` with both contacts held, so a message
written in the instant of a block comes before it or is refused); what they already wrote stays
readable.
Booking keeps the pairs from `member_blocked` / `member_unblocked` to refuse new bookings.

A closing member's blocks, made by them or of them, are deleted at closure
(`forget_blocks_of`, from `account_closures`); no event, booking handles `account_closed`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from loconomics_plumbing.errors import Conflict, NotFound, field_error
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from ..models import Block
from .callers import Caller, signed_in
from .contacts import contact_for, contacts_by_id, hold_contacts
from .paging import beyond, clamp_limit, decode_cursor, encode_cursor

Emit = Callable[[str, dict], None]

BLOCKED_BY_YOU = "You blocked this member; unblock them to write."
BLOCKED_BY_THEM = "This member is not accepting messages from you."


def _view(block: Block, name: str | None) -> dict:
    return {"account_id": block.blocked_id, "name": name, "blocked_at": block.created_at}


def block_member(
    session: Session, caller: Caller, account_id: str, now: datetime, emit: Emit
) -> dict:
    """Block `account_id`; a repeat answers the block already there and emits nothing."""
    me = signed_in(caller)
    if account_id == me:
        raise field_error("account_id", "you cannot block yourself")
    hold_contacts(session, (me, account_id))
    contact = contact_for(session, account_id)
    if contact is None or contact.closed_at is not None:
        raise NotFound("no such member")
    block = session.get(Block, (me, account_id))
    if block is None:
        block = Block(blocker_id=me, blocked_id=account_id, created_at=now)
        session.add(block)
        session.flush()
        emit(
            "member_blocked",
            {"blocker_id": me, "blocked_id": account_id, "blocked_at": now.isoformat()},
        )
    return _view(block, contact.name)


def unblock_member(
    session: Session, caller: Caller, account_id: str, now: datetime, emit: Emit
) -> None:
    """Lift one's block of `account_id`; NotFound when there is none."""
    me = signed_in(caller)
    hold_contacts(session, (me, account_id))
    block = session.get(Block, (me, account_id))
    if block is None:
        raise NotFound("you have not blocked this member")
    session.delete(block)
    session.flush()
    emit(
        "member_unblocked",
        {"blocker_id": me, "blocked_id": account_id, "unblocked_at": now.isoformat()},
    )


def list_blocks(
    session: Session, caller: Caller, limit: int = 20, cursor: str | None = None
) -> dict:
    """The members the caller blocked, newest first."""
    me = signed_in(caller)
    query = select(Block).where(Block.blocker_id == me)
    if cursor:
        blocked_at, blocked_id = decode_cursor(cursor, datetime, str)
        query = query.where(
            beyond(Block.created_at, Block.blocked_id, blocked_at, blocked_id, True)
        )
    query = query.order_by(Block.created_at.desc(), Block.blocked_id.desc())
    rows = list(session.scalars(query.limit(clamp_limit(limit) + 1)))
    page = rows[:limit]
    names = {k: c.name for k, c in contacts_by_id(session, [b.blocked_id for b in page]).items()}
    return {
        "items": [_view(block, names.get(block.blocked_id)) for block in page],
        "next_cursor": (
            encode_cursor(page[-1].created_at, page[-1].blocked_id) if len(rows) > limit else None
        ),
    }


def blocks_among(session: Session, me: str, others: Iterable[str]) -> tuple[set[str], set[str]]:
    """Of `others`: those `me` blocked, and those who blocked `me`."""
    ids = set(others)
    if not ids:
        return set(), set()
    by_me: set[str] = set()
    of_me: set[str] = set()
    rows = session.execute(
        select(Block.blocker_id, Block.blocked_id).where(
            or_(
                (Block.blocker_id == me) & Block.blocked_id.in_(ids),
                (Block.blocked_id == me) & Block.blocker_id.in_(ids),
            )
        )
    )
    for blocker_id, blocked_id in rows:
        if blocker_id == me:
            by_me.add(blocked_id)
        else:
            of_me.add(blocker_id)
    return by_me, of_me


def refuse_across_block(session: Session, writer_id: str, other_id: str) -> None:
    """Conflict when a block stands either way between the writer and the other member,
    worded for the side the writer is on."""
    by_me, of_me = blocks_among(session, writer_id, [other_id])
    if by_me:
        raise Conflict(BLOCKED_BY_YOU)
    if of_me:
        raise Conflict(BLOCKED_BY_THEM)


def forget_blocks_of(session: Session, account_id: str) -> None:
    """A closed account's blocks, both ways, are deleted."""
    session.execute(
        delete(Block).where(or_(Block.blocker_id == account_id, Block.blocked_id == account_id))
    )
