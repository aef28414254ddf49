"""Booking payments against a fake Stripe: authorise, schedule, capture, cancel, receipts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from loconomics_billing.domain.booking_payments import (
    authorise_due_payment,
    booking_payment_for,
    describe_booking_payment,
    due_authorisations,
    handle_booking_event,
    link_payout_account,
    reconcile_payment_intent,
    register_payment_method,
)
from loconomics_billing.models import BookingPayment, Receipt
from loconomics_billing.schemas import CONSUMED_EVENTS, BookingPaymentSchema
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound
from loconomics_plumbing.identity import Caller
from sqlalchemy import select

CLIENT = Caller("client-1", frozenset({"client"}))
PRO = "pro-1"
PRICE = 12000


def booking_event(name: str, now, *, start, booking_id="bk-1", client="client-1", **extra):
    """A booking_* event as booking publishes it, loaded with billing's schema."""
    payload = {
        "event_id": f"{name}-{booking_id}",
        "booking_id": booking_id,
        "client_id": client,
        "professional_id": PRO,
        "service_id": "svc-1",
        "status": "confirmed",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "price": {"amount_cents": PRICE, "currency": "USD"},
        **extra,
    }
    return CONSUMED_EVENTS[name]().load(payload)


@pytest.fixture
def on_booking_event(session, fake_stripe, events):
    def handle(name, now, **kwargs):
        return handle_booking_event(
            session, fake_stripe, name, booking_event(name, now, **kwargs), now, events.emit
        )

    return handle


@pytest.fixture
def pro_account(session, now):
    return link_payout_account(session, PRO, "acct_pro1", now)


def receipts(session) -> list[tuple[str, int, int, int]]:
    return [
        (r.kind, r.amount_cents, r.processor_fee_cents, r.platform_fee_cents)
        for r in session.scalars(select(Receipt).order_by(Receipt.issued_at, Receipt.kind))
    ]


def test_a_card_registered_for_a_near_booking_is_authorised_at_confirmation(
    session, events, fake_stripe, now, on_booking_event, pro_account
):
    card = fake_stripe.card()
    register_payment_method(session, fake_stripe, CLIENT, "bk-1", card, now, events.emit)
    payment = on_booking_event("booking_confirmed", now, start=now + timedelta(days=2))

    assert payment.status == "authorised"
    assert payment.destination_account == "acct_pro1" and payment.application_fee_cents == 0
    assert fake_stripe.called("create_payment_intent") == [
        {"amount": PRICE, "manual": True, "off_session": True, "destination": "acct_pro1"}
    ]
    authorised = events.named("booking_payment_authorised")
    assert [(e["amount_cents"], e["destination_account"]) for e in authorised] == [
        (PRICE, "acct_pro1")
    ]
    assert receipts(session) == []


def test_a_far_booking_is_authorised_a_day_before_by_the_timer(
    session, events, fake_stripe, now, on_booking_event
):
    start = now + timedelta(days=10)
    on_booking_event("booking_confirmed", now, start=start)
    payment = register_payment_method(
        session, fake_stripe, CLIENT, "bk-1", fake_stripe.card(), now, events.emit
    )

    assert payment.status == "scheduled"
    assert payment.authorise_at == start - timedelta(hours=24)
    assert fake_stripe.called("create_payment_intent") == []
    assert due_authorisations(session, start - timedelta(hours=25)) == []

    due_at = start - timedelta(hours=24)
    assert [p.booking_id for p in due_authorisations(session, due_at)] == ["bk-1"]
    authorise_due_payment(session, fake_stripe, "bk-1", due_at, events.emit)

    assert payment.status == "authorised"
    assert due_authorisations(session, due_at) == []
    assert len(events.named("booking_payment_authorised")) == 1


def test_exactly_six_days_ahead_is_authorised_at_once(
    session, events, fake_stripe, now, on_booking_event
):
    register_payment_method(
        session, fake_stripe, CLIENT, "bk-1", fake_stripe.card(), now, events.emit
    )
    payment = on_booking_event("booking_confirmed", now, start=now + timedelta(days=6))
    assert payment.status == "authorised"


def test_performed_captures_the_price_with_a_zero_platform_fee_receipt(
    session, events, fake_stripe, now, on_booking_event
):
    register_payment_method(
        session, fake_stripe, CLIENT, "bk-1", fake_stripe.card(), now, events.emit
    )
    start = now + timedelta(days=1)
    on_booking_event("booking_confirmed", now, start=start)
    after = start + timedelta(hours=1)

    payment = on_booking_event("booking_performed", after, start=start)
    on_booking_event("booking_completed", after + timedelta(days=1), start=start)

    assert payment.status == "captured" and payment.captured_cents == PRICE
    assert fake_stripe.called("capture") == [{"amount": None}]
    # 2.9% of 120.00 is 3.48, plus 0.30.
    assert receipts(session) == [("payment", PRICE, 378, 0)]
    captured = events.named("booking_payment_captured")
    assert [
        (e["amount_cents"], e["processor_fee_cents"], e["platform_fee_cents"]) for e in captured
    ] == [(PRICE, 378, 0)]


