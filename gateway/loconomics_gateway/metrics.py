"""Gateway metrics: per route template and status, and RPC pool use, across gunicorn workers.

Under gunicorn, `PROMETHEUS_MULTIPROC_DIR` is set before start, so every worker
writes its samples to files that /metrics adds up.
"""

from __future__ import annotations

import os
import time

import falcon
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "loconomics_gateway_requests_total",
    "HTTP requests by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "loconomics_gateway_request_duration_seconds",
    "HTTP request latency by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
POOL_IN_USE = Gauge(
    "loconomics_gateway_rpc_clients_in_use",
    "RPC calls in flight (slots of the RPC pool in use).",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "loconomics_gateway_rpc_pool_size",
    "RPC calls each worker may have in flight at once.",
    multiprocess_mode="livesum",
)


class RouteMetrics:
    """Falcon middleware counting and timing each request by its route template."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()

    def process_response(self, req, resp, resource, req_succeeded: bool) -> None:
        route = req.uri_template or "unmatched"
        status = resp.status if isinstance(resp.status, int) else int(str(resp.status)[:3])
        REQUESTS.labels(route, req.method, str(status)).inc()
        started = req.context.get("started")
        if started is not None:
            LATENCY.labels(route, req.method).observe(time.perf_counter() - started)


def exposition() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
