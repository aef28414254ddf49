"""RabbitMQ restarted under load: no event lost, and the platform recovers with no restart.

The platform runs on a broker node of its own (TEST_FAULT_AMQP_PORT, default 5675). Clients
book and people sign up through the gateway, retrying as the apps do, while the node is shut
down and started again. While it is down booking's timer expires the open requests (the
clock jumps past their lifetime): those `booking_expired` events are committed with nowhere
to go, and wait in booking's outbox. Afterwards, with every service and the gateway still
the same processes: the held events and those of every write answered before and after the
restart reached their consumers exactly once (inbox notifications, welcome emails), every
outbox is empty, and new requests succeed within a bounded wait.
"""

from __future__ import annotations

import contextlib
import email
import os
import sqlite3
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
import requests
from booking_load import BookingLoad, every_page, open_for_business
from local_platform import SERVICES, Platform
from loconomics_plumbing.clock import move_clock
from platform_client import ApiClient, Person
from polling import wait_for

pytestmark = pytest.mark.integration

CLIENTS = 4
RECOVERY_SECONDS = 60


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    var = tmp_path_factory.mktemp("faults-broker-restart")
    amqp_port = int(os.environ.get("TEST_FAULT_AMQP_PORT", "5675"))
    extra_env = {
        "LOG_LEVEL": "WARNING",
        "LOCONOMICS_ACCESS_TOKEN_SECONDS": str(40 * 24 * 3600),
        "BOOKING_DUE_WORK_SECONDS": "1",
        "NOTIFICATIONS_DELIVERY_INTERVAL_SECONDS": "0.5",
        "GATEWAY_RPC_TIMEOUT_SECONDS": "5",
        "GATEWAY_THREADS": "8",
    }
    platform = Platform.isolated(var, amqp_port, extra_env=extra_env)
    with platform.running(own_broker=True):
        yield platform


def rows(platform: Platform, service: str, sql: str) -> list[tuple]:
    path = platform.var / "data" / f"{service}.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as db:
        return db.execute(sql).fetchall()


def unpublished(platform: Platform, service: str, event_type: str | None = None) -> int:
    sql = "SELECT count(*) FROM outbox_events WHERE published_at IS NULL"
    if event_type:
        sql += f" AND event_type = '{event_type}'"
    return rows(platform, service, sql)[0][0]


def process_ids(platform: Platform) -> dict[str, set[int]]:
    """Each service's PID, and the gateway's master with its workers."""
    found = {name: {platform.pid_of(name)} for name in SERVICES}
    master = platform.pid_of("gateway")
    workers = {
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _parent(entry) == master
    }
    found["gateway"] = {master, *workers}
    return found


def _parent(entry: Path) -> int | None:
    with contextlib.suppress(OSError, IndexError, ValueError):
        return int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    return None


def ready(platform: Platform) -> bool:
    with contextlib.suppress(requests.RequestException):
        return requests.get(f"{platform.gateway_url}/readyz", timeout=5).status_code == 200
    return False


