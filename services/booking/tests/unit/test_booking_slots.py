import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from loconomics_booking.domain.availability import find_slots
from loconomics_booking.domain.slots import (
    WallRange,
    WeeklySchedule,
    WeeklyTimeOff,
    bookable_starts,
)
from loconomics_booking.models import Booking, Schedule

SUN, MON, TUE = 6, 0, 1
EARLY = datetime(2026, 1, 1, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def week(time_zone: str, day: int, *ranges: tuple[str, str], **settings) -> WeeklySchedule:
    return WeeklySchedule(
        time_zone=time_zone,
        weekly={day: tuple(WallRange(hm(a), hm(b)) for a, b in ranges)},
        **settings,
    )


def local(starts: list[datetime], time_zone: str) -> list[str]:
    return [start.astimezone(ZoneInfo(time_zone)).strftime("%H:%M %Z") for start in starts]


def one_day(schedule, day: date, duration: int, **kwargs) -> list[datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC) - timedelta(hours=12)
    return bookable_starts(schedule, duration, start, start + timedelta(hours=48), EARLY, **kwargs)


# --- daylight saving: United States ------------------------------------------------------


def test_new_york_spring_forward_skips_the_missing_hour():
    schedule = week("America/New_York", SUN, ("01:00", "04:00"), slot_increment_minutes=30)
    starts = one_day(schedule, date(2026, 3, 8), 60)
    assert starts == [utc(2026, 3, 8, 6), utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7)]
    assert local(starts, "America/New_York") == ["01:00 EST", "01:30 EST", "03:00 EDT"]


def test_new_york_range_starting_inside_the_gap_starts_at_the_jump():
    schedule = week("America/New_York", SUN, ("02:30", "05:00"), slot_increment_minutes=30)
    starts = one_day(schedule, date(2026, 3, 8), 60)
    assert starts == [utc(2026, 3, 8, 7), utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 8)]


def test_new_york_fall_back_covers_the_repeated_hour_twice():
    schedule = week("America/New_York", SUN, ("01:00", "03:00"), slot_increment_minutes=30)
    starts = one_day(schedule, date(2026, 11, 1), 60)
    assert starts == [
        utc(2026, 11, 1, 5),
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 1, 6),
        utc(2026, 11, 1, 6, 30),
        utc(2026, 11, 1, 7),
    ]
    assert local(starts, "America/New_York") == [
        "01:00 EDT",
        "01:30 EDT",
        "01:00 EST",
        "01:30 EST",
        "02:00 EST",
    ]


def test_new_york_working_hours_keep_their_wall_clock_around_both_changes():
    schedule = WeeklySchedule(
        "America/New_York", {day: (WallRange(hm("09:00"), hm("10:00")),) for day in range(7)}
    )
    window = (utc(2026, 3, 7), utc(2026, 3, 10))
    starts = bookable_starts(schedule, 60, *window, EARLY)
    assert starts == [utc(2026, 3, 7, 14), utc(2026, 3, 8, 13), utc(2026, 3, 9, 13)]
    window = (utc(2026, 10, 31), utc(2026, 11, 3))
    starts = bookable_starts(schedule, 60, *window, EARLY)
    assert starts == [utc(2026, 10, 31, 13), utc(2026, 11, 1, 14), utc(2026, 11, 2, 14)]


# --- daylight saving: Europe -------------------------------------------------------------


def test_paris_spring_forward_skips_the_missing_hour():
    schedule = week("Europe/Paris", SUN, ("01:00", "04:00"), slot_increment_minutes=30)
    starts = one_day(schedule, date(2026, 3, 29), 60)
    assert starts == [utc(2026, 3, 29, 0), utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1)]
    assert local(starts, "Europe/Paris") == ["01:00 CET", "01:30 CET", "03:00 CEST"]


def test_paris_fall_back_range_over_the_repeated_hour_lasts_two_real_hours():
    schedule = week("Europe/Paris", SUN, ("02:00", "03:00"), slot_increment_minutes=30)
    starts = one_day(schedule, date(2026, 10, 25), 60)
    assert starts == [utc(2026, 10, 25, 0), utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1)]
    assert local(starts, "Europe/Paris") == ["02:00 CEST", "02:30 CEST", "02:00 CET"]


def test_paris_fall_back_fifteen_minute_grid_runs_through_both_copies():
    schedule = week("Europe/Paris", SUN, ("01:00", "04:00"))
    starts = one_day(schedule, date(2026, 10, 25), 180)
    # 01:00 CEST (23:00Z) to 04:00 CET (03:00Z) is four real hours: a 3 h service fits
    # at 23:00Z, 23:15Z, 23:30Z, 23:45Z and 00:00Z.
    assert starts == [utc(2026, 10, 24, 23) + timedelta(minutes=15 * k) for k in range(5)]


# --- the rules ---------------------------------------------------------------------------


def test_buffer_follows_bookings_and_surrounds_busy_time_but_not_time_off():
    schedule = week("UTC", MON, ("09:00", "17:00"), buffer_minutes=15)
    day = utc(2026, 3, 2)
    starts = bookable_starts(
        schedule,
        60,
        day,
        day + timedelta(days=1),
        EARLY,
        held=[(utc(2026, 3, 2, 10), utc(2026, 3, 2, 11, 15))],
        busy=[(utc(2026, 3, 2, 13), utc(2026, 3, 2, 14))],
        time_off=[(utc(2026, 3, 2, 15), utc(2026, 3, 2, 16))],
    )
    assert starts == [
        utc(2026, 3, 2, 11, 15),
        utc(2026, 3, 2, 11, 30),
        utc(2026, 3, 2, 11, 45),
        utc(2026, 3, 2, 16),
    ]


