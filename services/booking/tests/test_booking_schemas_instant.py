"""Times and dates that parse but fall outside the years the services can work with are refused."""

from __future__ import annotations

import pytest
from loconomics_booking.schemas import SlotsQuerySchema, TimeOffInputSchema
from loconomics_plumbing.validation import DAY_OUT_OF_RANGE, OUT_OF_RANGE
from marshmallow import ValidationError


def test_a_window_before_year_one_in_utc_is_refused_not_a_crash():
    with pytest.raises(ValidationError) as refused:
        SlotsQuerySchema().load(
            {
                "professional_id": "p1",
                "service_id": "s1",
                "from": "0001-01-01T00:14:07+00:51",
                "to": "1630-09-07T18:08:49.9Z",
            }
        )
    assert refused.value.messages["from"] == [OUT_OF_RANGE]


def test_weekly_time_off_until_the_end_of_time_is_refused_not_a_broken_feed():
    with pytest.raises(ValidationError) as refused:
        TimeOffInputSchema().load(
            {"weekday": "sun", "start_time": "22:00", "end_time": "23:30", "until": "9999-12-31"}
        )
    assert refused.value.messages["until"] == [DAY_OUT_OF_RANGE]
