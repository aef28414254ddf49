from datetime import UTC, date, datetime

import pytest
from loconomics_booking.domain.local_time import (
    Edge,
    is_time_zone,
    parse_wall_time,
    wall_to_utc,
    zone,
)

NEW_YORK = zone("America/New_York")
PARIS = zone("Europe/Paris")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_wall_times_parse_to_minutes_and_back():
    assert parse_wall_time("00:00") == 0
    assert parse_wall_time("09:30") == 570
    assert parse_wall_time("24:00") == 1440


@pytest.mark.parametrize("text", ["9:30", "24:01", "25:00", "12:60", "noon", ""])
def test_bad_wall_times_are_refused(text):
    with pytest.raises(ValueError):
        parse_wall_time(text)


def test_time_zone_names_are_checked():
    assert is_time_zone("Europe/Paris")
    assert not is_time_zone("Mars/Olympus_Mons")
    assert not is_time_zone("")


def test_ordinary_wall_time_maps_to_one_instant_either_edge():
    assert wall_to_utc(date(2026, 3, 7), 9 * 60, NEW_YORK, Edge.START) == utc(2026, 3, 7, 14)
    assert wall_to_utc(date(2026, 3, 9), 9 * 60, NEW_YORK, Edge.END) == utc(2026, 3, 9, 13)


def test_end_of_day_is_next_midnight():
    assert wall_to_utc(date(2026, 3, 7), 1440, NEW_YORK, Edge.END) == utc(2026, 3, 8, 5)


@pytest.mark.parametrize("minutes", [120, 150, 179])
def test_us_spring_gap_times_move_to_the_jump(minutes):
    # 2026-03-08: New York clocks go 02:00 EST -> 03:00 EDT at 07:00 UTC.
    for edge in Edge:
        assert wall_to_utc(date(2026, 3, 8), minutes, NEW_YORK, edge) == utc(2026, 3, 8, 7)


def test_us_fall_back_start_takes_first_and_end_takes_last_occurrence():
    # 2026-11-01: 01:00-02:00 happens in EDT (05:00Z) then in EST (06:00Z).
    day = date(2026, 11, 1)
    assert wall_to_utc(day, 90, NEW_YORK, Edge.START) == utc(2026, 11, 1, 5, 30)
    assert wall_to_utc(day, 90, NEW_YORK, Edge.END) == utc(2026, 11, 1, 6, 30)
    assert wall_to_utc(day, 180, NEW_YORK, Edge.START) == utc(2026, 11, 1, 8)


def test_eu_spring_gap_and_fall_back():
    # 2026-03-29: Paris jumps 02:00 CET -> 03:00 CEST at 01:00Z.
    assert wall_to_utc(date(2026, 3, 29), 150, PARIS, Edge.START) == utc(2026, 3, 29, 1)
    # 2026-10-25: Paris falls back 03:00 CEST -> 02:00 CET at 01:00Z.
    day = date(2026, 10, 25)
    assert wall_to_utc(day, 150, PARIS, Edge.START) == utc(2026, 10, 25, 0, 30)
    assert wall_to_utc(day, 150, PARIS, Edge.END) == utc(2026, 10, 25, 1, 30)


def test_names_no_machine_knows_are_refused_without_touching_the_disk():
    for name in ("x" * 300, "../../etc/passwd", "Europe/Paris\x00", "\ud90d\ude82", "UTC "):
        assert not is_time_zone(name)
