"""RPC to the services over nameko's wire protocol, on one AMQP connection per gateway process.

A process's in-flight calls share one connection (a `Link`): each request goes out in one
write under a lock, with a correlation id of its own. One of the waiting calls at a time reads
the connection and hands every reply (over RabbitMQ's direct reply-to) to the call waiting for
that id; when its own comes, it passes the reading on to a call still waiting. No call ever
reads another's reply, no reply reaches a call that has stopped waiting, and a call alone
reads its own reply with no thread in between. Sharing the connection lets the broker take
several messages per wake-up: under the gateway read RabbitMQ spends about a fifth less CPU
per request than with one connection per call in flight (docs/performance.md, tenth pass).

Every call has a deadline and a slot of the pool (at most `size` in flight per process); a
broker that refuses or vanishes makes calls fail at once (503) for a short while instead of
each one waiting.
"""

from __future__ import annotations

import contextlib
import logging
import os
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
READ_STEP = 0.1  # seconds: the longest a reading call waits before it checks its deadline
SEND_LIMIT = 5.0  # seconds: the longest a send waits for a broker that takes nothing

# What a waiting call is handed: its answer, or the reading of the connection (READ)
REPLY, RETURNED, BROKEN, READ = "reply", "returned", "broken", "read"


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


class Link:
    """One AMQP connection and channel, shared by the in-flight calls of one process.

    It has no thread of its own: the waiting calls take turns at reading it (`_reader`), so
    nothing reads it while no call waits, and what came meanwhile is read by the next call.
    It is made in the process that uses it (after gunicorn forks). Once broken, a link takes
    no more calls and every call still waiting on it ends with `BrokerUnavailable`; once
    retired (a call outlived its deadline, and the broker may be gone without a word), it
    takes no more calls and closes when the last call waiting on it ends.
    """

    def __init__(self, amqp_uri: str, connect_timeout: float):
        self.pid = os.getpid()
        self.connection = amqp_io.connection(
            amqp_uri,
            connect_timeout=connect_timeout,
            heartbeat=0,
        )
        self.broken: str | None = None  # why, once it is
        self.retired = False
        self._waiting: dict[str, queue.SimpleQueue] = {}
        self._lock = threading.Lock()  # the waiting calls, who reads, the link's state
        self._reader: str | None = None  # the call reading the connection, or asked to
        self._send_lock = threading.Lock()  # one request's frames at a time on the socket
        self._socket: socket.socket | None = None
        try:
            # py-amqp's connection, under kombu's: kombu's would connect again on its own
            # once this link has let it go
            self.connection.ensure_connection(max_retries=0, timeout=connect_timeout)
            self._amqp = self.connection.connection
            self._set_up(connect_timeout)
        except BaseException:
            self._close_connection()
            raise

    def _set_up(self, connect_timeout: float) -> None:
        """The socket's waits, the channel, and the consumer of direct replies."""
        # A blocking socket whose waits the kernel bounds. A Python socket timeout instead
        # costs a poll() before every send and recv, and py-amqp switches it on and off
        # around every frame it reads.
        sock = self._socket = self._amqp.transport.sock
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
        # From here a read with nothing to read ends after READ_STEP (py-amqp raises it as a
        # timeout, and the reading call checks its deadline); a send the broker does not take
        # ends after SEND_LIMIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(READ_STEP))

    @property
    def usable(self) -> bool:
        return self.broken is None and not self.retired and self.pid == os.getpid()

    def _hand(self, correlation_id: str | None, kind: str, value: object) -> None:
        with self._lock:
            slot = self._waiting.pop(correlation_id, None)
        if slot is not None:  # else the call has stopped waiting: the answer is dropped
            slot.put((kind, value))

    def _on_reply(self, message: amqp.Message) -> None:
        self._hand(message.properties.get("correlation_id"), REPLY, message.body)

    def _on_return(self, error, exchange, routing_key, message) -> None:
        """The broker handed a mandatory request back: no queue is bound for it."""
        self._hand(message.properties.get("correlation_id"), RETURNED, None)

    def _read_until_answered(self, slot: queue.SimpleQueue, deadline: float):
        """Read the connection, handing out what comes, until this call's answer is there."""
        while True:
            try:
                kind, value = slot.get_nowait()
            except queue.Empty:
                pass
            else:
                if kind != READ:
                    return kind, value
                continue  # the reading was passed to this call, which has it already
            if time.monotonic() >= deadline:
                return None
            try:
                self._amqp.drain_events()
            except TimeoutError:
                continue
            except Exception as error:  # the slot of every waiting call gets BROKEN
                self._break(repr(error))

    def _wait(self, correlation_id: str, slot: queue.SimpleQueue, deadline: float):
        """This call's (kind, value), or None at its deadline."""
        while True:
            with self._lock:
                if self._reader is None:
                    self._reader = correlation_id
            if self._reader == correlation_id:
                return self._read_until_answered(slot, deadline)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                kind, value = slot.get(timeout=remaining)
            except queue.Empty:
                return None
            if kind != READ:
                return kind, value
            # the reading was passed to this call: it reads from here

    def _leave(self, correlation_id: str, retire: bool) -> bool:
        """This call waits no more (and retires the link if `retire`); if it held the reading,
        a call still waiting takes it. Whether the link is retired with no call left on it:
        nothing can use it any more, so it is to be closed."""
        with self._lock:
            self.retired = self.retired or retire
            self._waiting.pop(correlation_id, None)
            if self._reader == correlation_id:
                self._reader = None
                for other, slot in self._waiting.items():
                    self._reader = other
                    slot.put((READ, None))
                    break
            return self.retired and not self._waiting

    def _break(self, why: str) -> None:
        """No more calls on this link; every call waiting on it ends now (and a call reading
        it stops, as its socket is shut)."""
        with self._lock:
            if self.broken is not None:
                return
            self.broken = why
            waiting, self._waiting = self._waiting, {}
        for slot in waiting.values():
            slot.put((BROKEN, why))
        self._close_connection()

    def _close_connection(self) -> None:
        if self.pid != os.getpid():
            return  # the socket is the process's that made it (a pool made before a fork)
        if self._socket is not None:
            with contextlib.suppress(OSError):
                # wakes a reading call at once, instead of at its next READ_STEP
                self._socket.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(Exception):  # never connects: a lost broker is not waited for
            self.connection.release()

    def call(
        self, service: str, method: str, kwargs: dict, context: dict, timeout: float
    ) -> object:
        correlation_id = uuid.uuid4().hex
        slot: queue.SimpleQueue = queue.SimpleQueue()
        with self._lock:
            if self.broken is not None:
                raise NotSent(self.broken)
            if self.retired:  # taken just before it was retired: a fresh link takes the call
                raise NotSent("retired")
            self._waiting[correlation_id] = slot
        # The service is slow, or the broker went without a word (no heartbeats): a call past
        # its deadline retires the link, so new calls go on a fresh connection, which fails
        # fast if the broker is gone.
        timed_out = False
        try:
            self._send(service, method, kwargs, context, correlation_id)
            outcome = self._wait(correlation_id, slot, time.monotonic() + timeout)
            timed_out = outcome is None
        finally:
            if self._leave(correlation_id, retire=timed_out):
                self.close()
        if timed_out:
            raise DeadlineExceeded(f"{service}.{method}")
        kind, value = outcome
        if kind == RETURNED:
            raise ServiceUnavailable(service)
        if kind == BROKEN:
            raise BrokerUnavailable(value)
        reply = json.loads(value)
        if reply.get("error"):
            raise deserialize(reply["error"])
        return reply.get("result")

    def _send(self, service, method, kwargs, context, correlation_id) -> None:
        headers = {f"nameko.{key}": value for key, value in context.items() if value is not None}
        connection = self._amqp
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
        if not self._send_lock.acquire(timeout=SEND_LIMIT):
            self._break("the broker takes nothing")
            raise NotSent("the broker takes nothing")
        try:
            amqp_frames.send(connection, request)
        except Exception as error:
            # part of the frames may have gone: the connection's stream is spoilt
            self._break(repr(error))
            raise NotSent(str(error)) from error
        finally:
            self._send_lock.release()

    def close(self) -> None:
        self._break("closed")