def welcome_emails(platform: Platform) -> Counter:
    found = Counter()
    for path in sorted(platform.maildir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["Subject"] and message["Subject"].startswith("Welcome to Loconomics"):
            found[message["X-Envelope-To"]] += 1
    return found


def notified(api: ApiClient, person: Person, kind: str) -> Counter:
    items = every_page(api, "/v1/me/notifications", person.token)
    return Counter(n["refs"].get("booking_id") for n in items if n["kind"] == kind)


class SignUps:
    """People signing up one after another, each retried on 503/504/errors until it is final:
    201, or 409 when an earlier try made the account but its answer was lost."""

    def __init__(self, gateway_url: str):
        self.api = ApiClient(gateway_url)
        self.finals: dict[str, int] = {}
        self.answers: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(180)
        assert not self._thread.is_alive(), "a sign-up never got its answer"

    def _run(self) -> None:
        while not self._stop.is_set():
            address = f"{uuid.uuid4().hex[:12]}@example.org"
            body = {
                "email": address,
                "password": "correct horse battery staple",
                "name": "Newcomer",
                "roles": ["client"],
            }
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    answer = self.api.post("/v1/accounts", json=body, timeout=8)
                except requests.RequestException as error:
                    self.answers.append(type(error).__name__)
                    time.sleep(0.5)
                    continue
                self.answers.append(str(answer.status_code))
                if answer.status_code in (502, 503, 504):
                    time.sleep(0.5)
                    continue
                self.finals[address] = answer.status_code
                break
            time.sleep(0.3)


def test_a_broker_restart_under_load_loses_no_event_and_needs_no_restart(site):
    api = ApiClient(site.gateway_url)
    pros = [open_for_business(site, api) for _ in range(2)]
    asking_pro, by_request = open_for_business(site, api, instant=False)
    clients = [api.sign_up(name=f"Client {n}") for n in range(CLIENTS)]

    # Open requests that will expire while the broker is away.
    proposed = (datetime.now(UTC) + timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    requested = {}
    for n, client in enumerate(clients):
        made = api.post(
            "/v1/bookings",
            token=client.token,
            json={
                "service_id": by_request,
                "proposed_starts": [(proposed + timedelta(hours=n)).isoformat()],
            },
        )
        assert made.status_code == 201, made.text
        assert made.json()["status"] == "requested"
        requested[client.account_id] = made.json()["id"]
    wait_for(lambda: unpublished(site, "booking") == 0, "booking_requested published")

    first = (datetime.now(UTC) + timedelta(days=6)).replace(minute=0, second=0, microsecond=0)
    hours = [first + timedelta(hours=n) for n in range(24 * 40)]
    load = BookingLoad(site.gateway_url, clients, [service for _, service in pros], hours)
    signups = SignUps(site.gateway_url)
    before = process_ids(site)
    assert all(None not in pids for pids in before.values()), before
    assert len(before["gateway"]) >= 2, "the gateway's workers"

    load.start()
    signups.start()
    try:
        load.wait_answered(6, "bookings before the restart")
        wait_for(lambda: len(signups.finals) >= 2, "sign-ups before the restart", 60)
        felt = load.unanswered_tries()
        site.stop_broker()
        down_at = time.monotonic()
        try:
            move_clock(site.clock_file, timedelta(hours=73))
            wait_for(
                lambda: unpublished(site, "booking", "booking_expired") == CLIENTS,
                "the expired requests held in booking's outbox",
                60,
            )
            wait_for(lambda: load.unanswered_tries() > felt, "clients to feel the outage", 30)
        finally:
            move_clock(site.clock_file, timedelta(0))
        assert unpublished(site, "booking", "booking_expired") == CLIENTS
        site.start_broker()
        back_at = time.monotonic()
        print(f"broker down for {back_at - down_at:.1f}s")

        # New requests succeed again within a bounded wait, nothing restarted.
        fresh = wait_for(lambda: _try_sign_up(api), "a new sign-up", RECOVERY_SECONDS)
        wait_for(lambda: ready(site), "the gateway's /readyz", RECOVERY_SECONDS)
        print(f"recovered {time.monotonic() - back_at:.1f}s after the broker came back")
        load.wait_answered(6, "bookings after the restart", RECOVERY_SECONDS)
        signed = len(signups.finals)
        wait_for(lambda: len(signups.finals) >= signed + 2, "sign-ups after", RECOVERY_SECONDS)
    finally:
        load.stop()
        signups.stop()
    print(load.summary(), Counter(signups.answers))

    assert process_ids(site) == before, "a service or the gateway was restarted"
    attempts = load.attempts
    assert all(a.final in (201, 409) for a in attempts), [
        a.answers for a in attempts if a.final not in (201, 409)
    ]
    assert load.unanswered_tries() > 0
    told = {a.key: a for a in attempts if a.final == 201}

    # Every outbox empties: what was held during the outage has left.
    for service in SERVICES:
        wait_for(lambda s=service: unpublished(site, s) == 0, f"{service}'s outbox", 90)

    # The expiries held in the outbox reached both sides, once.
    for client in clients:
        booking_id = requested[client.account_id]
        wait_for(
            lambda c=client, b=booking_id: b in notified(api, c, "booking_expired"),
            "booking_expired in the client's inbox",
            60,
        )
        assert notified(api, client, "booking_expired") == {booking_id: 1}
        state = api.get(f"/v1/bookings/{booking_id}", token=client.token).json()
        assert state["status"] == "expired"
    assert notified(api, asking_pro, "booking_expired") == {b: 1 for b in requested.values()}

    # Every booking answered 201 exists once and reached the client's inbox once.
    held = []
    for pro, _ in pros:
        held += every_page(api, "/v1/bookings", pro.token, **{"as": "professional"})
    assert sorted(b["id"] for b in held) == sorted(a.booking_id for a in told.values())
    assert max(Counter((b["professional_id"], b["start"]) for b in held).values()) == 1
    for client in clients:
        mine = {a.booking_id for a in told.values() if a.client.account_id == client.account_id}
        wait_for(
            lambda c=client, m=mine: m <= set(notified(api, c, "booking_confirmed")),
            "booking_confirmed in the client's inbox",
            90,
        )
        assert notified(api, client, "booking_confirmed") == dict.fromkeys(mine, 1)

    # Everyone who signed up has an account and exactly one welcome email.
    people = [*signups.finals, fresh.email]
    assert signups.finals and set(signups.finals.values()) <= {201, 409}
    for address in people:
        person = Person("", address, "correct horse battery staple", "")
        api.log_in(person)
    wait_for(lambda: set(people) <= set(welcome_emails(site)), "a welcome email for everyone", 90)
    sent = welcome_emails(site)
    assert all(sent[address] == 1 for address in people), {a: sent[a] for a in people}


def _try_sign_up(api: ApiClient) -> Person | None:
    with contextlib.suppress(requests.RequestException, AssertionError):
        return api.sign_up(name="After The Restart")
    return None
