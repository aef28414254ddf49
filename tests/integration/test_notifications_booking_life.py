"""A booking's whole life through the real gateway, and the emails it sends (SMTP sink).

A platform of its own (module scope), so booking's timers tick every second and the clock can
jump days ahead without touching the shared one. Everything is real: the professional opens a
listing with profiles' routes (its `listing_published` names the service in emails), sets
hours with booking's routes (its `schedule_changed` gives their zone), and both sides book,
confirm, move, cancel through booking's routes; reminders, completion and review requests
come from booking's own timers as the clock moves.

Billing reacts to bookings nobody paid for (no card in these tests) with
`booking_payment_failed`, which notifications also mails to the client; those emails are left
out of the lists compared here.
"""

from __future__ import annotations

import email
import os
import time
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from local_platform import Platform
from loconomics_plumbing.clock import move_clock
from platform_client import ApiClient, Person
from polling import wait_for

pytestmark = pytest.mark.integration

ZONE = ZoneInfo("America/Los_Angeles")
ALL_WEEK = {
    day: [{"start": "00:00", "end": "24:00"}]
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
HAIRCUT = {
    "name": "Haircut",
    "pricing_type": "service",
    "duration_minutes": 60,
    "price": {"amount_cents": 8500, "currency": "USD"},
}
PAYMENT_FAILED = ("Échec du paiement", "Payment failed")
SIGNED_UP = ("Welcome to", "Bienvenue", "Confirm your email address", "Confirmez votre adresse")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    var: Path = tmp_path_factory.mktemp("notifications-life")
    amqp_port = int(os.environ.get("TEST_AMQP_PORT", "5673"))
    extra_env = {
        "LOCONOMICS_ACCESS_TOKEN_SECONDS": str(40 * 24 * 3600),
        "BOOKING_DUE_WORK_SECONDS": "1",
        "NOTIFICATIONS_DELIVERY_INTERVAL_SECONDS": "0.5",
        "GATEWAY_RPC_TIMEOUT_SECONDS": "10",
    }
    with Platform.isolated(var, amqp_port, extra_env=extra_env).running() as platform:
        yield platform


@pytest.fixture(scope="module")
def gw(site) -> ApiClient:
    return ApiClient(site.gateway_url)


def offset(site: Platform) -> timedelta:
    path = Path(site.env()["LOCONOMICS_CLOCK_FILE"])
    text = path.read_text().strip() if path.exists() else ""
    return timedelta(seconds=float(text or 0))


def now_on(site: Platform) -> datetime:
    return datetime.now(UTC) + offset(site)


@pytest.fixture
def travel(site):
    """Move every process to a moment; back to real time after (people sign up at offset 0,
    the token check refuses tokens issued in the future of the wall clock)."""
    clock_file = site.env()["LOCONOMICS_CLOCK_FILE"]

    def to(moment: datetime) -> None:
        move_clock(clock_file, offset(site) + (moment - now_on(site)))

    yield to
    move_clock(clock_file, timedelta(0))


def mail_to(site: Platform, person: Person) -> list[EmailMessage]:
    found = []
    for path in sorted(site.maildir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if person.email in message["X-Envelope-To"]:
            found.append(message)
    return found


def expect_mail(site: Platform, person: Person, subject: str) -> EmailMessage:
    return wait_for(
        lambda: next((m for m in mail_to(site, person) if m["Subject"] == subject), None),
        f"{subject!r} to {person.email}",
    )


def about_bookings(site: Platform, person: Person) -> list[str]:
    """Subjects of what `person` received after signing up (the welcome and the link that
    confirms the address), payment notices left out."""
    return [
        m["Subject"]
        for m in mail_to(site, person)
        if not m["Subject"].startswith((*PAYMENT_FAILED, *SIGNED_UP))
    ]


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def calendar_of(message: EmailMessage) -> str | None:
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            return part.get_content()
    return None


def open_shop(gw: ApiClient) -> tuple[Person, str]:
    """A professional in Los Angeles with a listed, bookable Haircut (flexible cancellation,
    the policy of members not yet owners); returns the service id."""
    pro = gw.sign_up(roles=["professional"], name="Pat Rivera", language="en")
    assert gw.patch("/v1/me/profile", token=pro.token, json={"bio": "Cuts."}).status_code == 200
    title = gw.get("/v1/job-titles", params={"q": "hairdresser"}).json()["items"][0]
    listing = gw.post(
        "/v1/me/listings",
        token=pro.token,
        json={"job_title_id": title["id"]},
    )
    assert listing.status_code == 201, listing.text
    listing_id = listing.json()["id"]
    service = gw.post(f"/v1/me/listings/{listing_id}/services", token=pro.token, json=HAIRCUT)
    assert service.status_code == 201, service.text
    area = gw.put(
        f"/v1/me/listings/{listing_id}/service-area",
        token=pro.token,
        json={"lat": 34.05, "lng": -118.24, "radius_km": 15},
    )
    assert area.status_code == 200, area.text
    hours = gw.put(
        "/v1/me/schedule",
        token=pro.token,
        json={"time_zone": ZONE.key, "weekly": ALL_WEEK, "slot_increment_minutes": 30},
    )
    assert hours.status_code == 200, hours.text

    def turned_on():
        answer = gw.patch(f"/v1/me/listings/{listing_id}", token=pro.token, json={"status": "on"})
        return answer.status_code == 200

    wait_for(turned_on, "the listing's checklist (booking's schedule_changed)")
    service_id = service.json()["id"]
    probe = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    wait_for(
        lambda: (
            gw.get(
                f"/v1/services/{service_id}/cancellation-terms", params={"start": probe.isoformat()}
            ).status_code
            == 200
        ),
        "booking to learn the listing",
    )
    return pro, service_id


def at_hour(hours_ahead: int) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours_ahead)).replace(
        minute=0, second=0, microsecond=0
    )


