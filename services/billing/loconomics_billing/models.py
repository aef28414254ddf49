"""Billing's own database: memberships, owner status history, Stripe records, booking payments.

Works on SQLite (the embedded default) and PostgreSQL. The invariants that matter are
constraints, so they hold with many billing processes running: one membership per person
(`memberships.user_id` unique), one Stripe customer per person, each Stripe event applied once
(`processed_stripe_events` primary key), dues recorded once per paid invoice, one payment per
booking.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from loconomics_plumbing.storage import UtcDateTime, add_plumbing_tables
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def new_id() -> str:
    """Opaque identifiers: nothing sequential ever leaves the service."""
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    pass


class StripeCustomer(Base):
    """The one Stripe customer of a person, shared by their membership and their bookings."""

    __tablename__ = "stripe_customers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(64), unique=True)
    stripe_customer_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Membership(Base):
    """A person's plan and the Stripe subscription behind it (none while on Free)."""

    __tablename__ = "memberships"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(64), unique=True)
    plan_id: Mapped[str] = mapped_column(String(64), default="free")
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_item_id: Mapped[str | None] = mapped_column(String(255))
    subscription_status: Mapped[str | None] = mapped_column(String(32))
    trial_end: Mapped[datetime | None] = mapped_column(UtcDateTime())
    current_period_start: Mapped[datetime | None] = mapped_column(UtcDateTime())
    current_period_end: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    trial_used: Mapped[bool] = mapped_column(Boolean, default=False)
    subscription_generation: Mapped[int] = mapped_column(Integer, default=0)
    owner_status: Mapped[str] = mapped_column(String(32), default="not_yet_owner")
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OwnerStatusChange(Base):
    """History of a person's owner status; one row per change, never rewritten.

    `sequence` orders a person's changes (several may share one `changed_at`), and its
    uniqueness stops two concurrent writers from both recording "the next" change.
    """

    __tablename__ = "owner_status_changes"
    __table_args__ = (UniqueConstraint("user_id", "sequence"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    plan_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OwnerAcknowledgment(Base):
    """A signed owner acknowledgment: which text version, when, and from which address."""

    __tablename__ = "owner_acknowledgments"
    __table_args__ = (UniqueConstraint("user_id", "version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    text_sha256: Mapped[str] = mapped_column(String(64))
    ip_address: Mapped[str] = mapped_column(String(45))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MembershipInvoice(Base):
    """A Stripe invoice for dues, as Stripe last described it."""

    __tablename__ = "membership_invoices"
    __table_args__ = (Index("ix_membership_invoices_user", "user_id", "issued_at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    stripe_invoice_id: Mapped[str] = mapped_column(String(255), unique=True)
    user_id: Mapped[str] = mapped_column(String(64))
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255))
    plan_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    amount_due_cents: Mapped[int] = mapped_column(Integer)
    amount_paid_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    period_start: Mapped[datetime | None] = mapped_column(UtcDateTime())
    period_end: Mapped[datetime | None] = mapped_column(UtcDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    failed_attempts_reported: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DuesPayment(Base):
    """Dues paid, once per paid invoice: the basis of the `dues_paid` patronage event."""

    __tablename__ = "dues_payments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    stripe_invoice_id: Mapped[str] = mapped_column(String(255), unique=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime] = mapped_column(UtcDateTime())
    fiscal_year: Mapped[int] = mapped_column(Integer)


class ProcessedStripeEvent(Base):
    """Stripe event ids already applied; the primary key makes a second apply impossible."""

    __tablename__ = "processed_stripe_events"

    stripe_event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(32))
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PayoutAccount(Base):
    """A professional's Stripe Connect account, where their clients' payments go."""

    __tablename__ = "payout_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(64), unique=True)
    stripe_account_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BookingPayment(Base):
    """The client's payment for one booking: card, authorisation, capture, release.

    Fields stay nullable until the `booking_confirmed` event fills them, because the client
    may register a card (or the booking may be cancelled) before billing hears of the booking.
    """

    __tablename__ = "booking_payments"
    __table_args__ = (Index("ix_booking_payments_due", "status", "authorise_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    booking_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    professional_user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    amount_cents: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(32))
    payment_method_id: Mapped[str | None] = mapped_column(String(255))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    destination_account: Mapped[str | None] = mapped_column(String(255))
    application_fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    authorise_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    authorisation_attempts: Mapped[int] = mapped_column(Integer, default=0)
    captured_cents: Mapped[int] = mapped_column(Integer, default=0)
    fee_cents: Mapped[int | None] = mapped_column(Integer)
    failure_reason: Mapped[str | None] = mapped_column(String(255))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Receipt(Base):
    """Money that moved for a booking: a payment taken or a refund given back.

    `platform_fee_cents` is always 0: the cooperative takes no commission. The processor fee
    is an estimate of what the card network and Stripe keep, shown so nobody is surprised.
    """

    __tablename__ = "receipts"
    __table_args__ = (
        Index("ix_receipts_payer", "payer_user_id", "issued_at", "id"),
        Index("ix_receipts_payee", "payee_user_id", "issued_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    booking_payment_id: Mapped[str] = mapped_column(ForeignKey("booking_payments.id"))
    booking_id: Mapped[str] = mapped_column(String(64))
    payer_user_id: Mapped[str | None] = mapped_column(String(64))
    payee_user_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    price_cents: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    processor_fee_cents: Mapped[int] = mapped_column(Integer)
    platform_fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    destination_account: Mapped[str | None] = mapped_column(String(255))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())


add_plumbing_tables(Base.metadata)
