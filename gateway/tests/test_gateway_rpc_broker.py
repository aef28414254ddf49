"""The gateway's RPC client against a real broker: transient, unconfirmed requests that still
fail fast (503) when no service consumes them, nameko-shaped replies read back over
RabbitMQ's direct reply-to, and one connection shared by a process's calls in flight, each
given its own answer and none another's.

Runs on the test node (TEST_AMQP_PORT, default 5673) in a virtual host of its own.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from kombu import Connection, Consumer, Exchange, Producer, Queue
from local_platform import Platform
from loconomics_gateway.rpc import (
    BrokerUnavailable,
    DeadlineExceeded,
    RpcPool,
    ServiceUnavailable,
)
from loconomics_plumbing.identity import Caller
from polling import wait_for

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
    threads_before = threading.active_count()
    pool = RpcPool(broker.amqp_uri, size=1, timeout=5)
    try:
        caller = Caller("u1", frozenset({"client"}))
        assert pool.call("echo", "say", caller=caller, words="hi") == {"words": "hi"}
        assert pool.call("echo", "say", words="again") == {"words": "again"}
        # a call alone reads its own answer: the client starts no thread to read for it
        assert threading.active_count() == threads_before
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
        """Cut every connection at once (a thread blocked reading one is woken too)."""
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
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


class SlowEcho:
    """An `echo` service answering each request after the `delay` it asks for (seconds), so
    that answers come back in another order than the requests went out. It records every
    request's `reply_to`: one per channel the calls came from."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
        self.reply_tos: list[str] = []
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.sending = threading.Lock()
        self.timers: list[threading.Timer] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        assert self.ready.wait(10)

    def _serve(self) -> None:
        with Connection(self.amqp_uri) as consuming, Connection(self.amqp_uri) as replying:
            queue = Queue("rpc-echo", RPC_EXCHANGE, routing_key="echo.*", auto_delete=True)
            producer = Producer(replying.channel(), exchange=Exchange(""))

            def reply(body, properties) -> None:
                with self.sending:
                    producer.publish(
                        {"result": body["kwargs"], "error": None},
                        routing_key=properties["reply_to"],
                        correlation_id=properties["correlation_id"],
                        serializer="json",
                    )

            def answer(body, message) -> None:
                self.reply_tos.append(message.properties["reply_to"])
                timer = threading.Timer(
                    body["kwargs"].get("delay", 0), reply, (body, message.properties)
                )
                self.timers.append(timer)
                timer.start()

            with Consumer(consuming.channel(), [queue], callbacks=[answer], accept=["json"],
                          no_ack=True):
                self.ready.set()
                while not self.stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        consuming.drain_events(timeout=0.2)
            for timer in self.timers:
                timer.cancel()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)


@pytest.fixture
def slow_echo(broker):
    echo = SlowEcho(broker.amqp_uri)
    yield echo
    echo.close()


def test_concurrent_calls_share_one_connection_and_each_gets_its_own_answer(broker, slow_echo):
    pool = RpcPool(broker.amqp_uri, size=24, timeout=10)
    calls = 48
    try:
        with ThreadPoolExecutor(24) as threads:
            answers = list(threads.map(
                lambda n: pool.call("echo", "say", words=n, delay=(n * 7 % 11) / 200),
                range(calls),
            ))
    finally:
        pool.close()
    assert [answer["words"] for answer in answers] == list(range(calls))
    # the answers came back in another order than the requests went out, all on one channel
    assert len(slow_echo.reply_tos) == calls
    assert len(set(slow_echo.reply_tos)) == 1


def test_an_answer_come_too_late_is_dropped_and_never_reaches_another_call(broker, slow_echo):
    pool = RpcPool(broker.amqp_uri, size=4, timeout=10)
    try:
        with ThreadPoolExecutor(2) as threads:
            # the first call reads the connection; at its deadline it passes the reading on
            late = threads.submit(pool.call, "echo", "say", timeout=0.2, words="late", delay=0.5)
            time.sleep(0.05)
            # waits on the same connection while the late answer arrives on it
            patient = threads.submit(pool.call, "echo", "say", timeout=5, words="mine", delay=0.8)
            with pytest.raises(DeadlineExceeded):
                late.result()
            assert patient.result() == {"words": "mine", "delay": 0.8}
        # a call past its deadline retires the connection (the broker may be gone without a
        # word): the next call goes on a fresh one
        assert pool.call("echo", "say", words="next") == {"words": "next"}
    finally:
        pool.close()
    first, same, fresh = slow_echo.reply_tos
    assert first == same != fresh


def test_a_connection_lost_mid_call_ends_every_waiting_call_at_once(broker, slow_echo):
    link = SlowLink(broker.amqp_port, delay=0)
    uri = broker.amqp_uri.replace(f":{broker.amqp_port}/", f":{link.port}/")
    pool = RpcPool(uri, size=8, timeout=20, cool_off=5)
    try:
        with ThreadPoolExecutor(5) as threads:
            waiting = [
                threads.submit(pool.call, "echo", "say", words=n, delay=30) for n in range(5)
            ]
            wait_for(lambda: len(slow_echo.reply_tos) == 5, "five requests at the service", 10,
                     interval=0.02)
            began = time.monotonic()
            link.close()  # the broker, as this process sees it, is gone
            for call in waiting:
                with pytest.raises(BrokerUnavailable):
                    call.result()
            assert time.monotonic() - began < 2  # not at their 20 s deadline
        # no broker to connect to: the next call fails at once, and so do the ones after it
        for _ in range(2):
            began = time.monotonic()
            with pytest.raises(BrokerUnavailable):
                pool.call("echo", "say", words="after")
            assert time.monotonic() - began < 1
    finally:
        pool.close()
        link.close()


def test_a_link_retired_by_its_last_call_is_closed_at_once(broker, slow_echo):
    """The call past its deadline that retires a link closes it when no other call waits on
    it: its connection is not left open until the garbage collector finds it."""
    pool = RpcPool(broker.amqp_uri, size=2, timeout=10)
    try:
        with pytest.raises(DeadlineExceeded):
            pool.call("echo", "say", timeout=0.2, words="late", delay=0.5)
        retired = pool._link
        assert retired.retired
        assert retired.broken == "closed"
        assert pool.call("echo", "say", words="next") == {"words": "next"}
        assert pool._link is not retired
    finally:
        pool.close()
