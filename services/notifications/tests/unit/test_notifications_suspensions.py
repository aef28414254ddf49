"""Suspended accounts (docs/suspensions.md): our copy of profiles' `account_suspended` /
`account_reinstated` (the newest change wins; late, repeated and closed accounts' events
change nothing), no messages to or from a suspended member (each side in its own words), the
summaries' `can_write` / `other_suspended`, the member told by email only of a suspension and
by email and inbox of a reinstatement, a profile report's reporter told the outcome, in both
languages, and the consumer schemas refusing malformed events."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from loconomics_notifications.domain import blocks, preferences
from loconomics_notifications.domain import conversations as talk
from loconomics_notifications.domain.deliveries import deliver_due
from loconomics_notifications.domain.emails import Mailbox, RecipientUnknown, build_email
from loconomics_notifications.domain.inbox import list_notifications
from loconomics_notifications.domain.member_data import export_member_data
from loconomics_notifications.domain.routing import ROUTES, handle_event
from loconomics_notifications.domain.suspensions import SUSPENDED_MEMBER, YOU_ARE_SUSPENDED
from loconomics_notifications.models import (
    Base,
    EmailDelivery,
    Message,
    Notification,
    SuspendedAccount,
)
from loconomics_notifications.schemas import (
    AccountReinstatedSchema,
    AccountSuspendedSchema,
    MemberDataSchema,
    ProfileReportResolvedSchema,
)
from loconomics_notifications.service import NotificationsService
from loconomics_notifications.settings import NotificationSettings
from loconomics_plumbing.errors import Conflict, Invalid
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.moderation import DEFAULT_MODERATORS_EMAIL
from loconomics_plumbing.storage import UnitOfWork, make_engine, session_factory
from nameko.testing.services import worker_factory
from sqlalchemy import select

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
APP = "https://app.loconomics.test"
MODERATORS = "moderators@loconomics.test"
MAILBOX = Mailbox("hello@loconomics.test", link_base=APP, moderators_address=MODERATORS)
NOTE = "The photos are of another business."
BACK = "Your documents check out; welcome back."


@pytest.fixture
def suspend(session, now, make_event):
    """`suspend(account_id, at=..., suspension_id=...)`: profiles' `account_suspended`."""

    def act(account_id="pro1", *, at=None, suspension_id="su1", event=None, **fields):
        payload = make_event(
            "account_suspended",
            event=event,
            account_id=account_id,
            suspension_id=suspension_id,
            suspended_at=(at or now).isoformat(),
            **fields,
        )
        return handle_event(session, "account_suspended", payload, now)

    return act


@pytest.fixture
def reinstate(session, now, make_event):
    """`reinstate(account_id, at=..., suspension_id=...)`: profiles' `account_reinstated`."""

    def act(account_id="pro1", *, at=None, suspension_id="su1", event=None, **fields):
        payload = make_event(
            "account_reinstated",
            event=event,
            account_id=account_id,
            suspension_id=suspension_id,
            reinstated_at=(at or now + DAY).isoformat(),
            **fields,
        )
        return handle_event(session, "account_reinstated", payload, now)

    return act


def _held(session, account_id="pro1") -> tuple | None:
    row = session.get(SuspendedAccount, account_id)
    return None if row is None else (row.suspended, row.suspension_id, row.changed_at)


def _told(made: list[Notification]) -> list[tuple[str, str, str, bool, str]]:
    return sorted(
        (n.recipient_id, n.template, n.channel, n.transactional, n.category) for n in made
    )


def _refused(call) -> str:
    with pytest.raises(Conflict) as caught:
        call()
    return caught.value.detail


def _start(session, caller, to, now, emit, booking_id=None):
    return talk.start_conversation(
        session,
        caller,
        to=to,
        subject="Hello",
        body="Are you free on Friday?",
        booking_id=booking_id,
        now=now,
        emit=emit,
    )


def _text(email) -> str:
    return email.get_body(("plain",)).get_content()


WELCOMES = ("Welcome to Loconomics", "Bienvenue chez Loconomics")


