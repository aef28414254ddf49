"""Profiles' `account_closed`: the goodbye email (to the address the event gives, which leaves
our data once it is sent or dead), the contact erased for good, nothing sent to the closed
account again while the other party still hears of it, the member's inbox, preferences and
emails gone, and conversations kept for the other party with messaging closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from database_rows import every_row
from loconomics_notifications.domain import account_closures, routing
from loconomics_notifications.domain import conversations as talk
from loconomics_notifications.domain.deliveries import DeliveryError, deliver_due, replay_dead
from loconomics_notifications.domain.emails import Mailbox
from loconomics_notifications.domain.inbox import list_notifications
from loconomics_notifications.domain.preferences import set_preferences
from loconomics_notifications.domain.routing import ROUTES, handle_event
from loconomics_notifications.models import (
    Base,
    Contact,
    Conversation,
    EmailDelivery,
    Notification,
    NotificationPreference,
)
from loconomics_plumbing.errors import Conflict, Invalid
from sqlalchemy import select

APP = "https://app.loconomics.test"
MAILBOX = Mailbox("hello@loconomics.test", link_base=APP)
NBSP = "\u00a0"
CLOSED = "This member has closed their account."


def _text(email) -> str:
    return email.get_body(("plain",)).get_content()


def _stored(session) -> str:
    """Every row of every table of the notifications database, as the database holds it."""
    return every_row(session, Base.metadata)


def _closure(make_event, account_id: str = "client1", **overrides) -> dict:
    """`account_closed` for one of `people`, with the address, name and language they had."""
    had = {
        "client1": {"name": "Chloé Martin", "language": "fr-CA", "roles": ["client"]},
        "pro1": {"name": "Pat Rivera", "language": "en", "roles": ["professional"]},
    }.get(account_id, {})
    return {
        **make_event("account_closed"),
        "account_id": account_id,
        "email": f"{account_id}@example.org",
        **had,
        **overrides,
    }


def _close(session, now, make_event, account_id: str = "client1", **overrides) -> dict:
    event = _closure(make_event, account_id, **overrides)
    handle_event(session, "account_closed", event, now)
    return event


def _goodbye(session, account_id: str = "client1") -> Notification:
    return session.scalars(
        select(Notification).where(
            Notification.recipient_id == account_id, Notification.template == "account_closed"
        )
    ).one()


def _recipients(session, event_id: str) -> set[tuple[str, str]]:
    rows = session.scalars(select(Notification).where(Notification.event_id == event_id))
    return {(n.recipient_id, n.channel) for n in rows}


def _welcomes_sent(session, now, smtp_server) -> None:
    """Send the welcome emails of `people`, so only what the test makes is left to send."""
    deliver_due(session, now, smtp_server(), MAILBOX)


# ---- the goodbye email ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("account_id", "language", "subject", "expected"),
    [
        (
            "pro1",
            "en",
            "Your Loconomics account is closed",
            [
                "Hello Pat Rivera,",
                f"was closed on Sunday, March 1, 2026 at 12:00{NBSP}PM (UTC), as you asked",
                "What we erased: your name and email address",
                "What the cooperative keeps, and why:",
                "Your finished bookings and your conversations",
                "Invoices, receipts and payments: accounting and tax law require us to keep them",
                "your entry in the register of members",
                "the patronage it owes you",
                "you can sign up again",
                f"Visit Loconomics: {APP}/",
            ],
        ),
        (
            "client1",
            "fr",
            "Votre compte Loconomics est fermé",
            [
                "Bonjour Chloé Martin,",
                "a été fermé le dimanche 1er mars 2026 à 12:00 (UTC), comme vous l'avez demandé",
                "Ce que nous avons effacé : votre nom et votre adresse e-mail",
                "Ce que la coopérative conserve, et pourquoi :",
                "Vos réservations terminées et vos conversations",
                "Les factures, reçus et paiements : le droit comptable et fiscal",
                "votre inscription au registre des membres",
                "les ristournes qu'elle vous doit",
                "vous pouvez vous réinscrire à tout moment",
                f"Aller sur Loconomics: {APP}/",
            ],
        ),
    ],
)
def test_the_goodbye_goes_by_email_only_to_the_events_address_in_the_members_language(
    session, now, people, make_event, smtp_server, account_id, language, subject, expected
):
    _welcomes_sent(session, now, smtp_server)
    event = _close(session, now, make_event, account_id)
    assert _recipients(session, event["event_id"]) == {(account_id, "email")}
    goodbye = _goodbye(session, account_id)
    assert (goodbye.category, goodbye.transactional) == ("account", True)
    server = smtp_server()
    assert deliver_due(session, now + timedelta(minutes=1), server, MAILBOX).sent == 1
    [email] = server.accepted
    name = "Pat Rivera" if account_id == "pro1" else "Chloé Martin"
    assert str(email["To"]) == f"{name} <{account_id}@example.org>"
    assert (email["Subject"], email["Content-Language"]) == (subject, language)
    text = _text(email).replace("\n", " ")
    for words in expected:
        assert words in text


def test_the_goodbye_goes_to_the_address_in_the_event_even_without_a_contact(
    session, now, make_event, smtp_server
):
    event = make_event("account_closed", account_id="never-seen", email="gone@example.org")
    handle_event(session, "account_closed", event, now)
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).sent == 1
    assert str(server.accepted[0]["To"]) == "Ana <gone@example.org>"


def test_the_goodbye_is_not_sent_a_day_after_the_closure(session, now, make_event, smtp_server):
    event = make_event("account_closed", closed_at=now.isoformat())
    handle_event(session, "account_closed", event, now)
    server = smtp_server(refusals=1)  # a first try fails; the next is after the day
    assert deliver_due(session, now, server, MAILBOX).retrying == 1
    run = deliver_due(session, now + timedelta(days=1), server, MAILBOX)
    assert (run.sent, run.dead, server.accepted) == (0, 1, [])
    delivery = session.scalars(select(EmailDelivery)).one()
    assert "lapsed" in delivery.last_error
    assert event["email"] not in _stored(session)


def test_the_goodbye_still_goes_just_before_the_day_is_over(session, now, make_event, smtp_server):
    handle_event(session, "account_closed", make_event("account_closed"), now)
    server = smtp_server()
    assert deliver_due(session, now + timedelta(hours=23, minutes=59), server, MAILBOX).sent == 1


def test_the_address_and_name_leave_every_table_once_the_goodbye_is_sent(
    session, now, people, make_event, smtp_server
):
    _welcomes_sent(session, now, smtp_server)
    event = _close(session, now, make_event, "pro1")
    assert "pro1@example.org" in _stored(session)  # the email is built when sent: kept till then
    server = smtp_server(refusals=1)
    assert deliver_due(session, now, server, MAILBOX).retrying == 1
    assert "pro1@example.org" in _stored(session)  # a temporary failure: the next try needs it
    assert deliver_due(session, now + timedelta(minutes=1), server, MAILBOX).sent == 1
    stored = _stored(session)
    assert "pro1@example.org" not in stored
    assert "Rivera" not in stored
    assert _goodbye(session, "pro1").data["account_id"] == "pro1"
    assert event["event_id"] in stored  # the notification itself stays, as a record


def test_the_address_leaves_every_table_when_the_goodbye_is_dead(
    session, now, people, make_event, smtp_server
):
    _welcomes_sent(session, now, smtp_server)
    _close(session, now, make_event, "pro1")

    def refuses(message):
        raise DeliveryError("550 5.1.1 <pro1@example.org>: no such user", permanent=True)

    assert deliver_due(session, now, refuses, MAILBOX).dead == 1
    stored = _stored(session)
    assert "pro1@example.org" not in stored and "Rivera" not in stored
    delivery = session.scalars(
        select(EmailDelivery).where(EmailDelivery.recipient_id == "pro1")
    ).one()
    assert delivery.last_error == "550 5.1.1 <[erased]>: no such user"
    assert replay_dead(session, people["admin"], now) == 1  # an operator replays it: in vain
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).dead == 1
    assert server.accepted == []
    assert "address was dropped" in delivery.last_error


# ---- the contact -------------------------------------------------------------------------


def test_the_contact_is_erased_and_marked_closed(session, now, people, make_event):
    _close(session, now, make_event, "client1")
    contact = session.get(Contact, "client1")
    assert (contact.email, contact.name, contact.language, contact.time_zone) == (
        "",
        "Former member",
        "en",
        None,
    )
    assert contact.closed_at == now
    assert contact.roles == ["client"]


@pytest.mark.parametrize("event_name", ["account_created", "account_changed"])
@pytest.mark.parametrize("offset", [timedelta(hours=-1), timedelta(hours=1)])
def test_no_account_event_arriving_after_the_closure_restores_the_contact(
    session, now, people, make_account, make_event, event_name, offset
):
    _close(session, now, make_event, "client1")
    late = make_account("client1", "Chloé Martin", language="fr", occurred_at=now + offset)
    assert handle_event(session, event_name, late, now + timedelta(minutes=5)) == []
    contact = session.get(Contact, "client1")
    assert (contact.email, contact.name, contact.closed_at) == ("", "Former member", now)


def test_a_closure_before_the_sign_up_arrives_keeps_the_account_closed(
    session, now, make_account, make_event, smtp_server
):
    handle_event(session, "account_closed", make_event("account_closed", account_id="a7"), now)
    signed_up = make_account("a7", "Ana", occurred_at=now - timedelta(days=1))
    assert handle_event(session, "account_created", signed_up, now) == []  # no welcome
    assert session.get(Contact, "a7").name == "Former member"
    server = smtp_server()
    deliver_due(session, now, server, MAILBOX)
    assert [m["Subject"] for m in server.accepted] == ["Your Loconomics account is closed"]


def test_a_booking_of_a_closed_account_does_not_teach_it_a_zone(
    session, now, people, make_event, make_booking
):
    _close(session, now, make_event, "client1")
    handle_event(session, "booking_cancelled", make_booking(time_zone="Asia/Tokyo"), now)
    assert session.get(Contact, "client1").time_zone is None


# ---- nothing is sent to a closed account, the other party still hears ----------------------


@pytest.mark.parametrize(
    ("event_name", "overrides", "others"),
    [
        ("booking_cancelled", {}, {"pro1"}),
        ("booking_reminder_due", {}, {"pro1"}),
        ("booking_review_requested", {}, set()),
        ("booking_payment_failed", {}, set()),
        ("dues_paid", {"user_id": "client1"}, set()),
        ("proposal_opened", {}, {"pro1"}),
        ("proposal_closing_soon", {"not_yet_voted": ["client1", "pro1"]}, {"pro1"}),
        ("patronage_allocated", {"external_id": "client1"}, set()),
        ("password_changed", {"account_id": "client1", "email": "client1@example.org"}, set()),
        (
            "password_reset_requested",
            {"account_id": "client1", "email": "client1@example.org"},
            set(),
        ),
        (
            "email_confirmation_requested",
            {"account_id": "client1", "email": "chloe.new@example.org", "purpose": "change"},
            set(),
        ),
        ("email_changed", {"account_id": "client1", "old_email": "client1@example.org"}, set()),
    ],
)
def test_nothing_reaches_a_closed_account_afterwards_but_the_others_are_told(
    session, now, people, make_event, event_name, overrides, others
):
    _close(session, now, make_event, "client1")
    event = make_event(event_name, **overrides)
    handle_event(session, event_name, event, now + timedelta(minutes=1))
    assert {recipient for recipient, _ in _recipients(session, event["event_id"])} == others
    assert session.query(Notification).filter_by(recipient_id="client1").count() == 1  # goodbye


def test_a_result_reaches_the_roll_but_not_its_closed_members(session, now, people, make_event):
    handle_event(session, "election_opened", make_event("election_opened"), now)
    _close(session, now, make_event, "client1")
    result = make_event("election_closed")
    handle_event(session, "election_closed", result, now)
    assert _recipients(session, result["event_id"]) == {("pro1", "email"), ("pro1", "in_app")}


def test_the_other_party_reads_of_a_former_member_in_their_own_language(
    session, now, people, make_event, make_booking, smtp_server
):
    _welcomes_sent(session, now, smtp_server)
    _close(session, now, make_event, "pro1")
    _close(session, now, make_event, "stranger", name="Sam Other", language="en")
    deliver_due(session, now, smtp_server(), MAILBOX)  # the goodbyes
    later = now + timedelta(minutes=1)
    handle_event(session, "booking_cancelled", make_booking(cancelled_by="professional"), later)
    server = smtp_server()
    assert deliver_due(session, later, server, MAILBOX).sent == 1
    [email] = server.accepted
    assert str(email["To"]) == "Chloé Martin <client1@example.org>"
    assert "annulée par Ancien·ne membre" in _text(email)
    inbox = list_notifications(session, people["client"])["items"][0]
    assert "Ancien·ne membre" in inbox["body"] and "Rivera" not in inbox["body"]


# ---- what the member had here --------------------------------------------------------------


def test_the_members_inbox_preferences_and_emails_go_and_the_others_stay(
    session, now, people, make_event, make_booking, smtp_server, emit
):
    _welcomes_sent(session, now, smtp_server)  # sent: the welcome keeps the address it went to
    set_preferences(session, people["client"], {"reminders": {"email": False}}, now)
    set_preferences(session, people["pro"], {"reminders": {"email": False}}, now)
    handle_event(session, "booking_confirmed", make_booking(), now)  # pending emails, inbox
    talk.start_conversation(
        session,
        people["pro"],
        to="client1",
        subject="Parking",
        body="Behind the shop.",
        booking_id=None,
        now=now,
        emit=emit,
    )
    before = session.query(Notification).filter(Notification.recipient_id != "client1").count()
    event = _close(session, now, make_event, "client1")
    mine = session.scalars(select(Notification).where(Notification.recipient_id == "client1"))
    assert [(n.event_id, n.channel) for n in mine] == [(event["event_id"], "email")]
    [delivery] = session.scalars(
        select(EmailDelivery).where(EmailDelivery.recipient_id == "client1")
    )
    assert delivery.notification_id == _goodbye(session).id
    assert session.query(NotificationPreference).filter_by(account_id="client1").count() == 0
    assert session.query(NotificationPreference).filter_by(account_id="pro1").count() == 1
    assert (
        session.query(Notification).filter(Notification.recipient_id != "client1").count() == before
    )
    assert list_notifications(session, people["client"])["items"] == []
    assert "client1@example.org" in _stored(session)  # only in the goodbye, until it goes
    deliver_due(session, now, smtp_server(), MAILBOX)
    assert "client1@example.org" not in _stored(session)


# ---- conversations -------------------------------------------------------------------------


@pytest.fixture
def answered(session, now, people, emit, thread):
    """The client asked the professional a question (conftest's `thread`), and had an answer."""
    talk.post_message(session, people["pro"], thread, "Behind the shop.", now, emit)
    return thread


def test_a_conversation_stays_for_the_other_party_with_a_former_member(
    session, now, people, make_event, answered
):
    _close(session, now, make_event, "client1")
    view = talk.get_conversation(session, people["pro"], answered)
    assert view["conversation"]["other_party"] == {
        "account_id": "client1",
        "name": "Former member",
    }
    assert [m["body"] for m in view["messages"]["items"]] == [
        "Behind the shop.",
        "Where can I park?",
    ]
    listed = talk.list_conversations(session, people["pro"])["items"]
    assert [c["other_party"]["name"] for c in listed] == ["Former member"]


def test_no_new_message_to_or_from_a_closed_account(
    session, now, people, make_event, answered, emit, emitted
):
    _close(session, now, make_event, "client1")
    sent_before = len(emitted)
    for caller in (people["pro"], people["client"]):
        with pytest.raises(Conflict) as caught:
            talk.post_message(session, caller, answered, "Still there?", now, emit)
        assert caught.value.detail == CLOSED
    with pytest.raises(Conflict) as caught:
        talk.start_conversation(
            session,
            people["pro"],
            to="client1",
            subject="Hello again",
            body="Are you back?",
            booking_id=None,
            now=now,
            emit=emit,
        )
    assert caught.value.detail == CLOSED
    assert session.query(Conversation).count() == 1
    assert (
        talk.get_conversation(session, people["pro"], answered)["conversation"]["message_count"]
        == 2
    )
    assert len(emitted) == sent_before


def test_no_new_conversation_about_a_booking_with_a_closed_account(
    session, now, people, make_event, make_booking, emit
):
    handle_event(session, "booking_completed", make_booking(booking_id="bkZ"), now)
    _close(session, now, make_event, "pro1")
    with pytest.raises(Conflict):
        talk.start_conversation(
            session,
            people["client"],
            to="pro1",
            subject="Thanks",
            body="Great haircut",
            booking_id="bkZ",
            now=now,
            emit=emit,
        )
    assert session.query(Conversation).count() == 0


# ---- repeats and bad events -----------------------------------------------------------------


def test_a_repeated_closure_changes_nothing_and_says_goodbye_once(
    session, now, people, make_event, smtp_server
):
    _welcomes_sent(session, now, smtp_server)
    event = _close(session, now, make_event, "client1")
    assert handle_event(session, "account_closed", event, now) == []
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).sent == 1
    assert handle_event(session, "account_closed", event, now + timedelta(minutes=1)) == []
    again = _closure(make_event, "client1", closed_at=(now + timedelta(hours=1)).isoformat())
    assert handle_event(session, "account_closed", again, now + timedelta(hours=1)) == []
    assert deliver_due(session, now + timedelta(hours=2), server, MAILBOX).sent == 0
    assert len(server.accepted) == 1
    assert session.get(Contact, "client1").closed_at == now  # the first closure stands
    assert _goodbye(session).data.get("email") is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda e: e.pop("closed_at"), "closed_at"),
        (lambda e: e.update(closed_at="2026-03-01T12:00:00"), "closed_at"),  # no offset
        (lambda e: e.pop("account_id"), "account_id"),
        (lambda e: e.update(account_id=""), "account_id"),
        (lambda e: e.pop("email"), "email"),
        (lambda e: e.update(name=""), "name"),
    ],
)
def test_a_malformed_closure_is_refused_and_changes_nothing(
    session, now, people, make_event, change, field
):
    event = _closure(make_event, "client1")
    change(event)
    notifications = session.query(Notification).count()
    with pytest.raises(Invalid) as caught:
        handle_event(session, "account_closed", event, now)
    assert field in caught.value.errors
    assert "client1@example.org" not in repr(caught.value.as_dict())  # logged as is
    assert session.get(Contact, "client1").name == "Chloé Martin"
    assert session.get(Contact, "client1").closed_at is None
    assert session.query(Notification).count() == notifications


