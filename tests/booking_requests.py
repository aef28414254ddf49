"""A client's booking request to a professional open all week, through the real gateway.

The professional's bookable service comes from a profiles-shaped `listing_published`
(`listing_events.publish_listing`), so the tests need no listing routes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from listing_events import publish_listing
from local_platform import Platform
from platform_client import ApiClient, Person
from polling import wait_for

ALL_WEEK = {
    day: [{"start": "00:00", "end": "24:00"}]
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


def requested_booking(
    api: ApiClient, platform: Platform, client: Person, professional: Person
) -> dict:
    """The client asks for the top of an hour three days ahead; the booking as answered."""
    scheduled = api.put(
        "/v1/me/schedule", token=professional.token, json={"time_zone": "UTC", "weekly": ALL_WEEK}
    )
    assert scheduled.status_code == 200, scheduled.text
    service_id = publish_listing(platform, professional)
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)

    def ask():
        answer = api.post(
            "/v1/bookings",
            token=client.token,
            json={"service_id": service_id, "proposed_starts": [start.isoformat()]},
        )
        return answer.json() if answer.status_code == 201 else None

    return wait_for(ask, "booking to know the published service")
