"""`Instant` and `Day`: every time and date a service takes is one its arithmetic can use."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from loconomics_plumbing.validation import (
    DAY_OUT_OF_RANGE,
    OUT_OF_RANGE,
    Day,
    Instant,
    StrictSchema,
)
from marshmallow import ValidationError

SERVICES = Path(__file__).resolve().parents[3] / "services"
PLAIN_FIELDS = ("fields.AwareDateTime", "fields.DateTime(", "fields.Date(")


class WhenSchema(StrictSchema):
    at = Instant(required=True)


class DaySchema(StrictSchema):
    on = Day(required=True)


@pytest.mark.parametrize(
    "given, meant",
    [
        ("2026-03-04T10:00:00-05:00", datetime(2026, 3, 4, 15, tzinfo=UTC)),
        ("1900-01-01T01:00:00+01:00", datetime(1900, 1, 1, tzinfo=UTC)),
        ("8999-12-31T23:59:59.999999Z", datetime(8999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_a_time_with_its_offset_is_taken(given, meant):
    assert WhenSchema().load({"at": given})["at"] == meant


@pytest.mark.parametrize(
    "given",
    [
        "0001-01-01T00:14:07+00:51",  # before year 1 in UTC
        "9999-12-31T23:50:00-00:30",  # after year 9999 in UTC
        "0001-01-01T02:16:21.0+01:00",  # a time, but the day before it is not (fuzzing)
        "1900-01-01T00:59:59+01:00",  # 1899 in UTC
        "9000-01-01T00:00:00Z",
        "8999-12-31T23:30:00-01:00",  # 9000 in UTC
    ],
)
def test_a_time_outside_the_years_the_cooperative_uses_is_refused(given):
    with pytest.raises(ValidationError) as refused:
        WhenSchema().load({"at": given})
    assert refused.value.messages == {"at": [OUT_OF_RANGE]}


def test_a_day_or_a_week_either_side_of_any_accepted_time_is_still_a_time():
    """What the services do with a time: windows, the day before, local days."""
    local_days = [
        (at + step).astimezone(ZoneInfo(zone)).date()
        for given in ("1900-01-01T00:00:00Z", "8999-12-31T23:59:59Z")
        for at in [WhenSchema().load({"at": given})["at"]]
        for step in (timedelta(days=-8), timedelta(days=8))
        for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago")  # +14 h and -11 h
    ]
    assert min(local_days) == date(1899, 12, 23)  # 8 days before, 11 h behind
    assert max(local_days) == date(9000, 1, 9)  # 8 days after 23:59:59, 14 h ahead


def test_a_time_without_an_offset_is_still_refused():
    with pytest.raises(ValidationError) as refused:
        WhenSchema().load({"at": "2026-03-04T10:00:00"})
    assert "at" in refused.value.messages


@pytest.mark.parametrize("given", ["1900-01-01", "2026-11-27", "8999-12-31"])
def test_a_date_in_the_years_the_cooperative_uses_is_taken(given):
    assert DaySchema().load({"on": given})["on"] == date.fromisoformat(given)


@pytest.mark.parametrize("given", ["0001-01-01", "1899-12-31", "9000-01-01", "9999-12-31"])
def test_a_date_outside_them_is_refused(given):
    with pytest.raises(ValidationError) as refused:
        DaySchema().load({"on": given})
    assert refused.value.messages == {"on": [DAY_OUT_OF_RANGE]}


def test_a_day_after_the_last_date_is_still_a_time_in_every_zone():
    """A weekly time off's last start, worked out in UTC from the professional's zone."""
    last = DaySchema().load({"on": "8999-12-31"})["on"]
    at = datetime.combine(last + timedelta(days=1), datetime.min.time())
    in_utc = {
        zone: at.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
        for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago")  # +14 h and -11 h
    }
    assert in_utc == {
        "Pacific/Kiritimati": datetime(8999, 12, 31, 10, tzinfo=UTC),
        "Pacific/Pago_Pago": datetime(9000, 1, 1, 11, tzinfo=UTC),
    }


def test_no_service_schema_takes_a_plain_date_or_aware_datetime():
    """A plain `AwareDateTime` or `Date` lets those out-of-range values through to a 500."""
    plain = [
        f"{path.relative_to(SERVICES)}:{number}"
        for path in sorted(SERVICES.glob("*/loconomics_*/**/*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if any(name in line for name in PLAIN_FIELDS)
    ]
    assert plain == []
