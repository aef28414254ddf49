"""Profiles' address events: the link that confirms an address (to that address, never our
contact's) and the notice to the address an account left, with the link that takes it back.
Both are emails only, whatever the preferences, and their tokens leave our data once the email
is sent or dead. The contact's own address follows `account_changed`, as before."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from database_rows import every_row
from loconomics_notifications.domain.deliveries import DeliveryError, deliver_due, replay_dead
from loconomics_notifications.domain.emails import Mailbox
from loconomics_notifications.domain.inbox import list_notifications
from loconomics_notifications.domain.preferences import set_preferences
from loconomics_notifications.domain.routing import ROUTES, Route, handle_event
from loconomics_notifications.models import Base, Contact, EmailDelivery, Notification
from loconomics_notifications.schemas import EmailChangedSchema, PasswordChangedSchema
from loconomics_plumbing.errors import Invalid
from sqlalchemy import select

APP = "https://app.loconomics.test"
MAILBOX = Mailbox("hello@loconomics.test", link_base=APP)
NBSP = "\u00a0"
CONFIRM = "email_confirmation_requested"
CHANGED = "email_changed"
TOKEN_OF = {CONFIRM: "confirmation_token", CHANGED: "undo_token"}
LAPSES_AT = {CONFIRM: "expires_at", CHANGED: "undo_expires_at"}
ADDRESS_OF = {CONFIRM: "email", CHANGED: "old_email"}


def _text(email) -> str:
    return email.get_body(("plain",)).get_content()


def _stored(session) -> str:
    """Every row of every table of the notifications database, as the database holds it."""
    return every_row(session, Base.metadata)


def _made(session, event_id) -> set[tuple[str, str, str, bool]]:
    rows = session.scalars(select(Notification).where(Notification.event_id == event_id))
    return {(n.recipient_id, n.channel, n.category, n.transactional) for n in rows}


def _welcomes_sent(session, now, smtp_server) -> None:
    """Send the welcome emails of `people`, so only what the test makes is left to send."""
    deliver_due(session, now, smtp_server(), MAILBOX)


def _chloe(make_event, event_name: str, **overrides) -> dict:
    """The event for `people`'s French client, whose contact holds client1@example.org."""
    about = {"account_id": "client1", "name": "Chloé Martin", "language": "fr-CA"}
    if event_name == CONFIRM:
        about |= {"email": "chloe.new@example.org", "purpose": "change"}
    else:
        about |= {"old_email": "client1@example.org", "new_email": "chloe.new@example.org"}
    return {**make_event(event_name), **about, **overrides}


def _chloe_moved(**overrides) -> dict:
    """`account_changed` for `people`'s French client, now at chloe.new@example.org (a minute
    after she signed up)."""
    return {
        "event_id": "changed-client1",
        "occurred_at": "2026-03-01T12:01:00+00:00",
        "account_id": "client1",
        "email": "chloe.new@example.org",
        "name": "Chloé Martin",
        "language": "fr-CA",
        "roles": ["client"],
        **overrides,
    }


