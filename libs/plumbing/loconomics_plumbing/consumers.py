"""nameko's queue consumer, surviving acknowledgements sent as the broker goes away.

nameko 2.14 acknowledges a handled message only "if the message connection is alive", and
ignores py-amqp's ConnectionError raised on the way; but a broker that shuts down or restarts
resets the socket, and the acknowledgement then fails with the operating system's error
(ConnectionResetError, BrokenPipeError). That error ends the worker thread, and nameko kills
the whole container for it: the service stops consuming for good, though its consumer would
have reconnected once the broker was back.

The message itself needs nothing from us: the broker requeues what was delivered on a dead
connection and not acknowledged, and redelivers it (event handlers skip a repeat by its
`event_id`; a repeated RPC is answered by its caller's idempotency, as for a lost reply).
"""

from __future__ import annotations

import logging

from nameko.messaging import QueueConsumer

log = logging.getLogger(__name__)


class ResilientQueueConsumer(QueueConsumer):
    """One per container, shared by every RPC and event entrypoint that names it."""

    def ack_message(self, message):
        try:
            super().ack_message(message)
        except OSError:
            log.warning("could not acknowledge a message: the broker connection is gone")

    def requeue_message(self, message):
        try:
            super().requeue_message(message)
        except OSError:
            log.warning("could not requeue a message: the broker connection is gone")
