"""nameko's RPC entrypoint with replies sent the way request-reply needs: transient, unconfirmed.

nameko 2.14 publishes every RPC reply like an event: persistent, and waiting for the broker's
publisher confirm before the request is acknowledged. A reply is useful only to a caller that
is still waiting on its deadline, on a reply queue that lives no longer than that caller's
connection; if the broker loses it, the caller's deadline answers (the gateway turns it into
a 504/503) and a retry is the caller's choice, exactly as when the broker loses it a moment
after a confirm. So the confirm round trip and the disk write buy nothing here, and they were
most of an RPC's cost (see docs/performance.md).

What keeps its guarantees: the request is still acknowledged only after the reply left (a
service that dies mid-call has the request redelivered to another copy), and events still go
through the outbox with persistent, confirmed publishes (`dependencies.Database`).
"""

from __future__ import annotations

import inspect
import logging
import sys

import kombu.serialization
from kombu import Connection
from kombu.exceptions import OperationalError as KombuOperationalError
from kombu.pools import producers
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_RETRY_POLICY,
    DEFAULT_TRANSPORT_OPTIONS,
    LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT,
)
from nameko.exceptions import IncorrectSignature, UnserializableValueError, serialize
from nameko.rpc import Rpc, RpcConsumer, get_rpc_exchange

from .consumers import ResilientQueueConsumer

log = logging.getLogger(__name__)


class ReplyRpcConsumer(RpcConsumer):
    """nameko's RpcConsumer, answering with transient, unconfirmed replies.

    Replies leave through kombu's producer pool on a connection made once per process
    (nameko's own Publisher builds a Connection and looks its pool up on every reply,
    about 150 microseconds of CPU each); a broken pooled connection is revived and the
    publish retried under nameko's retry policy, as nameko does.
    """

    queue_consumer = ResilientQueueConsumer()

    def setup(self) -> None:
        super().setup()
        config = self.container.config
        self.reply_exchange = get_rpc_exchange(config)
        self.reply_connection = Connection(
            config[AMQP_URI_CONFIG_KEY],
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
            transport_options={**DEFAULT_TRANSPORT_OPTIONS, "confirm_publish": False},
        )

    def handle_result(self, message, result, exc_info):
        try:
            result, exc_info = self.send_reply(message, result, exc_info)
        except (OSError, KombuOperationalError, *self.reply_connection.connection_errors):
            # The broker went away mid-call: the reply is lost, as if the broker had dropped
            # it, and the caller's deadline answers. Raising here would end the worker thread
            # with an error, which kills the whole container: the service would not recover
            # when the broker comes back.
            log.warning("RPC reply lost: the broker is unreachable", exc_info=True)
        self.queue_consumer.ack_message(message)
        return result, exc_info

    def send_reply(self, message, result, exc_info):
        """nameko's `Responder.send_response`, published transient and without a confirm.

        The reply is encoded once, here, and published as those bytes (nameko encoded the
        result once to check it, and kombu encoded the whole reply again to publish it).
        """
        error = serialize(exc_info[1]) if exc_info is not None else None
        # answer in the request's encoding; a result that cannot be encoded becomes an error
        # instead of a reply that kills the container (nameko's own check)
        content_type = message.properties["content_type"]
        serializer = kombu.serialization.registry.type_to_name[content_type]
        try:
            encoded = kombu.serialization.dumps({"result": result, "error": error}, serializer)
        except Exception:
            exc_info = sys.exc_info()
            error = serialize(UnserializableValueError(result))
            result = None
            encoded = kombu.serialization.dumps({"result": result, "error": error}, serializer)
        content_type, content_encoding, body = encoded
        with producers[self.reply_connection].acquire(block=True) as producer:
            producer.publish(
                body,
                exchange=self.reply_exchange,
                routing_key=message.properties["reply_to"],
                correlation_id=message.properties.get("correlation_id"),
                content_type=content_type,
                content_encoding=content_encoding,
                delivery_mode=NON_PERSISTENT,
                retry=True,
                retry_policy=DEFAULT_RETRY_POLICY,
            )
        return result, exc_info


class ReplyRpc(Rpc):
    """The `@rpc` entrypoint our services use; consumes `rpc-<service>` like nameko's."""

    rpc_consumer = ReplyRpcConsumer()
    _signature: inspect.Signature | None = None
    _any_keywords = False

    def check_signature(self, args, kwargs):
        """nameko's check with the method's signature read once, not on every call.

        A method taking only `**fields` (most of ours) accepts any keywords, so a call
        without positional arguments needs no binding at all.
        """
        if self._signature is None:
            method = getattr(self.container.service_cls, self.method_name)
            signature = inspect.signature(method, follow_wrapped=False)
            kinds = [p.kind for p in list(signature.parameters.values())[1:]]
            self._any_keywords = kinds == [inspect.Parameter.VAR_KEYWORD]
            self._signature = signature
        if self._any_keywords and not args:
            return
        try:
            self._signature.bind(None, *args, **kwargs)
        except TypeError as error:
            raise IncorrectSignature(str(error)) from None
