"""Busy time from a professional's own calendar (Google, Apple, Outlook) via its iCal URL.

A refresh is three steps so no database transaction waits on the network:
`claim_due_imports` (short transaction: picks feeds due and leases them for a
couple of minutes so a second booking process does not fetch them too),
`read_feed` (no database: fetch with a timeout and a size cap, parse, expand
recurrences), `record_import` (short transaction: apply the outcome).

A feed that is slow, huge or malformed is recorded as failing with its reason,
retried with backoff (15 minutes doubling up to 6 hours), and leaves the busy
time from the last good read untouched. The whole feed is refused rather than
half-imported: a partially read calendar would quietly offer times the
professional is not free.

Recurring events are expanded in the wall-clock time of their own zone (so a
weekly 9:00 meeting stays at 9:00 across daylight saving) from 1 day ago to
180 days ahead, with EXDATE, RDATE and RECURRENCE-ID overrides honoured.
Floating times and all-day events are read in the professional's zone.
Cancelled and transparent ("free") events are not busy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from icalendar import Calendar
from icalendar.prop import vRecur
from loconomics_plumbing.errors import field_error
from loconomics_plumbing.identity import Caller
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import BusyInterval, CalendarLink, Schedule
from .availability import get_schedule
from .calendar_export import calendar_link, settings_view
from .local_time import zone

Emit = Callable[[str, dict], None]
Fetch = Callable[[str, float, int], bytes]

FETCH_TIMEOUT_SECONDS = 5.0
MAX_FEED_BYTES = 2 * 1024 * 1024
HORIZON = timedelta(days=180)
LOOK_BACK = timedelta(days=1)
MAX_BUSY_INTERVALS = 5000
MAX_STEPS_PER_RULE = 50_000
REFRESH_EVERY = timedelta(minutes=15)
MAX_BACKOFF = timedelta(hours=6)
LEASE = timedelta(minutes=2)


class FeedUnavailable(Exception):
    """The feed could not be read: unreachable, too slow, too big, refused."""


class MalformedFeed(Exception):
    """The feed was read but is not a calendar we can trust."""


@dataclass(frozen=True)
class BusySpan:
    start: datetime
    end: datetime
    uid: str


@dataclass(frozen=True)
class ImportOutcome:
    """Either the busy spans read, or why the feed failed."""

    spans: tuple[BusySpan, ...] | None = None
    error: str | None = None


def normalise_url(url: str) -> str:
    """An http(s) URL to fetch; `webcal://` (what calendar apps hand out) means https."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "webcal":
        scheme = "https"
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http, https or webcal URL")
    return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))


def set_import_url(
    session: Session,
    emit: Emit,
    caller: Caller,
    url: str | None,
    feed_base_url: str,
    now: datetime,
) -> dict:
    """Link (or unlink, with None) the calendar whose events count as busy time.

    A new URL is read at the next timer tick; the busy time of the previous
    calendar stays until the new one has been read once, so switching calendars
    never opens a window for double booking.
    """
    professional_id = caller.require_role("professional")
    link = calendar_link(session, professional_id, now)
    if url:
        try:
            link.import_url = normalise_url(url)
        except ValueError:
            raise field_error("import_url", "Must be an http, https or webcal URL.") from None
        link.import_status = "pending"
    else:
        link.import_url = None
        link.import_status = "none"
        removed = session.execute(
            delete(BusyInterval).where(BusyInterval.professional_id == professional_id)
        ).rowcount
        if removed:
            _busy_changed(session, emit, professional_id, now)
    link.import_error = None
    link.import_failures = 0
    link.import_next_at = None
    link.updated_at = now
    session.flush()
    return settings_view(link, feed_base_url)