def _sent(session, now, smtp_server) -> list:
    """The emails due now, the welcomes of the fixture's accounts left out."""
    server = smtp_server()
    deliver_due(session, now + MINUTE, server, MAILBOX, limit=100)
    return [email for email in server.accepted if not email["Subject"].startswith(WELCOMES)]


def _inbox(session, caller, kind: str | None = None) -> list[dict]:
    items = list_notifications(session, caller, limit=100)["items"]
    return [item for item in items if item["kind"] != "welcome" and kind in (None, item["kind"])]


def _made_by(session, *events: str) -> int:
    return session.query(Notification).filter(Notification.event_name.in_(events)).count()


# ---- the consumed events -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "name"),
    [
        (AccountSuspendedSchema, "account_suspended"),
        (AccountReinstatedSchema, "account_reinstated"),
        (ProfileReportResolvedSchema, "profile_report_resolved"),
    ],
)
def test_each_event_is_read_by_its_own_schema(make_event, schema, name):
    assert ROUTES[name].schema is schema
    assert schema().validate(make_event(name)) == {}
    assert schema().validate(make_event(name, note=None)) == {}
    assert schema().validate({**make_event(name), "added_later": 1}) == {}  # tolerant


@pytest.mark.parametrize(
    ("name", "change", "bad"),
    [
        ("account_suspended", {"account_id": None}, "account_id"),
        ("account_suspended", {"suspension_id": ""}, "suspension_id"),
        ("account_suspended", {"reason": "rude"}, "reason"),
        ("account_suspended", {"reason": None}, "reason"),
        ("account_suspended", {"suspended_at": "2026-03-01T12:00:00"}, "suspended_at"),
        ("account_suspended", {"note": "x" * 2001}, "note"),
        ("account_suspended", {"occurred_at": None}, "occurred_at"),
        ("account_reinstated", {"reinstated_at": "yesterday"}, "reinstated_at"),
        ("account_reinstated", {"suspension_id": None}, "suspension_id"),
        ("account_reinstated", {"account_id": "x" * 65}, "account_id"),
        ("profile_report_resolved", {"outcome": "withdrawn"}, "outcome"),
        ("profile_report_resolved", {"professional_id": None}, "professional_id"),
        ("profile_report_resolved", {"reporter_id": ""}, "reporter_id"),
        ("profile_report_resolved", {"resolved_at": "2026-03-01"}, "resolved_at"),
        ("profile_report_resolved", {"event_id": None}, "event_id"),
    ],
)
def test_a_malformed_event_is_invalid_naming_the_field_and_changes_nothing(
    session, now, people, make_event, name, change, bad
):
    payload = {**make_event(name), **change}
    with pytest.raises(Invalid) as caught:
        handle_event(session, name, payload, now)
    assert bad in caught.value.errors
    assert session.query(SuspendedAccount).count() == 0
    assert session.query(Notification).filter(Notification.event_name == name).count() == 0


def test_a_field_left_out_is_invalid_too(session, now, people, make_event):
    for name, field in (
        ("account_suspended", "suspended_at"),
        ("account_suspended", "reason"),
        ("account_reinstated", "account_id"),
        ("profile_report_resolved", "outcome"),
    ):
        payload = {k: v for k, v in make_event(name).items() if k != field}
        with pytest.raises(Invalid) as caught:
            handle_event(session, name, payload, now)
        assert set(caught.value.errors) == {field}
    assert session.query(SuspendedAccount).count() == 0


# ---- our copy: the newest change wins ------------------------------------------------------


def test_a_suspension_then_its_reinstatement_are_kept(session, now, people, suspend, reinstate):
    assert _held(session) is None
    suspend(at=now)
    assert _held(session) == (True, "su1", now)
    reinstate(at=now + DAY)
    assert _held(session) == (False, "su1", now + DAY)


def test_a_late_older_suspension_changes_nothing_and_tells_nothing(
    session, now, people, suspend, reinstate
):
    reinstate(at=now + DAY)  # the reinstatement overtook its suspension
    assert suspend(at=now) == []
    assert _held(session) == (False, "su1", now + DAY)
    assert session.query(Notification).filter_by(template="account_suspended").count() == 0


