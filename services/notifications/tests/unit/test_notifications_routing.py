from datetime import timedelta

import pytest
from loconomics_notifications.domain.preferences import set_preferences
from loconomics_notifications.domain.routing import (
    CONSUMED_EVENTS,
    MESSAGE_RECEIVED,
    ROUTES,
    Route,
    handle_event,
    notify,
)
from loconomics_notifications.models import EmailDelivery, Notification
from loconomics_plumbing.errors import Invalid
from sqlalchemy import select


def _made(session, event_id):
    rows = session.scalars(select(Notification).where(Notification.event_id == event_id))
    return {(n.recipient_id, n.template, n.role, n.channel) for n in rows}


@pytest.mark.parametrize(
    ("event_name", "template", "recipients"),
    [
        ("booking_performed", "booking_performed", {("client1", "client")}),
        (
            "booking_requested",
            "booking_requested",
            {("client1", "client"), ("pro1", "professional")},
        ),
        (
            "booking_confirmed",
            "booking_confirmed",
            {("client1", "client"), ("pro1", "professional")},
        ),
        ("booking_declined", "booking_declined", {("client1", "client")}),
        ("booking_expired", "booking_expired", {("client1", "client"), ("pro1", "professional")}),
        (
            "booking_cancelled",
            "booking_cancelled",
            {("client1", "client"), ("pro1", "professional")},
        ),
        (
            "booking_rescheduled",
            "booking_rescheduled",
            {("client1", "client"), ("pro1", "professional")},
        ),
        (
            "booking_completed",
            "booking_completed",
            {("client1", "client"), ("pro1", "professional")},
        ),
        (
            "booking_reminder_due",
            "booking_reminder",
            {("client1", "client"), ("pro1", "professional")},
        ),
        ("booking_review_requested", "booking_review_requested", {("client1", "client")}),
    ],
)
def test_booking_events_reach_the_right_parties_on_both_channels(
    session, now, people, make_booking, event_name, template, recipients
):
    event = make_booking()
    created = handle_event(session, event_name, event, now)
    expected = {
        (account, template, role, channel)
        for account, role in recipients
        for channel in ("email", "in_app")
    }
    assert _made(session, event["event_id"]) == expected
    assert len(created) == len(expected)


def test_categories_and_transactional_flags(session, now, people, make_booking):
    handle_event(session, "booking_confirmed", make_booking(), now)
    handle_event(session, "booking_reminder_due", make_booking(), now)
    by_template = {n.template: n for n in session.scalars(select(Notification))}
    assert (
        by_template["booking_confirmed"].category,
        by_template["booking_confirmed"].transactional,
    ) == ("booking", True)
    assert (
        by_template["booking_reminder"].category,
        by_template["booking_reminder"].transactional,
    ) == ("reminders", False)


def test_a_repeated_event_gives_one_notification_per_recipient_and_channel(
    session, now, people, make_booking
):
    event = make_booking()
    first = handle_event(session, "booking_confirmed", event, now)
    again = handle_event(session, "booking_confirmed", event, now + timedelta(minutes=5))
    assert len(first) == 4 and again == []
    assert session.query(Notification).filter_by(event_id=event["event_id"]).count() == 4
    assert (
        session.query(EmailDelivery)
        .join(Notification, Notification.id == EmailDelivery.notification_id)
        .filter(Notification.event_id == event["event_id"])
        .count()
        == 2
    )


def test_every_email_notification_has_one_pending_delivery(session, now, people, make_booking):
    handle_event(session, "booking_requested", make_booking(), now)
    emails = session.query(Notification).filter_by(channel="email").all()
    deliveries = session.query(EmailDelivery).all()
    assert {d.notification_id for d in deliveries} == {n.id for n in emails}
    assert all(d.status == "pending" and d.next_attempt_at == now for d in deliveries)


