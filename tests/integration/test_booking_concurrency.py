"""No double booking, ever: two booking processes, fifty clients at one slot, through the gateway.

Each variant runs a platform of its own with a second booking process competing on
booking's RPC queue, once with booking's database on SQLite (the embedded default:
triggers inside SQLite's single writer) and once on PostgreSQL (the exclusion
constraint, with booking migrated onto it by the platform's migration step).
Bookable services come from profiles-shaped `listing_published` events published on
the broker (instant booking needs an active owner in profiles; the event skips that).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from listing_events import publish_listing
from local_platform import Platform
from platform_client import ApiClient, Person

pytestmark = pytest.mark.integration

CROWD = 50
ALL_WEEK = {
    day: [{"start": "00:00", "end": "24:00"}]
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


def rpc_consumers(platform: Platform) -> int:
    queue = json.loads(platform.management("GET", f"/api/queues/{platform.vhost}/rpc-booking"))
    return queue.get("consumers", 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def crowded(request, tmp_path_factory):
    """A platform with two booking processes, booking's database on SQLite or PostgreSQL."""
    var: Path = tmp_path_factory.mktemp(f"booking-{request.param}")
    amqp_port = int(os.environ.get("TEST_AMQP_PORT", "5673"))
    extra = {}
    if request.param == "postgresql":
        extra["BOOKING_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    extra.update(
        {
            "GATEWAY_THREADS": "25",
            "GATEWAY_RPC_POOL_SIZE": "25",
            "GATEWAY_RPC_TIMEOUT_SECONDS": "20",
        }
    )
    vhost = f"test-booking-{uuid.uuid4().hex[:8]}"
    with Platform.isolated(var, amqp_port, vhost, extra).running() as platform:
        platform.start_service("booking", copy=2)
        deadline = time.monotonic() + 60
        while rpc_consumers(platform) < 2:
            assert time.monotonic() < deadline, "the second booking process never listened"
            time.sleep(0.5)
        yield platform


def wait_bookable(gateway: ApiClient, service_id: str) -> None:
    probe = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    path = f"/v1/services/{service_id}/cancellation-terms"
    deadline = time.monotonic() + 30
    while gateway.get(path, params={"start": probe}).status_code != 200:
        assert time.monotonic() < deadline, "booking never learnt of the listing"
        time.sleep(0.2)


def all_at_once(work, people: list) -> list[requests.Response]:
    """Run `work(person)` for everyone in threads released together."""
    barrier = threading.Barrier(len(people))
    answers: list[requests.Response] = [None] * len(people)

    def run(index: int) -> None:
        barrier.wait()
        answers[index] = work(people[index])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(people))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def statuses(answers: list[requests.Response]) -> Counter:
    return Counter(answer.status_code for answer in answers)


def unexpected(answers: list[requests.Response], expected: set[int]) -> list[str]:
    """The bodies of answers with a status the test did not expect, to say why."""
    return [f"{a.status_code}: {a.text}" for a in answers if a.status_code not in expected]


def metric(platform: Platform, copy: int, name: str, **labels: str) -> float:
    """A counter of one booking process, summed over the labels not named."""
    port = platform.metrics_port_base + 2 + 10 * (copy - 1)
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    total = 0.0
    for line in text.splitlines():
        found = re.fullmatch(rf"{name}\{{(.*)\}} ([0-9.e+]+)", line)
        if found is None:
            continue
        given = dict(re.findall(r'(\w+)="([^"]*)"', found.group(1)))
        if all(given.get(key) == value for key, value in labels.items()):
            total += float(found.group(2))
    return total


def test_fifty_bookings_and_fifty_confirms_at_one_slot_make_exactly_one(crowded):
    gateway = ApiClient(crowded.gateway_url)
    professional = gateway.sign_up(roles=["professional"], name="Popular Pro")
    schedule = gateway.put(
        "/v1/me/schedule", token=professional.token, json={"time_zone": "UTC", "weekly": ALL_WEEK}
    )
    assert schedule.status_code == 200, schedule.text
    instant = publish_listing(crowded, professional, instant=True)
    by_request = publish_listing(crowded, professional, instant=False)
    with ThreadPoolExecutor(8) as pool:
        clients = list(pool.map(lambda _: gateway.sign_up(roles=["client"]), range(CROWD)))
    wait_bookable(gateway, instant)
    wait_bookable(gateway, by_request)
    hour = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)

    def book_instantly(client: Person) -> requests.Response:
        return ApiClient(crowded.gateway_url).post(
            "/v1/bookings",
            token=client.token,
            json={"service_id": instant, "start": hour.isoformat()},
        )

    booked = all_at_once(book_instantly, clients)
    assert statuses(booked) == {201: 1, 409: CROWD - 1}, unexpected(booked, {201, 409})
    winner = next(answer.json() for answer in booked if answer.status_code == 201)
    assert winner["status"] == "confirmed"
    assert all(a.json()["status"] == 409 for a in booked if a.status_code == 409)

    second_hour = hour + timedelta(minutes=30)
    requests_made = []
    for client in clients:
        made = gateway.post(
            "/v1/bookings",
            token=client.token,
            json={
                "service_id": by_request,
                "proposed_starts": [(second_hour + timedelta(hours=1)).isoformat()],
            },
        )
        assert made.status_code == 201, made.text
        requests_made.append(made.json()["id"])

    def confirm(booking_id: str) -> requests.Response:
        return ApiClient(crowded.gateway_url).post(
            f"/v1/bookings/{booking_id}/confirm",
            token=professional.token,
            json={"start": (second_hour + timedelta(hours=1)).isoformat()},
        )

    confirmed = all_at_once(confirm, requests_made)
    assert statuses(confirmed) == {200: 1, 409: CROWD - 1}, unexpected(confirmed, {200, 409})

    held = gateway.get(
        "/v1/bookings",
        token=professional.token,
        params={"as": "professional", "status": "confirmed", "limit": 100},
    ).json()["items"]
    assert len(held) == 2
    assert {item["start"] for item in held} == {
        hour.isoformat(),
        (second_hour + timedelta(hours=1)).isoformat(),
    }
    calls = "loconomics_entrypoint_calls_total"
    served = [metric(crowded, copy, calls, entrypoint="create_booking") for copy in (1, 2)]
    assert all(count > 0 for count in served), f"both processes take part: {served}"
    assert sum(served) == 2 * CROWD
    made = "loconomics_bookings_created_total"
    confirmed_made = sum(metric(crowded, copy, made, status="confirmed") for copy in (1, 2))
    requested_made = sum(metric(crowded, copy, made, status="requested") for copy in (1, 2))
    assert (confirmed_made, requested_made) == (1, CROWD)