def test_a_late_cancellation_captures_the_fee_and_releases_the_rest(
    session, events, fake_stripe, now, on_booking_event
):
    register_payment_method(
        session, fake_stripe, CLIENT, "bk-1", fake_stripe.card(), now, events.emit
    )
    start = now + timedelta(hours=20)
    on_booking_event("booking_confirmed", now, start=start)

    payment = on_booking_event(
        "booking_cancelled",
        now,
        start=start,
        fee_cents=6000,
        refund_cents=6000,
        cancelled_by="client",
        no_show=False,
        kept_percent=50,
    )

    assert payment.status == "fee_captured" and payment.captured_cents == 6000
    assert fake_stripe.called("capture") == [{"amount": 6000}]
    assert receipts(session) == [("payment", 6000, 204, 0)]
    released = events.named("booking_payment_released")
    assert [(e["released_cents"], e["refunded_cents"], e["kept_cents"]) for e in released] == [
        (6000, 0, 6000)
    ]


def test_a_free_cancellation_cancels_the_hold(session, events, fake_stripe, now, on_booking_event):
    register_payment_method(
        session, fake_stripe, CLIENT, "bk-1", fake_stripe.card(), now, events.emit
    )
    start = now + timedelta(days=3)
    on_booking_event("booking_confirmed", now, start=start)

    payment = on_booking_event(
        "booking_cancelled", now, start=start, fee_cents=0, refund_cents=PRICE
    )

    assert payment.status == "released"
    assert len(fake_stripe.called("cancel_intent")) == 1 and fake_stripe.called("capture") == []
    assert receipts(session) == []
    assert [
        (e["released_cents"], e["reason"]) for e in events.named("booking_payment_released")
    ] == [(PRICE, "cancelled")]


def test_cancelling_after_capture_refunds_all_but_the_fee(
    session, events, fake_stripe, now, on_booking_event
):
    register_payment_method(
        session, fake_stripe, CLIENT, "bk-1", fake_stripe.card(), now, events.emit
    )
    start = now + timedelta(hours=2)
    on_booking_event("booking_confirmed", now, start=start)
    on_booking_event("booking_performed", start + timedelta(hours=1), start=start)

    payment = on_booking_event(
        "booking_cancelled",
        start + timedelta(hours=3),
        start=start,
        fee_cents=3000,
        refund_cents=9000,
        reason="dispute",
    )

    assert payment.status == "fee_captured" and payment.captured_cents == 3000
    assert fake_stripe.called("refund") == [{"amount": 9000}]
    assert receipts(session) == [("payment", PRICE, 378, 0), ("refund", 9000, 0, 0)]
    assert events.named("booking_payment_released")[-1]["refunded_cents"] == 9000


def test_a_declined_booking_releases_a_card_waiting_for_confirmation(
    session, events, fake_stripe, now, on_booking_event
):
    start = now + timedelta(days=2)
    on_booking_event("booking_requested", now, start=start)
    register_payment_method(
        session, fake_stripe, CLIENT, "bk-1", fake_stripe.card(), now, events.emit
    )

    payment = on_booking_event(
        "booking_declined", now, start=start, fee_cents=0, refund_cents=PRICE, declined_by="pro"
    )

    assert payment.status == "released"
    assert fake_stripe.called("create_payment_intent") == []
    assert events.named("booking_payment_released")[0]["reason"] == "declined"


