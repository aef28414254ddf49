from datetime import timedelta

import pytest
from loconomics_notifications.domain import conversations as talk
from loconomics_notifications.domain.inbox import list_notifications
from loconomics_notifications.domain.preferences import set_preferences
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import EmailDelivery, Message, Notification
from loconomics_plumbing.errors import Invalid, NotFound, Unauthorized
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError


def test_starting_a_conversation_gives_both_sides_their_place(
    session, now, people, thread, emitted
):
    view = talk.get_conversation(session, people["pro"], thread)
    summary = view["conversation"]
    assert (summary["my_role"], summary["other_party"]) == (
        "professional",
        {"account_id": "client1", "name": "Chloé Martin"},
    )
    assert (summary["message_count"], summary["unread_count"]) == (1, 1)
    assert [(m["seq"], m["body"], m["mine"]) for m in view["messages"]["items"]] == [
        (1, "Where can I park?", False)
    ]
    client_view = talk.get_conversation(session, people["client"], thread)["conversation"]
    assert client_view["unread_count"] == 0  # one's own message is seen
    assert [name for name, _ in emitted] == ["conversation_started", "message_sent"]
    assert emitted[1][1] == {
        "conversation_id": thread,
        "message_id": view["messages"]["items"][0]["id"],
        "seq": 1,
        "sender_id": "client1",
        "recipient_id": "pro1",
    }


def test_a_third_account_cannot_read_or_write(session, now, people, thread, emit):
    for caller in (people["stranger"], people["admin"]):
        with pytest.raises(NotFound):
            talk.get_conversation(session, caller, thread)
        with pytest.raises(NotFound):
            talk.post_message(session, caller, thread, "hi", now, emit)
        with pytest.raises(NotFound):
            talk.mark_conversation_read(session, caller, thread)
        assert talk.list_conversations(session, caller)["items"] == []
    with pytest.raises(Unauthorized):
        talk.get_conversation(session, people["nobody"], thread)


def test_unknown_and_foreign_conversations_look_the_same(session, people, thread):
    with pytest.raises(NotFound) as foreign:
        talk.get_conversation(session, people["stranger"], thread)
    with pytest.raises(NotFound) as missing:
        talk.get_conversation(session, people["stranger"], "0" * 32)
    assert foreign.value.detail == missing.value.detail


def test_each_message_notifies_the_other_side(session, now, people, thread, emit):
    talk.post_message(
        session, people["pro"], thread, "Behind the shop.", now + timedelta(minutes=1), emit
    )
    to_client = session.scalars(
        select(Notification).where(
            Notification.template == "message_received", Notification.recipient_id == "client1"
        )
    ).all()
    assert {n.channel for n in to_client} == {"email", "in_app"}
    inbox = list_notifications(session, people["client"], limit=1)["items"][0]
    assert inbox["title"] == "Nouveau message de Pat Rivera : Parking"
    assert "Behind the shop." in inbox["body"]
    assert inbox["link"] == f"/conversations/{thread}"
    to_pro = session.scalars(
        select(Notification).where(
            Notification.template == "message_received", Notification.recipient_id == "pro1"
        )
    ).all()
    assert len(to_pro) == 2  # from the first message only
    assert (
        session.query(Notification)
        .filter_by(recipient_id="client1", template="message_received")
        .count()
        == 2
    )


def test_message_emails_follow_preferences(session, now, people, thread, emit):
    set_preferences(session, people["client"], {"messages": {"email": False}}, now)
    talk.post_message(session, people["pro"], thread, "ok", now, emit)
    channels = {
        n.channel
        for n in session.scalars(
            select(Notification).where(
                Notification.template == "message_received", Notification.recipient_id == "client1"
            )
        )
    }
    assert channels == {"in_app"}
    assert session.query(EmailDelivery).filter_by(recipient_id="client1").count() == 1  # welcome


def test_unread_counts_per_participant(session, now, people, thread, emit):
    assert talk.unread_messages(session, people["pro"]) == 1
    for minute in range(3):
        talk.post_message(
            session, people["pro"], thread, f"m{minute}", now + timedelta(minutes=minute), emit
        )
    assert talk.unread_messages(session, people["client"]) == 3
    assert talk.unread_messages(session, people["pro"]) == 0  # replying means having read
    summary = talk.mark_conversation_read(session, people["client"], thread)
    assert summary["unread_count"] == 0
    assert talk.unread_messages(session, people["client"]) == 0
    talk.post_message(session, people["pro"], thread, "again", now + timedelta(minutes=9), emit)
    assert talk.list_conversations(session, people["client"])["items"][0]["unread_count"] == 1
    talk.post_message(
        session, people["client"], thread, "thanks", now + timedelta(minutes=10), emit
    )
    assert talk.unread_messages(session, people["client"]) == 0
    assert talk.unread_messages(session, people["pro"]) == 1


