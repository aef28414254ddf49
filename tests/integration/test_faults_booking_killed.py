"""Booking killed with SIGKILL under load: no booking lost, none made twice, no slot taken twice.

Six clients book random hours of two professionals through the gateway, each booking under an
`Idempotency-Key` and retried with the same key on 503/504, a dropped connection or a timeout,
as the apps do. Twice during the load the booking process is killed outright (no shutdown:
requests half done, replies unsent, outbox rows claimed and unpublished) and started again.
Afterwards every booking a client was told about exists exactly once, a repeat of its key
answers the same booking, nothing exists that no client was told about, no hour of a
professional is held twice, and each booking's `booking_confirmed` reached notifications
exactly once for each side.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from booking_load import BookingLoad, every_page, open_for_business
from local_platform import Platform
from platform_client import ApiClient
from polling import wait_for

pytestmark = pytest.mark.integration

CLIENTS = 6
KILLS = 2


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    var = tmp_path_factory.mktemp("faults-booking-killed")
    amqp_port = int(os.environ.get("TEST_AMQP_PORT", "5673"))
    extra_env = {
        "LOG_LEVEL": "WARNING",
        "GATEWAY_RPC_TIMEOUT_SECONDS": "5",
        "GATEWAY_THREADS": "8",
        "NOTIFICATIONS_DELIVERY_INTERVAL_SECONDS": "0.5",
    }
    vhost = f"test-faults-{uuid.uuid4().hex[:8]}"
    with Platform.isolated(var, amqp_port, vhost, extra_env).running() as platform:
        yield platform


def rpc_consumers(platform: Platform, service: str) -> int:
    queue = json.loads(platform.management("GET", f"/api/queues/{platform.vhost}/rpc-{service}"))
    return queue.get("consumers", 0)


def quiet(platform: Platform) -> bool:
    """Every queue of the platform's vhost drained and acknowledged."""
    queues = json.loads(platform.management("GET", f"/api/queues/{platform.vhost}"))
    return all(
        q.get("messages", 0) == 0 and q.get("messages_unacknowledged", 0) == 0 for q in queues
    )


def booking_rows(platform: Platform, sql: str) -> list[tuple]:
    path = platform.var / "data" / "booking.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as db:
        return db.execute(sql).fetchall()


def kill_booking(platform: Platform) -> None:
    pid = platform.pid_of("booking")
    assert pid is not None, "booking is not running"
    os.killpg(pid, signal.SIGKILL)
    wait_for(lambda: platform.pid_of("booking") is None, "booking to die", timeout=10)


def confirmed_notifications(api: ApiClient, person) -> Counter:
    items = every_page(api, "/v1/me/notifications", person.token)
    return Counter(n["refs"].get("booking_id") for n in items if n["kind"] == "booking_confirmed")


def test_booking_killed_twice_under_load_loses_no_booking_and_makes_none_twice(site):
    api = ApiClient(site.gateway_url)
    pros = [open_for_business(site, api) for _ in range(2)]
    clients = [api.sign_up(name=f"Client {n}") for n in range(CLIENTS)]
    first = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    hours = [first + timedelta(hours=n) for n in range(24 * 40)]
    load = BookingLoad(site.gateway_url, clients, [service for _, service in pros], hours)

    load.start()
    try:
        for kill in range(KILLS):
            load.wait_answered(6, "bookings under load")
            kill_booking(site)
            felt = load.unanswered_tries()
            wait_for(lambda f=felt: load.unanswered_tries() > f, "clients to feel the kill", 30)
            site.start_service("booking")
            wait_for(lambda: rpc_consumers(site, "booking") >= 1, "booking back", 60)
            if kill == KILLS - 1:
                load.wait_answered(6, "bookings after restart")
    finally:
        load.stop()

    print(load.summary())
    attempts = load.attempts
    assert all(a.final in (201, 409) for a in attempts), [
        a.answers for a in attempts if a.final not in (201, 409)
    ]
    assert load.unanswered_tries() > 0, "the kills were never felt by a client"
    told = {a.key: a for a in attempts if a.final == 201}
    assert len(told) >= 12
    booking_ids = [a.booking_id for a in told.values()]
    assert len(set(booking_ids)) == len(booking_ids), "two keys answered with one booking"

    # A repeat of each key answers the same booking; a different body under it is refused.
    for attempt in told.values():
        again = api.post(
            "/v1/bookings",
            token=attempt.client.token,
            json=attempt.body,
            headers={"Idempotency-Key": attempt.key},
        )
        assert again.status_code == 201, again.text
        assert again.json()["id"] == attempt.booking_id

    # What the platform holds is exactly what the clients were told, each hour held once.
    held = []
    for pro, _ in pros:
        held += every_page(api, "/v1/bookings", pro.token, **{"as": "professional"})
    assert sorted(b["id"] for b in held) == sorted(booking_ids)
    assert all(b["status"] == "confirmed" for b in held)
    hours_held = Counter((b["professional_id"], b["start"]) for b in held)
    assert max(hours_held.values()) == 1, "an hour of a professional is held twice"
    by_id = {b["id"]: b for b in held}
    for attempt in told.values():
        booking = by_id[attempt.booking_id]
        assert booking["client_id"] == attempt.client.account_id
        assert booking["service_id"] == attempt.body["service_id"]
        assert datetime.fromisoformat(booking["start"]) == datetime.fromisoformat(
            attempt.body["start"]
        )

    # One booking_confirmed written per booking, all published; each side told exactly once.
    def outbox_settled() -> bool:
        pending = booking_rows(
            site, "SELECT count(*) FROM outbox_events WHERE published_at IS NULL"
        )
        return pending == [(0,)]

    wait_for(outbox_settled, "booking's outbox to be published", 90)
    written = booking_rows(
        site, "SELECT payload FROM outbox_events WHERE event_type = 'booking_confirmed'"
    )
    assert sorted(json.loads(p)["booking_id"] for (p,) in written) == sorted(booking_ids)

    expected_client = Counter()
    for attempt in told.values():
        expected_client[(attempt.client.account_id, attempt.booking_id)] += 1

    def everyone_told() -> bool:
        for client in clients:
            seen = confirmed_notifications(api, client)
            mine = {b for (c, b) in expected_client if c == client.account_id}
            if not mine <= set(seen):
                return False
        return True

    wait_for(everyone_told, "booking_confirmed in every client's inbox", 120)
    wait_for(lambda: quiet(site), "every queue to drain", 60)
    for client in clients:
        seen = confirmed_notifications(api, client)
        mine = {b for (c, b) in expected_client if c == client.account_id}
        assert set(seen) == mine
        assert set(seen.values()) <= {1}, f"told twice: {seen}"
    for pro, _ in pros:
        seen = confirmed_notifications(api, pro)
        mine = {b["id"] for b in held if b["professional_id"] == pro.account_id}
        assert set(seen) == mine
        assert set(seen.values()) <= {1}, f"told twice: {seen}"
