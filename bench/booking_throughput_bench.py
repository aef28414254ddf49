"""Bookings per second created through the gateway by 50 concurrent clients on distinct slots,
with one and then two booking processes, the CPU each process used, and what bounds the rate.

Brings up a whole platform (gateway, five services, its own RabbitMQ node on --amqp-port),
a professional with an instant-booking service, and --clients clients. Each client books
--per-client distinct hours one after the other; all clients start together. The round is
run with one booking process, then again (on fresh hours) with a second one competing on
booking's RPC queue. CPU is read from /proc for each process group (gunicorn's master and
workers count as the gateway), the broker node, and this load generator, which shares the
machine's cores with the platform.

    .venv/bin/python bench/booking_throughput_bench.py [--clients 50] [--per-client 10]
        [--amqp-port 5677] [--postgres]

--postgres puts booking's database on the project's local PostgreSQL (deploy/local/postgres.sh,
port 5433) in a database made for the run and dropped after; the default is SQLite.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import requests
from booking_platform import (
    ROOT,
    bench_platform,
    cpu_sample,
    cpu_used,
    percentile,
    professional_with_service,
    wait_for_consumers,
    wait_until_quiet,
)
from machine import print_machine
from platform_client import ApiClient, Person
from sqlalchemy import create_engine, text


def book_round(
    gateway_url: str, service_id: str, clients: list[Person], first: datetime, per_client: int
) -> tuple[float, Counter, list[float]]:
    """Every client books its own hours; the wall time from the common start to the last answer."""
    barrier = threading.Barrier(len(clients) + 1)
    codes: Counter = Counter()
    latencies: list[float] = []
    lock = threading.Lock()

    def client_books(index: int, person: Person) -> None:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {person.token}"}
        barrier.wait()
        for number in range(per_client):
            start = first + timedelta(hours=index * per_client + number)
            began = time.perf_counter()
            answer = session.post(
                f"{gateway_url}/v1/bookings",
                json={"service_id": service_id, "start": start.isoformat()},
                headers=headers,
                timeout=60,
            )
            took = time.perf_counter() - began
            with lock:
                codes[answer.status_code] += 1
                latencies.append(took)
        session.close()

    threads = [
        threading.Thread(target=client_books, args=(index, person))
        for index, person in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, codes, latencies


def verdict(
    used: dict[str, float], wall: float, booking_names: list[str], cores: int, database: str
) -> str:
    """What bounds the rate, read from where the CPU went."""
    busy = sum(used.values()) / wall
    ours = {name: seconds for name, seconds in used.items() if name != "other processes"}
    top = max(ours, key=ours.get)
    share = ours[top] / sum(ours.values())
    booking_core = max(used.get(name, 0.0) for name in booking_names) / wall
    if booking_core >= 0.85:
        return (
            f"booking: one booking process used {booking_core:.0%} of a core (an eventlet "
            "process runs on one core)."
        )
    if busy >= 0.85 * cores:
        return (
            f"CPU: the {cores} cores were {busy / cores:.0%} busy (other processes "
            f"{used['other processes'] / wall:.0%} of a core); of the platform, {top} used "
            f"most ({share:.0%}). More booking processes only take cores from the others."
        )
    if database == "SQLite":
        return (
            f"booking's database, not CPU: the cores were only {busy / cores:.0%} busy and no "
            "process near a full core, so requests queue for SQLite's single writer (every "
            "booking transaction holds it, one at a time across processes)."
        )
    return (
        f"waiting, not CPU: the cores were only {busy / cores:.0%} busy and no process near "
        "a full core; requests wait on PostgreSQL and broker round trips."
    )


def report(label: str, wall: float, codes: Counter, latencies: list[float], used: dict) -> float:
    made = codes.get(201, 0)
    rate = made / wall
    print(f"\n{label}")
    print(
        f"  {made} bookings in {wall:.2f} s = {rate:.1f} bookings/s"
        f"  (answers {dict(codes)}; latency p50 {percentile(latencies, 0.5) * 1000:.0f} ms,"
        f" p95 {percentile(latencies, 0.95) * 1000:.0f} ms)"
    )
    print("  CPU used by each process during the round:")
    for name, seconds in sorted(used.items(), key=lambda item: -item[1]):
        print(f"    {name:16} {seconds:7.2f} s  = {seconds / wall:5.0%} of one core")
    total = sum(used.values())
    print(f"    {'whole machine':16} {total:7.2f} s  = {total / wall:5.0%}")
    return rate


def fresh_postgres_database() -> tuple[str, str]:
    """A new database on the local PostgreSQL server; (its URL, the admin URL)."""
    port = os.environ.get("TEST_PG_PORT", "5433")
    subprocess.run(
        [str(ROOT / "deploy/local/postgres.sh"), "start"],
        check=True,
        env={**os.environ, "PG_PORT": port},
        stdout=subprocess.DEVNULL,
    )
    admin = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    name = f"booking_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.rsplit("/", 1)[0] + f"/{name}", admin


def drop_database(url: str, admin: str) -> None:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    engine.dispose()


def postgres_backends(admin: str | None, url: str | None) -> dict[str, list[int]]:
    """The server processes serving booking's database (PostgreSQL runs one per connection)."""
    if not admin or not url:
        return {}
    engine = create_engine(admin)
    with engine.connect() as connection:
        pids = connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
            {"name": url.rsplit("/", 1)[1]},
        ).scalars()
        found = list(pids)
    engine.dispose()
    return {"postgresql": found}


