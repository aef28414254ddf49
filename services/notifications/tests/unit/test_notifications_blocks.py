"""Blocks between members (docs/reports-and-blocks.md): idempotent, either way they stop
writing (each side told in its own words), what was written stays readable, the summaries say
so, unblocking restores, the events go out once per change, closure deletes them, and the
member's copy holds the blocks they made."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from loconomics_notifications.domain import blocks
from loconomics_notifications.domain import conversations as talk
from loconomics_notifications.domain.blocks import BLOCKED_BY_THEM, BLOCKED_BY_YOU
from loconomics_notifications.domain.member_data import export_member_data
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import Base, Block, Message, Notification
from loconomics_notifications.schemas import MemberDataSchema
from loconomics_notifications.service import NotificationsService
from loconomics_plumbing.errors import Conflict, Invalid, NotFound, Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import UnitOfWork, make_engine, session_factory
from nameko.testing.services import worker_factory
from sqlalchemy import select, text

MINUTE = timedelta(minutes=1)


def _start(session, caller, to, now, emit, subject="Hello"):
    return talk.start_conversation(
        session,
        caller,
        to=to,
        subject=subject,
        body="Hi there",
        booking_id=None,
        now=now,
        emit=emit,
    )


def _refused(call) -> str:
    with pytest.raises(Conflict) as caught:
        call()
    return caught.value.detail


# ---- blocking and unblocking ---------------------------------------------------------------


def test_a_block_names_the_member_and_when_and_is_emitted(session, now, people, emit, emitted):
    block = blocks.block_member(session, people["client"], "pro1", now, emit)
    assert block == {"account_id": "pro1", "name": "Pat Rivera", "blocked_at": now}
    assert emitted == [
        (
            "member_blocked",
            {"blocker_id": "client1", "blocked_id": "pro1", "blocked_at": now.isoformat()},
        )
    ]


def test_blocking_again_answers_the_same_block_and_emits_nothing(
    session, now, people, emit, emitted
):
    first = blocks.block_member(session, people["client"], "pro1", now, emit)
    again = blocks.block_member(session, people["client"], "pro1", now + 5 * MINUTE, emit)
    assert again == first
    assert again["blocked_at"] == now
    assert [name for name, _ in emitted] == ["member_blocked"]
    assert session.query(Block).count() == 1


def test_an_unknown_or_closed_account_cannot_be_blocked(
    session, now, people, emit, emitted, make_event
):
    with pytest.raises(NotFound):
        blocks.block_member(session, people["client"], "nobody-we-know", now, emit)
    handle_event(session, "account_closed", make_event("account_closed", account_id="pro1"), now)
    with pytest.raises(NotFound):
        blocks.block_member(session, people["client"], "pro1", now, emit)
    assert emitted == []
    assert session.query(Block).count() == 0


def test_blocking_yourself_is_invalid(session, now, people, emit, emitted):
    with pytest.raises(Invalid) as caught:
        blocks.block_member(session, people["client"], "client1", now, emit)
    assert set(caught.value.errors) == {"account_id"}
    assert emitted == [] and session.query(Block).count() == 0


def test_blocks_need_a_signed_in_caller(session, now, people, emit):
    for act in (
        lambda: blocks.block_member(session, people["nobody"], "pro1", now, emit),
        lambda: blocks.unblock_member(session, people["nobody"], "pro1", now, emit),
        lambda: blocks.list_blocks(session, people["nobody"]),
    ):
        with pytest.raises(Unauthorized):
            act()


def test_unblocking_lifts_the_block_and_is_emitted_once(session, now, people, emit, emitted):
    blocks.block_member(session, people["client"], "pro1", now, emit)
    assert blocks.unblock_member(session, people["client"], "pro1", now + MINUTE, emit) is None
    assert emitted[-1] == (
        "member_unblocked",
        {
            "blocker_id": "client1",
            "blocked_id": "pro1",
            "unblocked_at": (now + MINUTE).isoformat(),
        },
    )
    with pytest.raises(NotFound):
        blocks.unblock_member(session, people["client"], "pro1", now + 2 * MINUTE, emit)
    assert [name for name, _ in emitted] == ["member_blocked", "member_unblocked"]
    assert session.query(Block).count() == 0


def test_only_the_blocker_can_lift_a_block(session, now, people, emit, emitted):
    blocks.block_member(session, people["client"], "pro1", now, emit)
    with pytest.raises(NotFound):
        blocks.unblock_member(session, people["pro"], "client1", now, emit)
    with pytest.raises(NotFound):
        blocks.unblock_member(session, people["stranger"], "pro1", now, emit)
    assert session.query(Block).count() == 1
    assert [name for name, _ in emitted] == ["member_blocked"]


def test_the_list_is_mine_newest_first_and_paged(session, now, people, emit, make_account):
    handle_event(
        session, "account_created", make_account("pro2", "Quinn", roles=("professional",)), now
    )
    for minutes, other in ((1, "pro1"), (2, "stranger"), (3, "pro2")):
        blocks.block_member(session, people["client"], other, now + minutes * MINUTE, emit)
    blocks.block_member(session, people["pro"], "stranger", now, emit)  # someone else's
    first = blocks.list_blocks(session, people["client"], limit=2)
    assert [(b["account_id"], b["name"]) for b in first["items"]] == [
        ("pro2", "Quinn"),
        ("stranger", "Sam Other"),
    ]
    assert first["items"][0]["blocked_at"] == now + 3 * MINUTE
    rest = blocks.list_blocks(session, people["client"], limit=2, cursor=first["next_cursor"])
    assert [b["account_id"] for b in rest["items"]] == ["pro1"]
    assert rest["next_cursor"] is None
    assert blocks.list_blocks(session, people["stranger"]) == {"items": [], "next_cursor": None}


# ---- writing across a block ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("blocker", "writer", "detail"),
    [("client", "client", BLOCKED_BY_YOU), ("client", "pro", BLOCKED_BY_THEM)],
    ids=["the-blocker-writes", "the-blocked-writes"],
)
def test_nobody_posts_across_a_block(
    session, now, people, thread, emit, emitted, blocker, writer, detail
):
    other = "pro1" if blocker == "client" else "client1"
    blocks.block_member(session, people[blocker], other, now, emit)
    emitted.clear()
    notified = session.query(Notification).count()
    assert _refused(
        lambda: talk.post_message(session, people[writer], thread, "hi", now, emit)
    ) == (detail)
    assert session.query(Message).count() == 1
    assert session.query(Notification).count() == notified
    assert emitted == []


def test_the_exact_words_each_side_reads():
    assert BLOCKED_BY_YOU == "You blocked this member; unblock them to write."
    assert BLOCKED_BY_THEM == "This member is not accepting messages from you."


def test_nobody_starts_a_conversation_across_a_block(session, now, people, emit, emitted):
    blocks.block_member(session, people["pro"], "client1", now, emit)
    assert _refused(lambda: _start(session, people["pro"], "client1", now, emit)) == (
        BLOCKED_BY_YOU
    )
    assert _refused(lambda: _start(session, people["client"], "pro1", now, emit)) == (
        BLOCKED_BY_THEM
    )
    assert talk.list_conversations(session, people["client"])["items"] == []
    assert [name for name, _ in emitted] == ["member_blocked"]


def test_nor_about_a_booking_they_share(session, now, people, emit, make_booking):
    handle_event(session, "booking_confirmed", make_booking(booking_id="bkB"), now)
    blocks.block_member(session, people["client"], "pro1", now, emit)
    with pytest.raises(Conflict) as caught:
        talk.start_conversation(
            session,
            people["pro"],
            to="client1",
            subject="Your booking",
            body="See you",
            booking_id="bkB",
            now=now,
            emit=emit,
        )
    assert caught.value.detail == BLOCKED_BY_THEM


def test_a_block_between_others_changes_nothing_here(session, now, people, thread, emit):
    blocks.block_member(session, people["stranger"], "pro1", now, emit)
    talk.post_message(session, people["pro"], thread, "Behind the shop.", now + MINUTE, emit)
    assert session.query(Message).count() == 2


def test_with_blocks_both_ways_lifting_one_still_refuses(session, now, people, thread, emit):
    blocks.block_member(session, people["client"], "pro1", now, emit)
    blocks.block_member(session, people["pro"], "client1", now, emit)
    blocks.unblock_member(session, people["client"], "pro1", now, emit)
    assert _refused(
        lambda: talk.post_message(session, people["client"], thread, "hi", now, emit)
    ) == (BLOCKED_BY_THEM)


def test_unblocking_lets_both_write_again(session, now, people, thread, emit):
    blocks.block_member(session, people["client"], "pro1", now, emit)
    blocks.unblock_member(session, people["client"], "pro1", now + MINUTE, emit)
    talk.post_message(session, people["pro"], thread, "Behind the shop.", now + 2 * MINUTE, emit)
    talk.post_message(session, people["client"], thread, "Thanks", now + 3 * MINUTE, emit)
    assert session.query(Message).count() == 3


def test_what_was_written_stays_readable_to_both(session, now, people, thread, emit):
    talk.post_message(session, people["pro"], thread, "Behind the shop.", now + MINUTE, emit)
    blocks.block_member(session, people["pro"], "client1", now + 2 * MINUTE, emit)
    for caller in (people["client"], people["pro"]):
        items = talk.get_conversation(session, caller, thread)["messages"]["items"]
        assert [m["body"] for m in items] == ["Behind the shop.", "Where can I park?"]
    assert talk.mark_conversation_read(session, people["client"], thread)["unread_count"] == 0


# ---- what the summaries say ----------------------------------------------------------------


def _standing(summary: dict) -> tuple[bool, bool]:
    return summary["can_write"], summary["blocked_by_me"]


def _views(session, caller, thread) -> list[tuple[bool, bool]]:
    return [
        _standing(talk.list_conversations(session, caller)["items"][0]),
        _standing(talk.get_conversation(session, caller, thread)["conversation"]),
        _standing(talk.mark_conversation_read(session, caller, thread)),
    ]


def test_summaries_say_who_can_write_and_who_blocked(session, now, people, thread, emit):
    assert _views(session, people["client"], thread) == [(True, False)] * 3
    assert _views(session, people["pro"], thread) == [(True, False)] * 3
    blocks.block_member(session, people["client"], "pro1", now, emit)
    assert _views(session, people["client"], thread) == [(False, True)] * 3
    assert _views(session, people["pro"], thread) == [(False, False)] * 3
    blocks.unblock_member(session, people["client"], "pro1", now, emit)
    assert _views(session, people["client"], thread) == [(True, False)] * 3


def test_a_new_conversation_says_it_can_be_written_to(session, now, people, emit):
    started = _start(session, people["stranger"], "pro1", now, emit)
    assert _standing(started["conversation"]) == (True, False)


def test_a_closed_account_cannot_be_written_to(session, now, people, thread, make_event):
    handle_event(session, "account_closed", make_event("account_closed", account_id="pro1"), now)
    assert _standing(talk.get_conversation(session, people["client"], thread)["conversation"]) == (
        False,
        False,
    )


def test_each_summary_of_a_page_has_its_own_standing(session, now, people, thread, emit):
    _start(session, people["stranger"], "pro1", now + MINUTE, emit)
    blocks.block_member(session, people["pro"], "stranger", now, emit)
    listed = talk.list_conversations(session, people["pro"])["items"]
    assert [(c["other_party"]["account_id"], *_standing(c)) for c in listed] == [
        ("stranger", False, True),
        ("client1", True, False),
    ]


# ---- closure -------------------------------------------------------------------------------


def test_a_closing_members_blocks_go_both_ways_and_others_stay(
    session, now, people, emit, emitted, make_event
):
    blocks.block_member(session, people["client"], "pro1", now, emit)
    blocks.block_member(session, people["stranger"], "client1", now, emit)
    blocks.block_member(session, people["pro"], "stranger", now, emit)
    emitted.clear()
    handle_event(session, "account_closed", make_event("account_closed", account_id="client1"), now)
    assert session.execute(select(Block.blocker_id, Block.blocked_id)).all() == [
        ("pro1", "stranger")
    ]
    assert emitted == []  # booking handles account_closed itself


# ---- the member's copy ---------------------------------------------------------------------


def test_the_copy_holds_the_blocks_i_made_not_those_of_me(session, now, people, emit):
    blocks.block_member(session, people["client"], "stranger", now + MINUTE, emit)
    blocks.block_member(session, people["client"], "pro1", now + 2 * MINUTE, emit)
    blocks.block_member(session, people["pro"], "client1", now, emit)
    copy = MemberDataSchema().dump(export_member_data(session, people["client"]))
    assert copy["sections"]["blocks"]["records"] == [
        {"account_id": "stranger", "name": "Sam Other", "blocked_at": "2026-03-01T12:01:00+00:00"},
        {"account_id": "pro1", "name": "Pat Rivera", "blocked_at": "2026-03-01T12:02:00+00:00"},
    ]
    stranger = MemberDataSchema().dump(export_member_data(session, people["stranger"]))
    assert stranger["sections"]["blocks"]["records"] == []
    assert "client1" not in json.dumps(stranger["sections"]["blocks"])


# ---- the entrypoints -----------------------------------------------------------------------


@pytest.fixture
def unit(tmp_path, now, make_account):
    engine = make_engine(f"sqlite:///{tmp_path / 'notifications.sqlite3'}")
    Base.metadata.create_all(engine)
    work = UnitOfWork(session_factory(engine)(), Base.metadata)
    handle_event(work.session, "account_created", make_account("acc1", "Ana"), now)
    handle_event(work.session, "account_created", make_account("acc2", "Bo"), now)
    work.commit()
    yield work
    work.close()
    engine.dispose()


def _service(unit, user_id="acc1"):
    return worker_factory(
        NotificationsService, db=unit, caller=Caller(user_id, frozenset({"client"}))
    )


def _outbox(unit) -> list[tuple[str, dict]]:
    rows = unit.session.execute(
        text("SELECT event_type, payload FROM outbox_events ORDER BY created_at")
    ).all()
    return [(kind, json.loads(payload)) for kind, payload in rows]


def test_the_rpcs_block_list_and_unblock_through_the_outbox(unit):
    service = _service(unit)
    block = json.loads(json.dumps(service.block_member(account_id="acc2")))
    assert block["account_id"] == "acc2" and block["name"] == "Bo"
    assert service.block_member(account_id="acc2") == block
    page = service.list_blocks(limit=5)
    assert page == {"items": [block], "next_cursor": None}
    assert service.unblock_member(account_id="acc2") is None
    sent = _outbox(unit)
    assert [kind for kind, _ in sent] == ["member_blocked", "member_unblocked"]
    assert sent[0][1]["blocked_at"] == block["blocked_at"]
    assert {k: sent[0][1][k] for k in ("blocker_id", "blocked_id")} == {
        "blocker_id": "acc1",
        "blocked_id": "acc2",
    }
    assert set(sent[1][1]) >= {"blocker_id", "blocked_id", "unblocked_at"}


def test_bad_rpc_input_is_invalid_and_changes_nothing(unit):
    service = _service(unit)
    for fields in ({}, {"account_id": ""}, {"account_id": "acc2", "reason": "rude"}):
        with pytest.raises(Invalid):
            service.block_member(**fields)
    with pytest.raises(Invalid):
        service.list_blocks(limit=0)
    assert unit.session.query(Block).count() == 0
    assert _outbox(unit) == []
