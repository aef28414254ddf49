"""The type of the queues our event handlers consume: classic by default, quorum on a cluster.

A classic queue lives on one broker node: while that node restarts, its events wait (or, if the
node's disk is lost, are gone). A quorum queue is replicated across the cluster (Raft), so a
RabbitMQ cluster keeps delivering events through a node's restart. Quorum queues are opt-in with
`LOCONOMICS_EVENT_QUEUE_TYPE=quorum` (set in the Kubernetes configuration), because a queue's
type is fixed when it is first declared: an existing classic queue must be drained and deleted
before a service may declare it again as quorum (see deploy/README.md).

Only reliable, shared handler queues can be quorum queues: RabbitMQ requires them durable, never
exclusive nor auto-delete. Other queues (nameko's RPC and reply queues) are left as they are.
"""

from __future__ import annotations

import os

from kombu import Queue
from nameko.events import EventHandler

from .consumers import ResilientQueueConsumer

EVENT_QUEUE_TYPE_SETTING = "LOCONOMICS_EVENT_QUEUE_TYPE"
QUEUE_TYPES = ("classic", "quorum")


def event_queue_type() -> str:
    """The configured type; a typo stops the service at start rather than silently differing."""
    value = os.environ.get(EVENT_QUEUE_TYPE_SETTING, "classic").strip().lower() or "classic"
    if value not in QUEUE_TYPES:
        raise ValueError(
            f"{EVENT_QUEUE_TYPE_SETTING} must be one of {', '.join(QUEUE_TYPES)}, not {value!r}"
        )
    return value


def can_be_quorum(queue: Queue) -> bool:
    return bool(queue.durable) and not queue.auto_delete and not queue.exclusive


def typed(queue: Queue, queue_type: str) -> Queue:
    """`queue` declared as `queue_type`: a copy with `x-queue-type` among its arguments."""
    if queue_type == "classic":
        return queue
    if not can_be_quorum(queue):
        raise ValueError(f"queue {queue.name} cannot be a {queue_type} queue: it is not durable "
                         "or it is exclusive or auto-delete")
    arguments = {**(queue.queue_arguments or {}), "x-queue-type": queue_type}
    return Queue(
        queue.name,
        exchange=queue.exchange,
        routing_key=queue.routing_key,
        durable=True,
        auto_delete=False,
        exclusive=False,
        queue_arguments=arguments,
        consumer_arguments=queue.consumer_arguments,
        no_ack=queue.no_ack,
    )


class TypedQueueEventHandler(EventHandler):
    """nameko's event handler, whose queue takes the configured type when it can have it."""

    queue_consumer = ResilientQueueConsumer()

    def setup(self):
        super().setup()
        queue_type = event_queue_type()
        if can_be_quorum(self.queue):
            self.queue = typed(self.queue, queue_type)


event_handler = TypedQueueEventHandler.decorator
