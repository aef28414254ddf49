from datetime import UTC, datetime, timedelta

import pytest
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound
from loconomics_plumbing.identity import Caller
from loconomics_profiles.domain import listing_services, listings, member_facts
from loconomics_profiles.domain.catalog import job_title_id_for, seed_catalog
from loconomics_profiles.domain.professional_profiles import update_profile
from loconomics_profiles.domain.service_areas import set_service_area
from loconomics_profiles.models import Account, Base
from loconomics_profiles.shop_models import Listing, ListingSearchRow
from sqlalchemy import create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
PAINTER = job_title_id_for("house-painter")
WALKER = job_title_id_for("dog-walker")
WEEKLY = {"mon": [{"start": "09:00", "end": "17:00"}]}
HOURLY = {"name": "Painting", "pricing_type": "hourly",
          "price": {"amount_cents": 6000, "currency": "USD"}, "duration_minutes": 120}


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        seed_catalog(s, NOW)
        yield s


@pytest.fixture
def events():
    return []


@pytest.fixture
def emit(events):
    return lambda name, payload: events.append((name, payload))


def pro(user_id="pro-1"):
    return Caller(user_id, frozenset({"professional"}))


def account(session, user_id, owner_status="not_yet_owner"):
    session.add(Account(id=user_id, email=f"{user_id}@example.org", name=user_id,
                        password_hash="x", language="en", owner_status=owner_status,
                        created_at=NOW))
    session.flush()


def ready_professional(session, emit, user_id="pro-1"):
    """Everything outside the listing that its checklist needs: a bio and weekly hours."""
    update_profile(session, emit, pro(user_id), {"bio": "Twenty years of brushes."}, NOW)
    member_facts.record_schedule(session, emit, user_id, WEEKLY, "America/Los_Angeles", NOW, NOW)


def complete_listing(session, emit, user_id="pro-1", title=PAINTER):
    listing = listings.create_listing(session, emit, pro(user_id), title, NOW)
    listing_services.add_service(session, emit, pro(user_id), listing["id"], HOURLY, NOW)
    set_service_area(session, emit, pro(user_id), listing["id"], 37.77, -122.42, 15, NOW)
    return listing["id"]


def names(events):
    return [name for name, _ in events]


def test_a_new_listing_is_incomplete_and_names_everything_missing(session, emit):
    listing = listings.create_listing(session, emit, pro(), PAINTER, NOW, intro="Walls")
    assert listing["status"] == "incomplete"
    assert listing["missing"] == ["services", "service_area", "schedule", "bio"]
    with pytest.raises(Invalid) as caught:
        listings.update_listing(session, emit, pro(), listing["id"], {"status": "on"}, NOW)
    assert set(caught.value.errors) == {"services", "service_area", "schedule", "bio"}


def test_turning_on_names_only_the_items_still_missing(session, emit):
    update_profile(session, emit, pro(), {"bio": "Painter"}, NOW)
    listing = listings.create_listing(session, emit, pro(), PAINTER, NOW)
    set_service_area(session, emit, pro(), listing["id"], 37.7, -122.4, 10, NOW)
    with pytest.raises(Invalid) as caught:
        listings.update_listing(session, emit, pro(), listing["id"], {"status": "on"}, NOW)
    assert set(caught.value.errors) == {"services", "schedule"}


def test_an_addon_or_a_private_price_alone_does_not_complete_the_checklist(session, emit):
    ready_professional(session, emit)
    listing = listings.create_listing(session, emit, pro(), PAINTER, NOW)
    set_service_area(session, emit, pro(), listing["id"], 37.7, -122.4, 10, NOW)
    listing_services.add_service(session, emit, pro(), listing["id"], {
        "name": "Trim", "pricing_type": "addon",
        "price": {"amount_cents": 1500, "currency": "USD"}}, NOW)
    listing_services.add_service(session, emit, pro(), listing["id"], {
        **HOURLY, "visible_to_client_id": "client-9"}, NOW)
    assert listings.get_own_listing(session, pro(), listing["id"])["missing"] == ["services"]


