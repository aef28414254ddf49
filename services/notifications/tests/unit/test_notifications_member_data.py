"""`export_member_data`: notifications' part of a member's copy of their data
(docs/data-export.md): every section, the member's rows only, no one-time token, every table
accounted for."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from loconomics_notifications.domain import conversations as talk
from loconomics_notifications.domain import member_data
from loconomics_notifications.domain.deliveries import deliver_due
from loconomics_notifications.domain.emails import Mailbox
from loconomics_notifications.domain.inbox import list_notifications, mark_read
from loconomics_notifications.domain.member_data import (
    NOTHING_TO_SHOW,
    SECTIONS,
    SECTIONS_BY_TABLE,
    export_member_data,
)
from loconomics_notifications.domain.preferences import set_preferences
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import Base, Notification
from loconomics_notifications.schemas import MemberDataSchema
from loconomics_notifications.service import NotificationsService
from loconomics_plumbing.errors import Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.member_data import unaccounted_tables
from loconomics_plumbing.storage import UnitOfWork, make_engine, session_factory
from nameko.testing.services import worker_factory
from sqlalchemy import select

APP = "https://app.loconomics.test"
MAILBOX = Mailbox("hello@loconomics.test", link_base=APP)
SECTION_NAMES = [
    "contact",
    "preferences",
    "notifications",
    "email_deliveries",
    "conversations",
    "blocks",
    "message_reports",
]
RESET_TOKEN = "R3set-Xo0Zr9_KmWb2QeLs5NaVh8UcJd3GfRi7OkT4w"
PENDING_RESET_TOKEN = "Pend1ng-Zr9_KmWb2QeLs5NaVh8UcJd3GfRi7OkT4w"
CONFIRMATION_TOKEN = "C0nf1rm-Zr9_KmWb2QeLs5NaVh8UcJd3GfRi7OkT4w"
UNDO_TOKEN = "Und0Und0-Zr9_KmWb2QeLs5NaVh8UcJd3GfRi7OkT4w"
SECRETS = (RESET_TOKEN, PENDING_RESET_TOKEN, CONFIRMATION_TOKEN, UNDO_TOKEN)


def _at(now, minutes: int) -> str:
    return (now + timedelta(minutes=minutes)).isoformat()


def _chloe(make_event, name: str, **fields) -> dict:
    """One of profiles' account events about the client, as profiles would address it."""
    return {
        **make_event(name),
        "account_id": "client1",
        "email": "client1@example.org",
        "name": "Chloé Martin",
        "language": "fr-CA",
        **fields,
    }


@pytest.fixture
def lives(session, now, people, make_event, make_booking, emit, smtp_server):
    """The client and a stranger each with a row in every section; the professional is the
    client's other party. Returns ids to look for."""
    minute = timedelta(minutes=1)
    set_preferences(session, people["client"], {"messages": {"email": False}}, now + minute)
    set_preferences(session, people["client"], {"governance": {"in_app": False}}, now + 2 * minute)
    set_preferences(session, people["stranger"], {"reminders": {"in_app": False}}, now)
    handle_event(session, "booking_confirmed", make_booking(), now + 3 * minute)
    handle_event(
        session,
        "booking_confirmed",
        make_booking(booking_id="bk-stranger", client_id="stranger"),
        now + 3 * minute,
    )
    reset = _chloe(
        make_event,
        "password_reset_requested",
        reset_token=RESET_TOKEN,
        expires_at=_at(now, 60),
    )
    handle_event(session, "password_reset_requested", reset, now + 4 * minute)
    deliver_due(session, now + 5 * minute, smtp_server(), MAILBOX)  # welcomes, bookings, reset
    pending_reset = _chloe(
        make_event,
        "password_reset_requested",
        reset_token=PENDING_RESET_TOKEN,
        expires_at=_at(now, 90),
    )
    handle_event(session, "password_reset_requested", pending_reset, now + 6 * minute)
    confirmation = _chloe(
        make_event,
        "email_confirmation_requested",
        email="chloe.new@example.org",
        purpose="change",
        confirmation_token=CONFIRMATION_TOKEN,
        expires_at=_at(now, 600),
    )
    handle_event(session, "email_confirmation_requested", confirmation, now + 7 * minute)
    changed = _chloe(
        make_event,
        "email_changed",
        old_email="client1@example.org",
        new_email="chloe.new@example.org",
        undo_token=UNDO_TOKEN,
        undo_expires_at=_at(now, 6000),
    )
    changed.pop("email")
    handle_event(session, "email_changed", changed, now + 8 * minute)
    client_thread = talk.start_conversation(
        session,
        people["client"],
        to="pro1",
        subject="Parking",
        body="Where can I park?",
        booking_id=None,
        now=now + 9 * minute,
        emit=emit,
    )["conversation"]["id"]
    talk.post_message(
        session, people["pro"], client_thread, "Behind the shop.", now + 10 * minute, emit
    )
    stranger_thread = talk.start_conversation(
        session,
        people["stranger"],
        to="pro1",
        subject="Stranger's question",
        body="Do you work on Sundays?",
        booking_id=None,
        now=now + 11 * minute,
        emit=emit,
    )["conversation"]["id"]
    welcome = list_notifications(session, people["client"])["items"][-1]
    mark_read(session, people["client"], welcome["id"], now + 12 * minute)
    others = session.scalars(
        select(Notification.id).where(Notification.recipient_id != "client1")
    ).all()
    return {
        "client_thread": client_thread,
        "stranger_thread": stranger_thread,
        "welcome": welcome["id"],
        "others_notifications": others,
    }


