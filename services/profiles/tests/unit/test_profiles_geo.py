import math
import random

import pytest
from loconomics_plumbing.errors import Invalid
from loconomics_profiles.domain import geo

SF = (37.7749, -122.4194)
LA = (34.0522, -118.2437)


def test_haversine_matches_a_known_distance():
    assert geo.haversine_km(*SF, *LA) == pytest.approx(559.1, abs=0.5)
    assert geo.haversine_km(*SF, *SF) == 0


@pytest.mark.parametrize("bearing", [0, 45, 90, 180, 270, 333])
def test_destination_lands_at_the_requested_distance(bearing):
    lat, lng = geo.destination(*SF, bearing, 12.5)
    assert geo.haversine_km(*SF, lat, lng) == pytest.approx(12.5, abs=1e-9)


@pytest.mark.parametrize("centre", [(37.77, -122.42), (0.0, 0.0), (-33.9, 151.2), (64.8, -147.7),
                                    (89.95, 10.0), (-89.99, -45.0)])
@pytest.mark.parametrize("radius", [0.5, 10.0, 100.0])
def test_every_point_within_the_radius_lies_in_the_box(centre, radius):
    box = geo.bounding_box(*centre, radius)
    rng = random.Random(f"{centre}{radius}")
    for bearing in range(0, 360, 5):
        lat, lng = geo.destination(*centre, bearing, radius)
        assert box.contains(lat, lng), (bearing, lat, lng, box)
    for _ in range(300):
        lat, lng = geo.destination(*centre, rng.uniform(0, 360), rng.uniform(0, radius))
        assert box.contains(lat, lng), (lat, lng, box)


def test_the_box_is_tight_away_from_the_poles():
    lat, lng = SF
    box = geo.bounding_box(lat, lng, 10)
    north, _ = geo.destination(lat, lng, 0, 10)
    south, _ = geo.destination(lat, lng, 180, 10)
    assert box.max_lat == pytest.approx(north, abs=1e-6)
    assert box.min_lat == pytest.approx(south, abs=1e-6)
    widest = max(geo.destination(lat, lng, b / 10, 10)[1] for b in range(0, 1800))
    assert box.max_lng == pytest.approx(widest, abs=1e-5)
    assert box.max_lng - box.min_lng < 0.25


def test_near_a_pole_longitude_is_unbounded():
    box = geo.bounding_box(89.95, 10.0, 10)
    assert (box.min_lng, box.max_lng) == (-180.0, 180.0)
    assert box.max_lat == pytest.approx(90.0, abs=1e-6)
    over_the_pole = (89.97, -170.0)
    assert geo.haversine_km(89.95, 10.0, *over_the_pole) < 10
    assert box.contains(*over_the_pole)


def test_the_antimeridian_is_clipped_as_documented():
    box = geo.bounding_box(51.9, 179.95, 20)
    assert box.max_lng == 180.0
    assert box.min_lng < 179.95


def test_edges_count_as_inside():
    assert geo.within(10.0, 10.0)
    assert geo.within(10.0 + geo.EDGE_TOLERANCE_KM / 2, 10.0)
    assert not geo.within(10.001, 10.0)


@pytest.mark.parametrize(("lat", "lng", "bad"), [
    (90.0001, 0, {"lat"}),
    (-91, 0, {"lat"}),
    (0, 180.5, {"lng"}),
    (0, -181, {"lng"}),
    (math.nan, math.inf, {"lat", "lng"}),
    (True, "1", {"lat", "lng"}),
    (None, 0, {"lat"}),
])
def test_bad_coordinates_are_named(lat, lng, bad):
    with pytest.raises(Invalid) as caught:
        geo.check_point(lat, lng)
    assert set(caught.value.errors) == bad


def test_the_extremes_are_valid_coordinates():
    for lat, lng in [(90, 180), (-90, -180), (0, 0)]:
        geo.check_point(lat, lng)
    assert geo.radius_errors(0, 250) and geo.radius_errors(250.01, 250)
    assert geo.radius_errors(250, 250) == {}