def test_a_late_cancellation_before_the_hold_charges_just_the_fee(
    session, events, fake_stripe, now, on_booking_event
):
    start = now + timedelta(days=8)
    on_booking_event("booking_confirmed", now, start=start)
    register_payment_method(
        session, fake_stripe, CLIENT, "bk-1", fake_stripe.card(), now, events.emit
    )

    payment = on_booking_event(
        "booking_cancelled", now, start=start, fee_cents=PRICE // 2, refund_cents=PRICE // 2
    )

    assert payment.status == "fee_captured"
    assert fake_stripe.called("create_payment_intent")[-1]["manual"] is False
    assert receipts(session) == [("payment", PRICE // 2, 204, 0)]


def test_a_declined_card_fails_and_another_card_can_retry(
    session, events, fake_stripe, now, on_booking_event
):
    on_booking_event("booking_confirmed", now, start=now + timedelta(days=1))
    failed = register_payment_method(
        session,
        fake_stripe,
        CLIENT,
        "bk-1",
        fake_stripe.card("declined_on_charge"),
        now,
        events.emit,
    )
    assert failed.status == "failed" and failed.failure_reason == "insufficient_funds"
    assert [e["reason"] for e in events.named("booking_payment_failed")] == ["insufficient_funds"]

    retried = register_payment_method(
        session, fake_stripe, CLIENT, "bk-1", fake_stripe.card(), now, events.emit
    )
    assert retried.status == "authorised" and retried.failure_reason is None
    assert fake_stripe.called("create_payment_intent")[-1]["off_session"] is False


def test_only_the_client_pays_and_a_settled_payment_takes_no_new_card(
    session, events, fake_stripe, now, on_booking_event
):
    on_booking_event("booking_confirmed", now, start=now + timedelta(days=1))
    with pytest.raises(Forbidden):
        register_payment_method(
            session,
            fake_stripe,
            Caller("stranger", frozenset({"client"})),
            "bk-1",
            fake_stripe.card(),
            now,
            events.emit,
        )
    register_payment_method(
        session, fake_stripe, CLIENT, "bk-1", fake_stripe.card(), now, events.emit
    )
    with pytest.raises(Conflict):
        register_payment_method(
            session, fake_stripe, CLIENT, "bk-1", fake_stripe.card(), now, events.emit
        )
    with pytest.raises(Invalid):
        register_payment_method(
            session, fake_stripe, CLIENT, "bk-2", "pm_unknown", now, events.emit
        )


def test_a_card_claimed_by_someone_else_is_dropped_at_confirmation(
    session, events, fake_stripe, now, on_booking_event
):
    intruder = Caller("intruder", frozenset({"client"}))
    register_payment_method(
        session, fake_stripe, intruder, "bk-1", fake_stripe.card(), now, events.emit
    )

    payment = on_booking_event("booking_confirmed", now, start=now + timedelta(days=1))

    assert payment.client_user_id == "client-1"
    assert payment.payment_method_id is None and payment.status == "awaiting_payment_method"
    assert fake_stripe.called("create_payment_intent") == []


def test_performed_without_a_card_reports_the_failure(
    session, events, fake_stripe, now, on_booking_event
):
    start = now + timedelta(days=1)
    on_booking_event("booking_confirmed", now, start=start)
    payment = on_booking_event("booking_performed", start + timedelta(hours=1), start=start)
    assert payment.status == "failed"
    assert events.named("booking_payment_failed")[0]["reason"] == "no_payment_method"


def test_a_cancellation_heard_before_the_confirmation_wins(
    session, events, fake_stripe, now, on_booking_event
):
    start = now + timedelta(days=1)
    on_booking_event("booking_cancelled", now, start=start, fee_cents=0, refund_cents=PRICE)
    with pytest.raises(Conflict):
        register_payment_method(
            session, fake_stripe, CLIENT, "bk-1", fake_stripe.card(), now, events.emit
        )
    payment = on_booking_event("booking_confirmed", now, start=start)

    assert payment.status == "released" and payment.client_user_id == "client-1"
    assert fake_stripe.called("create_payment_intent") == []


def test_rescheduling_far_ahead_releases_the_hold_until_the_day_before(
    session, events, fake_stripe, now, on_booking_event
):
    register_payment_method(
        session, fake_stripe, CLIENT, "bk-1", fake_stripe.card(), now, events.emit
    )
    on_booking_event("booking_confirmed", now, start=now + timedelta(days=2))
    new_start = now + timedelta(days=20)

    payment = on_booking_event("booking_rescheduled", now, start=new_start)

    assert payment.status == "scheduled" and payment.payment_intent_id is None
    assert payment.authorise_at == new_start - timedelta(hours=24)
    assert events.named("booking_payment_released")[0]["reason"] == "rescheduled"


def test_a_webhook_repairs_a_capture_whose_transaction_was_lost(
    session, events, fake_stripe, now, on_booking_event
):
    register_payment_method(
        session, fake_stripe, CLIENT, "bk-1", fake_stripe.card(), now, events.emit
    )
    payment = on_booking_event("booking_confirmed", now, start=now + timedelta(hours=5))
    fake_stripe.capture_payment_intent(payment.payment_intent_id, None)

    reconcile_payment_intent(session, fake_stripe, payment.payment_intent_id, now, events.emit)
    reconcile_payment_intent(session, fake_stripe, payment.payment_intent_id, now, events.emit)

    assert payment.status == "captured"
    assert receipts(session) == [("payment", PRICE, 378, 0)]
    assert len(events.named("booking_payment_captured")) == 1


def test_the_payment_result_matches_its_schema(session, events, fake_stripe, now, on_booking_event):
    register_payment_method(
        session, fake_stripe, CLIENT, "bk-1", fake_stripe.card(), now, events.emit
    )
    payment = on_booking_event("booking_confirmed", now, start=now + timedelta(hours=5))

    dumped = BookingPaymentSchema().dump(describe_booking_payment(payment))

    assert BookingPaymentSchema().validate(dumped) == {}
    assert dumped["platform_fee"] == {"amount_cents": 0, "currency": "USD"}
    assert dumped["estimated_processor_fee"] == {"amount_cents": 378, "currency": "USD"}
    assert session.scalars(select(BookingPayment.status)).all() == ["authorised"]


def test_a_payment_is_visible_to_its_parties_only(
    session, events, fake_stripe, now, on_booking_event
):
    on_booking_event("booking_confirmed", now, start=now + timedelta(days=1))

    assert booking_payment_for(session, CLIENT, "bk-1").booking_id == "bk-1"
    assert booking_payment_for(session, Caller(PRO, frozenset({"professional"})), "bk-1")
    assert booking_payment_for(session, Caller("ops", frozenset({"admin"})), "bk-1")
    with pytest.raises(NotFound):
        booking_payment_for(session, Caller("stranger", frozenset({"client"})), "bk-1")
