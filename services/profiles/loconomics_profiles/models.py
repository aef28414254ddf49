"""The profiles database: accounts here; listings, search and reviews in shop_models."""

from __future__ import annotations

from datetime import datetime

from loconomics_plumbing.storage import UtcDateTime, add_plumbing_tables
from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="en")
    owner_status: Mapped[str] = mapped_column(String(20), default="not_yet_owner")
    owner_status_changed_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime(), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Set when the member closed the account (`domain.account_closures`): the row stays, with
    # its personal data erased, so what others keep about the account still has an owner.
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # When the member last proved the address is theirs by a link sent to it
    # (`domain.email_addresses`); null for an address never confirmed, as every account made
    # before confirmations existed.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    role_rows: Mapped[list[AccountRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AccountRole.role"
    )

    @property
    def roles(self) -> list[str]:
        return [row.role for row in self.role_rows]

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


class AccountRole(Base):
    __tablename__ = "account_roles"

    account_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class LoginSession(Base):
    """One log-in: its refresh token (hashed) rotates; its family is revoked together."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    account_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    replaced_by: Mapped[str | None] = mapped_column(String(36), nullable=True)


class EmailedLink:
    """The columns every link emailed with a one-time token has (the rules they follow:
    `domain/emailed_links.py`): the token is kept only as its SHA-256 hash, and `used_at` ends
    the link (used, superseded, or made pointless)."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class PasswordReset(EmailedLink, Base):
    """One emailed reset link: its token (hashed) sets a new password once, within its hour."""

    __tablename__ = "password_resets"


class EmailConfirmation(EmailedLink, Base):
    """One emailed confirmation link: its token (hashed) confirms an address at sign-up
    (`sign_up`), makes a new one the account's (`change`) or brings the old one back after a
    change (`undo`), once, within its lifetime."""

    __tablename__ = "email_confirmations"

    purpose: Mapped[str] = mapped_column(String(10))
    # The address the token confirms (sign_up, change) or restores (undo).
    email: Mapped[str] = mapped_column(String(254))


class Suspension(Base):
    """A moderator's suspension of an account (docs/suspensions.md), current until a moderator
    reinstates it. At most one current suspension per account (the partial unique index); the
    rows are the record of the moderators' decisions and are never deleted, not even when the
    account closes."""

    __tablename__ = "suspensions"
    __table_args__ = (
        Index(
            "uq_suspensions_current",
            "account_id",
            unique=True,
            sqlite_where=text("reinstated_at IS NULL"),
            postgresql_where=text("reinstated_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(32))
    # The moderator's words to the member (told by email): the cooperative's, kept at closure.
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    suspended_at: Mapped[datetime] = mapped_column(UtcDateTime())
    suspended_by: Mapped[str] = mapped_column(String(64))
    reinstated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    reinstated_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reinstatement_note: Mapped[str | None] = mapped_column(Text, nullable=True)


add_plumbing_tables(Base.metadata)
