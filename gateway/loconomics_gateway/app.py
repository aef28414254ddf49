"""The Falcon app factory: routes, problem+json errors, metrics, docs."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import falcon

from . import problems
from .docs import DocsAsset, DocsPage, OpenApiDocument
from .metrics import POOL_IN_USE, POOL_SIZE, RouteMetrics
from .openapi import build_spec
from .operations import Operation, mount
from .routes import accounts, billing, booking, governance, listings, notifications, platform
from .rpc import RpcPool
from .settings import Settings

ROUTE_MODULES = (platform, accounts, listings, booking, billing, governance, notifications)


def all_operations() -> list[Operation]:
    return [op for module in ROUTE_MODULES for op in module.OPERATIONS]


class RequestId:
    """Tags each request with an id that travels to the services' logs as the call id."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        given = req.get_header("X-Request-Id") or ""
        req.context.request_id = given if given.isalnum() and len(given) <= 64 else uuid.uuid4().hex
        resp.set_header("X-Request-Id", req.context.request_id)


def make_pool(settings: Settings) -> RpcPool:
    POOL_SIZE.set(settings.rpc_pool_size)
    return RpcPool(
        settings.amqp_uri,
        size=settings.rpc_pool_size,
        timeout=settings.rpc_timeout_seconds,
        connect_timeout=settings.broker_connect_timeout_seconds,
        in_use_gauge=POOL_IN_USE,
    )


def create_app(
    settings: Settings | None = None, pool_of: Callable[[], RpcPool] | None = None
) -> falcon.App:
    """Build the app; the RPC pool is made lazily, in the worker, after gunicorn forks."""
    settings = settings or Settings.from_env()
    if pool_of is None:
        holder: list[RpcPool] = []

        def pool_of() -> RpcPool:
            if not holder:
                holder.append(make_pool(settings))
            return holder[0]

    app = falcon.App(middleware=[RequestId(), RouteMetrics()])
    app.req_options.strip_url_path_trailing_slash = True
    problems.install(app, settings.broker_retry_after_seconds)
    operations = all_operations()
    mount(app, operations, pool_of, settings.max_body_bytes)
    app.add_route("/openapi.json", OpenApiDocument(build_spec(operations, settings.public_url)))
    app.add_route("/docs", DocsPage())
    app.add_route("/docs/assets/{name}", DocsAsset())
    return app
