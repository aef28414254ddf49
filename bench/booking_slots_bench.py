"""p95 of the slots query for a professional with 1,000 bookings over 90 days: in process,
through RPC, and through the gateway. Target (issue 4): p95 at most 30 ms.

Brings up a whole platform (its own RabbitMQ node on --amqp-port), then seeds booking's
database through booking's own domain code: a professional in New York working every day
06:00-22:00, a 60-minute service in 15-minute steps with a 15-minute buffer, 1,000
confirmed bookings on distinct hours over the next 90 days, and a dozen one-off time off.
Each query asks for the bookable starts of a window at a random place in those 90 days,
one query at a time (latency, not throughput): the domain function alone, the RPC the
gateway makes (`booking.find_slots` over the broker), and `GET /v1/professionals/{id}/slots`.

    .venv/bin/python bench/booking_slots_bench.py [--queries 300] [--amqp-port 5677] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import time as clock
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import requests
from booking_platform import bench_platform, percentile
from booking_throughput_bench import drop_database, fresh_postgres_database
from loconomics_booking.domain.availability import add_time_off, find_slots, set_schedule
from loconomics_booking.domain.bookable_services import apply_listing_event
from loconomics_booking.domain.bookings import create_booking
from loconomics_gateway.rpc import RpcPool
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import make_engine, session_factory
from machine import print_machine
from sqlalchemy import func, select

PROFESSIONAL = "bench-professional"
SERVICE = "bench-service"
DAYS = 90
BOOKINGS = 1_000
HOURS = range(6, 22)
NEW_YORK = ZoneInfo("America/New_York")
WINDOWS = (1, 7, 31)


def quiet(event_type: str, payload: dict) -> None:
    """Seeding's events are not the point here."""


