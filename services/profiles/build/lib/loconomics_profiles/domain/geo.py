"""Points, distances and the bounding box that lets search use an index.

Distances are great-circle (haversine) on a sphere of the Earth's mean radius; over the tens of
kilometres a local service covers, the error against the ellipsoid (< 0.5%) is far below what
a client typing a radius cares about.

The box is the exact one for a spherical cap (J. P. Matuschek, "Finding Points Within a Distance
of a Latitude/Longitude Using Bounding Coordinates"): every point within the radius lies inside
it. Near a pole, where the cap contains the pole, longitude is unbounded. The antimeridian is
NOT handled: a box that would wrap past +/-180 degrees is clipped at the line, so places on the
far side are missed. That cannot happen for the United States' contiguous and Hawaiian areas
this cooperative serves (only the western Aleutians cross it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from loconomics_plumbing.errors import Invalid

EARTH_RADIUS_KM = 6371.0088
EDGE_TOLERANCE_KM = 1e-6
_BOX_PADDING_DEG = 1e-7


@dataclass(frozen=True)
class Box:
    min_lat: float
    max_lat: float
    min_lng: float
    max_lng: float

    def contains(self, lat: float, lng: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lng <= lng <= self.max_lng


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def point_errors(lat: object, lng: object, lat_field: str = "lat",
                 lng_field: str = "lng") -> dict[str, list[str]]:
    """Each bad coordinate named, so a 422 tells the client which one to fix."""
    errors: dict[str, list[str]] = {}
    if not _is_number(lat) or not -90 <= lat <= 90:
        errors[lat_field] = ["must be a number from -90 to 90"]
    if not _is_number(lng) or not -180 <= lng <= 180:
        errors[lng_field] = ["must be a number from -180 to 180"]
    return errors


def radius_errors(radius_km: object, maximum_km: float,
                  field: str = "radius_km") -> dict[str, list[str]]:
    if not _is_number(radius_km) or not 0 < radius_km <= maximum_km:
        return {field: [f"must be greater than 0 and at most {maximum_km:g} km"]}
    return {}


def check_point(lat: object, lng: object) -> None:
    errors = point_errors(lat, lng)
    if errors:
        raise Invalid("invalid coordinates", errors)


def distance_from(lat: float, lng: float) -> Callable[[float, float], float]:
    """Haversine distance (km) from a fixed point, with the point's trigonometry done once;
    search measures thousands of listings from one client."""
    phi1, lmb1 = math.radians(lat), math.radians(lng)
    cos1 = math.cos(phi1)
    sin, cos, asin, sqrt, radians = math.sin, math.cos, math.asin, math.sqrt, math.radians
    diameter = 2 * EARTH_RADIUS_KM

    def to(lat2: float, lng2: float) -> float:
        phi2 = radians(lat2)
        a = sin((phi2 - phi1) / 2) ** 2 + cos1 * cos(phi2) * sin((radians(lng2) - lmb1) / 2) ** 2
        return diameter * asin(sqrt(a) if a < 1.0 else 1.0)

    return to


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    return distance_from(lat1, lng1)(lat2, lng2)


def within(distance_km: float, radius_km: float) -> bool:
    """The edge counts as inside; the tolerance (1 mm) absorbs floating-point round-off."""
    return distance_km <= radius_km + EDGE_TOLERANCE_KM


def destination(lat: float, lng: float, bearing_deg: float, distance_km: float) -> tuple[
        float, float]:
    """The point reached going `distance_km` from a start along an initial bearing."""
    delta = distance_km / EARTH_RADIUS_KM
    theta = math.radians(bearing_deg)
    phi1, lmb1 = math.radians(lat), math.radians(lng)
    phi2 = math.asin(
        math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    )
    lmb2 = lmb1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1),
        math.cos(delta) - math.sin(phi1) * math.sin(phi2),
    )
    lng2 = (math.degrees(lmb2) + 540) % 360 - 180
    return math.degrees(phi2), lng2


def planar_scale(box: Box) -> float:
    """Cosine of the box's most poleward latitude: measuring longitude differences with it
    gives a flat distance that never exceeds the true one by more than a sliver (the great
    circle's poleward bulge), so a SQL filter on it (with `PLANAR_MARGIN`) loses no match."""
    return max(0.0, math.cos(math.radians(max(abs(box.min_lat), abs(box.max_lat)))))


PLANAR_MARGIN = (1.01, 0.05)
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180


def bounding_box(lat: float, lng: float, radius_km: float) -> Box:
    """The smallest lat/lng box holding every point within `radius_km` (see module note)."""
    delta = radius_km / EARTH_RADIUS_KM
    phi = math.radians(lat)
    min_phi, max_phi = phi - delta, phi + delta
    if max_phi >= math.pi / 2 or min_phi <= -math.pi / 2:
        min_lat = max(math.degrees(min_phi), -90.0)
        max_lat = min(math.degrees(max_phi), 90.0)
        return Box(min_lat - _BOX_PADDING_DEG, max_lat + _BOX_PADDING_DEG, -180.0, 180.0)
    dlmb = math.degrees(math.asin(min(1.0, math.sin(delta) / math.cos(phi))))
    return Box(
        math.degrees(min_phi) - _BOX_PADDING_DEG,
        math.degrees(max_phi) + _BOX_PADDING_DEG,
        max(lng - dlmb - _BOX_PADDING_DEG, -180.0),
        min(lng + dlmb + _BOX_PADDING_DEG, 180.0),
    )
