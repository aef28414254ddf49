"""Reports, moderation and blocks through the real gateway, services, broker and SMTP sink
(docs/reports-and-blocks.md).

A review and messages are reported by the members who read them; an administrator works the
queues, removes a review, withholds a message and dismisses a report; the authors and the
reporters are told by email. A block stops two members writing to each other and, once
booking has heard of it, booking each other; lifting it lets both happen again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from booking_requests import ALL_WEEK
from listing_events import publish_listing
from loconomics_booking.schemas import EMITTED_EVENTS as BOOKING_EVENTS
from loconomics_profiles.domain.catalog_data import DEFAULT_CRITERIA
from loconomics_profiles.domain.reviews import CLIENT_CRITERIA
from nameko.standalone.events import event_dispatcher
from platform_client import ApiClient, Person
from polling import wait_for
from service_databases import rows
from sink_mail import mail_saying

pytestmark = pytest.mark.integration


def completed_booking(platform, client: Person, professional: Person) -> str:
    """A booking booking reports completed, as its `booking_completed` event says."""
    ended = datetime.now(UTC) - timedelta(days=1)
    payload = {
        "booking_id": uuid.uuid4().hex,
        "client_id": client.account_id,
        "professional_id": professional.account_id,
        "service_id": uuid.uuid4().hex,
        "listing_id": uuid.uuid4().hex,  # unknown to profiles: the default criteria
        "status": "completed",
        "start": (ended - timedelta(hours=1)).isoformat(),
        "end": ended.isoformat(),
        "time_zone": "UTC",
        "price": {"amount_cents": 9000, "currency": "USD"},
        "policy": "flexible",
        "instant": False,
        "created_by": "client",
        "completed_by": "client",
    }
    assert BOOKING_EVENTS["booking_completed"]().validate(payload) == {}, "not what booking sends"
    dispatch = event_dispatcher({"AMQP_URI": platform.amqp_uri, "serializer": "json"})
    dispatch(
        "booking",
        "booking_completed",
        {**payload, "event_id": uuid.uuid4().hex, "occurred_at": datetime.now(UTC).isoformat()},
    )
    return payload["booking_id"]


def published_review_of(api: ApiClient, platform, client: Person, professional: Person) -> dict:
    """The client's review of the professional, published because both sides reviewed."""
    booking_id = completed_booking(platform, client, professional)

    def review(person: Person, ratings: tuple[str, ...]):
        return api.post(
            f"/v1/bookings/{booking_id}/review",
            token=person.token,
            json={"ratings": dict.fromkeys(ratings, 2), "text": f"Written by {person.email}."},
        )

    def clients_review():
        answer = review(client, DEFAULT_CRITERIA)
        return answer.json() if answer.status_code == 201 else None

    written = wait_for(clients_review, "profiles to learn the completion")
    answered = review(professional, CLIENT_CRITERIA)
    assert answered.status_code == 201, answered.text
    return written


def reviews_shown(api: ApiClient, professional: Person) -> list[str]:
    answer = api.get(f"/v1/professionals/{professional.account_id}/reviews")
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


def emails(platform, person: Person, *words: str) -> list:
    """Mail to the person whose subject or text has every one of `words`."""
    return mail_saying(platform, person.email, *words)


def messages(api: ApiClient, person: Person, path: str) -> list[dict]:
    """A conversation's messages as the person sees them, oldest first."""
    answer = api.get(path, token=person.token)
    assert answer.status_code == 200, answer.text
    return answer.json()["messages"]["items"][::-1]