# ---- the link that confirms an address ------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "purpose", "subject", "expected"),
    [
        (
            "en",
            "sign_up",
            "Confirm your email address for Loconomics",
            [
                "Hello Ana,",
                "Please confirm that this email address is yours, so that your bookings, "
                "receipts and password resets reach you.",
                f"it expires on Tuesday, March 3, 2026 at 12:00{NBSP}PM (UTC).",
                "If you did not sign up for Loconomics, someone may have typed your address by "
                "mistake: you can ignore this email.",
                f"Confirm this address: {APP}/confirm-email?token=",
            ],
        ),
        (
            "en",
            "change",
            "Confirm your new email address for Loconomics",
            [
                "Hello Ana,",
                "You asked to use this address for your Loconomics account. Please confirm this "
                "new address with the link below",
                f"it expires on Tuesday, March 3, 2026 at 12:00{NBSP}PM (UTC).",
                "Until you do, your account keeps its old address.",
                "If you did not ask for this, ignore this email: nothing changes.",
                f"Confirm this address: {APP}/confirm-email?token=",
            ],
        ),
        (
            "fr",
            "sign_up",
            "Confirmez votre adresse e-mail pour Loconomics",
            [
                "Bonjour Ana,",
                "Merci de confirmer que cette adresse e-mail est bien la vôtre, pour que vos "
                "réservations, vos reçus et vos réinitialisations de mot de passe vous "
                "parviennent.",
                "il expire le mardi 3 mars 2026 à 12:00 (UTC).",
                "Si vous ne vous êtes pas inscrit·e sur Loconomics",
                f"Confirmer cette adresse: {APP}/confirm-email?token=",
            ],
        ),
        (
            "fr",
            "change",
            "Confirmez votre nouvelle adresse e-mail pour Loconomics",
            [
                "Bonjour Ana,",
                "Merci de confirmer cette nouvelle adresse avec le lien ci-dessous",
                "il expire le mardi 3 mars 2026 à 12:00 (UTC).",
                "Tant que vous ne l'avez pas fait, votre compte garde son ancienne adresse.",
                "Si vous n'avez rien demandé, ignorez cet e-mail : rien ne change.",
                f"Confirmer cette adresse: {APP}/confirm-email?token=",
            ],
        ),
    ],
)
def test_a_confirmation_link_goes_to_the_address_to_confirm_in_the_events_language(
    session, now, make_event, smtp_server, language, purpose, subject, expected
):
    event = make_event(CONFIRM, email="ana.typed@example.org", language=language, purpose=purpose)
    handle_event(session, CONFIRM, event, now)
    assert _made(session, event["event_id"]) == {("acc9", "email", "account", True)}
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).sent == 1  # no contact: it does not wait
    [email] = server.accepted
    assert str(email["To"]) == "Ana <ana.typed@example.org>"
    assert (email["Subject"], email["Content-Language"]) == (subject, language)
    text = _text(email)
    for words in expected:
        assert words in text
    link = f"{APP}/confirm-email?token={event['confirmation_token']}"
    assert link in text
    assert f'<a href="{link}">' in email.get_body(("html",)).get_content()


def test_a_new_address_is_confirmed_there_not_at_the_address_we_hold(
    session, now, people, make_event, smtp_server
):
    _welcomes_sent(session, now, smtp_server)
    event = _chloe(make_event, CONFIRM)
    handle_event(session, CONFIRM, event, now)
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).sent == 1
    [email] = server.accepted
    assert str(email["To"]) == "Chloé Martin <chloe.new@example.org>"
    assert email["Content-Language"] == "fr"
    assert "il expire le mardi 3 mars 2026 à 13:00 (heure de Paris)." in _text(email)
    assert session.get(Contact, "client1").email == "client1@example.org"  # not changed by it


def test_at_sign_up_the_welcome_and_the_confirmation_both_go(
    session, now, make_account, make_event, smtp_server
):
    handle_event(session, "account_created", make_account("new1", "Noé"), now)
    event = {
        **make_event(CONFIRM),
        "account_id": "new1",
        "email": "new1@example.org",
        "name": "Noé",
    }
    handle_event(session, CONFIRM, event, now)
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).sent == 2
    assert sorted((str(m["To"]), m["Subject"]) for m in server.accepted) == [
        ("Noé <new1@example.org>", "Confirm your email address for Loconomics"),
        ("Noé <new1@example.org>", "Welcome to Loconomics, Noé"),
    ]


def test_a_confirmation_arriving_before_the_sign_up_still_goes(
    session, now, make_event, smtp_server
):
    event = {
        **make_event(CONFIRM),
        "account_id": "new2",
        "email": "new2@example.org",
        "name": "Noa",
    }
    handle_event(session, CONFIRM, event, now)
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).sent == 1
    assert str(server.accepted[0]["To"]) == "Noa <new2@example.org>"
    assert session.get(Contact, "new2") is None  # it made no contact either


# ---- the notice to the address the account left -------------------------------------------


