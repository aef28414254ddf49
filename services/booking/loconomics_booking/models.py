"""The booking database: schedules, time off, calendar links, bookable services, bookings.

Portable between SQLite and PostgreSQL, with one deliberate exception: the rule
that two bookings of a professional never overlap is enforced by the database
itself, with a different mechanism on each (see `occupancy_guard_ddl`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from loconomics_plumbing.storage import UtcDateTime, add_plumbing_tables
from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    Date,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .domain.lifecycle import HOLDING

ID = 32
"""Our own ids are uuid4 hex; ids from other services are opaque strings up to 64."""
FOREIGN_ID = 64


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    pass


class Schedule(Base):
    """A professional's weekly availability, in their zone; `weekly` keeps the API's shape."""

    __tablename__ = "schedules"

    professional_id: Mapped[str] = mapped_column(String(FOREIGN_ID), primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    weekly: Mapped[dict] = mapped_column(JSON, default=dict)
    advance_notice_hours: Mapped[int] = mapped_column(Integer, default=0)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    slot_increment_minutes: Mapped[int] = mapped_column(Integer, default=15)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TimeOff(Base):
    """One-off time off, as instants."""

    __tablename__ = "time_off"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True, default=new_id)
    professional_id: Mapped[str] = mapped_column(String(FOREIGN_ID))
    start: Mapped[datetime] = mapped_column(UtcDateTime())
    end: Mapped[datetime] = mapped_column(UtcDateTime())
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_time_off_professional_end", "professional_id", "end"),)


class WeeklyTimeOffRule(Base):
    """Weekly time off in wall-clock time, up to and including the local date `until`."""

    __tablename__ = "weekly_time_off"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True, default=new_id)
    professional_id: Mapped[str] = mapped_column(String(FOREIGN_ID), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[str] = mapped_column(String(5))
    end_time: Mapped[str] = mapped_column(String(5))
    until: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CalendarLink(Base):
    """A professional's secret export token and the calendar they import busy time from."""

    __tablename__ = "calendar_links"

    professional_id: Mapped[str] = mapped_column(String(FOREIGN_ID), primary_key=True)
    export_token: Mapped[str] = mapped_column(String(64), unique=True)
    import_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    import_status: Mapped[str] = mapped_column(String(16), default="none")
    import_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    import_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    import_succeeded_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    import_failures: Mapped[int] = mapped_column(Integer, default=0)
    import_next_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime(), nullable=True, index=True
    )
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BusyInterval(Base):
    """Busy time read from a professional's imported calendar; replaced on each good refresh."""

    __tablename__ = "busy_intervals"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True, default=new_id)
    professional_id: Mapped[str] = mapped_column(String(FOREIGN_ID))
    start: Mapped[datetime] = mapped_column(UtcDateTime())
    end: Mapped[datetime] = mapped_column(UtcDateTime())
    source_uid: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (Index("ix_busy_intervals_professional_start", "professional_id", "start"),)