def test_a_late_reinstatement_of_an_earlier_suspension_changes_nothing(
    session, now, people, suspend, reinstate
):
    suspend(at=now, suspension_id="su1")
    suspend(at=now + 2 * DAY, suspension_id="su2")
    assert reinstate(at=now + DAY, suspension_id="su1") == []  # arrives after su2
    assert _held(session) == (True, "su2", now + 2 * DAY)
    assert session.query(Notification).filter_by(template="account_reinstated").count() == 0


def test_a_repeated_event_changes_nothing_and_tells_once(
    session, now, people, suspend, reinstate, make_event
):
    made = suspend(at=now, event="ev-susp-1")
    again = suspend(at=now, event="ev-susp-1")
    assert (len(made), again) == (1, [])
    back = reinstate(at=now + DAY, event="ev-back-1")
    assert reinstate(at=now + DAY, event="ev-back-1") == []
    assert suspend(at=now, event="ev-susp-1") == []  # redelivered after the reinstatement
    assert _held(session) == (False, "su1", now + DAY)
    assert len(back) == 2
    assert _made_by(session, "account_suspended", "account_reinstated") == len(made) + len(back)


def test_at_the_same_instant_a_reinstatement_follows_its_own_suspension_only(
    session, now, people, suspend, reinstate
):
    suspend(at=now, suspension_id="su1")
    assert reinstate(at=now, suspension_id="su0") == []  # another suspension's: older
    assert _held(session) == (True, "su1", now)
    reinstate(at=now, suspension_id="su1")
    assert _held(session) == (False, "su1", now)
    assert suspend(at=now, suspension_id="su1") == []  # the one lifted, again: older
    assert _held(session) == (False, "su1", now)
    suspend(at=now, suspension_id="su2")  # a new one after it
    assert _held(session) == (True, "su2", now)


def test_at_the_same_instant_two_suspensions_cannot_be_ordered_and_the_first_stays(
    session, now, people, suspend, reinstate
):
    suspend(at=now, suspension_id="su2")
    assert suspend(at=now, suspension_id="su1") == []  # one of them was lifted in between
    assert _held(session) == (True, "su2", now)
    assert reinstate(at=now, suspension_id="su1") == []  # so su1 was the one lifted
    assert _held(session) == (True, "su2", now)


def test_a_suspension_before_the_contact_holds_and_its_email_waits(
    session, now, suspend, make_account, emit, smtp_server
):
    handle_event(session, "account_created", make_account("client1", "Chloé"), now)
    [made] = suspend("pro9")
    assert _held(session, "pro9") == (True, "su1", now)
    delivery = session.scalars(
        select(EmailDelivery).where(EmailDelivery.recipient_id == "pro9")
    ).one()
    with pytest.raises(RecipientUnknown):
        build_email(session, delivery, MAILBOX, now)
    handle_event(
        session, "account_created", make_account("pro9", "Pia", roles=("professional",)), now
    )
    assert _refused(
        lambda: _start(session, Caller("client1", frozenset({"client"})), "pro9", now, emit)
    ) == (SUSPENDED_MEMBER)
    [email] = _sent(session, now, smtp_server)
    assert email["Subject"] == "Your Loconomics account is suspended"
    assert str(email["To"]) == "Pia <pro9@example.org>"
    assert made.channel == "email"


def test_a_closed_accounts_row_goes_and_its_changes_are_not_kept(
    session, now, people, suspend, reinstate, make_event
):
    suspend("client1")
    suspend("stranger", suspension_id="su9")
    closure = make_event("account_closed", account_id="client1")
    handle_event(session, "account_closed", closure, now + MINUTE)
    assert _held(session, "client1") is None
    assert _held(session, "stranger") == (True, "su9", now)  # another's stays
    assert suspend("client1", at=now + DAY, suspension_id="su2") == []
    assert reinstate("client1", at=now + 2 * DAY) == []
    assert _held(session, "client1") is None
    closed_first = make_event("account_closed", account_id="never-seen")
    handle_event(session, "account_closed", closed_first, now)
    assert suspend("never-seen") == []
    assert _held(session, "never-seen") is None


