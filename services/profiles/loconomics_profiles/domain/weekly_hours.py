"""Who keeps open hours in a time window, judged from the weekly schedules booking announces.

Only booking knows free slots: it holds the bookings, time off and imported calendars. When it
cannot answer a search that asks for a time window (it does not offer the question yet, or it is
down or slow), search still filters on what profiles keeps from `schedule_changed`: weekly hours,
in the professional's own zone, that overlap the window once their advance notice has passed.
That answer is looser (a fully booked afternoon still counts as open), so the search result
says which of the two answers it carries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from loconomics_profiles.shop_models import ProfessionalSchedule

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WALL_TIME = re.compile(r"^(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)$|^24:00$")

WallRange = tuple[time, time | None]
"""Opening and closing wall times of one range; None closes at the end of the day (24:00)."""


def _wall_time(text: object) -> time | None:
    if not isinstance(text, str):
        raise ValueError(text)
    found = _WALL_TIME.match(text)
    if found is None:
        raise ValueError(text)
    if text == "24:00":
        return None
    return time(int(found["hour"]), int(found["minute"]))


def ranges_of(weekly: Mapping[str, list], weekday: str) -> list[WallRange]:
    """The well-formed ranges of one weekday; anything else booking might send is skipped."""
    ranges: list[WallRange] = []
    for item in weekly.get(weekday) or []:
        if not isinstance(item, Mapping):
            continue
        try:
            opens, closes = _wall_time(item.get("start")), _wall_time(item.get("end"))
        except ValueError:
            continue
        if opens is not None and (closes is None or closes > opens):
            ranges.append((opens, closes))
    return ranges


def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _local_days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def open_in_window(schedule: ProfessionalSchedule, start: datetime, end: datetime,
                   now: datetime) -> bool:
    """True when some weekly range overlaps [start, end) after the advance notice from `now`.

    A window at the very ends of the calendar (year 1 or 9999), where local days cannot be
    represented, has no open hours.
    """
    zone = _zone(schedule.time_zone)
    if zone is None or not schedule.has_weekly_hours:
        return False
    earliest = max(start, now + timedelta(hours=schedule.advance_notice_hours or 0))
    if earliest >= end:
        return False
    weekly = schedule.weekly or {}
    try:
        first = earliest.astimezone(zone).date() - timedelta(days=1)
        for day in _local_days(first, end.astimezone(zone).date()):
            for opens, closes in ranges_of(weekly, WEEKDAYS[day.weekday()]):
                opening = datetime.combine(day, opens, zone)
                closing = (datetime.combine(day + timedelta(days=1), time(0), zone)
                           if closes is None else datetime.combine(day, closes, zone))
                if opening < end and closing > earliest:
                    return True
    except OverflowError:
        return False
    return False


def professionals_open(session: Session, professional_ids: list[str], start: datetime,
                       end: datetime, now: datetime) -> set[str]:
    """The search fallback's answer for a chunk of ranked professionals."""
    if not professional_ids:
        return set()
    schedules = session.scalars(
        select(ProfessionalSchedule)
        .where(ProfessionalSchedule.professional_id.in_(sorted(set(professional_ids))))
    )
    return {s.professional_id for s in schedules if open_in_window(s, start, end, now)}
