"""What a service of a test platform keeps in its own database, read as the test's evidence of
what the API rightly does not show (an erased address, a token gone)."""

from __future__ import annotations

import sqlite3

from local_platform import Platform

SERVICES = ("profiles", "booking", "billing", "governance", "notifications")


def database_text(platform: Platform, service: str) -> str:
    """Every row a service's database holds, as SQL text (the write-ahead log included)."""
    with sqlite3.connect(platform.var / "data" / f"{service}.sqlite3") as connection:
        return "\n".join(connection.iterdump())


def rows(platform: Platform, service: str, sql: str, *params) -> list[tuple]:
    """A read-only query of a service's database."""
    path = platform.var / "data" / f"{service}.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return connection.execute(sql, params).fetchall()
