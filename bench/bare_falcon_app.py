"""The references `gateway_bench.py` compares the gateway with, under the gateway's own
gunicorn settings and with no middleware:

    GET /v1/professionals/{id}   a fixed body the size of a real profile: no RPC, no database
    GET /v1/ping/{service}       one RPC, `<service>.ping`, through the gateway's own client
                                 (`loconomics_gateway.rpc.RpcPool`, made after the fork): the
                                 cost of HTTP plus one round trip, without any domain work

    gunicorn -c gateway/gunicorn.conf.py bare_falcon_app:app    (with bench/ on PYTHONPATH)
"""

from __future__ import annotations

import json
import os

import falcon
from loconomics_gateway.rpc import RpcPool

BODY = json.dumps(
    json.loads(os.environ.get("BARE_FALCON_BODY", "{}"))
    or {"id": "0" * 32, "name": "Bench Pro", "listings": []}
)


class Professional:
    def on_get(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        resp.content_type = falcon.MEDIA_JSON
        resp.text = BODY


class Ping:
    """One RPC per request; the pool is made on first use, in the worker, after the fork."""

    def __init__(self) -> None:
        self.pools: list[RpcPool] = []

    def on_get(self, req: falcon.Request, resp: falcon.Response, service: str) -> None:
        if not self.pools:
            size = int(os.environ.get("GATEWAY_RPC_POOL_SIZE", "8"))
            self.pools.append(RpcPool(os.environ["AMQP_URI"], size=size, timeout=5))
        resp.media = self.pools[0].call(service, "ping")


app = falcon.App()
app.add_route("/v1/professionals/{id}", Professional())
app.add_route("/v1/ping/{service}", Ping())