@pytest.mark.parametrize(
    ("language", "subject", "expected"),
    [
        (
            "en",
            "The email address of your Loconomics account was changed",
            [
                "Hello Chloé Martin,",
                "The email address of your Loconomics account was changed to "
                "chloe.new@example.org on Sunday, March 1, 2026 at 1:00\u00a0PM (Paris time).",
                "If this was you, there is nothing more to do.",
                "If it was not you, use the link below to get this address back; it works until "
                "Sunday, March 8, 2026 at 1:00\u00a0PM (Paris time). Then reset your password "
                "at once",
                f"Get my address back: {APP}/confirm-email?token=",
            ],
        ),
        (
            "fr",
            "L'adresse e-mail de votre compte Loconomics a été modifiée",
            [
                "Bonjour Chloé Martin,",
                "L'adresse e-mail de votre compte Loconomics a été remplacée par "
                "chloe.new@example.org le dimanche 1er mars 2026 à 13:00 (heure de Paris).",
                "Si c'était vous, vous n'avez rien d'autre à faire.",
                "Si ce n'était pas vous, récupérez cette adresse avec le lien ci-dessous, valable "
                "jusqu'au dimanche 8 mars 2026 à 13:00 (heure de Paris). Réinitialisez ensuite "
                "tout de suite votre mot de passe",
                f"Récupérer mon adresse: {APP}/confirm-email?token=",
            ],
        ),
    ],
)
def test_a_changed_address_is_told_at_the_old_one_with_the_link_to_take_it_back(
    session, now, people, make_event, smtp_server, language, subject, expected
):
    _welcomes_sent(session, now, smtp_server)
    # Our contact may already hold the new address: the notice still goes to the old one.
    handle_event(session, "account_changed", _chloe_moved(), now)
    event = _chloe(make_event, CHANGED, language=language)
    handle_event(session, CHANGED, event, now)
    assert _made(session, event["event_id"]) == {("client1", "email", "account", True)}
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).sent == 1
    [email] = server.accepted
    assert str(email["To"]) == "Chloé Martin <client1@example.org>"
    assert (email["Subject"], email["Content-Language"]) == (subject, language)
    text = _text(email).replace("\n", " ")
    for words in expected:
        assert words in text
    assert f"{APP}/confirm-email?token={event['undo_token']}" in text


def test_the_notice_needs_no_contact_and_never_goes_to_the_new_address(
    session, now, make_event, smtp_server
):
    event = make_event(CHANGED, account_id="never-seen")
    handle_event(session, CHANGED, event, now)
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).sent == 1
    [email] = server.accepted
    assert str(email["To"]) == "Ana <acc9@example.org>"
    assert "ana.new@example.org" not in str(email["To"]) + str(email["Cc"]) + str(email["Bcc"])


# ---- both: email only, always, tokens gone once the email has gone -------------------------

BOTH = pytest.mark.parametrize("event_name", [CONFIRM, CHANGED])


@BOTH
def test_email_only_and_never_switched_off(session, now, people, make_event, event_name):
    off = {"account": {"email": False, "in_app": False}}
    set_preferences(session, people["client"], off, now)
    event = _chloe(make_event, event_name)
    handle_event(session, event_name, event, now)
    assert _made(session, event["event_id"]) == {("client1", "email", "account", True)}
    inbox = list_notifications(session, people["client"])["items"]
    assert [item["kind"] for item in inbox] == ["welcome"]


@BOTH
def test_the_token_is_kept_until_the_email_has_gone_then_nowhere(
    session, now, make_event, caplog, smtp_server, event_name
):
    caplog.set_level(logging.DEBUG)
    event = make_event(event_name)
    token = event[TOKEN_OF[event_name]]
    handle_event(session, event_name, event, now)
    assert token in _stored(session)  # the email is rendered when sent: it needs it till then
    server = smtp_server(refusals=1)
    assert deliver_due(session, now, server, MAILBOX).retrying == 1
    assert token in _stored(session)  # a temporary failure: the next try needs it
    assert deliver_due(session, now + timedelta(minutes=1), server, MAILBOX).sent == 1
    assert token in _text(server.accepted[0])
    assert token not in _stored(session)
    assert token not in caplog.text
    notification = session.scalars(select(Notification)).one()
    assert TOKEN_OF[event_name] not in notification.data
    assert notification.data[ADDRESS_OF[event_name]] == event[ADDRESS_OF[event_name]]


@BOTH
def test_a_dead_email_forgets_its_token_even_in_the_servers_words_and_cannot_be_replayed(
    session, now, people, make_event, smtp_server, event_name, delivery_of
):
    _welcomes_sent(session, now, smtp_server)
    event = make_event(event_name)
    token = event[TOKEN_OF[event_name]]
    handle_event(session, event_name, event, now)

    def refuses(message):
        raise DeliveryError(f"550 rejected: {message['Subject']} {token}", permanent=True)

    assert deliver_due(session, now, refuses, MAILBOX).dead == 1
    assert token not in _stored(session)
    assert "[erased]" in delivery_of(event["event_id"]).last_error
    assert replay_dead(session, people["admin"], now) == 1
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).dead == 1  # nothing to send any more
    assert server.accepted == []
    assert "one-time link was dropped" in delivery_of(event["event_id"]).last_error