def test_a_complete_listing_is_off_until_turned_on_then_published(session, emit, events):
    ready_professional(session, emit)
    listing_id = complete_listing(session, emit)
    assert listings.get_own_listing(session, pro(), listing_id)["status"] == "off"
    assert events == []
    view = listings.update_listing(session, emit, pro(), listing_id, {"status": "on"}, NOW)
    assert view["status"] == "on" and view["missing"] == []
    assert names(events) == ["listing_published"]
    payload = events[0][1]
    assert payload["listing_id"] == listing_id
    assert payload["professional_id"] == "pro-1"
    assert payload["job_title_id"] == PAINTER
    assert payload["cancellation_policy"] == "flexible"
    assert payload["instant_booking"] is False
    assert payload["status"] == "on"
    [service] = payload["services"]
    assert service["pricing_type"] == "hourly"
    assert service["price"] == {"amount_cents": 6000, "currency": "USD"}
    assert service["duration_minutes"] == 120
    assert service["visible_to_client_id"] is None
    assert service["service_id"]


def test_changes_while_on_are_announced_with_growing_versions(session, emit, events):
    ready_professional(session, emit)
    listing_id = complete_listing(session, emit)
    listings.update_listing(session, emit, pro(), listing_id, {"status": "on"}, NOW)
    listings.update_listing(session, emit, pro(), listing_id, {"intro": "Fresh"}, NOW)
    added = listing_services.add_service(session, emit, pro(), listing_id, {
        "name": "Quote", "pricing_type": "estimate", "duration_minutes": 30}, NOW)
    listing_services.update_service(session, emit, pro(), listing_id, added["id"],
                                    {"duration_minutes": 45}, NOW)
    set_service_area(session, emit, pro(), listing_id, 37.8, -122.4, 20, NOW)
    listings.update_listing(session, emit, pro(), listing_id, {"status": "off"}, NOW)
    assert names(events) == ["listing_published"] + ["listing_changed"] * 4 + ["listing_removed"]
    versions = [payload["version"] for _, payload in events]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    estimate = [s for s in events[3][1]["services"] if s["pricing_type"] == "estimate"][0]
    assert estimate["duration_minutes"] == 45 and estimate["price"] is None
    assert events[4][1]["service_area"]["radius_km"] == 20
    assert events[-1][1]["status"] == "off"


def test_an_unchanged_patch_announces_nothing(session, emit, events):
    ready_professional(session, emit)
    listing_id = complete_listing(session, emit)
    listings.update_listing(session, emit, pro(), listing_id, {"status": "on"}, NOW)
    listings.update_listing(session, emit, pro(), listing_id, {"status": "on", "intro": ""}, NOW)
    assert names(events) == ["listing_published"]


def test_removing_the_last_service_of_a_listing_that_is_on_is_refused(session, emit):
    ready_professional(session, emit)
    listing_id = complete_listing(session, emit)
    listings.update_listing(session, emit, pro(), listing_id, {"status": "on"}, NOW)
    [service] = listings.get_own_listing(session, pro(), listing_id)["services"]
    with pytest.raises(Invalid) as caught:
        listing_services.remove_service(session, emit, pro(), listing_id, service["id"], NOW)
    assert "services" in caught.value.errors


def test_weekly_hours_withdrawn_by_booking_take_the_listing_down(session, emit, events):
    ready_professional(session, emit)
    listing_id = complete_listing(session, emit)
    listings.update_listing(session, emit, pro(), listing_id, {"status": "on"}, NOW)
    later = NOW + timedelta(hours=1)
    member_facts.record_schedule(session, emit, "pro-1", {"mon": []}, "UTC", later, later)
    assert listings.get_own_listing(session, pro(), listing_id)["status"] == "incomplete"
    assert names(events) == ["listing_published", "listing_removed"]
    assert session.get(ListingSearchRow, listing_id).status == "incomplete"


