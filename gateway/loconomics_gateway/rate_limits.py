"""Rate limits per client address, stricter where accounts are made and passwords tried or reset.

Uses the `limits` library with a moving window; the storage is in memory by
default (per worker process) and Redis when `RATE_LIMIT_STORAGE_URI` names it,
so every worker and replica shares one count. Over the limit: 429 with
`Retry-After`, before any service is called.

Addresses or networks the operator names in `GATEWAY_RATE_LIMIT_EXEMPT` are never limited:
a load generator, a monitoring probe, an office behind one address. The address matched is
the client's as far as our trusted proxies vouch for it, so a forged X-Forwarded-For earns
no exemption.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Iterable

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .client_address import client_address
from .problems import answer

STRICT_ROUTES = {
    ("POST", "/v1/sessions"),
    ("POST", "/v1/accounts"),
    ("POST", "/v1/sessions/refresh"),
    ("POST", "/v1/password-resets"),
    ("POST", "/v1/password-resets/confirm"),
    ("PUT", "/v1/me/password"),
    ("POST", "/v1/me/closure"),
    ("POST", "/v1/email-confirmations/confirm"),
    ("POST", "/v1/me/email-confirmations"),
    ("PUT", "/v1/me/email"),
    ("POST", "/v1/me/data-export"),
}
UNLIMITED_ROUTES = {"/healthz", "/readyz", "/metrics"}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def exempt_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """`["127.0.0.1", "10.0.0.0/8"]` as networks; an entry that is neither names itself."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"GATEWAY_RATE_LIMIT_EXEMPT: {entry!r} is neither an address nor a network "
                "(examples: 127.0.0.1, 10.0.0.0/8, ::1)"
            ) from None
    return tuple(networks)


def is_within(address: str, networks: tuple[Network, ...]) -> bool:
    if not networks:
        return False  # the usual case: no address to parse on every request
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # "unknown", or whatever a client wrote
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


class RateLimits:
    def __init__(
        self,
        storage_uri: str,
        default: str,
        strict: str,
        trusted_proxy_hops: int,
        exempt: tuple[Network, ...] = (),
    ):
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.default = parse(default)
        self.strict = parse(strict)
        self.trusted_proxy_hops = trusted_proxy_hops
        self.exempt = exempt

    def process_resource(self, req, resp, resource, params) -> None:
        route = req.uri_template or ""
        if route in UNLIMITED_ROUTES or req.method == "OPTIONS":
            return
        strict = (req.method, route) in STRICT_ROUTES
        limit = self.strict if strict else self.default
        bucket = "strict" if strict else "default"
        address = client_address(req, self.trusted_proxy_hops)
        if is_within(address, self.exempt) or self.limiter.hit(limit, bucket, address):
            return
        reset_at, _ = self.limiter.get_window_stats(limit, bucket, address)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        answer(
            resp,
            429,
            "Too many requests",
            f"Limit of {limit} reached; try again in {retry_after} s.",
            retry_after=retry_after,
        )
        resp.complete = True
