"""The service `rpc_bench.py` calls: built like the real ones (our `@rpc`, `Database`,
`CallerIdentity`, `Telemetry`, the `Health` ping), with one method that echoes its input.

Not a benchmark itself; `rpc_bench.py` runs it with `nameko run` on its own broker node.
"""

from __future__ import annotations

from loconomics_plumbing.dependencies import CallerIdentity, Database
from loconomics_plumbing.entrypoints import rpc
from loconomics_plumbing.health import Health
from loconomics_plumbing.telemetry import Telemetry
from sqlalchemy import MetaData

METADATA = MetaData()


class RpcBenchService(Health):
    name = "rpcbench"

    db = Database(METADATA)
    caller = CallerIdentity()
    telemetry = Telemetry()

    @rpc
    def echo(self, value: str) -> dict:
        return {"value": value, "caller": self.caller.user_id}
