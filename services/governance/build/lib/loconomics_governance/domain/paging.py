"""Keyset pages (`{"items", "next_cursor"}`), newest first, stable while rows are added."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from loconomics_plumbing.errors import Invalid
from loconomics_plumbing.validation import decode_cursor, encode_cursor
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session


def newest_first(
    session: Session,
    query: Select,
    created: InstrumentedAttribute,
    key: InstrumentedAttribute,
    limit: int,
    cursor: str | None,
    view: Callable[[Any], dict],
) -> dict:
    position = decode_cursor(cursor)
    if position is not None:
        try:
            at, last_id = datetime.fromisoformat(position[0]), str(position[1])
        except (IndexError, TypeError, ValueError):
            raise Invalid(
                "The cursor is not valid.", {"cursor": ["Not a cursor we gave."]}
            ) from None
        query = query.where(or_(created < at, and_(created == at, key < last_id)))
    rows = session.scalars(query.order_by(created.desc(), key.desc()).limit(limit + 1)).all()
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor(
            [getattr(last, created.key).isoformat(), getattr(last, key.key)]
        )
    return {"items": [view(row) for row in items], "next_cursor": next_cursor}
