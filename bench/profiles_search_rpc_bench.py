"""Search latency as clients see it: through RPC and through the gateway, SQLite and PostgreSQL.

For each database: build the profiles schema with the real migration, seed N listings (default
100,000) around San Francisco directly into it (the spread of `profiles_search_bench.py`), then
start a platform with `local_platform.Platform` (RabbitMQ node on BENCH_AMQP_PORT, default the
test node 5673, in a vhost of its own; the profiles service with `PROFILES_DATABASE_URL` on that
database; the gateway) and time 10 km searches for house cleaners returning 20 results:

    in process   `search.search` on a session, as in profiles_search_bench.py (reference)
    RPC          `profiles.search` through a standalone nameko proxy (broker round trip)
    gateway      `GET /v1/search` over HTTP (gateway, token-less public route, RPC, service)

and print p50 and p95 of each, with the CPU each process spent per search (a figure that other
work on the machine does not inflate). Target (issue 3): p95 <= 50 ms.

    .venv/bin/python bench/profiles_search_rpc_bench.py [--listings 100000] [--queries 300]
        [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests
from loconomics_plumbing.migrate import upgrade
from loconomics_profiles.domain import geo
from machine import print_machine
from nameko.standalone.rpc import ClusterRpcProxy
from profiles_search_bench import CENTRE, measure, percentile, seed
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy/local"))

from local_platform import Platform, listening  # noqa: E402 - the launcher lives outside any package

PG_PORT = os.environ.get("TEST_PG_PORT", "5433")
PG_ADMIN = f"postgresql+psycopg://postgres@127.0.0.1:{PG_PORT}/postgres"
WARM_UP = 20
SERVICE_WARM_UP = 200
"""Searches run once the service is up and before any timing: the first few hundred on a freshly
loaded database (cold caches, a new process) are several times slower than the rest."""


@contextlib.contextmanager
def database(kind: str, folder: Path):
    """An empty database of that kind, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'profiles.sqlite3'}"
        return
    subprocess.run([str(ROOT / "deploy/local/postgres.sh"), "start"], check=True,
                   env={**os.environ, "PG_PORT": PG_PORT}, stdout=subprocess.DEVNULL)
    name = f"bench_profiles_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def platform_on(url: str, folder: Path):
    """The broker, the profiles service on `url` and the gateway; nothing else is needed."""
    amqp_port = int(os.environ.get("BENCH_AMQP_PORT", "5673"))
    extra_env = {"PROFILES_DATABASE_URL": url, "PROFILES_METRICS_PORT": "0", "LOG_LEVEL": "WARNING"}
    platform = Platform.isolated(folder, amqp_port, extra_env=extra_env, test_clock=False)
    broker_was_up = listening(amqp_port)
    platform.start_broker()
    try:
        platform.start_service("profiles")
        platform.start_gateway()
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{platform.gateway_url}/v1/job-titles",
                                params={"q": "house cleaner"}, timeout=15).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"profiles did not answer; see {platform.log_dir}")
            time.sleep(0.5)
        yield platform
    finally:
        platform.stop(broker=not broker_was_up)  # a node this run started goes with it
        with contextlib.suppress(OSError):
            platform.drop_vhost()


def cpu_seconds(process_group: int | None) -> float:
    """User + system CPU of every process in a group (the service, or gunicorn and its workers):
    what a search costs whatever else the machine is doing."""
    if process_group is None:
        return 0.0
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == process_group:
                ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def timed(queries: int, rng: random.Random, ask: Callable[[float, float], dict]
          ) -> tuple[list[float], list[int]]:
    timings, sizes = [], []
    for n in range(queries + WARM_UP):
        lat, lng = geo.destination(*CENTRE, rng.uniform(0, 360), 15 * math.sqrt(rng.random()))
        started = time.perf_counter()
        result = ask(lat, lng)
        elapsed = (time.perf_counter() - started) * 1000
        if n >= WARM_UP:
            timings.append(elapsed)
            sizes.append(len(result["items"]))
    return timings, sizes


def report(kind: str, path: str, timings: list[float], sizes: list[int],
           cpu: str = "") -> None:
    print(f"{kind:10} {path:10} p50 {percentile(timings, 0.50):6.1f} ms   "
          f"p95 {percentile(timings, 0.95):6.1f} ms   max {max(timings):6.1f} ms   "
          f"(mean results {statistics.mean(sizes):.1f}, "
          f"full pages {sum(s == 20 for s in sizes) / len(sizes):.0%}){cpu}", flush=True)


def cpu_per_search(platform: Platform, before: dict[str, float], queries: int) -> str:
    spent = {name: (cpu_seconds(platform.pid_of(name)) - used) * 1000 / queries
             for name, used in before.items()}
    return "  CPU/search: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in spent.items())


def cpu_now(platform: Platform, names: tuple[str, ...]) -> dict[str, float]:
    return {name: cpu_seconds(platform.pid_of(name)) for name in names}


def run(kind: str, options: argparse.Namespace) -> None:
    rng = random.Random(options.seed)
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as url:
        folder = Path(tmp)
        upgrade("profiles", url)
        engine = create_engine(url)
        started = time.perf_counter()
        seed(engine, options.listings, rng)
        print(f"{kind}: seeded {options.listings} listings in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        timings, sizes = measure(engine, options.queries, "house cleaner", rng)
        report(kind, "in process", timings, sizes)
        engine.dispose()
        query = {"job_title": "house cleaner", "radius_km": 10.0, "limit": 20}
        with platform_on(url, folder) as platform:
            with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}) as cluster:
                def through_rpc(lat: float, lng: float) -> dict:
                    return cluster.profiles.search(lat=lat, lng=lng, **query)

                timed(SERVICE_WARM_UP, rng, through_rpc)
                before = cpu_now(platform, ("profiles",))
                timings, sizes = timed(options.queries, rng, through_rpc)
            report(kind, "RPC", timings, sizes,
                   cpu_per_search(platform, before, options.queries + WARM_UP))
            http = requests.Session()
            search_url = f"{platform.gateway_url}/v1/search"

            def through_gateway(lat: float, lng: float) -> dict:
                answer = http.get(search_url, params={"lat": lat, "lng": lng, **query},
                                  timeout=10)
                answer.raise_for_status()
                return answer.json()

            before = cpu_now(platform, ("profiles", "gateway"))
            timings, sizes = timed(options.queries, rng, through_gateway)
            report(kind, "gateway", timings, sizes,
                   cpu_per_search(platform, before, options.queries + WARM_UP))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--databases", default="sqlite,postgresql")
    options = parser.parse_args()
    print_machine()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    print(f"search: house cleaner, 10 km, limit 20, {options.queries} queries per path "
          f"after {WARM_UP} warm-up ({SERVICE_WARM_UP} more once a service starts); "
          f"target p95 <= 50 ms", flush=True)
    for kind in options.databases.split(","):
        run(kind.strip(), options)


if __name__ == "__main__":
    main()
