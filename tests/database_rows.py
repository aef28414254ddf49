"""What a service's database holds, whole, for tests that a secret or an address is gone from it."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import Session


def every_row(session: Session, metadata: MetaData) -> str:
    """Every row of every table of `metadata`, as the database holds it, as text."""
    connection = session.connection()
    return "\n".join(
        repr(tuple(row))
        for table in metadata.sorted_tables
        for row in connection.exec_driver_sql(f'SELECT * FROM "{table.name}"')
    )
