"""Finding professionals near a client, and keeping the table search reads current.

A listing matches when it is `on`, offers the job title, its service area covers the client
(distance <= the area's radius) and it lies within the client's own radius. Both edges count as
inside (see `geo.within`).

Speed: `listing_search` holds one denormalised row per listing with an area. The query keeps
only rows inside the bounding box of the client's circle, using the composite (covering) index
on (job_title_id, status, lat, ...); the database also drops rows whose flat distance already
rules them out, and the exact haversine test then runs here on what is left. Only the best
`limit + 1` are ordered (a heap), and only the page's rows are read in full.

Widening: a page without an availability window first looks `FIRST_REACH_KM` around the client.
The rating term of a score is below 0.6, so no listing farther than r can score above
`score_ceiling(r)` = 0.6 + 0.4 x 0.5^(r / 5); when the worst of the best `limit + 1` found
within r beats that ceiling, nothing farther can enter the page and the search stops. Otherwise
it looks again exactly as far as that worst score requires (or the client's whole radius when
fewer were found, or their worst is too low to rule anything out). The answer is the same as a
search of the whole radius; in a dense area it reads a fraction of the rows.

Score (higher first), from 0 to 1:

    rating   = (C * m + n * avg) / (C + n)        Bayesian average: m = 3.5 prior, C = 5 reviews
    score    = 0.6 * (rating - 1) / 4  +  0.4 * 0.5 ** (distance_km / 5)

so an unreviewed professional starts a little below a good track record, a few reviews move the
needle slowly, and the distance term halves every 5 km. The score is rounded to millionths (an
integer) so that it compares exactly; equal scores are ordered by listing id. Pages are cut by an
opaque cursor of (score, listing id) of the last row: a page always starts strictly after it, so
paging is stable even while other listings change.

Availability (optional): the service passes `has_free_slot(professional_ids, from, to) -> set`
(booking answers it). It is asked about ranked candidates a chunk at a time until the page is
full, at most `MAX_AVAILABILITY_CALLS` times per page; a page may therefore be short, and only a
null `next_cursor` means there is nothing more.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from loconomics_plumbing.errors import Invalid
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.validation import decode_cursor, encode_cursor
from sqlalchemy import select
from sqlalchemy.orm import Session

from loconomics_profiles.domain import account_standing
from loconomics_profiles.domain.catalog import resolve_title
from loconomics_profiles.domain.geo import (
    EDGE_TOLERANCE_KM,
    KM_PER_DEGREE,
    PLANAR_MARGIN,
    bounding_box,
    distance_from,
    planar_scale,
    point_errors,
    radius_errors,
    within,
)
from loconomics_profiles.shop_models import (
    Listing,
    ListingSearchRow,
    ProfessionalProfile,
    ServiceArea,
)

FreeSlotCheck = Callable[[list[str], datetime, datetime], set[str]]

PRIOR_RATING = 3.5
PRIOR_WEIGHT = 5
RATING_WEIGHT = 0.6
DISTANCE_WEIGHT = 0.4
DISTANCE_HALF_KM = 5.0
SCORE_SCALE = 1_000_000

DEFAULT_RADIUS_KM = 25.0
MAX_RADIUS_KM = 100.0
DEFAULT_LIMIT, MAX_LIMIT = 20, 50
AVAILABILITY_CHUNK = 25
MAX_AVAILABILITY_CALLS = 4
MAX_WINDOW = timedelta(days=31)
FIRST_REACH_KM = 3.0
WIDEN_MARGIN_KM = 0.05


def index_listing(session: Session, listing: Listing) -> None:
    """Mirror a listing into `listing_search`, or drop it when it has no service area or its
    professional is suspended (a reinstatement indexes it again from the listing as it is).

    The professional's suspension lock is taken first, so a suspension or a reinstatement
    being written meanwhile is waited for and seen: a change in flight never brings a
    suspended professional's listing back to search."""
    account_standing.hold(session, listing.professional_id)
    area = session.get(ServiceArea, listing.id)
    row = session.get(ListingSearchRow, listing.id)
    if area is None or account_standing.is_suspended(session, listing.professional_id):
        if row is not None:
            session.delete(row)
        return
    values = {
        "professional_id": listing.professional_id,
        "job_title_id": listing.job_title_id,
        "lat": area.lat,
        "lng": area.lng,
        "radius_km": area.radius_km,
        "rating_avg": listing.rating_avg,
        "review_count": listing.review_count,
        "status": listing.status,
        "travels": area.travels,
        "at_location": area.at_location,
    }
    if row is None:
        session.add(ListingSearchRow(listing_id=listing.id, **values))
    else:
        for field, value in values.items():
            setattr(row, field, value)


