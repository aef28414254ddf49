"""The professional's shop window through the real gateway, broker and service processes.

A platform of its own (module scope) so the review-publication timer runs every second
(`PROFILES_REVIEW_PUBLICATION_SECONDS`) and the clock can jump without touching the shared one.
Weekly hours go through booking's `PUT /v1/me/schedule`, so booking's own `schedule_changed`
reaches profiles, and one review follows a real booking (request, confirmation, completion by
the client) through booking. Owner status, and the completed bookings of the double-blind test,
are published as billing-shaped and booking-shaped events on `billing.events` and
`booking.events` with kombu, each checked first against its producer's own event schema. Each
test works in its own city, far from the others.
"""

from __future__ import annotations

import math
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from kombu import Connection, Exchange
from local_platform import Platform
from loconomics_billing.schemas import OwnerStatusChangedEvent
from loconomics_booking.schemas import EMITTED_EVENTS as BOOKING_EVENTS
from loconomics_plumbing.clock import move_clock
from loconomics_profiles.domain.geo import destination, haversine_km
from platform_client import ApiClient, Person

pytestmark = pytest.mark.integration

WEEKDAYS = {day: [{"start": "08:00", "end": "18:00"}]
            for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
CHICAGO = ZoneInfo("America/Chicago")
ROOM = {"name": "Two-hour clean", "pricing_type": "service", "duration_minutes": 120,
        "price": {"amount_cents": 9000, "currency": "USD"}}


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Platform:
    var: Path = tmp_path_factory.mktemp("shop-window")
    amqp_port = int(os.environ.get("TEST_AMQP_PORT", "5673"))
    extra_env = {"GATEWAY_RPC_TIMEOUT_SECONDS": "10", "PROFILES_REVIEW_PUBLICATION_SECONDS": "1"}
    with Platform.isolated(var, amqp_port, extra_env=extra_env).running() as platform:
        yield platform


@pytest.fixture(scope="module")
def api(shop) -> ApiClient:
    return ApiClient(shop.gateway_url)


@pytest.fixture(scope="module")
def admin(shop, api) -> Person:
    return api.sign_up_admin(shop)


# Helpers


def eventually(probe: Callable[[], object], holds: Callable[[object], bool] = bool,
               timeout: float = 20.0, what: str = "it"):
    """The first answer of `probe` for which `holds` is true, polling until `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if holds(found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s: {found!r}")
        time.sleep(0.2)


def publish(shop: Platform, source: str, event_type: str, payload: dict) -> dict:
    """An event on `<source>.events`, exactly as the nameko relay of that service sends it."""
    body = {"event_id": uuid.uuid4().hex, "occurred_at": datetime.now(UTC).isoformat(),
            **payload}
    exchange = Exchange(f"{source}.events", type="topic", durable=True)
    with Connection(shop.amqp_uri) as connection:
        connection.Producer(serializer="json").publish(
            body, exchange=exchange, routing_key=event_type, declare=[exchange],
            delivery_mode=2, retry=True)
    return body


def owner_status_changed(shop: Platform, user_id: str, before: str, after: str,
                         changed_at: datetime) -> None:
    payload = {"user_id": user_id, "from": before, "to": after,
               "plan_id": "owner-growth-monthly", "reason": "subscription_updated",
               "changed_at": changed_at.isoformat()}
    assert OwnerStatusChangedEvent().validate(payload) == {}
    publish(shop, "billing", "owner_status_changed", payload)


def booking_completed(shop: Platform, booking_id: str, client: Person, pro: Person,
                      listing_id: str) -> None:
    ended = datetime.now(UTC) - timedelta(days=3)
    payload = {
        "booking_id": booking_id, "client_id": client.account_id,
        "professional_id": pro.account_id, "service_id": uuid.uuid4().hex,
        "listing_id": listing_id, "status": "completed",
        "start": (ended - timedelta(hours=2)).isoformat(), "end": ended.isoformat(),
        "time_zone": "America/Chicago", "price": {"amount_cents": 9000, "currency": "USD"},
        "policy": "flexible", "instant": False, "created_by": "client",
        "completed_by": "client",
    }
    assert BOOKING_EVENTS["booking_completed"]().validate(payload) == {}
    publish(shop, "booking", "booking_completed", payload)


def set_weekly_hours(api: ApiClient, pro: Person, weekly: dict) -> None:
    """Through booking's own route: booking's `schedule_changed` is what profiles hears."""
    answer = api.put("/v1/me/schedule", token=pro.token, json={
        "time_zone": "America/Chicago", "weekly": weekly, "advance_notice_hours": 0,
        "buffer_minutes": 0, "slot_increment_minutes": 30})
    assert answer.status_code == 200, answer.text


def listing_of(api: ApiClient, pro: Person, listing_id: str) -> dict:
    answer = api.get(f"/v1/me/listings/{listing_id}", token=pro.token)
    assert answer.status_code == 200, answer.text
    return answer.json()


def open_shop(shop, api, centre: tuple[float, float], radius_km: float = 10.0,
              name: str = "Sparkle", title_id: str | None = None) -> tuple[Person, str]:
    """A professional with a published house-cleaning listing whose area is centred here."""
    pro = api.sign_up(roles=["professional"], name=name)
    title_id = title_id or job_title_id(api, "house cleaner")
    slug = f"{name.lower().replace(' ', '-')}-{uuid.uuid4().hex[:6]}"
    assert api.patch("/v1/me/profile", token=pro.token, json={
        "bio": f"{name}: spotless homes.", "business_name": name, "slug": slug,
        "languages": ["en", "es-mx"]}).status_code == 200
    listing = api.post("/v1/me/listings", token=pro.token, json={"job_title_id": title_id})
    assert listing.status_code == 201, listing.text
    listing_id = listing.json()["id"]
    assert api.post(f"/v1/me/listings/{listing_id}/services", token=pro.token,
                    json=ROOM).status_code == 201
    assert api.put(f"/v1/me/listings/{listing_id}/service-area", token=pro.token, json={
        "lat": centre[0], "lng": centre[1], "radius_km": radius_km}).status_code == 200
    set_weekly_hours(api, pro, WEEKDAYS)
    eventually(lambda: listing_of(api, pro, listing_id)["missing"] == [],
               what="booking's schedule_changed reaching profiles")
    on = api.patch(f"/v1/me/listings/{listing_id}", token=pro.token, json={"status": "on"})
    assert on.status_code == 200, on.text
    return pro, listing_id


def job_title_id(api: ApiClient, name: str) -> str:
    found = api.get("/v1/job-titles", params={"q": name}).json()["items"]
    assert found and found[0]["name"].lower() == name
    return found[0]["id"]


def search(api: ApiClient, **params) -> dict:
    answer = api.get("/v1/search", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def found_ids(api: ApiClient, **params) -> list[str]:
    return [item["listing_id"] for item in search(api, **params)["items"]]


# Tests


def test_a_professional_builds_a_listing_and_turns_it_on_once_the_checklist_holds(shop, api):
    pro = api.sign_up(roles=["professional"], name="Dora Dogwalker")
    walker = job_title_id(api, "dog walker")
    created = api.post("/v1/me/listings", token=pro.token,
                       json={"job_title_id": walker, "intro": "Long walks in the park"})
    assert created.status_code == 201, created.text
    listing = created.json()
    assert listing["status"] == "incomplete"
    assert listing["missing"] == ["services", "service_area", "schedule", "bio"]

    def turn_on():
        return api.patch(f"/v1/me/listings/{listing['id']}", token=pro.token,
                         json={"status": "on"})

    refused = turn_on()
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"services", "service_area", "schedule", "bio"}

    assert api.patch("/v1/me/profile", token=pro.token,
                     json={"bio": "Dogs love me."}).status_code == 200
    walk = api.post(f"/v1/me/listings/{listing['id']}/services", token=pro.token, json={
        "name": "Hour walk", "pricing_type": "hourly", "duration_minutes": 60,
        "price": {"amount_cents": 2500, "currency": "USD"}})
    assert walk.status_code == 201, walk.text
    area = api.put(f"/v1/me/listings/{listing['id']}/service-area", token=pro.token,
                   json={"lat": 41.8781, "lng": -87.6298, "radius_km": 8, "travels": True})
    assert area.status_code == 200 and area.json()["radius_km"] == 8
    assert set(turn_on().json()["errors"]) == {"schedule"}

    set_weekly_hours(api, pro, {"mon": [{"start": "09:00", "end": "17:00"}]})
    eventually(lambda: listing_of(api, pro, listing["id"])["status"] == "off",
               what="the listing to be complete")
    on = turn_on()
    assert on.status_code == 200 and on.json()["status"] == "on"

    mine = api.get("/v1/me/listings", token=pro.token).json()
    assert [item["id"] for item in mine["items"]] == [listing["id"]]
    public = api.get(f"/v1/professionals/{pro.account_id}")
    assert public.status_code == 200
    assert public.json()["listings"][0]["services"][0]["name"] == "Hour walk"
    assert "missing" not in public.json()["listings"][0]

    second = api.post("/v1/me/listings", token=pro.token,
                      json={"job_title_id": job_title_id(api, "pet sitter")})
    assert second.status_code == 403, "the free plan holds one listing"
    again = api.post("/v1/me/listings", token=pro.token, json={"job_title_id": walker})
    assert again.status_code == 409


def test_search_by_name_and_alias_ranks_with_distance_and_pages_with_a_cursor(shop, api):
    centre = (29.7604, -95.3698)
    shops = [open_shop(shop, api, destination(*centre, 90, km), name=f"Houston {n}")
             for n, km in enumerate((0.5, 2.0, 4.0))]
    by_name = search(api, job_title="house cleaner", lat=centre[0], lng=centre[1],
                     radius_km=10)
    assert [item["listing_id"] for item in by_name["items"]] == [lid for _, lid in shops]
    assert by_name["job_title"]["name"] == "House cleaner"
    distances = [item["distance_km"] for item in by_name["items"]]
    assert distances == sorted(distances) and abs(distances[0] - 0.5) < 0.01
    assert all(0 < item["score"] <= 1 for item in by_name["items"])
    assert by_name["items"][0]["business_name"] == "Houston 0"
    assert by_name["availability"] is None

    assert found_ids(api, job_title="maid", lat=centre[0], lng=centre[1], radius_km=10) == [
        lid for _, lid in shops]
    assert found_ids(api, job_title="hous cleanr", lat=centre[0], lng=centre[1],
                     radius_km=10) == [lid for _, lid in shops]

    first = search(api, job_title="house cleaner", lat=centre[0], lng=centre[1], radius_km=10,
                   limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = search(api, job_title="house cleaner", lat=centre[0], lng=centre[1], radius_km=10,
                  limit=2, cursor=first["next_cursor"])
    assert rest["next_cursor"] is None
    assert [i["listing_id"] for i in first["items"] + rest["items"]] == [lid for _, lid in shops]


def test_search_respects_the_client_radius_and_the_area_radius_at_their_edges(shop, api):
    centre = (32.7767, -96.7970)
    _, listing_id = open_shop(shop, api, centre, radius_km=10.0, name="Dallas Shine")

    def found(bearing: float, km: float, radius_km: float) -> bool:
        lat, lng = destination(*centre, bearing, km)
        assert math.isclose(haversine_km(*centre, lat, lng), km, rel_tol=1e-9)
        return listing_id in found_ids(api, job_title="house cleaner", lat=lat, lng=lng,
                                       radius_km=radius_km)

    assert found(0, 5.0, radius_km=5.0), "the client's radius includes its edge"
    assert not found(0, 5.0, radius_km=4.99)
    assert found(135, 9.999, radius_km=25), "inside the professional's area"
    assert found(225, 10.0, radius_km=25), "the area's edge counts as inside"
    assert not found(315, 10.01, radius_km=25), "the client is outside the area"


def test_availability_window_keeps_professionals_with_open_time(shop, api):
    centre = (35.4676, -97.5164)
    pro, listing_id = open_shop(shop, api, centre, name="Okie Clean")
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    working = datetime(day.year, day.month, day.day, 10, tzinfo=CHICAGO)
    night = datetime(day.year, day.month, day.day, 1, tzinfo=CHICAGO)

    def found(start: datetime) -> dict:
        return search(api, job_title="house cleaner", lat=centre[0], lng=centre[1],
                      radius_km=5, available_from=start.isoformat(),
                      available_to=(start + timedelta(hours=4)).isoformat())

    daytime = found(working)
    assert daytime["availability"] == "booking"
    assert [item["listing_id"] for item in daytime["items"]] == [listing_id]
    assert found(night)["items"] == []
    away = api.post("/v1/me/time-off", token=pro.token, json={
        "start": (working - timedelta(hours=3)).isoformat(),
        "end": (working + timedelta(hours=9)).isoformat()})
    assert away.status_code == 201, away.text
    on_leave = found(working)
    assert on_leave["availability"] == "booking"
    assert on_leave["items"] == []
    one_sided = api.get("/v1/search", params={"job_title": "house cleaner", "lat": centre[0],
                                              "lng": centre[1],
                                              "available_from": working.isoformat()})
    assert one_sided.status_code == 422 and "available_to" in one_sided.json()["errors"]


def test_owner_only_options_follow_billings_owner_status(shop, api):
    centre = (39.7392, -104.9903)
    pro, listing_id = open_shop(shop, api, centre, name="Denver Dust")

    def change(body: dict):
        return api.patch(f"/v1/me/listings/{listing_id}", token=pro.token, json=body)

    refused = change({"instant_booking": True, "cancellation_policy": "strict"})
    assert refused.status_code == 403
    assert set(refused.json()["errors"]) == {"instant_booking", "cancellation_policy"}

    became_owner = datetime.now(UTC)
    owner_status_changed(shop, pro.account_id, "trial", "active", became_owner)
    eventually(lambda: api.get("/v1/me", token=pro.token).json()["owner_status"] == "active",
               what="owner status reaching profiles")
    allowed = change({"instant_booking": True, "cancellation_policy": "strict"})
    assert allowed.status_code == 200, allowed.text
    assert (allowed.json()["instant_booking"], allowed.json()["cancellation_policy"]) == (
        True, "strict")

    owner_status_changed(shop, pro.account_id, "active", "trial",
                         became_owner - timedelta(minutes=5))
    owner_status_changed(shop, pro.account_id, "active", "inactive",
                         became_owner + timedelta(minutes=1))
    lapsed = eventually(lambda: listing_of(api, pro, listing_id),
                        lambda listing: not listing["instant_booking"],
                        what="the lapse resetting the listing")
    assert lapsed["cancellation_policy"] == "flexible" and lapsed["status"] == "on"
    assert api.get("/v1/me", token=pro.token).json()["owner_status"] == "inactive"
    assert change({"instant_booking": True}).status_code == 403


def test_a_proposed_title_is_usable_by_its_proposer_and_listed_once_approved(shop, api, admin):
    pro = api.sign_up(roles=["professional"], name="Bea Keeper")
    other = api.sign_up(roles=["client"], name="Curious")
    proposed = api.post("/v1/job-titles", token=pro.token, json={
        "name": f"Beekeeper {uuid.uuid4().hex[:4]}", "category": "outdoor",
        "aliases": ["apiarist"]})
    assert proposed.status_code == 201, proposed.text
    title = proposed.json()
    assert title["status"] == "proposed"
    assert api.post("/v1/me/listings", token=pro.token,
                    json={"job_title_id": title["id"]}).status_code == 201
    assert api.get(f"/v1/job-titles/{title['id']}", token=other.token).status_code == 404
    assert api.post(f"/v1/admin/job-titles/{title['id']}/approval",
                    token=pro.token).status_code == 403
    waiting = api.get("/v1/admin/job-titles/proposals", token=admin.token).json()["items"]
    assert title["id"] in [t["id"] for t in waiting]
    approved = api.post(f"/v1/admin/job-titles/{title['id']}/approval", token=admin.token)
    assert approved.status_code == 200 and approved.json()["status"] == "listed"
    listed = api.get("/v1/job-titles", params={"q": "apiarist"}).json()["items"]
    assert title["id"] in [t["id"] for t in listed]

    credential = api.post("/v1/me/credentials", token=pro.token, json={
        "kind": "certification", "name": "Master beekeeper", "number": "MB-7",
        "issuer": "Beekeepers Guild", "state": "CO", "expires_on": "2030-01-01"})
    assert credential.status_code == 201 and credential.json()["verified"] is False
    cred_id = credential.json()["id"]
    assert api.put(f"/v1/admin/credentials/{cred_id}/verification", token=pro.token,
                   json={"verified": True}).status_code == 403
    verified = api.put(f"/v1/admin/credentials/{cred_id}/verification", token=admin.token,
                       json={"verified": True})
    assert verified.status_code == 200 and verified.json()["verified"] is True
    profile = api.get("/v1/me/profile", token=pro.token).json()
    assert profile["credentials"][0]["verified"] is True


def test_a_private_price_is_shown_only_to_its_client(shop, api):
    pro, listing_id = open_shop(shop, api, (38.2527, -85.7585), name="Louisville Lux")
    client, stranger = api.sign_up(name="Regular"), api.sign_up(name="Stranger")
    private = api.post(f"/v1/me/listings/{listing_id}/services", token=pro.token, json={
        **ROOM, "name": "Regular's rate", "price": {"amount_cents": 7000, "currency": "USD"},
        "visible_to_client_id": client.account_id})
    assert private.status_code == 201, private.text

    def names(person: Person | None) -> list[str]:
        answer = api.get(f"/v1/professionals/{pro.account_id}",
                         token=person.token if person else None)
        return [s["name"] for s in answer.json()["listings"][0]["services"]]

    assert names(client) == ["Two-hour clean", "Regular's rate"]
    assert names(stranger) == names(None) == ["Two-hour clean"]


def test_bad_input_is_a_422_naming_the_field(shop, api):
    pro = api.sign_up(roles=["professional"], name="Typo Tim")
    cases = [
        (api.get("/v1/search", params={"job_title": "house cleaner", "lat": 91, "lng": 0}),
         "lat"),
        (api.get("/v1/search", params={"job_title": "house cleaner", "lat": 0, "lng": 181}),
         "lng"),
        (api.get("/v1/search", params={"job_title": "astronaut", "lat": 0, "lng": 0}),
         "job_title"),
        (api.get("/v1/search", params={"job_title": "house cleaner", "lat": 0, "lng": 0,
                                       "cursor": "not-ours"}), "cursor"),
        (api.patch("/v1/me/profile", token=pro.token, json={"bio": "b" * 4001}), "bio"),
        (api.patch("/v1/me/profile", token=pro.token, json={"slug": "Not A Slug"}), "slug"),
        (api.post("/v1/me/listings", token=pro.token, json={"job_title_id": "no-such-title"}),
         "job_title_id"),
    ]
    for answer, field in cases:
        assert answer.status_code == 422, (field, answer.text)
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        assert field in answer.json()["errors"], (field, answer.json())
    listing = api.post("/v1/me/listings", token=pro.token,
                       json={"job_title_id": job_title_id(api, "tutor")}).json()
    area = api.put(f"/v1/me/listings/{listing['id']}/service-area", token=pro.token,
                   json={"lat": -91, "lng": 0, "radius_km": 300})
    assert area.status_code == 422 and set(area.json()["errors"]) == {"lat", "radius_km"}


def test_reviews_are_double_blind_and_published_after_a_week(shop, api):
    pro, listing_id = open_shop(shop, api, (36.1627, -86.7816), name="Nashville Neat")
    client, other = api.sign_up(name="Happy Client"), api.sign_up(name="Quiet Client")
    both_sides, one_side = (f"b-{uuid.uuid4().hex[:8]}" for _ in range(2))
    booking_completed(shop, both_sides, client, pro, listing_id)
    booking_completed(shop, one_side, other, pro, listing_id)
    ratings = {"thoroughness": 5, "punctuality": 5, "communication": 4, "value": 4}
    reviews_url = f"/v1/professionals/{pro.account_id}/reviews"

    def review(person: Person, booking_id: str, body: dict):
        return api.post(f"/v1/bookings/{booking_id}/review", token=person.token, json=body)

    first = eventually(lambda: review(client, both_sides, {"ratings": ratings,
                                                            "text": "Spotless"}),
                       lambda answer: answer.status_code != 404,
                       what="booking_completed reaching profiles")
    assert first.status_code == 201, first.text
    assert first.json()["published_at"] is None
    assert api.get(reviews_url).json()["items"] == [], "blind while one side has reviewed"
    answered = review(pro, both_sides, {"ratings": {"communication": 5, "punctuality": 5,
                                                    "respect": 5}, "text": "Lovely home"})
    assert answered.status_code == 201 and answered.json()["published_at"]
    assert [r["id"] for r in api.get(reviews_url).json()["items"]] == [first.json()["id"]]
    about_client = api.get(f"/v1/clients/{client.account_id}/reviews", token=pro.token)
    assert [r["text"] for r in about_client.json()["items"]] == ["Lovely home"]

    quiet = eventually(lambda: review(other, one_side, {"ratings": {**ratings, "value": 2},
                                                         "text": "Late"}),
                       lambda answer: answer.status_code != 404,
                       what="the second booking_completed reaching profiles")
    assert quiet.status_code == 201 and quiet.json()["published_at"] is None
    assert review(client, one_side, {"ratings": ratings}).status_code == 403
    assert review(other, one_side, {"ratings": ratings}).status_code == 409
    bad = review(other, one_side, {"ratings": {"value": 9}})
    assert bad.status_code == 422 and "ratings.value.value" in bad.json()["errors"]
    assert len(api.get(reviews_url).json()["items"]) == 1

    move_clock(shop.env()["LOCONOMICS_CLOCK_FILE"], timedelta(days=7, minutes=1))
    try:
        page = eventually(lambda: api.get(reviews_url).json()["items"],
                          lambda items: len(items) == 2, timeout=30,
                          what="the timer publishing the week-old review")
        assert page[0]["id"] == quiet.json()["id"]
        profile = api.get(f"/v1/professionals/{pro.account_id}").json()
        assert profile["rating"] == {"rating_avg": 4.25, "review_count": 2}
        assert profile["listings"][0]["review_count"] == 2
    finally:
        move_clock(shop.env()["LOCONOMICS_CLOCK_FILE"], timedelta(0))

    reply = api.post(f"/v1/reviews/{quiet.json()['id']}/reply", token=pro.token,
                     json={"text": "Sorry about the delay!"})
    assert reply.status_code == 201, reply.text
    assert reply.json()["reply_text"] == "Sorry about the delay!"
    assert api.post(f"/v1/reviews/{quiet.json()['id']}/reply", token=pro.token,
                    json={"text": "Again"}).status_code == 409
    assert api.post(f"/v1/reviews/{quiet.json()['id']}/reply", token=client.token,
                    json={"text": "Not mine"}).status_code == 403


def test_a_review_follows_a_real_booking_through_booking(shop, api):
    pro, listing_id = open_shop(shop, api, (30.2672, -97.7431), name="Austin Amber")
    client = api.sign_up(name="Booking Client")
    service_id = listing_of(api, pro, listing_id)["services"][0]["id"]
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    window = {"service_id": service_id,
              "from": datetime(day.year, day.month, day.day, tzinfo=CHICAGO).isoformat(),
              "to": datetime(day.year, day.month, day.day, 23, tzinfo=CHICAGO).isoformat()}
    slots = eventually(
        lambda: api.get(f"/v1/professionals/{pro.account_id}/slots", params=window),
        lambda answer: answer.status_code == 200 and answer.json()["items"],
        what="booking learning the listing's service from listing_published").json()["items"]
    start = datetime.fromisoformat(slots[0])
    assert start.astimezone(CHICAGO).hour == 8

    requested = api.post("/v1/bookings", token=client.token,
                         json={"service_id": service_id, "proposed_starts": [slots[0]]})
    assert requested.status_code == 201, requested.text
    booking_id = requested.json()["id"]
    confirmed = api.post(f"/v1/bookings/{booking_id}/confirm", token=pro.token,
                         json={"start": slots[0]})
    assert confirmed.status_code == 200, confirmed.text
    too_soon = api.post(f"/v1/bookings/{booking_id}/review", token=client.token,
                        json={"ratings": {"value": 5}})
    assert too_soon.status_code == 404, "no review before booking says it is completed"

    offset = start + timedelta(hours=2, minutes=5) - datetime.now(UTC)
    move_clock(shop.env()["LOCONOMICS_CLOCK_FILE"], offset)
    try:
        client = api.log_in(client)
        done = api.post(f"/v1/bookings/{booking_id}/complete", token=client.token)
        assert done.status_code == 200, done.text
        ratings = {"thoroughness": 4, "punctuality": 5, "communication": 5, "value": 4}
        review = eventually(
            lambda: api.post(f"/v1/bookings/{booking_id}/review", token=client.token,
                             json={"ratings": ratings, "text": "As promised"}),
            lambda answer: answer.status_code != 404,
            what="booking's booking_completed reaching profiles")
        assert review.status_code == 201, review.text
        assert review.json()["listing_id"] == listing_id
        assert review.json()["job_title_id"] == job_title_id(api, "house cleaner")
        assert review.json()["published_at"] is None
    finally:
        move_clock(shop.env()["LOCONOMICS_CLOCK_FILE"], timedelta(0))
