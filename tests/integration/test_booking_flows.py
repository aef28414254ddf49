"""Booking end to end through the gateway on a real platform: schedules and slots (across
daylight saving), the booking lifecycle with its timers, cancellation policies, and calendar sync.

The platform is this module's own, so booking's timers can tick every second and its
calendar import may read a feed served on 127.0.0.1. One test opens a listing through
profiles' own routes, the whole chain of events included. The others get their bookable
services by publishing profiles-shaped `listing_published` events on the `profiles.events`
exchange, each payload checked first against profiles' own event schema (the producer's
contract): quicker, and free to pick any policy or instant booking, which profiles grants
only to active owners (billing's memberships). Time moves with the platform's clock file.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from icalendar import Calendar
from kombu import Connection, Exchange, Queue
from listing_events import publish_listing
from local_platform import Platform
from loconomics_plumbing.clock import move_clock
from platform_client import ApiClient, Person

pytestmark = pytest.mark.integration

ALL_WEEK = {
    day: [{"start": "00:00", "end": "24:00"}]
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
PRICE = 10_000
SOON = 20.0


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A platform whose booking timers tick every second, on the test broker node."""
    var: Path = tmp_path_factory.mktemp("booking-flows")
    amqp_port = int(os.environ.get("TEST_AMQP_PORT", "5673"))
    extra_env = {
        "LOCONOMICS_ACCESS_TOKEN_SECONDS": str(40 * 24 * 3600),
        "BOOKING_DUE_WORK_SECONDS": "1",
        "BOOKING_CALENDAR_IMPORT_SECONDS": "1",
        "BOOKING_CALENDAR_ALLOW_INTERNAL": "true",
    }
    vhost = f"test-booking-{uuid.uuid4().hex[:8]}"
    with Platform.isolated(var, amqp_port, vhost, extra_env).running() as platform:
        yield platform


@pytest.fixture(scope="module")
def gw(site) -> ApiClient:
    return ApiClient(site.gateway_url)


class EventWatch:
    """Every event booking publishes, read from a queue bound to `booking.events`."""

    def __init__(self, amqp_uri: str):
        self.connection = Connection(amqp_uri)
        exchange = Exchange("booking.events", type="topic", durable=True)
        self.queue = Queue(
            f"test-booking-watch-{uuid.uuid4().hex[:6]}",
            exchange=exchange,
            routing_key="#",
            auto_delete=True,
        )(self.connection.default_channel)
        self.queue.declare()
        self.seen: list[tuple[str, dict]] = []

    def wait_for(self, event_type: str, booking_id: str, timeout: float = SOON) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for kind, payload in self.seen:
                if kind == event_type and payload.get("booking_id") == booking_id:
                    return payload
            if time.monotonic() > deadline:
                raise AssertionError(f"no {event_type} for {booking_id}")
            message = self.queue.get(no_ack=True)
            if message is None:
                time.sleep(0.1)
                continue
            self.seen.append((message.delivery_info["routing_key"], json.loads(message.body)))

    def count(self, event_type: str, booking_id: str) -> int:
        while (message := self.queue.get(no_ack=True)) is not None:
            self.seen.append((message.delivery_info["routing_key"], json.loads(message.body)))
        return sum(
            1 for kind, p in self.seen if kind == event_type and p.get("booking_id") == booking_id
        )


@pytest.fixture(scope="module")
def events(site):
    watch = EventWatch(site.amqp_uri)
    yield watch
    watch.connection.release()


def clock_offset(site: Platform) -> timedelta:
    path = Path(site.env()["LOCONOMICS_CLOCK_FILE"])
    text = path.read_text().strip() if path.exists() else ""
    return timedelta(seconds=float(text or 0))


def now_on(site: Platform) -> datetime:
    """The platform's time: real time plus the offset in its clock file."""
    return datetime.now(UTC) + clock_offset(site)


@pytest.fixture
def travel(site):
    """Move every process of the platform further into the future; back to real time after.

    Back, because the gateway's token check refuses a token issued "in the future" of
    real time (PyJWT checks `iat` against the wall clock), so people sign up at offset 0.
    """
    clock_file = site.env()["LOCONOMICS_CLOCK_FILE"]

    def advance(by: timedelta) -> None:
        move_clock(clock_file, clock_offset(site) + by)

    yield advance
    move_clock(clock_file, timedelta(0))