def run(
    options: argparse.Namespace, extra_env: dict, database: str, admin: str | None = None
) -> None:
    cores = os.cpu_count() or 1
    print(
        f"booking throughput: {options.clients} clients x {options.per_client} bookings each, "
        f"booking on {database}, {cores} cores, load average {os.getloadavg()[0]:.1f} at start"
    )
    with bench_platform(options.amqp_port, extra_env) as platform:
        env = platform.env()
        print(
            f"gateway: {env.get('GATEWAY_WORKERS', '2')} workers x "
            f"{env.get('GATEWAY_THREADS', '8')} threads, RPC pool "
            f"{env.get('GATEWAY_RPC_POOL_SIZE', '8')} per worker; nameko max_workers "
            f"{env.get('NAMEKO_MAX_WORKERS', '10')} per booking process"
        )
        gateway = ApiClient(platform.gateway_url)
        _, service_id = professional_with_service(platform, gateway)
        with ThreadPoolExecutor(8) as pool:
            clients = list(
                pool.map(lambda _: gateway.sign_up(roles=["client"]), range(options.clients))
            )
        first = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
        span = timedelta(hours=options.clients * options.per_client)
        book_round(platform.gateway_url, service_id, clients[:5], first - timedelta(days=1), 2)

        rates = {}
        for copies in (1, 2):
            names = ["booking"] + (["booking-2"] if copies == 2 else [])
            if copies == 2:
                platform.start_service("booking", copy=2)
                wait_for_consumers(platform, 2)
                book_round(
                    platform.gateway_url, service_id, clients[:5], first - timedelta(days=2), 2
                )
            wait_until_quiet(platform)
            backends = postgres_backends(admin, extra_env.get("BOOKING_DATABASE_URL"))
            before = cpu_sample(platform, backends)
            wall, codes, latencies = book_round(
                platform.gateway_url,
                service_id,
                clients,
                first + span * (copies - 1),
                options.per_client,
            )
            used = cpu_used(before, cpu_sample(platform, backends))
            label = f"{copies} booking process{'es' if copies == 2 else ''}"
            rates[copies] = report(label, wall, codes, latencies, used)
            print(f"  bounded by: {verdict(used, wall, names, cores, database)}")
        print(
            f"\nsummary ({database}): {rates[1]:.1f} bookings/s with one booking process, "
            f"{rates[2]:.1f} with two ({rates[2] / rates[1]:.2f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--per-client", type=int, default=10)
    parser.add_argument("--amqp-port", type=int, default=5677)
    parser.add_argument("--postgres", action="store_true", help="booking on PostgreSQL")
    options = parser.parse_args()
    print_machine()
    if not options.postgres:
        run(options, {}, "SQLite")
        return
    url, admin = fresh_postgres_database()
    try:
        run(options, {"BOOKING_DATABASE_URL": url}, "PostgreSQL", admin)
    finally:
        drop_database(url, admin)


if __name__ == "__main__":
    main()