@BOTH
def test_an_email_not_sent_before_its_link_lapses_is_given_up(
    session, now, make_event, smtp_server, event_name, delivery_of
):
    lapses = now + timedelta(minutes=30)
    event = make_event(event_name, **{LAPSES_AT[event_name]: lapses.isoformat()})
    handle_event(session, event_name, event, now)
    server = smtp_server(refusals=1)
    assert deliver_due(session, now, server, MAILBOX).retrying == 1
    assert deliver_due(session, lapses, server, MAILBOX).dead == 1  # the next try is too late
    assert server.accepted == []
    assert "lapsed" in delivery_of(event["event_id"]).last_error
    assert event[TOKEN_OF[event_name]] not in _stored(session)


@BOTH
def test_just_before_it_lapses_it_still_goes(session, now, make_event, smtp_server, event_name):
    lapses = now + timedelta(minutes=30)
    event = make_event(event_name, **{LAPSES_AT[event_name]: lapses.isoformat()})
    handle_event(session, event_name, event, now)
    server = smtp_server()
    assert deliver_due(session, lapses - timedelta(seconds=1), server, MAILBOX).sent == 1


@BOTH
def test_without_the_apps_url_it_waits_rather_than_go_without_its_link(
    session, now, make_event, smtp_server, event_name, delivery_of
):
    event = make_event(event_name)
    handle_event(session, event_name, event, now)
    server = smtp_server()
    assert deliver_due(session, now, server, Mailbox("hello@loconomics.test")).retrying == 1
    delivery = delivery_of(event["event_id"])
    assert "NOTIFICATIONS_APP_URL" in delivery.last_error and server.accepted == []
    assert event[TOKEN_OF[event_name]] in _stored(session)
    assert deliver_due(session, now + timedelta(minutes=1), server, MAILBOX).sent == 1


@BOTH
def test_a_repeated_event_makes_and_sends_one_email(
    session, now, make_event, smtp_server, event_name
):
    event = make_event(event_name)
    assert len(handle_event(session, event_name, event, now)) == 1
    assert handle_event(session, event_name, event, now) == []
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).sent == 1
    assert handle_event(session, event_name, event, now + timedelta(minutes=1)) == []  # after
    assert deliver_due(session, now + timedelta(minutes=2), server, MAILBOX).sent == 0
    assert len(server.accepted) == 1
    assert session.query(EmailDelivery).count() == 1


@BOTH
def test_nothing_is_made_for_a_closed_account_and_a_closure_takes_the_waiting_one(
    session, now, people, make_event, smtp_server, event_name
):
    _welcomes_sent(session, now, smtp_server)
    waiting = _chloe(make_event, event_name)
    handle_event(session, event_name, waiting, now)
    closure = {
        **make_event("account_closed"),
        "account_id": "client1",
        "email": "client1@example.org",
        "name": "Chloé Martin",
        "language": "fr",
    }
    handle_event(session, "account_closed", closure, now)
    assert waiting[TOKEN_OF[event_name]] not in _stored(session)
    late = _chloe(make_event, event_name)
    assert handle_event(session, event_name, late, now) == []
    server = smtp_server()
    deliver_due(session, now, server, MAILBOX)
    assert [m["Subject"] for m in server.accepted] == ["Votre compte Loconomics est fermé"]


CONFIRMATION_FAULTS = [
    (lambda e: e.pop("confirmation_token"), "confirmation_token"),
    (lambda e: e.update(confirmation_token="not a/url+safe token!!"), "confirmation_token"),
    (lambda e: e.update(confirmation_token="short"), "confirmation_token"),
    (lambda e: e.pop("expires_at"), "expires_at"),
    (lambda e: e.update(expires_at="2026-03-03T12:00:00"), "expires_at"),  # no offset
    (lambda e: e.pop("purpose"), "purpose"),
    (lambda e: e.update(purpose="undo"), "purpose"),
    (lambda e: e.pop("email"), "email"),
    (lambda e: e.update(email=""), "email"),
    (lambda e: e.pop("name"), "name"),
    (lambda e: e.pop("account_id"), "account_id"),
]
CHANGE_FAULTS = [
    (lambda e: e.pop("undo_token"), "undo_token"),
    (lambda e: e.update(undo_token="short"), "undo_token"),
    (lambda e: e.pop("undo_expires_at"), "undo_expires_at"),
    (lambda e: e.update(undo_expires_at="2026-03-08"), "undo_expires_at"),
    (lambda e: e.pop("old_email"), "old_email"),
    (lambda e: e.pop("new_email"), "new_email"),
    (lambda e: e.pop("changed_at"), "changed_at"),
    (lambda e: e.update(name=""), "name"),
]


