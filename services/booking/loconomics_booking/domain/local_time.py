"""Wall-clock times in a professional's zone turned into instants, the same way everywhere.

A schedule says "09:00-12:00 on Mondays" in the professional's IANA zone, but
bookings live on the UTC timeline. Twice a year that mapping is not one-to-one:

* spring forward: some wall times never happen. A boundary that falls in the gap
  moves to the instant the clocks jump (the first wall time that exists), so the
  part of a range inside the gap is simply skipped;
* fall back: some wall times happen twice. A range *start* takes the first
  occurrence and a range *end* the last one, so "01:00-03:00" on that day covers
  every moment a wall clock would show between 01:00 and 03:00 (three real hours).

Minutes since midnight (0..1440) stand for wall times so that "24:00" can close a day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from loconomics_plumbing.validation import is_time_zone

MINUTES_PER_DAY = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WALL_TIME = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$")


class Edge(Enum):
    """Which side of a range a wall time bounds; decides the fall-back occurrence."""

    START = "start"
    END = "end"


def parse_wall_time(text: str) -> int:
    """'HH:MM' as minutes since midnight; '24:00' (1440) is the end of the day."""
    match = _WALL_TIME.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a wall time HH:MM between 00:00 and 24:00")
    if text == "24:00":
        return MINUTES_PER_DAY
    return int(match.group(1)) * 60 + int(match.group(2))


def zone(name: str) -> ZoneInfo:
    """The zone named, or ValueError: a schedule must never silently fall back to UTC."""
    if not is_time_zone(name):
        raise ValueError(f"{name!r} is not an IANA time zone")
    return ZoneInfo(name)


def as_utc(instant: datetime) -> datetime:
    """The same instant in UTC; a naive time is refused (it means a different instant
    in every zone). Domain functions apply this to every time they receive, so stored
    values, comparisons and event payloads all read in UTC."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("a naive datetime was given; times must carry their offset")
    return instant.astimezone(UTC)


def wall_to_utc(day: date, minutes: int, tz: ZoneInfo, edge: Edge) -> datetime:
    """The instant the wall clock in `tz` shows `minutes` past midnight on `day`."""
    if minutes == MINUTES_PER_DAY:
        day, minutes = day + timedelta(days=1), 0
    naive = datetime.combine(day, time(minutes // 60, minutes % 60))
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first == second:
        return first
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first if edge is Edge.START else second
    return _jump_instant(second, first, tz)


def _jump_instant(before: datetime, after: datetime, tz: ZoneInfo) -> datetime:
    """The first instant in (before, after] with the post-transition offset (a gap's end)."""
    target = after.astimezone(tz).utcoffset()
    low, high = before, after
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            middle = low + timedelta(seconds=1)
        if middle.astimezone(tz).utcoffset() == target:
            high = middle
        else:
            low = middle
    return high
