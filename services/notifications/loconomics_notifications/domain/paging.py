"""Opaque list cursors (`?cursor=`): stable under inserts, unlike offsets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loconomics_plumbing.errors import field_error
from loconomics_plumbing.validation import decode_cursor as decode_positions
from loconomics_plumbing.validation import encode_cursor as encode_positions
from sqlalchemy import ColumnElement, and_, or_

MAX_LIMIT = 100


def encode_cursor(*parts: str | int | datetime) -> str:
    return encode_positions([p.isoformat() if isinstance(p, datetime) else p for p in parts])


def _part(value: Any, kind: type) -> Any:
    if kind is datetime:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        if moment is None or moment.tzinfo is None:
            raise ValueError("not an aware datetime")
        return moment
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"not a {kind.__name__}")
    return value


def decode_cursor(cursor: str, *kinds: type) -> tuple:
    """The cursor's parts as `kinds` (str, int or datetime); anything else is the caller's error."""
    parts = decode_positions(cursor) or []
    try:
        if len(parts) != len(kinds):
            raise ValueError("wrong shape")
        return tuple(_part(p, k) for p, k in zip(parts, kinds, strict=True))
    except (ValueError, TypeError):
        raise field_error("cursor", "is not a cursor this list gave out") from None


def clamp_limit(limit: int) -> int:
    if limit < 1 or limit > MAX_LIMIT:
        raise field_error("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def beyond(
    key: Any, tiebreak: Any, key_value: Any, tiebreak_value: Any, descending: bool
) -> ColumnElement[bool]:
    """Rows after the cursor's (key, tiebreak) in the list's order."""
    if descending:
        return or_(key < key_value, and_(key == key_value, tiebreak < tiebreak_value))
    return or_(key > key_value, and_(key == key_value, tiebreak > tiebreak_value))