@pytest.mark.parametrize(
    ("event_name", "change", "field"),
    [(CONFIRM, *fault) for fault in CONFIRMATION_FAULTS]
    + [(CHANGED, *fault) for fault in CHANGE_FAULTS],
)
def test_a_malformed_event_is_refused_naming_the_field_and_makes_nothing(
    session, now, make_event, event_name, change, field
):
    event = make_event(event_name)
    token = event[TOKEN_OF[event_name]]
    change(event)
    with pytest.raises(Invalid) as caught:
        handle_event(session, event_name, event, now)
    assert field in caught.value.errors
    assert token not in repr(caught.value.as_dict())  # logged as is
    assert session.query(Notification).count() == 0
    assert session.query(EmailDelivery).count() == 0


# ---- the routes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_name", "address", "token", "lapses_at"),
    [
        (CONFIRM, "email", "confirmation_token", "expires_at"),
        (CHANGED, "old_email", "undo_token", "undo_expires_at"),
    ],
)
def test_the_routes_are_transactional_emails_addressed_by_their_event(
    event_name, address, token, lapses_at
):
    route = ROUTES[event_name]
    assert route.channels == {"email"}
    assert (route.category, route.transactional) == ("account", True)
    assert route.addressed_by_event and route.address_field == address
    assert route.secrets == (token,)
    assert route.needs_link and route.lapses_at == lapses_at
    assert route.link == f"/confirm-email?token={{{token}}}"
    assert not route.reaches_closed_account


def test_an_address_field_is_the_events_own_and_must_be_in_it():
    with pytest.raises(ValueError, match="only an event can name its address field"):
        Route(template="t", category="account", transactional=True, link="/", address_field="x")
    with pytest.raises(ValueError, match="its event has no email"):
        Route(
            template="t",
            category="account",
            transactional=True,
            link="/",
            schema=EmailChangedSchema,
            addressed_by_event=True,
        )
    with pytest.raises(ValueError, match="its event has no old_email"):
        Route(
            template="t",
            category="account",
            transactional=True,
            link="/",
            schema=PasswordChangedSchema,
            addressed_by_event=True,
            address_field="old_email",
        )
    assert {
        name: route.address_field for name, route in ROUTES.items() if route.addressed_by_event
    } == {
        "password_reset_requested": "email",
        "password_changed": "email",
        "account_closed": "email",
        CONFIRM: "email",
        CHANGED: "old_email",
    }


# ---- the contact's own address follows account_changed --------------------------------------


def test_once_the_address_changed_later_emails_go_to_the_new_one(
    session, now, people, make_event, make_booking, smtp_server
):
    _welcomes_sent(session, now, smtp_server)
    handle_event(session, "booking_confirmed", make_booking(), now)  # waiting, built when sent
    handle_event(session, "account_changed", _chloe_moved(), now)
    handle_event(session, CHANGED, _chloe(make_event, CHANGED), now)
    assert session.get(Contact, "client1").email == "chloe.new@example.org"
    later = now + timedelta(minutes=5)
    handle_event(session, "booking_reminder_due", make_booking(), later)
    server = smtp_server()
    deliver_due(session, later, server, MAILBOX)
    to_chloe = sorted(
        (str(m["To"]), m["Subject"]) for m in server.accepted if "Chloé" in str(m["To"])
    )
    assert [to for to, _ in to_chloe] == [
        "Chloé Martin <chloe.new@example.org>",  # the booking email, made before the change
        "Chloé Martin <chloe.new@example.org>",  # the reminder
        "Chloé Martin <client1@example.org>",  # the notice, to the address it left
    ]
    # The change undone: the snapshot after it takes the contact back to the old address.
    undone = _chloe_moved(
        event_id="undone",
        occurred_at=(now + timedelta(hours=1)).isoformat(),
        email="client1@example.org",
    )
    handle_event(session, "account_changed", undone, now + timedelta(hours=1))
    assert session.get(Contact, "client1").email == "client1@example.org"