def test_preferences_decide_optional_channels(session, now, people, make_booking):
    set_preferences(
        session,
        people["client"],
        {"reminders": {"email": False}, "booking": {"in_app": False}},
        now,
    )
    reminder = make_booking()
    handle_event(session, "booking_reminder_due", reminder, now)
    confirmed = make_booking()
    handle_event(session, "booking_confirmed", confirmed, now)
    assert ("client1", "booking_reminder", "client", "email") not in _made(
        session, reminder["event_id"]
    )
    assert ("client1", "booking_reminder", "client", "in_app") in _made(
        session, reminder["event_id"]
    )
    made = _made(session, confirmed["event_id"])
    assert ("client1", "booking_confirmed", "client", "email") in made
    assert ("client1", "booking_confirmed", "client", "in_app") not in made


def test_governance_events_fan_out_to_the_members_named(session, now, people, make_event):
    event = make_event("proposal_opened", electorate=["pro1", "client1", "pro1"])
    handle_event(session, "proposal_opened", event, now)
    made = _made(session, event["event_id"])
    assert {r for r, *_ in made} == {"pro1", "client1"}
    assert len(made) == 4
    stored = session.scalars(
        select(Notification).where(Notification.event_id == event["event_id"])
    ).first()
    assert "electorate" not in stored.data and stored.data["proposal_id"] == "p9"


def test_a_closing_reminder_goes_only_to_those_who_have_not_voted(session, now, people, make_event):
    handle_event(session, "proposal_opened", make_event("proposal_opened"), now)
    reminder = make_event("proposal_closing_soon", not_yet_voted=["client1"])
    handle_event(session, "proposal_closing_soon", reminder, now)
    assert {r for r, *_ in _made(session, reminder["event_id"])} == {"client1"}


def test_a_result_without_a_known_roll_tells_nobody(session, now, people, make_event):
    assert handle_event(session, "election_closed", make_event("election_closed"), now) == []


def test_a_repeated_opening_keeps_the_roll_once(session, now, people, make_event):
    opened = make_event("election_opened", electorate=["pro1"])
    handle_event(session, "election_opened", opened, now)
    handle_event(session, "election_opened", opened, now)
    result = make_event("election_closed")
    assert {n.recipient_id for n in handle_event(session, "election_closed", result, now)} == {
        "pro1"
    }


def test_patronage_notice_goes_to_its_member_even_with_governance_email_off(
    session, now, people, make_event
):
    set_preferences(session, people["pro"], {"governance": {"email": False}}, now)
    event = make_event("patronage_allocated")
    handle_event(session, "patronage_allocated", event, now)
    assert _made(session, event["event_id"]) == {
        ("pro1", "patronage_allocated", "member", "email"),
        ("pro1", "patronage_allocated", "member", "in_app"),
    }


@pytest.mark.parametrize(
    ("event_name", "recipient", "template", "category"),
    [
        ("membership_started", "pro1", "membership_started", "membership"),
        ("payment_failed", "pro1", "payment_failed", "payment"),
        ("dues_paid", "pro1", "dues_paid", "payment"),
        ("owner_status_changed", "pro1", "owner_status_changed", "membership"),
        ("booking_payment_failed", "client1", "payment_failed", "payment"),
    ],
)
def test_billing_events_reach_the_account(
    session, now, people, make_event, event_name, recipient, template, category
):
    created = handle_event(session, event_name, make_event(event_name), now)
    assert {(n.recipient_id, n.template, n.category) for n in created} == {
        (recipient, template, category)
    }


@pytest.mark.parametrize(
    ("event_name", "template"),
    [
        ("password_reset_requested", "password_reset"),
        ("email_confirmation_requested", "email_confirmation"),
        ("email_changed", "email_changed"),
    ],
)
def test_one_time_links_reach_the_account_by_email_only_whatever_its_choices(
    session, now, people, make_event, event_name, template
):
    set_preferences(session, people["client"], {"account": {"email": False}}, now)
    event = make_event(event_name, account_id="client1")
    handle_event(session, event_name, event, now)
    assert _made(session, event["event_id"]) == {("client1", template, "account", "email")}