def test_the_goodbye_route_is_email_only_transactional_and_forgets_the_address():
    route = ROUTES["account_closed"]
    assert route.channels == {"email"} and route.transactional
    assert route.addressed_by_event and set(route.secrets) == {"email", "name"}
    assert route.reaches_closed_account and not route.needs_link
    assert (route.lapses_at, route.lapses_after) == ("closed_at", timedelta(days=1))


def test_a_notification_made_in_the_instant_of_the_closure_is_erased_by_the_sweep(
    session, now, people, make_event, monkeypatch
):
    _close(session, now, make_event, "client1")
    # Another copy read client1's contact just before the closure committed, and made its
    # notifications after: as if nobody were closed when it looked.
    with monkeypatch.context() as patched:
        patched.setattr(routing, "closed_accounts", lambda session, ids: set())
        late = make_event("booking_cancelled")
        handle_event(session, "booking_cancelled", late, now)
    made = _recipients(session, late["event_id"])
    assert {"client1", "pro1"} <= {recipient for recipient, _ in made}
    late_ids = select(Notification.id).where(Notification.recipient_id == "client1")
    assert session.query(EmailDelivery).filter(EmailDelivery.notification_id.in_(late_ids)).count()

    erased = account_closures.erase_late_notifications(session, now + timedelta(minutes=5))
    assert erased == len([1 for recipient, _ in made if recipient == "client1"])
    left = session.scalars(select(Notification).where(Notification.recipient_id == "client1"))
    assert [n.template for n in left] == ["account_closed"], "the goodbye stays"
    deliveries = session.query(EmailDelivery).filter(EmailDelivery.notification_id.in_(late_ids))
    assert deliveries.count() == 1, "only the goodbye's email is left"
    assert {r for r, _ in _recipients(session, late["event_id"])} == {"pro1"}, "others keep theirs"
    assert account_closures.erase_late_notifications(session, now + timedelta(minutes=10)) == 0