def test_messages_are_numbered_and_paged_newest_first(session, now, people, thread, emit):
    for n in range(2, 8):
        author = people["pro"] if n % 2 else people["client"]
        talk.post_message(session, author, thread, f"message {n}", now + timedelta(minutes=n), emit)
    first = talk.get_conversation(session, people["client"], thread, limit=4)
    assert [m["seq"] for m in first["messages"]["items"]] == [7, 6, 5, 4]
    rest = talk.get_conversation(
        session, people["client"], thread, limit=4, cursor=first["messages"]["next_cursor"]
    )
    assert [m["seq"] for m in rest["messages"]["items"]] == [3, 2, 1]
    assert rest["messages"]["next_cursor"] is None


def test_conversations_are_listed_by_latest_activity(
    session, now, people, thread, emit, make_account
):
    handle_event(
        session, "account_created", make_account("pro2", "Quinn", roles=("professional",)), now
    )
    other = talk.start_conversation(
        session,
        people["client"],
        to="pro2",
        subject="Quote",
        body="How much?",
        booking_id=None,
        now=now + timedelta(minutes=1),
        emit=emit,
    )["conversation"]["id"]
    assert [c["id"] for c in talk.list_conversations(session, people["client"])["items"]] == [
        other,
        thread,
    ]
    talk.post_message(session, people["pro"], thread, "news", now + timedelta(minutes=2), emit)
    page = talk.list_conversations(session, people["client"], limit=1)
    assert [c["id"] for c in page["items"]] == [thread]
    rest = talk.list_conversations(session, people["client"], limit=1, cursor=page["next_cursor"])
    assert [c["id"] for c in rest["items"]] == [other]


def test_a_professional_can_write_to_a_client(session, now, people, emit):
    started = talk.start_conversation(
        session,
        people["pro"],
        to="client1",
        subject="Your visit",
        body="Hello!",
        booking_id=None,
        now=now,
        emit=emit,
    )
    assert started["conversation"]["my_role"] == "professional"
    assert started["message"]["mine"] is True


def test_about_a_booking_only_its_parties_talk_in_one_thread(
    session, now, people, emit, make_booking
):
    handle_event(session, "booking_confirmed", make_booking(booking_id="bkA"), now)
    first = talk.start_conversation(
        session,
        people["pro"],
        to="client1",
        subject="Your booking",
        body="See you",
        booking_id="bkA",
        now=now,
        emit=emit,
    )
    second = talk.start_conversation(
        session,
        people["client"],
        to="pro1",
        subject="ignored",
        body="Thanks",
        booking_id="bkA",
        now=now,
        emit=emit,
    )
    assert first["conversation"]["id"] == second["conversation"]["id"]
    assert second["conversation"]["subject"] == "Your booking"
    assert second["message"]["seq"] == 2
    with pytest.raises(Invalid) as caught:
        talk.start_conversation(
            session,
            people["stranger"],
            to="pro1",
            subject="x",
            body="y",
            booking_id="bkA",
            now=now,
            emit=emit,
        )
    assert "booking_id" in caught.value.errors
    with pytest.raises(Invalid) as caught:
        talk.start_conversation(
            session,
            people["client"],
            to="stranger",
            subject="x",
            body="y",
            booking_id="bkA",
            now=now,
            emit=emit,
        )
    assert "to" in caught.value.errors


@pytest.mark.parametrize(
    ("caller", "to", "field"),
    [("client", "client1", "to"), ("client", "nobody-known", "to"), ("client", "stranger", "to")],
)
def test_conversations_are_between_a_client_and_a_professional(
    session, now, people, emit, caller, to, field
):
    with pytest.raises(Invalid) as caught:
        talk.start_conversation(
            session,
            people[caller],
            to=to,
            subject="x",
            body="y",
            booking_id=None,
            now=now,
            emit=emit,
        )
    assert field in caught.value.errors


def test_blank_messages_are_refused(session, now, people, thread, emit):
    with pytest.raises(Invalid) as caught:
        talk.post_message(session, people["pro"], thread, "   \n ", now, emit)
    assert "body" in caught.value.errors


def test_messages_cannot_be_changed_or_removed_even_in_sql(session, thread):
    session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(update(Message).values(body="rewritten"))
    session.rollback()
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(delete(Message))
    session.rollback()
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(text("DELETE FROM messages"))


def test_the_messaging_module_offers_no_way_to_edit():
    public = {
        name
        for name, value in vars(talk).items()
        if callable(value)
        and getattr(value, "__module__", None) == talk.__name__
        and not name.startswith("_")
    }
    assert "post_message" in public
    assert not {n for n in public if any(w in n for w in ("edit", "update", "delete", "remove"))}