class RpcPool:
    """The calls of one gateway process: at most `size` in flight, on one shared `Link`."""

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
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._link_lock = threading.Lock()
        self._link: Link | None = None
        self._in_use = 0
        self._broker_down_until = 0.0
        self._gauge = in_use_gauge

    @property
    def in_use(self) -> int:
        return self._in_use

    @contextmanager
    def _slot(self, wait: float) -> Iterator[None]:
        if not self._slots.acquire(timeout=wait):
            raise DeadlineExceeded("no free RPC slot")
        with self._lock:
            self._in_use += 1
        if self._gauge is not None:
            self._gauge.inc()
        try:
            yield
        finally:
            with self._lock:
                self._in_use -= 1
            if self._gauge is not None:
                self._gauge.dec()
            self._slots.release()

    def _current_link(self) -> Link:
        link = self._link
        if link is not None and link.usable:
            return link
        with self._link_lock:  # one connect at a time; the others wait for it
            link = self._link
            if link is not None and link.usable:
                return link
            if time.monotonic() < self._broker_down_until:
                raise BrokerUnavailable("broker recently unreachable")
            try:
                self._link = Link(self.amqp_uri, self.connect_timeout)
            except Exception as error:
                log.warning("broker unreachable, calls fail for %.1f s: %r", self.cool_off, error)
                self._broker_down_until = time.monotonic() + self.cool_off
                raise BrokerUnavailable(str(error)) from error
            return self._link

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
        with self._slot(wait=deadline):
            for attempt in (1, 2):
                link = self._current_link()
                try:
                    return link.call(service, method, kwargs, context, deadline)
                except NotSent:
                    if attempt == 2:
                        raise
        raise BrokerUnavailable("unreachable")

    def close(self) -> None:
        self._broker_down_until = time.monotonic() + self.cool_off
        with self._link_lock:
            if self._link is not None:
                self._link.close()
                self._link = None