def test_the_copy_shows_the_email_not_our_row(session, now, people, suspend):
    before = MemberDataSchema().dump(export_member_data(session, Caller("pro1", frozenset())))
    suspend()
    after = MemberDataSchema().dump(export_member_data(session, Caller("pro1", frozenset())))
    emails = after["sections"].pop("email_deliveries")["records"]
    before["sections"].pop("email_deliveries")
    assert after == before
    assert [(e["template"], e["subject"]) for e in emails if e["template"] != "welcome"] == [
        ("account_suspended", "Your Loconomics account is suspended")
    ]
    assert "su1" not in json.dumps(after)


# ---- no messages with a suspended member ---------------------------------------------------


def test_the_exact_words_each_side_reads():
    assert SUSPENDED_MEMBER == "This member's account is suspended."
    assert YOU_ARE_SUSPENDED == "Your account is suspended."


@pytest.mark.parametrize(
    ("suspended", "writer", "detail"),
    [("pro1", "client", SUSPENDED_MEMBER), ("client1", "client", YOU_ARE_SUSPENDED)],
    ids=["to-a-suspended-member", "by-a-suspended-member"],
)
def test_nobody_posts_in_a_suspended_members_conversation(
    session, now, people, thread, emit, emitted, suspend, suspended, writer, detail
):
    suspend(suspended)
    emitted.clear()
    notified = session.query(Notification).count()
    assert _refused(
        lambda: talk.post_message(session, people[writer], thread, "Hello?", now, emit)
    ) == (detail)
    other = people["pro" if writer == "client" else "client"]
    expected = SUSPENDED_MEMBER if detail == YOU_ARE_SUSPENDED else YOU_ARE_SUSPENDED
    assert _refused(lambda: talk.post_message(session, other, thread, "Hello?", now, emit)) == (
        expected
    )
    assert session.query(Message).count() == 1
    assert session.query(Notification).count() == notified
    assert emitted == []


def test_nobody_starts_a_conversation_with_or_as_a_suspended_member(
    session, now, people, emit, emitted, suspend
):
    suspend("pro1")
    assert _refused(lambda: _start(session, people["stranger"], "pro1", now, emit)) == (
        SUSPENDED_MEMBER
    )
    assert _refused(lambda: _start(session, people["pro"], "stranger", now, emit)) == (
        YOU_ARE_SUSPENDED
    )
    assert talk.list_conversations(session, people["stranger"])["items"] == []
    assert emitted == []


def test_nor_about_a_booking_they_share(session, now, people, emit, make_booking, suspend):
    handle_event(session, "booking_confirmed", make_booking(booking_id="bkS"), now)
    suspend("client1")
    assert _refused(lambda: _start(session, people["pro"], "client1", now, emit, "bkS")) == (
        SUSPENDED_MEMBER
    )
    assert session.query(Message).count() == 0


def test_a_closed_account_is_said_before_a_suspension_and_a_suspension_before_a_block(
    session, now, people, thread, emit, suspend, make_event
):
    blocks.block_member(session, people["pro"], "client1", now, emit)
    suspend("pro1")
    assert _refused(
        lambda: talk.post_message(session, people["client"], thread, "Hi", now, emit)
    ) == (SUSPENDED_MEMBER)
    handle_event(session, "account_closed", make_event("account_closed", account_id="pro1"), now)
    assert _refused(
        lambda: talk.post_message(session, people["client"], thread, "Hi", now, emit)
    ) == (talk.CLOSED)


def test_a_suspension_of_others_changes_nothing_here(session, now, people, thread, emit, suspend):
    suspend("stranger")
    talk.post_message(session, people["pro"], thread, "Behind the shop.", now + MINUTE, emit)
    assert session.query(Message).count() == 2


def test_what_was_written_stays_readable_to_both(session, now, people, thread, emit, suspend):
    talk.post_message(session, people["pro"], thread, "Behind the shop.", now + MINUTE, emit)
    suspend("pro1")
    for caller in (people["client"], people["pro"]):
        items = talk.get_conversation(session, caller, thread)["messages"]["items"]
        assert [m["body"] for m in items] == ["Behind the shop.", "Where can I park?"]
    assert talk.mark_conversation_read(session, people["client"], thread)["unread_count"] == 0


