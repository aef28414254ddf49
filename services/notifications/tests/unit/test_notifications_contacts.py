from datetime import timedelta

import pytest
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import Contact, Notification
from loconomics_plumbing.errors import Invalid


def test_account_created_keeps_a_contact_and_welcomes_the_account(session, now, make_account):
    handle_event(
        session,
        "account_created",
        make_account(
            "a1",
            "Ana",
            language="fr-CA",
            time_zone="America/Montreal",
            roles=("professional", "client"),
        ),
        now,
    )
    contact = session.get(Contact, "a1")
    assert (contact.name, contact.email, contact.language, contact.time_zone) == (
        "Ana",
        "a1@example.org",
        "fr",
        "America/Montreal",
    )
    assert contact.roles == ["client", "professional"]
    welcome = session.query(Notification).filter_by(recipient_id="a1").all()
    assert {(n.template, n.channel) for n in welcome} == {
        ("welcome", "email"),
        ("welcome", "in_app"),
    }


def test_account_changed_updates_and_sends_nothing(session, now, make_account):
    handle_event(session, "account_created", make_account("a1", "Ana"), now)
    changed = make_account(
        "a1", "Ana B", email="new@example.org", language="fr", occurred_at=now + timedelta(1)
    )
    assert handle_event(session, "account_changed", changed, now) == []
    contact = session.get(Contact, "a1")
    assert (contact.name, contact.email, contact.language) == ("Ana B", "new@example.org", "fr")


def test_an_older_snapshot_arriving_late_is_ignored(session, now, make_account):
    handle_event(
        session,
        "account_changed",
        make_account("a1", "Newer", occurred_at=now + timedelta(hours=1)),
        now,
    )
    handle_event(session, "account_created", make_account("a1", "Older", occurred_at=now), now)
    assert session.get(Contact, "a1").name == "Newer"


def test_the_same_event_twice_changes_nothing(session, now, make_account):
    event = make_account("a1", "Ana")
    handle_event(session, "account_created", event, now)
    handle_event(session, "account_created", event, now)
    assert session.query(Contact).count() == 1
    assert session.query(Notification).filter_by(template="welcome").count() == 2  # 2 channels


def test_a_zone_is_kept_when_a_later_snapshot_omits_it(session, now, make_account):
    handle_event(
        session, "account_created", make_account("a1", "Ana", time_zone="Europe/Paris"), now
    )
    handle_event(
        session, "account_changed", make_account("a1", "Ana", occurred_at=now + timedelta(1)), now
    )
    assert session.get(Contact, "a1").time_zone == "Europe/Paris"


def test_an_unknown_zone_is_stored_as_utc(session, now, make_account):
    handle_event(
        session, "account_created", make_account("a1", "Ana", time_zone="Nowhere/Land"), now
    )
    assert session.get(Contact, "a1").time_zone == "UTC"


def test_a_malformed_account_event_names_the_bad_fields(session, now, make_account):
    event = make_account("a1", "Ana")
    del event["email"]
    event["occurred_at"] = "2026-03-01T12:00:00"  # no offset
    with pytest.raises(Invalid) as caught:
        handle_event(session, "account_created", event, now)
    assert set(caught.value.errors) == {"email", "occurred_at"}
