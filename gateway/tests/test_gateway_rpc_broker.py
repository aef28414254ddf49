"""The gateway's RPC client against a real broker: transient, unconfirmed requests that still
fail fast (503) when no service consumes them, and nameko-shaped replies read back over
RabbitMQ's direct reply-to.

Runs on the test node (TEST_AMQP_PORT, default 5673) in a virtual host of its own.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid

import pytest
from kombu import Connection, Consumer, Exchange, Producer, Queue
from local_platform import Platform
from loconomics_gateway.rpc import RpcPool, ServiceUnavailable
from loconomics_plumbing.identity import Caller

pytestmark = pytest.mark.integration

RPC_EXCHANGE = Exchange("nameko-rpc", type="topic", durable=True)


@pytest.fixture
def broker(tmp_path) -> Platform:
    port = int(os.environ.get("TEST_AMQP_PORT", "5673"))
    platform = Platform.isolated(tmp_path, port, f"rpc-{uuid.uuid4().hex[:8]}")
    platform.start_broker()
    yield platform
    platform.drop_vhost()


def test_a_call_to_a_service_with_no_queue_fails_at_once(broker):
    pool = RpcPool(broker.amqp_uri, size=1, timeout=5)
    began = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        pool.call("nobody", "ping")
    assert time.monotonic() - began < 1.0
    # the client is still good for the next call
    with pytest.raises(ServiceUnavailable):
        pool.call("nobody", "ping")
    pool.close()


def test_a_request_goes_transient_with_the_caller_and_its_reply_comes_back(broker):
    seen: list = []
    ready = threading.Event()
    stop = threading.Event()

    def echo_service() -> None:
        with Connection(broker.amqp_uri) as connection:
            channel = connection.channel()
            queue = Queue("rpc-echo", RPC_EXCHANGE, routing_key="echo.*", auto_delete=True)
            # direct reply-to: the reply goes through the default exchange, no queue
            producer = Producer(channel, exchange=Exchange(""))

            def answer(body, message) -> None:
                seen.append((message.properties, message.headers))
                producer.publish(
                    {"result": body["kwargs"], "error": None},
                    routing_key=message.properties["reply_to"],
                    correlation_id=message.properties["correlation_id"],
                    serializer="json",
                )
                message.ack()

            with Consumer(channel, [queue], callbacks=[answer], accept=["json"]):
                ready.set()
                while not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        connection.drain_events(timeout=0.2)

    thread = threading.Thread(target=echo_service, daemon=True)
    thread.start()
    assert ready.wait(10)
    pool = RpcPool(broker.amqp_uri, size=1, timeout=5)
    try:
        caller = Caller("u1", frozenset({"client"}))
        assert pool.call("echo", "say", caller=caller, words="hi") == {"words": "hi"}
        assert pool.call("echo", "say", words="again") == {"words": "again"}
    finally:
        stop.set()
        thread.join(5)
        pool.close()
    properties, headers = seen[0]
    assert properties["delivery_mode"] == 1
    assert properties["reply_to"].startswith("amq.rabbitmq.reply-to.")
    assert headers["nameko.user_id"] == "u1"
    assert headers["nameko.roles"] == "client"


class SlowLink:
    """A TCP relay to the broker that holds everything the broker says for `delay` seconds."""

    def __init__(self, broker_port: int, delay: float):
        self.broker_port = broker_port
        self.delay = delay
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(("127.0.0.1", self.broker_port))
                self.sockets += [client, upstream]
                threading.Thread(target=self._pipe, args=(client, upstream, 0), daemon=True).start()
                threading.Thread(
                    target=self._pipe, args=(upstream, client, self.delay), daemon=True
                ).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket, delay: float) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                time.sleep(delay)
                target.sendall(chunk)

    def close(self) -> None:
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()


def test_a_broker_slow_to_answer_is_waited_for_not_called_down(broker):
    """Under load the broker may take longer than a read step to open a channel: a new
    client waits for it (up to the connect timeout) instead of calling the broker down."""
    link = SlowLink(broker.amqp_port, delay=0.3)
    uri = broker.amqp_uri.replace(f":{broker.amqp_port}/", f":{link.port}/")
    assert uri != broker.amqp_uri
    pool = RpcPool(uri, size=1, timeout=10, connect_timeout=3)
    try:
        with pytest.raises(ServiceUnavailable):  # the broker's answer, late: not "unreachable"
            pool.call("nobody", "ping")
    finally:
        pool.close()
        link.close()
