"""Reports of messages and the moderators' decisions (docs/reports-and-blocks.md): only the
recipient reports, once; the queue oldest first with the context; withholding hides the text
from both participants (and from the notifications already made) while keeping it, upholds the
open reports and tells the sender and the reporters; restoring and dismissing; profiles'
`review_removed` and `review_report_resolved` told to the right member in their language;
closure; the member's copy."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from loconomics_notifications.domain import conversations as talk
from loconomics_notifications.domain import message_reports as reports
from loconomics_notifications.domain.deliveries import deliver_due
from loconomics_notifications.domain.emails import Mailbox
from loconomics_notifications.domain.inbox import list_notifications
from loconomics_notifications.domain.member_data import export_member_data
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import Base, Message, MessageReport, Notification
from loconomics_notifications.schemas import (
    MemberDataSchema,
    MessageReportPageSchema,
    ModeratorMessageReportSchema,
)
from loconomics_notifications.service import NotificationsService
from loconomics_plumbing import clock
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import UnitOfWork, make_engine, session_factory
from loconomics_plumbing.telemetry import MODERATION_OLDEST_WAIT, MODERATION_OPEN_REPORTS
from nameko.testing.services import worker_factory
from sqlalchemy import func, select

MINUTE = timedelta(minutes=1)
APP = "https://app.loconomics.test"
MAILBOX = Mailbox("hello@loconomics.test", link_base=APP)
NOTE = "Please keep it about the appointment."
MODERATED = ("message_withheld", "report_resolved", "review_removed")


@pytest.fixture
def chat(session, now, people, thread, emit) -> dict[int, str]:
    """Eight messages in the client's thread, odd ones the client's, even ones the
    professional's (seq 1 is the thread's "Where can I park?"); seq → message id."""
    for seq in range(2, 9):
        author = people["pro"] if seq % 2 == 0 else people["client"]
        text = "Behind the shop." if seq == 2 else f"message {seq}"
        talk.post_message(session, author, thread, text, now + seq * MINUTE, emit)
    return dict(
        session.execute(
            select(Message.seq, Message.id).where(Message.conversation_id == thread)
        ).all()
    )


def _report(session, caller, thread, message_id, now, reason="harassment", details=None):
    return reports.report_message(
        session,
        caller,
        conversation_id=thread,
        message_id=message_id,
        reason=reason,
        details=details,
        now=now,
    )


def _withhold(session, people, message_id, now, reason="harassment", note=NOTE):
    return reports.withhold_message(
        session, people["admin"], message_id=message_id, reason=reason, note=note, now=now
    )


def _moderated(session, recipient: str | None = None) -> list[tuple[str, str, str]]:
    query = select(Notification.recipient_id, Notification.template, Notification.channel).where(
        Notification.template.in_(MODERATED)
    )
    if recipient:
        query = query.where(Notification.recipient_id == recipient)
    return sorted(session.execute(query).all())


def _bodies(session, caller, thread) -> dict[int, tuple[str | None, bool]]:
    items = talk.get_conversation(session, caller, thread, limit=50)["messages"]["items"]
    return {m["seq"]: (m["body"], m["withheld"]) for m in items}


def _inbox(session, caller, kind: str) -> list[dict]:
    return [
        item
        for item in list_notifications(session, caller, limit=100)["items"]
        if item["kind"] == kind
    ]


# ---- reporting -----------------------------------------------------------------------------


def test_the_recipient_reports_a_message_and_reads_their_report(session, now, people, thread, chat):
    at = now + 20 * MINUTE
    report = _report(session, people["client"], thread, chat[2], at, details="Rude to me.")
    assert report == {
        "id": report["id"],
        "message_id": chat[2],
        "conversation_id": thread,
        "reason": "harassment",
        "details": "Rude to me.",
        "status": "open",
        "created_at": at,
        "resolved_at": None,
    }
    stored = session.get(MessageReport, report["id"])
    assert (stored.reporter_id, stored.status) == ("client1", "open")


def test_a_report_changes_nothing_and_tells_nobody(
    session, now, people, thread, chat, emit, emitted
):
    notified = session.query(Notification).count()
    events = len(emitted)
    _report(session, people["client"], thread, chat[2], now)
    for caller in (people["client"], people["pro"]):
        assert _bodies(session, caller, thread)[2] == ("Behind the shop.", False)
    assert session.query(Notification).count() == notified
    assert len(emitted) == events


def test_the_sender_cannot_report_their_own_message(session, now, people, thread, chat):
    with pytest.raises(Forbidden):
        _report(session, people["pro"], thread, chat[2], now)
    with pytest.raises(Forbidden):
        _report(session, people["client"], thread, chat[1], now)
    assert session.query(MessageReport).count() == 0


def test_what_the_caller_cannot_see_is_not_found(session, now, people, thread, chat, emit):
    other = talk.start_conversation(
        session,
        people["stranger"],
        to="pro1",
        subject="Sundays?",
        body="Do you work on Sundays?",
        booking_id=None,
        now=now,
        emit=emit,
    )
    foreign_message = other["message"]["id"]
    attempts = [
        (people["stranger"], thread, chat[2]),
        (people["admin"], thread, chat[2]),
        (people["client"], thread, "0" * 32),
        (people["client"], "0" * 32, chat[2]),
        (people["pro"], thread, foreign_message),  # a message of theirs, in another thread
        (people["client"], other["conversation"]["id"], foreign_message),
    ]
    for caller, conversation_id, message_id in attempts:
        with pytest.raises(NotFound):
            _report(session, caller, conversation_id, message_id, now)
    with pytest.raises(Unauthorized):
        _report(session, people["nobody"], thread, chat[2], now)
    assert session.query(MessageReport).count() == 0


def test_a_second_report_conflicts_whatever_the_first_became(session, now, people, thread, chat):
    first = _report(session, people["client"], thread, chat[2], now)
    with pytest.raises(Conflict) as open_one:
        _report(session, people["client"], thread, chat[2], now, reason="spam")
    assert open_one.value.detail == "You already reported this message."
    reports.dismiss_message_report(session, people["admin"], first["id"], None, now)
    with pytest.raises(Conflict) as dismissed:
        _report(session, people["client"], thread, chat[2], now)
    assert dismissed.value.detail == reports.ALREADY_REPORTED
    _report(session, people["client"], thread, chat[4], now)
    _withhold(session, people, chat[4], now)
    with pytest.raises(Conflict) as upheld:
        _report(session, people["client"], thread, chat[4], now)
    assert upheld.value.detail == reports.ALREADY_REPORTED
    assert session.query(MessageReport).count() == 2


def test_a_withheld_message_is_not_reported_again(session, now, people, thread, chat):
    _withhold(session, people, chat[2], now)
    with pytest.raises(Conflict) as caught:
        _report(session, people["client"], thread, chat[2], now)
    assert caught.value.detail == reports.WITHHELD_ALREADY
    assert session.query(MessageReport).count() == 0


# ---- the queue -----------------------------------------------------------------------------


def test_the_queue_is_for_moderators(session, people, chat):
    for caller in (people["client"], people["pro"], people["stranger"]):
        with pytest.raises(Forbidden):
            reports.list_message_reports(session, caller)
    with pytest.raises(Unauthorized):
        reports.list_message_reports(session, people["nobody"])


def _queued(session, people, **args) -> tuple[list[str], str | None]:
    page = reports.list_message_reports(session, people["admin"], **args)
    return [item["message_id"] for item in page["items"]], page["next_cursor"]


def test_the_queue_is_one_status_oldest_first_in_pages(session, now, people, thread, chat):
    made = {
        seq: _report(session, caller, thread, chat[seq], now + minutes * MINUTE)
        for seq, caller, minutes in (
            (2, people["client"], 3),
            (4, people["client"], 1),
            (6, people["client"], 2),
            (1, people["pro"], 4),
        )
    }
    first, cursor = _queued(session, people, limit=2)
    assert first == [chat[4], chat[6]]
    rest, end = _queued(session, people, limit=2, cursor=cursor)
    assert (rest, end) == ([chat[2], chat[1]], None)
    reports.dismiss_message_report(session, people["admin"], made[6]["id"], None, now)
    _withhold(session, people, chat[2], now)
    assert _queued(session, people) == ([chat[4], chat[1]], None)
    assert _queued(session, people, status="open") == ([chat[4], chat[1]], None)
    assert _queued(session, people, status="upheld") == ([chat[2]], None)
    assert _queued(session, people, status="dismissed") == ([chat[6]], None)


def test_a_bad_cursor_or_status_is_invalid(session, people, chat):
    with pytest.raises(Invalid) as status:
        reports.list_message_reports(session, people["admin"], status="closed")
    assert set(status.value.errors) == {"status"}
    with pytest.raises(Invalid) as cursor:
        reports.list_message_reports(session, people["admin"], cursor="not-ours")
    assert set(cursor.value.errors) == {"cursor"}


def test_each_item_holds_the_report_the_message_and_the_five_before_it(
    session, now, people, thread, chat
):
    _report(session, people["pro"], thread, chat[3], now, details="Insulting.")
    _withhold(session, people, chat[4], now + MINUTE, note=None)
    report = _report(session, people["client"], thread, chat[8], now + 2 * MINUTE, details="Again")
    [item] = [
        i
        for i in reports.list_message_reports(session, people["admin"])["items"]
        if i["id"] == report["id"]
    ]
    assert {k: item[k] for k in ("reporter_id", "resolved_by", "resolution_note", "details")} == {
        "reporter_id": "client1",
        "resolved_by": None,
        "resolution_note": None,
        "details": "Again",
    }
    assert item["message"] == {
        "id": chat[8],
        "conversation_id": thread,
        "seq": 8,
        "sender_id": "pro1",
        "body": "message 8",
        "created_at": now + 8 * MINUTE,
        "withheld_at": None,
        "withheld_reason": None,
        "withheld_note": None,
        "report_count": 1,
    }
    context = item["context"]
    assert [m["seq"] for m in context] == [3, 4, 5, 6, 7]
    assert [m["report_count"] for m in context] == [1, 0, 0, 0, 0]
    withheld = context[1]
    assert withheld["body"] == "message 4"  # the moderators always read the text
    assert (withheld["withheld_at"], withheld["withheld_reason"]) == (now + MINUTE, "harassment")


def test_the_context_is_what_there_is_before_the_message(session, now, people, thread, chat):
    _report(session, people["client"], thread, chat[2], now)
    _report(session, people["pro"], thread, chat[1], now + MINUTE)
    items = reports.list_message_reports(session, people["admin"])["items"]
    assert [[m["seq"] for m in item["context"]] for item in items] == [[1], []]
    dumped = MessageReportPageSchema().dump({"items": items, "next_cursor": None})
    assert dumped["items"][0]["context"][0]["body"] == "Where can I park?"


# ---- withholding ---------------------------------------------------------------------------


def test_withholding_hides_the_text_from_both_and_keeps_it(session, now, people, thread, chat):
    at = now + 30 * MINUTE
    view = _withhold(session, people, chat[2], at)
    assert {
        k: view[k] for k in ("id", "body", "withheld_at", "withheld_reason", "withheld_note")
    } == {
        "id": chat[2],
        "body": "Behind the shop.",
        "withheld_at": at,
        "withheld_reason": "harassment",
        "withheld_note": NOTE,
    }
    for caller in (people["client"], people["pro"]):
        bodies = _bodies(session, caller, thread)
        assert bodies[2] == (None, True)
        assert bodies[3] == ("message 3", False)
        assert bodies[1] == ("Where can I park?", False)
    assert session.get(Message, chat[2]).body == "Behind the shop."


def test_withholding_upholds_the_open_reports(session, now, people, thread, chat):
    report = _report(session, people["client"], thread, chat[2], now)
    at = now + 30 * MINUTE
    assert _withhold(session, people, chat[2], at)["report_count"] == 1
    stored = session.get(MessageReport, report["id"])
    assert (stored.status, stored.resolved_at, stored.resolved_by, stored.resolution_note) == (
        "upheld",
        at,
        "admin1",
        NOTE,
    )


def test_the_sender_is_told_why_in_their_language(session, now, people, thread, chat):
    _withhold(session, people, chat[2], now + 30 * MINUTE)
    assert _moderated(session) == [
        ("pro1", "message_withheld", "email"),
        ("pro1", "message_withheld", "in_app"),
    ]
    [notice] = _inbox(session, people["pro"], "message_withheld")
    assert notice["title"] == 'Your message in "Parking" was withheld'
    assert (notice["category"], notice["transactional"]) == ("account", True)
    assert notice["link"] == f"/conversations/{thread}"
    assert notice["refs"] == {"conversation_id": thread, "message_id": chat[2]}
    body = notice["body"].replace("\n", " ")
    assert "withheld a message you sent to Chloé Martin" in body
    assert "The reason: harassment or bullying." in body
    assert f"A note from the moderators: {NOTE}" in body
    assert "Behind the shop." not in body


def test_the_french_sender_is_told_in_french_without_a_note(session, now, people, thread, chat):
    _withhold(session, people, chat[3], now, reason="spam", note=None)
    [notice] = _inbox(session, people["client"], "message_withheld")
    assert notice["title"] == "Votre message dans « Parking » a été masqué"
    assert "Motif : spam ou publicité non sollicitée." in notice["body"]
    assert "modération :" not in notice["body"]  # no note, no line for it


def test_the_reporter_is_told_it_was_removed(session, now, people, thread, chat):
    _report(session, people["client"], thread, chat[2], now)
    _withhold(session, people, chat[2], now + MINUTE)
    assert _moderated(session, "client1") == [
        ("client1", "report_resolved", "email"),
        ("client1", "report_resolved", "in_app"),
    ]
    [told] = _inbox(session, people["client"], "report_resolved")
    assert told["title"] == "Votre signalement : il a été retiré"
    assert "le message de Pat Rivera dans « Parking »" in told["body"]
    assert "l'a retiré" in told["body"]
    assert NOTE not in told["body"]  # the note is for the sender
    assert told["link"] == f"/conversations/{thread}"
    assert (told["category"], told["transactional"]) == ("account", True)


def test_a_message_received_notification_no_longer_shows_the_text(
    session, now, people, thread, chat, smtp_server
):
    [before] = [
        n
        for n in _inbox(session, people["client"], "message_received")
        if "Behind the shop." in n["body"]
    ]
    _withhold(session, people, chat[2], now)
    [after] = [
        n for n in _inbox(session, people["client"], "message_received") if n["id"] == before["id"]
    ]
    assert "Behind the shop." not in after["body"]
    assert "(retiré par les modérateurs)" in after["body"]
    _withhold(session, people, chat[1], now)  # the client's first message, to the professional
    [to_pro] = [
        n
        for n in _inbox(session, people["pro"], "message_received")
        if n["refs"]["message_id"] == chat[1]
    ]
    assert "Where can I park?" not in to_pro["body"]
    assert "(removed by the moderators)" in to_pro["body"]
    server = smtp_server()
    deliver_due(session, now + timedelta(hours=1), server, MAILBOX, limit=100)
    received = [
        email
        for email in server.accepted
        if email["Subject"].startswith("Nouveau message de Pat Rivera")
    ]
    texts = [email.get_body(("plain",)).get_content() for email in received]
    assert any("(retiré par les modérateurs)" in text for text in texts)
    assert not any("Behind the shop." in text for text in texts)


def test_withholding_again_or_the_unknown_or_by_a_member_changes_nothing(
    session, now, people, thread, chat
):
    _withhold(session, people, chat[2], now)
    made = session.query(Notification).count()
    with pytest.raises(Conflict) as again:
        _withhold(session, people, chat[2], now + MINUTE)
    assert again.value.detail == reports.ALREADY_WITHHELD
    with pytest.raises(NotFound):
        _withhold(session, people, "0" * 32, now)
    for caller in (people["client"], people["pro"]):
        with pytest.raises(Forbidden):
            reports.withhold_message(
                session, caller, message_id=chat[3], reason="spam", note=None, now=now
            )
    assert session.query(Notification).count() == made
    assert _bodies(session, people["client"], thread)[3] == ("message 3", False)


# ---- restoring and dismissing --------------------------------------------------------------


def test_restoring_shows_it_again_keeps_the_reports_and_tells_nobody(
    session, now, people, thread, chat
):
    report = _report(session, people["client"], thread, chat[2], now)
    _withhold(session, people, chat[2], now + MINUTE)
    made = session.query(Notification).count()
    view = reports.restore_message(session, people["admin"], chat[2])
    assert (view["body"], view["withheld_at"], view["withheld_reason"]) == (
        "Behind the shop.",
        None,
        None,
    )
    assert view["report_count"] == 1
    for caller in (people["client"], people["pro"]):
        assert _bodies(session, caller, thread)[2] == ("Behind the shop.", False)
    assert session.get(MessageReport, report["id"]).status == "upheld"
    assert session.query(Notification).count() == made
    with pytest.raises(Conflict) as again:
        reports.restore_message(session, people["admin"], chat[2])
    assert again.value.detail == reports.NOT_WITHHELD
    with pytest.raises(NotFound):
        reports.restore_message(session, people["admin"], "0" * 32)
    with pytest.raises(Forbidden):
        reports.restore_message(session, people["pro"], chat[2])


def test_a_restored_message_can_be_withheld_again_and_its_sender_told_again(
    session, now, people, chat
):
    _withhold(session, people, chat[2], now)
    reports.restore_message(session, people["admin"], chat[2])
    _withhold(session, people, chat[2], now + MINUTE)
    assert len(_inbox(session, people["pro"], "message_withheld")) == 2


def test_dismissing_keeps_the_message_and_tells_the_reporter(session, now, people, thread, chat):
    report = _report(session, people["client"], thread, chat[2], now)
    at = now + MINUTE
    view = reports.dismiss_message_report(session, people["admin"], report["id"], "All fine.", at)
    assert {k: view[k] for k in ("status", "resolved_at", "resolved_by", "resolution_note")} == {
        "status": "dismissed",
        "resolved_at": at,
        "resolved_by": "admin1",
        "resolution_note": "All fine.",
    }
    assert view["message"]["id"] == chat[2] and view["message"]["withheld_at"] is None
    assert ModeratorMessageReportSchema().dump(view)["resolved_at"] == at.isoformat()
    for caller in (people["client"], people["pro"]):
        assert _bodies(session, caller, thread)[2] == ("Behind the shop.", False)
    assert _moderated(session) == [
        ("client1", "report_resolved", "email"),
        ("client1", "report_resolved", "in_app"),
    ]
    [told] = _inbox(session, people["client"], "report_resolved")
    assert told["title"] == "Votre signalement : il reste en ligne"
    assert "Note de l'équipe de modération : All fine." in told["body"]


def test_a_report_is_dismissed_once_by_a_moderator(session, now, people, thread, chat):
    report = _report(session, people["client"], thread, chat[2], now)
    for caller in (people["client"], people["pro"]):
        with pytest.raises(Forbidden):
            reports.dismiss_message_report(session, caller, report["id"], None, now)
    with pytest.raises(NotFound):
        reports.dismiss_message_report(session, people["admin"], "0" * 32, None, now)
    reports.dismiss_message_report(session, people["admin"], report["id"], None, now)
    with pytest.raises(Conflict) as again:
        reports.dismiss_message_report(session, people["admin"], report["id"], "x", now)
    assert again.value.detail == reports.NOT_OPEN
    other = _report(session, people["client"], thread, chat[4], now)
    _withhold(session, people, chat[4], now)
    with pytest.raises(Conflict):
        reports.dismiss_message_report(session, people["admin"], other["id"], None, now)
    assert len(_inbox(session, people["client"], "report_resolved")) == 2


def test_a_later_withholding_leaves_a_dismissed_report_and_its_reporter_alone(
    session, now, people, thread, chat
):
    report = _report(session, people["client"], thread, chat[2], now)
    reports.dismiss_message_report(session, people["admin"], report["id"], None, now)
    _withhold(session, people, chat[2], now + MINUTE)
    assert session.get(MessageReport, report["id"]).status == "dismissed"
    assert len(_inbox(session, people["client"], "report_resolved")) == 1


# ---- profiles' decisions about reviews -----------------------------------------------------


def test_a_removed_review_is_told_to_its_author_in_their_language(session, now, people, make_event):
    event = make_event("review_removed")
    made = handle_event(session, "review_removed", event, now)
    assert sorted((n.recipient_id, n.channel, n.transactional) for n in made) == [
        ("client1", "email", True),
        ("client1", "in_app", True),
    ]
    [told] = _inbox(session, people["client"], "review_removed")
    assert told["title"] == "Votre avis sur Pat Rivera a été retiré"
    assert "Motif : harcèlement ou intimidation." in told["body"]
    assert "Note de l'équipe de modération : Please keep reviews about the service." in told["body"]
    assert told["link"] == "/bookings/bk1"
    assert told["refs"] == {"booking_id": "bk1", "review_id": "rv1"}
    assert handle_event(session, "review_removed", event, now + MINUTE) == []
    assert len(_moderated(session)) == 2


def test_a_professionals_removed_review_is_told_in_english(session, now, people, make_event):
    event = make_event(
        "review_removed",
        author_id="pro1",
        author_role="professional",
        subject_id="client1",
        note=None,
        reason="private_information",
    )
    handle_event(session, "review_removed", event, now)
    assert _moderated(session) == [
        ("pro1", "review_removed", "email"),
        ("pro1", "review_removed", "in_app"),
    ]
    [told] = _inbox(session, people["pro"], "review_removed")
    assert told["title"] == "Your review of Chloé Martin was removed"
    assert "The reason: someone's private information shared." in told["body"]
    assert "note from the moderators" not in told["body"]


def test_a_resolved_review_report_is_told_to_its_reporter(session, now, people, make_event):
    dismissed = make_event("review_report_resolved")
    handle_event(session, "review_report_resolved", dismissed, now)
    handle_event(session, "review_report_resolved", dismissed, now)  # a repeat adds nothing
    [told] = _inbox(session, people["pro"], "report_resolved")
    assert told["title"] == "Your report: it stays"
    assert "Thank you for reporting a review." in told["body"]
    assert (
        "A note from the moderators: The review describes the service; it stays." in (told["body"])
    )
    assert told["link"] == "/reviews/rv1"
    assert told["refs"] == {"review_id": "rv1", "report_id": "rr1"}
    upheld = make_event(
        "review_report_resolved",
        report_id="rr2",
        reporter_id="client1",
        outcome="upheld",
        note="A note for the author.",
    )
    handle_event(session, "review_report_resolved", upheld, now)
    [french] = _inbox(session, people["client"], "report_resolved")
    assert french["title"] == "Votre signalement : il a été retiré"
    assert "un avis" in french["body"] and "A note for the author." not in french["body"]
    assert len(_moderated(session)) == 4


def test_a_closed_author_or_reporter_is_told_nothing(session, now, people, make_event):
    handle_event(session, "account_closed", make_event("account_closed", account_id="client1"), now)
    assert handle_event(session, "review_removed", make_event("review_removed"), now) == []
    closed_reporter = make_event("review_report_resolved", reporter_id="client1")
    assert handle_event(session, "review_report_resolved", closed_reporter, now) == []


# ---- closure -------------------------------------------------------------------------------


def test_a_closed_reporters_reports_stay_without_their_words(
    session, now, people, thread, chat, make_event
):
    theirs = _report(session, people["client"], thread, chat[2], now, details="He was rude.")
    others = _report(session, people["pro"], thread, chat[1], now, details="Spam.")
    handle_event(session, "account_closed", make_event("account_closed", account_id="client1"), now)
    kept = session.get(MessageReport, theirs["id"])
    assert (kept.details, kept.status, kept.reporter_id, kept.reason) == (
        None,
        "open",
        "client1",
        "harassment",
    )
    assert session.get(MessageReport, others["id"]).details == "Spam."
    queued = reports.list_message_reports(session, people["admin"])["items"]
    assert {i["id"]: i["details"] for i in queued} == {theirs["id"]: None, others["id"]: "Spam."}


def test_a_closed_authors_messages_and_their_reports_stay(
    session, now, people, thread, chat, make_event
):
    report = _report(session, people["client"], thread, chat[2], now)
    handle_event(session, "account_closed", make_event("account_closed", account_id="pro1"), now)
    [item] = reports.list_message_reports(session, people["admin"])["items"]
    assert (item["id"], item["message"]["body"]) == (report["id"], "Behind the shop.")
    _withhold(session, people, chat[2], now)  # a closed sender is told nothing
    assert _moderated(session) == [
        ("client1", "report_resolved", "email"),
        ("client1", "report_resolved", "in_app"),
    ]


# ---- the member's copy ---------------------------------------------------------------------


def _copy(session, who) -> dict:
    return MemberDataSchema().dump(export_member_data(session, who))


def test_the_copy_holds_the_reports_i_made_without_who_resolved_them(
    session, now, people, thread, chat
):
    report = _report(session, people["client"], thread, chat[2], now, details="Rude.")
    reports.dismiss_message_report(session, people["admin"], report["id"], "Fine.", now + MINUTE)
    records = _copy(session, people["client"])["sections"]["message_reports"]["records"]
    assert records == [
        {
            "id": report["id"],
            "message_id": chat[2],
            "conversation_id": thread,
            "reason": "harassment",
            "details": "Rude.",
            "status": "dismissed",
            "created_at": now.isoformat(),
            "resolved_at": (now + MINUTE).isoformat(),
        }
    ]
    [raw] = export_member_data(session, people["client"])["sections"]["message_reports"]["records"]
    assert not {"reporter_id", "resolved_by", "resolution_note", "message"} & set(raw)
    reported = _copy(session, people["pro"])
    assert reported["sections"]["message_reports"]["records"] == []
    assert report["id"] not in json.dumps(reported) and "admin1" not in json.dumps(reported)


def test_a_withheld_message_keeps_its_text_in_its_authors_copy_only(
    session, now, people, thread, chat
):
    _withhold(session, people, chat[2], now + MINUTE)

    def message(who, seq):
        [conversation] = _copy(session, who)["sections"]["conversations"]["records"]
        return next(m for m in conversation["messages"] if m["seq"] == seq)

    mine = message(people["pro"], 2)
    assert (mine["body"], mine["withheld"], mine["withheld_at"], mine["withheld_reason"]) == (
        "Behind the shop.",
        True,
        (now + MINUTE).isoformat(),
        "harassment",
    )
    theirs = message(people["client"], 2)
    assert (
        theirs["body"],
        theirs["withheld"],
        theirs["withheld_at"],
        theirs["withheld_reason"],
    ) == (
        None,
        True,
        None,
        None,
    )
    shown = message(people["client"], 3)
    assert (shown["body"], shown["withheld"], shown["withheld_at"]) == ("message 3", False, None)
    assert "Behind the shop." not in json.dumps(_copy(session, people["client"]))


# ---- the entrypoints -----------------------------------------------------------------------


@pytest.fixture
def unit(tmp_path, now, make_account):
    """A file database with a client, a professional and one message from the client."""
    engine = make_engine(f"sqlite:///{tmp_path / 'notifications.sqlite3'}")
    Base.metadata.create_all(engine)
    work = UnitOfWork(session_factory(engine)(), Base.metadata)
    handle_event(work.session, "account_created", make_account("c1", "Ana"), now)
    handle_event(
        work.session, "account_created", make_account("p1", "Bo", roles=("professional",)), now
    )
    started = talk.start_conversation(
        work.session,
        Caller("c1", frozenset({"client"})),
        to="p1",
        subject="Hello",
        body="Are you free?",
        booking_id=None,
        now=now,
        emit=work.emit,
    )
    work.commit()
    work.ids = (started["conversation"]["id"], started["message"]["id"])
    yield work
    work.close()
    engine.dispose()


def _service(unit, user_id, *roles):
    return worker_factory(NotificationsService, db=unit, caller=Caller(user_id, frozenset(roles)))


def _reports_in(unit) -> int:
    return unit.session.scalar(select(func.count()).select_from(MessageReport))


def test_bad_report_input_is_invalid_naming_the_field_and_changes_nothing(unit):
    conversation_id, message_id = unit.ids
    service = _service(unit, "p1", "professional")
    ids = {"conversation_id": conversation_id, "message_id": message_id}
    for fields, bad in (
        ({**ids, "reason": "rude"}, "reason"),
        (ids, "reason"),
        ({**ids, "reason": "spam", "details": "x" * 2001}, "details"),
        ({**ids, "reason": "spam", "status": "upheld"}, "status"),
        ({"message_id": message_id, "reason": "spam"}, "conversation_id"),
    ):
        with pytest.raises(Invalid) as caught:
            service.report_message(**fields)
        assert bad in caught.value.errors, fields
    assert _reports_in(unit) == 0


def test_the_moderation_rpcs_answer_in_json(unit):
    conversation_id, message_id = unit.ids
    reporter = _service(unit, "p1", "professional")
    report = reporter.report_message(
        conversation_id=conversation_id, message_id=message_id, reason="spam", details="Ads."
    )
    assert (report["status"], report["details"], report["resolved_at"]) == ("open", "Ads.", None)
    admin = _service(unit, "a1", "admin")
    with pytest.raises(Invalid):
        admin.list_message_reports(status="closed")
    page = json.loads(json.dumps(admin.list_message_reports(limit=5)))
    [item] = page["items"]
    assert (item["reporter_id"], item["message"]["body"], item["context"]) == (
        "p1",
        "Are you free?",
        [],
    )
    with pytest.raises(Invalid) as bad_reason:
        admin.withhold_message(message_id=message_id, reason="rude")
    assert set(bad_reason.value.errors) == {"reason"}
    withheld = admin.withhold_message(message_id=message_id, reason="spam", note="No ads.")
    assert (withheld["withheld_reason"], withheld["withheld_note"]) == ("spam", "No ads.")
    restored = admin.restore_message(message_id=message_id)
    assert restored["withheld_at"] is None
    assert admin.list_message_reports(status="upheld")["items"][0]["status"] == "upheld"
    with pytest.raises(Forbidden):
        reporter.list_message_reports()
    with pytest.raises(Invalid):
        admin.dismiss_message_report(report_id=report["id"], note="x" * 2001)
    with pytest.raises(Conflict):
        admin.dismiss_message_report(report_id=report["id"])
    second = _service(unit, "c1", "client")
    with pytest.raises(Forbidden):
        second.report_message(conversation_id=conversation_id, message_id=message_id, reason="spam")


def _queue_gauges() -> tuple[float, float]:
    return (
        MODERATION_OPEN_REPORTS.labels("notifications", "message")._value.get(),
        MODERATION_OLDEST_WAIT.labels("notifications", "message")._value.get(),
    )


def test_the_timer_publishes_how_many_reports_wait_and_the_oldest_ones_wait(unit, monkeypatch):
    conversation_id, message_id = unit.ids
    report = _service(unit, "p1", "professional").report_message(
        conversation_id=conversation_id, message_id=message_id, reason="spam"
    )
    made = datetime.fromisoformat(report["created_at"])
    monkeypatch.setattr(clock, "now", lambda: made + timedelta(hours=2))
    admin = _service(unit, "a1", "admin")
    admin.measure_moderation_queue()
    assert _queue_gauges() == (1, 7200)
    admin.dismiss_message_report(report_id=report["id"])
    admin.measure_moderation_queue()
    assert _queue_gauges() == (0, 0)
