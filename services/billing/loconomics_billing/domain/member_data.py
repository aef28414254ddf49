"""A member's copy of what billing keeps about them (docs/data-export.md), from billing's
own database alone.

Stripe is never asked: the export must answer while Stripe is slow or down, and what Stripe
keeps (cards, the email on the customer) is Stripe's to show. Each section is built as plain
dicts here and dumped by its record schema in `schemas.py`, so a new column never leaks by
accident. Nothing here is a secret: billing stores no Stripe key, webhook secret or
PaymentIntent client secret (a unit test keeps such columns out of the tables), and the ids
it does store (customer, subscription, invoice, intent, Connect account) open nothing without
the cooperative's own key.

A booking payment belongs to two people. The client (payer) and the professional (payee) each
get the row, with `role` saying which; the client's Stripe customer and card stay out of the
professional's copy, since only the payer's own Stripe objects are theirs. The membership's
Stripe subscription item id and its subscription counter stay out too: they are how billing
addresses Stripe (an item to change, an idempotency key), not something about the member.
"""

from __future__ import annotations

from loconomics_plumbing.member_data import member_data_part
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    BookingPayment,
    DuesPayment,
    Membership,
    MembershipInvoice,
    OwnerAcknowledgment,
    OwnerStatusChange,
    PayoutAccount,
    Receipt,
    StripeCustomer,
)
from .acknowledgment import ACKNOWLEDGMENT_TEXTS

SERVICE = "billing"

ABOUT: dict[str, str] = {
    "stripe_customer": (
        "The id of your customer at Stripe, our card processor, which holds your cards for "
        "dues and bookings. Billing keeps only the id; the cards are at Stripe."
    ),
    "membership": (
        "Your membership plan, its Stripe subscription and where it stands (status, trial, "
        "the period paid, a cancellation at the period's end, a suspension), which decide "
        "your owner status."
    ),
    "owner_status_changes": (
        "Every change of your owner status, oldest first: the cooperative's register of "
        "owners and your votes depend on it."
    ),
    "owner_acknowledgments": (
        "The owner acknowledgment you signed: its wording and version, a fingerprint of the "
        "exact words, when and from which internet address, as proof of what you agreed to."
    ),
    "membership_invoices": (
        "Your dues invoices as Stripe last described them; the accounts must keep them."
    ),
    "dues_payments": ("Dues you paid, one per paid invoice; patronage is worked out from them."),
    "booking_payments": (
        "Payments for bookings you paid for (role payer) or were paid for as the "
        "professional (role payee): the card hold, the capture, a cancellation fee, a release."
    ),
    "receipts": (
        "Money moved for your bookings, as payer or payee: payments and refunds, with the "
        "estimated card processor fee and the platform fee (always zero)."
    ),
    "payout_accounts": (
        "The Stripe Connect account your clients' payments go to, if you are a professional."
    ),
}

SECTIONS = tuple(ABOUT)

# Every table of billing's database: the sections it feeds ...
SECTIONS_BY_TABLE: dict[str, tuple[str, ...]] = {
    "stripe_customers": ("stripe_customer",),
    "memberships": ("membership",),
    "owner_status_changes": ("owner_status_changes",),
    "owner_acknowledgments": ("owner_acknowledgments",),
    "membership_invoices": ("membership_invoices",),
    "dues_payments": ("dues_payments",),
    "booking_payments": ("booking_payments",),
    "receipts": ("receipts",),
    "payout_accounts": ("payout_accounts",),
}

# ... or why it holds nothing of a member's to show.
NOTHING_TO_SHOW: dict[str, str] = {
    "processed_stripe_events": (
        "Stripe event ids already applied (id, type, outcome, time), so a webhook delivered "
        "twice is applied once; linked to no member, and what they changed is in the sections."
    ),
    "outbox_events": (
        "Events waiting to be relayed to the broker, then kept as relayed: copies of changes "
        "the sections already show (owner status, dues, booking payments)."
    ),
    "processed_events": "Ids of other services' events already handled; linked to no member.",
}


