"""nameko dependency providers: the database unit of work with its outbox relay, and the caller."""

from __future__ import annotations

import logging
import threading
import time

from nameko.amqp.publish import Publisher
from nameko.constants import PERSISTENT
from nameko.events import get_event_exchange
from nameko.extensions import DependencyProvider
from sqlalchemy import MetaData

from . import clock, config
from .identity import Caller
from .outbox import pending_count, prune_published, relay_pending
from .storage import UnitOfWork, add_plumbing_tables, make_engine, session_factory
from .telemetry import OUTBOX_PENDING

log = logging.getLogger(__name__)

RELAY_IDLE_SECONDS = 1.0
RELAY_MAX_BACKOFF_SECONDS = 10.0


class Database(DependencyProvider):
    """A SQLAlchemy session per worker, committed on success and rolled back on error.

    The injected object is a `UnitOfWork`; the entrypoint decorators commit it
    before the reply leaves, and `worker_result` is the backstop. The provider
    also runs the outbox relay of this service in a background green thread.
    """

    def __init__(self, metadata: MetaData, forget_once_published: frozenset[str] = frozenset()):
        """`forget_once_published`: event types whose outbox row is deleted as soon as the
        broker has it (they carry a secret), rather than kept a week."""
        self.metadata = metadata
        self.forget_once_published = frozenset(forget_once_published)
        add_plumbing_tables(metadata)

    def setup(self) -> None:
        service = self.container.service_name
        self.engine = make_engine(config.database_url(service))
        self.sessions = session_factory(self.engine)
        self.units: dict[object, UnitOfWork] = {}
        self._wake = threading.Event()
        self._running = False
        exchange = get_event_exchange(service, self.container.config)
        self.publisher = Publisher(
            self.container.config["AMQP_URI"],
            exchange=exchange,
            declare=[exchange],
            delivery_mode=PERSISTENT,
            use_confirms=True,
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0.2, "interval_step": 0.5},
        )

    def start(self) -> None:
        self._running = True
        self.container.spawn_managed_thread(self._relay_forever)

    def stop(self) -> None:
        self._running = False
        self._wake.set()

    def kill(self) -> None:
        self.stop()

    def publish(self, event_type: str, payload: dict) -> None:
        self.publisher.publish(payload, routing_key=event_type)

    def _relay_forever(self) -> None:
        backoff = 0.0
        last_prune = 0.0
        while self._running:
            try:
                while relay_pending(
                    self.engine,
                    self.metadata,
                    self.publish,
                    clock=clock.now,
                    forget=self.forget_once_published,
                ):
                    pass
                backlog = OUTBOX_PENDING.labels(self.container.service_name)
                backlog.set(pending_count(self.engine, self.metadata))
                if time.monotonic() - last_prune > 3600:
                    prune_published(self.engine, self.metadata, clock=clock.now)
                    last_prune = time.monotonic()
                backoff = 0.0
            except Exception:
                backoff = min(max(backoff * 2, 0.5), RELAY_MAX_BACKOFF_SECONDS)
                log.warning("outbox relay failed; retrying in %.1fs", backoff, exc_info=True)
            self._wake.wait(backoff or RELAY_IDLE_SECONDS)
            self._wake.clear()

    def get_dependency(self, worker_ctx) -> UnitOfWork:
        unit = UnitOfWork(
            None, self.metadata, on_commit=self._wake.set, clock=clock.now, sessions=self.sessions
        )
        self.units[worker_ctx] = unit
        return unit

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        unit = self.units.get(worker_ctx)
        if unit is None:
            return
        if exc_info is None:
            unit.commit()
        else:
            unit.rollback()

    def worker_teardown(self, worker_ctx) -> None:
        unit = self.units.pop(worker_ctx, None)
        if unit is not None:
            unit.close()


class CallerIdentity(DependencyProvider):
    """The caller the gateway authenticated, from nameko context data."""

    def get_dependency(self, worker_ctx) -> Caller:
        return Caller.from_context_cached(worker_ctx.context_data)
