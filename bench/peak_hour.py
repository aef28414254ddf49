"""The peak hour under locust: search and slots, bookings, and the rest, for a bounded time.

    .venv/bin/python bench/peak_hour.py [--users 20] [--spawn-rate 5] [--run-time 60]
        [--professionals 8] [--clients 40] [--host http://127.0.0.1:8000]

By default it starts a whole platform of its own (a temporary folder, its own RabbitMQ node
on PEAK_HOUR_AMQP_PORT, default 5676) and stops it after; with --host it runs against a
platform already up. All of its traffic comes from one address, so that platform's gateway
must not rate-limit it: start it with GATEWAY_RATE_LIMIT_EXEMPT naming this machine's address
(`GATEWAY_RATE_LIMIT_EXEMPT=127.0.0.1 make run` for a local one). A platform that limits it
stops the seeding with a message saying so.

Either way it first seeds professionals through the public API (a house-cleaning listing with
a service, a service area around San Francisco, weekly hours, turned on) and signed-in
clients, then runs locust headless (bench/peak_hour/locustfile.py: 80% search and slots, 15%
bookings, 5% other reads) and prints each route's throughput, p50/p95 and errors, the totals,
and the machine it ran on (CPU, cores, load).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "deploy/local"), str(ROOT / "tests")]

from local_platform import Platform  # noqa: E402
from platform_client import ApiClient, Person  # noqa: E402

LOCUSTFILE = ROOT / "bench/peak_hour/locustfile.py"
CENTRE = (37.7749, -122.4194)
WEEK = {
    day: [{"start": "07:00", "end": "19:00"}]
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
CLEAN = {
    "name": "Two-hour clean",
    "pricing_type": "service",
    "duration_minutes": 120,
    "price": {"amount_cents": 9000, "currency": "USD"},
}


@contextlib.contextmanager
def own_platform(amqp_port: int) -> Iterator[Platform]:
    with tempfile.TemporaryDirectory(prefix="peak-hour-") as folder:
        extra = {
            "LOG_LEVEL": "WARNING",
            "GATEWAY_RPC_TIMEOUT_SECONDS": "10",
            "GATEWAY_THREADS": "16",
            "GATEWAY_RPC_POOL_SIZE": "16",
            "LOCONOMICS_ACCESS_TOKEN_SECONDS": "86400",
        }
        vhost = f"peak-{uuid.uuid4().hex[:8]}"
        platform = Platform.isolated(Path(folder), amqp_port, vhost, extra, test_clock=False)
        with platform.running(own_broker=True):
            yield platform


class RateLimited(RuntimeError):
    """The gateway answered 429: it limits the address the load comes from."""


def _refuse_rate_limits(response, *args, **kwargs):
    if response.status_code == 429:
        raise RateLimited(
            f"the gateway limits this address: 429 on {response.request.method} "
            f"{response.request.path_url} ({response.headers.get('Retry-After', '?')} s to wait). "
            "All of a load test's traffic comes from one address; start the platform with "
            "GATEWAY_RATE_LIMIT_EXEMPT naming it (GATEWAY_RATE_LIMIT_EXEMPT=127.0.0.1 make run "
            "for a local one), or with GATEWAY_RATE_LIMITS_ENABLED=false, and run again."
        )


def api_client(base_url: str) -> ApiClient:
    """A client for seeding that stops at the first 429 instead of failing further on."""
    api = ApiClient(base_url)
    api.http.hooks["response"].append(_refuse_rate_limits)
    return api


def wait_until(check, what: str, why=lambda: "", timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what} {why()}")
        time.sleep(0.3)


def job_title(api: ApiClient, name: str = "house cleaner") -> str:
    found = api.get("/v1/job-titles", params={"q": name}).json()["items"]
    return found[0]["id"]


def open_shop(api: ApiClient, title_id: str, number: int) -> dict:
    """A professional whose listing shows in search and takes booking requests."""
    pro = api.sign_up(roles=["professional"], name=f"Cleaner {number}")
    profile = {
        "bio": f"Cleaner {number}: spotless homes.",
        "business_name": f"Cleaner {number}",
        "slug": f"cleaner-{number}-{uuid.uuid4().hex[:6]}",
    }
    api.patch("/v1/me/profile", token=pro.token, json=profile).raise_for_status()
    listing = api.post("/v1/me/listings", token=pro.token, json={"job_title_id": title_id})
    listing.raise_for_status()
    listing_id = listing.json()["id"]
    service = api.post(f"/v1/me/listings/{listing_id}/services", token=pro.token, json=CLEAN)
    service.raise_for_status()
    spot = (CENTRE[0] + (number % 5 - 2) * 0.01, CENTRE[1] + (number % 3 - 1) * 0.01)
    area = {"lat": spot[0], "lng": spot[1], "radius_km": 30}
    api.put(f"/v1/me/listings/{listing_id}/service-area", token=pro.token, json=area)
    schedule = {"time_zone": "America/Los_Angeles", "weekly": WEEK, "advance_notice_hours": 0}
    api.put("/v1/me/schedule", token=pro.token, json=schedule).raise_for_status()

    missing: list = []

    def complete() -> bool:
        answer = api.get(f"/v1/me/listings/{listing_id}", token=pro.token)
        missing[:] = answer.json().get("missing", ["?"]) if answer.status_code == 200 else ["?"]
        return not missing

    wait_until(complete, "the listing's checklist", lambda: f"still missing {missing}")
    on = api.patch(f"/v1/me/listings/{listing_id}", token=pro.token, json={"status": "on"})
    on.raise_for_status()
    return {"id": pro.account_id, "listing_id": listing_id, "service_id": service.json()["id"]}


def seed(base_url: str, professionals: int, clients: int) -> dict:
    api = api_client(base_url)
    title_id = job_title(api)
    with ThreadPoolExecutor(4) as pool:
        pros = list(
            pool.map(lambda n: open_shop(api_client(base_url), title_id, n), range(professionals))
        )
        people: list[Person] = list(
            pool.map(lambda n: api_client(base_url).sign_up(name=f"Client {n}"), range(clients))
        )
    # booking learns of each service from profiles' listing_published
    probe = time.strftime("%Y-%m-%dT12:00:00+00:00", time.gmtime(time.time() + 3 * 86400))
    for pro in pros:
        path = f"/v1/services/{pro['service_id']}/cancellation-terms"
        wait_until(
            lambda p=path: api.get(p, params={"start": probe}).status_code == 200,
            "booking to learn of the listing",
        )
    found = api.get(
        "/v1/search",
        params={"job_title": title_id, "lat": CENTRE[0], "lng": CENTRE[1], "radius_km": 25},
    ).json()["items"]
    if not found:
        raise RuntimeError("search finds none of the seeded professionals")
    print(f"search finds {len(found)} of them")
    return {
        "professionals": pros,
        "clients": [{"id": p.account_id, "token": p.token} for p in people],
        "centre": CENTRE,
        "job_title": title_id,
    }


def busy_ticks() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values[:8]) - idle, sum(values[:8])


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{model}, {os.cpu_count()} cores, load average {load}"


def run_locust(base_url: str, seed_file: Path, options: argparse.Namespace, out: Path) -> int:
    argv = [
        str(Path(sys.executable).parent / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        base_url,
        "--users",
        str(options.users),
        "--spawn-rate",
        str(options.spawn_rate),
        "--run-time",
        f"{options.run_time}s",
        "--stop-timeout",
        "10",
        "--csv",
        str(out / "peak"),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--web-port",
        str(options.web_port),
    ]
    env = {**os.environ, "PEAK_HOUR_SEED": str(seed_file)}
    hard_stop = options.run_time + 120
    return subprocess.run(
        argv, env=env, timeout=hard_stop, cwd=ROOT, stdout=subprocess.DEVNULL
    ).returncode


def report(out: Path, seconds: float, busy: float, before: str) -> dict:
    with open(out / "peak_stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    print(f"\n{'route':44} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}")
    total = {}
    for row in rows:
        line = (
            f"{(row['Type'] + ' ' + row['Name']).strip():44} {row['Request Count']:>8} "
            f"{row['Failure Count']:>6} {float(row['Requests/s']):7.1f} "
            f"{row['50%']:>7} {row['95%']:>7}"
        )
        if row["Name"] == "Aggregated":
            total = row
            print("-" * 84)
        print(line)
    failures = out / "peak_failures.csv"
    limited = 0
    if failures.exists():
        with open(failures, newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows[:5]:
            print(
                f"  error x{row['Occurrences']}: {row['Method']} {row['Name']}: "
                f"{row['Error'][:120]}"
            )
        limited = sum(int(row["Occurrences"]) for row in rows if "429 Client Error" in row["Error"])
    summary = {
        "throughput_rps": round(float(total.get("Requests/s", 0)), 1),
        "p95_ms": float(total.get("95%", 0) or 0),
        "errors": int(total.get("Failure Count", 0)),
        "requests": int(total.get("Request Count", 0)),
    }
    print(
        f"\nthroughput {summary['throughput_rps']} req/s, p95 {summary['p95_ms']:.0f} ms, "
        f"errors {summary['errors']} of {summary['requests']} requests in {seconds:.0f} s"
    )
    if limited:
        print(
            f"{limited} of the errors are 429 Too Many Requests: the gateway limits this "
            "address; exempt it with GATEWAY_RATE_LIMIT_EXEMPT to measure the platform"
        )
    print(f"machine: {before} before; CPU {busy:.0%} busy during the run (every process)")
    print(f"machine: {machine()} after")
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="a running platform's gateway URL (default: start one)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--run-time", type=int, default=60, help="seconds")
    parser.add_argument("--professionals", type=int, default=8)
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument(
        "--web-port", type=int, default=int(os.environ.get("PEAK_HOUR_WEB_PORT", "5726"))
    )
    parser.add_argument(
        "--amqp-port", type=int, default=int(os.environ.get("PEAK_HOUR_AMQP_PORT", "5676"))
    )
    options = parser.parse_args()

    with contextlib.ExitStack() as stack:
        if options.host:
            base_url = options.host.rstrip("/")
        else:
            print(f"starting a platform (RabbitMQ node on port {options.amqp_port})...")
            base_url = stack.enter_context(own_platform(options.amqp_port)).gateway_url
        out = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="peak-locust-")))
        print(f"seeding {options.professionals} professionals and {options.clients} clients...")
        seed_file = out / "seed.json"
        try:
            seeded = seed(base_url, options.professionals, options.clients)
        except RateLimited as limited:
            print(f"peak hour stopped before the load: {limited}", file=sys.stderr)
            return 2
        seed_file.write_text(json.dumps(seeded))
        print(
            f"locust: {options.users} users (spawn {options.spawn_rate}/s) for "
            f"{options.run_time} s against {base_url}"
        )
        before = machine()
        busy0, all0 = busy_ticks()
        started = time.monotonic()
        run_locust(base_url, seed_file, options, out)
        seconds = time.monotonic() - started
        busy1, all1 = busy_ticks()
        report(out, seconds, (busy1 - busy0) / max(all1 - all0, 1), before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
