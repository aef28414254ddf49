"""The client's address, trusting forwarded headers only as far as our own proxies add them.

Each trusted proxy (an ingress, a load balancer) appends the address it saw to
X-Forwarded-For; anything further left was written by the client and can be
forged. With `hops` trusted proxies, the client is the entry the outermost one added.
"""

from __future__ import annotations

import falcon


def client_address(req: falcon.Request, trusted_hops: int) -> str:
    if trusted_hops <= 0:
        return req.remote_addr or "unknown"
    route = req.access_route
    if len(route) > trusted_hops:
        return route[-(trusted_hops + 1)]
    return route[0] if route else (req.remote_addr or "unknown")
