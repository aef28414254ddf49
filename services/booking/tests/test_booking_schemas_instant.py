"""Times that parse with their offset but fall outside what a UTC time can be are refused."""

from __future__ import annotations

import pytest
from loconomics_booking.schemas import SlotsQuerySchema
from loconomics_plumbing.validation import OUT_OF_RANGE
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
