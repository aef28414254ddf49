"""The secret iCal feed a professional subscribes to in Google, Apple or Outlook calendars.

The feed is reachable without signing in (calendar apps cannot sign in), so the
token in its URL is the only secret: 32 random bytes, shown to the professional
and replaced on demand (the old URL then stops working at once).

It lists confirmed (and past performed/completed) bookings from 30 days ago to a
year ahead, and time off; weekly time off is one recurring event in the
professional's zone, so it keeps its wall-clock time across daylight saving.
UIDs are stable (`booking-<id>@loconomics`), and SEQUENCE follows the booking's
version, so a rescheduled booking updates in place instead of duplicating.
Client names never appear: only the service name and a link-free description.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from urllib.parse import quote

from icalendar import Calendar, Event
from loconomics_plumbing.errors import NotFound
from loconomics_plumbing.identity import Caller
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    BookableService,
    Booking,
    CalendarLink,
    Schedule,
    TimeOff,
    WeeklyTimeOffRule,
)
from .lifecycle import Status
from .local_time import Edge, parse_wall_time, wall_to_utc, zone

PAST = timedelta(days=30)
AHEAD = timedelta(days=365)
EXPORTED = (Status.CONFIRMED, Status.PERFORMED, Status.COMPLETED)
PRODUCT = "-//Loconomics cooperative//Booking//EN"


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def calendar_link(session: Session, professional_id: str, now: datetime) -> CalendarLink:
    """The professional's calendar link, made on first use."""
    link = session.get(CalendarLink, professional_id)
    if link is None:
        link = CalendarLink(
            professional_id=professional_id,
            export_token=_new_token(),
            import_status="none",
            import_failures=0,
            updated_at=now,
        )
        session.add(link)
        session.flush()
    return link


def export_url(feed_base_url: str, token: str) -> str:
    return f"{feed_base_url.rstrip('/')}/{quote(token)}.ics"


def calendar_settings(session: Session, caller: Caller, feed_base_url: str, now: datetime) -> dict:
    """What `GET /v1/me/calendar` shows: the feed URL and how the import is doing."""
    professional_id = caller.require_role("professional")
    link = calendar_link(session, professional_id, now)
    return settings_view(link, feed_base_url)


def settings_view(link: CalendarLink, feed_base_url: str) -> dict:
    return {
        "export_url": export_url(feed_base_url, link.export_token),
        "import_url": link.import_url,
        "import_status": link.import_status,
        "import_error": link.import_error,
        "import_checked_at": link.import_checked_at.isoformat() if link.import_checked_at else None,
        "import_succeeded_at": (
            link.import_succeeded_at.isoformat() if link.import_succeeded_at else None
        ),
    }


def reset_export_token(session: Session, caller: Caller, feed_base_url: str, now: datetime) -> dict:
    """A new secret URL; whoever had the old one sees nothing any more."""
    professional_id = caller.require_role("professional")
    link = calendar_link(session, professional_id, now)
    link.export_token = _new_token()
    link.updated_at = now
    session.flush()
    return settings_view(link, feed_base_url)


def export_feed(session: Session, token: str, now: datetime) -> bytes:
    """The iCal document behind a feed URL; an unknown token is simply not found."""
    link = session.scalars(select(CalendarLink).where(CalendarLink.export_token == token)).first()
    if link is None:
        raise NotFound("No such calendar.")
    professional_id = link.professional_id
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Loconomics bookings")

    bookings = session.execute(
        select(Booking, BookableService.name)
        .outerjoin(BookableService, BookableService.service_id == Booking.service_id)
        .where(
            Booking.professional_id == professional_id,
            Booking.status.in_([status.value for status in EXPORTED]),
            Booking.end > now - PAST,
            Booking.start < now + AHEAD,
        )
        .order_by(Booking.start)
    )
    for booking, service_name in bookings:
        event = Event()
        event.add("uid", f"booking-{booking.id}@loconomics")
        event.add("dtstamp", now)
        event.add("dtstart", booking.start)
        event.add("dtend", booking.end)
        event.add("summary", f"Booking: {service_name}" if service_name else "Booking")
        event.add("status", "CONFIRMED")
        event.add("sequence", booking.version - 1)
        event.add("last-modified", booking.updated_at)
        event.add("description", f"Loconomics booking {booking.id} ({booking.status})")
        calendar.add_component(event)

    time_off = session.scalars(
        select(TimeOff)
        .where(TimeOff.professional_id == professional_id, TimeOff.end > now - PAST)
        .order_by(TimeOff.start)
    )
    for row in time_off:
        event = Event()
        event.add("uid", f"time-off-{row.id}@loconomics")
        event.add("dtstamp", now)
        event.add("dtstart", row.start)
        event.add("dtend", row.end)
        event.add("summary", row.note or "Time off")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)

    weekly = session.scalars(
        select(WeeklyTimeOffRule).where(
            WeeklyTimeOffRule.professional_id == professional_id,
            WeeklyTimeOffRule.until >= (now - PAST).date(),
        )
    )
    schedule = session.get(Schedule, professional_id)
    time_zone = schedule.time_zone if schedule is not None else "UTC"
    uses_zones = False
    for rule in weekly:
        event = _weekly_event(rule, time_zone, now)
        if event is not None:
            calendar.add_component(event)
            uses_zones = True
    if uses_zones:
        calendar.add_missing_timezones(
            first_date=(now - PAST).date(), last_date=(now + AHEAD).date()
        )
    return calendar.to_ical()


def _weekly_event(rule: WeeklyTimeOffRule, time_zone: str, now: datetime) -> Event | None:
    """Weekly time off as one recurring event, from its creation week to its last date."""
    tz = zone(time_zone)
    first_day = rule.created_at.astimezone(tz).date()
    first_day += timedelta(days=(rule.weekday - first_day.weekday()) % 7)
    if first_day > rule.until:
        return None
    start_minute = parse_wall_time(rule.start_time)
    end_minute = parse_wall_time(rule.end_time)
    start = wall_to_utc(first_day, start_minute, tz, Edge.START).astimezone(tz)
    end = wall_to_utc(first_day, end_minute, tz, Edge.END).astimezone(tz)
    last_start = wall_to_utc(rule.until, start_minute, tz, Edge.START)
    event = Event()
    event.add("uid", f"time-off-{rule.id}@loconomics")
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("rrule", {"freq": "weekly", "until": last_start})
    event.add("summary", rule.note or "Time off")
    event.add("transp", "OPAQUE")
    return event
