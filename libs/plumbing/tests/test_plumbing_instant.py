"""`Instant`: every time a service takes in is an aware time that is also a time in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from loconomics_plumbing.validation import OUT_OF_RANGE, Instant, StrictSchema
from marshmallow import ValidationError

SERVICES = Path(__file__).resolve().parents[3] / "services"


class WhenSchema(StrictSchema):
    at = Instant(required=True)


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
    for given in ("1900-01-01T00:00:00Z", "8999-12-31T23:59:59Z"):
        at = WhenSchema().load({"at": given})["at"]
        for step in (timedelta(days=-8), timedelta(days=8)):
            assert (at + step).astimezone(ZoneInfo("Pacific/Kiritimati")).date()
            assert (at + step).astimezone(ZoneInfo("Pacific/Pago_Pago")).date()


def test_a_time_without_an_offset_is_still_refused():
    with pytest.raises(ValidationError) as refused:
        WhenSchema().load({"at": "2026-03-04T10:00:00"})
    assert "at" in refused.value.messages


def test_no_service_schema_takes_a_plain_aware_datetime():
    """A plain `AwareDateTime` lets those out-of-range times through to a 500."""
    plain = [
        f"{path.relative_to(SERVICES)}:{number}"
        for path in sorted(SERVICES.glob("*/loconomics_*/**/*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "fields.AwareDateTime" in line or "fields.DateTime(" in line
    ]
    assert plain == []
