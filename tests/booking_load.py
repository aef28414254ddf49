"""Clients booking through the gateway as a real app does, for the fault tests.

Each client thread books random hours of a few instant-booking services, one
`Idempotency-Key` per booking it means to make. An answer that says nothing
about the booking (503/504, a 409 "in progress", a dropped connection, a
timeout) is retried with the same key and body until a final answer comes:
201, or 409 "this time is not available". Every attempt is recorded, so a test
can compare what the clients were told with what the platform holds.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests
from listing_events import publish_listing
from local_platform import Platform
from platform_client import ApiClient, Person

ALL_WEEK = {
    day: [{"start": "00:00", "end": "24:00"}]
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
RETRYABLE = {502, 503, 504}


def open_for_business(
    platform: Platform, api: ApiClient, instant: bool = True
) -> tuple[Person, str]:
    """A professional open all week with one bookable service (booking has learnt of it)."""
    professional = api.sign_up(roles=["professional"], name="Busy Pro")
    schedule = api.put(
        "/v1/me/schedule", token=professional.token, json={"time_zone": "UTC", "weekly": ALL_WEEK}
    )
    assert schedule.status_code == 200, schedule.text
    service_id = publish_listing(platform, professional, instant=instant)
    probe = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    path = f"/v1/services/{service_id}/cancellation-terms"
    deadline = time.monotonic() + 60
    while api.get(path, params={"start": probe}).status_code != 200:
        assert time.monotonic() < deadline, "booking never learnt of the listing"
        time.sleep(0.3)
    return professional, service_id


@dataclass
class Attempt:
    key: str
    body: dict
    client: Person
    answers: list[str] = field(default_factory=list)  # status codes, or the error's name
    booking_id: str | None = None
    final: int | None = None
    ids_seen: set = field(default_factory=set)


def _in_progress(answer: requests.Response) -> bool:
    """A 409 that is about the key (an earlier try still running), not about the slot."""
    if answer.status_code != 409:
        return False
    detail = answer.json().get("detail", "")
    return "Idempotency-Key" in detail


class BookingLoad:
    """`threads` clients booking until `stop()`; each key retried until a final answer."""

    def __init__(
        self,
        gateway_url: str,
        clients: list[Person],
        services: list[str],
        hours: list[datetime],
        client_timeout: float = 8.0,
        give_up_after: float = 120.0,
        seed: int = 10,
        pause: float = 0.3,
    ):
        """`pause` after each final answer bounds the rate, so the hours on offer outlast the
        run on a fast machine: a full calendar would leave nothing more to book."""
        self.gateway_url = gateway_url
        self.clients = clients
        self.services = services
        self.hours = hours
        self.client_timeout = client_timeout
        self.give_up_after = give_up_after
        self.rng = random.Random(seed)
        self.pause = pause
        self.taken: set[tuple[str, str]] = set()
        self.attempts: list[Attempt] = []
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for client in self.clients:
            thread = threading.Thread(target=self._run, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 180.0) -> None:
        """No new bookings; wait for every key under way to reach its final answer."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        assert not any(t.is_alive() for t in self._threads), "a client never got its answer"

    def answered(self) -> int:
        with self.lock:
            return sum(1 for attempt in self.attempts if attempt.final == 201)

    def unanswered_tries(self) -> int:
        """Tries that got no final answer (the fault was felt by the clients)."""
        with self.lock:
            return sum(
                1 for a in self.attempts for answer in a.answers if answer not in ("201", "409")
            )

    def summary(self) -> str:
        with self.lock:
            seen = Counter(answer for a in self.attempts for answer in a.answers)
        return f"{len(self.attempts)} keys, answers {dict(seen)}"

    def wait_answered(self, more: int, what: str, timeout: float = 90.0) -> None:
        """Until `more` further keys got their 201, or fail with what the clients saw."""
        target = self.answered() + more
        deadline = time.monotonic() + timeout
        while self.answered() < target:
            assert time.monotonic() < deadline, f"{what}: {self.summary()}"
            time.sleep(0.2)

    def _run(self, client: Person) -> None:
        api = ApiClient(self.gateway_url)
        while not self._stop.is_set():
            with self.lock:
                body = self._free_slot()
                if body is not None:
                    attempt = Attempt(uuid.uuid4().hex, body, client)
                    self.attempts.append(attempt)
            if body is None:  # everything on offer is taken: nothing left to ask for
                time.sleep(0.2)
                continue
            self.book(api, attempt)
            if attempt.final in (201, 409):
                with self.lock:
                    self.taken.add((body["service_id"], body["start"]))
            self._stop.wait(self.pause)

    def _free_slot(self) -> dict | None:
        """A service and hour no answer has shown taken yet (others may be booking it now)."""
        for _ in range(50):
            body = {
                "service_id": self.rng.choice(self.services),
                "start": self.rng.choice(self.hours).isoformat(),
            }
            if (body["service_id"], body["start"]) not in self.taken:
                return body
        return None

    def book(self, api: ApiClient, attempt: Attempt) -> None:
        """Send the booking until a final answer, the same key and body every time."""
        deadline = time.monotonic() + self.give_up_after
        while time.monotonic() < deadline:
            try:
                answer = api.post(
                    "/v1/bookings",
                    token=attempt.client.token,
                    json=attempt.body,
                    headers={"Idempotency-Key": attempt.key},
                    timeout=self.client_timeout,
                )
            except requests.RequestException as error:
                attempt.answers.append(type(error).__name__)
                time.sleep(0.5)
                continue
            attempt.answers.append(str(answer.status_code))
            if answer.status_code in RETRYABLE or _in_progress(answer):
                time.sleep(0.5)
                continue
            attempt.final = answer.status_code
            if answer.status_code == 201:
                attempt.booking_id = answer.json()["id"]
                attempt.ids_seen.add(attempt.booking_id)
            return
        attempt.answers.append("gave up")


def every_page(api: ApiClient, path: str, token: str, **params) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        query = {**params, "limit": 100, **({"cursor": cursor} if cursor else {})}
        answer = api.get(path, token=token, params=query)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return items
