from datetime import UTC, datetime, timedelta

import pytest
from loconomics_booking.domain.availability import bookable_service
from loconomics_booking.domain.bookable_services import apply_listing_event, booking_price_cents
from loconomics_booking.domain.bookings import create_booking
from loconomics_booking.models import BookableService
from loconomics_plumbing.errors import Forbidden, NotFound
from loconomics_plumbing.identity import Caller

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
    removal = listing(version=2, status="off")
    apply_listing_event(session, "listing_removed", removal, NOW)
    assert not apply_listing_event(session, "listing_published", listing(version=1), NOW)
    with pytest.raises(NotFound):
        bookable_service(session, "svc-1")


def test_removal_and_dropped_services_stop_being_bookable(session, listing, service_item):
    two = listing(
        services=[
            service_item("svc-1", duration_minutes=30),
            service_item("svc-2", duration_minutes=90),
        ]
    )
    apply_listing_event(session, "listing_published", two, NOW)
    one = listing(version=2, services=[two["services"][1]])
    apply_listing_event(session, "listing_changed", one, NOW)
    assert service(session, "svc-1").active is False
    assert bookable_service(session, "svc-2").duration_minutes == 90
    removed = listing(version=3, status="off", services=[two["services"][1]])
    apply_listing_event(session, "listing_removed", removed, NOW)
    with pytest.raises(NotFound):
        bookable_service(session, "svc-2")


def test_a_listing_switched_off_is_not_bookable(session, listing):
    apply_listing_event(session, "listing_changed", listing(status="off"), NOW)
    with pytest.raises(NotFound):
        bookable_service(session, "svc-1")
    apply_listing_event(session, "listing_changed", listing(version=2), NOW)
    assert bookable_service(session, "svc-1").active


def test_prices_become_the_price_of_one_booking(session, listing, service_item):
    assert booking_price_cents("hourly", 6_000, 90) == 9_000
    assert booking_price_cents("hourly", 1_001, 30) == 501  # 500.5 rounds up
    assert booking_price_cents("package", 10_000, 60, sessions=3) == 3_333
    assert booking_price_cents("package", 10_001, 60, sessions=2) == 5_001  # 5000.5 up
    assert booking_price_cents("service", 1_001, 30) == 1_001
    payload = listing(
        services=[
            service_item(
                "svc-1",
                pricing_type="hourly",
                price={"amount_cents": 6_000, "currency": "EUR"},
                duration_minutes=90,
            ),
            service_item("svc-2", pricing_type="addon", duration_minutes=None),
            service_item("svc-3", pricing_type="consultation", price=None, duration_minutes=30),
            service_item(
                "svc-4",
                pricing_type="package",
                sessions=4,
                price={"amount_cents": 20_000, "currency": "USD"},
            ),
        ]
    )
    apply_listing_event(session, "listing_published", payload, NOW)
    assert (bookable_service(session, "svc-1").price_cents, service(session).currency) == (
        9_000,
        "EUR",
    )
    with pytest.raises(NotFound):
        bookable_service(session, "svc-2")
    assert bookable_service(session, "svc-3").price_cents == 0
    assert bookable_service(session, "svc-4").price_cents == 5_000


def test_private_and_first_time_offers_are_kept(
    session, emit, listing, service_item, client, other_client, setup_pro
):
    setup_pro(instant=True)
    payload = listing(
        version=2,
        instant=True,
        services=[
            service_item("svc-1"),
            service_item("svc-private", visible_to_client_id="client-2"),
            service_item("svc-first", first_time_clients_only=True),
        ],
    )
    apply_listing_event(session, "listing_changed", payload, NOW)
    start = datetime(2026, 3, 4, 15, tzinfo=UTC)
    create_booking(session, emit, client, {"service_id": "svc-1", "start": start}, NOW)
    with pytest.raises(NotFound):
        create_booking(
            session,
            emit,
            client,
            {"service_id": "svc-private", "start": start + timedelta(hours=2)},
            NOW,
        )
    with pytest.raises(Forbidden):
        create_booking(
            session,
            emit,
            client,
            {"service_id": "svc-first", "start": start + timedelta(hours=2)},
            NOW,
        )
    created = create_booking(
        session,
        emit,
        other_client,
        {"service_id": "svc-private", "start": start + timedelta(hours=2)},
        NOW,
    )
    assert created["status"] == "confirmed"
    newcomer = Caller("client-3", frozenset({"client"}))
    first = create_booking(
        session,
        emit,
        newcomer,
        {"service_id": "svc-first", "start": start + timedelta(days=1)},
        NOW,
    )
    assert first["status"] == "confirmed"


def test_only_listing_events_are_applied(session, listing):
    with pytest.raises(ValueError):
        apply_listing_event(session, "account_created", listing(), NOW)
