from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from loconomics_notifications.domain.content import compose
from loconomics_notifications.domain.emails import Mailbox, RecipientUnknown, build_email
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import EmailDelivery, Notification
from sqlalchemy import select

MAILBOX = Mailbox("hello@loconomics.test", link_base="https://app.loconomics.test")


def _delivery(session, event_id, recipient):
    return session.scalars(
        select(EmailDelivery)
        .join(Notification, Notification.id == EmailDelivery.notification_id)
        .where(Notification.event_id == event_id, Notification.recipient_id == recipient)
    ).one()


def _parsed(message):
    return message_from_bytes(message.as_bytes(), policy=policy.default)


def test_a_booking_email_is_text_html_and_an_ics(session, now, people, make_booking):
    event = make_booking(refund_cents=1900, fee_cents=500, cancelled_by="pro1")
    handle_event(session, "booking_cancelled", event, now)
    delivery = _delivery(session, event["event_id"], "client1")
    email = _parsed(build_email(session, delivery, MAILBOX, now))
    assert email.get_content_type() == "multipart/mixed"
    body, attachment = email.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "booking.ics"
    assert attachment.get_param("method") == "PUBLISH"
    assert "STATUS:CANCELLED" in attachment.get_content()
    assert str(email["To"]) == "Chloé Martin <client1@example.org>"
    assert str(email["From"]) == "Loconomics <hello@loconomics.test>"
    assert email["Content-Language"] == "fr"
    assert email["Message-ID"] == f"<{delivery.id}@loconomics.coop>"


def test_french_reader_sees_booking_time_in_the_professionals_zone(
    session, now, people, make_booking
):
    # 21:30 UTC = 14:30 in Los Angeles (PDT); the client lives in Paris but the appointment
    # is where the professional is.
    event = make_booking(refund_cents=1900, fee_cents=500, cancelled_by="pro1")
    handle_event(session, "booking_cancelled", event, now)
    email = _parsed(
        build_email(session, _delivery(session, event["event_id"], "client1"), MAILBOX, now)
    )
    text = email.get_body(("plain",)).get_content()
    assert "mardi 10 mars 2026, de 14:30 à 15:30 (heure de Los Angeles)" in text
    assert "Remboursement : 19,00\u00a0$US" in text
    assert "Frais d'annulation : 5,00\u00a0$US" in text
    assert "annulée par Pat Rivera" in text
    assert "https://app.loconomics.test/bookings/bk1" in text


def test_english_reader_gets_12_hour_times_and_dollar_amounts(session, now, people, make_booking):
    event = make_booking(refund_cents=1900, fee_cents=500, cancelled_by="pro1")
    handle_event(session, "booking_cancelled", event, now)
    email = _parsed(
        build_email(session, _delivery(session, event["event_id"], "pro1"), MAILBOX, now)
    )
    text = email.get_body(("plain",)).get_content()
    assert "Tuesday, March 10, 2026, 2:30\u00a0PM – 3:30\u00a0PM (Los Angeles time)" in text
    assert "Refunded to the client: $19.00" in text
    assert "cancelled by you" in text
    html = email.get_body(("html",)).get_content()
    assert '<a href="https://app.loconomics.test/bookings/bk1">View the booking</a>' in html


def test_the_message_id_is_stable_across_retries(session, now, people, make_booking):
    event = make_booking()
    handle_event(session, "booking_confirmed", event, now)
    delivery = _delivery(session, event["event_id"], "pro1")
    first = build_email(session, delivery, MAILBOX, now)
    again = build_email(session, delivery, MAILBOX, now + timedelta(minutes=5))
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Date"] != again["Date"]


def test_an_email_waits_for_a_contact_that_has_not_arrived(
    session, now, make_booking, make_account
):
    event = make_booking(client_id="late")
    handle_event(session, "booking_confirmed", event, now)
    delivery = _delivery(session, event["event_id"], "late")
    with pytest.raises(RecipientUnknown):
        build_email(session, delivery, MAILBOX, now)
    handle_event(session, "account_created", make_account("late", "Léa", language="fr"), now)
    email = build_email(session, delivery, MAILBOX, now)
    assert email["Subject"].startswith("Réservation confirmée")


def test_unknown_other_party_gets_a_polite_placeholder(session, now, people, make_booking):
    event = make_booking(professional_id="ghost")
    handle_event(session, "booking_confirmed", event, now)
    notification = session.scalars(
        select(Notification).where(
            Notification.event_id == event["event_id"],
            Notification.recipient_id == "client1",
            Notification.channel == "in_app",
        )
    ).one()
    assert "votre professionnel·le" in compose(session, notification).subject


