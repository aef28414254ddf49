from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from loconomics_notifications.domain.content import compose
from loconomics_notifications.domain.emails import Mailbox, RecipientUnknown, build_email
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import Notification
from sqlalchemy import select

MAILBOX = Mailbox("hello@loconomics.test", link_base="https://app.loconomics.test")


def _parsed(message):
    return message_from_bytes(message.as_bytes(), policy=policy.default)


def test_a_booking_email_is_text_html_and_an_ics(session, now, people, make_booking, delivery_of):
    event = make_booking(refund_cents=1900, fee_cents=500, cancelled_by="professional")
    handle_event(session, "booking_cancelled", event, now)
    delivery = delivery_of(event["event_id"], "client1")
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
    session, now, people, make_booking, delivery_of
):
    # 21:30 UTC = 14:30 in Los Angeles (PDT); the client lives in Paris but the appointment
    # is where the professional is.
    event = make_booking(refund_cents=1900, fee_cents=500, cancelled_by="professional")
    handle_event(session, "booking_cancelled", event, now)
    email = _parsed(build_email(session, delivery_of(event["event_id"], "client1"), MAILBOX, now))
    text = email.get_body(("plain",)).get_content()
    assert "mardi 10 mars 2026, de 14:30 à 15:30 (heure de Los Angeles)" in text
    assert "Remboursement : 19,00\u00a0$US" in text
    assert "Frais d'annulation : 5,00\u00a0$US" in text
    assert "annulée par Pat Rivera" in text
    assert "https://app.loconomics.test/bookings/bk1" in text


def test_english_reader_gets_12_hour_times_and_dollar_amounts(
    session, now, people, make_booking, delivery_of
):
    event = make_booking(refund_cents=1900, fee_cents=500, cancelled_by="professional")
    handle_event(session, "booking_cancelled", event, now)
    email = _parsed(build_email(session, delivery_of(event["event_id"], "pro1"), MAILBOX, now))
    text = email.get_body(("plain",)).get_content()
    assert "Tuesday, March 10, 2026, 2:30\u00a0PM – 3:30\u00a0PM (Los Angeles time)" in text
    assert "Refunded to the client: $19.00" in text
    assert "cancelled by you" in text
    html = email.get_body(("html",)).get_content()
    assert '<a href="https://app.loconomics.test/bookings/bk1">View the booking</a>' in html


def test_the_message_id_is_stable_across_retries(session, now, people, make_booking, delivery_of):
    event = make_booking()
    handle_event(session, "booking_confirmed", event, now)
    delivery = delivery_of(event["event_id"], "pro1")
    first = build_email(session, delivery, MAILBOX, now)
    again = build_email(session, delivery, MAILBOX, now + timedelta(minutes=5))
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Date"] != again["Date"]