def score(distance_km: float, rating_avg: float, review_count: int) -> int:
    """The documented ranking score, in millionths (see module note)."""
    rating = (PRIOR_WEIGHT * PRIOR_RATING + review_count * rating_avg) / (
        PRIOR_WEIGHT + review_count
    )
    value = RATING_WEIGHT * (rating - 1) / 4 + DISTANCE_WEIGHT * 0.5 ** (
        distance_km / DISTANCE_HALF_KM
    )
    return round(value * SCORE_SCALE)


def score_ceiling(distance_km: float) -> int:
    """No listing `distance_km` away or farther scores above this (in millionths): its rating
    term is below RATING_WEIGHT, since a Bayesian average of ratings up to 5 stays below 5."""
    return math.ceil((RATING_WEIGHT + DISTANCE_WEIGHT * 0.5 ** (
        max(0.0, distance_km) / DISTANCE_HALF_KM)) * SCORE_SCALE)


def reach_for(worst_score: int) -> float | None:
    """The distance beyond which nothing can score above `worst_score`, or None when even a
    listing infinitely far could (the rating term alone may reach it)."""
    margin = worst_score / SCORE_SCALE - RATING_WEIGHT
    if margin <= 0:
        return None
    return DISTANCE_HALF_KM * math.log2(DISTANCE_WEIGHT / margin) if margin < DISTANCE_WEIGHT \
        else 0.0


def _decode_position(cursor: str) -> tuple[int, str]:
    values = decode_cursor(cursor)
    if (not values or len(values) != 2 or isinstance(values[0], bool)
            or not isinstance(values[0], int) or not isinstance(values[1], str)):
        raise Invalid("The cursor is not valid.", {"cursor": ["Not a cursor we gave."]})
    return values[0], values[1]


# (-score, listing_id, professional_id, distance_km): sorts best first, ties by listing id.
Candidate = tuple[int, str, str, float]


def candidates(session: Session, job_title_id: str, lat: float, lng: float,
               radius_km: float) -> list[Candidate]:
    """Every matching listing, unsorted.

    Three filters, cheapest first: the bounding box (an index range scan); a flat distance the
    database computes from index columns, which never exceeds the true one beyond a small
    margin (see `geo.planar_scale`) and so drops no match, against both radii; then the exact
    haversine test here.
    """
    box = bounding_box(lat, lng, radius_km)
    factor, extra_km = PLANAR_MARGIN
    row = ListingSearchRow.__table__.c
    dx = (row.lng - lng) * planar_scale(box)
    dy = row.lat - lat
    flat = dx * dx + dy * dy
    reach = (radius_km * factor + extra_km) / KM_PER_DEGREE
    area_reach = row.radius_km * (factor / KM_PER_DEGREE) + extra_km / KM_PER_DEGREE
    rows = session.connection().execute(
        select(row.listing_id, row.professional_id, row.lat, row.lng, row.radius_km,
               row.rating_avg, row.review_count)
        .where(
            row.job_title_id == job_title_id,
            row.status == "on",
            row.lat.between(box.min_lat, box.max_lat),
            row.lng.between(box.min_lng, box.max_lng),
            flat <= reach * reach,
            flat <= area_reach * area_reach,
        )
    )
    distance_to = distance_from(lat, lng)
    found: list[Candidate] = []
    for listing_id, professional_id, row_lat, row_lng, area_km, rating_avg, reviews in (
            rows.fetchall()):
        distance = distance_to(row_lat, row_lng)
        if within(distance, radius_km) and within(distance, area_km):
            found.append((-score(distance, rating_avg, reviews), listing_id, professional_id,
                          distance))
    return found


def _after(ranked: list[Candidate], after: tuple[int, str] | None) -> list[Candidate]:
    if after is None:
        return ranked
    worst, after_id = -after[0], after[1]
    return [c for c in ranked if c[0] > worst or (c[0] == worst and c[1] > after_id)]


def best_candidates(session: Session, job_title_id: str, lat: float, lng: float,
                    radius_km: float, wanted: int,
                    after: tuple[int, str] | None = None) -> list[Candidate]:
    """The `wanted` best matches after the cursor position, best first, widening the circle
    only as far as a farther listing could still enter them (see module note)."""
    reach = min(radius_km, FIRST_REACH_KM)
    while True:
        best = heapq.nsmallest(
            wanted, _after(candidates(session, job_title_id, lat, lng, reach), after)
        )
        if reach >= radius_km:
            return best
        if len(best) == wanted and -best[-1][0] > score_ceiling(reach - 2 * EDGE_TOLERANCE_KM):
            return best
        needed = reach_for(-best[-1][0]) if len(best) == wanted else None
        if needed is None:
            reach = radius_km
        else:
            reach = min(radius_km, max(needed, reach) + WIDEN_MARGIN_KM)