@pytest.mark.parametrize(
    ("event_name", "payload", "recipient", "expected"),
    [
        (
            "membership_started",
            {
                "account_id": "client1",
                "plan_name": "Propriétaire",
                "price": {"amount_cents": 2900, "currency": "USD"},
                "interval": "month",
                "current_period_end": "2026-03-31T23:30:00Z",
            },
            "client1",
            ["29,00\u00a0$US par mois", "mercredi 1er avril 2026"],
        ),
        (
            "payment_failed",
            {
                "account_id": "pro1",
                "amount": {"amount_cents": 2900, "currency": "USD"},
                "purpose": "membership",
            },
            "pro1",
            ["We could not collect $29.00 for your membership."],
        ),
        (
            "owner_status_changed",
            {"account_id": "pro1", "owner_status": "owner", "previous_status": "in_trial"},
            "pro1",
            ['changed from "in trial" to "owner"'],
        ),
        (
            "proposal_closing_soon",
            {
                "proposal_id": "p1",
                "title": "Budget",
                "closes_at": "2026-03-02T11:00:00Z",
                "member_ids": ["client1"],
            },
            "client1",
            ["lundi 2 mars 2026 à 12:00 (heure de Paris)"],
        ),
        (
            "proposal_closed",
            {
                "proposal_id": "p1",
                "title": "Budget",
                "outcome": "passed",
                "tally": {"yes": 10, "no": 2, "abstain": 1},
                "member_ids": ["pro1"],
            },
            "pro1",
            ["The proposal passed.", "Yes: 10", "No: 2", "Abstain: 1"],
        ),
        (
            "election_opened",
            {
                "election_id": "e1",
                "title": "Board",
                "seats": 3,
                "closes_at": "2026-03-08T20:00:00Z",
                "member_ids": ["pro1"],
            },
            "pro1",
            ["3 seat(s)", "Sunday, March 8, 2026 at 1:00\u00a0PM (Los Angeles time)"],
        ),
        (
            "election_closed",
            {
                "election_id": "e1",
                "title": "Board",
                "member_ids": ["pro1"],
                "elected": [
                    {"candidate_id": "c1", "name": "Ana"},
                    {"candidate_id": "c2", "name": "Bo"},
                ],
            },
            "pro1",
            ["Elected: Ana, Bo"],
        ),
        (
            "patronage_allocated",
            {
                "year": 2025,
                "currency": "USD",
                "allocations": [
                    {
                        "member_id": "pro1",
                        "allocated_cents": 123456,
                        "cash_cents": 24691,
                        "retained_cents": 98765,
                    }
                ],
            },
            "pro1",
            [
                "Allocated to you: $1,234.56",
                "Paid in cash: $246.91",
                "Retained in your member account: $987.65",
            ],
        ),
    ],
)
def test_what_each_non_booking_email_says(
    session, now, people, event_name, payload, recipient, expected
):
    payload = {"event_id": f"x-{event_name}", "occurred_at": now.isoformat(), **payload}
    handle_event(session, event_name, payload, now)
    email = _parsed(
        build_email(session, _delivery(session, payload["event_id"], recipient), MAILBOX, now)
    )
    text = email.get_body(("plain",)).get_content()
    for phrase in expected:
        assert phrase in text
    assert email.get_content_type() == "multipart/alternative"  # no calendar attached


def test_each_email_of_a_booking_says_what_happened(session, now, people, make_booking):
    subjects = {}
    for name in (
        "booking_requested",
        "booking_confirmed",
        "booking_declined",
        "booking_expired",
        "booking_rescheduled",
        "booking_reminder_due",
        "booking_completed",
        "booking_review_requested",
    ):
        event = make_booking(
            previous_start=datetime(2026, 3, 9, 21, 30, tzinfo=UTC).isoformat(),
            previous_end=datetime(2026, 3, 9, 22, 30, tzinfo=UTC).isoformat(),
        )
        handle_event(session, name, event, now)
        email = build_email(session, _delivery(session, event["event_id"], "client1"), MAILBOX, now)
        subjects[name] = email["Subject"]
    assert subjects == {
        "booking_requested": "Demande envoyée : Haircut avec Pat Rivera",
        "booking_confirmed": "Réservation confirmée : Haircut avec Pat Rivera",
        "booking_declined": "Demande refusée : Haircut",
        "booking_expired": "Demande expirée : Haircut",
        "booking_rescheduled": "Réservation déplacée : Haircut avec Pat Rivera",
        "booking_reminder_due": "Rappel : Haircut avec Pat Rivera",
        "booking_completed": "Réservation terminée : Haircut avec Pat Rivera",
        "booking_review_requested": "Comment s'est passé Haircut avec Pat Rivera ?",
    }
