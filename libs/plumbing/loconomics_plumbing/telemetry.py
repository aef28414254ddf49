"""Per-service Prometheus metrics and log context for every nameko worker."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from . import config
from .logs import set_call_id

log = logging.getLogger(__name__)

ENTRYPOINT_CALLS = Counter(
    "loconomics_entrypoint_calls_total",
    "Worker runs per entrypoint (RPC method, event handler, timer) and outcome.",
    ["service", "entrypoint", "kind", "outcome"],
)
ENTRYPOINT_SECONDS = Histogram(
    "loconomics_entrypoint_duration_seconds",
    "Worker run time per entrypoint.",
    ["service", "entrypoint", "kind"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

OUTBOX_PENDING = Gauge(
    "loconomics_outbox_pending_events",
    "Events committed but not yet published to the broker.",
    ["service"],
)

MODERATION_OPEN_REPORTS = Gauge(
    "loconomics_moderation_open_reports",
    "Members' reports waiting for a moderator's decision, per kind of thing reported.",
    ["service", "subject"],
)
MODERATION_OLDEST_WAIT = Gauge(
    "loconomics_moderation_oldest_open_report_age_seconds",
    "How long the oldest report still open has waited for a moderator (0 when none waits).",
    ["service", "subject"],
)


def show_moderation_queue(
    service: str, subject: str, waiting: int, oldest: datetime | None, now: datetime
) -> None:
    """Publish a moderators' queue as it stands: how many reports wait, and since when."""
    MODERATION_OPEN_REPORTS.labels(service, subject).set(waiting)
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    MODERATION_OLDEST_WAIT.labels(service, subject).set(max(age, 0.0))


def entrypoint_kind(entrypoint: object) -> str:
    name = type(entrypoint).__name__.lower()
    if "rpc" in name:
        return "rpc"
    if "event" in name:
        return "event"
    if "timer" in name:
        return "timer"
    return name


class Telemetry(DependencyProvider):
    """Counts and times every worker, and tags its log lines with the call id.

    The metric children of each entrypoint (and outcome) are looked up once and kept:
    `.labels()` on every call cost more than counting and timing itself.
    """

    def setup(self) -> None:
        self._started: dict[object, float] = {}
        self._calls: dict[tuple[object, str], object] = {}
        self._seconds: dict[object, object] = {}
        port = config.metrics_port(self.container.service_name)
        if port:
            start_http_server(port)
            log.info("metrics served on port %s", port)

    def worker_setup(self, worker_ctx) -> None:
        set_call_id("->".join(worker_ctx.call_id_stack))
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        started = self._started.pop(worker_ctx, None)
        entrypoint = worker_ctx.entrypoint
        outcome = "ok" if exc_info is None else type(exc_info[1]).__name__
        calls = self._calls.get((entrypoint, outcome))
        if calls is None:
            calls = ENTRYPOINT_CALLS.labels(*self._labels(entrypoint), outcome)
            self._calls[(entrypoint, outcome)] = calls
        calls.inc()
        if started is not None:
            seconds = self._seconds.get(entrypoint)
            if seconds is None:
                seconds = ENTRYPOINT_SECONDS.labels(*self._labels(entrypoint))
                self._seconds[entrypoint] = seconds
            seconds.observe(time.perf_counter() - started)

    def _labels(self, entrypoint) -> tuple[str, str, str]:
        return (self.container.service_name, entrypoint.method_name, entrypoint_kind(entrypoint))

    def worker_teardown(self, worker_ctx) -> None:
        set_call_id(None)

    def get_dependency(self, worker_ctx) -> None:
        return None
