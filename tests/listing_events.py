"""A profiles-shaped `listing_published` event, sent straight to the broker.

Booking tests need a bookable service without going through profiles' listing routes; the
payload is checked against profiles' own event schema so it cannot drift from what profiles
publishes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from local_platform import Platform
from loconomics_profiles.shop_schemas import ListingEventSchema
from nameko.standalone.events import event_dispatcher
from platform_client import Person


def publish_listing(
    platform: Platform,
    professional: Person,
    *,
    instant: bool = False,
    policy: str = "flexible",
    name: str = "Massage",
    price: int = 9_000,
    duration: int = 60,
) -> str:
    """One service of `duration` minutes at `price` cents; returns the service id."""
    service_id = uuid.uuid4().hex
    payload = {
        "listing_id": uuid.uuid4().hex,
        "professional_id": professional.account_id,
        "job_title_id": "massage-therapist",
        "status": "on",
        "cancellation_policy": policy,
        "instant_booking": instant,
        "version": 1,
        "services": [
            {
                "service_id": service_id,
                "name": name,
                "pricing_type": "service",
                "price": {"amount_cents": price, "currency": "USD"},
                "duration_minutes": duration,
                "sessions": None,
                "first_time_clients_only": False,
                "visible_to_client_id": None,
            }
        ],
        "service_area": None,
    }
    assert ListingEventSchema().validate(payload) == {}, "not what profiles publishes"
    dispatch = event_dispatcher({"AMQP_URI": platform.amqp_uri, "serializer": "json"})
    dispatch(
        "profiles",
        "listing_published",
        {**payload, "event_id": uuid.uuid4().hex, "occurred_at": datetime.now(UTC).isoformat()},
    )
    return service_id
