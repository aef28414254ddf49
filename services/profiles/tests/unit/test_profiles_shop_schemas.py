import json
from datetime import UTC, datetime, timedelta

import pytest
from loconomics_plumbing.errors import Invalid
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.validation import load
from loconomics_profiles import shop_schemas as schemas
from loconomics_profiles.domain import (
    catalog,
    listing_services,
    listings,
    member_facts,
    reviews,
    search,
)
from loconomics_profiles.domain import professional_profiles as profiles
from loconomics_profiles.domain.service_areas import set_service_area
from loconomics_profiles.models import Base
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
PRO = Caller("pro-1", frozenset({"professional"}))
CLIENT = Caller("client-1", frozenset({"client"}))
PAINTER = catalog.job_title_id_for("house-painter")


@pytest.fixture
def events():
    return []


@pytest.fixture
def world(events):
    """One published listing with a private price, a credential and a published review."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    emit = lambda name, payload: events.append((name, payload))  # noqa: E731
    with Session(engine) as session:
        catalog.seed_catalog(session, NOW)
        profiles.update_profile(session, emit, PRO, {"bio": "Walls", "slug": "ana"}, NOW)
        profiles.add_credential(session, PRO, {
            "kind": "license", "name": "Contractor", "number": "C-33", "issuer": "CSLB",
            "state": "CA", "expires_on": "2027-01-01"}, NOW)
        member_facts.record_schedule(session, emit, "pro-1", {"mon": [{}]}, "UTC", NOW, NOW)
        listing = listings.create_listing(session, emit, PRO, PAINTER, NOW)
        service = {"name": "Room", "pricing_type": "service", "duration_minutes": 240,
                   "price": {"amount_cents": 40000, "currency": "USD"}}
        listing_services.add_service(session, emit, PRO, listing["id"], service, NOW)
        listing_services.add_service(session, emit, PRO, listing["id"], {
            **service, "visible_to_client_id": "client-1"}, NOW)
        set_service_area(session, emit, PRO, listing["id"], 37.77, -122.42, 10, NOW)
        listings.update_listing(session, emit, PRO, listing["id"], {"status": "on"}, NOW)
        reviews.record_completed_booking(session, "b-1", "client-1", "pro-1", NOW,
                                         listing_id=listing["id"])
        reviews.submit_review(session, emit, CLIENT, "b-1", {
            "workmanship": 5, "punctuality": 4, "communication": 5, "value": 4}, "Neat", NOW)
        reviews.publish_due_reviews(session, emit, NOW + timedelta(days=7))
        yield session, listing["id"]


def dumped(schema, data):
    """Dump as the service will, and prove the view holds no field the contract omits."""
    undeclared = set(data) - set(schema.fields)
    assert not undeclared, undeclared
    return json.loads(json.dumps(schema.dump(data)))


def test_owner_and_public_views_fit_their_schemas(world):
    session, listing_id = world
    own = dumped(schemas.ListingSchema(), listings.get_own_listing(session, PRO, listing_id))
    assert own["missing"] == [] and len(own["services"]) == 2
    assert own["services"][0]["price"] == {"amount_cents": 40000, "currency": "USD"}
    public = dumped(schemas.PublicProfileSchema(),
                    profiles.public_profile(session, "ana", CLIENT, NOW))
    assert public["credentials"][0]["expires_on"] == "2027-01-01"
    assert public["rating"]["review_count"] == 1
    assert "missing" not in public["listings"][0]
    mine = dumped(schemas.ProfileSchema(), profiles.my_profile(session, PRO, NOW))
    assert mine["updated_at"].startswith("2025-03-03T12:00:00")


def test_search_catalog_and_review_results_fit_their_schemas(world):
    session, listing_id = world
    result = dumped(schemas.SearchResultSchema(), search.search(
        session, job_title="painter", lat=37.77, lng=-122.42))
    assert result["items"][0]["listing_id"] == listing_id
    for item in result["items"]:
        dumped(schemas.SearchItemSchema(), item)
    for title in catalog.find_titles(session, PRO, "paint"):
        dumped(schemas.JobTitleSchema(), title)
    page = reviews.reviews_of_professional(session, "pro-1")
    for review in page["items"]:
        dumped(schemas.ReviewSchema(), review)
    assert dumped(schemas.ReviewPageSchema(), page)["items"][0]["published_at"]


def test_every_event_payload_fits_its_schema(world, events):
    session, _ = world
    by_name = {
        "listing_published": schemas.ListingEventSchema(),
        "listing_changed": schemas.ListingEventSchema(),
        "review_published": schemas.ReviewPublishedEventSchema(),
    }
    emitted = {name for name, _ in events}
    assert {"listing_published", "review_published"} <= emitted
    for name, payload in events:
        schema = by_name[name]
        assert schema.validate(payload) == {}, (name, payload)
        assert set(payload) == set(schema.fields)


def test_search_arguments_are_checked_and_named():
    args = load(schemas.SearchArgsSchema(), {"job_title": "dog walker", "lat": "37.7",
                                             "lng": -122.4})
    assert args["radius_km"] == search.DEFAULT_RADIUS_KM and args["limit"] == 20
    with pytest.raises(Invalid) as caught:
        load(schemas.SearchArgsSchema(), {"job_title": "", "lat": 91, "lng": "west",
                                          "radius_km": 0, "colour": "red"})
    assert set(caught.value.errors) == {"job_title", "lat", "lng", "radius_km", "colour"}


def test_consumed_events_ignore_extra_fields_but_need_their_own():
    loaded = load(schemas.BookingCompletedEventSchema(), {
        "event_id": "e1", "occurred_at": "2025-03-03T12:00:00+00:00", "booking_id": "b-1",
        "client_id": "c", "professional_id": "p", "price": {"amount_cents": 1}})
    assert loaded["listing_id"] is None and loaded["occurred_at"] == NOW
    with pytest.raises(Invalid) as caught:
        load(schemas.ScheduleChangedEventSchema(), {"weekly": {}})
    assert set(caught.value.errors) == {"professional_id", "changed_at"}


def test_service_and_review_inputs_refuse_fractions_and_unknown_fields():
    with pytest.raises(Invalid) as caught:
        load(schemas.AddServiceArgsSchema(), {"listing_id": "l", "name": "Cut",
                                              "pricing_type": "barter", "duration_minutes": 2.5,
                                              "tip": 1})
    assert set(caught.value.errors) == {"pricing_type", "duration_minutes", "tip"}
    with pytest.raises(Invalid) as caught:
        load(schemas.SubmitReviewArgsSchema(), {"booking_id": "b", "ratings": {"value": 4.5}})
    assert caught.value.errors == {"ratings.value.value": ["Not a valid integer."]}
    patch = load(schemas.UpdateListingArgsSchema(), {"listing_id": "l", "status": "on"})
    assert patch == {"listing_id": "l", "status": "on"}
