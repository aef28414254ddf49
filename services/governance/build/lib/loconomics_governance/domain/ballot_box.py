"""Where anonymous ballots are kept: receipts that never collide, and resealing at close.

See `models` for why resealing exists: on PostgreSQL a row's hidden `xmin` and `ctid`
would otherwise tie each ballot to the transaction that also marked its voter on the roll.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from .identifiers import new_id, new_receipt


def unused_receipt(session: Session, ballot_column: InstrumentedAttribute, ballot_id: str) -> str:
    """A receipt no other ballot of `ballot_id` holds (the unique constraint backs this up)."""
    model = ballot_column.class_
    while True:
        receipt = new_receipt()
        taken = session.scalars(
            select(model.receipt).where(ballot_column == ballot_id, model.receipt == receipt)
        ).first()
        if taken is None:
            return receipt


def reseal(session: Session, ballot_column: InstrumentedAttribute, ballot_id: str) -> int:
    """Write the ballots of `ballot_id` again, under new random ids, in a random order."""
    model = ballot_column.class_
    columns = [column.key for column in model.__table__.columns if column.key != "id"]
    rows = session.scalars(select(model).where(ballot_column == ballot_id)).all()
    copies = [{key: getattr(row, key) for key in columns} for row in rows]
    session.execute(delete(model).where(ballot_column == ballot_id))
    secrets.SystemRandom().shuffle(copies)
    session.add_all(model(id=new_id(), **copy) for copy in copies)
    session.flush()
    return len(copies)
