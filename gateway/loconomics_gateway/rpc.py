"""RPC to the services over nameko's wire protocol, one client per in-flight request.

A client owns one AMQP connection, takes its replies over direct reply-to and is never
shared: the pool hands it to one request at a time and drops it on any
transport error. Every call has a deadline; a broker that refuses or vanishes
makes calls fail at once (503) for a short while instead of each one waiting.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import amqp
from kombu import Exchange
from kombu.utils import json
from loconomics_plumbing import (
    amqp_frames,
    amqp_io,
    remote_errors,  # noqa: F401 - typed errors come back typed
)
from loconomics_plumbing.amqp_io import DIRECT_REPLY_TO
from loconomics_plumbing.identity import Caller
from nameko.exceptions import deserialize

log = logging.getLogger(__name__)

RPC_EXCHANGE = Exchange("nameko-rpc", type="topic", durable=True)
TRANSIENT = 1
WAIT_STEP = 0.1  # seconds: the longest a read waits before the call checks its deadline
SEND_LIMIT = 5.0  # seconds: the longest a send waits for a broker that takes nothing


def _timeval(seconds: float) -> bytes:
    """A `struct timeval` for SO_RCVTIMEO and SO_SNDTIMEO."""
    return struct.pack("ll", int(seconds), int(seconds % 1 * 1_000_000))


class BrokerUnavailable(Exception):
    """The message broker cannot be reached."""


class ServiceUnavailable(Exception):
    """No copy of the service is consuming its queue."""


class DeadlineExceeded(Exception):
    """The service did not answer within the deadline."""


class NotSent(BrokerUnavailable):
    """The request never left: safe to try again on a fresh connection."""


class RpcClient:
    """One connection, one channel; used by one request at a time.

    Replies come over RabbitMQ's direct reply-to (`amq.rabbitmq.reply-to`): no reply queue to
    declare, route or delete, and a reply for a caller that is gone is dropped by the broker.
    """

    def __init__(self, amqp_uri: str, connect_timeout: float):
        self.connection = amqp_io.connection(
            amqp_uri,
            connect_timeout=connect_timeout,
            heartbeat=0,
        )
        try:
            self.connection.ensure_connection(max_retries=1, timeout=connect_timeout)
            self._set_up(connect_timeout)
        except BaseException:
            self.close()
            raise
        self.replies: dict[str, dict] = {}
        self.returned: set[str] = set()
        self.broken = False
        self.stale = False

    def _set_up(self, connect_timeout: float) -> None:
        """The socket's waits, the channel, and the consumer of direct replies."""
        # A blocking socket whose waits the kernel bounds. A Python socket timeout instead
        # costs a poll() before every send and recv, and py-amqp switches it on and off
        # around every frame it reads.
        sock = self.connection.connection.transport.sock
        sock.settimeout(None)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(SEND_LIMIT))
        # Setting up waits for the broker's answers as long as connecting may: a broker slow
        # to answer under load is not a broker that is down.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(connect_timeout))
        self.channel = self.connection.channel()
        RPC_EXCHANGE(self.channel).declare()
        # py-amqp's own calls, not kombu's Producer and Consumer: a third less CPU per call
        self.channel.basic_consume(DIRECT_REPLY_TO, callback=self._on_reply, no_ack=True)
        self.channel.events["basic_return"].add(self._on_return)
        # From here a read with nothing to read ends after WAIT_STEP (py-amqp raises it as a
        # timeout, and the call checks its deadline); a send the broker does not take ends
        # after SEND_LIMIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(WAIT_STEP))

    def _on_reply(self, message: amqp.Message) -> None:
        self.replies[message.properties.get("correlation_id")] = json.loads(message.body)

    def _on_return(self, error, exchange, routing_key, message) -> None:
        """The broker handed a mandatory request back: no queue is bound for it."""
        self.returned.add(message.properties.get("correlation_id"))

    def call(
        self, service: str, method: str, kwargs: dict, context: dict, timeout: float
    ) -> object:
        correlation_id = uuid.uuid4().hex
        headers = {f"nameko.{key}": value for key, value in context.items() if value is not None}
        connection = self.connection.connection  # py-amqp's, under kombu's
        try:
            # transient, unconfirmed, mandatory: an unroutable request comes back (basic.return)
            request = amqp_frames.publish(
                self.channel.channel_id,
                connection.frame_max,
                RPC_EXCHANGE.name,
                f"{service}.{method}",
                json.dumps({"args": [], "kwargs": kwargs}).encode(),
                mandatory=True,
                content_type="application/json",
                content_encoding="utf-8",
                headers=headers,
                correlation_id=correlation_id,
                reply_to=DIRECT_REPLY_TO,
                delivery_mode=TRANSIENT,
            )
            amqp_frames.send(connection, request)
        except Exception as error:
            if "NO_ROUTE" in str(error):
                raise ServiceUnavailable(service) from None
            self.broken = True
            raise NotSent(str(error)) from error
        deadline = time.monotonic() + timeout
        while correlation_id not in self.replies:
            if correlation_id in self.returned:
                self.returned.discard(correlation_id)
                raise ServiceUnavailable(service)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stale = True
                raise DeadlineExceeded(f"{service}.{method}")
            try:
                self.connection.drain_events()
            except TimeoutError:
                continue
            except (OSError, *self.connection.connection_errors) as error:
                self.broken = True
                raise BrokerUnavailable(str(error)) from error
        reply = self.replies.pop(correlation_id)
        if reply.get("error"):
            raise deserialize(reply["error"])
        return reply.get("result")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.release()