def test_an_email_waits_for_a_contact_that_has_not_arrived(
    session, now, make_booking, make_account, delivery_of
):
    event = make_booking(client_id="late")
    handle_event(session, "booking_confirmed", event, now)
    delivery = delivery_of(event["event_id"], "late")
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
    ("event_name", "overrides", "recipient", "expected"),
    [
        (
            "membership_started",
            {"user_id": "client1", "current_period_end": "2026-03-31T23:30:00+00:00"},
            "client1",
            ["29,00\u00a0$US par mois", "Fin de la période en cours : mercredi 1er avril 2026"],
        ),
        (
            "membership_started",
            {
                "current_period_end": "2026-03-15T12:00:00+00:00",
                "trial_end": "2026-03-15T12:00:00+00:00",
            },
            "pro1",
            ["Your free trial runs until Sunday, March 15, 2026; your first dues are taken then."],
        ),
        (
            "membership_started",
            {"interval": "year", "price": {"amount_cents": 29000, "currency": "USD"}},
            "pro1",
            ["Your Owner Pro membership has started: $290.00 per year."],
        ),
        (
            "payment_failed",
            {},
            "pro1",
            ["We could not collect $29.00 for your membership."],
        ),
        (
            "booking_payment_failed",
            {},
            "client1",
            ["Nous n'avons pas pu encaisser 19,00\u00a0$US pour une réservation."],
        ),
        (
            "dues_paid",
            {"paid_at": "2026-03-01T03:00:00+00:00"},
            "pro1",
            ["We received your membership dues of $29.00 on Saturday, February 28, 2026."],
        ),
        (
            "owner_status_changed",
            {},
            "pro1",
            ['changed from "trial" to "owner"', "You are an owner of the cooperative"],
        ),
        (
            "owner_status_changed",
            {"from": "active", "to": "inactive"},
            "pro1",
            ['to "inactive (dues unpaid)"', "owner rights are paused"],
        ),
        (
            "proposal_opened",
            {"closes_at": "2026-03-02T11:00:00+00:00"},
            "client1",
            ["« Budget 2026 »", "lundi 2 mars 2026 à 12:00 (heure de Paris)"],
        ),
        (
            "proposal_closing_soon",
            {"closes_at": "2026-03-02T11:00:00+00:00"},
            "client1",
            ["lundi 2 mars 2026 à 12:00 (heure de Paris)"],
        ),
        (
            "election_opened",
            {"seats": 3, "closes_at": "2026-03-08T20:00:00+00:00"},
            "pro1",
            ["3 seat(s)", "Sunday, March 8, 2026 at 1:00\u00a0PM (Los Angeles time)"],
        ),
        (
            "election_closing_soon",
            {},
            "pro1",
            ['"Board 2026" closes in less than 24 hours'],
        ),
        (
            "patronage_allocated",
            {
                "amount": {"amount_cents": 123456, "currency": "USD"},
                "cash": {"amount_cents": 24691, "currency": "USD"},
                "retained": {"amount_cents": 98765, "currency": "USD"},
            },
            "pro1",
            [
                "allocation of the cooperative's 2025 patronage dividend",
                "Allocated to you: $1,234.56",
                "Paid in cash: $246.91",
                "Retained in your member account: $987.65",
            ],
        ),
    ],
)
def test_what_each_non_booking_email_says(
    session, now, people, make_event, event_name, overrides, recipient, expected, delivery_of
):
    payload = make_event(event_name, **overrides)
    handle_event(session, event_name, payload, now)
    email = _parsed(build_email(session, delivery_of(payload["event_id"], recipient), MAILBOX, now))
    text = email.get_body(("plain",)).get_content()
    for phrase in expected:
        assert phrase in text
    assert email.get_content_type() == "multipart/alternative"  # no calendar attached


@pytest.mark.parametrize(
    ("closing", "expected"),
    [
        (
            "proposal_closed",
            ["The proposal passed.", "Yes: 10", "No: 2", "Abstain: 1"],
        ),
        ("election_closed", ["Elected: Ana, Bo"]),
    ],
)
def test_a_result_reaches_the_roll_kept_when_the_ballot_opened(
    session, now, people, make_event, closing, expected, delivery_of
):
    opening = closing.replace("closed", "opened")
    handle_event(session, opening, make_event(opening, electorate=["pro1", "stranger"]), now)
    overrides = (
        {"tally": {"yes": 10, "no": 2, "abstain": 1, "votes_cast": 13}}
        if closing == "proposal_closed"
        else {
            "elected": [
                {"candidate_id": "c1", "name": "Ana", "external_id": "a"},
                {"candidate_id": "c2", "name": "Bo", "external_id": "b"},
            ]
        }
    )
    result = make_event(closing, **overrides)
    handle_event(session, closing, result, now)
    told = session.scalars(
        select(Notification.recipient_id).where(
            Notification.event_id == result["event_id"], Notification.channel == "email"
        )
    ).all()
    assert sorted(told) == ["pro1", "stranger"]
    email = _parsed(build_email(session, delivery_of(result["event_id"], "pro1"), MAILBOX, now))
    text = email.get_body(("plain",)).get_content()
    for phrase in expected:
        assert phrase in text


