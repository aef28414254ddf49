"""Membership invoices as Stripe describes them, and the dues they record for patronage.

`apply_invoice_state` is a function of the invoice's current state at Stripe: applying it
once or five times, before or after other events, leaves the same rows. Dues are recorded once
per paid invoice (a unique row), so governance's patronage never counts a payment twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import DuesPayment, Membership, MembershipInvoice
from .customers import user_for_customer
from .events import Emit
from .plans import plan_for_stripe_plan
from .stripe_state import InvoiceState

FISCAL_YEAR_START_MONTH = 1
RECORDED_STATUSES = frozenset({"open", "paid", "void", "uncollectible"})


def fiscal_year(at: datetime, start_month: int = FISCAL_YEAR_START_MONTH) -> int:
    """The fiscal year containing `at` (UTC), named by the calendar year in which it ends.

    With the default January start it is the calendar year; with a July start, July 2025 to
    June 2026 is fiscal year 2026.
    """
    if start_month == 1 or at.month < start_month:
        return at.year
    return at.year + 1


def find_invoice(session: Session, stripe_invoice_id: str) -> MembershipInvoice | None:
    return session.scalars(
        select(MembershipInvoice).where(MembershipInvoice.stripe_invoice_id == stripe_invoice_id)
    ).first()


def _member_billed(session: Session, state: InvoiceState) -> str | None:
    """Whose invoice it is: its customer's, or, once a closed account's customer row is gone,
    the member whose subscription it bills (so a late webhook still completes their records)."""
    return user_for_customer(session, state.customer_id) or session.scalar(
        select(Membership.user_id).where(Membership.stripe_subscription_id == state.subscription_id)
    )


def apply_invoice_state(
    session: Session, state: InvoiceState, now: datetime, emit: Emit
) -> MembershipInvoice | None:
    """Record a subscription invoice; drafts and invoices of nobody billing knows are skipped."""
    if state.subscription_id is None or state.status not in RECORDED_STATUSES:
        return None
    user_id = _member_billed(session, state)
    if user_id is None:
        return None
    invoice = find_invoice(session, state.id)
    if invoice is None:
        invoice = MembershipInvoice(
            stripe_invoice_id=state.id, user_id=user_id, failed_attempts_reported=0
        )
        session.add(invoice)
    plan = plan_for_stripe_plan(state.stripe_plan_id)
    invoice.stripe_subscription_id = state.subscription_id
    invoice.plan_id = plan.id if plan else None
    invoice.status = state.status
    invoice.amount_due_cents = state.amount_due_cents
    invoice.amount_paid_cents = state.amount_paid_cents
    invoice.currency = state.currency
    invoice.period_start = state.period_start
    invoice.period_end = state.period_end
    invoice.paid_at = state.paid_at if state.status == "paid" else None
    invoice.issued_at = state.created_at or invoice.issued_at or now
    invoice.updated_at = now
    session.flush()
    if state.status == "paid" and state.amount_paid_cents > 0:
        _record_dues(session, invoice, state, now, emit)
    if state.payment_failed and state.attempt_count > invoice.failed_attempts_reported:
        invoice.failed_attempts_reported = state.attempt_count
        emit(
            "payment_failed",
            {
                "user_id": user_id,
                "invoice_id": state.id,
                "amount_cents": state.amount_due_cents,
                "currency": state.currency,
                "attempt_count": state.attempt_count,
                "failed_at": now.isoformat(),
            },
        )
    return invoice


def _record_dues(
    session: Session, invoice: MembershipInvoice, state: InvoiceState, now: datetime, emit: Emit
) -> None:
    exists = session.scalar(select(DuesPayment.id).where(DuesPayment.stripe_invoice_id == state.id))
    if exists is not None:
        return
    paid_at = state.paid_at or now
    dues = DuesPayment(
        stripe_invoice_id=state.id,
        user_id=invoice.user_id,
        amount_cents=state.amount_paid_cents,
        currency=state.currency,
        paid_at=paid_at,
        fiscal_year=fiscal_year(paid_at),
    )
    session.add(dues)
    session.flush()
    emit(
        "dues_paid",
        {
            "user_id": invoice.user_id,
            "invoice_id": state.id,
            "amount_cents": dues.amount_cents,
            "currency": dues.currency,
            "paid_at": paid_at.isoformat(),
            "fiscal_year": dues.fiscal_year,
        },
    )
