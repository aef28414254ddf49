"""Gateway settings from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

from loconomics_plumbing import config

from .rate_limits import Network, exempt_networks


def _entries(name: str) -> tuple[str, ...]:
    """A comma-separated setting's entries, blanks dropped."""
    return tuple(e.strip() for e in os.environ.get(name, "").split(",") if e.strip())


def _flag(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    amqp_uri: str
    rpc_timeout_seconds: float
    rpc_pool_size: int
    broker_connect_timeout_seconds: float
    broker_retry_after_seconds: int
    max_body_bytes: int
    public_url: str
    database_url: str
    session_cache_seconds: float
    rate_limits_enabled: bool
    rate_limit_storage_uri: str
    rate_limit_default: str
    rate_limit_strict: str
    rate_limit_exempt: tuple[Network, ...]
    trusted_proxy_hops: int
    cors_origins: tuple[str, ...]

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
            database_url=config.database_url("gateway"),
            session_cache_seconds=float(env("GATEWAY_SESSION_CACHE_SECONDS", "5")),
            rate_limits_enabled=_flag("GATEWAY_RATE_LIMITS_ENABLED", "true"),
            rate_limit_storage_uri=env("RATE_LIMIT_STORAGE_URI", "memory://"),
            rate_limit_default=env("GATEWAY_RATE_LIMIT_DEFAULT", "600/minute"),
            rate_limit_strict=env("GATEWAY_RATE_LIMIT_STRICT", "10/minute"),
            rate_limit_exempt=exempt_networks(_entries("GATEWAY_RATE_LIMIT_EXEMPT")),
            trusted_proxy_hops=int(env("GATEWAY_TRUSTED_PROXY_HOPS", "0")),
            cors_origins=_entries("GATEWAY_CORS_ORIGINS"),
        )