def test_back_to_back_without_buffer():
    schedule = week("UTC", MON, ("09:00", "12:00"), slot_increment_minutes=60)
    starts = one_day(
        schedule, date(2026, 3, 2), 60, held=[(utc(2026, 3, 2, 10), utc(2026, 3, 2, 11))]
    )
    assert starts == [utc(2026, 3, 2, 9), utc(2026, 3, 2, 11)]


def test_advance_notice_and_window_bound_the_starts():
    schedule = week(
        "UTC", MON, ("09:00", "17:00"), advance_notice_hours=2, slot_increment_minutes=60
    )
    now = utc(2026, 3, 2, 8, 10)
    starts = bookable_starts(schedule, 60, utc(2026, 3, 2), utc(2026, 3, 2, 14), now)
    # 10:10 is the earliest allowed moment: the next grid start is 11:00; 14:00 is excluded.
    assert starts == [utc(2026, 3, 2, 11), utc(2026, 3, 2, 12), utc(2026, 3, 2, 13)]


def test_touching_ranges_join_so_a_long_service_fits_across_them():
    schedule = week("UTC", MON, ("09:00", "12:00"), ("12:00", "14:00"), slot_increment_minutes=60)
    starts = one_day(schedule, date(2026, 3, 2), 240)
    assert starts == [utc(2026, 3, 2, 9), utc(2026, 3, 2, 10)]


def test_a_range_to_midnight_joins_the_next_morning():
    schedule = WeeklySchedule(
        "UTC",
        {MON: (WallRange(hm("22:00"), 1440),), TUE: (WallRange(0, hm("02:00")),)},
    )
    starts = bookable_starts(schedule, 180, utc(2026, 3, 2), utc(2026, 3, 4), EARLY)
    assert starts == [utc(2026, 3, 2, 22) + timedelta(minutes=15 * k) for k in range(5)]


def test_weekly_time_off_applies_until_its_last_date():
    schedule = WeeklySchedule(
        "Europe/Paris", {MON: (WallRange(hm("12:00"), hm("14:00")),)}, slot_increment_minutes=60
    )
    lunch = WeeklyTimeOff(MON, hm("12:00"), hm("13:00"), until=date(2026, 3, 16))
    starts = bookable_starts(
        schedule, 60, utc(2026, 3, 9), utc(2026, 3, 31), EARLY, weekly_time_off=[lunch]
    )
    # Paris is UTC+1 until 29 March, UTC+2 after: 13:00 local is 12:00Z then 11:00Z.
    assert starts == [
        utc(2026, 3, 9, 12),
        utc(2026, 3, 16, 12),
        utc(2026, 3, 23, 11),
        utc(2026, 3, 23, 12),
        utc(2026, 3, 30, 10),
        utc(2026, 3, 30, 11),
    ]


def test_no_schedule_means_no_starts_and_naive_times_are_refused():
    assert bookable_starts(WeeklySchedule("UTC"), 60, utc(2026, 3, 2), utc(2026, 3, 9), EARLY) == []
    with pytest.raises(ValueError):
        bookable_starts(WeeklySchedule("UTC"), 60, datetime(2026, 3, 2), utc(2026, 3, 9), EARLY)


# --- speed -------------------------------------------------------------------------------


def _busy_professional(session, setup_pro) -> list[tuple[datetime, datetime]]:
    every_day = {
        day: [{"start": "00:00", "end": "24:00"}]
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    setup_pro(weekly=every_day, time_zone="UTC", buffer_minutes=10, duration_minutes=45)
    held = []
    first = utc(2026, 3, 2)
    for index in range(1000):
        start = first + timedelta(days=index // 11, hours=2 * (index % 11))
        end = start + timedelta(minutes=45)
        held.append((start, end + timedelta(minutes=10)))
        session.add(
            Booking(
                id=f"b{index:04d}",
                client_id="c",
                professional_id="pro-1",
                service_id="svc-1",
                listing_id="listing-1",
                status="confirmed",
                start=start,
                end=end,
                occupied_start=start,
                occupied_end=end + timedelta(minutes=10),
                buffer_minutes=10,
                time_zone="UTC",
                price_cents=100,
                currency="USD",
                policy="flexible",
                instant=True,
                created_by="client",
                creator_id="c",
                proposed_starts=[],
                created_at=EARLY,
                updated_at=EARLY,
            )
        )
    session.flush()
    return held


def test_week_of_slots_for_a_professional_with_1000_bookings_is_fast(session, setup_pro):
    held = _busy_professional(session, setup_pro)
    assert session.get(Schedule, "pro-1").buffer_minutes == 10
    window = (utc(2026, 4, 6), utc(2026, 4, 13))
    timings = []
    for _ in range(15):
        began = time.perf_counter()
        starts = find_slots(session, "pro-1", "svc-1", *window, EARLY)
        timings.append(time.perf_counter() - began)
    # Each day: one start in each of the 10 gaps between bookings (01:00, 03:00 ... 19:00)
    # and 21:00 to 23:00 before the next day's 00:00 booking (9 starts).
    assert len(starts) == 7 * (10 + 9)
    for start in starts:
        candidate = (start, start + timedelta(minutes=55))
        assert all(candidate[1] <= a or candidate[0] >= b for a, b in held)
    assert sorted(timings)[len(timings) // 2] < 0.030
