from datetime import timedelta

import pytest
from loconomics_notifications import schemas
from loconomics_notifications.domain import blocks
from loconomics_notifications.domain import conversations as talk
from loconomics_notifications.domain.inbox import list_notifications
from loconomics_notifications.domain.preferences import get_preferences
from loconomics_notifications.domain.routing import handle_event
from loconomics_plumbing.validation import PageArgsSchema as PlumbingPageArgs
from marshmallow import ValidationError


def test_rpc_inputs_refuse_unknown_fields():
    with pytest.raises(ValidationError) as caught:
        schemas.StartConversationArgsSchema().load(
            {"to": "pro1", "subject": "s", "body": "b", "cc": "x"}
        )
    assert "cc" in caught.value.messages


def test_start_conversation_args_are_checked():
    loaded = schemas.StartConversationArgsSchema().load({"to": "pro1", "subject": "s", "body": "b"})
    assert loaded["booking_id"] is None
    with pytest.raises(ValidationError) as caught:
        schemas.StartConversationArgsSchema().load({"to": "", "subject": "", "body": "x" * 5001})
    assert set(caught.value.messages) == {"to", "subject", "body"}


def test_preferences_update_takes_known_categories_and_channels_only():
    loaded = schemas.PreferencesUpdateSchema().load({"messages": {"email": False}})
    assert loaded == {"messages": {"email": False}}
    with pytest.raises(ValidationError) as caught:
        schemas.PreferencesUpdateSchema().load({"spam": {"email": False}, "booking": {"sms": True}})
    assert set(caught.value.messages) == {"spam", "booking"}


def test_page_arguments_have_limits():
    assert schemas.ListNotificationsArgsSchema().load({}) == {
        "limit": 20,
        "cursor": None,
        "unread_only": False,
    }
    with pytest.raises(ValidationError):
        schemas.ListNotificationsArgsSchema().load({"limit": 101})


def test_events_ignore_unknown_fields_but_require_the_contract():
    payload = {
        "event_id": "e1",
        "occurred_at": "2026-03-01T12:00:00+00:00",
        "account_id": "a",
        "email": "a@example.org",
        "name": "A",
        "future_field": True,
    }
    loaded = schemas.AccountEventSchema().load(payload)
    assert "future_field" not in loaded and loaded["language"] == "en" and loaded["roles"] == []
    with pytest.raises(ValidationError) as caught:
        schemas.AccountEventSchema().load({"event_id": "e1"})
    assert {"occurred_at", "account_id", "email", "name"} <= set(caught.value.messages)


def test_reschedules_need_both_previous_times(make_booking):
    payload = make_booking(previous_start="2026-03-09T21:30:00+00:00")
    with pytest.raises(ValidationError) as caught:
        schemas.BookingEventSchema().load(payload)
    assert "previous_end" in caught.value.messages


def test_money_amounts_must_be_integers(make_booking):
    payload = make_booking()
    payload["price"] = {"amount_cents": 19.5, "currency": "usd"}
    with pytest.raises(ValidationError) as caught:
        schemas.BookingEventSchema().load(payload)
    assert set(caught.value.messages["price"]) == {"amount_cents", "currency"}


def test_results_dump_to_json_ready_shapes(session, now, people, emit, make_booking):
    later = now + timedelta(seconds=1)
    handle_event(session, "booking_confirmed", make_booking(), later)
    page = schemas.NotificationPageSchema().dump(list_notifications(session, people["client"]))
    assert page["items"][0]["created_at"] == later.isoformat()
    assert page["items"][0]["refs"] == {"booking_id": "bk1"}
    started = talk.start_conversation(
        session,
        people["client"],
        to="pro1",
        subject="s",
        body="b",
        booking_id=None,
        now=now + timedelta(minutes=1),
        emit=emit,
    )
    dumped = schemas.StartedConversationSchema().dump(started)
    assert dumped["conversation"]["other_party"] == {"account_id": "pro1", "name": "Pat Rivera"}
    assert dumped["message"]["created_at"] == (now + timedelta(minutes=1)).isoformat()
    detail = schemas.ConversationDetailSchema().dump(
        talk.get_conversation(session, people["pro"], started["conversation"]["id"])
    )
    assert detail["messages"]["items"][0]["body"] == "b"
    prefs = schemas.PreferencesSchema().dump(get_preferences(session, people["client"]))
    assert prefs["preferences"]["booking"] == {"email": True, "in_app": True}


def test_emitted_events_match_their_schemas(session, now, people, emit, emitted):
    talk.start_conversation(
        session,
        people["client"],
        to="pro1",
        subject="s",
        body="b",
        booking_id=None,
        now=now,
        emit=emit,
    )
    blocks.block_member(session, people["client"], "stranger", now, emit)
    blocks.unblock_member(session, people["client"], "stranger", now, emit)
    shapes = schemas.EMITTED_EVENTS
    assert {name for name, _ in emitted} == set(shapes)
    for name, payload in emitted:
        assert shapes[name]().validate(payload) == {}
        assert set(payload) == set(shapes[name]().fields)


def test_every_schema_field_is_described():
    """The OpenAPI document is generated from these; `limit`/`cursor` come from the plumbing."""
    inherited = set(PlumbingPageArgs._declared_fields)
    undocumented = []
    for name in dir(schemas):
        schema = getattr(schemas, name)
        if not (
            isinstance(schema, type)
            and name.endswith("Schema")
            and schema.__module__ == schemas.__name__
        ):
            continue
        for field_name, field in schema().fields.items():
            if issubclass(schema, PlumbingPageArgs) and field_name in inherited:
                continue
            if not field.metadata.get("description"):
                undocumented.append(f"{name}.{field_name}")
    assert undocumented == []