class BookableService(Base):
    """Booking's copy of a profiles service: what it takes to book it, kept from events."""

    __tablename__ = "bookable_services"

    service_id: Mapped[str] = mapped_column(String(FOREIGN_ID), primary_key=True)
    listing_id: Mapped[str] = mapped_column(String(FOREIGN_ID), index=True)
    professional_id: Mapped[str] = mapped_column(String(FOREIGN_ID), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    duration_minutes: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    pricing_type: Mapped[str] = mapped_column(String(20), default="service")
    sessions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_time_clients_only: Mapped[bool] = mapped_column(Boolean, default=False)
    visible_to_client_id: Mapped[str | None] = mapped_column(String(FOREIGN_ID), nullable=True)
    policy: Mapped[str] = mapped_column(String(16))
    instant_booking: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ListingState(Base):
    """The newest listing event applied, per listing, so late or repeated events change nothing.

    Kept apart from the services so a removal that arrives before the publication
    still wins: the tombstone is here even when no service row exists.
    """

    __tablename__ = "listing_states"

    listing_id: Mapped[str] = mapped_column(String(FOREIGN_ID), primary_key=True)
    professional_id: Mapped[str] = mapped_column(String(FOREIGN_ID))
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BlockedPair(Base):
    """A block between two members, as notifications reported it: no new booking across it.

    The newest change applied wins (`changed_at`), and an unblock keeps its row with
    `blocked` false, so a late or repeated `member_blocked` cannot block again."""

    __tablename__ = "blocked_pairs"

    blocker_id: Mapped[str] = mapped_column(String(FOREIGN_ID), primary_key=True)
    blocked_id: Mapped[str] = mapped_column(String(FOREIGN_ID), primary_key=True)
    blocked: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_blocked_pairs_blocked", "blocked_id"),)


class SuspendedAccount(Base):
    """An account's suspension as profiles reported it: no new booking with a suspended member
    (docs/suspensions.md).

    The newest change applied wins (`changed_at`), and a reinstatement keeps the row with
    `suspended` false, so a late or repeated `account_suspended` cannot suspend again."""

    __tablename__ = "suspended_accounts"

    account_id: Mapped[str] = mapped_column(String(FOREIGN_ID), primary_key=True)
    suspended: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Booking(Base):
    """One booking, from request to completion.

    `occupied_start`/`occupied_end` is the time the booking holds for its
    professional (`[start, end + buffer)`); the database refuses two holding
    bookings of one professional whose occupied intervals overlap. `version`
    makes every update conditional, so two processes changing one booking at once
    cannot both win.
    """

    __tablename__ = "bookings"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(String(FOREIGN_ID))
    professional_id: Mapped[str] = mapped_column(String(FOREIGN_ID))
    service_id: Mapped[str] = mapped_column(String(FOREIGN_ID))
    listing_id: Mapped[str] = mapped_column(String(FOREIGN_ID))
    status: Mapped[str] = mapped_column(String(16))
    start: Mapped[datetime] = mapped_column(UtcDateTime())
    end: Mapped[datetime] = mapped_column(UtcDateTime())
    occupied_start: Mapped[datetime] = mapped_column(UtcDateTime())
    occupied_end: Mapped[datetime] = mapped_column(UtcDateTime())
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    time_zone: Mapped[str] = mapped_column(String(64))
    price_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    policy: Mapped[str] = mapped_column(String(16))
    instant: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(16))
    creator_id: Mapped[str] = mapped_column(String(FOREIGN_ID))
    proposed_starts: Mapped[list] = mapped_column(JSON, default=list)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    close_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    fee_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    refund_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    performed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    disputed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    disputed_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    dispute_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    reminder_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    review_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    review_requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    reschedule_start: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    reschedule_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reschedule_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("creator_id", "idempotency_key", name="uq_bookings_idempotency"),
        Index("ix_bookings_professional_occupied", "professional_id", "occupied_start"),
        Index("ix_bookings_client_start", "client_id", "start"),
        Index("ix_bookings_professional_start", "professional_id", "start"),
        Index("ix_bookings_status_expires", "status", "expires_at"),
        Index("ix_bookings_status_reminder", "status", "reminder_due_at"),
        Index("ix_bookings_status_end", "status", "end"),
        Index("ix_bookings_status_review", "status", "review_due_at"),
        Index("ix_bookings_status_reschedule", "status", "reschedule_expires_at"),
    )


OVERLAP_GUARD = "bookings_no_overlap"
"""The name both databases give the no-overlap rule; errors carrying it mean a taken slot."""


def _holding_list() -> str:
    return ", ".join(f"'{status.value}'" for status in HOLDING)


def occupancy_guard_ddl(dialect: str) -> list[str]:
    """The statements that make the database refuse overlapping bookings, per dialect.

    PostgreSQL: an exclusion constraint (btree_gist for the `=` on the text id)
    over `tstzrange(occupied_start, occupied_end, '[)')` for holding states; the
    check is atomic inside the index, so any number of processes and connections
    can insert at once and all but one overlapping insert fail (SQLSTATE 23P01).

    SQLite: triggers before insert and before update that abort when an
    overlapping holding booking exists. SQLite has one writer at a time and a
    trigger runs inside the write, so it always sees every committed booking:
    the check cannot race. The service also opens each transaction with
    BEGIN IMMEDIATE (the plumbing's engine does), so the friendlier `assert_free`
    read that precedes the write is itself serialised and rarely loses to the trigger.
    """
    holding = _holding_list()
    if dialect == "postgresql":
        return [
            "CREATE EXTENSION IF NOT EXISTS btree_gist",
            f"ALTER TABLE bookings ADD CONSTRAINT {OVERLAP_GUARD} EXCLUDE USING gist "
            "(professional_id WITH =, tstzrange(occupied_start, occupied_end, '[)') WITH &&) "
            f"WHERE (status IN ({holding}))",
        ]
    if dialect == "sqlite":
        overlap = (
            "SELECT RAISE(ABORT, '" + OVERLAP_GUARD + "') WHERE EXISTS ("
            "SELECT 1 FROM bookings AS other WHERE other.professional_id = NEW.professional_id "
            f"AND other.id <> NEW.id AND other.status IN ({holding}) "
            "AND other.occupied_start < NEW.occupied_end "
            "AND NEW.occupied_start < other.occupied_end)"
        )
        return [
            f"CREATE TRIGGER {OVERLAP_GUARD}_insert BEFORE INSERT ON bookings "
            f"WHEN NEW.status IN ({holding}) BEGIN {overlap}; END",
            f"CREATE TRIGGER {OVERLAP_GUARD}_update BEFORE UPDATE OF "
            "status, occupied_start, occupied_end, professional_id ON bookings "
            f"WHEN NEW.status IN ({holding}) BEGIN {overlap}; END",
        ]
    raise ValueError(f"no overlap guard for the {dialect} dialect")


def _install_guard(dialect: str) -> None:
    for statement in occupancy_guard_ddl(dialect):
        event.listen(Booking.__table__, "after_create", DDL(statement).execute_if(dialect=dialect))


_install_guard("postgresql")
_install_guard("sqlite")
add_plumbing_tables(Base.metadata)