def _records(export: dict, section: str) -> list[dict]:
    return export["sections"][section]["records"]


def _dumped(session, who) -> dict:
    return MemberDataSchema().dump(export_member_data(session, who))


def test_a_member_gets_every_row_of_theirs_with_its_values(session, now, people, lives):
    export = _dumped(session, people["client"])
    assert export["service"] == "notifications"
    assert list(export["sections"]) == SECTION_NAMES
    for name in SECTION_NAMES:
        assert export["sections"][name]["about"] == member_data.ABOUT[name]
    assert _records(export, "contact") == [
        {
            "account_id": "client1",
            "name": "Chloé Martin",
            "email": "client1@example.org",
            "language": "fr",
            "time_zone": "Europe/Paris",
            "roles": ["client"],
            "closed": False,
            "closed_at": None,
            "as_of": "2026-03-01T12:00:00+00:00",
        }
    ]
    assert _records(export, "preferences") == [
        {
            "category": "messages",
            "channel": "email",
            "enabled": False,
            "updated_at": "2026-03-01T12:01:00+00:00",
        },
        {
            "category": "governance",
            "channel": "in_app",
            "enabled": False,
            "updated_at": "2026-03-01T12:02:00+00:00",
        },
    ]


def test_the_inbox_is_there_as_read_in_the_app_oldest_first(session, now, people, lives):
    inbox = _records(_dumped(session, people["client"]), "notifications")
    assert [(n["kind"], n["read_at"]) for n in inbox] == [
        ("welcome", "2026-03-01T12:12:00+00:00"),
        ("booking_confirmed", None),
        ("message_received", None),
    ]
    assert inbox[0]["id"] == lives["welcome"]
    booking = inbox[1]
    assert booking["title"] == "Réservation confirmée : Haircut avec Pat Rivera"
    assert booking["refs"] == {"booking_id": "bk1"}
    assert booking["link"] == "/bookings/bk1"
    assert (booking["category"], booking["transactional"]) == ("booking", True)
    assert booking["created_at"] == "2026-03-01T12:03:00+00:00"
    app = list_notifications(session, people["client"])["items"]
    shown = {item["id"]: (item["title"], item["body"]) for item in app}
    assert {n["id"]: (n["title"], n["body"]) for n in inbox} == shown
    assert "Behind the shop." in inbox[2]["body"]


def test_emails_say_where_what_when_and_how_they_went_without_a_token(session, now, people, lives):
    emails = _records(_dumped(session, people["client"]), "email_deliveries")
    assert [
        (e["template"], e["to_email"], e["address_source"], e["status"], e["attempts"])
        for e in emails
    ] == [
        ("welcome", "client1@example.org", "contact", "sent", 1),
        ("booking_confirmed", "client1@example.org", "contact", "sent", 1),
        ("password_reset", "client1@example.org", "event", "sent", 1),
        ("password_reset", "client1@example.org", "event", "pending", 0),
        ("email_confirmation", "chloe.new@example.org", "event", "pending", 0),
        ("email_changed", "client1@example.org", "event", "pending", 0),
    ]
    assert [e["subject"] for e in emails[2:]] == [
        "Réinitialisez votre mot de passe Loconomics",  # written though its token has gone
        "Réinitialisez votre mot de passe Loconomics",
        "Confirmez votre nouvelle adresse e-mail pour Loconomics",
        "L'adresse e-mail de votre compte Loconomics a été modifiée",
    ]
    assert emails[0]["subject"] == "Bienvenue chez Loconomics, Chloé Martin"
    assert emails[0]["sent_at"] == "2026-03-01T12:05:00+00:00"
    assert emails[3]["created_at"] == "2026-03-01T12:06:00+00:00"
    assert emails[3]["sent_at"] is None
    assert emails[3]["next_attempt_at"] == "2026-03-01T12:06:00+00:00"
    assert all(set(e) == set(emails[0]) and "body" not in e for e in emails)


