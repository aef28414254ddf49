"""CPU per `get_professional` call inside one process: profiles' read without the broker.

Seeds a file SQLite database (WAL, the engine `Database` makes) with one professional whose
profile, two credentials, two listings that are on (two services each, one private) and a
service area match the gateway benchmark's shape, then calls the `@rpc` method as a worker
would (a fresh `UnitOfWork` per call, committed and closed) and reports CPU per call
(`time.process_time`). `--profile` prints the top of a cProfile of the same loop.

    .venv/bin/python bench/profile_public_read.py [--calls 3000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime
from unittest.mock import Mock

from loconomics_plumbing import clock
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import UnitOfWork, make_engine, session_factory
from loconomics_profiles.domain.catalog import job_title_id_for, seed_catalog
from loconomics_profiles.models import Account, Base
from loconomics_profiles.service import ProfilesService
from nameko.testing.services import worker_factory

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WEEKDAYS = {d: [{"start": "09:00", "end": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")}


def seed(sessions) -> None:
    unit = UnitOfWork(sessions(), Base.metadata, clock=lambda: NOW)
    seed_catalog(unit.session, NOW)
    unit.session.add(Account(id="pro-1", email="pro@example.org", name="Pro", password_hash="x",
                             language="en", owner_status="active", created_at=NOW))
    unit.commit()
    caller = Caller("pro-1", frozenset({"professional"}))
    pro = worker_factory(ProfilesService, db=unit, caller=caller, booking=Mock())
    pro.update_my_profile(bio="Spotless homes.", business_name="Bench Pro", slug="bench-pro",
                          languages=["en", "es-MX"])
    for name in ("Plumbing", "Electrical"):
        pro.add_credential(kind="license", name=name, number="123", issuer="State",
                           state="CA", expires_on="2030-01-01")
    worker_factory(ProfilesService, db=unit, booking=Mock()).on_schedule_changed({
        "event_id": "e-1", "occurred_at": NOW.isoformat(), "professional_id": "pro-1",
        "time_zone": "UTC", "weekly": WEEKDAYS, "advance_notice_hours": 0,
        "changed_at": NOW.isoformat(),
    })
    for title in ("house-painter", "house-cleaner"):
        listing = pro.create_listing(job_title_id=job_title_id_for(title), intro="Walls")
        for service_name, private in (("Room", None), ("Friends rate", "client-7")):
            pro.add_service(listing_id=listing["id"], name=service_name, pricing_type="service",
                            price={"amount_cents": 30000, "currency": "USD"},
                            duration_minutes=240, visible_to_client_id=private)
        pro.set_service_area(listing_id=listing["id"], lat=37.77, lng=-122.42, radius_km=15)
        pro.update_listing(listing_id=listing["id"], status="on")
    unit.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    clock.now = lambda: NOW
    folder = tempfile.mkdtemp(prefix="public-read-")
    engine = make_engine(f"sqlite:///{os.path.join(folder, 'profiles.db')}")
    Base.metadata.create_all(engine)
    sessions = session_factory(engine)
    seed(sessions)

    def one_call(caller: Caller) -> dict:
        unit = UnitOfWork(sessions(), Base.metadata, clock=lambda: NOW)
        try:
            return worker_factory(ProfilesService, db=unit, caller=caller,
                                  booking=None).get_professional(professional="bench-pro")
        finally:
            unit.close()

    anonymous, client = Caller(), Caller("client-7", frozenset({"client"}))
    for _ in range(200):
        one_call(anonymous)
    # worker_factory itself costs CPU; measure it alone and subtract it
    started = time.process_time()
    for _ in range(args.calls):
        worker_factory(ProfilesService, db=None, caller=anonymous, booking=None)
    factory_cost = (time.process_time() - started) / args.calls
    for name, caller in (
        ("an anonymous viewer (the answer kept from the last read)", anonymous),
        ("a client offered a private service (built and dumped each time)", client),
    ):
        started = time.process_time()
        for _ in range(args.calls):
            one_call(caller)
        per_call = (time.process_time() - started) / args.calls - factory_cost
        print(f"load average {os.getloadavg()[0]:.2f}; {args.calls} calls; CPU per "
              f"get_professional for {name}: {per_call * 1e6:.0f} µs "
              f"(worker_factory's {factory_cost * 1e6:.0f} µs taken off)")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for index in range(args.calls):
            one_call(client if index % 2 else anonymous)
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
