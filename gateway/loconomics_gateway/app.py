"""The Falcon app factory: routes, problem+json errors, protections, metrics, docs."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import falcon

from . import problems
from .authentication import Authenticator
from .docs import DocsAsset, DocsPage, OpenApiDocument
from .idempotency import IdempotencyStore
from .metrics import POOL_IN_USE, POOL_SIZE, RouteMetrics
from .openapi import build_spec
from .operations import Gate, Operation, mount
from .rate_limits import RateLimits
from .routes import (
    accounts,
    billing,
    booking,
    governance,
    listings,
    member_data,
    notifications,
    platform,
    suspensions,
)
from .rpc import RpcPool
from .security_headers import SecurityHeaders
from .settings import Settings

ROUTE_MODULES = (
    platform,
    accounts,
    member_data,
    listings,
    suspensions,
    booking,
    billing,
    governance,
    notifications,
)


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

    middleware: list = [RequestId(), SecurityHeaders(), RouteMetrics()]
    if settings.cors_origins:
        middleware.insert(
            0,
            falcon.CORSMiddleware(
                allow_origins=list(settings.cors_origins),
                expose_headers=["Retry-After", "X-Request-Id", "Idempotent-Replayed"],
            ),
        )
    if settings.rate_limits_enabled:
        middleware.append(
            RateLimits(
                settings.rate_limit_storage_uri,
                settings.rate_limit_default,
                settings.rate_limit_strict,
                settings.trusted_proxy_hops,
                settings.rate_limit_exempt,
            )
        )
    app = falcon.App(middleware=middleware)
    app.req_options.strip_url_path_trailing_slash = True
    problems.install(app, settings.broker_retry_after_seconds)
    operations = all_operations()
    gate = Gate(
        pool_of=pool_of,
        authenticator=Authenticator(pool_of, settings.session_cache_seconds),
        body_limit=settings.max_body_bytes,
        trusted_proxy_hops=settings.trusted_proxy_hops,
        idempotency=IdempotencyStore(settings.database_url),
    )
    mount(app, operations, gate)
    app.add_route("/openapi.json", OpenApiDocument(build_spec(operations, settings.public_url)))
    app.add_route("/docs", DocsPage())
    app.add_route("/docs/assets/{name}", DocsAsset())
    return app
