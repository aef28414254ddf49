"""Marshmallow helpers shared by services and the gateway: money, pages, times, error shapes."""

from __future__ import annotations

import base64
import functools
import json
import zoneinfo
from datetime import UTC, date, datetime

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .errors import Invalid


def flatten_messages(messages: object, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as `{"field.sub": [..]}`, the shape problem+json lists."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                flat.update(flatten_messages(value, name))
            elif isinstance(value, list):
                flat.setdefault(name, []).extend(str(item) for item in value)
            else:
                flat.setdefault(name, []).append(str(value))
    elif isinstance(messages, list):
        flat.setdefault(prefix or "_schema", []).extend(str(item) for item in messages)
    else:
        flat.setdefault(prefix or "_schema", []).append(str(messages))
    return flat


# the years every time and date a service takes lies in (see `Instant`)
FIRST_YEAR, LAST_YEAR = 1900, 8999
EARLIEST_DAY, LATEST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
EARLIEST_INSTANT = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)  # the first time after them
OUT_OF_RANGE = f"This time is out of range: give one from year {FIRST_YEAR} to {LAST_YEAR}."
DAY_OUT_OF_RANGE = f"This date is out of range: give one from year {FIRST_YEAR} to {LAST_YEAR}."


class Instant(fields.AwareDateTime):
    """An ISO 8601 time with its offset, from 1900 up to (not including) year 9000 in UTC.

    Python's times end at years 1 and 9999, and a service works a time out into
    windows, local days and weeks around it: `0001-01-01T02:16+01:00` is a time, but
    the day before it is not, and using it failed with a 500 (found by the API
    fuzzing). Nothing the cooperative books, bills or votes on lies outside these
    years, and inside them every such step stays a valid time.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        instant = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_INSTANT <= instant < LATEST_INSTANT:
            raise ValidationError(OUT_OF_RANGE)
        return instant


def instant(description: str, **options) -> Instant:
    """An `Instant` field whose API documentation says what the time is."""
    return Instant(metadata={"description": description}, **options)


class Day(fields.Date):
    """An ISO 8601 date from 1900 to 8999, for the same reason as `Instant`: a weekly time
    off "until 9999-12-31" was taken, and its calendar feed failed working out its last
    start in UTC (a day after year 9999 in New York)."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise ValidationError(DAY_OUT_OF_RANGE)
        return day


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: object) -> bool:
    """An IANA zone this machine knows; checked by name, so no input ever reaches the disk."""
    return isinstance(name, str) and name in _time_zones()


def load(schema: Schema, data: object) -> dict:
    """Validate `data`, raising `Invalid` with every bad field named."""
    try:
        return schema.load(data)
    except ValidationError as error:
        raise Invalid("The input is not valid.", flatten_messages(error.messages)) from None


class StrictSchema(Schema):
    """Inputs refuse unknown fields, so a typo never passes silently."""

    class Meta:
        unknown = RAISE


class MoneySchema(StrictSchema):
    amount_cents = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=100_000_000_000),
        metadata={"description": "Amount in minor units (cents)."},
    )
    currency = fields.String(
        load_default="USD",
        validate=validate.Regexp(r"^[A-Z]{3}$"),
        metadata={"description": "ISO 4217 currency code."},
    )


class PageArgsSchema(StrictSchema):
    limit = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "How many items to return (1-100)."},
    )
    cursor = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": "`next_cursor` of the previous page; omit for the first page."},
    )


def encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list | None:
    """The position a client was given; anything else is a clear 422, never a crash."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        raise Invalid("The cursor is not valid.", {"cursor": ["Not a cursor we gave."]}) from None
    if not isinstance(values, list):
        raise Invalid("The cursor is not valid.", {"cursor": ["Not a cursor we gave."]})
    return values
