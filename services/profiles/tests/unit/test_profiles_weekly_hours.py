"""Open hours in a window, from booking's weekly schedule: the search fallback's answer."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from loconomics_profiles.domain import member_facts, weekly_hours
from loconomics_profiles.models import Base
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MORNINGS = {"mon": [{"start": "09:00", "end": "12:00"}], "wed": [{"start": "20:00",
                                                                  "end": "24:00"}]}


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s


def record(session, professional_id, weekly, zone="America/New_York", notice=0):
    member_facts.record_schedule(session, lambda *a: None, professional_id, weekly, zone,
                                 MONDAY_NOON, MONDAY_NOON, advance_notice_hours=notice)


def local(day: int, hour: int, minute: int = 0, zone="America/New_York") -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def test_a_window_meeting_weekly_hours_in_the_professionals_zone_is_open(session):
    record(session, "pro-1", MORNINGS)
    open_ = weekly_hours.professionals_open
    assert open_(session, ["pro-1"], local(9, 11, 30), local(9, 13), MONDAY_NOON) == {"pro-1"}
    assert open_(session, ["pro-1"], local(9, 12), local(9, 18), MONDAY_NOON) == set()
    assert open_(session, ["pro-1"], local(9, 7), local(9, 9), MONDAY_NOON) == set()
    assert open_(session, ["pro-1"], local(10, 0), local(11, 8), MONDAY_NOON) == set()
    assert open_(session, ["pro-1"], local(8, 22), local(9, 9, 15), MONDAY_NOON) == {"pro-1"}


def test_24_00_closes_at_midnight_and_a_window_across_days_finds_the_range(session):
    record(session, "pro-1", MORNINGS)
    open_ = weekly_hours.professionals_open
    assert open_(session, ["pro-1"], local(11, 23, 30), local(12, 1), MONDAY_NOON) == {"pro-1"}
    assert open_(session, ["pro-1"], local(12, 0), local(12, 8), MONDAY_NOON) == set()


def test_hours_are_wall_times_across_the_spring_forward_change(session):
    record(session, "pro-1", {"mon": [{"start": "09:00", "end": "10:00"}]})
    after_change = local(9, 9, 30)
    assert after_change.hour == 13
    assert weekly_hours.professionals_open(
        session, ["pro-1"], after_change, after_change + timedelta(minutes=10), MONDAY_NOON
    ) == {"pro-1"}
    assert weekly_hours.professionals_open(
        session, ["pro-1"], after_change + timedelta(hours=1),
        after_change + timedelta(hours=2), MONDAY_NOON,
    ) == set()


def test_advance_notice_cuts_the_start_of_the_window(session):
    record(session, "pro-1", MORNINGS, notice=48)
    now = local(8, 12)
    assert weekly_hours.professionals_open(session, ["pro-1"], local(9, 9), local(9, 12),
                                           now) == set()
    assert weekly_hours.professionals_open(session, ["pro-1"], local(9, 9), local(11, 21),
                                           now) == {"pro-1"}


def test_no_hours_malformed_ranges_and_unknown_zones_are_never_open(session):
    record(session, "pro-empty", {"mon": []})
    record(session, "pro-bad", {"mon": [{"start": "09:00"}, {"start": "9", "end": "10:00"},
                                        {"start": "12:00", "end": "11:00"}]})
    record(session, "pro-zone", MORNINGS, zone="Mars/Olympus_Mons")
    record(session, "pro-ok", MORNINGS)
    found = weekly_hours.professionals_open(
        session, ["pro-empty", "pro-bad", "pro-zone", "pro-ok", "pro-unknown"],
        local(9, 0), local(9, 23), MONDAY_NOON,
    )
    assert found == {"pro-ok"}
    assert weekly_hours.professionals_open(session, [], local(9, 0), local(9, 23),
                                           MONDAY_NOON) == set()


def test_windows_at_the_ends_of_the_calendar_are_closed_not_errors(session):
    record(session, "pro-1", MORNINGS, zone="Asia/Tokyo")
    last = datetime(9999, 12, 31, 20, tzinfo=UTC)
    assert weekly_hours.professionals_open(session, ["pro-1"], last - timedelta(days=3), last,
                                           MONDAY_NOON) == set()
    record(session, "pro-2", MORNINGS, zone="America/Anchorage")
    first = datetime(1, 1, 1, 2, tzinfo=UTC)
    assert weekly_hours.professionals_open(session, ["pro-2"], first, first + timedelta(days=2),
                                           datetime(1, 1, 1, tzinfo=UTC)) == set()
