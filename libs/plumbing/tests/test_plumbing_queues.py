"""Event handler queues: classic unless LOCONOMICS_EVENT_QUEUE_TYPE asks for quorum."""

from __future__ import annotations

import pytest
from kombu import Exchange, Queue
from loconomics_plumbing.entrypoints import handles
from loconomics_plumbing.queues import (
    EVENT_QUEUE_TYPE_SETTING,
    TypedQueueEventHandler,
    event_queue_type,
    typed,
)
from nameko.containers import ServiceContainer


class Listener:
    name = "listener"

    @handles("booking", "booking_confirmed")
    def on_confirmed(self, payload: dict):
        return payload


def handler_queue(monkeypatch, queue_type: str | None) -> Queue:
    if queue_type is None:
        monkeypatch.delenv(EVENT_QUEUE_TYPE_SETTING, raising=False)
    else:
        monkeypatch.setenv(EVENT_QUEUE_TYPE_SETTING, queue_type)
    container = ServiceContainer(Listener, {"AMQP_URI": "memory://"})
    (entrypoint,) = container.entrypoints
    assert isinstance(entrypoint, TypedQueueEventHandler)
    entrypoint.setup()
    return entrypoint.queue


def test_handler_queues_stay_classic_by_default(monkeypatch):
    queue = handler_queue(monkeypatch, None)
    assert queue.name == "evt-booking-booking_confirmed--listener.on_confirmed"
    assert not (queue.queue_arguments or {}).get("x-queue-type")
    assert queue.durable and not queue.auto_delete and not queue.exclusive


def test_quorum_makes_the_handler_queue_a_durable_quorum_queue(monkeypatch):
    queue = handler_queue(monkeypatch, "quorum")
    assert queue.name == "evt-booking-booking_confirmed--listener.on_confirmed"
    assert queue.queue_arguments == {"x-queue-type": "quorum"}
    assert queue.durable and not queue.auto_delete and not queue.exclusive
    assert queue.exchange.name == "booking.events"
    assert queue.routing_key == "booking_confirmed"


def test_an_unknown_queue_type_stops_the_service_at_start(monkeypatch):
    monkeypatch.setenv(EVENT_QUEUE_TYPE_SETTING, "qourum")
    with pytest.raises(ValueError, match=EVENT_QUEUE_TYPE_SETTING):
        event_queue_type()
    monkeypatch.setenv(EVENT_QUEUE_TYPE_SETTING, " Quorum ")
    assert event_queue_type() == "quorum"


def test_a_queue_that_cannot_be_replicated_is_refused_as_quorum():
    exchange = Exchange("booking.events", type="topic")
    passing = Queue("evt-passing", exchange=exchange, durable=True, auto_delete=True)
    with pytest.raises(ValueError, match="evt-passing"):
        typed(passing, "quorum")
    assert typed(passing, "classic") is passing
    kept = Queue("evt-kept", exchange=exchange, queue_arguments={"x-max-length": 5})
    assert typed(kept, "quorum").queue_arguments == {"x-max-length": 5, "x-queue-type": "quorum"}
