from datetime import timedelta

import pytest
from loconomics_notifications.domain.contacts import close_contact
from loconomics_notifications.domain.deliveries import (
    RetryPolicy,
    claim_due,
    dead_deliveries,
    deliver_due,
    due_deliveries,
    record_attempt,
    record_outcomes,
    replay_dead,
    send_claimed,
)
from loconomics_notifications.domain.emails import Mailbox
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import Base, EmailDelivery
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

MAILBOX = Mailbox("hello@loconomics.test")


def test_backoff_doubles_from_one_minute_and_is_capped():
    policy = RetryPolicy()
    assert [policy.delay_after(n) / timedelta(minutes=1) for n in range(1, 9)] == [
        1,
        2,
        4,
        8,
        16,
        32,
        60,
        60,
    ]
    custom = RetryPolicy(
        first_delay=timedelta(seconds=10), factor=3, max_delay=timedelta(minutes=2)
    )
    assert [custom.delay_after(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 30, 90, 120]


@pytest.fixture
def one_delivery(session, now, people):
    """The welcome email of the client."""
    return session.scalars(
        select(EmailDelivery).where(EmailDelivery.recipient_id == "client1")
    ).one()


def test_a_failure_schedules_the_next_try(session, now, one_delivery):
    record_attempt(session, one_delivery, now, "451 try later")
    assert (one_delivery.status, one_delivery.attempts) == ("failed", 1)
    assert one_delivery.next_attempt_at == now + timedelta(minutes=1)
    assert one_delivery.last_error == "451 try later"
    record_attempt(session, one_delivery, now + timedelta(minutes=1), "451 still")
    assert one_delivery.next_attempt_at == now + timedelta(minutes=3)


def test_success_marks_it_sent_for_good(session, now, one_delivery):
    record_attempt(session, one_delivery, now)
    assert (one_delivery.status, one_delivery.sent_at, one_delivery.next_attempt_at) == (
        "sent",
        now,
        None,
    )
    with pytest.raises(Conflict):
        record_attempt(session, one_delivery, now)


def test_the_last_try_goes_to_the_dead_letters(session, now, one_delivery):
    policy = RetryPolicy(max_attempts=3)
    for _ in range(3):
        record_attempt(session, one_delivery, now, "451", policy=policy)
    assert (one_delivery.status, one_delivery.attempts, one_delivery.next_attempt_at) == (
        "dead",
        3,
        None,
    )


def test_a_permanent_refusal_is_dead_at_once(session, now, one_delivery):
    record_attempt(session, one_delivery, now, "550 no such user", permanent=True)
    assert one_delivery.status == "dead" and one_delivery.attempts == 1


def test_due_deliveries_are_the_pending_and_failed_whose_time_has_come(session, now, people):
    all_ids = {d.id for d in due_deliveries(session, now)}
    assert len(all_ids) == 3  # the three welcome emails
    first, second, third = session.scalars(select(EmailDelivery)).all()
    record_attempt(session, first, now, "451")
    record_attempt(session, second, now)
    assert {d.id for d in due_deliveries(session, now)} == {third.id}
    assert {d.id for d in due_deliveries(session, now + timedelta(minutes=1))} == {
        first.id,
        third.id,
    }
    assert len(due_deliveries(session, now + timedelta(minutes=1), limit=1)) == 1


def test_deliver_due_retries_until_the_server_accepts(
    session, now, people, make_booking, smtp_server
):
    handle_event(session, "booking_confirmed", make_booking(), now)
    server = smtp_server(refusals=5 * 3)  # every email refused for the first three rounds
    moment = now
    for _ in range(3):
        run = deliver_due(session, moment, server, MAILBOX, limit=100)
        assert (run.sent, run.retrying, run.dead) == (0, 5, 0)
        moment += timedelta(hours=1)
    run = deliver_due(session, moment, server, MAILBOX, limit=100)
    assert (run.sent, run.dead) == (5, 0)
    assert len(server.accepted) == 5
    assert deliver_due(session, moment + timedelta(days=1), server, MAILBOX).sent == 0
    assert {d.status for d in session.scalars(select(EmailDelivery))} == {"sent"}


def test_deliver_due_dead_letters_a_permanent_refusal(session, now, people, smtp_server):
    run = deliver_due(session, now, smtp_server(refusals=99, permanent=True), MAILBOX)
    assert (run.sent, run.retrying, run.dead) == (0, 0, 3)


def test_an_email_for_an_unknown_contact_waits_and_then_goes(
    session, now, make_booking, make_account, smtp_server
):
    handle_event(
        session, "booking_confirmed", make_booking(client_id="late", professional_id="p"), now
    )
    server = smtp_server()
    run = deliver_due(session, now, server, MAILBOX)
    assert (run.sent, run.retrying) == (0, 2)
    handle_event(session, "account_changed", make_account("late", "Léa"), now)
    run = deliver_due(session, now + timedelta(minutes=1), server, MAILBOX)
    assert run.sent == 1  # Léa's; "p" is still unknown
    assert [str(m["To"]) for m in server.accepted] == ["Léa <late@example.org>"]
    failed = session.scalars(select(EmailDelivery).where(EmailDelivery.recipient_id == "p")).one()
    assert "no contact" in failed.last_error


def test_operators_list_and_replay_dead_letters(session, now, people, smtp_server):
    policy = RetryPolicy(max_attempts=1)
    deliver_due(session, now, smtp_server(refusals=99), MAILBOX, policy=policy)
    page = dead_deliveries(session, people["admin"], limit=2)
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = dead_deliveries(session, people["admin"], limit=2, cursor=page["next_cursor"])
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    ids = [i["id"] for i in page["items"] + rest["items"]]
    assert len(set(ids)) == 3
    assert {i["kind"] for i in page["items"]} == {"welcome"}
    assert page["items"][0]["last_error"] == "451 not now"

    assert replay_dead(session, people["admin"], now, [ids[0]]) == 1
    assert replay_dead(session, people["admin"], now) == 2
    server = smtp_server()
    assert deliver_due(session, now, server, MAILBOX, policy=policy).sent == 3
    assert dead_deliveries(session, people["admin"])["items"] == []


def test_only_operators_see_or_replay_dead_letters(session, now, people):
    with pytest.raises(Forbidden):
        dead_deliveries(session, people["client"])
    with pytest.raises(Forbidden):
        replay_dead(session, people["pro"], now)


def test_a_forged_cursor_is_invalid(session, people):
    with pytest.raises(Invalid) as caught:
        dead_deliveries(session, people["admin"], cursor="bm90IGEgY3Vyc29y")
    assert "cursor" in caught.value.errors


def test_an_address_that_cannot_be_mailed_is_dead_at_once(session, now, make_account, smtp_server):
    handle_event(session, "account_created", make_account("odd", "Odd", email="no-at-sign"), now)
    run = deliver_due(session, now, smtp_server(), MAILBOX)
    assert (run.sent, run.retrying, run.dead) == (0, 0, 1)
    dead = session.scalars(select(EmailDelivery)).one()
    assert "no-at-sign" in dead.last_error


def test_an_email_made_before_its_recipient_closed_the_account_is_dead_not_sent(
    session, now, people, make_booking, make_event, smtp_server
):
    deliver_due(session, now, smtp_server(), MAILBOX)  # the welcome emails
    handle_event(session, "booking_confirmed", make_booking(), now)
    # The closure seen by another copy while this booking's emails were being made.
    closure = make_event("account_closed", account_id="client1")
    close_contact(session, {**closure, "occurred_at": now, "closed_at": now})
    server = smtp_server()
    run = deliver_due(session, now, server, MAILBOX)
    assert (run.sent, run.dead) == (1, 1)
    assert [str(m["To"]) for m in server.accepted] == ["Pat Rivera <pro1@example.org>"]
    dead = session.scalars(
        select(EmailDelivery).where(
            EmailDelivery.recipient_id == "client1", EmailDelivery.status == "dead"
        )
    ).one()
    assert "closed" in dead.last_error


def test_claimed_emails_are_held_while_they_are_sent_then_due_again_if_never_recorded(
    session, now, people
):
    claim = claim_due(session, now, MAILBOX, lease=timedelta(minutes=10))
    assert len(claim.items) == 3
    assert {str(item.message["To"]).split("<")[1] for item in claim.items} == {
        "client1@example.org>",
        "pro1@example.org>",
        "stranger@example.org>",
    }
    assert due_deliveries(session, now + timedelta(minutes=9)) == []  # another copy skips them
    assert len(due_deliveries(session, now + timedelta(minutes=10))) == 3  # this one died


def test_outcomes_are_recorded_once_even_if_the_delivery_moved_on(
    session, now, people, smtp_server
):
    claim = claim_due(session, now, MAILBOX)
    first, second, third = claim.items
    outcomes = send_claimed(claim.items, smtp_server(refusals=1))
    assert [failure is None for _, failure in outcomes] == [False, True, True]
    record_attempt(session, session.get(EmailDelivery, third.delivery_id), now)  # elsewhere
    run = record_outcomes(session, now, outcomes)
    assert (run.sent, run.retrying, run.dead) == (1, 1, 0)
    assert session.get(EmailDelivery, first.delivery_id).status == "failed"
    assert session.get(EmailDelivery, third.delivery_id).attempts == 1


@pytest.mark.postgres
def test_two_copies_of_the_service_never_claim_the_same_email(postgres_url, now, make_account):
    engine = create_engine(postgres_url)
    Base.metadata.create_all(engine)
    with Session(engine) as setup:
        for n in range(4):
            handle_event(setup, "account_created", make_account(f"a{n}", f"Member {n}"), now)
        setup.commit()
    with Session(engine) as first, Session(engine) as second:
        mine = claim_due(first, now, MAILBOX, limit=2)  # rows locked until `first` commits
        theirs = claim_due(second, now, MAILBOX, limit=10)  # skips the locked ones
        first.commit()
        second.commit()
        assert len(mine.items) == 2 and len(theirs.items) == 2
        assert {i.delivery_id for i in mine.items}.isdisjoint(i.delivery_id for i in theirs.items)
    with Session(engine) as third:
        assert claim_due(third, now, MAILBOX).items == []  # all held by their lease
    engine.dispose()
