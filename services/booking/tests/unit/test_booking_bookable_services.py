from datetime import UTC, datetime, timedelta

import pytest
from loconomics_booking.domain.availability import bookable_service
from loconomics_booking.domain.bookable_services import apply_listing_event, booking_price_cents
from loconomics_booking.models import BookableService
from loconomics_plumbing.errors import NotFound

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def service(session, service_id="svc-1") -> BookableService:
    return session.get(BookableService, service_id)


def test_a_published_listing_becomes_bookable(session, listing):
    assert apply_listing_event(
        session, "listing_published", listing(policy="strict", instant=True), NOW
    )
    row = bookable_service(session, "svc-1")
    assert (row.professional_id, row.listing_id, row.duration_minutes) == ("pro-1", "listing-1", 60)
    assert (row.price_cents, row.currency, row.policy, row.instant_booking) == (
        10_000,
        "USD",
        "strict",
        True,
    )


def test_repeats_and_older_events_change_nothing(session, listing):
    apply_listing_event(session, "listing_published", listing(version=1), NOW)
    newer = listing(version=3, policy="moderate")
    assert apply_listing_event(session, "listing_changed", newer, NOW)
    assert not apply_listing_event(session, "listing_changed", newer, NOW)
    assert not apply_listing_event(session, "listing_changed", listing(version=2), NOW)
    assert service(session).policy == "moderate"


def test_changed_at_orders_events_without_a_version(session, listing):
    first = {**listing(), "version": None, "changed_at": NOW}
    later = {**listing(policy="strict"), "version": None, "changed_at": NOW + timedelta(minutes=1)}
    apply_listing_event(session, "listing_changed", later, NOW)
    assert not apply_listing_event(session, "listing_published", first, NOW)
    assert service(session).policy == "strict"


def test_a_removal_that_overtakes_the_publication_still_wins(session, listing):
    removal = {"listing_id": "listing-1", "version": 2, "changed_at": None}
    apply_listing_event(session, "listing_removed", removal, NOW)
    assert not apply_listing_event(session, "listing_published", listing(version=1), NOW)
    with pytest.raises(NotFound):
        bookable_service(session, "svc-1")


def test_removal_and_dropped_services_stop_being_bookable(session, listing):
    two = listing(
        services=[
            {
                "service_id": "svc-1",
                "price": {"amount_cents": 5_000, "currency": "USD"},
                "duration_minutes": 30,
            },
            {
                "service_id": "svc-2",
                "price": {"amount_cents": 8_000, "currency": "USD"},
                "duration_minutes": 90,
            },
        ]
    )
    apply_listing_event(session, "listing_published", two, NOW)
    one = listing(version=2, services=[two["services"][1]])
    apply_listing_event(session, "listing_changed", one, NOW)
    assert service(session, "svc-1").active is False
    assert bookable_service(session, "svc-2").duration_minutes == 90
    apply_listing_event(session, "listing_removed", {"listing_id": "listing-1", "version": 3}, NOW)
    with pytest.raises(NotFound):
        bookable_service(session, "svc-2")


def test_hourly_prices_become_the_price_of_one_booking_and_addons_are_not_bookable(
    session, listing
):
    assert booking_price_cents("hourly", 6_000, 90) == 9_000
    assert booking_price_cents("hourly", 1_001, 30) == 501  # 500.5 rounds up
    assert booking_price_cents("package", 1_001, 30) == 1_001
    payload = listing(
        services=[
            {
                "service_id": "svc-1",
                "pricing_type": "hourly",
                "price": {"amount_cents": 6_000, "currency": "USD"},
                "duration_minutes": 90,
            },
            {
                "service_id": "svc-2",
                "pricing_type": "addon",
                "price": {"amount_cents": 1_000, "currency": "USD"},
                "duration_minutes": 15,
            },
        ]
    )
    apply_listing_event(session, "listing_published", payload, NOW)
    assert bookable_service(session, "svc-1").price_cents == 9_000
    with pytest.raises(NotFound):
        bookable_service(session, "svc-2")


def test_only_listing_events_are_applied(session, listing):
    with pytest.raises(ValueError):
        apply_listing_event(session, "account_created", listing(), NOW)
