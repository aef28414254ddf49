"""Cross-service fixtures: a whole platform on a dedicated RabbitMQ node, real processes.

The test node listens on its own port (TEST_AMQP_PORT, default 5673), so a
`make run` platform on 5672 is left alone, and a test may stop and restart it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from pathlib import Path

import pytest
from local_platform import Platform
from platform_client import ApiClient


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_block(size: int = 30) -> int:
    """A base port whose next `size` ports are free now (metrics of every service copy)."""
    for _ in range(50):
        base = free_port()
        if base + size > 65000:
            continue
        ok = True
        for port in range(base + 1, base + size):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free block of ports")


@pytest.fixture(scope="session")
def platform(tmp_path_factory) -> Platform:
    var: Path = tmp_path_factory.mktemp("platform")
    amqp_port = int(os.environ.get("TEST_AMQP_PORT", "5673"))
    running = Platform(
        var=var,
        gateway_port=free_port(),
        amqp_port=amqp_port,
        management_port=amqp_port + 10000,
        stripe_port=free_port(),
        smtp_port=free_port(),
        vhost=f"test-{uuid.uuid4().hex[:8]}",
        metrics_port_base=free_port_block(),
        extra_env={
            "LOCONOMICS_CLOCK_FILE": str(var / "clock-offset"),
            "LOCONOMICS_VAR": str(var),
            "GATEWAY_RPC_TIMEOUT_SECONDS": "5",
            "GATEWAY_WORKERS": "2",
            "LOG_LEVEL": "INFO",
        },
    )
    try:
        running.start()
    except Exception:
        running.stop(broker=False)
        raise
    yield running
    running.stop(broker=False)
    with contextlib.suppress(OSError):
        running.drop_vhost()


@pytest.fixture
def api(platform: Platform) -> ApiClient:
    return ApiClient(platform.gateway_url)
