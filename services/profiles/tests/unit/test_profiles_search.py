import random
from datetime import UTC, datetime, timedelta

import pytest
from loconomics_plumbing.errors import Invalid
from loconomics_plumbing.identity import Caller
from loconomics_profiles.domain import geo, listing_services, listings, member_facts, search
from loconomics_profiles.domain.catalog import job_title_id_for, seed_catalog
from loconomics_profiles.domain.professional_profiles import update_profile
from loconomics_profiles.domain.service_areas import set_service_area
from loconomics_profiles.models import Base
from loconomics_profiles.shop_models import Listing, ListingSearchRow
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
PAINTER = job_title_id_for("house-painter")
MASSAGE = job_title_id_for("massage-therapist")
SF = (37.7749, -122.4194)
SERVICE = {"name": "Visit", "pricing_type": "service",
           "price": {"amount_cents": 9000, "currency": "USD"}, "duration_minutes": 60}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def session(request):
    """Each search test runs on SQLite and on a fresh PostgreSQL database (root conftest)."""
    url = "sqlite://" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        seed_catalog(s, NOW)
        yield s
    engine.dispose()


def emit(name, payload):
    return None


counter = iter(range(10**6))


def publish(session, lat, lng, radius_km=10.0, title=PAINTER, status="on"):
    user = f"pro-{next(counter):06d}"
    caller = Caller(user, frozenset({"professional"}))
    update_profile(session, emit, caller, {"bio": "b", "business_name": f"Shop {user}",
                                           "slug": f"shop-{user}"}, NOW)
    member_facts.record_schedule(session, emit, user, {"tue": [{"start": "09:00"}]}, "UTC",
                                 NOW, NOW)
    listing = listings.create_listing(session, emit, caller, title, NOW)
    listing_services.add_service(session, emit, caller, listing["id"], SERVICE, NOW)
    set_service_area(session, emit, caller, listing["id"], lat, lng, radius_km, NOW)
    if status == "on":
        listings.update_listing(session, emit, caller, listing["id"], {"status": "on"}, NOW)
    return listing["id"]


def rate(session, listing_id, rating_avg, review_count):
    listing = session.get(Listing, listing_id)
    listing.rating_avg, listing.review_count = rating_avg, review_count
    search.index_listing(session, listing)
    session.flush()


def found(session, lat, lng, radius_km=25.0, **options):
    """Every listing id the search returns, following the cursor to the last page."""
    ids, cursor = [], None
    job_title = options.pop("job_title", PAINTER)
    while True:
        result = search.search(session, job_title=job_title, lat=lat, lng=lng,
                               radius_km=radius_km, limit=options.get("limit", 50),
                               cursor=cursor)
        ids.extend(item["listing_id"] for item in result["items"])
        cursor = result["next_cursor"]
        if cursor is None:
            return ids


def test_a_client_exactly_on_the_edge_of_the_service_area_is_covered(session):
    listing_id = publish(session, *SF, radius_km=8.0)
    on_edge = geo.destination(*SF, 77.0, 8.0)
    just_outside = geo.destination(*SF, 77.0, 8.01)
    assert found(session, *on_edge, radius_km=50) == [listing_id]
    assert found(session, *just_outside, radius_km=50) == []


@pytest.mark.parametrize("bearing", [0.0, 90.0, 180.0, 270.0, 123.4])
def test_a_professional_exactly_at_the_clients_radius_is_found(session, bearing):
    client = SF
    at_edge = geo.destination(*client, bearing, 10.0)
    beyond = geo.destination(*client, bearing, 10.01)
    inside_id = publish(session, *at_edge, radius_km=50)
    publish(session, *beyond, radius_km=50)
    assert found(session, *client, radius_km=10.0) == [inside_id]


def test_both_circles_must_hold(session):
    near_small = publish(session, *geo.destination(*SF, 0, 6.0), radius_km=5.0)
    far_big = publish(session, *geo.destination(*SF, 90, 30.0), radius_km=100.0)
    near_big = publish(session, *geo.destination(*SF, 180, 6.0), radius_km=20.0)
    assert set(found(session, *SF, radius_km=25)) == {near_big}
    assert set(found(session, *SF, radius_km=40)) == {near_big, far_big}
    assert near_small not in found(session, *SF, radius_km=100)


