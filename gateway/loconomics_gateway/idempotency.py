"""`Idempotency-Key` on creating POSTs: a repeat gets the first answer, a changed body 422.

Records live 24 hours in the gateway's own small database (a SQLite file by
default, `GATEWAY_DATABASE_URL` for PostgreSQL), shared by every worker. A
key is scoped to its caller (account, or client address when anonymous) and
route, so one client cannot read another's answers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from loconomics_plumbing import clock
from loconomics_plumbing.errors import Conflict, Invalid
from loconomics_plumbing.storage import UtcDateTime, make_engine
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete, insert, select
from sqlalchemy.exc import IntegrityError

KEEP = timedelta(hours=24)
MAX_KEY_LENGTH = 255

metadata = MetaData()
records = Table(
    "idempotency_records",
    metadata,
    Column("record_id", String(64), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("status", Integer, nullable=True),
    Column("content_type", String(100), nullable=True),
    Column("body", Text, nullable=True),
)


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    content_type: str
    body: str


def _digest(*parts: str | bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part if isinstance(part, bytes) else part.encode())
        hasher.update(b"\x00")
    return hasher.hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Invalid(
            "The Idempotency-Key header is not valid.",
            {"Idempotency-Key": [f"Use 1 to {MAX_KEY_LENGTH} printable characters."]},
        )
    return key


class IdempotencyStore:
    def __init__(self, url: str):
        self.engine = make_engine(url)
        metadata.create_all(self.engine)

    def begin(
        self, scope: str, method: str, path: str, key: str, body: bytes, now: datetime | None = None
    ) -> tuple[str, StoredAnswer | None]:
        """Reserve the key; return the stored answer when this is a repeat of a finished request."""
        now = now or clock.now()
        record_id = _digest(scope, method, path, check_key(key))
        request_hash = _digest(body)
        with self.engine.begin() as conn:
            conn.execute(delete(records).where(records.c.created_at < now - KEEP))
            found = conn.execute(select(records).where(records.c.record_id == record_id)).first()
            if found is None:
                try:
                    conn.execute(
                        insert(records).values(
                            record_id=record_id, request_hash=request_hash, created_at=now
                        )
                    )
                except IntegrityError:
                    raise Conflict("A request with this Idempotency-Key is in progress.") from None
                return record_id, None
        if found.request_hash != request_hash:
            raise Invalid(
                "This Idempotency-Key was used with a different body.",
                {"Idempotency-Key": ["Already used with a different request body."]},
            )
        if found.status is None:
            raise Conflict("A request with this Idempotency-Key is still in progress.")
        return record_id, StoredAnswer(found.status, found.content_type or "", found.body or "")

    def finish(self, record_id: str, answer: StoredAnswer) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                records.update()
                .where(records.c.record_id == record_id)
                .values(status=answer.status, content_type=answer.content_type, body=answer.body)
            )

    def abandon(self, record_id: str) -> None:
        """Forget a reservation whose request failed on our side, so the client may retry."""
        with self.engine.begin() as conn:
            conn.execute(delete(records).where(records.c.record_id == record_id))
