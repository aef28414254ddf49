"""The relay half of the transactional outbox: publish committed events, then mark them.

Rows are claimed with a short lease first, so several copies of a service rarely
publish the same row twice; when a copy dies after publishing and before marking,
the row is published again after the lease: delivery is at least once, and
handlers ignore the repeat by its `event_id`.

A published event is kept a week (`prune_published`), except the kinds a service names as
`forget`: those carry a secret (a password reset's token), and their row goes as soon as the
broker has them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, MetaData, and_, delete, func, or_, select, update

from .storage import OUTBOX, utc_now

Publish = Callable[[str, dict], None]

LEASE = timedelta(seconds=30)
KEEP_PUBLISHED = timedelta(days=7)


def relay_pending(
    engine: Engine,
    metadata: MetaData,
    publish: Publish,
    batch: int = 100,
    clock: Callable[[], datetime] = utc_now,
    forget: frozenset[str] = frozenset(),
) -> int:
    """Publish up to `batch` pending events in the order they were written; return how many.
    Rows of the event types in `forget` are deleted once published instead of marked."""
    outbox = metadata.tables[OUTBOX]
    now = clock()
    claim = str(uuid.uuid4())
    claimable = or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now)
    with engine.begin() as conn:
        pending = (
            select(outbox.c.event_id)
            .where(outbox.c.published_at.is_(None), claimable)
            .order_by(outbox.c.created_at, outbox.c.event_id)
            .limit(batch)
        )
        ids = [row.event_id for row in conn.execute(pending)]
        if not ids:
            return 0
        conn.execute(
            update(outbox)
            .where(and_(outbox.c.event_id.in_(ids), outbox.c.published_at.is_(None), claimable))
            .values(claimed_by=claim, claimed_until=now + LEASE)
        )
        mine = conn.execute(
            select(outbox.c.event_id, outbox.c.event_type, outbox.c.payload)
            .where(outbox.c.claimed_by == claim)
            .order_by(outbox.c.created_at, outbox.c.event_id)
        ).all()
    published: list[str] = []
    forgotten: list[str] = []
    try:
        for row in mine:
            publish(row.event_type, json.loads(row.payload))
            (forgotten if row.event_type in forget else published).append(row.event_id)
    finally:
        sent = {*published, *forgotten}
        unsent = [row.event_id for row in mine if row.event_id not in sent]
        if sent or unsent:
            with engine.begin() as conn:
                if published:
                    conn.execute(
                        update(outbox)
                        .where(outbox.c.event_id.in_(published))
                        .values(published_at=clock())
                    )
                if forgotten:
                    conn.execute(delete(outbox).where(outbox.c.event_id.in_(forgotten)))
                if unsent:
                    # A failed publish (the broker away) gives the rest back at once: the next
                    # pass, ours or another copy's, retries them as soon as the broker is back,
                    # in order, instead of after the lease (or never, if the clock moved back).
                    conn.execute(
                        update(outbox)
                        .where(outbox.c.event_id.in_(unsent), outbox.c.claimed_by == claim)
                        .values(claimed_by=None, claimed_until=None)
                    )
    return len(sent)


def prune_published(
    engine: Engine, metadata: MetaData, clock: Callable[[], datetime] = utc_now
) -> int:
    """Forget events published more than a week ago; the broker has long delivered them."""
    outbox = metadata.tables[OUTBOX]
    with engine.begin() as conn:
        result = conn.execute(
            delete(outbox).where(outbox.c.published_at < clock() - KEEP_PUBLISHED)
        )
    return result.rowcount or 0


def pending_count(engine: Engine, metadata: MetaData) -> int:
    outbox = metadata.tables[OUTBOX]
    with engine.connect() as conn:
        query = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        return conn.execute(query).scalar_one()
