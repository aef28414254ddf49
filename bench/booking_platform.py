"""What booking's benchmarks share: a platform on a broker node of their own, a bookable
service, and the CPU each process of the platform used.

Not a benchmark itself; `booking_throughput_bench.py` and `booking_slots_bench.py` import it.
The broker node is the benchmark's own (port 5677 by default), so the CPU it reports is
the benchmark's traffic only, not other tests sharing the test node.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "deploy/local"), str(ROOT / "tests")]

from local_platform import Platform  # noqa: E402
from nameko.standalone.events import event_dispatcher  # noqa: E402
from platform_client import ApiClient, Person  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
ALL_WEEK = {
    day: [{"start": "00:00", "end": "24:00"}]
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


@contextlib.contextmanager
def bench_platform(amqp_port: int, extra_env: dict | None = None) -> Iterator[Platform]:
    """A whole platform with its own broker node, stopped (broker too) on the way out."""
    with tempfile.TemporaryDirectory(prefix="booking-bench-") as folder:
        var = Path(folder)
        extra = {
            "LOG_LEVEL": "WARNING",
            "GATEWAY_RPC_TIMEOUT_SECONDS": "30",
            **(extra_env or {}),
        }
        with Platform.isolated(var, amqp_port, "/", extra, test_clock=False).running(
            own_broker=True
        ) as platform:
            yield platform


def wait_for_consumers(platform: Platform, count: int, timeout: float = 60.0) -> None:
    """Until `count` booking processes consume booking's RPC queue."""
    deadline = time.monotonic() + timeout
    while True:
        queue = json.loads(platform.management("GET", "/api/queues/%2F/rpc-booking"))
        if queue.get("consumers", 0) >= count:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {count} booking processes listen")
        time.sleep(0.5)


def wait_until_quiet(platform: Platform, timeout: float = 120.0) -> None:
    """Until every queue of the broker is empty: the last round's events are all handled,
    so the next round's CPU figures are its own."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queues = json.loads(platform.management("GET", "/api/queues/%2F"))
        if all(queue.get("messages", 0) == 0 for queue in queues):
            time.sleep(1.0)
            queues = json.loads(platform.management("GET", "/api/queues/%2F"))
            if all(queue.get("messages", 0) == 0 for queue in queues):
                return
        time.sleep(0.5)
    raise RuntimeError("the platform never caught up with its queues")


def publish_listing(platform: Platform, professional_id: str, instant: bool = True) -> str:
    """A profiles-shaped `listing_published` event for one 60-minute service; its id."""
    service_id = uuid.uuid4().hex
    dispatch = event_dispatcher({"AMQP_URI": platform.amqp_uri, "serializer": "json"})
    dispatch(
        "profiles",
        "listing_published",
        {
            "event_id": uuid.uuid4().hex,
            "occurred_at": datetime.now(UTC).isoformat(),
            "listing_id": uuid.uuid4().hex,
            "professional_id": professional_id,
            "job_title_id": "massage-therapist",
            "status": "on",
            "cancellation_policy": "flexible",
            "instant_booking": instant,
            "version": 1,
            "services": [
                {
                    "service_id": service_id,
                    "name": "Massage",
                    "pricing_type": "service",
                    "price": {"amount_cents": 9_000, "currency": "USD"},
                    "duration_minutes": 60,
                    "sessions": None,
                    "first_time_clients_only": False,
                    "visible_to_client_id": None,
                }
            ],
            "service_area": None,
        },
    )
    return service_id


def wait_bookable(gateway: ApiClient, service_id: str, timeout: float = 30.0) -> None:
    probe = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    deadline = time.monotonic() + timeout
    path = f"/v1/services/{service_id}/cancellation-terms"
    while gateway.get(path, params={"start": probe}).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("booking never learnt of the listing")
        time.sleep(0.2)


def professional_with_service(
    platform: Platform, gateway: ApiClient, weekly: dict | None = None
) -> tuple[Person, str]:
    professional = gateway.sign_up(roles=["professional"], name="Bench Pro")
    answer = gateway.put(
        "/v1/me/schedule",
        token=professional.token,
        json={"time_zone": "UTC", "weekly": weekly or ALL_WEEK},
    )
    answer.raise_for_status()
    service_id = publish_listing(platform, professional.account_id)
    wait_bookable(gateway, service_id)
    return professional, service_id


@dataclass(frozen=True)
class CpuSample:
    seconds: dict[str, float]
    machine_busy: float
    at: float


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy (all processes, ours or not)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICKS


def _cpu_of(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def _group(pgid: int) -> list[int]:
    """Every process of a process group (gunicorn's master and its workers)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                members.append(int(entry.name))
    return members


def broker_pid(platform: Platform) -> int | None:
    var = Path(os.environ.get("LOCONOMICS_VAR", ROOT / "var"))
    path = var / f"rabbitmq-{platform.amqp_port}" / "rabbitmq.pid"
    with contextlib.suppress(OSError, ValueError):
        return int(path.read_text().strip())
    return None


def cpu_sample(platform: Platform, extra: dict[str, list[int]] | None = None) -> CpuSample:
    """CPU seconds used so far by every process of the platform (each with its children),
    the broker node, `extra` processes (booking's PostgreSQL backends), and this benchmark
    process (the load generator shares the machine)."""
    seconds: dict[str, float] = {}
    for name in platform.process_names():
        pid = platform.pid_of(name)
        if pid is not None:
            seconds[name] = _cpu_of(_group(pid))
    broker = broker_pid(platform)
    if broker is not None:
        seconds["rabbitmq"] = _cpu_of([broker])
    for name, pids in (extra or {}).items():
        seconds[name] = _cpu_of(pids)
    seconds["load generator"] = time.process_time()
    return CpuSample(seconds, machine_busy_seconds(), time.monotonic())


def cpu_used(before: CpuSample, after: CpuSample) -> dict[str, float]:
    """CPU seconds per process between two samples, and `other processes` on the machine
    (other people's work sharing the cores: it bounds the rate too)."""
    used = {name: after.seconds[name] - before.seconds.get(name, 0.0) for name in after.seconds}
    used = {name: seconds for name, seconds in used.items() if seconds >= 0.005}
    machine = after.machine_busy - before.machine_busy
    used["other processes"] = max(0.0, machine - sum(used.values()))
    return used


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]