def test_each_email_of_a_booking_says_what_happened(session, now, people, make_event, delivery_of):
    subjects = {}
    for name in (
        "booking_requested",
        "booking_confirmed",
        "booking_declined",
        "booking_expired",
        "booking_cancelled",
        "booking_rescheduled",
        "booking_reschedule_proposed",
        "booking_reminder_due",
        "booking_performed",
        "booking_completed",
        "booking_review_requested",
    ):
        event = make_event(name)
        handle_event(session, name, event, now)
        email = build_email(session, delivery_of(event["event_id"], "client1"), MAILBOX, now)
        subjects[name] = email["Subject"]
    assert subjects == {
        "booking_requested": "Demande envoyée : Haircut avec Pat Rivera",
        "booking_confirmed": "Réservation confirmée : Haircut avec Pat Rivera",
        "booking_declined": "Demande refusée : Haircut",
        "booking_expired": "Demande expirée : Haircut",
        "booking_cancelled": "Réservation annulée : Haircut avec Pat Rivera",
        "booking_rescheduled": "Réservation déplacée : Haircut avec Pat Rivera",
        "booking_reschedule_proposed": "Nouvel horaire proposé : Haircut avec Pat Rivera",
        "booking_reminder_due": "Rappel : Haircut avec Pat Rivera",
        "booking_performed": "Réservation effectuée : Haircut avec Pat Rivera",
        "booking_completed": "Réservation terminée : Haircut avec Pat Rivera",
        "booking_review_requested": "Comment s'est passé Haircut avec Pat Rivera ?",
    }


def test_a_proposer_hears_of_a_declined_or_lapsed_proposal(
    session, now, people, make_event, delivery_of
):
    declined = make_event("booking_reschedule_declined")  # proposed by the professional
    lapsed = make_event("booking_reschedule_expired")  # proposed by the client
    handle_event(session, "booking_reschedule_declined", declined, now)
    handle_event(session, "booking_reschedule_expired", lapsed, now)
    assert _made_for(session, declined["event_id"]) == {"pro1"}
    assert _made_for(session, lapsed["event_id"]) == {"client1"}
    text = (
        _parsed(build_email(session, delivery_of(declined["event_id"], "pro1"), MAILBOX, now))
        .get_body(("plain",))
        .get_content()
    )
    assert "Chloé Martin could not accept the new time you proposed for Haircut" in text
    assert "Thursday, March 12, 2026, 10:00\u00a0AM – 11:00\u00a0AM (Los Angeles time)" in text


def test_a_request_lists_every_proposed_time_and_the_deadline(
    session, now, people, make_event, delivery_of
):
    event = make_event("booking_requested")
    handle_event(session, "booking_requested", event, now)
    text = (
        _parsed(build_email(session, delivery_of(event["event_id"], "pro1"), MAILBOX, now))
        .get_body(("plain",))
        .get_content()
    )
    assert "- Tuesday, March 10, 2026, 2:30\u00a0PM – 3:30\u00a0PM (Los Angeles time)" in text
    assert "- Wednesday, March 11, 2026, 10:00\u00a0AM – 11:00\u00a0AM (Los Angeles time)" in text
    assert "decline by Monday, March 2, 2026 at 4:00\u00a0AM (Los Angeles time)" in text


def test_a_service_without_a_known_name_is_still_spoken_of(
    session, now, people, make_event, delivery_of
):
    event = make_event("booking_confirmed", service_id="svc-unknown")
    handle_event(session, "booking_confirmed", event, now)
    email = build_email(session, delivery_of(event["event_id"], "pro1"), MAILBOX, now)
    assert email["Subject"] == "Booking confirmed: a service with Chloé Martin"


def _made_for(session, event_id):
    return set(
        session.scalars(
            select(Notification.recipient_id).where(Notification.event_id == event_id)
        ).all()
    )