def test_a_stale_schedule_event_changes_nothing(session, emit):
    ready_professional(session, emit)
    earlier = NOW - timedelta(hours=1)
    assert not member_facts.record_schedule(session, emit, "pro-1", {}, "UTC", earlier, NOW)
    listing_id = complete_listing(session, emit)
    assert listings.get_own_listing(session, pro(), listing_id)["missing"] == []


def test_writing_a_bio_completes_waiting_listings(session, emit):
    member_facts.record_schedule(session, emit, "pro-1", WEEKLY, "UTC", NOW, NOW)
    listing_id = complete_listing(session, emit)
    assert listings.get_own_listing(session, pro(), listing_id)["status"] == "incomplete"
    update_profile(session, emit, pro(), {"bio": "Now I have one"}, NOW)
    assert listings.get_own_listing(session, pro(), listing_id)["status"] == "off"


def test_owner_options_need_an_active_owner(session, emit):
    account(session, "pro-1", "trial")
    with pytest.raises(Forbidden) as caught:
        listings.create_listing(session, emit, pro(), PAINTER, NOW, instant_booking=True,
                                cancellation_policy="strict")
    assert set(caught.value.errors) == {"instant_booking", "cancellation_policy"}
    listing = listings.create_listing(session, emit, pro(), PAINTER, NOW)
    with pytest.raises(Forbidden):
        listings.update_listing(session, emit, pro(), listing["id"],
                                {"cancellation_policy": "moderate"}, NOW)


def test_an_active_owner_may_choose_and_loses_the_options_on_lapse(session, emit, events):
    account(session, "pro-1", "active")
    ready_professional(session, emit)
    listing_id = complete_listing(session, emit)
    listings.update_listing(session, emit, pro(), listing_id, {
        "status": "on", "instant_booking": True, "cancellation_policy": "strict"}, NOW)
    assert events[-1][1]["instant_booking"] is True
    lapsed = NOW + timedelta(days=30)
    assert member_facts.record_owner_status(session, emit, "pro-1", "inactive", lapsed, lapsed)
    view = listings.get_own_listing(session, pro(), listing_id)
    assert (view["cancellation_policy"], view["instant_booking"], view["status"]) == (
        "flexible", False, "on")
    assert names(events)[-1] == "listing_changed"
    assert events[-1][1]["cancellation_policy"] == "flexible"
    assert events[-1][1]["instant_booking"] is False


def test_an_older_owner_status_event_does_not_strip_options(session, emit, events):
    account(session, "pro-1", "active")
    session.get(Account, "pro-1").owner_status_changed_at = NOW
    listing = listings.create_listing(session, emit, pro(), PAINTER, NOW, instant_booking=True)
    stale = NOW - timedelta(days=1)
    assert not member_facts.record_owner_status(session, emit, "pro-1", "cancelled", stale, NOW)
    assert listings.get_own_listing(session, pro(), listing["id"])["instant_booking"] is True


def test_the_free_plan_holds_one_listing(session, emit):
    listings.create_listing(session, emit, pro(), PAINTER, NOW)
    with pytest.raises(Forbidden):
        listings.create_listing(session, emit, pro(), WALKER, NOW)
    account(session, "pro-1", "trial")
    assert listings.create_listing(session, emit, pro(), WALKER, NOW)["job_title_id"] == WALKER


def test_one_listing_per_job_title(session, emit):
    account(session, "pro-1", "active")
    first = listings.create_listing(session, emit, pro(), PAINTER, NOW)
    with pytest.raises(Conflict) as caught:
        listings.create_listing(session, emit, pro(), PAINTER, NOW)
    assert first["id"] in caught.value.errors["job_title_id"][0]


def test_the_database_itself_refuses_a_second_listing_for_a_title(session):
    for listing_id in ("a", "b"):
        session.add(Listing(id=listing_id, professional_id="pro-1", job_title_id=PAINTER,
                            intro="", status="incomplete", cancellation_policy="flexible",
                            instant_booking=False, version=1, created_at=NOW, updated_at=NOW))
    with pytest.raises(IntegrityError):
        session.flush()


