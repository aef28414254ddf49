"""Cross-service fixtures: a whole platform on a dedicated RabbitMQ node, real processes.

The test node listens on its own port (TEST_AMQP_PORT, default 5673), so a
`make run` platform on 5672 is left alone, and a test may stop and restart it.
"""

from __future__ import annotations

import os

import pytest
from local_platform import Platform
from platform_client import ApiClient, Person


def pytest_collection_modifyitems(config, items):
    """Fuzzing runs last: it may leave the shared platform in any state its schema allows."""
    items.sort(key=lambda item: item.get_closest_marker("fuzzing") is not None)


def new_platform(tmp_path_factory, amqp_port: int, name: str = "platform") -> Platform:
    return Platform.isolated(tmp_path_factory.mktemp(name), amqp_port)


@pytest.fixture(scope="session")
def platform(tmp_path_factory) -> Platform:
    """The shared platform, on the test node (TEST_AMQP_PORT, default 5673)."""
    amqp_port = int(os.environ.get("TEST_AMQP_PORT", "5673"))
    with new_platform(tmp_path_factory, amqp_port).running() as shared:
        yield shared


@pytest.fixture
def lone_platform(tmp_path_factory) -> Platform:
    """A platform on a broker node of its own, for tests that stop and start the broker."""
    amqp_port = int(os.environ.get("TEST_LONE_AMQP_PORT", "5674"))
    with new_platform(tmp_path_factory, amqp_port, "lone").running(own_broker=True) as lone:
        yield lone


@pytest.fixture
def api(platform: Platform) -> ApiClient:
    return ApiClient(platform.gateway_url)


@pytest.fixture(scope="session")
def admin_account(platform: Platform) -> Person:
    """An administrator of the cooperative, made once by the operator command."""
    return ApiClient(platform.gateway_url).sign_up_admin(platform)


@pytest.fixture
def admin(platform: Platform, admin_account: Person) -> Person:
    """The administrator with a fresh access token: a session's token would expire before
    the last tests of a long run."""
    return ApiClient(platform.gateway_url).log_in(admin_account)
