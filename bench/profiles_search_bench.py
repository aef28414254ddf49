"""Search latency over a metropolitan area: the domain search function on SQLite.

Seeds N listings (default 100,000) around San Francisco into a temporary SQLite file (or the
empty database `--database-url` names, e.g. PostgreSQL) through the profiles models, then times
`search.search` for 10 km searches returning 20 results and prints p50 and p95.
Target (issue 3): p95 <= 50 ms.

Listings are spread like a real metro area: half clustered around the city centre (normal,
sigma 12 km), half uniform over a 60 km disc; job titles follow a Zipf-like popularity so the
searched trade (house cleaner, the most common) is dense, as in production. Each query opens a
new session, like one RPC call does.

    .venv/bin/python bench/profiles_search_bench.py [--listings 100000] [--queries 400]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5433/bench]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from loconomics_profiles.domain import geo, search
from loconomics_profiles.domain.catalog import job_title_id_for, seed_catalog
from loconomics_profiles.domain.catalog_data import ENTRIES
from loconomics_profiles.models import Base
from loconomics_profiles.shop_models import (
    Listing,
    ListingSearchRow,
    ProfessionalProfile,
    ServiceArea,
)
from machine import print_machine
from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
CENTRE = (37.7749, -122.4194)
SEARCHED = "house-cleaner"
BATCH = 5000


def _place(rng: random.Random) -> tuple[float, float]:
    clustered = rng.random() < 0.5
    distance = abs(rng.gauss(0, 12)) if clustered else 60 * math.sqrt(rng.random())
    return geo.destination(*CENTRE, rng.uniform(0, 360), distance)


def seed(engine, count: int, rng: random.Random) -> None:
    titles = [job_title_id_for(SEARCHED)] + [
        job_title_id_for(e.slug) for e in ENTRIES if e.slug != SEARCHED
    ]
    weights = [1 / (rank + 1) for rank in range(len(titles))]
    with Session(engine) as session:
        seed_catalog(session, NOW)
        session.commit()
    for start in range(0, count, BATCH):
        listings, areas, rows, profiles = [], [], [], []
        for _ in range(min(BATCH, count - start)):
            listing_id, professional_id = uuid.uuid4().hex, uuid.uuid4().hex
            title = rng.choices(titles, weights)[0]
            lat, lng = _place(rng)
            radius = rng.uniform(3, 40)
            rating, reviews = round(rng.uniform(3, 5), 2), rng.choice([0, 0, 1, 3, 8, 20, 60])
            listings.append({
                "id": listing_id, "professional_id": professional_id, "job_title_id": title,
                "intro": "", "status": "on", "cancellation_policy": "flexible",
                "instant_booking": False, "version": 1, "rating_avg": rating,
                "review_count": reviews, "created_at": NOW, "updated_at": NOW,
            })
            areas.append({"listing_id": listing_id, "lat": lat, "lng": lng, "radius_km": radius,
                          "travels": True, "at_location": False, "updated_at": NOW})
            rows.append({"listing_id": listing_id, "professional_id": professional_id,
                         "job_title_id": title, "lat": lat, "lng": lng, "radius_km": radius,
                         "rating_avg": rating, "review_count": reviews, "status": "on",
                         "travels": True, "at_location": False})
            profiles.append({"professional_id": professional_id, "bio": "Bench",
                             "business_name": f"Shop {professional_id[:6]}",
                             "slug": f"shop-{professional_id[:12]}", "languages": ["en"],
                             "created_at": NOW, "updated_at": NOW})
        with Session(engine) as session:
            session.execute(insert(Listing), listings)
            session.execute(insert(ServiceArea), areas)
            session.execute(insert(ListingSearchRow), rows)
            session.execute(insert(ProfessionalProfile), profiles)
            session.commit()
    statistics_refresh = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(statistics_refresh))


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def measure(engine, queries: int, job_title: str, rng: random.Random) -> tuple[list[float],
                                                                               list[int]]:
    timings, sizes = [], []
    for n in range(queries + 20):
        lat, lng = geo.destination(*CENTRE, rng.uniform(0, 360), 15 * math.sqrt(rng.random()))
        started = time.perf_counter()
        with Session(engine) as session:
            result = search.search(session, job_title=job_title, lat=lat, lng=lng,
                                   radius_km=10.0, limit=20)
        elapsed = (time.perf_counter() - started) * 1000
        if n >= 20:
            timings.append(elapsed)
            sizes.append(len(result["items"]))
    return timings, sizes


def run(url: str, options: argparse.Namespace) -> None:
    rng = random.Random(options.seed)
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    try:
        started = time.perf_counter()
        seed(engine, options.listings, rng)
        print(f"{engine.dialect.name}: seeded {options.listings} listings in "
              f"{time.perf_counter() - started:.1f} s")
        with engine.connect() as connection:
            plan = connection.execute(
                text(("EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN ")
                     + "SELECT listing_id FROM listing_search WHERE job_title_id = :t AND "
                     "status = 'on' AND lat BETWEEN 37.6 AND 37.8 AND lng BETWEEN -122.5 AND "
                     "-122.3"), {"t": job_title_id_for(SEARCHED)}).all()
            dense = connection.execute(text(
                "SELECT count(*) FROM listing_search WHERE job_title_id = :t"),
                {"t": job_title_id_for(SEARCHED)}).scalar_one()
        print("query plan:", "; ".join(str(row[-1]).strip() for row in plan))
        print(f"searched trade: {SEARCHED}, {dense} listings in the metro area")
        for label, job_title in (("by id", job_title_id_for(SEARCHED)),
                                 ("by name", "house cleaner"), ("by typo", "hous cleanr")):
            timings, sizes = measure(engine, options.queries, job_title, rng)
            print(f"search {label:8} 10 km, limit 20, {options.queries} queries: "
                  f"p50 {percentile(timings, 0.50):.1f} ms  p95 {percentile(timings, 0.95):.1f} ms"
                  f"  max {max(timings):.1f} ms  (mean results {statistics.mean(sizes):.1f},"
                  f" full pages {sum(s == 20 for s in sizes) / len(sizes):.0%})")
    finally:
        if options.database_url:
            Base.metadata.drop_all(engine)
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", help="an empty database to use (its tables are "
                        "dropped afterwards); default: a temporary SQLite file")
    options = parser.parse_args()
    print_machine()
    if options.database_url:
        run(options.database_url, options)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'profiles-bench.sqlite'}", options)


if __name__ == "__main__":
    main()