def claim_due_imports(session: Session, now: datetime, limit: int = 20) -> list[dict]:
    """Feeds due for a refresh, leased to this caller for `LEASE`; commit before fetching."""
    links = list(
        session.scalars(
            select(CalendarLink)
            .where(
                CalendarLink.import_url.is_not(None),
                (CalendarLink.import_next_at.is_(None)) | (CalendarLink.import_next_at <= now),
            )
            .order_by(CalendarLink.import_next_at.nulls_first())
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    due = []
    for link in links:
        link.import_next_at = now + LEASE
        schedule = session.get(Schedule, link.professional_id)
        due.append(
            {
                "professional_id": link.professional_id,
                "url": link.import_url,
                "time_zone": schedule.time_zone if schedule is not None else "UTC",
            }
        )
    session.flush()
    return due


def read_feed(fetch: Fetch, url: str, time_zone: str, now: datetime) -> ImportOutcome:
    """Fetch and parse one feed, never raising for anything the feed's owner controls."""
    try:
        document = fetch(url, FETCH_TIMEOUT_SECONDS, MAX_FEED_BYTES)
    except FeedUnavailable as error:
        return ImportOutcome(error=str(error) or "The calendar could not be read.")
    try:
        return ImportOutcome(spans=tuple(parse_busy(document, time_zone, now)))
    except MalformedFeed as error:
        return ImportOutcome(error=str(error))


def record_import(
    session: Session,
    emit: Emit,
    professional_id: str,
    url: str,
    outcome: ImportOutcome,
    now: datetime,
) -> bool:
    """Apply a read: replace busy time on success, note the failure otherwise.

    False (and nothing changed) when the professional changed or removed the URL
    while it was being read.
    """
    link = session.get(CalendarLink, professional_id)
    if link is None or link.import_url != url:
        return False
    link.import_checked_at = now
    link.updated_at = now
    if outcome.spans is None:
        link.import_failures += 1
        backoff = REFRESH_EVERY * (2 ** min(link.import_failures - 1, 10))
        link.import_next_at = now + min(backoff, MAX_BACKOFF)
        link.import_error = (outcome.error or "The calendar could not be read.")[:300]
        if link.import_status != "failing":
            emit(
                "calendar_import_failed",
                {
                    "professional_id": professional_id,
                    "reason": link.import_error,
                    "failed_at": now.isoformat(),
                },
            )
        link.import_status = "failing"
        session.flush()
        return True
    current = session.scalars(
        select(BusyInterval).where(BusyInterval.professional_id == professional_id)
    ).all()
    before = sorted((row.start, row.end, row.source_uid) for row in current)
    after = sorted((span.start, span.end, span.uid) for span in outcome.spans)
    if before != after:
        session.execute(delete(BusyInterval).where(BusyInterval.professional_id == professional_id))
        session.add_all(
            BusyInterval(professional_id=professional_id, start=s, end=e, source_uid=uid[:300])
            for s, e, uid in after
        )
    link.import_status = "ok"
    link.import_error = None
    link.import_failures = 0
    link.import_succeeded_at = now
    link.import_next_at = now + REFRESH_EVERY
    session.flush()
    if before != after:
        _busy_changed(session, emit, professional_id, now)
    return True


def _busy_changed(session: Session, emit: Emit, professional_id: str, now: datetime) -> None:
    view = get_schedule(session, professional_id)
    emit("schedule_changed", {**view, "reason": "calendar_import", "changed_at": now.isoformat()})


def parse_busy(
    document: bytes, time_zone: str, now: datetime, horizon: timedelta = HORIZON
) -> list[BusySpan]:
    """Busy spans (UTC) in [now - 1 day, now + horizon) from an iCal document."""
    try:
        calendar = Calendar.from_ical(document)
    except Exception as error:
        raise MalformedFeed(f"Not an iCalendar document: {_short(error)}") from None
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise MalformedFeed("Not an iCalendar document: no VCALENDAR.")
    home = zone(time_zone)
    window = (now - LOOK_BACK, now + horizon)
    events = list(calendar.walk("VEVENT"))
    overridden: set[tuple[str, datetime]] = set()
    for component in events:
        if component.get("RECURRENCE-ID") is not None:
            recurrence = _aware(component.decoded("RECURRENCE-ID"), home)
            overridden.add((str(component.get("UID", "")), recurrence.astimezone(UTC)))
    spans: list[BusySpan] = []
    for component in events:
        uid = str(component.get("UID", ""))
        try:
            found = list(_event_spans(component, home, window, overridden))
        except MalformedFeed:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as error:
            raise MalformedFeed(
                f"Event {uid or '(no UID)'} is not valid: {_short(error)}"
            ) from None
        spans.extend(found)
        if len(spans) > MAX_BUSY_INTERVALS:
            raise MalformedFeed(f"More than {MAX_BUSY_INTERVALS} busy events in 180 days.")
    return sorted(spans, key=lambda span: (span.start, span.end, span.uid))


def _short(error: Exception) -> str:
    return (str(error) or type(error).__name__)[:200]


def _aware(value: date | datetime, home: ZoneInfo) -> datetime:
    """An instant from a DATE (midnight at home), a floating time (at home) or an aware one."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tzinfo=home)
    if value.tzinfo is None:
        return value.replace(tzinfo=home)
    return value


def _is_busy(component) -> bool:
    if str(component.get("STATUS", "")).upper() == "CANCELLED":
        return False
    return str(component.get("TRANSP", "OPAQUE")).upper() != "TRANSPARENT"


def _event_spans(
    component, home: ZoneInfo, window: tuple[datetime, datetime], overridden: set
) -> Iterator[BusySpan]:
    if not _is_busy(component) or component.get("DTSTART") is None:
        return
    uid = str(component.get("UID", ""))
    raw_start = component.decoded("DTSTART")
    if not isinstance(raw_start, date):
        raise MalformedFeed(f"Event {uid or '(no UID)'} has a DTSTART that is not a date or time.")
    start = _aware(raw_start, home)
    if component.get("DTEND") is not None:
        raw_end = component.decoded("DTEND")
        if not isinstance(raw_end, date):
            raise MalformedFeed(
                f"Event {uid or '(no UID)'} has a DTEND that is not a date or time."
            )
        length = _aware(raw_end, home) - start
    elif component.get("DURATION") is not None:
        length = component.decoded("DURATION")
    else:
        length = timedelta(days=1) if not isinstance(raw_start, datetime) else timedelta(0)
    if length <= timedelta(0):
        return
    is_override = component.get("RECURRENCE-ID") is not None
    for begins in _occurrences(component, start, length, window, is_override):
        instant = begins.astimezone(UTC)
        if not is_override and (uid, instant) in overridden:
            continue
        ends = instant + length
        if ends > window[0] and instant < window[1]:
            yield BusySpan(instant, ends, uid)


def _occurrences(
    component, start: datetime, length: timedelta, window: tuple[datetime, datetime], single: bool
) -> Iterator[datetime]:
    """Starts of the event, aware in the event's own zone, expanded on its wall clock."""
    rules = component.get("RRULE")
    if single or (rules is None and component.get("RDATE") is None):
        yield start
        return
    tz = start.tzinfo
    wall_start = start.replace(tzinfo=None)
    wall_from = _wall(window[0] - length, tz) - timedelta(days=1)
    wall_to = _wall(window[1], tz) + timedelta(days=1)
    candidates = [wall_start]
    for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
        candidates.extend(_expand(rule, wall_start, tz, wall_from, wall_to))
    candidates.extend(_wall(value, tz) for value in _date_values(component, "RDATE"))
    excluded = {_wall(value, tz) for value in _date_values(component, "EXDATE")}
    for wall in sorted(set(candidates)):
        if wall not in excluded and wall_from <= wall < wall_to:
            yield wall.replace(tzinfo=tz)


def _expand(rule: vRecur, wall_start: datetime, tz, wall_from: datetime, wall_to: datetime):
    values = dict(rule)
    if "UNTIL" in values:
        values["UNTIL"] = [_until_wall(value, tz) for value in values["UNTIL"]]
    recurrence = rrulestr(vRecur(values).to_ical().decode(), dtstart=wall_start)
    for steps, wall in enumerate(recurrence, start=1):
        if steps > MAX_STEPS_PER_RULE:
            raise MalformedFeed("A recurring event repeats too often to be read.")
        if wall >= wall_to:
            return
        if wall >= wall_from:
            yield wall


def _until_wall(value: date | datetime, tz) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time(23, 59, 59))
    return _wall(value, tz)


def _wall(value: date | datetime, tz) -> datetime:
    """Naive wall-clock time in `tz` (the frame recurrences are expanded in)."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0))
    if value.tzinfo is None:
        return value
    return value.astimezone(tz).replace(tzinfo=None)


def _date_values(component, name: str) -> list[date | datetime]:
    found = component.get(name)
    if found is None:
        return []
    lists = found if isinstance(found, list) else [found]
    values = []
    for item in lists:
        for entry in item.dts:
            value = entry.dt
            values.append(value[0] if isinstance(value, tuple) else value)
    return values
