from datetime import timedelta

import pytest
from loconomics_notifications.domain.inbox import (
    list_notifications,
    mark_all_read,
    mark_read,
    unread_count,
)
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import Notification
from loconomics_plumbing.errors import Invalid, NotFound, Unauthorized
from sqlalchemy import select


@pytest.fixture
def busy_client(session, now, people, make_booking):
    """The client has a welcome plus five booking notices, one a minute apart."""
    for minute in range(1, 6):
        handle_event(
            session,
            "booking_confirmed",
            make_booking(booking_id=f"bk{minute}"),
            now + timedelta(minutes=minute),
        )
    return people["client"]


def test_the_inbox_lists_newest_first_in_the_readers_language(session, busy_client):
    page = list_notifications(session, busy_client, limit=3)
    assert [i["refs"].get("booking_id") for i in page["items"]] == ["bk5", "bk4", "bk3"]
    first = page["items"][0]
    assert first["title"] == "Réservation confirmée : Haircut avec Pat Rivera"
    assert first["body"].startswith("Bonjour Chloé Martin,")
    assert first["link"] == "/bookings/bk5"
    assert (first["kind"], first["category"], first["read_at"]) == (
        "booking_confirmed",
        "booking",
        None,
    )
    assert page["unread_count"] == 6


def test_cursor_pages_cover_everything_once(session, busy_client):
    seen, cursor = [], None
    while True:
        page = list_notifications(session, busy_client, limit=4, cursor=cursor)
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 6


def test_a_new_notification_does_not_shift_the_next_page(session, now, busy_client, make_booking):
    page = list_notifications(session, busy_client, limit=2)
    handle_event(
        session, "booking_confirmed", make_booking(booking_id="bk9"), now + timedelta(hours=1)
    )
    following = list_notifications(session, busy_client, limit=2, cursor=page["next_cursor"])
    assert [i["refs"]["booking_id"] for i in following["items"]] == ["bk3", "bk2"]


def test_marking_read_is_for_the_owner_only(session, now, people, busy_client):
    item = list_notifications(session, busy_client, limit=1)["items"][0]
    with pytest.raises(NotFound):
        mark_read(session, people["pro"], item["id"], now)
    with pytest.raises(NotFound):
        mark_read(session, busy_client, "no-such-id", now)
    read = mark_read(session, busy_client, item["id"], now)
    assert read["read_at"] == now
    again = mark_read(session, busy_client, item["id"], now + timedelta(hours=1))
    assert again["read_at"] == now
    assert unread_count(session, busy_client) == 5
    assert [
        i["id"] for i in list_notifications(session, busy_client, unread_only=True)["items"]
    ].count(item["id"]) == 0


def test_email_copies_are_not_in_the_inbox(session, now, people, busy_client):
    items = list_notifications(session, busy_client, limit=100)["items"]
    assert len(items) == 6
    email_copy = session.scalars(
        select(Notification).where(
            Notification.recipient_id == "client1", Notification.channel == "email"
        )
    ).first()
    with pytest.raises(NotFound):
        mark_read(session, busy_client, email_copy.id, now)


def test_mark_all_read(session, now, busy_client, people):
    assert mark_all_read(session, busy_client, now) == 6
    assert unread_count(session, busy_client) == 0
    assert unread_count(session, people["pro"]) == 6  # welcome + five bookings


def test_limits_and_identity_are_checked(session, busy_client, people):
    with pytest.raises(Invalid):
        list_notifications(session, busy_client, limit=0)
    with pytest.raises(Invalid):
        list_notifications(session, busy_client, cursor="!!!")
    with pytest.raises(Unauthorized):
        list_notifications(session, people["nobody"])
