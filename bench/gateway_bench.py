"""Gateway throughput and latency for a read with one RPC, against a bare Falcon endpoint
under the same gunicorn settings, at 32 concurrent keep-alive connections.

    .venv/bin/python bench/gateway_bench.py [--amqp-port 5717] [--connections 32]
        [--seconds 10] [--rounds 2]

Brings up a whole platform (its own RabbitMQ node on --amqp-port, five services, the
gateway under gateway/gunicorn.conf.py), publishes one professional's listing through the
API, then a second gunicorn with the same configuration file and environment serving
`bare_falcon_app.py` (the same body, no middleware, RPC or database; and a route making one
RPC, profiles' `ping`, through the gateway's client). Each round loads the bare route, the
one-RPC route, then the gateway's `GET /v1/professionals/{id}` for --seconds after a short
warm-up, with `wrk` (Debian package `wrk`; installed with apt-get when missing, else a
multi-process Python load generator with persistent connections is used). The load
generator runs on the same 2 cores as the servers; its CPU and every process's are printed
per round.

GATEWAY_WORKERS, GATEWAY_THREADS and GATEWAY_RPC_POOL_SIZE set in the environment are
passed to both gunicorns, as an operator would set them.

Targets (issue 10): >= 1,500 req/s with p99 <= 50 ms for the gateway read at 32 connections.

That target is in requests per second, so it depends on how fast the machine is. Issue 10
set it on a 2-core machine where the leanest AMQP request-reply from Python reached about
5,000 calls/s with 10 in flight. Each round therefore also measures that lean request-reply
(`rpc_bench.py`'s echo server and client) on the same broker, with 10 in flight. The report
gives the read both as measured and scaled to the issue's machine: as a share of lean's
calls/s, against the issue's 1,500 / 5,000 = 30%.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from booking_platform import _cpu_of, _group, broker_pid, percentile
from machine import print_machine
from rpc_bench import in_flight, lean_echo_server, lean_side

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "deploy/local"), str(ROOT / "tests")]

from local_platform import BIN, Platform, free_port  # noqa: E402
from platform_client import ApiClient  # noqa: E402

WEEK = {
    day: [{"start": "08:00", "end": "18:00"}]
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
NAMES = ("bare Falcon", "Falcon + 1 RPC (ping)", "gateway + RPC")
LEAN = "lean AMQP request-reply"
LEAN_IN_FLIGHT = 10
# Issue 10's machine: the lean request-reply reached about 5,000 calls/s with 10 in flight,
# and the read's target was 1,500 req/s there.
ISSUE_LEAN_CALLS = 5000
READ_TARGET = 1500
LEAN_SHARE_TARGET = READ_TARGET / ISSUE_LEAN_CALLS  # the read's target in the issue's terms
SERVICE = {
    "name": "Two-hour clean",
    "pricing_type": "service",
    "duration_minutes": 120,
    "price": {"amount_cents": 9000, "currency": "USD"},
}


def published_professional(api: ApiClient) -> str:
    """A professional with a listing that is on (the steps of the shop-window tests); its id."""
    pro = api.sign_up(roles=["professional"], name="Bench Pro")
    slug = f"bench-pro-{uuid.uuid4().hex[:6]}"
    profile = {"bio": "Spotless homes.", "business_name": "Bench Pro", "slug": slug}
    assert api.patch("/v1/me/profile", token=pro.token, json=profile).status_code == 200
    titles = api.get("/v1/job-titles", params={"q": "house cleaner"}).json()["items"]
    listing = api.post("/v1/me/listings", token=pro.token, json={"job_title_id": titles[0]["id"]})
    assert listing.status_code == 201, listing.text
    listing_id = listing.json()["id"]
    path = f"/v1/me/listings/{listing_id}"
    made = api.post(f"{path}/services", token=pro.token, json=SERVICE)
    assert made.status_code == 201, made.text
    area = {"lat": 37.77, "lng": -122.42, "radius_km": 10}
    assert api.put(f"{path}/service-area", token=pro.token, json=area).status_code == 200
    schedule = {"time_zone": "America/Los_Angeles", "weekly": WEEK, "advance_notice_hours": 0}
    answer = api.put("/v1/me/schedule", token=pro.token, json=schedule)
    assert answer.status_code == 200, answer.text
    deadline = time.monotonic() + 30
    while api.get(path, token=pro.token).json()["missing"]:
        if time.monotonic() > deadline:
            raise RuntimeError("booking's schedule never reached profiles")
        time.sleep(0.2)
    on = api.patch(path, token=pro.token, json={"status": "on"})
    assert on.status_code == 200, on.text
    return pro.account_id


# load generators


def wrk_path() -> str | None:
    found = shutil.which("wrk")
    if found or os.geteuid() != 0:
        return found
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return shutil.which("wrk")


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(wrk: str, url: str, connections: int, seconds: float) -> dict:
    answer = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{seconds:.0f}s", "--latency", "--timeout", "10s", url],
        capture_output=True,
        text=True,
        check=True,
    )
    out = answer.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rate": rate,
        "p50": p50,
        "p99": p99,
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def _python_worker(host, port, path, threads, seconds, out) -> None:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def loop() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=10)
        mine, bad = [], 0
        while time.perf_counter() < stop_at:
            began = time.perf_counter()
            try:
                connection.request("GET", path)
                answer = connection.getresponse()
                answer.read()
                if answer.status != 200:
                    bad += 1
            except OSError:
                bad += 1
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=10)
                continue
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put((latencies, errors[0]))


def run_python(url: str, connections: int, seconds: float) -> dict:
    """Processes x threads, one persistent HTTP/1.1 connection per thread."""
    host_port, path = url.split("//", 1)[1].split("/", 1)
    host, port = host_port.split(":")
    processes = max(1, min(4, connections // 8))
    out: multiprocessing.Queue = multiprocessing.Queue()
    children = [
        multiprocessing.Process(
            target=_python_worker,
            args=(host, int(port), "/" + path, connections // processes, seconds, out),
        )
        for _ in range(processes)
    ]
    began = time.perf_counter()
    for child in children:
        child.start()
    results = [out.get() for _ in children]
    for child in children:
        child.join()
    wall = time.perf_counter() - began
    latencies = [value for part, _ in results for value in part]
    return {
        "rate": len(latencies) / wall,
        "p50": percentile(latencies, 0.5) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "errors": sum(errors for _, errors in results),
        "socket_errors": "",
    }


# servers


@contextlib.contextmanager
def bare_gunicorn(platform: Platform, body: str):
    """The bare app under gateway/gunicorn.conf.py, with the gateway's environment."""
    port = free_port(avoid=platform.ports())
    env = platform.env()
    env.update(
        {
            "GATEWAY_PORT": str(port),
            "BARE_FALCON_BODY": body,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), env.get("PYTHONPATH", "")]),
        }
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    argv = [
        str(BIN / "gunicorn"),
        "-c",
        str(ROOT / "gateway/gunicorn.conf.py"),
        "bare_falcon_app:app",
    ]
    log = open(platform.log_dir / "bare-falcon.log", "ab")  # noqa: SIM115 - the child keeps it
    child = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        platform.wait_port(port)
        yield child.pid, f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, 15)
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, 9)
            child.wait()
        log.close()


