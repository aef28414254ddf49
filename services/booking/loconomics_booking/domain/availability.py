"""A professional's schedule and time off, and the bookable starts they produce.

Loads only what can matter for a window (bookings, time off and busy time meeting
it) and hands it to the pure `slots.bookable_starts`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from loconomics_plumbing.errors import Invalid, NotFound, field_error
from loconomics_plumbing.identity import Caller
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import (
    BookableService,
    Booking,
    BusyInterval,
    Schedule,
    TimeOff,
    WeeklyTimeOffRule,
)
from .local_time import WEEKDAYS, as_utc, is_time_zone, parse_wall_time
from .occupancy import holding_bookings_query
from .slots import WallRange, WeeklySchedule, WeeklyTimeOff, bookable_starts

Emit = Callable[[str, dict], None]

MAX_WINDOW = timedelta(days=62)
DEFAULT_TIME_ZONE = "UTC"


def schedule_of(row: Schedule | None) -> WeeklySchedule:
    """The pure schedule; a professional without one has no bookable time."""
    if row is None:
        return WeeklySchedule(time_zone=DEFAULT_TIME_ZONE)
    weekly = {
        WEEKDAYS.index(day): tuple(
            WallRange(parse_wall_time(item["start"]), parse_wall_time(item["end"]))
            for item in ranges
        )
        for day, ranges in (row.weekly or {}).items()
    }
    return WeeklySchedule(
        time_zone=row.time_zone,
        weekly=weekly,
        advance_notice_hours=row.advance_notice_hours,
        buffer_minutes=row.buffer_minutes,
        slot_increment_minutes=row.slot_increment_minutes,
    )


def schedule_view(row: Schedule | None, professional_id: str) -> dict:
    if row is None:
        return {
            "professional_id": professional_id,
            "time_zone": DEFAULT_TIME_ZONE,
            "weekly": {},
            "advance_notice_hours": 0,
            "buffer_minutes": 0,
            "slot_increment_minutes": 15,
        }
    return {
        "professional_id": row.professional_id,
        "time_zone": row.time_zone,
        "weekly": row.weekly,
        "advance_notice_hours": row.advance_notice_hours,
        "buffer_minutes": row.buffer_minutes,
        "slot_increment_minutes": row.slot_increment_minutes,
    }


def get_schedule(session: Session, professional_id: str) -> dict:
    return schedule_view(session.get(Schedule, professional_id), professional_id)


def _checked_weekly(weekly: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Ranges sorted per day; overlapping ones are refused (touching ones are fine)."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, list[dict]] = {}
    for day, ranges in weekly.items():
        if day not in WEEKDAYS:
            errors[f"weekly.{day}"] = ["Not a weekday (mon..sun)."]
            continue
        parsed = []
        for item in ranges:
            try:
                parsed.append(
                    WallRange(parse_wall_time(item["start"]), parse_wall_time(item["end"]))
                )
            except ValueError:
                errors.setdefault(f"weekly.{day}", []).append(
                    f"{item['start']}-{item['end']} is not a range within the day."
                )
        parsed.sort(key=lambda wall: wall.start)
        for earlier, later in zip(parsed, parsed[1:], strict=False):
            if later.start < earlier.end:
                errors.setdefault(f"weekly.{day}", []).append("Ranges overlap.")
        if parsed:
            cleaned[day] = [
                {"start": item["start"], "end": item["end"]}
                for item in sorted(ranges, key=lambda item: parse_wall_time(item["start"]))
            ]
    if errors:
        raise Invalid("The weekly schedule is not valid.", errors)
    return cleaned


def set_schedule(session: Session, emit: Emit, caller: Caller, data: dict, now: datetime) -> dict:
    """Replace the caller's weekly schedule (the PUT of the API) and tell the others."""
    professional_id = caller.require_role("professional")
    if not is_time_zone(data["time_zone"]):
        raise field_error("time_zone", "Not an IANA time zone, e.g. America/New_York.")
    weekly = _checked_weekly(data.get("weekly") or {})
    row = session.get(Schedule, professional_id)
    if row is None:
        row = Schedule(professional_id=professional_id)
        session.add(row)
    row.time_zone = data["time_zone"]
    row.weekly = weekly
    row.advance_notice_hours = data.get("advance_notice_hours", 0)
    row.buffer_minutes = data.get("buffer_minutes", 0)
    row.slot_increment_minutes = data.get("slot_increment_minutes", 15)
    row.updated_at = now
    session.flush()
    view = schedule_view(row, professional_id)
    emit("schedule_changed", {**view, "reason": "schedule", "changed_at": now.isoformat()})
    return view


