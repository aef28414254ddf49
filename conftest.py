"""Fixtures every test folder may use: a real PostgreSQL server and a fresh database per test.

The server is the project's own throwaway one (`deploy/local/postgres.sh`), started on demand.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent
PG_PORT = os.environ.get("TEST_PG_PORT", "5433")


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