def test_only_listings_that_are_on_and_of_the_title_are_found(session):
    on = publish(session, *SF)
    publish(session, *SF, status="off")
    massage = publish(session, *SF, title=MASSAGE)
    assert found(session, *SF) == [on]
    assert found(session, *SF, job_title="masseuse") == [massage]


@pytest.mark.parametrize(("centre", "spread_km", "max_radius_km"), [
    (SF, 40, 30),
    ((64.84, -147.72), 150, 250),
    ((71.29, -156.79), 150, 250),
    ((89.9, 0.0), 60, 100),
])
def test_results_equal_a_brute_force_scan(session, centre, spread_km, max_radius_km):
    rng = random.Random(f"{centre}")
    placed = {}
    for _ in range(80):
        lat, lng = geo.destination(*centre, rng.uniform(0, 360), rng.uniform(0, spread_km))
        radius = rng.uniform(1, max_radius_km)
        placed[publish(session, lat, lng, radius_km=radius)] = (lat, lng, radius)
    for _ in range(8):
        client = geo.destination(*centre, rng.uniform(0, 360), rng.uniform(0, spread_km / 2))
        client_radius = rng.uniform(2, search.MAX_RADIUS_KM)
        expected = {
            listing_id for listing_id, (lat, lng, radius) in placed.items()
            if geo.haversine_km(*client, lat, lng) <= min(radius, client_radius)
        }
        assert set(found(session, *client, radius_km=client_radius)) == expected


def test_the_flat_prefilter_keeps_matches_right_at_the_edge_far_north(session):
    centre = (70.0, -150.0)
    ids = {}
    for bearing in range(0, 360, 15):
        ids[bearing] = publish(session, *geo.destination(*centre, bearing, 99.999),
                               radius_km=100.0)
    assert set(found(session, *centre, radius_km=100.0)) == set(ids.values())


def test_ranking_follows_the_documented_score(session):
    near = publish(session, *geo.destination(*SF, 0, 1.0), radius_km=30)
    far_rated = publish(session, *geo.destination(*SF, 0, 3.0), radius_km=30)
    rate(session, far_rated, 4.9, 60)
    far = publish(session, *geo.destination(*SF, 0, 8.0), radius_km=30)
    result = search.search(session, job_title=PAINTER, lat=SF[0], lng=SF[1], radius_km=25)
    items = result["items"]
    assert [i["listing_id"] for i in items] == [far_rated, near, far]
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    assert items[0]["review_count"] == 60 and items[0]["rating_avg"] == 4.9
    assert items[1]["distance_km"] == pytest.approx(1.0, abs=1e-3)
    assert items[1]["business_name"].startswith("Shop ") and items[1]["slug"]


def test_the_score_blends_distance_rating_and_review_count():
    assert search.score(1, 4.0, 10) > search.score(2, 4.0, 10)
    assert search.score(1, 4.5, 10) > search.score(1, 4.0, 10)
    assert search.score(1, 4.9, 50) > search.score(1, 5.0, 1)
    assert search.score(0, 0.0, 0) == search.score(0, 5.0, 0)
    assert 0 < search.score(100, 1.0, 100) < search.score(0, 5.0, 1000) <= search.SCORE_SCALE


def test_equal_scores_are_ordered_by_listing_id_every_time(session):
    ids = [publish(session, *SF, radius_km=12.0) for _ in range(7)]
    first = found(session, *SF)
    assert first == sorted(ids)
    assert all(found(session, *SF) == first for _ in range(3))