class RpcPool:
    """Clients for concurrent requests of one gateway process, created after fork."""

    def __init__(
        self,
        amqp_uri: str,
        size: int,
        timeout: float,
        connect_timeout: float = 2.0,
        cool_off: float = 1.0,
        in_use_gauge: object | None = None,
    ):
        self.amqp_uri = amqp_uri
        self.size = size
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.cool_off = cool_off
        self._idle: queue.LifoQueue[RpcClient] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._in_use = 0
        self._broker_down_until = 0.0
        self._gauge = in_use_gauge

    @property
    def in_use(self) -> int:
        return self._in_use

    def _mark_down(self) -> None:
        self._broker_down_until = time.monotonic() + self.cool_off
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break

    @contextmanager
    def client(self, wait: float) -> Iterator[RpcClient]:
        if not self._slots.acquire(timeout=wait):
            raise DeadlineExceeded("no free RPC client")
        with self._lock:
            self._in_use += 1
        if self._gauge is not None:
            self._gauge.inc()
        client = None
        fresh = False
        try:
            if time.monotonic() < self._broker_down_until:
                raise BrokerUnavailable("broker recently unreachable")
            try:
                client = self._idle.get_nowait()
            except queue.Empty:
                client = self._connect()
                fresh = True
            yield client
        finally:
            with self._lock:
                self._in_use -= 1
            if self._gauge is not None:
                self._gauge.dec()
            if client is not None:
                self._give_back(client, fresh)
            self._slots.release()

    def _connect(self) -> RpcClient:
        try:
            return RpcClient(self.amqp_uri, self.connect_timeout)
        except Exception as error:
            log.warning("broker unreachable, calls fail for %.1f s: %r", self.cool_off, error)
            self._mark_down()
            raise BrokerUnavailable(str(error)) from error

    def _give_back(self, client: RpcClient, fresh: bool) -> None:
        """Keep a healthy client; drop a broken one, and stop trying the broker if it was new."""
        if client.broken or client.stale:
            client.close()
            if client.broken and fresh:
                self._mark_down()
        else:
            self._idle.put(client)

    def call(
        self,
        service: str,
        method: str,
        caller: Caller | None = None,
        timeout: float | None = None,
        request_id: str | None = None,
        **kwargs,
    ) -> object:
        deadline = timeout or self.timeout
        context = (caller or Caller()).as_context()
        if request_id:
            context["call_id_stack"] = [f"gateway.request.{request_id}"]
        for attempt in (1, 2):
            with self.client(wait=deadline) as client:
                try:
                    return client.call(service, method, kwargs, context, deadline)
                except NotSent:
                    if attempt == 2:
                        raise
        raise BrokerUnavailable("unreachable")

    def close(self) -> None:
        self._mark_down()
