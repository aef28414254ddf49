"""Fixtures every test folder may use: a real PostgreSQL server and a fresh database per test.

The server is the project's own throwaway one (`deploy/local/postgres.sh`), started on demand.
Test runs stop the test servers they started (this PostgreSQL and the test RabbitMQ node) when
the last run going ends, and leave alone those that were already running before any run, or
all of them with `LOCONOMICS_KEEP_TEST_SERVERS=1`.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
import shared_test_servers
from local_platform import listening
from loconomics_plumbing.migrate import upgrade
from loconomics_plumbing.storage import make_engine, session_factory
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent
PG_PORT = os.environ.get("TEST_PG_PORT", "5433")
AMQP_PORT = os.environ.get("TEST_AMQP_PORT", "5673")

# the servers tests start on demand and share: (port, stop command, its environment)
TEST_SERVERS = {
    "postgres": (PG_PORT, ["deploy/local/postgres.sh", "stop"], {"PG_PORT": PG_PORT}),
    "rabbitmq": (AMQP_PORT, ["deploy/local/rabbitmq.sh", "stop"], {"AMQP_PORT": AMQP_PORT}),
}
RUNS = ROOT / "var" / "test-runs"  # see deploy/local/shared_test_servers.py


def pytest_sessionstart(session: pytest.Session) -> None:
    down = [name for name, (port, _, _) in TEST_SERVERS.items() if not listening(int(port))]
    shared_test_servers.begin(RUNS, os.getpid(), down)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the test servers test runs started once the last run going ends; a developer's
    own (up before any run) stay up."""
    if os.environ.get("LOCONOMICS_KEEP_TEST_SERVERS") == "1":
        (RUNS / f"{os.getpid()}.run").unlink(missing_ok=True)
        return
    shared_test_servers.end(RUNS, os.getpid(), TEST_SERVERS, _stop)


def _stop(name: str) -> None:
    port, command, env = TEST_SERVERS[name]
    if listening(int(port)):
        subprocess.run(
            [str(ROOT / command[0]), *command[1:]],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            check=False,
        )


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of a running local PostgreSQL server."""
    subprocess.run(
        [str(ROOT / "deploy/local/postgres.sh"), "start"],
        check=True,
        env={**os.environ, "PG_PORT": PG_PORT},
        stdout=subprocess.DEVNULL,
    )
    return f"postgresql+psycopg://postgres@127.0.0.1:{PG_PORT}/postgres"


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A new, empty database for one test, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_server.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def migrated_sessions(postgres_url: str):
    """`migrated_sessions("governance")`: sessions on this test's PostgreSQL database, brought
    up by that service's own migrations (as a deployment does)."""
    engines = []

    def migrated(service: str):
        upgrade(service, postgres_url)
        engines.append(make_engine(postgres_url))
        return session_factory(engines[-1])

    yield migrated
    for engine in engines:
        engine.dispose()