def _window_errors(available_from: datetime | None,
                   available_to: datetime | None) -> dict[str, list[str]]:
    if available_from is None and available_to is None:
        return {}
    if available_from is None or available_to is None:
        field = "available_from" if available_from is None else "available_to"
        return {field: ["give both available_from and available_to, or neither"]}
    errors: dict[str, list[str]] = {}
    for field, value in (("available_from", available_from), ("available_to", available_to)):
        if value.tzinfo is None:
            errors[field] = ["must carry a UTC offset"]
    if errors:
        return errors
    if available_to <= available_from:
        return {"available_to": ["must be after available_from"]}
    if available_to - available_from > MAX_WINDOW:
        return {"available_to": [f"the window may span at most {MAX_WINDOW.days} days"]}
    return {}


def _page_by_availability(ranked: list[Candidate], limit: int, has_free_slot: FreeSlotCheck,
                          available_from: datetime, available_to: datetime
                          ) -> tuple[list[Candidate], Candidate | None, bool]:
    page: list[Candidate] = []
    last: Candidate | None = None
    examined = 0
    calls = 0
    while examined < len(ranked) and len(page) < limit and calls < MAX_AVAILABILITY_CALLS:
        chunk = ranked[examined:examined + AVAILABILITY_CHUNK]
        free = has_free_slot([c[2] for c in chunk], available_from, available_to)
        calls += 1
        for candidate in chunk:
            last = candidate
            examined += 1
            if candidate[2] in free:
                page.append(candidate)
                if len(page) == limit:
                    break
    return page, last, examined < len(ranked)


def _details(session: Session, listing_ids: list[str]) -> dict[str, ListingSearchRow]:
    if not listing_ids:
        return {}
    rows = session.scalars(
        select(ListingSearchRow).where(ListingSearchRow.listing_id.in_(listing_ids))
    )
    return {row.listing_id: row for row in rows}


def _profiles(session: Session, professional_ids: Iterable[str]) -> dict[str, ProfessionalProfile]:
    ids = sorted(set(professional_ids))
    if not ids:
        return {}
    rows = session.scalars(
        select(ProfessionalProfile).where(ProfessionalProfile.professional_id.in_(ids))
    )
    return {p.professional_id: p for p in rows}


def search(session: Session, *, job_title: str, lat: float, lng: float,
           radius_km: float = DEFAULT_RADIUS_KM, limit: int = DEFAULT_LIMIT,
           cursor: str | None = None, caller: Caller | None = None,
           available_from: datetime | None = None, available_to: datetime | None = None,
           has_free_slot: FreeSlotCheck | None = None) -> dict:
    """Ranked professionals for a job title around a point (`GET /v1/search`).

    `has_free_slot` must be given when a window is: the domain cannot reach booking itself.
    """
    errors = point_errors(lat, lng)
    errors.update(radius_errors(radius_km, MAX_RADIUS_KM))
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = [f"must be 1 to {MAX_LIMIT}"]
    errors.update(_window_errors(available_from, available_to))
    after = None
    if cursor:
        try:
            after = _decode_position(cursor)
        except Invalid as exc:
            errors.update(exc.errors)
    title = None
    try:
        title = resolve_title(session, job_title, caller)
    except Invalid as exc:
        errors.update(exc.errors)
    if errors or title is None:
        raise Invalid("invalid search", errors)

    if available_from is not None and available_to is not None:
        if has_free_slot is None:
            raise TypeError("has_free_slot is required with an availability window")
        ranked = sorted(_after(candidates(session, title.id, lat, lng, radius_km), after))
        page, last, more = _page_by_availability(
            ranked, limit, has_free_slot, available_from, available_to
        )
    else:
        best = best_candidates(session, title.id, lat, lng, radius_km, limit + 1, after)
        page, more = best[:limit], len(best) > limit
        last = page[-1] if page else None
    details = _details(session, [c[1] for c in page])
    profiles = _profiles(session, (c[2] for c in page))
    items = []
    for negative_score, listing_id, professional_id, distance in page:
        row = details[listing_id]
        profile = profiles.get(professional_id)
        items.append({
            "listing_id": listing_id,
            "professional_id": professional_id,
            "job_title_id": title.id,
            "distance_km": round(distance, 3),
            "rating_avg": round(row.rating_avg, 2),
            "review_count": row.review_count,
            "score": -negative_score / SCORE_SCALE,
            "travels": row.travels,
            "at_location": row.at_location,
            "business_name": profile.business_name if profile else None,
            "slug": profile.slug if profile else None,
            "photo_url": profile.photo_url if profile else None,
        })
    return {
        "items": items,
        "next_cursor": encode_cursor([-last[0], last[1]]) if more and last else None,
        "job_title": {"id": title.id, "name": title.name},
    }