def in_los_angeles(days_ahead: int, hour: int) -> datetime:
    """`hour` o'clock in Los Angeles, `days_ahead` days from today there (as UTC)."""
    day = (datetime.now(ZONE) + timedelta(days=days_ahead)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(UTC)


def act(gw: ApiClient, person: Person, booking_id: str, action: str, **body) -> dict:
    answer = gw.post(f"/v1/bookings/{booking_id}/{action}", token=person.token, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def request_booking(gw: ApiClient, client: Person, service_id: str, *starts: datetime) -> dict:
    answer = gw.post(
        "/v1/bookings",
        token=client.token,
        json={"service_id": service_id, "proposed_starts": [s.isoformat() for s in starts]},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "requested"
    return answer.json()


def local(moment: datetime) -> str:
    """How the French emails write a one-hour appointment at `moment` in Los Angeles (on one
    date, even when it ends at midnight)."""
    days = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    months = (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    )
    start, end = moment.astimezone(ZONE), (moment + timedelta(hours=1)).astimezone(ZONE)
    day = "1er" if start.day == 1 else str(start.day)
    return (
        f"{days[start.weekday()]} {day} {months[start.month - 1]} {start.year}, "
        f"de {start:%H:%M} à {end:%H:%M} (heure de Los Angeles)"
    )


def test_a_bookings_whole_life_sends_each_side_the_right_emails(site, gw, travel):
    pro, service_id = open_shop(gw)
    client = gw.sign_up(roles=["client"], name="Chloé Martin", language="fr")
    # the same local hours whenever the test runs; the last move ends at midnight
    first, second = in_los_angeles(4, 17), in_los_angeles(4, 20)

    booking = request_booking(gw, client, service_id, first, second)
    request = expect_mail(site, pro, "New booking request: Haircut with Chloé Martin")
    assert text_of(request).count("(Los Angeles time)") >= 3  # two proposed times and the deadline
    expect_mail(site, client, "Demande envoyée : Haircut avec Pat Rivera")

    act(gw, pro, booking["id"], "confirm", start=second.isoformat())
    expect_mail(site, client, "Réservation confirmée : Haircut avec Pat Rivera")
    expect_mail(site, pro, "Booking confirmed: Haircut with Chloé Martin")

    moved_to = in_los_angeles(4, 23)
    act(gw, pro, booking["id"], "reschedule", start=moved_to.isoformat())
    proposal = expect_mail(site, client, "Nouvel horaire proposé : Haircut avec Pat Rivera")
    assert f"Horaire proposé : {local(moved_to)}" in text_of(proposal)
    assert "de 23:00 à 00:00 (heure de Los Angeles)" in text_of(proposal)  # said on its evening
    act(gw, client, booking["id"], "reschedule/answer", accept=True)
    moved = expect_mail(site, client, "Réservation déplacée : Haircut avec Pat Rivera")
    assert f"Nouvel horaire : {local(moved_to)}" in text_of(moved)
    assert f"Ancien horaire : {local(second)}" in text_of(moved)
    expect_mail(site, pro, "Booking moved: Haircut with Chloé Martin")

    travel(moved_to - timedelta(hours=47))
    expect_mail(site, client, "Rappel : Haircut avec Pat Rivera")
    expect_mail(site, pro, "Reminder: Haircut with Chloé Martin")
    travel(moved_to + timedelta(hours=1, minutes=1))
    expect_mail(site, client, "Réservation effectuée : Haircut avec Pat Rivera")
    travel(moved_to + timedelta(days=7, hours=1, minutes=1))
    expect_mail(site, client, "Comment s'est passé Haircut avec Pat Rivera ?")
    expect_mail(site, client, "Réservation terminée : Haircut avec Pat Rivera")
    expect_mail(site, pro, "Booking completed: Haircut with Chloé Martin")
    time.sleep(2)  # a few more timer ticks: nothing more, nothing twice

    assert about_bookings(site, client) == [
        "Demande envoyée : Haircut avec Pat Rivera",
        "Réservation confirmée : Haircut avec Pat Rivera",
        "Nouvel horaire proposé : Haircut avec Pat Rivera",
        "Réservation déplacée : Haircut avec Pat Rivera",
        "Rappel : Haircut avec Pat Rivera",
        "Réservation effectuée : Haircut avec Pat Rivera",
        "Réservation terminée : Haircut avec Pat Rivera",
        "Comment s'est passé Haircut avec Pat Rivera ?",
    ]
    assert about_bookings(site, pro) == [
        "New booking request: Haircut with Chloé Martin",
        "Booking confirmed: Haircut with Chloé Martin",
        "Booking moved: Haircut with Chloé Martin",
        "Reminder: Haircut with Chloé Martin",
        "Booking completed: Haircut with Chloé Martin",
    ]
    invites = {
        m["Subject"].split(" : ")[0]: calendar_of(m)
        for m in mail_to(site, client)
        if calendar_of(m) is not None
    }
    expected = {
        "Demande envoyée": ("TENTATIVE", 0, first),  # a request holds its first proposed start
        "Réservation confirmée": ("CONFIRMED", 1, second),
        "Réservation déplacée": ("CONFIRMED", 2, moved_to),
        "Rappel": ("CONFIRMED", 2, moved_to),
    }
    assert set(invites) == set(expected)
    for name, (status, sequence, start) in expected.items():
        invite = invites[name]
        assert f"UID:booking-{booking['id']}@loconomics.coop" in invite, name
        assert f"STATUS:{status}" in invite and f"SEQUENCE:{sequence}" in invite, name
        dtstart = f"DTSTART;TZID=America/Los_Angeles:{start.astimezone(ZONE):%Y%m%dT%H%M%S}"
        assert dtstart in invite, name
        assert "BEGIN:VTIMEZONE" in invite and "TZID:America/Los_Angeles" in invite


def test_declined_cancelled_and_expired_bookings_tell_each_side_what_it_needs(site, gw, travel):
    pro, service_id = open_shop(gw)
    client = gw.sign_up(roles=["client"], name="Chloé Martin", language="fr")

    declined = request_booking(gw, client, service_id, at_hour(50))
    act(gw, pro, declined["id"], "decline", reason="Away that day")
    refusal = expect_mail(site, client, "Demande refusée : Haircut")
    assert "STATUS:CANCELLED" in calendar_of(refusal)

    soon = at_hour(10)
    cancelled = request_booking(gw, client, service_id, soon)
    act(gw, pro, cancelled["id"], "confirm", start=soon.isoformat())
    expect_mail(site, client, "Réservation confirmée : Haircut avec Pat Rivera")
    act(gw, client, cancelled["id"], "cancel")
    to_pro = expect_mail(site, pro, "Booking cancelled: Haircut with Chloé Martin")
    assert "was cancelled by Chloé Martin" in text_of(to_pro)
    assert "Refunded to the client: $42.50" in text_of(to_pro)
    assert "Cancellation fee: $42.50" in text_of(to_pro)
    to_client = expect_mail(site, client, "Réservation annulée : Haircut avec Pat Rivera")
    assert "annulée par vous" in text_of(to_client)
    assert "STATUS:CANCELLED" in calendar_of(to_client)

    waiting = request_booking(gw, client, service_id, at_hour(120))
    travel(now_on(site) + timedelta(hours=73))
    lapsed = expect_mail(site, client, "Demande expirée : Haircut")
    assert f"UID:booking-{waiting['id']}@loconomics.coop" in calendar_of(lapsed)
    expect_mail(site, pro, "Booking request expired: Haircut with Chloé Martin")
    time.sleep(2)
    assert about_bookings(site, pro) == [  # nothing about the request they declined themselves
        "New booking request: Haircut with Chloé Martin",
        "New booking request: Haircut with Chloé Martin",
        "Booking confirmed: Haircut with Chloé Martin",
        "Booking cancelled: Haircut with Chloé Martin",
        "New booking request: Haircut with Chloé Martin",
        "Booking request expired: Haircut with Chloé Martin",
    ]