def next_hour(site: Platform, hours: float) -> datetime:
    """A whole hour about `hours` from the platform's now."""
    return (now_on(site) + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


def wait_until(check, timeout: float = SOON, every: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"not reached in {timeout}s; last {last!r}")


def open_shop(
    site: Platform,
    gw: ApiClient,
    *,
    time_zone: str = "UTC",
    weekly: dict | None = None,
    increment: int = 15,
    buffer: int = 0,
    **listing,
) -> tuple[Person, str]:
    """A professional with a schedule and one bookable service, as booking knows it."""
    professional = gw.sign_up(roles=["professional"], name="Pat Pro")
    schedule = gw.put(
        "/v1/me/schedule",
        token=professional.token,
        json={
            "time_zone": time_zone,
            "weekly": weekly or ALL_WEEK,
            "slot_increment_minutes": increment,
            "buffer_minutes": buffer,
        },
    )
    assert schedule.status_code == 200, schedule.text
    service_id = publish_listing(
        site, professional, name="Deep tissue massage", price=PRICE, **listing
    )
    probe = next_hour(site, 30).isoformat()
    wait_until(
        lambda: (
            gw.get(
                f"/v1/services/{service_id}/cancellation-terms", params={"start": probe}
            ).status_code
            == 200
        )
    )
    return professional, service_id


def as_json(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [as_json(item) for item in value]
    return value


def book(gw: ApiClient, person: Person, service_id: str, expect: int = 201, **body) -> dict:
    answer = gw.post(
        "/v1/bookings",
        token=person.token,
        json={"service_id": service_id, **{k: as_json(v) for k, v in body.items()}},
    )
    assert answer.status_code == expect, answer.text
    return answer.json()


def act(gw: ApiClient, person: Person, booking_id: str, action: str, expect=200, **body):
    answer = gw.post(f"/v1/bookings/{booking_id}/{action}", token=person.token, json=body)
    assert answer.status_code == expect, answer.text
    return answer.json()


def status_of(gw: ApiClient, person: Person, booking_id: str) -> str:
    answer = gw.get(f"/v1/bookings/{booking_id}", token=person.token)
    assert answer.status_code == 200, answer.text
    return answer.json()["status"]


def slots(gw: ApiClient, professional: Person, service_id: str, start, end) -> list[datetime]:
    answer = gw.get(
        f"/v1/professionals/{professional.account_id}/slots",
        params={"service_id": service_id, "from": start.isoformat(), "to": end.isoformat()},
    )
    assert answer.status_code == 200, answer.text
    return [datetime.fromisoformat(item) for item in answer.json()["items"]]


# schedules and slots


def transitions(zone: ZoneInfo, after: date) -> tuple[date, date]:
    """The next local dates on which the clocks go forward and back in `zone`."""
    found: dict[str, date] = {}
    day = after
    while len(found) < 2:
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=zone)
        next_noon = noon + timedelta(days=1)
        before, later = noon.utcoffset(), next_noon.astimezone(zone).utcoffset()
        if later != before:
            found.setdefault("forward" if later > before else "back", day + timedelta(days=1))
        day += timedelta(days=1)
    return found["forward"], found["back"]


SPRING = ["00:00", "01:00", "03:00", "04:00", "05:00"]


@pytest.mark.parametrize(
    ("zone_name", "fall"),
    [
        ("America/New_York", ["00:00", "01:00", "01:00", "02:00", "03:00", "04:00", "05:00"]),
        ("Europe/Paris", ["00:00", "01:00", "02:00", "02:00", "03:00", "04:00", "05:00"]),
    ],
)
def test_slots_across_both_daylight_saving_changes(site, gw, zone_name, fall):
    zone = ZoneInfo(zone_name)
    forward, back = transitions(zone, now_on(site).date() + timedelta(days=2))
    nightly = {day: [{"start": "00:00", "end": "06:00"}] for day in ALL_WEEK}
    professional, service_id = open_shop(
        site, gw, time_zone=zone_name, weekly=nightly, increment=60
    )
    for day, expected_local_hours in ((forward, SPRING), (back, fall)):
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        offered = slots(gw, professional, service_id, midnight, midnight + timedelta(days=1))
        local = [start.astimezone(zone).strftime("%H:%M") for start in offered]
        assert local == expected_local_hours, (zone_name, day)
        assert all(b - a == timedelta(hours=1) for a, b in zip(offered, offered[1:], strict=False))
        real_hours = (offered[-1] + timedelta(hours=1) - offered[0]) / timedelta(hours=1)
        assert real_hours == len(expected_local_hours)


def test_schedule_time_off_and_slots(site, gw):
    professional, service_id = open_shop(site, gw)
    schedule = gw.get("/v1/me/schedule", token=professional.token).json()
    assert schedule["weekly"]["sun"] == [{"start": "00:00", "end": "24:00"}]
    day = next_hour(site, 48).replace(hour=0)
    window = (day, day + timedelta(days=1))
    full = slots(gw, professional, service_id, *window)
    assert len(full) == 24 * 4  # every quarter hour: the days join up, so late starts fit
    off = gw.post(
        "/v1/me/time-off",
        token=professional.token,
        json={
            "start": (day + timedelta(hours=9)).isoformat(),
            "end": (day + timedelta(hours=12)).isoformat(),
        },
    )
    assert off.status_code == 201, off.text
    fewer = slots(gw, professional, service_id, *window)
    assert all(not day + timedelta(hours=8) < s < day + timedelta(hours=12) for s in fewer)
    assert len(full) - len(fewer) == 15
    listed = gw.get("/v1/me/time-off", token=professional.token).json()["items"]
    assert [item["id"] for item in listed] == [off.json()["id"]]
    removed = gw.delete(f"/v1/me/time-off/{off.json()['id']}", token=professional.token)
    assert removed.status_code == 204
    assert slots(gw, professional, service_id, *window) == full
    client = gw.sign_up(roles=["client"])
    refused = gw.put(
        "/v1/me/schedule", token=client.token, json={"time_zone": "UTC", "weekly": ALL_WEEK}
    )
    assert refused.status_code == 403
    unknown = gw.get(
        f"/v1/professionals/{client.account_id}/slots",
        params={
            "service_id": service_id,
            "from": window[0].isoformat(),
            "to": window[1].isoformat(),
        },
    )
    assert unknown.status_code == 404


def test_a_listing_turned_on_in_profiles_becomes_bookable(site, gw, events):
    """The whole chain: booking's schedule_changed tells profiles the weekly hours, the
    listing turns on, profiles' listing_published tells booking what can be booked."""
    subprocess.run(
        [sys.executable, "-m", "loconomics_profiles.seed_catalog"],
        env=site.env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    professional = gw.sign_up(roles=["professional"], name="Lee Listed")
    titles = gw.get("/v1/job-titles", token=professional.token, params={"q": "massage"})
    assert titles.status_code == 200, titles.text
    job_title_id = titles.json()["items"][0]["id"]
    bio = gw.patch("/v1/me/profile", token=professional.token, json={"bio": "Twenty years."})
    assert bio.status_code == 200, bio.text
    schedule = gw.put(
        "/v1/me/schedule", token=professional.token, json={"time_zone": "UTC", "weekly": ALL_WEEK}
    )
    assert schedule.status_code == 200, schedule.text
    listing = gw.post(
        "/v1/me/listings", token=professional.token, json={"job_title_id": job_title_id}
    )
    assert listing.status_code == 201, listing.text
    listing_id = listing.json()["id"]
    service = gw.post(
        f"/v1/me/listings/{listing_id}/services",
        token=professional.token,
        json={
            "name": "Sports massage",
            "pricing_type": "service",
            "price": {"amount_cents": 7_000, "currency": "USD"},
            "duration_minutes": 90,
        },
    )
    assert service.status_code == 201, service.text
    service_id = service.json()["id"]
    area = gw.put(
        f"/v1/me/listings/{listing_id}/service-area",
        token=professional.token,
        json={"lat": 37.77, "lng": -122.42, "radius_km": 10},
    )
    assert area.status_code == 200, area.text
    wait_until(
        lambda: (
            gw.patch(
                f"/v1/me/listings/{listing_id}", token=professional.token, json={"status": "on"}
            ).status_code
            == 200
        )
    )
    probe = next_hour(site, 30)
    terms = wait_until(
        lambda: (
            (
                answer := gw.get(
                    f"/v1/services/{service_id}/cancellation-terms",
                    params={"start": probe.isoformat()},
                )
            ).status_code
            == 200
            and answer.json()
        )
    )
    assert terms["policy"] == "flexible"
    assert terms["price"] == {"amount_cents": 7_000, "currency": "USD"}
    client = gw.sign_up(roles=["client"])
    request = book(gw, client, service_id, proposed_starts=[probe])
    assert request["status"] == "requested"
    assert request["listing_id"] == listing_id
    assert datetime.fromisoformat(request["end"]) - probe == timedelta(minutes=90)


# the lifecycle


def test_instant_booking_is_confirmed_and_listed_for_both_sides(site, gw, events):
    professional, service_id = open_shop(site, gw, instant=True, policy="moderate")
    client = gw.sign_up(roles=["client"])
    start = next_hour(site, 30)
    booking = book(gw, client, service_id, start=start)
    assert booking["status"] == "confirmed"
    assert booking["instant"] is True
    assert datetime.fromisoformat(booking["start"]) == start
    assert booking["price"] == {"amount_cents": PRICE, "currency": "USD"}
    confirmed = events.wait_for("booking_confirmed", booking["id"])
    assert confirmed["client_id"] == client.account_id
    mine = gw.get("/v1/bookings", token=client.token, params={"as": "client"}).json()
    assert [item["id"] for item in mine["items"]] == [booking["id"]]
    theirs = gw.get(
        "/v1/bookings",
        token=professional.token,
        params={"as": "professional", "status": "confirmed"},
    ).json()
    assert [item["id"] for item in theirs["items"]] == [booking["id"]]
    stranger = gw.sign_up(roles=["client"])
    assert gw.get(f"/v1/bookings/{booking['id']}", token=stranger.token).status_code == 404
    taken = book(gw, stranger, service_id, expect=409, start=start)
    assert taken["status"] == 409
    own_client = book(
        gw,
        professional,
        service_id,
        start=start + timedelta(hours=3),
        client_id=stranger.account_id,
    )
    assert own_client["status"] == "confirmed"
    assert own_client["created_by"] == "professional"
    assert status_of(gw, stranger, own_client["id"]) == "confirmed"


def test_the_same_idempotency_key_books_once(site, gw):
    _, service_id = open_shop(site, gw, instant=True)
    client = gw.sign_up(roles=["client"])
    body = {"service_id": service_id, "start": next_hour(site, 40).isoformat()}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = gw.post("/v1/bookings", token=client.token, json=body, headers=dict(key))
    again = gw.post("/v1/bookings", token=client.token, json=body, headers=dict(key))
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = {**body, "start": next_hour(site, 42).isoformat()}
    changed = gw.post("/v1/bookings", token=client.token, json=other, headers=dict(key))
    assert changed.status_code == 422
    listed = gw.get("/v1/bookings", token=client.token).json()["items"]
    assert len(listed) == 1


def test_requests_are_confirmed_declined_or_expire_after_72_hours(site, gw, events, travel):
    professional, service_id = open_shop(site, gw, policy="flexible")
    client = gw.sign_up(roles=["client"])
    starts = [next_hour(site, hours) for hours in (100, 102, 104)]
    request = book(gw, client, service_id, proposed_starts=starts)
    assert request["status"] == "requested"
    assert len(request["proposed_starts"]) == 3
    events.wait_for("booking_requested", request["id"])
    four = [*starts, next_hour(site, 106)]
    assert book(gw, client, service_id, expect=422, proposed_starts=four)["status"] == 422
    confirmed = act(gw, professional, request["id"], "confirm", start=starts[1].isoformat())
    assert confirmed["status"] == "confirmed"
    assert datetime.fromisoformat(confirmed["start"]) == starts[1]
    offered = slots(gw, professional, service_id, starts[0], starts[2])
    assert starts[1] not in offered and starts[0] in offered

    declined_request = book(gw, client, service_id, proposed_starts=[starts[0]])
    declined = act(gw, professional, declined_request["id"], "decline", reason="Away")
    assert declined["status"] == "declined"
    assert declined["settlement"]["refund"]["amount_cents"] == PRICE
    act(gw, client, declined_request["id"], "cancel", expect=409)

    waiting = book(gw, client, service_id, proposed_starts=[starts[2]])
    assert datetime.fromisoformat(waiting["expires_at"]) <= now_on(site) + timedelta(hours=72)
    travel(timedelta(hours=73))
    wait_until(lambda: status_of(gw, client, waiting["id"]) == "expired")
    expired = events.wait_for("booking_expired", waiting["id"])
    assert expired["refund_cents"] == PRICE and expired["fee_cents"] == 0
    assert status_of(gw, client, request["id"]) == "confirmed"
    act(gw, professional, waiting["id"], "confirm", expect=409, start=starts[2].isoformat())


def test_reminder_performed_completion_and_review_request_follow_the_clock(
    site, gw, events, travel
):
    professional, service_id = open_shop(site, gw, instant=True)
    client = gw.sign_up(roles=["client"])
    start = next_hour(site, 24 * 4)
    booking = book(gw, client, service_id, start=start)
    travel(start - timedelta(hours=47) - now_on(site))
    reminder = events.wait_for("booking_reminder_due", booking["id"])
    assert datetime.fromisoformat(reminder["start"]) == start
    assert status_of(gw, client, booking["id"]) == "confirmed"
    travel(start + timedelta(hours=1, minutes=1) - now_on(site))
    wait_until(lambda: status_of(gw, client, booking["id"]) == "performed")
    events.wait_for("booking_performed", booking["id"])
    travel(start + timedelta(days=7, hours=1, minutes=1) - now_on(site))
    events.wait_for("booking_review_requested", booking["id"])
    assert status_of(gw, client, booking["id"]) == "completed"
    completed = events.wait_for("booking_completed", booking["id"])
    assert completed["completed_by"] == "system"
    assert events.count("booking_reminder_due", booking["id"]) == 1
    assert events.count("booking_review_requested", booking["id"]) == 1


def test_reschedule_by_either_side(site, gw, events):
    professional, service_id = open_shop(site, gw, instant=True, policy="flexible")
    client = gw.sign_up(roles=["client"])
    start = next_hour(site, 72)
    booking = book(gw, client, service_id, start=start)
    moved = act(
        gw, client, booking["id"], "reschedule", start=(start + timedelta(hours=2)).isoformat()
    )
    assert datetime.fromisoformat(moved["start"]) == start + timedelta(hours=2)
    events.wait_for("booking_rescheduled", booking["id"])
    later = start + timedelta(hours=5)
    proposed = act(gw, professional, booking["id"], "reschedule", start=later.isoformat())
    assert datetime.fromisoformat(proposed["pending_reschedule"]["start"]) == later
    act(gw, professional, booking["id"], "reschedule/answer", expect=403, accept=True)
    accepted = act(gw, client, booking["id"], "reschedule/answer", accept=True)
    assert datetime.fromisoformat(accepted["start"]) == later
    assert accepted["pending_reschedule"] is None


@pytest.mark.parametrize(
    ("policy", "fees"),
    [
        ("flexible", {200: 0, 48: 0, 10: 5_000}),
        ("moderate", {200: 0, 48: 0, 10: 10_000}),
        ("strict", {200: 5_000, 48: 10_000, 10: 10_000}),
    ],
)
def test_cancellation_fees_follow_each_policy(site, gw, events, policy, fees):
    professional, service_id = open_shop(site, gw, instant=True, policy=policy)
    client = gw.sign_up(roles=["client"])
    for hours_ahead, fee in fees.items():
        start = next_hour(site, hours_ahead)
        terms = gw.get(
            f"/v1/services/{service_id}/cancellation-terms", params={"start": start.isoformat()}
        ).json()
        assert terms["policy"] == policy
        booking = book(gw, client, service_id, start=start)
        quote = gw.get(f"/v1/bookings/{booking['id']}/cancellation-quote", token=client.token)
        assert quote.json()["fee"]["amount_cents"] == fee
        cancelled = act(gw, client, booking["id"], "cancel", reason="Plans changed")
        assert cancelled["status"] == "cancelled"
        assert cancelled["settlement"]["fee"]["amount_cents"] == fee
        assert cancelled["settlement"]["refund"]["amount_cents"] == PRICE - fee
        event = events.wait_for("booking_cancelled", booking["id"])
        assert (event["fee_cents"], event["refund_cents"]) == (fee, PRICE - fee)
        assert event["cancelled_by"] == "client"
    late = book(gw, client, service_id, start=next_hour(site, 10))
    by_professional = act(gw, professional, late["id"], "cancel")
    assert by_professional["settlement"]["fee"]["amount_cents"] == 0


# calendar sync


def test_the_export_feed_lists_bookings_and_time_off_and_its_token_can_be_reset(site, gw):
    professional, service_id = open_shop(site, gw, instant=True)
    client = gw.sign_up(roles=["client"])
    start = next_hour(site, 50)
    booking = book(gw, client, service_id, start=start)
    off_start = next_hour(site, 80)
    gw.post(
        "/v1/me/time-off",
        token=professional.token,
        json={"start": off_start.isoformat(), "end": (off_start + timedelta(hours=2)).isoformat()},
    )
    settings = gw.get("/v1/me/calendar", token=professional.token).json()
    feed_url = settings["export_url"]
    assert feed_url.startswith(f"{site.gateway_url}/v1/calendars/") and feed_url.endswith(".ics")
    feed = requests.get(feed_url, timeout=10)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    found = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    entry = found[f"booking-{booking['id']}@loconomics"]
    assert entry.decoded("DTSTART") == start
    assert entry.decoded("DTEND") == start + timedelta(hours=1)
    assert any(uid.startswith("time-off-") for uid in found)
    reset = gw.post("/v1/me/calendar/reset", token=professional.token).json()
    assert reset["export_url"] != feed_url
    assert requests.get(feed_url, timeout=10).status_code == 404
    assert requests.get(reset["export_url"], timeout=10).status_code == 200


class FeedServer:
    """A calendar on 127.0.0.1, as a professional's Google or Apple calendar would serve it."""

    def __init__(self, folder: Path):
        handler = functools.partial(QuietHandler, directory=str(folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/calendar.ics"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        return None


def ical_event(start: datetime, end: datetime) -> bytes:
    stamp = "%Y%m%dT%H%M%SZ"
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Someone//Their calendar//EN\r\n"
        "BEGIN:VEVENT\r\nUID:dentist-1@example.org\r\n"
        f"DTSTAMP:{start.strftime(stamp)}\r\nDTSTART:{start.strftime(stamp)}\r\n"
        f"DTEND:{end.strftime(stamp)}\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_an_imported_calendar_is_busy_time_and_a_malformed_one_changes_nothing(
    site, gw, tmp_path, travel
):
    professional, service_id = open_shop(site, gw)
    busy_start = next_hour(site, 60)
    window = (busy_start - timedelta(hours=3), busy_start + timedelta(hours=4))
    before = slots(gw, professional, service_id, *window)
    (tmp_path / "calendar.ics").write_bytes(ical_event(busy_start, busy_start + timedelta(hours=1)))
    feed = FeedServer(tmp_path)
    try:
        linked = gw.put("/v1/me/calendar", token=professional.token, json={"import_url": feed.url})
        assert linked.status_code == 200, linked.text
        assert linked.json()["import_status"] == "pending"
        calendar_of = functools.partial(gw.get, "/v1/me/calendar", token=professional.token)
        wait_until(lambda: calendar_of().json()["import_status"] == "ok")
        busy = slots(gw, professional, service_id, *window)
        assert set(before) - set(busy) == {
            busy_start + timedelta(minutes=minutes) for minutes in range(-45, 60, 15)
        }
        assert set(busy) < set(before)

        (tmp_path / "calendar.ics").write_bytes(b"BEGIN:VCALENDAR\r\nthis is not iCalendar")
        travel(timedelta(minutes=16))
        failing = wait_until(
            lambda: (body := calendar_of().json())["import_status"] == "failing" and body
        )
        assert failing["import_error"]
        assert failing["import_url"] == feed.url
        assert slots(gw, professional, service_id, *window) == busy
    finally:
        feed.stop()