def test_conversations_come_whole_both_ways_with_the_other_party_as_shown(
    session, now, people, lives
):
    [thread] = _records(_dumped(session, people["client"]), "conversations")
    assert thread["id"] == lives["client_thread"]
    assert {k: v for k, v in thread.items() if k != "messages"} == {
        "id": lives["client_thread"],
        "subject": "Parking",
        "booking_id": None,
        "my_role": "client",
        "other_party": {"account_id": "pro1", "name": "Pat Rivera"},
        "message_count": 2,
        "unread_count": 1,
        "created_at": "2026-03-01T12:09:00+00:00",
        "last_message_at": "2026-03-01T12:10:00+00:00",
    }
    assert [(m["seq"], m["sender_id"], m["mine"], m["body"]) for m in thread["messages"]] == [
        (1, "client1", True, "Where can I park?"),
        (2, "pro1", False, "Behind the shop."),
    ]
    assert thread["messages"][1]["created_at"] == "2026-03-01T12:10:00+00:00"
    pro_threads = _records(_dumped(session, people["pro"]), "conversations")
    assert [(t["subject"], t["my_role"], t["other_party"]["name"]) for t in pro_threads] == [
        ("Parking", "professional", "Chloé Martin"),
        ("Stranger's question", "professional", "Sam Other"),
    ]


def test_a_closed_other_party_is_a_former_member(session, now, people, lives, make_event):
    closure = {**make_event("account_closed"), "account_id": "pro1", "email": "pro1@example.org"}
    handle_event(session, "account_closed", closure, now + timedelta(hours=1))
    [thread] = _records(_dumped(session, people["client"]), "conversations")
    assert thread["other_party"] == {"account_id": "pro1", "name": "Former member"}


def test_nothing_of_another_member_is_in_the_export(session, now, people, lives):
    text = json.dumps(_dumped(session, people["client"]))
    for foreign in (
        lives["stranger_thread"],
        "Do you work on Sundays?",
        "Stranger's question",
        "stranger",
        "Sam Other",
        "bk-stranger",
        "pro1@example.org",
        "reminders",
        *lives["others_notifications"],
    ):
        assert foreign not in text
    assert lives["others_notifications"]  # the check above looked at something


def test_no_token_is_in_the_export_though_the_database_holds_some(session, now, people, lives):
    stored = session.scalars(select(Notification.data)).all()
    held = json.dumps(stored)
    assert all(token in held for token in SECRETS[1:])  # the pending emails still need them
    text = json.dumps(_dumped(session, people["client"]))
    for token in SECRETS:
        assert token not in text
    assert "reset-password" not in text and "confirm-email" not in text


def test_a_member_with_nothing_gets_every_section_empty(session, people, lives):
    export = _dumped(session, Caller("nobody-here", frozenset({"client"})))
    assert export == {
        "service": "notifications",
        "sections": {
            name: {"about": member_data.ABOUT[name], "records": []} for name in SECTION_NAMES
        },
    }


def test_every_table_is_in_a_section_or_says_why_not():
    assert unaccounted_tables(Base.metadata, SECTIONS_BY_TABLE, NOTHING_TO_SHOW) == {}
    assert {"outbox_events", "processed_events"} <= set(NOTHING_TO_SHOW)
    fed = {section for sections in SECTIONS_BY_TABLE.values() for section in sections}
    assert fed == set(SECTIONS) == set(SECTION_NAMES)
    assert all(reason.strip() for reason in NOTHING_TO_SHOW.values())


# ---- the entrypoint ------------------------------------------------------------------------


@pytest.fixture
def unit(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'notifications.sqlite3'}")
    Base.metadata.create_all(engine)
    work = UnitOfWork(session_factory(engine)(), Base.metadata)
    yield work
    work.close()
    engine.dispose()


def test_no_caller_is_unauthorized(unit):
    service = worker_factory(NotificationsService, db=unit, caller=Caller())
    with pytest.raises(Unauthorized):
        service.export_member_data()


def test_the_entrypoint_answers_for_the_caller_in_json(unit, now, make_account):
    handle_event(unit.session, "account_created", make_account("acc1", "Ana"), now)
    handle_event(unit.session, "account_created", make_account("acc2", "Bo"), now)
    service = worker_factory(
        NotificationsService, db=unit, caller=Caller("acc1", frozenset({"client"}))
    )
    answer = json.loads(json.dumps(service.export_member_data()))
    assert list(answer["sections"]) == SECTION_NAMES
    [contact] = answer["sections"]["contact"]["records"]
    assert (contact["account_id"], contact["email"]) == ("acc1", "acc1@example.org")
    [welcome] = answer["sections"]["email_deliveries"]["records"]
    assert (welcome["template"], welcome["status"]) == ("welcome", "pending")
    assert welcome["created_at"] == "2026-03-01T12:00:00+00:00"
    assert "acc2" not in json.dumps(answer)
