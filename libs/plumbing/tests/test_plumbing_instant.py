"""`Instant`: every time a service takes in is an aware time that is also a time in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from loconomics_plumbing.validation import Instant, StrictSchema
from marshmallow import ValidationError

SERVICES = Path(__file__).resolve().parents[3] / "services"


class WhenSchema(StrictSchema):
    at = Instant(required=True)


@pytest.mark.parametrize(
    "given, meant",
    [
        ("2026-03-04T10:00:00-05:00", datetime(2026, 3, 4, 15, tzinfo=UTC)),
        ("0001-01-01T00:14:07+00:14", datetime(1, 1, 1, 0, 0, 7, tzinfo=UTC)),
        ("9999-12-31T23:59:00Z", datetime(9999, 12, 31, 23, 59, tzinfo=UTC)),
    ],
)
def test_a_time_with_its_offset_is_taken(given, meant):
    assert WhenSchema().load({"at": given})["at"] == meant


@pytest.mark.parametrize(
    "given",
    ["0001-01-01T00:14:07+00:51", "9999-12-31T23:50:00-00:30"],
)
def test_a_time_outside_the_years_utc_can_hold_is_refused(given):
    with pytest.raises(ValidationError) as refused:
        WhenSchema().load({"at": given})
    assert refused.value.messages == {"at": ["This time is out of range."]}


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