def test_a_reinstatement_lets_both_write_again(
    session, now, people, thread, emit, suspend, reinstate
):
    suspend("pro1")
    reinstate("pro1")
    talk.post_message(session, people["pro"], thread, "Behind the shop.", now + DAY, emit)
    talk.post_message(session, people["client"], thread, "Thanks", now + DAY + MINUTE, emit)
    assert _start(session, people["stranger"], "pro1", now + DAY, emit)["message"]["seq"] == 1
    assert session.query(Message).count() == 4


# ---- what the summaries say ----------------------------------------------------------------


def _standing(summary: dict) -> tuple[bool, bool]:
    return summary["can_write"], summary["other_suspended"]


def _views(session, caller, thread) -> list[tuple[bool, bool]]:
    return [
        _standing(talk.list_conversations(session, caller)["items"][0]),
        _standing(talk.get_conversation(session, caller, thread)["conversation"]),
        _standing(talk.mark_conversation_read(session, caller, thread)),
    ]


def test_summaries_say_no_one_can_write_and_who_is_suspended(
    session, now, people, thread, suspend, reinstate
):
    assert _views(session, people["client"], thread) == [(True, False)] * 3
    suspend("pro1")
    assert _views(session, people["client"], thread) == [(False, True)] * 3
    assert _views(session, people["pro"], thread) == [(False, False)] * 3
    reinstate("pro1")
    assert _views(session, people["client"], thread) == [(True, False)] * 3
    assert _views(session, people["pro"], thread) == [(True, False)] * 3


def test_each_summary_of_a_page_has_its_own_standing(session, now, people, thread, emit, suspend):
    _start(session, people["stranger"], "pro1", now + MINUTE, emit)
    suspend("stranger")
    listed = talk.list_conversations(session, people["pro"])["items"]
    assert [(c["other_party"]["account_id"], *_standing(c)) for c in listed] == [
        ("stranger", False, True),
        ("client1", True, False),
    ]


# ---- telling the member --------------------------------------------------------------------


def test_a_suspension_is_emailed_only_transactional_and_in_the_account_category(
    session, now, people, suspend
):
    made = suspend("pro1")
    assert _told(made) == [("pro1", "account_suspended", "email", True, "account")]
    assert _inbox(session, people["pro"]) == []


def test_it_is_emailed_whatever_the_members_choices(session, now, people, suspend):
    preferences.set_preferences(
        session, people["pro"], {"account": {"email": False, "in_app": False}}, now
    )
    assert _told(suspend("pro1")) == [("pro1", "account_suspended", "email", True, "account")]


def test_the_suspension_email_says_why_the_note_and_how_to_appeal(
    session, now, people, suspend, smtp_server
):
    suspend("pro1", reason="fake_profile", note=NOTE)
    [email] = _sent(session, now, smtp_server)
    text = _text(email)
    assert email["Subject"] == "Your Loconomics account is suspended"
    assert str(email["To"]) == "Pat Rivera <pro1@example.org>"
    assert str(email["Reply-To"]) == f"Loconomics <{MODERATORS}>"
    assert "suspended your Loconomics account on Sunday, March 1, 2026 at 4:00" in text
    assert "(Los Angeles time)" in text
    assert "The reason: a fake profile." in text
    assert f"A note from the moderators: {NOTE}" in text
    assert f"write to the moderators at {MODERATORS}" in text
    assert "you cannot sign in" in text


def test_a_french_member_reads_it_in_french_without_a_note(
    session, now, people, suspend, smtp_server
):
    suspend("client1", reason="impersonation", note=None)
    [email] = _sent(session, now, smtp_server)
    text = _text(email)
    assert email["Subject"] == "Votre compte Loconomics est suspendu"
    assert "le dimanche 1er mars 2026 à 13:00 (heure de Paris)" in text
    assert "Motif : usurpation d'identité." in text
    assert f"écrivez à l'équipe de modération à {MODERATORS}" in text
    assert "Note de l'équipe de modération" not in text
    assert email["Content-Language"] == "fr"