def run_lean(amqp_port: int, seconds: float) -> dict:
    """The lean request-reply with LEAN_IN_FLIGHT callers, one connection each."""
    lean = lean_side(amqp_port)
    callers = [lean.make() for _ in range(LEAN_IN_FLIGHT)]
    try:
        made, wall, latencies = in_flight([call for call, _ in callers], seconds)
    finally:
        for _, close in callers:
            close()
    return {
        "rate": made / wall,
        "p50": percentile(latencies, 0.5) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "errors": 0,
        "socket_errors": "",
    }


def cpu_now(groups: dict[str, int], platform: Platform) -> dict[str, float]:
    seconds = {name: _cpu_of(_group(pid)) for name, pid in groups.items()}
    seconds["rabbitmq"] = _cpu_of([broker_pid(platform) or 0])
    with contextlib.suppress(OSError):
        # this process (the lean callers are its threads) and its children (wrk or the
        # Python workers, once they have been waited for)
        seconds["load generator"] = sum(os.times()[:4])
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--amqp-port", type=int, default=int(os.environ.get("BENCH_AMQP_PORT", "5717"))
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warm-up", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--python-load", action="store_true", help="never use wrk")
    options = parser.parse_args()

    print_machine()
    wrk = None if options.python_load else wrk_path()
    generator = f"wrk ({wrk}, 2 threads)" if wrk else "Python processes x threads"
    with tempfile.TemporaryDirectory(prefix="gateway-bench-") as folder:
        extra = {"LOG_LEVEL": "WARNING"}
        for key in ("GATEWAY_WORKERS", "GATEWAY_THREADS", "GATEWAY_RPC_POOL_SIZE"):
            if key in os.environ:  # the gateway's own settings, as an operator would set them
                extra[key] = os.environ[key]
        platform = Platform.isolated(Path(folder), options.amqp_port, "/", extra, test_clock=False)
        env = platform.env()
        print(
            f"gateway read vs bare Falcon: {options.connections} connections, "
            f"{options.seconds:.0f} s per measurement after {options.warm_up:.0f} s warm-up, "
            f"{options.rounds} rounds; load generator {generator}\n"
            f"gunicorn (gateway/gunicorn.conf.py): {env.get('GATEWAY_WORKERS', '2')} workers x "
            f"{env.get('GATEWAY_THREADS', '8')} threads (gthread), RPC pool "
            f"{env.get('GATEWAY_RPC_POOL_SIZE', '8')} per worker; broker port "
            f"{options.amqp_port}\n",
            flush=True,
        )

        def load(url: str, seconds: float) -> dict:
            if wrk:
                return run_wrk(wrk, url, options.connections, seconds)
            return run_python(url, options.connections, seconds)

        with platform.running(own_broker=True):
            api = ApiClient(platform.gateway_url)
            professional = published_professional(api)
            real_path = f"/v1/professionals/{professional}"
            answer = api.get(real_path)
            assert answer.status_code == 200, answer.text
            print(f"GET {real_path}: {len(answer.content)} bytes\n", flush=True)
            results: dict[str, list[dict]] = {name: [] for name in (*NAMES, LEAN)}
            with (
                bare_gunicorn(platform, answer.text) as (bare_pid, bare_url),
                lean_echo_server(
                    options.amqp_port, dict(os.environ), platform.log_dir / "lean-echo.log"
                ) as lean_pid,
            ):
                groups = {
                    "gateway": platform.pid_of("gateway"),
                    "profiles": platform.pid_of("profiles"),
                    "bare Falcon": bare_pid,
                    "lean echo server": lean_pid,
                }
                urls = (
                    bare_url + real_path,
                    bare_url + "/v1/ping/profiles",
                    platform.gateway_url + real_path,
                )
                measures = {
                    name: (lambda seconds, url=url: load(url, seconds))
                    for name, url in zip(NAMES, urls, strict=True)
                }
                measures[LEAN] = lambda seconds: run_lean(options.amqp_port, seconds)
                for number in range(1, options.rounds + 1):
                    for name, measure in measures.items():
                        measure(options.warm_up)
                        before, began = cpu_now(groups, platform), time.monotonic()
                        result = measure(options.seconds)
                        wall = time.monotonic() - began
                        after = cpu_now(groups, platform)
                        result["load"] = os.getloadavg()[0]
                        results[name].append(result)
                        busy = ", ".join(
                            f"{key} {(after[key] - before[key]) / wall:.0%}"
                            for key in after
                            if (after[key] - before[key]) / wall >= 0.01
                        )
                        print(
                            f"round {number} {name:23} {result['rate']:7.0f} {unit(name):7} p50 "
                            f"{result['p50']:6.2f} ms  p99 {result['p99']:6.2f} ms  non-2xx "
                            f"{result['errors']} {result['socket_errors']}| load "
                            f"{result['load']:.2f} | CPU of a core: {busy}",
                            flush=True,
                        )
    report(results)


