"""Profiles' `data_export_requested`: the security notice that a copy of the member's data was
downloaded, by email only, to the address of our contact (the event carries none), in the
member's language and zone, once per event, and never to a closed account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from loconomics_notifications.domain.deliveries import deliver_due
from loconomics_notifications.domain.emails import Mailbox
from loconomics_notifications.domain.inbox import list_notifications
from loconomics_notifications.domain.preferences import set_preferences
from loconomics_notifications.domain.routing import ROUTES, handle_event
from loconomics_notifications.models import EmailDelivery, Notification
from loconomics_plumbing.errors import Invalid
from sqlalchemy import select

APP = "https://app.loconomics.test"
MAILBOX = Mailbox("hello@loconomics.test", link_base=APP)
NBSP = "\u00a0"
REQUESTED_AT = datetime(2026, 3, 1, 11, 59, 58, tzinfo=UTC)


def _text(email) -> str:
    return email.get_body(("plain",)).get_content()


def _export(make_event, account_id: str, **overrides) -> dict:
    """The event as profiles sends it, with any field added or replaced (`name` too)."""
    event = make_event("data_export_requested")
    return {
        **event,
        "account_id": account_id,
        "requested_at": REQUESTED_AT.isoformat(),
        **overrides,
    }


def _welcomes_sent(session, now, smtp_server) -> None:
    """Send the welcome emails of `people`, so only what the test makes is left to send."""
    deliver_due(session, now, smtp_server(), MAILBOX)


def _notices(session, account_id: str) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification).where(
                Notification.recipient_id == account_id,
                Notification.template == "data_export_requested",
            )
        )
    )


@pytest.mark.parametrize(
    ("account_id", "to", "language", "subject", "expected"),
    [
        (
            "client1",
            "Chloé Martin <client1@example.org>",
            "fr",
            "Une copie de vos données Loconomics a été téléchargée",
            [
                "Bonjour Chloé Martin,",
                "Une copie de vos données Loconomics a été téléchargée le dimanche 1er mars 2026 "
                "à 12:59 (heure de Paris).",
                "Si ce n'était pas vous, changez tout de suite votre mot de passe",
                f"Changer votre mot de passe: {APP}/forgot-password",
            ],
        ),
        (
            "pro1",
            "Pat Rivera <pro1@example.org>",
            "en",
            "A copy of your Loconomics data was downloaded",
            [
                "Hello Pat Rivera,",
                "A copy of your Loconomics data was downloaded on Sunday, March 1, 2026 at "
                f"3:59{NBSP}AM (Los Angeles time).",
                "If it was not you, change your password now",
                f"Change your password: {APP}/forgot-password",
            ],
        ),
    ],
)
def test_the_notice_goes_to_the_contacts_address_in_the_members_language_and_zone(
    session, now, people, make_event, smtp_server, account_id, to, language, subject, expected
):
    _welcomes_sent(session, now, smtp_server)
    made = handle_event(session, "data_export_requested", _export(make_event, account_id), now)
    assert [(n.recipient_id, n.channel, n.category, n.transactional) for n in made] == [
        (account_id, "email", "account", True)
    ]
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).sent == 1
    [email] = server.accepted
    assert str(email["To"]) == to
    assert (email["Subject"], email["Content-Language"]) == (subject, language)
    text = _text(email).replace("\n", " ")
    for words in expected:
        assert words in text
    html = email.get_body(("html",)).get_content()
    assert f'<a href="{APP}/forgot-password">' in html


def test_the_notice_uses_the_address_we_hold_now_not_one_in_the_event(
    session, now, people, make_event, make_account, smtp_server
):
    _welcomes_sent(session, now, smtp_server)
    event = _export(make_event, "client1", email="intruder@example.org", name="Mallory")
    handle_event(session, "data_export_requested", event, now)
    moved = make_account(
        "client1",
        "Chloé Martin",
        language="fr",
        email="chloe.moved@example.org",
        occurred_at=now + timedelta(seconds=1),
    )
    handle_event(session, "account_changed", moved, now + timedelta(seconds=1))
    server = smtp_server()
    deliver_due(session, now + timedelta(seconds=2), server, MAILBOX)
    [email] = server.accepted
    assert str(email["To"]) == "Chloé Martin <chloe.moved@example.org>"
    assert "intruder" not in email.as_string() and "Mallory" not in email.as_string()


def test_the_notice_is_email_only_and_never_switched_off(session, now, people, make_event):
    set_preferences(session, people["client"], {"account": {"email": False}}, now)
    handle_event(session, "data_export_requested", _export(make_event, "client1"), now)
    assert [(n.channel, n.transactional) for n in _notices(session, "client1")] == [("email", True)]
    kinds = [item["kind"] for item in list_notifications(session, people["client"])["items"]]
    assert "data_export_requested" not in kinds
    assert ROUTES["data_export_requested"].channels == {"email"}


def test_a_redelivered_event_sends_nothing_twice(session, now, people, make_event, smtp_server):
    _welcomes_sent(session, now, smtp_server)
    event = _export(make_event, "client1")
    assert len(handle_event(session, "data_export_requested", event, now)) == 1
    assert handle_event(session, "data_export_requested", event, now) == []  # before sending
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).sent == 1
    later = now + timedelta(minutes=5)
    assert handle_event(session, "data_export_requested", event, later) == []  # after sending
    assert deliver_due(session, later, server, MAILBOX).sent == 0
    assert len(server.accepted) == 1
    assert len(_notices(session, "client1")) == 1
    assert session.query(EmailDelivery).filter_by(recipient_id="client1").count() == 2  # welcome


def test_two_exports_are_two_notices(session, now, people, make_event, smtp_server):
    _welcomes_sent(session, now, smtp_server)
    handle_event(session, "data_export_requested", _export(make_event, "pro1"), now)
    handle_event(session, "data_export_requested", _export(make_event, "pro1"), now)
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).sent == 2


def test_a_closed_account_gets_nothing(session, now, people, make_event, smtp_server):
    closure = {
        **make_event("account_closed"),
        "account_id": "client1",
        "email": "client1@example.org",
        "name": "Chloé Martin",
        "language": "fr",
    }
    handle_event(session, "account_closed", closure, now)
    _welcomes_sent(session, now, smtp_server)  # and the goodbye
    made = handle_event(session, "data_export_requested", _export(make_event, "client1"), now)
    assert made == [] and _notices(session, "client1") == []
    server = smtp_server()
    assert deliver_due(session, now + timedelta(minutes=1), server, MAILBOX).sent == 0
    assert server.accepted == []


def test_an_account_closed_before_the_notice_went_is_not_mailed(
    session, now, people, make_event, smtp_server
):
    _welcomes_sent(session, now, smtp_server)
    handle_event(session, "data_export_requested", _export(make_event, "pro1"), now)
    closure = {**make_event("account_closed"), "account_id": "pro1", "email": "pro1@example.org"}
    handle_event(session, "account_closed", closure, now)
    server = smtp_server()
    deliver_due(session, now, server, MAILBOX)
    assert [str(email["Subject"]) for email in server.accepted] == [
        "Your Loconomics account is closed"
    ]
    assert _notices(session, "pro1") == []  # deleted with the member's emails


def test_without_a_contact_yet_the_notice_waits_for_it(
    session, now, make_event, make_account, smtp_server
):
    handle_event(session, "data_export_requested", _export(make_event, "late1"), now)
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX).retrying == 1
    handle_event(session, "account_created", make_account("late1", "Lou"), now)
    later = now + timedelta(minutes=1)
    deliver_due(session, later, server, MAILBOX)
    assert sorted((str(email["To"]), str(email["Subject"])) for email in server.accepted) == [
        ("Lou <late1@example.org>", "A copy of your Loconomics data was downloaded"),
        ("Lou <late1@example.org>", "Welcome to Loconomics, Lou"),
    ]


@pytest.mark.parametrize("missing", ["account_id", "requested_at"])
def test_a_malformed_event_is_refused_and_makes_nothing(session, now, make_event, missing):
    event = _export(make_event, "acc9")
    event.pop(missing)
    with pytest.raises(Invalid) as caught:
        handle_event(session, "data_export_requested", event, now)
    assert missing in caught.value.errors
    assert session.query(Notification).count() == 0
