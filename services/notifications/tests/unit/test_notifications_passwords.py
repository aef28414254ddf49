"""Profiles' password events: the reset link (email only, its token gone once the email has
gone) and the notice that a password was changed."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from database_rows import every_row
from loconomics_notifications.domain.deliveries import deliver_due, replay_dead
from loconomics_notifications.domain.emails import Mailbox
from loconomics_notifications.domain.inbox import list_notifications
from loconomics_notifications.domain.preferences import set_preferences
from loconomics_notifications.domain.routing import ROUTES, Route, handle_event
from loconomics_notifications.models import Base, EmailDelivery, Notification
from loconomics_plumbing.errors import Invalid
from sqlalchemy import select

APP = "https://app.loconomics.test"
MAILBOX = Mailbox("hello@loconomics.test", link_base=APP)
NBSP = "\u00a0"


def _text(email) -> str:
    return email.get_body(("plain",)).get_content()


def _event(make_event, event_name: str, /, **overrides) -> dict:
    """`make_event` with any field replaced, `name` too (its own first argument)."""
    return {**make_event(event_name), **overrides}


def _reset(make_event, **overrides) -> dict:
    return _event(make_event, "password_reset_requested", **overrides)


def _stored(session) -> str:
    """Every row of every table of the notifications database, as the database holds it."""
    return every_row(session, Base.metadata)


# ---- the reset link ----------------------------------------------------------------------


def test_a_reset_email_goes_once_to_the_account_with_its_link_and_expiry(
    session, now, make_event, smtp_server
):
    event = _reset(make_event)
    token = event["reset_token"]
    assert len(handle_event(session, "password_reset_requested", event, now)) == 1
    assert handle_event(session, "password_reset_requested", event, now) == []  # a repeat
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).sent == 1
    handle_event(session, "password_reset_requested", event, now + timedelta(minutes=1))
    assert deliver_due(session, now + timedelta(minutes=2), server, MAILBOX).sent == 0
    [email] = server.accepted
    assert str(email["To"]) == "Ana <acc9@example.org>"
    assert email["Subject"] == "Reset your Loconomics password"
    assert email["Content-Language"] == "en"
    text = _text(email)
    link = f"{APP}/reset-password?token={token}"
    assert f"Choose a new password: {link}" in text
    assert f"The link expires on Sunday, March 1, 2026 at 1:00{NBSP}PM (UTC)." in text
    assert "If you did not ask for this, you can ignore this email" in text
    html = email.get_body(("html",)).get_content()
    assert f'<a href="{link}">Choose a new password</a>' in html
    assert email.get_content_type() == "multipart/alternative"


def test_a_french_reset_email_speaks_french_in_the_readers_zone(
    session, now, people, make_event, smtp_server
):
    event = _reset(
        make_event,
        account_id="client1",
        email="client1@example.org",
        name="Chloé Martin",
        language="fr-CA",
    )
    deliver_due(session, now, smtp_server(), MAILBOX)  # the welcome emails of `people`
    handle_event(session, "password_reset_requested", event, now)
    server = smtp_server()
    deliver_due(session, now, server, MAILBOX)
    [email] = server.accepted
    assert email["Subject"] == "Réinitialisez votre mot de passe Loconomics"
    assert email["Content-Language"] == "fr"
    text = _text(email)
    assert text.startswith("Bonjour Chloé Martin,")
    assert "Ce lien expire le dimanche 1er mars 2026 à 14:00 (heure de Paris)." in text
    assert f"Choisir un nouveau mot de passe: {APP}/reset-password?token=" in text
    assert "Si vous n'avez rien demandé, vous pouvez ignorer cet e-mail" in text


def test_a_reset_is_email_only_and_never_switched_off(session, now, people, make_event):
    set_preferences(session, people["client"], {"account": {"email": False}}, now)
    event = _reset(make_event, account_id="client1", email="client1@example.org")
    made = handle_event(session, "password_reset_requested", event, now)
    assert [(n.recipient_id, n.channel, n.category, n.transactional) for n in made] == [
        ("client1", "email", "account", True)
    ]
    assert list_notifications(session, people["client"])["items"][0]["kind"] == "welcome"
    assert (
        session.query(Notification).filter_by(channel="in_app", template="password_reset").count()
        == 0
    )


def test_the_token_is_kept_until_the_email_has_gone_then_nowhere(
    session, now, make_event, caplog, smtp_server
):
    caplog.set_level(logging.DEBUG)
    event = _reset(make_event)
    token = event["reset_token"]
    handle_event(session, "password_reset_requested", event, now)
    assert token in _stored(session)  # the email is rendered when sent: it needs it till then
    refused = smtp_server(refusals=1)
    assert deliver_due(session, now, refused, MAILBOX).retrying == 1
    assert token in _stored(session)  # a temporary failure: the next try needs it
    later = now + timedelta(minutes=1)
    assert deliver_due(session, later, refused, MAILBOX).sent == 1
    assert token in _text(refused.accepted[0])
    assert token not in _stored(session)
    assert token not in caplog.text
    notification = session.scalars(select(Notification)).one()
    assert "reset_token" not in notification.data and notification.data["email"]


def test_a_dead_reset_email_forgets_its_token_and_cannot_be_replayed(
    session, now, people, make_event, smtp_server, delivery_of
):
    deliver_due(session, now, smtp_server(), MAILBOX)  # the welcome emails of `people`
    event = _reset(make_event)
    token = event["reset_token"]
    handle_event(session, "password_reset_requested", event, now)
    assert deliver_due(session, now, smtp_server(refusals=1, permanent=True), MAILBOX).dead == 1
    assert token not in _stored(session)
    assert replay_dead(session, people["admin"], now) == 1
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).dead == 1  # nothing to send any more
    assert server.accepted == []
    delivery = delivery_of(event["event_id"])
    assert delivery.status == "dead"
    assert "one-time link was dropped" in delivery.last_error


def test_a_reset_email_not_sent_before_its_link_lapses_is_given_up(
    session, now, make_event, smtp_server, delivery_of
):
    event = _reset(make_event, expires_at=(now + timedelta(minutes=30)).isoformat())
    handle_event(session, "password_reset_requested", event, now)
    server = smtp_server()
    run = deliver_due(session, now + timedelta(minutes=30), server, MAILBOX)
    assert (run.sent, run.dead, server.accepted) == (0, 1, [])
    assert "lapsed" in delivery_of(event["event_id"]).last_error
    assert event["reset_token"] not in _stored(session)


def test_without_the_apps_url_a_reset_email_waits_rather_than_go_without_its_link(
    session, now, make_event, smtp_server, delivery_of
):
    event = _reset(make_event)
    handle_event(session, "password_reset_requested", event, now)
    no_url = Mailbox("hello@loconomics.test")
    server = smtp_server()
    assert deliver_due(session, now, server, no_url).retrying == 1
    delivery = delivery_of(event["event_id"])
    assert "NOTIFICATIONS_APP_URL" in delivery.last_error and server.accepted == []
    assert event["reset_token"] in _stored(session)
    assert deliver_due(session, now + timedelta(minutes=1), server, MAILBOX).sent == 1


def test_a_reset_goes_to_the_address_profiles_gives_not_our_copy(
    session, now, make_account, make_event, smtp_server
):
    # No contact yet: the email does not wait for one.
    fresh = _reset(make_event, account_id="new1", email="new1@example.org", name="Noé")
    handle_event(session, "password_reset_requested", fresh, now)
    server = smtp_server()
    deliver_due(session, now, server, MAILBOX)
    [email] = server.accepted
    assert (str(email["To"]), email["Content-Language"]) == ("Noé <new1@example.org>", "en")
    # A contact whose copy (English, old address) is older than what profiles says now.
    handle_event(session, "account_created", make_account("old1", "Old", email="old@x.org"), now)
    deliver_due(session, now, smtp_server(), MAILBOX)  # its welcome
    moved = _reset(
        make_event, account_id="old1", email="moved@example.org", name="Olga", language="fr"
    )
    handle_event(session, "password_reset_requested", moved, now)
    server = smtp_server()
    deliver_due(session, now, server, MAILBOX)
    [email] = server.accepted
    assert (str(email["To"]), email["Content-Language"]) == ("Olga <moved@example.org>", "fr")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda e: e.pop("reset_token"), "reset_token"),
        (lambda e: e.update(reset_token="not a/url+safe token!!"), "reset_token"),
        (lambda e: e.update(reset_token="short"), "reset_token"),
        (lambda e: e.pop("expires_at"), "expires_at"),
        (lambda e: e.update(expires_at="2026-03-01T13:00:00"), "expires_at"),  # no offset
        (lambda e: e.pop("email"), "email"),
    ],
)
def test_a_malformed_reset_event_is_refused_and_makes_nothing(
    session, now, make_event, change, field
):
    event = _reset(make_event)
    change(event)
    with pytest.raises(Invalid) as caught:
        handle_event(session, "password_reset_requested", event, now)
    assert field in caught.value.errors
    assert event.get("reset_token", "absent") not in repr(caught.value.as_dict())  # logged as is
    assert session.query(Notification).count() == 0
    assert session.query(EmailDelivery).count() == 0


def test_a_route_with_secrets_cannot_reach_the_inbox():
    with pytest.raises(ValueError, match="email only"):
        Route(template="t", category="account", transactional=True, link="/", secrets=("x",))
    with pytest.raises(ValueError, match="channels"):
        Route(
            template="t",
            category="account",
            transactional=True,
            link="/",
            channels=frozenset({"sms"}),
        )
    assert ROUTES["password_reset_requested"].channels == {"email"}
    assert ROUTES["password_changed"].channels == {"email", "in_app"}


# ---- the password was changed ------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "how", "subject", "expected"),
    [
        (
            "en",
            "reset",
            "Your Loconomics password was changed",
            "The password of your Loconomics account was reset on Sunday, March 1, 2026 at "
            f"12:00{NBSP}PM (UTC), with a link sent to this address.",
        ),
        (
            "en",
            "change",
            "Your Loconomics password was changed",
            "The password of your Loconomics account was changed on Sunday, March 1, 2026 at "
            f"12:00{NBSP}PM (UTC), by someone signed in to it.",
        ),
        (
            "fr",
            "reset",
            "Votre mot de passe Loconomics a été modifié",
            "Le mot de passe de votre compte Loconomics a été réinitialisé le dimanche 1er mars "
            "2026 à 12:00 (UTC), avec un lien envoyé à cette adresse.",
        ),
        (
            "fr",
            "change",
            "Votre mot de passe Loconomics a été modifié",
            "Le mot de passe de votre compte Loconomics a été modifié le dimanche 1er mars 2026 "
            "à 12:00 (UTC), depuis une session ouverte sur ce compte.",
        ),
    ],
)
def test_a_changed_password_is_told_with_what_to_do_if_it_was_not_them(
    session, now, make_event, language, how, subject, expected, smtp_server
):
    event = make_event("password_changed", language=language, how=how)
    made = handle_event(session, "password_changed", event, now)
    assert {(n.channel, n.category, n.transactional) for n in made} == {
        ("email", "account", True),
        ("in_app", "account", True),
    }
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).sent == 1
    [email] = server.accepted
    assert str(email["To"]) == "Ana <acc9@example.org>"
    assert (email["Subject"], email["Content-Language"]) == (subject, language)
    text = _text(email)
    assert expected in text
    assert f"{APP}/forgot-password" in text
    not_them = {"en": "If it was not you, reset your password at once", "fr": "Si ce n'était pas"}
    assert not_them[language] in text


def test_a_changed_password_is_in_the_inbox_too(session, now, people, make_event):
    event = _event(
        make_event,
        "password_changed",
        account_id="pro1",
        email="pro1@example.org",
        name="Pat Rivera",
    )
    handle_event(session, "password_changed", event, now + timedelta(minutes=1))
    item = list_notifications(session, people["pro"])["items"][0]
    assert (item["kind"], item["link"]) == ("password_changed", "/forgot-password")
    assert item["title"] == "Your Loconomics password was changed"
    assert "4:00\u00a0AM (Los Angeles time)" in item["body"]  # the reader's zone


def test_a_malformed_password_changed_event_is_refused(session, now, make_event):
    event = make_event("password_changed", how="guessed")
    with pytest.raises(Invalid) as caught:
        handle_event(session, "password_changed", event, now)
    assert "how" in caught.value.errors
    assert session.query(Notification).count() == 0