def _schedule_changed(
    session: Session, emit: Emit, professional_id: str, reason: str, now: datetime
):
    view = get_schedule(session, professional_id)
    emit("schedule_changed", {**view, "reason": reason, "changed_at": now.isoformat()})


def time_off_view(row: TimeOff | WeeklyTimeOffRule) -> dict:
    if isinstance(row, TimeOff):
        return {
            "id": row.id,
            "kind": "once",
            "start": row.start.isoformat(),
            "end": row.end.isoformat(),
            "note": row.note,
        }
    return {
        "id": row.id,
        "kind": "weekly",
        "weekday": WEEKDAYS[row.weekday],
        "start_time": row.start_time,
        "end_time": row.end_time,
        "until": row.until.isoformat(),
        "note": row.note,
    }


def add_time_off(session: Session, emit: Emit, caller: Caller, data: dict, now: datetime) -> dict:
    """Add time off: one-off (`start`, `end`) or weekly (`weekday`, `start_time`, `end_time`,
    `until`), the weekly kind in the professional's wall-clock time."""
    professional_id = caller.require_role("professional")
    if data.get("weekday") is not None:
        start_minute = parse_wall_time(data["start_time"])
        end_minute = parse_wall_time(data["end_time"])
        if end_minute <= start_minute:
            raise field_error("end_time", "Must be after start_time.")
        until: date = data["until"]
        if until < now.date() - timedelta(days=1):
            raise field_error("until", "Must not be in the past.")
        row: TimeOff | WeeklyTimeOffRule = WeeklyTimeOffRule(
            professional_id=professional_id,
            weekday=WEEKDAYS.index(data["weekday"]),
            start_time=data["start_time"],
            end_time=data["end_time"],
            until=until,
            note=data.get("note"),
            created_at=now,
        )
    else:
        start, end = as_utc(data["start"]), as_utc(data["end"])
        if end <= start:
            raise field_error("end", "Must be after start.")
        row = TimeOff(
            professional_id=professional_id,
            start=start,
            end=end,
            note=data.get("note"),
            created_at=now,
        )
    session.add(row)
    session.flush()
    _schedule_changed(session, emit, professional_id, "time_off", now)
    return time_off_view(row)


def remove_time_off(
    session: Session, emit: Emit, caller: Caller, time_off_id: str, now: datetime
) -> None:
    professional_id = caller.require_role("professional")
    for model in (TimeOff, WeeklyTimeOffRule):
        removed = session.execute(
            delete(model).where(model.id == time_off_id, model.professional_id == professional_id)
        ).rowcount
        if removed:
            _schedule_changed(session, emit, professional_id, "time_off", now)
            return
    raise NotFound("No such time off.")


def list_time_off(session: Session, caller: Caller, now: datetime) -> list[dict]:
    """The caller's current and future time off (past one-off time off is history)."""
    professional_id = caller.require_role("professional")
    once = session.scalars(
        select(TimeOff)
        .where(TimeOff.professional_id == professional_id, TimeOff.end > now)
        .order_by(TimeOff.start)
    )
    weekly = session.scalars(
        select(WeeklyTimeOffRule)
        .where(
            WeeklyTimeOffRule.professional_id == professional_id,
            WeeklyTimeOffRule.until >= now.date() - timedelta(days=1),
        )
        .order_by(WeeklyTimeOffRule.weekday, WeeklyTimeOffRule.start_time)
    )
    return [time_off_view(row) for row in [*once, *weekly]]


def bookable_service(session: Session, service_id: str) -> BookableService:
    service = session.get(BookableService, service_id)
    if service is None or not service.active or service.pricing_type == "addon":
        raise NotFound("No such bookable service.")
    return service