def queue(api: ApiClient, admin: Person, path: str, status: str = "open") -> list[dict]:
    answer = api.get(path, token=admin.token, params={"status": status, "limit": 100})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_a_reported_review_is_removed_and_restored_by_a_moderator(platform, api, admin):
    pro = api.sign_up(roles=["professional"], name="Pat Painter")
    client = api.sign_up(name="Robin Reviewer")
    neighbour = api.sign_up(name="Nia Neighbour")
    review = published_review_of(api, platform, client, pro)
    assert review["id"] in reviews_shown(api, pro)
    reports = f"/v1/reviews/{review['id']}/reports"

    made = api.post(
        reports,
        token=pro.token,
        json={"reason": "false_or_misleading", "details": "This job never happened."},
    )
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "open"
    assert api.post(reports, token=pro.token, json={"reason": "spam"}).status_code == 409
    assert api.post(reports, token=client.token, json={"reason": "spam"}).status_code == 403
    bad = api.post(reports, token=neighbour.token, json={"reason": "boring"})
    assert bad.status_code == 422, bad.text
    assert "reason" in bad.json()["errors"]
    second = api.post(reports, token=neighbour.token, json={"reason": "spam"})
    assert second.status_code == 201, second.text
    assert review["id"] in reviews_shown(api, pro), "a report alone changes nothing"

    assert api.get("/v1/admin/review-reports", token=pro.token).status_code == 403
    waiting = [
        r for r in queue(api, admin, "/v1/admin/review-reports") if r["review_id"] == review["id"]
    ]
    assert {r["id"] for r in waiting} == {made.json()["id"], second.json()["id"]}
    assert waiting[0]["review"]["text"] == review["text"]
    assert waiting[0]["review"]["report_count"] == 2

    removal = f"/v1/admin/reviews/{review['id']}/removal"
    removed = api.post(
        removal,
        token=admin.token,
        json={"reason": "false_or_misleading", "note": "No booking matches this review."},
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["removed_at"]
    assert review["id"] not in reviews_shown(api, pro)
    assert api.post(removal, token=admin.token, json={"reason": "spam"}).status_code == 409
    upheld = {r["id"] for r in queue(api, admin, "/v1/admin/review-reports", "upheld")}
    assert {made.json()["id"], second.json()["id"]} <= upheld
    after = {r["id"] for r in queue(api, admin, "/v1/admin/review-reports")}
    assert not after & upheld

    wait_for(
        lambda: emails(platform, client, "No booking matches this review."),
        "the review's author to be told why it was removed",
    )
    wait_for(lambda: emails(platform, pro, "review"), "the professional's outcome")
    wait_for(lambda: emails(platform, neighbour, "review"), "the neighbour's outcome")
    inbox = api.get("/v1/me/notifications", token=client.token).json()["items"]
    assert any(item["kind"] == "review_removed" for item in inbox), inbox

    restored = api.delete(removal, token=admin.token)
    assert restored.status_code == 200, restored.text
    assert review["id"] in reviews_shown(api, pro)
    assert api.delete(removal, token=admin.token).status_code == 409


def test_a_reported_message_is_withheld_and_another_report_dismissed(platform, api, admin):
    pro = api.sign_up(roles=["professional"], name="Mo Mover")
    client = api.sign_up(name="Wes Writer")
    stranger = api.sign_up(name="Sam Stranger")

    def started():
        answer = api.post(
            "/v1/conversations",
            token=client.token,
            json={
                "to": pro.account_id,
                "subject": "Moving day",
                "body": "Pay me in cash, offline.",
            },
        )
        return answer.json() if answer.status_code == 201 else None

    conversation = wait_for(started, "notifications to know both members")["conversation"]
    path = f"/v1/conversations/{conversation['id']}"
    first = messages(api, pro, path)[0]
    second = api.post(f"{path}/messages", token=client.token, json={"body": "Are you free?"})
    assert second.status_code == 201, second.text
    second_id = second.json()["id"]

    def report(person: Person, message_id: str, reason: str = "scam"):
        return api.post(
            f"{path}/messages/{message_id}/reports", token=person.token, json={"reason": reason}
        )

    assert report(client, first["id"]).status_code == 403, "the sender cannot report it"
    assert report(stranger, first["id"]).status_code == 404, "nor can a stranger see it"
    made = report(pro, first["id"])
    assert made.status_code == 201, made.text
    assert report(pro, first["id"]).status_code == 409
    other = report(pro, second_id, "other")
    assert other.status_code == 201, other.text

    assert api.get("/v1/admin/message-reports", token=client.token).status_code == 403
    waiting = {r["id"]: r for r in queue(api, admin, "/v1/admin/message-reports")}
    assert waiting[made.json()["id"]]["message"]["body"] == "Pay me in cash, offline."
    assert [m["id"] for m in waiting[other.json()["id"]]["context"]] == [first["id"]]

    withheld = api.post(
        f"/v1/admin/messages/{first['id']}/withholding",
        token=admin.token,
        json={"reason": "scam", "note": "Payments go through the platform."},
    )
    assert withheld.status_code == 200, withheld.text
    for person in (pro, client):
        shown = messages(api, person, path)
        assert shown[0]["withheld"] is True and shown[0]["body"] is None, shown[0]
        assert shown[1]["body"] == "Are you free?"
    wait_for(
        lambda: emails(platform, client, "Payments go through the platform."),
        "the sender to be told why their message was withheld",
    )

    dismissed = api.post(
        f"/v1/admin/message-reports/{other.json()['id']}/dismissal",
        token=admin.token,
        json={"note": "Nothing against the rules here."},
    )
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["status"] == "dismissed"
    wait_for(
        lambda: emails(platform, pro, "Nothing against the rules here."),
        "the reporter to be told the report was dismissed",
    )
    assert messages(api, pro, path)[1]["body"] == "Are you free?"


def pair_in_booking(platform, blocker: Person, blocked: Person) -> list[tuple]:
    return rows(
        platform,
        "booking",
        "SELECT blocked FROM blocked_pairs WHERE blocker_id = ? AND blocked_id = ?",
        blocker.account_id,
        blocked.account_id,
    )


def test_a_block_stops_messages_and_new_bookings_until_it_is_lifted(platform, api):
    pro = api.sign_up(roles=["professional"], name="Bea Blocker")
    client = api.sign_up(name="Carl Caller")
    scheduled = api.put(
        "/v1/me/schedule", token=pro.token, json={"time_zone": "UTC", "weekly": ALL_WEEK}
    )
    assert scheduled.status_code == 200, scheduled.text
    service_id = publish_listing(platform, pro)
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)

    def ask(hours: int):
        return api.post(
            "/v1/bookings",
            token=client.token,
            json={
                "service_id": service_id,
                "proposed_starts": [(start + timedelta(hours=hours)).isoformat()],
            },
        )

    def write(person: Person, to: Person):
        return api.post(
            "/v1/conversations",
            token=person.token,
            json={"to": to.account_id, "subject": "Hello", "body": "A question."},
        )

    wait_for(lambda: write(client, pro).status_code == 201, "notifications to know both")
    wait_for(lambda: ask(0).status_code == 201, "booking to know the service")

    blocked = api.put(f"/v1/me/blocks/{client.account_id}", token=pro.token)
    assert blocked.status_code == 200, blocked.text
    again = api.put(f"/v1/me/blocks/{client.account_id}", token=pro.token)
    assert again.json()["blocked_at"] == blocked.json()["blocked_at"]
    listed = api.get("/v1/me/blocks", token=pro.token).json()["items"]
    assert [b["account_id"] for b in listed] == [client.account_id]
    assert api.put(f"/v1/me/blocks/{pro.account_id}", token=pro.token).status_code == 422

    refused = write(client, pro)
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == "This member is not accepting messages from you."
    own = write(pro, client)
    assert own.status_code == 409, own.text
    assert own.json()["detail"] == "You blocked this member; unblock them to write."
    conversations = api.get("/v1/conversations", token=client.token).json()["items"]
    assert conversations and all(c["can_write"] is False for c in conversations)

    wait_for(lambda: pair_in_booking(platform, pro, client) == [(1,)], "booking to hear of it")
    refusal = ask(1)
    assert refusal.status_code == 409, refusal.text
    assert refusal.json()["detail"] == "You cannot book this professional."

    assert api.delete(f"/v1/me/blocks/{client.account_id}", token=pro.token).status_code == 204
    assert api.delete(f"/v1/me/blocks/{client.account_id}", token=pro.token).status_code == 404
    assert write(client, pro).status_code == 201
    wait_for(lambda: pair_in_booking(platform, pro, client) == [(0,)], "booking to hear it lifted")
    assert ask(2).status_code == 201
