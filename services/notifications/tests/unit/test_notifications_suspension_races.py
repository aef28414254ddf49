"""On PostgreSQL, a message and a suspension of one of its members at the same moment (two
copies of the service, or one handling an RPC and an event): a suspension is written holding
the member's contact, as a message is written holding both of its members', so a message
written in the instant of a suspension is either refused by it or committed before it: never a
message written after the suspension was applied."""

from __future__ import annotations

import pytest
from loconomics_notifications.domain import conversations as talk
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.domain.suspensions import SUSPENDED_MEMBER, YOU_ARE_SUSPENDED
from loconomics_notifications.models import Conversation, Message, SuspendedAccount
from loconomics_plumbing.errors import Conflict
from loconomics_plumbing.identity import Caller
from sqlalchemy import func, select
from transaction_races import race

from .conftest import account_event

pytestmark = pytest.mark.postgres

CLIENT = Caller("client-s", frozenset({"client"}))
PRO = Caller("pro-s", frozenset({"professional"}))


@pytest.fixture
def sessions(migrated_sessions):
    return migrated_sessions("notifications")


@pytest.fixture
def thread(sessions, now) -> str:
    """The client asked the professional a question."""
    with sessions() as session:
        handle_event(session, "account_created", account_event(CLIENT.user_id, "Cleo"), now)
        professional = account_event(PRO.user_id, "Pam", roles=("professional",))
        handle_event(session, "account_created", professional, now)
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
        session.commit()
    return started["conversation"]["id"]


def suspension(account_id: str, now, make_event):
    event = {
        **make_event("account_suspended"),
        "account_id": account_id,
        "suspended_at": now.isoformat(),
    }
    return lambda session: handle_event(session, "account_suspended", event, now)


def post(conversation_id: str, writer: Caller, now, refused: list):
    def write(session) -> None:
        try:
            talk.post_message(
                session, writer, conversation_id, "Still there?", now, lambda *e: None
            )
        except Conflict as error:
            refused.append(error.detail)

    return write


def start(writer: Caller, to: str, now, refused: list):
    def write(session) -> None:
        try:
            talk.start_conversation(
                session,
                writer,
                to=to,
                subject="Another job",
                body="Are you free?",
                booking_id=None,
                now=now,
                emit=lambda *e: None,
            )
        except Conflict as error:
            refused.append(error.detail)

    return write


def counts(sessions) -> tuple[int, int, bool]:
    """(messages, conversations, whether the professional is suspended)."""
    with sessions() as session:
        held = session.get(SuspendedAccount, PRO.user_id)
        return (
            session.scalar(select(func.count()).select_from(Message)),
            session.scalar(select(func.count()).select_from(Conversation)),
            held is not None and held.suspended,
        )


def test_a_message_to_a_member_being_suspended_is_refused(sessions, thread, now, make_event):
    refused: list = []
    race(sessions, suspension(PRO.user_id, now, make_event), post(thread, CLIENT, now, refused))
    assert refused == [SUSPENDED_MEMBER]
    assert counts(sessions) == (1, 1, True)


def test_a_message_by_a_member_being_suspended_is_refused(sessions, thread, now, make_event):
    refused: list = []
    race(sessions, suspension(PRO.user_id, now, make_event), post(thread, PRO, now, refused))
    assert refused == [YOU_ARE_SUSPENDED]
    assert counts(sessions) == (1, 1, True)


def test_a_conversation_started_with_a_member_being_suspended_is_refused(
    sessions, thread, now, make_event
):
    refused: list = []
    race(
        sessions,
        suspension(PRO.user_id, now, make_event),
        start(CLIENT, PRO.user_id, now, refused),
    )
    assert refused == [SUSPENDED_MEMBER]
    assert counts(sessions) == (1, 1, True)


def test_a_suspension_waits_for_a_message_being_written_then_holds(
    sessions, thread, now, make_event
):
    refused: list = []
    race(sessions, post(thread, CLIENT, now, refused), suspension(PRO.user_id, now, make_event))
    assert refused == []
    assert counts(sessions) == (2, 1, True)  # the message came first, then the suspension
    after: list = []
    with sessions() as session:
        post(thread, CLIENT, now, after)(session)
        session.commit()
    assert after == [SUSPENDED_MEMBER]
    assert counts(sessions) == (2, 1, True)
