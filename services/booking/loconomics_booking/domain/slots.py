"""Every start a client may book: the schedule, minus time off, around what is already taken.

Pure and fast on purpose: the slots endpoint is the hottest read of the platform.
Everything is turned into sorted, disjoint UTC intervals once, and each candidate
start is then checked with two binary searches, so a week of candidates against a
thousand bookings costs well under a millisecond of Python.

The rules, in one place:

* A weekly range ("09:00-12:00" on Mondays, in the professional's zone) is turned
  into a UTC interval for each local date (see `local_time` for the daylight-saving
  rules: wall times that never happen are skipped, a range over a repeated hour
  covers the real time elapsed).
* Candidate starts are generated on the UTC timeline from each range's own start,
  stepping by the slot increment, so a 15-minute grid stays on :00/:15/:30/:45 of
  the wall clock on ordinary days and on the fall-back day runs through both
  copies of the repeated hour.
* A service fits when `[start, start + duration)` lies inside the availability
  (the union of all ranges, so back-to-back ranges and ranges running to "24:00"
  join up) minus time off. Time off is like a hole in the schedule: no buffer.
* The buffer is the turnaround a professional keeps between commitments: the
  candidate holds `[start, end + buffer)`, a booking holds its own
  `[start, end + buffer)` (stored with it), and an imported busy event holds
  `[start, end + buffer)`. Two bookings are so never closer than one buffer, and a
  booking keeps a buffer before and after an outside appointment.
* A start is never earlier than `now + advance notice`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .local_time import Edge, wall_to_utc, zone

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class WallRange:
    """Part of a day, in minutes since local midnight; `end` may be 1440 ("24:00")."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= 24 * 60:
            raise ValueError(f"range {self.start}-{self.end} is not within one day")


@dataclass(frozen=True)
class WeeklySchedule:
    """When a professional works, by weekday (0 = Monday), in their own zone."""

    time_zone: str
    weekly: Mapping[int, Sequence[WallRange]] = field(default_factory=dict)
    advance_notice_hours: int = 0
    buffer_minutes: int = 0
    slot_increment_minutes: int = 15


@dataclass(frozen=True)
class WeeklyTimeOff:
    """A weekly hole in the schedule (a lunch break, a school run) up to a last local date."""

    weekday: int
    start: int
    end: int
    until: date


def bookable_starts(
    schedule: WeeklySchedule,
    duration_minutes: int,
    window_from: datetime,
    window_to: datetime,
    now: datetime,
    time_off: Iterable[Interval] = (),
    weekly_time_off: Iterable[WeeklyTimeOff] = (),
    held: Iterable[Interval] = (),
    busy: Iterable[Interval] = (),
) -> list[datetime]:
    """Every start in `[window_from, window_to)` a client may book, ascending, in UTC.

    `held` are the intervals bookings hold (their buffer already added at booking
    time); `busy` are outside appointments (the current buffer is added here).
    """
    for instant in (window_from, window_to, now):
        if instant.tzinfo is None:
            raise ValueError("slots are computed on aware datetimes only")
    if duration_minutes <= 0 or schedule.slot_increment_minutes <= 0:
        raise ValueError("duration and slot increment must be positive")
    if window_to <= window_from:
        return []
    duration = timedelta(minutes=duration_minutes)
    buffer = timedelta(minutes=schedule.buffer_minutes)
    step = timedelta(minutes=schedule.slot_increment_minutes)
    earliest = max(window_from, now + timedelta(hours=schedule.advance_notice_hours))

    ranges = _schedule_intervals(schedule, window_from, window_to + duration)
    blocked = list(time_off) + _weekly_time_off_intervals(
        schedule.time_zone, weekly_time_off, window_from, window_to + duration
    )
    open_blocks = _subtract(_union(ranges), _union(blocked))
    open_starts = [block[0] for block in open_blocks]
    taken = _union([*held, *((start, end + buffer) for start, end in busy)])
    taken_starts = [block[0] for block in taken]

    found: set[datetime] = set()
    for range_start, range_end in ranges:
        if range_start < earliest:
            skipped = -(-(earliest - range_start) // step)
            candidate = range_start + skipped * step
        else:
            candidate = range_start
        last = min(range_end, window_to)
        while candidate < last:
            if _fits(candidate, duration, open_blocks, open_starts) and _free(
                candidate, candidate + duration + buffer, taken, taken_starts
            ):
                found.add(candidate)
            candidate += step
    return sorted(found)


def _fits(start: datetime, duration: timedelta, blocks: list[Interval], starts: list) -> bool:
    index = bisect_right(starts, start) - 1
    return index >= 0 and blocks[index][1] >= start + duration


def _free(start: datetime, end: datetime, taken: list[Interval], starts: list) -> bool:
    index = bisect_right(starts, start) - 1
    if index >= 0 and taken[index][1] > start:
        return False
    following = index + 1
    return following >= len(taken) or taken[following][0] >= end


def _local_dates(time_zone: str, start: datetime, end: datetime) -> Iterable[date]:
    """Local dates whose ranges can touch [start, end), with a day of margin for offsets."""
    tz = zone(time_zone)
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    while day <= last:
        yield day
        day += timedelta(days=1)


def _schedule_intervals(schedule: WeeklySchedule, start: datetime, end: datetime) -> list[Interval]:
    tz = zone(schedule.time_zone)
    intervals = []
    for day in _local_dates(schedule.time_zone, start, end):
        for wall in schedule.weekly.get(day.weekday(), ()):
            begins = wall_to_utc(day, wall.start, tz, Edge.START)
            ends = wall_to_utc(day, wall.end, tz, Edge.END)
            if begins < ends:
                intervals.append((begins, ends))
    intervals.sort()
    return intervals


def _weekly_time_off_intervals(
    time_zone: str, rules: Iterable[WeeklyTimeOff], start: datetime, end: datetime
) -> list[Interval]:
    rules = list(rules)
    if not rules:
        return []
    tz = zone(time_zone)
    intervals = []
    for day in _local_dates(time_zone, start, end):
        for rule in rules:
            if rule.weekday == day.weekday() and day <= rule.until:
                begins = wall_to_utc(day, rule.start, tz, Edge.START)
                ends = wall_to_utc(day, rule.end, tz, Edge.END)
                if begins < ends:
                    intervals.append((begins, ends))
    return intervals


def _union(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same instants (touching ones join)."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _subtract(blocks: list[Interval], holes: list[Interval]) -> list[Interval]:
    """`blocks` minus `holes`, both sorted and disjoint."""
    result: list[Interval] = []
    hole_index = 0
    for start, end in blocks:
        while hole_index < len(holes) and holes[hole_index][1] <= start:
            hole_index += 1
        cursor = start
        index = hole_index
        while index < len(holes) and holes[index][0] < end:
            hole_start, hole_end = holes[index]
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
            index += 1
        if cursor < end:
            result.append((cursor, end))
    return result