def starts_for(
    session: Session,
    service: BookableService,
    window_from: datetime,
    window_to: datetime,
    now: datetime,
    exclude_booking_id: str | None = None,
) -> list[datetime]:
    """Bookable starts of `service` in the window, loading only rows that meet it."""
    row = session.get(Schedule, service.professional_id)
    if row is None:
        return []
    schedule = schedule_of(row)
    professional_id = service.professional_id
    reach = window_to + timedelta(minutes=service.duration_minutes + schedule.buffer_minutes)
    held_query = holding_bookings_query(professional_id, window_from, reach).with_only_columns(
        Booking.occupied_start, Booking.occupied_end
    )
    if exclude_booking_id is not None:
        held_query = held_query.where(Booking.id != exclude_booking_id)
    held = [(start, end) for start, end in session.execute(held_query)]
    time_off = [
        (start, end)
        for start, end in session.execute(
            select(TimeOff.start, TimeOff.end).where(
                TimeOff.professional_id == professional_id,
                TimeOff.start < reach,
                TimeOff.end > window_from,
            )
        )
    ]
    weekly_time_off = [
        WeeklyTimeOff(
            weekday=rule.weekday,
            start=parse_wall_time(rule.start_time),
            end=parse_wall_time(rule.end_time),
            until=rule.until,
        )
        for rule in session.scalars(
            select(WeeklyTimeOffRule).where(
                WeeklyTimeOffRule.professional_id == professional_id,
                WeeklyTimeOffRule.until >= (window_from - timedelta(days=1)).date(),
            )
        )
    ]
    busy_from = window_from - timedelta(minutes=schedule.buffer_minutes)
    busy = [
        (start, end)
        for start, end in session.execute(
            select(BusyInterval.start, BusyInterval.end).where(
                BusyInterval.professional_id == professional_id,
                BusyInterval.start < reach,
                BusyInterval.end > busy_from,
            )
        )
    ]
    return bookable_starts(
        schedule,
        service.duration_minutes,
        window_from,
        window_to,
        now,
        time_off=time_off,
        weekly_time_off=weekly_time_off,
        held=held,
        busy=busy,
    )


def find_slots(
    session: Session,
    professional_id: str,
    service_id: str,
    window_from: datetime,
    window_to: datetime,
    now: datetime,
) -> list[datetime]:
    """The public slots query: starts of one of the professional's services in a window."""
    window_from, window_to = as_utc(window_from), as_utc(window_to)
    if window_to <= window_from:
        raise field_error("to", "Must be after from.")
    if window_to - window_from > MAX_WINDOW:
        raise field_error("to", f"A window spans at most {MAX_WINDOW.days} days.")
    service = bookable_service(session, service_id)
    if service.professional_id != professional_id:
        raise NotFound("No such bookable service for this professional.")
    return starts_for(session, service, window_from, window_to, now)


def professionals_with_free_slots(
    session: Session,
    professional_ids: list[str],
    window_from: datetime,
    window_to: datetime,
    now: datetime,
) -> list[str]:
    """Who among these has a bookable start in the window, for search's availability filter.

    Asks of each professional's shortest public service only: under one schedule,
    any gap that fits a longer service fits the shortest one too.
    """
    window_from, window_to = as_utc(window_from), as_utc(window_to)
    if window_to - window_from > MAX_WINDOW:
        raise field_error("to", f"A window spans at most {MAX_WINDOW.days} days.")
    shortest: dict[str, BookableService] = {}
    for service in session.scalars(
        select(BookableService).where(
            BookableService.professional_id.in_(professional_ids),
            BookableService.active.is_(True),
            BookableService.pricing_type != "addon",
            BookableService.visible_to_client_id.is_(None),
        )
    ):
        known = shortest.get(service.professional_id)
        if known is None or service.duration_minutes < known.duration_minutes:
            shortest[service.professional_id] = service
    return [
        professional_id
        for professional_id in professional_ids
        if professional_id in shortest
        and starts_for(session, shortest[professional_id], window_from, window_to, now)
    ]


def is_bookable_start(
    session: Session,
    service: BookableService,
    start: datetime,
    now: datetime,
    exclude_booking_id: str | None = None,
) -> bool:
    """Whether a client could pick `start` among the slots right now."""
    if start < now:
        return False  # never a slot, and the days around a very old time may not exist
    window_to = start + timedelta(seconds=1)
    return start in starts_for(session, service, start, window_to, now, exclude_booking_id)
