"""On PostgreSQL, a report of a message and a moderator's decision about it at the same moment:
decisions and reports about one message are written one transaction at a time, so a report made
in the instant of a withholding is refused or upheld by it, never left open on a withheld
message, and a dismissal and a withholding never both resolve one report. Two blocks of the same
member at once make one block and one event, and a message written in the instant of a block
or of a closure is refused (both contacts are held, sorted, by whoever writes about the pair)."""

from __future__ import annotations

import pytest
from loconomics_notifications.domain import blocks
from loconomics_notifications.domain import conversations as talk
from loconomics_notifications.domain import message_reports as reports
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import Block, Message, MessageReport
from loconomics_plumbing.errors import Conflict
from loconomics_plumbing.identity import Caller
from sqlalchemy import func, select
from transaction_races import race

from .conftest import account_event

pytestmark = pytest.mark.postgres

CLIENT = Caller("client-m", frozenset({"client"}))
PRO = Caller("pro-m", frozenset({"professional"}))
MODERATOR = Caller("admin-m", frozenset({"admin"}))


@pytest.fixture
def sessions(migrated_sessions):
    return migrated_sessions("notifications")


@pytest.fixture
def message(sessions, now) -> tuple[str, str]:
    """(conversation id, message id): the professional's answer to the client."""
    with sessions() as session:
        handle_event(session, "account_created", account_event(CLIENT.user_id, "Cleo"), now)
        handle_event(
            session,
            "account_created",
            account_event(PRO.user_id, "Pam", roles=("professional",)),
            now,
        )
        started = talk.start_conversation(
            session,
            CLIENT,
            to=PRO.user_id,
            subject="Paint",
            body="Which colour?",
            booking_id=None,
            now=now,
            emit=lambda *e: None,
        )
        conversation_id = started["conversation"]["id"]
        answer = talk.post_message(
            session, PRO, conversation_id, "Send me your card number.", now, lambda *e: None
        )
        session.commit()
    return conversation_id, answer["id"]


def report(message: tuple[str, str], now, refused: list | None = None):
    conversation_id, message_id = message

    def write(session) -> None:
        try:
            reports.report_message(
                session,
                CLIENT,
                conversation_id=conversation_id,
                message_id=message_id,
                reason="scam",
                now=now,
            )
        except Conflict as error:
            if refused is None:
                raise
            refused.append(error)

    return write


def withholding(message: tuple[str, str], now):
    return lambda session: reports.withhold_message(
        session, MODERATOR, message_id=message[1], reason="scam", note=None, now=now
    )


def statuses(sessions) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(MessageReport.status)))


def test_a_report_made_as_the_message_is_withheld_is_refused(sessions, message, now):
    refused: list = []
    race(sessions, withholding(message, now), report(message, now, refused))
    assert [error.detail for error in refused] == [reports.WITHHELD_ALREADY]
    assert statuses(sessions) == []


def test_a_withholding_waits_for_a_report_then_upholds_it(sessions, message, now):
    race(sessions, report(message, now), withholding(message, now))
    assert statuses(sessions) == ["upheld"]


def test_a_dismissal_and_a_withholding_do_not_both_resolve_one_report(sessions, message, now):
    with sessions() as session:
        report(message, now)(session)
        session.commit()
        report_id = session.scalar(select(MessageReport.id))
    refused: list = []

    def dismissal(session) -> None:
        try:
            reports.dismiss_message_report(session, MODERATOR, report_id, None, now)
        except Conflict as error:
            refused.append(error)

    race(sessions, withholding(message, now), dismissal)
    assert [error.detail for error in refused] == [reports.NOT_OPEN]
    assert statuses(sessions) == ["upheld"]


def test_two_blocks_of_one_member_at_once_make_one_block_and_one_event(sessions, message, now):
    emitted: list[tuple[str, dict]] = []

    def block(session) -> None:
        blocks.block_member(session, PRO, CLIENT.user_id, now, lambda *e: emitted.append(e))

    race(sessions, block, block)
    with sessions() as session:
        assert session.execute(select(Block.blocker_id, Block.blocked_id)).all() == [
            (PRO.user_id, CLIENT.user_id)
        ]
    assert [name for name, _ in emitted] == ["member_blocked"]


def post(conversation_id: str, writer: Caller, now, refused: list):
    def write(session) -> None:
        try:
            talk.post_message(
                session, writer, conversation_id, "Still there?", now, lambda *e: None
            )
        except Conflict as error:
            refused.append(error.detail)

    return write


def message_count(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Message))


def test_a_message_written_as_its_writer_is_blocked_is_refused(sessions, message, now):
    refused: list = []
    before = message_count(sessions)

    def block(session) -> None:
        blocks.block_member(session, PRO, CLIENT.user_id, now, lambda *e: None)

    race(sessions, block, post(message[0], CLIENT, now, refused))
    assert refused == [blocks.BLOCKED_BY_THEM]
    assert message_count(sessions) == before


def test_a_message_written_as_the_other_member_closes_is_refused(
    sessions, message, now, make_event
):
    refused: list = []
    before = message_count(sessions)
    closure = {**make_event("account_closed"), "account_id": CLIENT.user_id}

    race(
        sessions,
        lambda session: handle_event(session, "account_closed", closure, now),
        post(message[0], PRO, now, refused),
    )
    assert refused == [talk.CLOSED]
    assert message_count(sessions) == before
