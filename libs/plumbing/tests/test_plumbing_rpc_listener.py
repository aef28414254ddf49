"""RpcListener's bookkeeping around the broker, with the connection replaced (unit tests).

The real broker is in tests/integration/test_plumbing_rpc_listener.py; here a fake py-amqp
connection delivers at the moments the broker may, to pin what the listener does then.
"""

from __future__ import annotations

import json

import amqp
import pytest
from amqp import spec
from amqp_wire import methods_in
from loconomics_plumbing import rpc_transport
from loconomics_plumbing.rpc_transport import RpcListener


class FakeChannel:
    is_open = True

    def __init__(self, connection: FakeConnection, number: int):
        self.connection = connection
        self.channel_id = number
        self.published: list[tuple[str, str, bytes]] = []
        self.acked: list[int] = []
        self.rejected: list[int] = []

    def exchange_declare(self, *args, **kwargs) -> None:
        pass

    def queue_declare(self, *args, **kwargs) -> None:
        pass

    def queue_bind(self, *args, **kwargs) -> None:
        pass

    def basic_qos(self, *args) -> None:
        pass

    def basic_consume(self, queue: str, callback) -> str:
        # py-amqp dispatches whatever arrives while it waits for consume-ok: a backlog's
        # first deliveries can reach the callback before basic_consume returns
        for tag in (1, 2):
            callback(self.connection.request(tag))
        return "ctag-1"

    def basic_reject(self, delivery_tag: int, requeue: bool) -> None:
        self.rejected.append(delivery_tag)


class FakeConnection:
    """Stands for kombu's Connection, py-amqp's under it and its transport: what is written
    is read back as the broker would, into each channel's `published` and `acked`."""

    frame_max = 131072

    def __init__(self):
        self.channels: list[FakeChannel] = []
        self.connection = self
        self.transport = self
        self.bytes_sent = 0

    def write(self, data: bytes) -> None:
        by_number = {channel.channel_id: channel for channel in self.channels}
        for number, method, arguments, content in methods_in(data):
            channel = by_number[number]
            if method == spec.Basic.Publish:
                _, exchange, routing_key, _, _ = arguments
                channel.published.append((exchange, routing_key, content.body))
            elif method == spec.Basic.Ack:
                channel.acked.append(arguments[0])

    def connect(self) -> None:
        pass

    def channel(self) -> FakeChannel:
        channel = FakeChannel(self, len(self.channels) + 1)
        self.channels.append(channel)
        return channel

    def request(self, tag: int) -> amqp.Message:
        message = amqp.Message(
            json.dumps({"args": [], "kwargs": {"n": tag}}),
            content_type="application/json",
            correlation_id=f"c{tag}",
            reply_to="amq.rabbitmq.reply-to.caller",
        )
        message.delivery_info = {"routing_key": "probe.echo", "delivery_tag": tag}
        return message


class FakeContainer:
    """Runs each worker at once, as soon as it is spawned (the earliest it could run)."""

    service_name = "probe"
    max_workers = 10
    accept = ["json"]
    config = {"AMQP_URI": "amqp://guest:guest@127.0.0.1:1//"}

    def __init__(self):
        self.shared_extensions: dict = {}

    def spawn_worker(self, provider, args, kwargs, context_data, handle_result):
        handle_result(None, {"echo": kwargs}, None)


class EchoEntrypoint:
    method_name = "echo"

    def check_signature(self, args, kwargs) -> None:
        pass


@pytest.fixture
def listener(monkeypatch):
    connection = FakeConnection()
    monkeypatch.setattr(rpc_transport.amqp_io, "connection", lambda *a, **k: connection)
    container = FakeContainer()  # extensions hold their container weakly
    made = RpcListener().bind(container)
    made.setup()
    made._methods = {"probe.echo": EchoEntrypoint()}
    yield made, connection
    del container


def test_requests_delivered_while_connecting_are_answered_and_acknowledged(listener):
    made, connection = listener
    made._connect()
    consuming, replies = connection.channels
    # each reply left on the replies channel, over direct reply-to, and each request was
    # acknowledged on the channel it came from: none holds a prefetch place for good
    assert [(exchange, key) for exchange, key, _ in replies.published] == [
        ("", "amq.rabbitmq.reply-to.caller"),
        ("", "amq.rabbitmq.reply-to.caller"),
    ]
    assert [json.loads(body)["result"] for _, _, body in replies.published] == [
        {"echo": {"n": 1}},
        {"echo": {"n": 2}},
    ]
    assert consuming.acked == [1, 2]
    assert consuming.rejected == []


def test_a_request_from_a_connection_that_is_gone_is_answered_not_acknowledged(listener):
    made, connection = listener
    made._connect()
    consuming, replies = connection.channels
    old = FakeChannel(connection, 99)  # a channel of a connection since replaced
    connection.channels.append(old)  # (numbered so, its acks would show)
    made._answer(old, connection.request(7), None, {"late": True}, None)
    assert json.loads(replies.published[-1][2])["result"] == {"late": True}
    assert old.acked == [] and consuming.acked == [1, 2]


def test_a_request_arriving_while_stopping_goes_back_to_the_queue(listener):
    made, connection = listener
    made._connect()
    consuming, replies = connection.channels
    made._stop_consuming.set()
    made._on_request(consuming, connection.request(8))
    assert consuming.rejected == [8]
    assert len(replies.published) == 2  # nothing answered for it