def test_paging_with_the_cursor_returns_every_result_once_in_order(session):
    rng = random.Random(3)
    for _ in range(23):
        lat, lng = geo.destination(*SF, rng.uniform(0, 360), rng.uniform(0, 5))
        publish(session, lat, lng, radius_km=20)
    for _ in range(3):
        publish(session, *SF, radius_km=20)
    whole = found(session, *SF, limit=50)
    assert len(whole) == 26
    pages, cursor = [], None
    while True:
        page = search.search(session, job_title=PAINTER, lat=SF[0], lng=SF[1], radius_km=25,
                             limit=4, cursor=cursor)
        pages.extend(item["listing_id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str) and "{" not in cursor
    assert pages == whole


def test_a_page_starts_strictly_after_its_cursor_even_when_listings_change(session):
    ids = [publish(session, *geo.destination(*SF, 0, d), radius_km=30) for d in (1, 2, 3, 4)]
    first = search.search(session, job_title=PAINTER, lat=SF[0], lng=SF[1], limit=2)
    assert [i["listing_id"] for i in first["items"]] == ids[:2]
    publish(session, *SF, radius_km=30)
    second = search.search(session, job_title=PAINTER, lat=SF[0], lng=SF[1], limit=2,
                           cursor=first["next_cursor"])
    assert [i["listing_id"] for i in second["items"]] == ids[2:]
    assert second["next_cursor"] is None


def test_bad_input_names_every_field(session):
    with pytest.raises(Invalid) as caught:
        search.search(session, job_title="astronaut", lat=95.0, lng=-200.0, radius_km=0,
                      limit=0, cursor="%%%")
    assert set(caught.value.errors) == {"job_title", "lat", "lng", "radius_km", "limit",
                                        "cursor"}
    with pytest.raises(Invalid) as caught:
        search.search(session, job_title=PAINTER, lat=0, lng=0, radius_km=search.MAX_RADIUS_KM + 1)
    assert set(caught.value.errors) == {"radius_km"}


def test_a_well_formed_but_foreign_cursor_is_refused(session):
    from loconomics_plumbing.validation import encode_cursor
    with pytest.raises(Invalid) as caught:
        search.search(session, job_title=PAINTER, lat=0, lng=0, cursor=encode_cursor(["x"]))
    assert set(caught.value.errors) == {"cursor"}


def test_availability_filters_ranked_candidates_a_chunk_at_a_time(session):
    ids = [publish(session, *geo.destination(*SF, 0, d / 10), radius_km=30) for d in range(30)]
    owners = {listing_id: session.get(Listing, listing_id).professional_id for listing_id in ids}
    free = {owners[listing_id] for listing_id in ids[::3]}
    asked = []

    def has_free_slot(professional_ids, start, end):
        asked.append(list(professional_ids))
        assert (start, end) == (NOW, NOW + timedelta(days=1))
        return free & set(professional_ids)

    window = {"available_from": NOW, "available_to": NOW + timedelta(days=1),
              "has_free_slot": has_free_slot}
    page = search.search(session, job_title=PAINTER, lat=SF[0], lng=SF[1], limit=5, **window)
    assert [i["listing_id"] for i in page["items"]] == ids[::3][:5]
    assert len(asked) == 1 and len(asked[0]) == search.AVAILABILITY_CHUNK
    rest = search.search(session, job_title=PAINTER, lat=SF[0], lng=SF[1], limit=5,
                         cursor=page["next_cursor"], **window)
    assert [i["listing_id"] for i in rest["items"]] == ids[::3][5:]
    tail = search.search(session, job_title=PAINTER, lat=SF[0], lng=SF[1], limit=5,
                         cursor=rest["next_cursor"], **window)
    assert tail == {**tail, "items": [], "next_cursor": None}


def test_availability_asks_a_bounded_number_of_times_per_page(session):
    for d in range(search.AVAILABILITY_CHUNK * search.MAX_AVAILABILITY_CALLS + 5):
        publish(session, *geo.destination(*SF, 0, d / 100), radius_km=30)
    calls = []

    def nobody_free(professional_ids, start, end):
        calls.append(len(professional_ids))
        return set()

    page = search.search(session, job_title=PAINTER, lat=SF[0], lng=SF[1], limit=5,
                         available_from=NOW, available_to=NOW + timedelta(hours=4),
                         has_free_slot=nobody_free)
    assert page["items"] == [] and page["next_cursor"] is not None
    assert len(calls) == search.MAX_AVAILABILITY_CALLS
    last = search.search(session, job_title=PAINTER, lat=SF[0], lng=SF[1], limit=5,
                         available_from=NOW, available_to=NOW + timedelta(hours=4),
                         has_free_slot=nobody_free, cursor=page["next_cursor"])
    assert last["items"] == [] and last["next_cursor"] is None


def test_a_bad_availability_window_is_named(session):
    with pytest.raises(Invalid) as caught:
        search.search(session, job_title=PAINTER, lat=0, lng=0, available_from=NOW)
    assert set(caught.value.errors) == {"available_to"}
    with pytest.raises(Invalid) as caught:
        search.search(session, job_title=PAINTER, lat=0, lng=0, available_from=NOW,
                      available_to=NOW - timedelta(hours=1), has_free_slot=lambda *a: set())
    assert set(caught.value.errors) == {"available_to"}
    with pytest.raises(Invalid) as caught:
        search.search(session, job_title=PAINTER, lat=0, lng=0, available_from=NOW,
                      available_to=NOW + timedelta(days=40), has_free_slot=lambda *a: set())
    assert set(caught.value.errors) == {"available_to"}


def test_search_by_name_alias_or_typo_resolves_the_title(session):
    listing_id = publish(session, *SF, title=MASSAGE)
    for query in ("Massage therapist", "masseuse", "massage therapst", MASSAGE):
        result = search.search(session, job_title=query, lat=SF[0], lng=SF[1])
        assert result["job_title"]["id"] == MASSAGE
        assert [i["listing_id"] for i in result["items"]] == [listing_id]


def _scatter(session, rng, count, centre=SF, spread_km=12.0):
    """Listings written straight into the search table: ratings, reviews and areas at random."""
    rows = []
    for n in range(count):
        lat, lng = geo.destination(*centre, rng.uniform(0, 360), spread_km * rng.random())
        rows.append(ListingSearchRow(
            listing_id=f"l-{n:04d}-{rng.randrange(10**6):06d}", professional_id=f"p-{n:04d}",
            job_title_id=PAINTER, lat=lat, lng=lng, radius_km=rng.uniform(1, 30),
            rating_avg=round(rng.uniform(1, 5), 2), review_count=rng.choice([0, 1, 4, 12, 80]),
            status="on", travels=True, at_location=False))
    session.add_all(rows)
    session.flush()
    return rows


@pytest.mark.parametrize("limit", [1, 3, 20])
def test_widening_pages_equal_the_ranking_of_the_whole_radius(session, limit):
    rng = random.Random(limit)
    rows = _scatter(session, rng, 300)
    for _ in range(6):
        client = geo.destination(*SF, rng.uniform(0, 360), 5 * rng.random())
        radius = rng.uniform(1, 25)
        expected = sorted(
            (-search.score(d, row.rating_avg, row.review_count), row.listing_id)
            for row in rows
            for d in [geo.haversine_km(*client, row.lat, row.lng)]
            if d <= min(radius, row.radius_km)
        )
        assert found(session, *client, radius_km=radius, limit=limit) == [
            listing_id for _, listing_id in expected]


def test_a_dense_area_is_answered_without_reading_the_whole_radius(session, monkeypatch):
    _scatter(session, random.Random(9), 400, spread_km=6.0)
    reaches = []
    read = search.candidates

    def spy(session_, job_title_id, lat, lng, radius_km):
        reaches.append(radius_km)
        return read(session_, job_title_id, lat, lng, radius_km)

    monkeypatch.setattr(search, "candidates", spy)
    result = search.search(session, job_title=PAINTER, lat=SF[0], lng=SF[1], radius_km=25,
                           limit=5)
    assert len(result["items"]) == 5
    assert reaches and max(reaches) < 25
    assert search.score_ceiling(max(reaches)) < round(result["items"][-1]["score"] * 1e6)