def schedule(buffer_minutes: int) -> dict:
    return {
        "time_zone": "America/New_York",
        "weekly": {
            day: [{"start": "06:00", "end": "22:00"}]
            for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
        "slot_increment_minutes": 15,
        "buffer_minutes": buffer_minutes,
        "advance_notice_hours": 2,
    }


def seed(url: str, rng: random.Random) -> datetime:
    """The professional, the service and the bookings; returns the first day seeded.

    Bookings go on whole hours, back to back where the dice say so, so they are made
    with no buffer; the 15-minute buffer is set afterwards (as a professional may), so
    every query also applies a buffer.
    """
    from loconomics_booking.models import Booking

    engine = make_engine(url)
    sessions = session_factory(engine)
    professional = Caller(PROFESSIONAL, frozenset({"professional"}))
    now = datetime.now(UTC)
    first_day = (now + timedelta(days=1)).astimezone(NEW_YORK).date()
    with sessions() as session:
        set_schedule(session, quiet, professional, schedule(0), now)
        apply_listing_event(
            session,
            "listing_published",
            {
                "listing_id": "bench-listing",
                "professional_id": PROFESSIONAL,
                "cancellation_policy": "flexible",
                "instant_booking": True,
                "version": 1,
                "status": "on",
                "services": [
                    {
                        "service_id": SERVICE,
                        "name": "Massage",
                        "pricing_type": "service",
                        "price": {"amount_cents": 9_000, "currency": "USD"},
                        "duration_minutes": 60,
                    }
                ],
            },
            now,
        )
        session.commit()
    hours = [
        datetime.combine(first_day + timedelta(days=day), time(hour), tzinfo=NEW_YORK)
        for day in range(DAYS)
        for hour in HOURS
    ]
    chosen = sorted(rng.sample(hours, BOOKINGS))
    with sessions() as session:
        for number, start in enumerate(chosen):
            create_booking(
                session,
                quiet,
                professional,
                {"service_id": SERVICE, "start": start, "client_id": f"client-{number % 300}"},
                now,
            )
        for _ in range(12):
            day = datetime.combine(
                first_day + timedelta(days=rng.randrange(DAYS)), time(0), tzinfo=NEW_YORK
            )
            add_time_off(
                session,
                quiet,
                professional,
                {"start": day + timedelta(hours=12), "end": day + timedelta(hours=14)},
                now,
            )
        set_schedule(session, quiet, professional, schedule(15), now)
        session.commit()
        held = session.scalar(select(func.count()).select_from(Booking))
    engine.dispose()
    print(f"seeded {held} confirmed bookings over {DAYS} days and 12 time off")
    return datetime.combine(first_day, time(0), tzinfo=NEW_YORK)


def windows(first_day: datetime, days: int, count: int, rng: random.Random):
    latest = DAYS - days
    for _ in range(count):
        start = first_day + timedelta(days=rng.randrange(latest + 1))
        yield start, start + timedelta(days=days)


def timed(call, spans) -> tuple[list[float], int]:
    timings, found = [], 0
    for index, (start, end) in enumerate(spans):
        began = clock.perf_counter()
        found = call(start, end)
        if index >= 10:
            timings.append((clock.perf_counter() - began) * 1000)
    return timings, found


def line(label: str, timings: list[float], found: int) -> str:
    return (
        f"  {label:9} p50 {percentile(timings, 0.5):6.1f} ms   p95 {percentile(timings, 0.95):6.1f}"
        f" ms   max {max(timings):6.1f} ms   ({found} starts in the last window)"
    )


def run(options: argparse.Namespace, extra_env: dict, database: str) -> None:
    rng = random.Random(options.seed)
    print(
        f"slots query, booking on {database}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    with bench_platform(options.amqp_port, extra_env) as platform:
        url = extra_env.get("BOOKING_DATABASE_URL") or (
            f"sqlite:///{platform.var / 'data' / 'booking.sqlite3'}"
        )
        first_day = seed(url, rng)
        engine = make_engine(url)
        sessions = session_factory(engine)
        pool = RpcPool(platform.amqp_uri, size=1, timeout=10)
        http = requests.Session()

        def in_process(start, end) -> int:
            with sessions() as session:
                return len(
                    find_slots(session, PROFESSIONAL, SERVICE, start, end, datetime.now(UTC))
                )

        def over_rpc(start, end) -> int:
            answer = pool.call(
                "booking",
                "find_slots",
                professional_id=PROFESSIONAL,
                service_id=SERVICE,
                to=end.isoformat(),
                **{"from": start.isoformat()},
            )
            return len(answer["items"])

        def through_gateway(start, end) -> int:
            answer = http.get(
                f"{platform.gateway_url}/v1/professionals/{PROFESSIONAL}/slots",
                params={"service_id": SERVICE, "from": start.isoformat(), "to": end.isoformat()},
                timeout=10,
            )
            answer.raise_for_status()
            return len(answer.json()["items"])

        verdicts = []
        for days in WINDOWS:
            print(f"\n{days}-day windows, {options.queries} queries each:")
            for label, call in (
                ("domain", in_process),
                ("RPC", over_rpc),
                ("gateway", through_gateway),
            ):
                spans = list(windows(first_day, days, options.queries + 10, rng))
                timings, found = timed(call, spans)
                print(line(label, timings, found))
                if days == 7 and label != "domain":
                    verdicts.append((label, percentile(timings, 0.95)))
        pool.close()
        engine.dispose()
        print()
        for label, p95 in verdicts:
            outcome = "meets" if p95 <= 30 else "misses"
            print(f"7-day window through {label}: p95 {p95:.1f} ms {outcome} the 30 ms target")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--amqp-port", type=int, default=5677)
    parser.add_argument("--postgres", action="store_true", help="booking on PostgreSQL")
    options = parser.parse_args()
    print_machine()
    if not options.postgres:
        run(options, {}, "SQLite")
        return
    url, admin = fresh_postgres_database()
    try:
        run(options, {"BOOKING_DATABASE_URL": url}, "PostgreSQL")
    finally:
        drop_database(url, admin)


if __name__ == "__main__":
    main()
