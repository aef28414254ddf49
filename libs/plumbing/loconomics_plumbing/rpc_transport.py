"""The `@rpc` entrypoint's transport: nameko's wire protocol, without nameko's consumer stack.

nameko 2.14 answers an RPC through four layers: kombu's ConsumerMixin drains the socket and
wraps each delivery in a kombu Message, nameko's QueueConsumer spawns a greenthread per
message, that thread finds the entrypoint and spawns the worker's greenthread, and a
Responder builds a Publisher, a kombu Connection and a producer to send the reply, persistent
and confirmed. Measured per call that was most of a service's CPU (docs/performance.md).

`RpcListener` keeps everything a service and its callers rely on and drops the layers:

- the same queue (`rpc-<service>`, durable, bound to the `nameko-rpc` topic exchange by
  `<service>.*`), request format, context headers and reply format, so nameko's own clients
  (`RpcProxy` between services, `ClusterRpcProxy` in tests) and the gateway call it unchanged;
- at most `max_workers` requests unacknowledged (prefetch); a request is acknowledged only
  after its reply left, so one a service dies with is redelivered to another copy;
- each request runs as an ordinary nameko worker (`container.spawn_worker`): dependency
  injection, worker setup/result/teardown, expected exceptions, typed errors;
- a reconnecting consumer: a broker that goes away is retried with back-off, the service keeps
  its workers and resumes when the broker is back, and a reply or ack that cannot be sent is
  logged, never fatal (the caller's deadline answers, as for a reply the broker lost).

What it does without: a greenthread per message before the worker's own, kombu's message
and consumer objects, and a publisher per reply. Replies are transient and unconfirmed: a
reply is useful only to a caller still waiting on its deadline, on a reply queue that dies
with that caller's connection, so a disk write and a confirm buy nothing. A caller that asks
for RabbitMQ's direct reply-to (`amq.rabbitmq.reply-to`, as the gateway does) gets its reply
through the default exchange, with no reply queue at all.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import socket
import sys
import threading
import time
from functools import partial

import amqp
import kombu.serialization
from kombu.exceptions import OperationalError as KombuOperationalError
from kombu.utils import json
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_HEARTBEAT,
    HEADER_PREFIX,
    HEARTBEAT_CONFIG_KEY,
    LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT,
    RPC_EXCHANGE_CONFIG_KEY,
)
from nameko.exceptions import (
    ContainerBeingKilled,
    IncorrectSignature,
    MalformedRequest,
    MethodNotFound,
    UnserializableValueError,
    serialize,
)
from nameko.extensions import ProviderCollector, SharedExtension
from nameko.rpc import RPC_QUEUE_TEMPLATE, Rpc

from . import amqp_frames, amqp_io
from .amqp_io import DIRECT_REPLY_TO

log = logging.getLogger(__name__)

JSON = "application/json"
HEADER = f"{HEADER_PREFIX}."
RECONNECT_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)
# what a broker that goes away, refuses or resets raises; anything else is a bug, and ends
# the service like any failure of a nameko extension
BROKER_FAILURES = (OSError, amqp.exceptions.AMQPError, KombuOperationalError)
# how often the consume loop wakes without traffic: heartbeats and a requested stop
IDLE_WAKE = 1.0


class RpcListener(SharedExtension, ProviderCollector):
    """Consumes one service's RPC queue on a connection of its own; one per container."""

    def __init__(self) -> None:
        super().__init__()
        self._methods: dict[str, ReplyRpc] = {}
        self._connection = None  # kombu's Connection, once connected
        self._channel: amqp.Channel | None = None
        self._replies: amqp.Channel | None = None
        # every write once consuming (workers' replies and acks, heartbeats, requeues, the
        # cancel) holds it, so a reply and its ack can leave in one gathered write
        self._writing = threading.RLock()
        self._consumer_tag = ""
        self._consuming = threading.Event()
        self._stop_consuming = threading.Event()
        self._stopped_consuming = threading.Event()
        self._thread = None

    def setup(self) -> None:
        config = self.container.config
        service = self.container.service_name
        self.queue = RPC_QUEUE_TEMPLATE.format(service)
        self.binding = f"{service}.*"
        self.exchange = config.get(RPC_EXCHANGE_CONFIG_KEY, "nameko-rpc")
        self.heartbeat = config.get(HEARTBEAT_CONFIG_KEY, DEFAULT_HEARTBEAT)
        self.connection_name = f"{service} rpc {socket.gethostname()}:{os.getpid()}"

    # lifecycle

    def start(self) -> None:
        if self._thread is not None:
            return
        service = self.container.service_name
        self._methods = {f"{service}.{p.method_name}": p for p in self._providers}
        self._thread = self.container.spawn_managed_thread(
            self._consume_until_stopped, identifier="rpc-listener"
        )
        # like nameko's consumer: the service is started once it consumes its queue
        self._consuming.wait()

    def unregister_provider(self, provider) -> None:
        """The first entrypoint to stop stops consumption; in-flight workers still answer."""
        self._stop_consuming.set()
        if self._consuming.is_set():
            self._stopped_consuming.wait()
        super().unregister_provider(provider)

    def stop(self) -> None:
        """After the container's workers finished: the consume loop is over; close."""
        self._stop_consuming.set()
        if self._thread is not None:
            self._thread.wait()
        self._close()

    def kill(self) -> None:
        """End the consume loop where it is and drop the socket without a handshake."""
        self._stop_consuming.set()
        if self._thread is not None:
            self._thread.kill()
        self._drop()

    # consuming

    def _consume_until_stopped(self) -> None:
        failures = 0
        while not self._stop_consuming.is_set():
            try:
                self._connect()
                failures = 0
                self._consume()
            except BROKER_FAILURES as error:
                if self._stop_consuming.is_set():
                    break
                delay = RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)]
                failures += 1
                log.warning(
                    "RPC consumer of %s lost the broker (%s); reconnecting in %s s",
                    self.queue,
                    error or type(error).__name__,
                    delay,
                )
                self._drop()
                time.sleep(delay)
        self._stopped_consuming.set()
        # a stop requested before the first connection must not leave start() waiting
        self._consuming.set()

    def _connect(self) -> None:
        config = self.container.config
        connection = amqp_io.connection(
            config[AMQP_URI_CONFIG_KEY],
            heartbeat=self.heartbeat,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
            # named in the broker's management UI, as operators look for it
            transport_options={"client_properties": {"connection_name": self.connection_name}},
        )
        connection.connect()
        channel = connection.channel()
        channel.exchange_declare(self.exchange, "topic", durable=True, auto_delete=False)
        channel.queue_declare(self.queue, durable=True, auto_delete=False)
        channel.queue_bind(self.queue, self.exchange, self.binding)
        channel.basic_qos(0, self.container.max_workers, False)
        # replies leave on a channel of their own: the broker handles each channel in a
        # process of its own, so deliveries and acks on one and replies on the other run
        # side by side
        replies = connection.channel()
        # Everything a worker answers through is in place before the first delivery: py-amqp
        # dispatches deliveries while it waits for any reply from the broker (consume-ok
        # included), and a worker that found no channel would leave its request unacked,
        # holding one of the prefetch places for as long as the connection lives.
        self._connection, self._channel, self._replies = connection, channel, replies
        self._consumer_tag = channel.basic_consume(
            self.queue, callback=partial(self._on_request, channel)
        )

    def _consume(self) -> None:
        connection = self._connection.connection  # py-amqp's, under kombu's
        self._consuming.set()
        log.debug("consuming %s", self.queue)
        next_tick = 0.0
        while not self._stop_consuming.is_set():
            with contextlib.suppress(TimeoutError):
                connection.drain_events(timeout=IDLE_WAKE)
            now = time.monotonic()
            if now >= next_tick:
                with self._writing:
                    connection.heartbeat_tick()
                next_tick = now + IDLE_WAKE
        # stop taking requests; what was delivered meanwhile goes back to the queue
        with self._writing:
            self._channel.basic_cancel(self._consumer_tag)

    def _let_go(self):
        """The current connection, forgotten along with its channels (None if there is none)."""
        connection = self._connection
        self._connection = self._channel = self._replies = None
        return connection

    def _close(self) -> None:
        """Close the connection with the broker's handshake (a graceful stop)."""
        connection = self._let_go()
        if connection is not None:
            try:
                connection.release()
            except Exception:  # already broken: nothing left to close
                log.debug("closing a broken RPC connection", exc_info=True)

    def _drop(self) -> None:
        """Let go of a connection that failed: no handshake, which could wait forever."""
        connection = self._let_go()
        if connection is not None:
            try:
                connection.collect()
            except Exception:  # half made or already gone: nothing left to let go of
                log.debug("dropping a failed RPC connection", exc_info=True)

    # one request

    def _on_request(self, channel: amqp.Channel, message: amqp.Message) -> None:
        if self._stop_consuming.is_set():
            self._give_back(channel, message)
            return
        try:
            provider = self._methods.get(message.delivery_info["routing_key"])
            if provider is None:
                raise MethodNotFound(message.delivery_info["routing_key"].split(".")[-1])
            body = self._decode(message)
            try:
                args, kwargs = body["args"], body["kwargs"]
            except (KeyError, TypeError):
                raise MalformedRequest("Message missing `args` or `kwargs`") from None
            provider.check_signature(args, kwargs)
            headers = message.properties.get("application_headers") or {}
            context = {
                (key[len(HEADER) :] if key.startswith(HEADER) else key): value
                for key, value in headers.items()
            }
            self.container.spawn_worker(
                provider,
                args,
                kwargs,
                context_data=context,
                handle_result=partial(self._answer, channel, message),
            )
        except ContainerBeingKilled:
            self._give_back(channel, message)
        except Exception:
            self._answer(channel, message, None, None, sys.exc_info())

    def _decode(self, message: amqp.Message) -> object:
        properties = message.properties
        content_type = properties.get("content_type")
        try:
            if content_type == JSON:
                return json.loads(message.body)
            return kombu.serialization.loads(
                message.body,
                content_type,
                properties.get("content_encoding", "binary"),
                accept=self.container.accept,
            )
        except Exception as error:
            raise MalformedRequest(f"The request cannot be decoded: {error}") from None

    def _answer(self, channel, message, worker_ctx, result, exc_info):
        """Reply, then acknowledge; returns what the worker's dependencies should see."""
        body, result, exc_info = self._encode_reply(result, exc_info)
        properties = message.properties
        reply_to = properties.get("reply_to")
        try:
            with self._writing:
                replies = self._replies
                if replies is None or not replies.is_open:
                    raise ConnectionError("not connected")
                connection = replies.connection
                frames = b""
                if reply_to:
                    direct = reply_to.startswith(DIRECT_REPLY_TO)
                    frames = amqp_frames.publish(
                        replies.channel_id,
                        connection.frame_max,
                        "" if direct else self.exchange,
                        reply_to,
                        body.encode(),
                        content_type=JSON,
                        content_encoding="utf-8",
                        correlation_id=properties.get("correlation_id"),
                        delivery_mode=NON_PERSISTENT,
                    )
                if channel is self._channel:
                    frames += amqp_frames.ack(channel.channel_id, message.delivery_tag)
                # else: delivered on a connection that is gone; the broker requeued it
                # the reply, then the ack: one write, one TCP segment for the broker
                if frames:
                    amqp_frames.send(connection, frames)
        except Exception:
            # The broker went away mid-call: the reply is lost, as if the broker had dropped
            # it, and the caller's deadline answers. The consume loop reconnects.
            log.warning("RPC reply lost: the broker is unreachable", exc_info=True)
        return result, exc_info

    @staticmethod
    def _encode_reply(result, exc_info):
        """nameko's reply body; a result that cannot be encoded becomes an error reply."""
        error = serialize(exc_info[1]) if exc_info is not None else None
        try:
            return json.dumps({"result": result, "error": error}), result, exc_info
        except Exception:
            exc_info = sys.exc_info()
            error = serialize(UnserializableValueError(result))
            return json.dumps({"result": None, "error": error}), None, exc_info

    def _give_back(self, channel, message) -> None:
        try:
            with self._writing:
                if channel is self._channel:
                    channel.basic_reject(message.delivery_tag, requeue=True)
        except Exception:
            log.warning("could not requeue an RPC request: the broker is unreachable")


class ReplyRpc(Rpc):
    """The `@rpc` entrypoint our services use; consumes `rpc-<service>` like nameko's."""

    rpc_consumer = RpcListener()
    _signature: inspect.Signature | None = None
    _any_keywords = False

    def check_signature(self, args, kwargs):
        """nameko's check with the method's signature read once, not on every call.

        The signature is the service method's own, under the `@rpc` wrapper (nameko's check
        saw the wrapper's `*args, **kwargs` and let every call through to fail inside the
        worker). A method taking only `**fields` (most of ours) accepts any keywords, so a
        call without positional arguments needs no binding at all.
        """
        if self._signature is None:
            method = getattr(self.container.service_cls, self.method_name)
            signature = inspect.signature(method, follow_wrapped=True)
            kinds = [p.kind for p in list(signature.parameters.values())[1:]]
            self._any_keywords = kinds == [inspect.Parameter.VAR_KEYWORD]
            self._signature = signature
        if self._any_keywords and not args:
            return
        try:
            self._signature.bind(None, *args, **kwargs)
        except TypeError as error:
            raise IncorrectSignature(str(error)) from None
