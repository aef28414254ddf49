"""A person's money records: dues invoices as a member, receipts as a client or a professional.

`GET /v1/me/invoices` lists both kinds newest first in one list. The list is paged by a
keyset cursor over (issued_at, id), merged across the two tables, so a page never repeats or
skips a record when new ones arrive while someone is paging.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime

from loconomics_plumbing.errors import field_error
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..models import MembershipInvoice, Receipt

MAX_LIMIT = 100


def encode_cursor(issued_at: datetime, record_id: str) -> str:
    raw = json.dumps([issued_at.isoformat(), record_id]).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        issued_at, record_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        moment = datetime.fromisoformat(issued_at)
        if moment.tzinfo is None or not isinstance(record_id, str):
            raise ValueError(cursor)
        return moment, record_id
    except (ValueError, TypeError, UnicodeError) as exc:
        raise field_error("cursor", "not a cursor from a previous page") from exc


def _money(amount_cents: int, currency: str) -> dict:
    return {"amount_cents": amount_cents, "currency": currency}


def _invoice_record(invoice: MembershipInvoice) -> dict:
    return {
        "id": invoice.id,
        "kind": "membership_invoice",
        "role": "member",
        "issued_at": invoice.issued_at,
        "status": invoice.status,
        "amount": _money(invoice.amount_due_cents, invoice.currency),
        "invoice": {
            "stripe_invoice_id": invoice.stripe_invoice_id,
            "plan_id": invoice.plan_id,
            "amount_due": _money(invoice.amount_due_cents, invoice.currency),
            "amount_paid": _money(invoice.amount_paid_cents, invoice.currency),
            "period_start": invoice.period_start,
            "period_end": invoice.period_end,
            "paid_at": invoice.paid_at,
        },
        "receipt": None,
    }


def _receipt_record(receipt: Receipt, user_id: str) -> dict:
    return {
        "id": receipt.id,
        "kind": "booking_payment" if receipt.kind == "payment" else "booking_refund",
        "role": "payer" if receipt.payer_user_id == user_id else "payee",
        "issued_at": receipt.issued_at,
        "status": "paid" if receipt.kind == "payment" else "refunded",
        "amount": _money(receipt.amount_cents, receipt.currency),
        "invoice": None,
        "receipt": {
            "booking_id": receipt.booking_id,
            "price": _money(receipt.price_cents, receipt.currency),
            "amount": _money(receipt.amount_cents, receipt.currency),
            "processor_fee": _money(receipt.processor_fee_cents, receipt.currency),
            "platform_fee": _money(receipt.platform_fee_cents, receipt.currency),
            "destination_account": receipt.destination_account,
        },
    }


def _after(column_at, column_id, cursor: tuple[datetime, str] | None):
    if cursor is None:
        return True
    at, record_id = cursor
    return or_(column_at < at, and_(column_at == at, column_id < record_id))


def list_records(
    session: Session, user_id: str, limit: int = 20, cursor: str | None = None
) -> dict:
    """One page: `{"items": [...], "next_cursor": str | None}`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise field_error("limit", f"between 1 and {MAX_LIMIT}")
    position = decode_cursor(cursor) if cursor else None
    invoices = session.scalars(
        select(MembershipInvoice)
        .where(
            MembershipInvoice.user_id == user_id,
            _after(MembershipInvoice.issued_at, MembershipInvoice.id, position),
        )
        .order_by(MembershipInvoice.issued_at.desc(), MembershipInvoice.id.desc())
        .limit(limit + 1)
    ).all()
    receipts = session.scalars(
        select(Receipt)
        .where(
            or_(Receipt.payer_user_id == user_id, Receipt.payee_user_id == user_id),
            _after(Receipt.issued_at, Receipt.id, position),
        )
        .order_by(Receipt.issued_at.desc(), Receipt.id.desc())
        .limit(limit + 1)
    ).all()
    merged = sorted(
        [_invoice_record(invoice) for invoice in invoices]
        + [_receipt_record(receipt, user_id) for receipt in receipts],
        key=lambda record: (record["issued_at"], record["id"]),
        reverse=True,
    )
    page = merged[:limit]
    next_cursor = None
    if len(merged) > limit:
        last = page[-1]
        next_cursor = encode_cursor(last["issued_at"], last["id"])
    return {"items": page, "next_cursor": next_cursor}