def test_a_booking_payment_without_a_known_client_tells_nobody(session, now, people, make_event):
    event = make_event("booking_payment_failed", client_user_id=None)
    assert handle_event(session, "booking_payment_failed", event, now) == []


def test_a_proposal_to_move_goes_to_the_other_side(session, now, people, make_event):
    by_pro = make_event("booking_reschedule_proposed")
    by_client = make_event("booking_reschedule_proposed", proposed_by="client")
    handle_event(session, "booking_reschedule_proposed", by_pro, now)
    handle_event(session, "booking_reschedule_proposed", by_client, now)
    assert {r for r, *_ in _made(session, by_pro["event_id"])} == {"client1"}
    assert {r for r, *_ in _made(session, by_client["event_id"])} == {"pro1"}


def test_a_malformed_booking_event_names_every_bad_field(session, now, people, make_booking):
    event = make_booking(time_zone="Mars/Base")
    event["end"] = event["start"]
    del event["price"]
    with pytest.raises(Invalid) as caught:
        handle_event(session, "booking_confirmed", event, now)
    assert {"time_zone", "price"} <= set(caught.value.errors)


def test_end_must_follow_start(session, now, people, make_booking):
    event = make_booking()
    event["end"] = event["start"]
    with pytest.raises(Invalid) as caught:
        handle_event(session, "booking_confirmed", event, now)
    assert "end" in caught.value.errors


def test_unknown_fields_in_events_are_tolerated(session, now, people, make_booking):
    created = handle_event(session, "booking_confirmed", make_booking(new_field="x"), now)
    assert len(created) == 4


def test_events_we_do_not_route_are_ignored(session, now, people):
    assert handle_event(session, "listing_created", {"anything": 1}, now) == []
    assert session.query(Notification).filter_by(event_name="listing_created").count() == 0


def test_every_event_the_issue_lists_is_consumed():
    assert "account_changed" in CONSUMED_EVENTS and "account_changed" not in ROUTES
    assert {
        "account_created",
        "booking_requested",
        "booking_confirmed",
        "booking_declined",
        "booking_expired",
        "booking_cancelled",
        "booking_rescheduled",
        "booking_completed",
        "booking_reminder_due",
        "booking_review_requested",
        "membership_started",
        "payment_failed",
        "owner_status_changed",
        "proposal_opened",
        "proposal_closing_soon",
        "proposal_closed",
        "election_opened",
        "election_closed",
        "patronage_allocated",
    } <= set(CONSUMED_EVENTS)


def test_a_closed_account_is_left_out_of_every_audience_and_the_others_are_told(
    session, now, people, make_booking, make_event
):
    handle_event(session, "account_closed", make_event("account_closed", account_id="pro1"), now)
    event = make_booking()
    handle_event(session, "booking_confirmed", event, now)
    assert _made(session, event["event_id"]) == {
        ("client1", "booking_confirmed", "client", "email"),
        ("client1", "booking_confirmed", "client", "in_app"),
    }
    # notify is the one place notifications are made: messages go through it too.
    made = notify(
        session,
        MESSAGE_RECEIVED,
        "message:m1",
        "message_received",
        [("pro1", "professional", {"conversation_id": "c1"})],
        now,
    )
    assert made == []


def test_only_an_email_addressed_by_its_event_may_reach_a_closed_account():
    with pytest.raises(ValueError, match="closed account"):
        Route(
            template="t",
            category="account",
            transactional=True,
            link="/",
            reaches_closed_account=True,
        )
    with pytest.raises(ValueError, match="closed account"):
        Route(
            template="t",
            category="account",
            transactional=True,
            link="/",
            reaches_closed_account=True,
            addressed_by_event=True,
        )
    assert [name for name, route in ROUTES.items() if route.reaches_closed_account] == [
        "account_closed"
    ]