@pytest.mark.parametrize(
    ("reason", "en", "fr"),
    [
        ("fake_profile", "a fake profile", "faux profil"),
        ("impersonation", "impersonating someone else", "usurpation d'identité"),
        (
            "false_credentials",
            "false qualifications or credentials",
            "qualifications ou diplômes mensongers",
        ),
        ("scam", "a scam or fraud", "arnaque ou fraude"),
    ],
)
def test_every_reason_is_in_words_in_both_languages(
    session, now, people, suspend, smtp_server, reason, en, fr
):
    suspend("pro1", reason=reason, suspension_id="su-pro")
    suspend("client1", reason=reason, suspension_id="su-client")
    texts = {email["Content-Language"]: _text(email) for email in _sent(session, now, smtp_server)}
    assert f"The reason: {en}." in texts["en"]
    assert f"Motif : {fr}." in texts["fr"]


def test_a_reinstatement_is_told_in_the_inbox_and_by_email_with_the_note(
    session, now, people, suspend, reinstate, smtp_server
):
    suspend("pro1")
    _sent(session, now, smtp_server)
    made = reinstate("pro1", note=BACK)
    assert _told(made) == [
        ("pro1", "account_reinstated", "email", True, "account"),
        ("pro1", "account_reinstated", "in_app", True, "account"),
    ]
    [told] = _inbox(session, people["pro"])
    assert told["title"] == "Your Loconomics account is no longer suspended"
    assert "You can sign in again" in told["body"]
    assert f"A note from the moderators: {BACK}" in told["body"]
    assert "Monday, March 2, 2026 at 4:00" in told["body"]
    assert told["link"] == "/"
    [email] = _sent(session, now + DAY, smtp_server)
    assert email["Subject"] == told["title"]
    assert f"A note from the moderators: {BACK}" in _text(email)
    assert email["Reply-To"] is None


def test_a_french_member_is_told_of_the_reinstatement_in_french(
    session, now, people, suspend, reinstate
):
    suspend("client1")
    made = reinstate("client1", note=None)
    assert {n.channel for n in made} == {"email", "in_app"}
    [told] = _inbox(session, people["client"])
    assert told["title"] == "Votre compte Loconomics n'est plus suspendu"
    assert "Vous pouvez de nouveau vous connecter" in told["body"]
    assert "lundi 2 mars 2026 à 13:00 (heure de Paris)" in told["body"]
    assert "Note de l'équipe de modération" not in told["body"]


def test_with_the_inbox_switched_off_a_reinstatement_is_still_emailed(
    session, now, people, suspend, reinstate
):
    suspend("pro1")
    off = {"account": {"email": False, "in_app": False}}
    preferences.set_preferences(session, people["pro"], off, now)
    assert _told(reinstate("pro1")) == [("pro1", "account_reinstated", "email", True, "account")]


def test_other_notices_about_a_suspended_member_keep_going(
    session, now, people, suspend, make_booking
):
    suspend("client1")
    cancelled = make_booking(
        status="cancelled", cancelled_by="professional", refund_cents=1900, fee_cents=0
    )
    made = handle_event(session, "booking_cancelled", cancelled, now)
    assert {(n.recipient_id, n.channel) for n in made} >= {
        ("client1", "email"),
        ("client1", "in_app"),
    }


# ---- a report of a professional's profile, resolved ----------------------------------------


def test_a_dismissed_profile_report_is_told_with_the_note(session, now, people, make_event):
    event = make_event("profile_report_resolved", reporter_id="pro1", professional_id="stranger")
    made = handle_event(session, "profile_report_resolved", event, now)
    assert handle_event(session, "profile_report_resolved", event, now) == []  # a repeat
    assert _told(made) == [
        ("pro1", "report_resolved", "email", True, "account"),
        ("pro1", "report_resolved", "in_app", True, "account"),
    ]
    [told] = _inbox(session, people["pro"])
    assert told["title"] == "Your report: it stays"
    assert "Thank you for reporting the profile of Sam Other." in told["body"]
    assert "found that it does not break the cooperative's rules, so it stays" in told["body"]
    assert "A note from the moderators: The credentials are genuine." in told["body"]
    assert told["link"] == "/professionals/stranger"
    assert told["refs"] == {"report_id": "pr1"}