def export_member_data(session: Session, user_id: str) -> dict:
    """Billing's part of the member's copy: every section, empty ones included."""
    records = {
        "stripe_customer": _stripe_customer(session, user_id),
        "membership": _membership(session, user_id),
        "owner_status_changes": _owner_status_changes(session, user_id),
        "owner_acknowledgments": _owner_acknowledgments(session, user_id),
        "membership_invoices": _membership_invoices(session, user_id),
        "dues_payments": _dues_payments(session, user_id),
        "booking_payments": _booking_payments(session, user_id),
        "receipts": _receipts(session, user_id),
        "payout_accounts": _payout_accounts(session, user_id),
    }
    return member_data_part(SERVICE, ABOUT, records)


def _stripe_customer(session: Session, user_id: str) -> list[dict]:
    customers = session.scalars(
        select(StripeCustomer)
        .where(StripeCustomer.user_id == user_id)
        .order_by(StripeCustomer.created_at, StripeCustomer.id)
    )
    return [
        {"stripe_customer_id": c.stripe_customer_id, "created_at": c.created_at} for c in customers
    ]


def _membership(session: Session, user_id: str) -> list[dict]:
    memberships = session.scalars(
        select(Membership)
        .where(Membership.user_id == user_id)
        .order_by(Membership.created_at, Membership.id)
    )
    return [
        {
            "id": m.id,
            "plan_id": m.plan_id,
            "owner_status": m.owner_status,
            "stripe_subscription_id": m.stripe_subscription_id,
            "subscription_status": m.subscription_status,
            "trial_end": m.trial_end,
            "trial_used": m.trial_used,
            "current_period_start": m.current_period_start,
            "current_period_end": m.current_period_end,
            "cancel_at_period_end": m.cancel_at_period_end,
            "suspended": m.suspended,
            "suspension_reason": m.suspension_reason,
            "created_at": m.created_at,
            "updated_at": m.updated_at,
        }
        for m in memberships
    ]


def _owner_status_changes(session: Session, user_id: str) -> list[dict]:
    changes = session.scalars(
        select(OwnerStatusChange)
        .where(OwnerStatusChange.user_id == user_id)
        .order_by(OwnerStatusChange.sequence)
    )
    return [
        {
            "id": c.id,
            "sequence": c.sequence,
            "from_status": c.from_status,
            "to_status": c.to_status,
            "plan_id": c.plan_id,
            "reason": c.reason,
            "changed_at": c.changed_at,
        }
        for c in changes
    ]


def _owner_acknowledgments(session: Session, user_id: str) -> list[dict]:
    signatures = session.scalars(
        select(OwnerAcknowledgment)
        .where(OwnerAcknowledgment.user_id == user_id)
        .order_by(OwnerAcknowledgment.signed_at, OwnerAcknowledgment.id)
    )
    return [
        {
            "id": s.id,
            "version": s.version,
            "text": ACKNOWLEDGMENT_TEXTS.get(s.version),
            "text_sha256": s.text_sha256,
            "ip_address": s.ip_address,
            "signed_at": s.signed_at,
        }
        for s in signatures
    ]


def _membership_invoices(session: Session, user_id: str) -> list[dict]:
    invoices = session.scalars(
        select(MembershipInvoice)
        .where(MembershipInvoice.user_id == user_id)
        .order_by(MembershipInvoice.issued_at, MembershipInvoice.id)
    )
    return [
        {
            "id": i.id,
            "stripe_invoice_id": i.stripe_invoice_id,
            "stripe_subscription_id": i.stripe_subscription_id,
            "plan_id": i.plan_id,
            "status": i.status,
            "amount_due_cents": i.amount_due_cents,
            "amount_paid_cents": i.amount_paid_cents,
            "currency": i.currency,
            "period_start": i.period_start,
            "period_end": i.period_end,
            "issued_at": i.issued_at,
            "paid_at": i.paid_at,
            "failed_attempts_reported": i.failed_attempts_reported,
            "updated_at": i.updated_at,
        }
        for i in invoices
    ]


