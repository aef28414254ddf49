"""Cross-service fixtures: a whole platform on a dedicated RabbitMQ node, real processes.

The test node listens on its own port (TEST_AMQP_PORT, default 5673), so a
`make run` platform on 5672 is left alone, and a test may stop and restart it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from local_platform import Platform
from platform_client import ApiClient, Person


def pytest_collection_modifyitems(config, items):
    """Fuzzing runs last: it may leave the shared platform in any state its schema allows."""
    items.sort(key=lambda item: item.get_closest_marker("fuzzing") is not None)


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


def new_platform(tmp_path_factory, amqp_port: int, name: str = "platform") -> Platform:
    var: Path = tmp_path_factory.mktemp(name)
    return Platform(
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
            "GATEWAY_RATE_LIMITS_ENABLED": "false",
            "LOG_LEVEL": "INFO",
        },
    )


@contextlib.contextmanager
def running(platform: Platform, own_broker: bool = False):
    try:
        platform.start()
    except Exception:
        platform.stop(broker=own_broker)
        raise
    try:
        yield platform
    finally:
        platform.stop(broker=own_broker)
        if not own_broker:
            with contextlib.suppress(OSError):
                platform.drop_vhost()


@pytest.fixture(scope="session")
def platform(tmp_path_factory) -> Platform:
    """The shared platform, on the test node (TEST_AMQP_PORT, default 5673)."""
    amqp_port = int(os.environ.get("TEST_AMQP_PORT", "5673"))
    with running(new_platform(tmp_path_factory, amqp_port)) as shared:
        yield shared


@pytest.fixture
def lone_platform(tmp_path_factory) -> Platform:
    """A platform on a broker node of its own, for tests that stop and start the broker."""
    amqp_port = int(os.environ.get("TEST_LONE_AMQP_PORT", "5674"))
    with running(new_platform(tmp_path_factory, amqp_port, "lone"), own_broker=True) as lone:
        yield lone


@pytest.fixture
def api(platform: Platform) -> ApiClient:
    return ApiClient(platform.gateway_url)


@pytest.fixture(scope="session")
def admin(platform: Platform) -> Person:
    """An administrator of the cooperative, made by the operator command."""
    client = ApiClient(platform.gateway_url)
    person = client.sign_up(roles=["client"], name="Cooperative Admin")
    subprocess.run(
        [sys.executable, "-m", "loconomics_profiles.admin", "grant-admin", person.email],
        env=platform.env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    session = client.post("/v1/sessions", json={"email": person.email, "password": person.password})
    assert session.status_code == 201, session.text
    return Person(person.account_id, person.email, person.password, session.json()["access_token"])
