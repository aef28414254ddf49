"""Invoices and receipts listed together, newest first, paged by a stable cursor."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from loconomics_billing.domain.dues import fiscal_year
from loconomics_billing.domain.processor_fees import estimated_processor_fee
from loconomics_billing.domain.records import list_records
from loconomics_billing.models import BookingPayment, MembershipInvoice, Receipt
from loconomics_billing.schemas import RecordPageSchema
from loconomics_plumbing.errors import Invalid


def add_invoice(session, user_id, issued_at, amount=1900):
    invoice = MembershipInvoice(
        stripe_invoice_id=f"in_{issued_at.timestamp():.0f}_{user_id}",
        user_id=user_id,
        status="paid",
        amount_due_cents=amount,
        amount_paid_cents=amount,
        currency="USD",
        issued_at=issued_at,
        paid_at=issued_at,
        updated_at=issued_at,
        failed_attempts_reported=0,
    )
    session.add(invoice)
    session.flush()
    return invoice


def add_receipt(session, payer, payee, issued_at, kind="payment", amount=5000):
    payment = BookingPayment(
        booking_id=f"bk-{issued_at.timestamp():.0f}-{kind}",
        status="captured",
        client_user_id=payer,
        professional_user_id=payee,
        created_at=issued_at,
        updated_at=issued_at,
    )
    session.add(payment)
    session.flush()
    receipt = Receipt(
        booking_payment_id=payment.id,
        booking_id=payment.booking_id,
        payer_user_id=payer,
        payee_user_id=payee,
        kind=kind,
        price_cents=amount,
        amount_cents=amount,
        processor_fee_cents=estimated_processor_fee(amount) if kind == "payment" else 0,
        platform_fee_cents=0,
        currency="USD",
        issued_at=issued_at,
    )
    session.add(receipt)
    session.flush()
    return receipt


def test_pages_merge_invoices_and_receipts_newest_first_without_gaps(session, now):
    expected = []
    for day in range(7):
        moment = now - timedelta(days=day)
        if day % 2:
            expected.append(add_invoice(session, "pat", moment).id)
        else:
            expected.append(add_receipt(session, "pat", "pro", moment).id)
    add_invoice(session, "someone-else", now)
    session.flush()

    seen, cursor, pages = [], None, 0
    while True:
        page = list_records(session, "pat", limit=3, cursor=cursor)
        assert RecordPageSchema().validate(RecordPageSchema().dump(page)) == {}
        seen.extend(item["id"] for item in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == expected and pages == 3


def test_records_arriving_while_paging_do_not_shift_the_next_page(session, now):
    for day in range(4):
        add_invoice(session, "pat", now - timedelta(days=day))
    session.flush()
    first = list_records(session, "pat", limit=2)
    add_invoice(session, "pat", now + timedelta(hours=1))
    session.flush()

    second = list_records(session, "pat", limit=2, cursor=first["next_cursor"])

    older = [item["issued_at"] for item in second["items"]]
    assert older == [now - timedelta(days=2), now - timedelta(days=3)]


def test_a_professional_sees_receipts_as_payee_and_a_client_as_payer(session, now):
    add_receipt(session, "client-9", "pro-9", now)
    add_receipt(
        session, "client-9", "pro-9", now + timedelta(minutes=1), kind="refund", amount=2000
    )
    session.flush()

    as_client = list_records(session, "client-9")["items"]
    as_pro = list_records(session, "pro-9")["items"]

    assert [(r["kind"], r["role"]) for r in as_client] == [
        ("booking_refund", "payer"),
        ("booking_payment", "payer"),
    ]
    assert {r["role"] for r in as_pro} == {"payee"}
    payment = as_client[1]["receipt"]
    assert payment["platform_fee"]["amount_cents"] == 0
    assert payment["processor_fee"]["amount_cents"] == 175


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        _b64('["2026-03-02T15:00:00", "x"]'),
        _b64('["2026-03-02T15:00:00+00:00", 7]'),
        _b64('{"at": 1}'),
    ],
)
def test_a_forged_cursor_is_invalid(session, cursor):
    with pytest.raises(Invalid) as error:
        list_records(session, "pat", cursor=cursor)
    assert "cursor" in error.value.errors


@pytest.mark.parametrize(
    ("amount", "fee"),
    [(0, 0), (1, 30), (17, 30), (18, 31), (1750, 81), (10000, 320), (39000, 1161)],
)
def test_the_processor_fee_is_2_9_percent_half_up_plus_30_cents(amount, fee):
    assert estimated_processor_fee(amount) == fee


def test_the_fiscal_year_is_named_by_the_year_it_ends(now):
    july = now.replace(month=7, day=1)
    assert fiscal_year(now) == 2026
    assert fiscal_year(july, start_month=7) == 2027
    assert fiscal_year(july.replace(month=6, day=30), start_month=7) == 2026