def test_an_upheld_profile_report_says_the_account_was_suspended_in_french(
    session, now, people, make_event, smtp_server
):
    event = make_event(
        "profile_report_resolved", outcome="upheld", note="For the professional's eyes only."
    )
    handle_event(session, "profile_report_resolved", event, now)
    [told] = _inbox(session, people["client"])
    assert told["title"] == "Votre signalement : le compte a été suspendu"
    assert "Merci d'avoir signalé le profil de Pat Rivera." in told["body"]
    assert "a suspendu le compte" in told["body"]
    assert "For the professional's eyes only." not in told["body"]
    [email] = _sent(session, now, smtp_server)
    assert email["Subject"] == told["title"]
    assert email["To"].addresses[0].addr_spec == "client1@example.org"


def test_an_upheld_profile_report_in_english_and_an_unknown_professional(
    session, now, people, make_event
):
    event = make_event(
        "profile_report_resolved", reporter_id="pro1", professional_id="gone", outcome="upheld"
    )
    handle_event(session, "profile_report_resolved", event, now)
    [told] = _inbox(session, people["pro"])
    assert told["title"] == "Your report: the account was suspended"
    assert "Thank you for reporting a professional's profile." in told["body"]
    assert "and suspended the account: it no longer appears on Loconomics" in told["body"]


def test_a_closed_reporter_is_told_nothing(session, now, people, make_event):
    handle_event(session, "account_closed", make_event("account_closed", account_id="client1"), now)
    event = make_event("profile_report_resolved")
    assert handle_event(session, "profile_report_resolved", event, now) == []


# ---- settings and the entrypoints ----------------------------------------------------------


def test_the_moderators_address_is_a_setting_with_a_default_at_the_senders_domain():
    assert NotificationSettings.from_env({}).mailbox.moderators_address == (
        "moderators@loconomics.coop"
    )
    mailbox = NotificationSettings.from_env({"SMTP_FROM": "Coop <hello@coop.example>"}).mailbox
    assert mailbox.moderators_address == DEFAULT_MODERATORS_EMAIL  # the platform's one address
    set_ = {"LOCONOMICS_MODERATORS_EMAIL": "appeals@coop.example"}
    assert NotificationSettings.from_env(set_).mailbox.moderators_address == "appeals@coop.example"
    for wrong in ("nobody", "Mods <mods@coop.example>"):
        with pytest.raises(ValueError):
            NotificationSettings.from_env({"LOCONOMICS_MODERATORS_EMAIL": wrong})


@pytest.fixture
def unit(tmp_path, now, make_account):
    engine = make_engine(f"sqlite:///{tmp_path / 'notifications.sqlite3'}")
    Base.metadata.create_all(engine)
    work = UnitOfWork(session_factory(engine)(), Base.metadata)
    handle_event(work.session, "account_created", make_account("c1", "Cleo"), now)
    pro = make_account("p1", "Pam", roles=("professional",))
    handle_event(work.session, "account_created", pro, now)
    work.commit()
    yield work
    work.close()
    engine.dispose()


def test_the_rpcs_answer_in_json_and_refuse_with_a_conflict(unit, make_event):
    client = worker_factory(
        NotificationsService, db=unit, caller=Caller("c1", frozenset({"client"}))
    )
    started = client.start_conversation(to="p1", subject="Hi", body="Free on Friday?")
    assert json.loads(json.dumps(started))["conversation"]["other_suspended"] is False
    service = worker_factory(NotificationsService, db=unit)
    suspension = make_event("account_suspended", account_id="p1")
    service.on_account_suspended(suspension)
    service.on_account_suspended(suspension)  # the same event again
    unit.commit()
    conversation = client.list_conversations()["items"][0]
    assert (conversation["can_write"], conversation["other_suspended"]) == (False, True)
    with pytest.raises(Conflict) as caught:
        client.post_message(conversation_id=conversation["id"], body="Hello?")
    assert caught.value.detail == SUSPENDED_MEMBER
    emails = unit.session.execute(
        select(Notification.recipient_id, Notification.template).where(
            Notification.channel == "email", Notification.template != "welcome"
        )
    ).all()
    assert sorted(emails) == [("p1", "account_suspended"), ("p1", "message_received")]