def _dues_payments(session: Session, user_id: str) -> list[dict]:
    payments = session.scalars(
        select(DuesPayment)
        .where(DuesPayment.user_id == user_id)
        .order_by(DuesPayment.paid_at, DuesPayment.id)
    )
    return [
        {
            "id": p.id,
            "stripe_invoice_id": p.stripe_invoice_id,
            "amount_cents": p.amount_cents,
            "currency": p.currency,
            "paid_at": p.paid_at,
            "fiscal_year": p.fiscal_year,
        }
        for p in payments
    ]


def _booking_payments(session: Session, user_id: str) -> list[dict]:
    as_payer = session.scalars(
        select(BookingPayment).where(BookingPayment.client_user_id == user_id)
    )
    as_payee = session.scalars(
        select(BookingPayment).where(BookingPayment.professional_user_id == user_id)
    )
    records = [_booking_payment(p, "payer") for p in as_payer] + [
        _booking_payment(p, "payee") for p in as_payee
    ]
    return sorted(records, key=lambda r: (r["created_at"], r["id"], r["role"]))


def _booking_payment(p: BookingPayment, role: str) -> dict:
    """Each side's Stripe objects are its own: the client's customer and card in the payer's
    copy only, the professional's Connect account in the payee's only."""
    payer = role == "payer"
    return {
        "id": p.id,
        "role": role,
        "booking_id": p.booking_id,
        "client_user_id": p.client_user_id,
        "professional_user_id": p.professional_user_id,
        "status": p.status,
        "amount_cents": p.amount_cents,
        "currency": p.currency,
        "starts_at": p.starts_at,
        "stripe_customer_id": p.stripe_customer_id if payer else None,
        "payment_method_id": p.payment_method_id if payer else None,
        "payment_intent_id": p.payment_intent_id,
        "destination_account": None if payer else p.destination_account,
        "application_fee_cents": p.application_fee_cents,
        "authorise_at": p.authorise_at,
        "authorisation_attempts": p.authorisation_attempts,
        "captured_cents": p.captured_cents,
        "fee_cents": p.fee_cents,
        "failure_reason": p.failure_reason,
        "confirmed_at": p.confirmed_at,
        "cancelled_at": p.cancelled_at,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def _receipts(session: Session, user_id: str) -> list[dict]:
    as_payer = session.scalars(select(Receipt).where(Receipt.payer_user_id == user_id))
    as_payee = session.scalars(select(Receipt).where(Receipt.payee_user_id == user_id))
    records = [_receipt(r, "payer") for r in as_payer] + [_receipt(r, "payee") for r in as_payee]
    return sorted(records, key=lambda r: (r["issued_at"], r["id"], r["role"]))


def _receipt(r: Receipt, role: str) -> dict:
    """The professional's Stripe account is theirs: in the payee's copy only."""
    return {
        "id": r.id,
        "role": role,
        "booking_id": r.booking_id,
        "booking_payment_id": r.booking_payment_id,
        "payer_user_id": r.payer_user_id,
        "payee_user_id": r.payee_user_id,
        "kind": r.kind,
        "price_cents": r.price_cents,
        "amount_cents": r.amount_cents,
        "processor_fee_cents": r.processor_fee_cents,
        "platform_fee_cents": r.platform_fee_cents,
        "currency": r.currency,
        "destination_account": r.destination_account if role == "payee" else None,
        "issued_at": r.issued_at,
    }


def _payout_accounts(session: Session, user_id: str) -> list[dict]:
    accounts = session.scalars(
        select(PayoutAccount)
        .where(PayoutAccount.user_id == user_id)
        .order_by(PayoutAccount.created_at, PayoutAccount.id)
    )
    return [
        {"id": a.id, "stripe_account_id": a.stripe_account_id, "created_at": a.created_at}
        for a in accounts
    ]
