"""The `ping` every service answers, so the gateway's /readyz can ask each one."""

from __future__ import annotations

from .entrypoints import rpc


class Health:
    """Mixed into each service class; nameko finds inherited entrypoints."""

    name = "service"

    @rpc
    def ping(self) -> dict:
        return {"service": self.name, "status": "ok"}
