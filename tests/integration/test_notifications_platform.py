"""Notifications on the shared platform: real services, broker and SMTP sink (.eml files).

A booking's whole life through the gateway is in `test_notifications_booking_life.py` (it
needs to move the clock). Here, to deliver one event twice, booking's event is published
with kombu on `booking.events`, its payload checked against booking's `EMITTED_EVENTS`
schema first; the listing naming the service is published the same way on `profiles.events`,
shaped as profiles' `listing_payload`.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from kombu import Connection, Exchange
from loconomics_booking.schemas import EMITTED_EVENTS as BOOKING_EVENTS
from platform_client import ApiClient, Person
from polling import wait_for
from sink_mail import mail_to

pytestmark = pytest.mark.integration

ZONE = "America/Los_Angeles"
START = datetime(2031, 3, 11, 17, 0, tzinfo=UTC)  # 10:00 in Los Angeles (PDT)


def wait_for_mail(platform, address: str, count: int) -> list[EmailMessage]:
    return wait_for(
        lambda: (found := mail_to(platform, address)) and len(found) >= count and found,
        f"{count} email(s) to {address}",
    )


def wait_for_subject(platform, address: str, subject: str) -> EmailMessage:
    return wait_for(
        lambda: next((m for m in mail_to(platform, address) if m["Subject"] == subject), None),
        f"{subject!r} to {address}",
    )


def publish(platform, source: str, event_type: str, payload: dict) -> None:
    exchange = Exchange(f"{source}.events", type="topic", durable=True)
    with Connection(platform.amqp_uri) as connection:
        connection.Producer(serializer="json").publish(
            payload,
            exchange=exchange,
            routing_key=event_type,
            declare=[exchange],
            delivery_mode=2,
            retry=True,
        )


def calendar_of(message: EmailMessage) -> str | None:
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            return part.get_content()
    return None


class Booking:
    """One booking's events, written as booking's `event_payload` writes them."""

    def __init__(self, client: Person, professional: Person, service_id: str):
        self.id = uuid.uuid4().hex
        self.client, self.professional, self.service_id = client, professional, service_id
        self.start = START
        self.clock = datetime.now(UTC)

    def event(self, event_type: str, status: str, **extra) -> dict:
        self.clock += timedelta(seconds=1)
        payload = {
            "event_id": uuid.uuid4().hex,
            "occurred_at": self.clock.isoformat(),
            "booking_id": self.id,
            "client_id": self.client.account_id,
            "professional_id": self.professional.account_id,
            "service_id": self.service_id,
            "listing_id": "listing-" + self.service_id,
            "status": status,
            "start": self.start.isoformat(),
            "end": (self.start + timedelta(hours=1)).isoformat(),
            "time_zone": ZONE,
            "price": {"amount_cents": 8500, "currency": "USD"},
            "policy": "moderate",
            "instant": False,
            "created_by": "client",
            **extra,
        }
        assert BOOKING_EVENTS[event_type]().validate(payload) == {}, event_type
        return payload


def closing_client(base_url: str) -> ApiClient:
    """A client that opens a connection per request: gunicorn drops an idle keep-alive
    connection after 2 s, and a request racing that drop is reset, whatever the service does."""
    client = ApiClient(base_url)
    client.http.headers["Connection"] = "close"
    return client


@pytest.fixture
def api(platform) -> ApiClient:
    return closing_client(platform.gateway_url)


@pytest.fixture
def parties(platform, api) -> tuple[Person, Person, str]:
    """A French-speaking client, an English-speaking professional, and a listed service."""
    client = api.sign_up(roles=["client"], name="Chloé Martin", language="fr")
    professional = api.sign_up(roles=["professional"], name="Pat Rivera", language="en")
    service_id = uuid.uuid4().hex
    publish(
        platform,
        "profiles",
        "listing_published",
        {
            "event_id": uuid.uuid4().hex,
            "occurred_at": datetime.now(UTC).isoformat(),
            "listing_id": "listing-" + service_id,
            "professional_id": professional.account_id,
            "job_title_id": "hairdresser",
            "status": "on",
            "cancellation_policy": "moderate",
            "instant_booking": False,
            "version": 1,
            "services": [{"service_id": service_id, "name": "Haircut", "duration_minutes": 60}],
        },
    )
    wait_for_mail(platform, client.email, 1)
    wait_for_mail(platform, professional.email, 1)
    return client, professional, service_id


def test_the_welcome_email_speaks_the_accounts_language(platform, api):
    french = api.sign_up(name="Léa Dubois", language="fr")
    english = api.sign_up(name="Sam Lee", language="en")
    bienvenue = wait_for_subject(platform, french.email, "Bienvenue chez Loconomics, Léa Dubois")
    welcome = wait_for_subject(platform, english.email, "Welcome to Loconomics, Sam Lee")
    assert bienvenue["Content-Language"] == "fr"
    assert str(bienvenue["To"]) == f"Léa Dubois <{french.email}>"
    assert "Bonjour Léa Dubois" in bienvenue.get_body(("plain",)).get_content()
    assert welcome["Content-Language"] == "en"

    inbox = api.get("/v1/me/notifications", token=french.token).json()
    assert [(n["kind"], n["title"], n["read_at"]) for n in inbox["items"]] == [
        ("welcome", "Bienvenue chez Loconomics, Léa Dubois", None)
    ]
    assert inbox["unread_count"] == 1
    read = api.post(f"/v1/me/notifications/{inbox['items'][0]['id']}/read", token=french.token)
    assert read.status_code == 200 and read.json()["read_at"]
    unread = api.get("/v1/me/notifications/unread-count", token=french.token).json()
    assert unread == {"unread_count": 0}
    other = api.post(f"/v1/me/notifications/{inbox['items'][0]['id']}/read", token=english.token)
    assert other.status_code == 404


def test_transactional_emails_cannot_be_switched_off_but_others_can(platform, api):
    person = api.sign_up(name="Choosy Member")
    refused = api.put(
        "/v1/me/notification-preferences",
        json={"booking": {"email": False}, "messages": {"email": False}},
        token=person.token,
    )
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"booking.email"}
    chosen = api.put(
        "/v1/me/notification-preferences",
        json={"messages": {"email": False}},
        token=person.token,
    )
    assert chosen.status_code == 200, chosen.text
    again = api.get("/v1/me/notification-preferences", token=person.token).json()
    assert again["preferences"]["messages"] == {"email": False, "in_app": True}
    assert "booking.email" in again["locked"]


def test_an_event_delivered_twice_gives_one_email(platform, parties, api):
    client, professional, service_id = parties
    twice = Booking(client, professional, service_id)
    confirmed = twice.event("booking_confirmed", "confirmed")
    publish(platform, "booking", "booking_confirmed", confirmed)
    publish(platform, "booking", "booking_confirmed", confirmed)
    later = Booking(client, professional, service_id)
    publish(platform, "booking", "booking_confirmed", later.event("booking_confirmed", "confirmed"))
    wait_for(lambda: _about(platform, client, later), "the later booking's email")
    time.sleep(3)  # more delivery ticks than it takes to send a second copy
    assert len(_about(platform, client, twice)) == 1
    assert len(_about(platform, professional, twice)) == 1
    inbox = api.get("/v1/me/notifications", token=client.token).json()["items"]
    assert sum(1 for n in inbox if n["refs"].get("booking_id") == twice.id) == 1


def _about(platform, person: Person, booking: Booking) -> list[EmailMessage]:
    return [m for m in mail_to(platform, person.email) if booking.id in (calendar_of(m) or "")]


def test_a_conversation_is_for_its_two_members_only(platform, api, parties):
    client, professional, _ = parties
    stranger = api.sign_up(roles=["client", "professional"], name="Nosy Neighbour")
    started = api.post(
        "/v1/conversations",
        json={"to": professional.account_id, "subject": "Parking", "body": "Where can I park?"},
        token=client.token,
    )
    assert started.status_code == 201, started.text
    conversation_id = started.json()["conversation"]["id"]

    for answer in (
        api.get(f"/v1/conversations/{conversation_id}", token=stranger.token),
        api.post(
            f"/v1/conversations/{conversation_id}/messages",
            json={"body": "hello"},
            token=stranger.token,
        ),
        api.post(f"/v1/conversations/{conversation_id}/read", token=stranger.token),
    ):
        assert answer.status_code == 404
        assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert api.get("/v1/conversations", token=stranger.token).json()["items"] == []

    seen = api.get(f"/v1/conversations/{conversation_id}", token=professional.token).json()
    assert seen["conversation"]["other_party"] == {
        "account_id": client.account_id,
        "name": "Chloé Martin",
    }
    assert [m["body"] for m in seen["messages"]["items"]] == ["Where can I park?"]
    notice = wait_for_subject(
        platform, professional.email, "New message from Chloé Martin: Parking"
    )
    assert "Where can I park?" in notice.get_body(("plain",)).get_content()

    reply = api.post(
        f"/v1/conversations/{conversation_id}/messages",
        json={"body": "Behind the shop."},
        token=professional.token,
    )
    assert reply.status_code == 201, reply.text
    mine = api.get("/v1/conversations", token=client.token).json()["items"]
    assert [(c["id"], c["unread_count"]) for c in mine] == [(conversation_id, 1)]
    wait_for_subject(platform, client.email, "Nouveau message de Pat Rivera : Parking")
    read = api.post(f"/v1/conversations/{conversation_id}/read", token=client.token)
    assert read.json()["unread_count"] == 0


def test_only_operators_see_the_dead_letters(api, admin):
    person = api.sign_up(name="Curious Member")
    assert api.get("/v1/admin/email-dead-letters", token=person.token).status_code == 403
    listed = api.get("/v1/admin/email-dead-letters", token=admin.token)
    assert listed.status_code == 200, listed.text
    assert set(listed.json()) == {"items", "next_cursor"}
