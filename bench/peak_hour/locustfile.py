"""The peak hour: clients searching, reading slots, booking, and the odd other read.

Run by `bench/peak_hour.py`, which seeds the platform and writes what it made to the JSON
file named by PEAK_HOUR_SEED: professionals (account, service, listing) and clients (tokens).
The mix: 80% search and slots, 15% bookings, 5% everything else (a public profile, the inbox,
one's own bookings, the plans). A booking whose hour someone else took first (409) is an
answer the app expects, not an error.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from datetime import UTC, datetime, timedelta

from locust import HttpUser, between, task

SEED = json.loads(open(os.environ["PEAK_HOUR_SEED"]).read())  # noqa: SIM115
PROS = SEED["professionals"]
CLIENTS = itertools.cycle(SEED["clients"])
CENTRE = SEED["centre"]
JOB_TITLE = SEED["job_title"]
DAY = timedelta(days=1)


def _hour(rng: random.Random, days_ahead: int = 30) -> datetime:
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + 2 * DAY
    return base + timedelta(days=rng.randrange(days_ahead), hours=rng.randrange(8, 16))


class Client(HttpUser):
    """One person on the app: signed in, looking for a cleaner, sometimes booking one."""

    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.rng = random.Random()
        client = next(CLIENTS)
        self.auth = {"Authorization": f"Bearer {client['token']}", "Connection": "close"}

    # 80%: search and slots

    @task(40)
    def search(self) -> None:
        params = {
            "job_title": JOB_TITLE,
            "lat": CENTRE[0] + self.rng.uniform(-0.05, 0.05),
            "lng": CENTRE[1] + self.rng.uniform(-0.05, 0.05),
            "radius_km": 25,
        }
        if self.rng.random() < 0.3:
            start = _hour(self.rng, 7)
            params["available_from"] = start.isoformat()
            params["available_to"] = (start + 4 * DAY).isoformat()
        self.client.get("/v1/search", params=params, headers=self.auth, name="/v1/search")

    @task(40)
    def slots(self) -> None:
        pro = self.rng.choice(PROS)
        start = _hour(self.rng, 21).replace(hour=0)
        self.client.get(
            f"/v1/professionals/{pro['id']}/slots",
            params={
                "service_id": pro["service_id"],
                "from": start.isoformat(),
                "to": (start + 7 * DAY).isoformat(),
            },
            headers=self.auth,
            name="/v1/professionals/[id]/slots",
        )

    # 15%: bookings

    @task(15)
    def book(self) -> None:
        pro = self.rng.choice(PROS)
        body = {"service_id": pro["service_id"], "proposed_starts": [_hour(self.rng).isoformat()]}
        headers = {**self.auth, "Idempotency-Key": uuid.uuid4().hex}
        with self.client.post(
            "/v1/bookings", json=body, headers=headers, name="/v1/bookings", catch_response=True
        ) as answer:
            if answer.status_code in (201, 409):
                answer.success()
            else:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")

    # 5%: everything else

    @task(2)
    def profile(self) -> None:
        pro = self.rng.choice(PROS)
        self.client.get(
            f"/v1/professionals/{pro['id']}", headers=self.auth, name="/v1/professionals/[id]"
        )

    @task(1)
    def inbox(self) -> None:
        self.client.get("/v1/me/notifications", headers=self.auth, name="/v1/me/notifications")

    @task(1)
    def my_bookings(self) -> None:
        self.client.get(
            "/v1/bookings", params={"as": "client"}, headers=self.auth, name="/v1/bookings (mine)"
        )

    @task(1)
    def plans(self) -> None:
        self.client.get("/v1/plans", headers=self.auth, name="/v1/plans")