def report(results: dict[str, list[dict]]) -> None:
    def median(name: str, key: str) -> float:
        return statistics.median(result[key] for result in results[name])

    print(f"\nmedian of rounds (load average now {os.getloadavg()[0]:.2f})")
    for name in results:
        print(
            f"  {name:23} {median(name, 'rate'):7.0f} {unit(name):7} p50 "
            f"{median(name, 'p50'):6.2f} ms  p99 {median(name, 'p99'):6.2f} ms"
        )
    bare, lean = median("bare Falcon", "rate"), median(LEAN, "rate")
    print(
        f"\n  this machine: the lean request-reply makes {lean:.0f} calls/s with "
        f"{LEAN_IN_FLIGHT} in flight, {lean / ISSUE_LEAN_CALLS:.2f}x the about "
        f"{ISSUE_LEAN_CALLS:,} of the machine issue 10's targets were set on"
    )
    for name in NAMES[1:]:
        rate, p99 = median(name, "rate"), median(name, "p99")
        share = rate / lean
        print(
            f"\n  {name}: {rate:.0f} req/s = {rate / bare:.0%} of bare Falcon; target >= "
            f"{READ_TARGET:,} req/s {verdict(rate >= READ_TARGET)}, p99 {p99:.1f} ms <= 50 ms "
            f"{verdict(p99 <= 50)}\n  {' ' * len(name)}  scaled to issue 10's machine: "
            f"{share * ISSUE_LEAN_CALLS:.0f} req/s = {share:.0%} of the lean request-reply's "
            f"calls/s; target >= {LEAN_SHARE_TARGET:.0%} {verdict(share >= LEAN_SHARE_TARGET)}"
        )


def unit(name: str) -> str:
    return "calls/s" if name == LEAN else "req/s"


def verdict(held: bool) -> str:
    return "met" if held else "missed"


if __name__ == "__main__":
    main()
