"""Times as the domain takes them (aware, normalised to UTC) and gives them out (ISO 8601)."""

from __future__ import annotations

from datetime import UTC, datetime

from loconomics_plumbing.errors import field_error


def utc(field: str, value: datetime) -> datetime:
    """An aware time in UTC; a naive one is refused, since its zone would be a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise field_error(field, "must include a time zone offset")
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
