"""The governance database: member register, voter rolls, secret ballots, elections, patronage.

Secret ballots. `proposal_votes` and `election_ballots` hold what was voted and the voter's
receipt, and nothing else: no member id, no time, no sequence number. What else could
order them is handled too:

- Their primary key is a random 128-bit id, never an autoincrement.
- On SQLite they are WITHOUT ROWID tables, so rows are stored in the order of that random
  key; an ordinary SQLite table keeps a hidden, increasing rowid that would line each
  ballot up with the roll's `voted_at`.
- On PostgreSQL every row carries system columns (`xmin`, the inserting transaction, and
  `ctid`, its place in the heap) that no schema can drop; a ballot's `xmin` equals the one
  of the roll entry marked in the same transaction. So when a ballot closes its ballots are
  resealed: deleted and written again in a random order in the closing transaction, which
  gives them all the same `xmin` and a shuffled `ctid`. The dead copies go at the next
  VACUUM; the migration sets these two tables' autovacuum thresholds to zero on
  PostgreSQL, so autovacuum takes them at its next round after a close.

The roll (`roll_entries`) records only that a member voted (`voted_at`), never how.
"""

from __future__ import annotations

from datetime import datetime

from loconomics_plumbing.storage import UtcDateTime, add_plumbing_tables
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Member(Base):
    """A member of the cooperative, keyed by the id the feeding system knows them by."""

    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20))
    status_since: Mapped[datetime] = mapped_column(UtcDateTime())
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    joined_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Contact(Base):
    """A person's name and email as the platform knows them, member or not yet.

    Only a platform mapping fills it (Loconomics: profiles' `account_created` and
    `account_changed`), so the register can name members whose status reports carry no
    name. A departure deletes it, and it is not kept again for that person.
    """

    __tablename__ = "contacts"

    external_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Departure(Base):
    """A person who left and asked to be forgotten, member or not: from `left_at` they are
    withdrawn, and nothing more is learnt about them (no status, name or address).

    It holds no name and no address, only the id the feeding system knew them by: it is
    what keeps an erased address erased when an older word about them arrives late.
    """

    __tablename__ = "departures"

    external_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    left_at: Mapped[datetime] = mapped_column(UtcDateTime())
    source_event_id: Mapped[str | None] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MemberStatusChange(Base):
    """Every status report received, applied or not (a late, older report is kept, not applied)."""

    __tablename__ = "member_status_changes"
    __table_args__ = (Index("ix_member_status_changes_member_time", "member_id", "occurred_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    status: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    source_event_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    applied: Mapped[bool] = mapped_column(Boolean)


class RollEntry(Base):
    """One member on the electorate of one ballot (a proposal or an election).

    The unique (ballot_id, member_id) keeps a member on a roll once; voting marks
    `voted_at` with a compare-and-set update, so a second vote finds it set.
    """

    __tablename__ = "roll_entries"
    __table_args__ = (UniqueConstraint("ballot_id", "member_id", name="uq_roll_entries_member"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ballot_id: Mapped[str] = mapped_column(String(32), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    voted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Proposal(Base):
    __tablename__ = "proposals"
    __table_args__ = (
        Index("ix_proposals_status_opens", "status", "opens_at"),
        Index("ix_proposals_status_closes", "status", "closes_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    quorum_percent: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    roll_size: Mapped[int | None] = mapped_column(Integer)
    yes_votes: Mapped[int | None] = mapped_column(Integer)
    no_votes: Mapped[int | None] = mapped_column(Integer)
    abstentions: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(20))


class ProposalVote(Base):
    """An anonymous vote: no member, no time, random key (see the module docstring)."""

    __tablename__ = "proposal_votes"
    __table_args__ = (
        UniqueConstraint("proposal_id", "receipt", name="uq_proposal_votes_receipt"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, autoincrement=False)
    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id"))
    choice: Mapped[str] = mapped_column(String(10))
    receipt: Mapped[str] = mapped_column(String(16))


class Election(Base):
    __tablename__ = "elections"
    __table_args__ = (
        Index("ix_elections_status_opens", "status", "opens_at"),
        Index("ix_elections_status_closes", "status", "closes_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    seats: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    nominations_close_at: Mapped[datetime] = mapped_column(UtcDateTime())
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    roll_size: Mapped[int | None] = mapped_column(Integer)
    ballots_cast: Mapped[int | None] = mapped_column(Integer)
    count_result: Mapped[dict | None] = mapped_column(JSON)


class Candidate(Base):
    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("election_id", "member_id", name="uq_candidates_member"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("elections.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    name: Mapped[str] = mapped_column(String(200))
    statement: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    nominated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ElectionBallot(Base):
    """An anonymous ranked ballot: no member, no time, random key (see the module docstring)."""

    __tablename__ = "election_ballots"
    __table_args__ = (
        UniqueConstraint("election_id", "receipt", name="uq_election_ballots_receipt"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, autoincrement=False)
    election_id: Mapped[str] = mapped_column(ForeignKey("elections.id"))
    ranking: Mapped[list] = mapped_column(JSON)
    receipt: Mapped[str] = mapped_column(String(16))


class PatronageRecord(Base):
    """Business a member did with the cooperative, one row per source event (idempotent)."""

    __tablename__ = "patronage_records"
    __table_args__ = (Index("ix_patronage_records_year_member", "fiscal_year", "external_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    dues_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    completed_bookings: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    source_event_id: Mapped[str] = mapped_column(String(100), unique=True)


class PatronageAllocation(Base):
    """A year's surplus shared out by patronage: proposed by the board, decided by the members.

    `open_year` equals `fiscal_year` until the allocation is rejected, then becomes NULL:
    its unique constraint allows one live allocation a year on SQLite and PostgreSQL alike.
    """

    __tablename__ = "patronage_allocations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, index=True)
    open_year: Mapped[int | None] = mapped_column(Integer, unique=True)
    surplus_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    cash_percent: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id"), unique=True)
    basis: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PatronageShare(Base):
    __tablename__ = "patronage_shares"
    __table_args__ = (
        UniqueConstraint("allocation_id", "external_id", name="uq_patronage_shares_member"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    allocation_id: Mapped[str] = mapped_column(ForeignKey("patronage_allocations.id"))
    external_id: Mapped[str] = mapped_column(String(100))
    points: Mapped[str] = mapped_column(String(40))
    amount_cents: Mapped[int] = mapped_column(Integer)
    cash_cents: Mapped[int] = mapped_column(Integer)
    retained_cents: Mapped[int] = mapped_column(Integer)


add_plumbing_tables(Base.metadata)