def test_deleting_withdraws_and_recreating_revives_the_same_listing(session, emit, events):
    ready_professional(session, emit)
    listing_id = complete_listing(session, emit)
    listings.update_listing(session, emit, pro(), listing_id, {"status": "on"}, NOW)
    listings.delete_listing(session, emit, pro(), listing_id, NOW)
    assert names(events)[-1] == "listing_removed"
    assert events[-1][1]["status"] == "deleted"
    with pytest.raises(NotFound):
        listings.get_own_listing(session, pro(), listing_id)
    assert listings.list_own_listings(session, pro()) == []
    revived = listings.create_listing(session, emit, pro(), PAINTER, NOW, intro="Back")
    assert revived["id"] == listing_id
    assert revived["status"] == "off" and revived["intro"] == "Back"


def test_another_professionals_listing_is_unknown(session, emit):
    listing = listings.create_listing(session, emit, pro("pro-1"), PAINTER, NOW)
    with pytest.raises(NotFound):
        listings.update_listing(session, emit, pro("pro-2"), listing["id"], {"intro": "x"}, NOW)
    with pytest.raises(NotFound):
        listing_services.add_service(session, emit, pro("pro-2"), listing["id"], HOURLY, NOW)


def test_a_client_cannot_open_a_listing(session, emit):
    with pytest.raises(Forbidden):
        listings.create_listing(session, emit, Caller("c", frozenset({"client"})), PAINTER, NOW)


def test_an_unknown_job_title_is_invalid_and_named(session, emit):
    with pytest.raises(Invalid) as caught:
        listings.create_listing(session, emit, pro(), "no-such-title", NOW)
    assert list(caught.value.errors) == ["job_title_id"]


def test_bad_listing_fields_are_each_named(session, emit):
    listing = listings.create_listing(session, emit, pro(), PAINTER, NOW)
    with pytest.raises(Invalid) as caught:
        listings.update_listing(session, emit, pro(), listing["id"], {
            "intro": "x" * 2001, "cancellation_policy": "lenient", "status": "deleted",
            "instant_booking": "yes", "colour": "red"}, NOW)
    assert set(caught.value.errors) == {"colour"}
    with pytest.raises(Invalid) as caught:
        listings.update_listing(session, emit, pro(), listing["id"], {
            "intro": "x" * 2001, "cancellation_policy": "lenient", "status": "deleted",
            "instant_booking": "yes"}, NOW)
    assert set(caught.value.errors) == {"intro", "cancellation_policy", "status",
                                        "instant_booking"}


def test_switching_pricing_type_drops_package_fields(session, emit):
    listing = listings.create_listing(session, emit, pro(), PAINTER, NOW)
    package = listing_services.add_service(session, emit, pro(), listing["id"], {
        "name": "Five rooms", "pricing_type": "package", "sessions": 5,
        "first_time_clients_only": True, "duration_minutes": 60,
        "price": {"amount_cents": 50000, "currency": "USD"}}, NOW)
    changed = listing_services.update_service(session, emit, pro(), listing["id"],
                                              package["id"], {"pricing_type": "service"}, NOW)
    assert changed["sessions"] is None and changed["first_time_clients_only"] is False
    assert changed["price"] == {"amount_cents": 50000, "currency": "USD"}


def test_removed_services_leave_the_listing_but_not_the_database(session, emit):
    listing = listings.create_listing(session, emit, pro(), PAINTER, NOW)
    service = listing_services.add_service(session, emit, pro(), listing["id"], HOURLY, NOW)
    listing_services.remove_service(session, emit, pro(), listing["id"], service["id"], NOW)
    assert listings.get_own_listing(session, pro(), listing["id"])["services"] == []
    with pytest.raises(NotFound):
        listing_services.remove_service(session, emit, pro(), listing["id"], service["id"], NOW)
    stored = session.scalars(select(Listing)).one()
    assert stored.version >= 3
