"""Gateway settings from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

from loconomics_plumbing import config


@dataclass(frozen=True)
class Settings:
    amqp_uri: str
    rpc_timeout_seconds: float
    rpc_pool_size: int
    broker_connect_timeout_seconds: float
    broker_retry_after_seconds: int
    max_body_bytes: int
    public_url: str

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get
        return cls(
            amqp_uri=config.amqp_uri(),
            rpc_timeout_seconds=float(env("GATEWAY_RPC_TIMEOUT_SECONDS", "5")),
            rpc_pool_size=int(env("GATEWAY_RPC_POOL_SIZE", "8")),
            broker_connect_timeout_seconds=float(env("GATEWAY_BROKER_CONNECT_TIMEOUT", "2")),
            broker_retry_after_seconds=int(env("GATEWAY_BROKER_RETRY_AFTER", "2")),
            max_body_bytes=int(env("GATEWAY_MAX_BODY_BYTES", str(256 * 1024))),
            public_url=env("GATEWAY_PUBLIC_URL", "http://127.0.0.1:8000"),
        )
