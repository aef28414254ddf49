"""Booking payments without commission: authorise, capture, release, from booking's events.

The client registers a card for a booking; when the booking is confirmed the price is
authorised (a manual-capture PaymentIntent). A card authorisation lapses after about seven
days, so a start more than six days away is authorised about a day before it, by a timer
(`due_authorisations`). When the service is performed the price is captured. On cancellation
the policy's fee is captured (a partial capture) and the rest released, or refunded if it was
already captured. The professional gets everything: in production the charge is a Connect
destination charge to their account with no application fee; the intended destination is
recorded with the payment either way, and `application_fee_cents` is always 0.

Every change of money goes through `apply_intent_state`, a function of the PaymentIntent as
Stripe reports it, so the synchronous path and a late or repeated webhook agree. Receipts are
issued from the difference between what Stripe says was kept and what receipts already show.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from loconomics_plumbing.errors import Conflict, Forbidden, NotFound
from loconomics_plumbing.identity import Caller
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import BookingPayment, PayoutAccount, Receipt
from ..stripe_gateway import CardDeclined, StripeGateway
from .customers import attach_card, ensure_customer
from .events import Emit
from .processor_fees import estimated_processor_fee
from .stripe_state import IntentState

AUTHORISATION_WINDOW = timedelta(days=6)
AUTHORISE_BEFORE_START = timedelta(hours=24)
DUE_BATCH = 100


class PaymentStatus(StrEnum):
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    AWAITING_PAYMENT_METHOD = "awaiting_payment_method"
    SCHEDULED = "scheduled"
    AUTHORISED = "authorised"
    CAPTURED = "captured"
    FEE_CAPTURED = "fee_captured"
    RELEASED = "released"
    REFUNDED = "refunded"
    FAILED = "failed"


NOT_YET_AUTHORISED = frozenset(
    {
        PaymentStatus.AWAITING_CONFIRMATION,
        PaymentStatus.AWAITING_PAYMENT_METHOD,
        PaymentStatus.SCHEDULED,
        PaymentStatus.FAILED,
    }
)
SETTLED = frozenset(
    {
        PaymentStatus.CAPTURED,
        PaymentStatus.FEE_CAPTURED,
        PaymentStatus.RELEASED,
        PaymentStatus.REFUNDED,
    }
)
CLOSING = frozenset({PaymentStatus.FEE_CAPTURED, PaymentStatus.RELEASED, PaymentStatus.REFUNDED})


def authorisation_time(starts_at: datetime, now: datetime) -> datetime:
    """When to authorise: now, unless the hold would lapse before the start."""
    if starts_at - now > AUTHORISATION_WINDOW:
        return starts_at - AUTHORISE_BEFORE_START
    return now


def find_payment(session: Session, booking_id: str) -> BookingPayment | None:
    return session.scalars(
        select(BookingPayment).where(BookingPayment.booking_id == booking_id).with_for_update()
    ).first()


def _new_payment(booking_id: str, status: PaymentStatus, now: datetime) -> BookingPayment:
    return BookingPayment(
        booking_id=booking_id,
        status=status.value,
        application_fee_cents=0,
        authorisation_attempts=0,
        captured_cents=0,
        created_at=now,
        updated_at=now,
    )


def link_payout_account(
    session: Session, user_id: str, stripe_account_id: str, now: datetime
) -> PayoutAccount:
    """Record the professional's Connect account, where their clients' payments go."""
    account = session.scalars(select(PayoutAccount).where(PayoutAccount.user_id == user_id)).first()
    if account is None:
        account = PayoutAccount(
            user_id=user_id, stripe_account_id=stripe_account_id, created_at=now
        )
        session.add(account)
    account.stripe_account_id = stripe_account_id
    session.flush()
    return account


def _destination_for(session: Session, professional_user_id: str) -> str | None:
    return session.scalar(
        select(PayoutAccount.stripe_account_id).where(PayoutAccount.user_id == professional_user_id)
    )


def _issue_receipt(
    session: Session, payment: BookingPayment, kind: str, amount_cents: int, now: datetime
) -> Receipt:
    receipt = Receipt(
        booking_payment_id=payment.id,
        booking_id=payment.booking_id,
        payer_user_id=payment.client_user_id,
        payee_user_id=payment.professional_user_id,
        kind=kind,
        price_cents=payment.amount_cents or 0,
        amount_cents=amount_cents,
        processor_fee_cents=estimated_processor_fee(amount_cents) if kind == "payment" else 0,
        platform_fee_cents=0,
        currency=payment.currency or "USD",
        destination_account=payment.destination_account,
        issued_at=now,
    )
    session.add(receipt)
    session.flush()
    return receipt


def _kept_by_receipts(session: Session, payment: BookingPayment) -> int:
    rows = session.execute(
        select(Receipt.kind, func.sum(Receipt.amount_cents))
        .where(Receipt.booking_payment_id == payment.id)
        .group_by(Receipt.kind)
    ).all()
    totals = {kind: int(total or 0) for kind, total in rows}
    return totals.get("payment", 0) - totals.get("refund", 0)


def _party_fields(payment: BookingPayment) -> dict:
    return {
        "booking_id": payment.booking_id,
        "client_user_id": payment.client_user_id,
        "professional_user_id": payment.professional_user_id,
    }


def _fail(payment: BookingPayment, reason: str, now: datetime, emit: Emit) -> BookingPayment:
    already = payment.status == PaymentStatus.FAILED and payment.failure_reason == reason
    payment.status = PaymentStatus.FAILED.value
    payment.failure_reason = reason
    payment.updated_at = now
    if not already:
        emit(
            "booking_payment_failed",
            {
                **_party_fields(payment),
                "amount_cents": payment.amount_cents or 0,
                "currency": payment.currency or "USD",
                "reason": reason,
                "failed_at": now.isoformat(),
            },
        )
    return payment


def _status_from_intent(payment: BookingPayment, state: IntentState) -> PaymentStatus | None:
    if state.status == "requires_capture":
        return PaymentStatus.AUTHORISED
    if state.status == "canceled":
        return PaymentStatus.RELEASED
    if state.status == "succeeded":
        if state.net_cents == 0:
            return PaymentStatus.REFUNDED
        if payment.cancelled_at is not None:
            return PaymentStatus.FEE_CAPTURED
        return PaymentStatus.CAPTURED
    if state.status in ("requires_payment_method", "requires_action", "requires_confirmation"):
        return PaymentStatus.FAILED
    return None


def apply_intent_state(
    session: Session,
    payment: BookingPayment,
    state: IntentState,
    now: datetime,
    emit: Emit,
    reason: str,
) -> BookingPayment:
    """Make the payment, its receipts and its events say what Stripe says about the intent."""
    before = PaymentStatus(payment.status)
    after = _status_from_intent(payment, state) or before
    if after == PaymentStatus.FAILED:
        failure = state.failure_code or (
            "authentication_required" if state.status == "requires_action" else "card_declined"
        )
        return _fail(payment, failure, now, emit)
    payment.status = after.value
    payment.updated_at = now
    kept = _kept_by_receipts(session, payment)
    refunded_now = 0
    if state.net_cents > kept:
        captured = state.net_cents - kept
        _issue_receipt(session, payment, "payment", captured, now)
        emit(
            "booking_payment_captured",
            {
                **_party_fields(payment),
                "amount_cents": captured,
                "currency": payment.currency,
                "processor_fee_cents": estimated_processor_fee(captured),
                "platform_fee_cents": 0,
                "destination_account": payment.destination_account,
                "captured_at": now.isoformat(),
            },
        )
    elif state.net_cents < kept:
        refunded_now = kept - state.net_cents
        _issue_receipt(session, payment, "refund", refunded_now, now)
    payment.captured_cents = state.net_cents
    released_hold = 0
    if before == PaymentStatus.AUTHORISED and after in SETTLED:
        released_hold = max(0, state.amount_cents - state.net_cents - refunded_now)
    if after == PaymentStatus.AUTHORISED and before != PaymentStatus.AUTHORISED:
        payment.failure_reason = None
        emit(
            "booking_payment_authorised",
            {
                **_party_fields(payment),
                "amount_cents": state.amount_cents,
                "currency": payment.currency,
                "payment_intent_id": state.id,
                "destination_account": payment.destination_account,
                "authorised_at": now.isoformat(),
            },
        )
    if refunded_now or (after in CLOSING and after != before):
        _emit_released(payment, released_hold, refunded_now, reason, now, emit)
    return payment


def _emit_released(
    payment: BookingPayment,
    released_cents: int,
    refunded_cents: int,
    reason: str,
    now: datetime,
    emit: Emit,
) -> None:
    emit(
        "booking_payment_released",
        {
            **_party_fields(payment),
            "released_cents": released_cents,
            "refunded_cents": refunded_cents,
            "kept_cents": payment.captured_cents,
            "currency": payment.currency or "USD",
            "reason": reason,
            "released_at": now.isoformat(),
        },
    )


def authorise(
    session: Session,
    gateway: StripeGateway,
    payment: BookingPayment,
    now: datetime,
    emit: Emit,
    *,
    off_session: bool,
) -> BookingPayment:
    """Place the hold for the price on the client's card."""
    assert payment.amount_cents and payment.currency and payment.payment_method_id
    payment.authorisation_attempts += 1
    try:
        obj = gateway.create_payment_intent(
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            customer_id=str(payment.stripe_customer_id),
            payment_method_id=payment.payment_method_id,
            capture_manual=True,
            off_session=off_session,
            destination_account=payment.destination_account,
            metadata={
                "booking_id": payment.booking_id,
                "client_user_id": str(payment.client_user_id),
                "professional_user_id": str(payment.professional_user_id),
            },
            idempotency_key=f"booking-{payment.id}-authorise-{payment.authorisation_attempts}",
        )
    except CardDeclined as exc:
        payment.payment_intent_id = exc.payment_intent_id
        return _fail(payment, exc.code, now, emit)
    payment.payment_intent_id = obj["id"]
    return apply_intent_state(
        session, payment, IntentState.from_stripe(obj), now, emit, "authorised"
    )


def _authorise_or_schedule(
    session: Session,
    gateway: StripeGateway,
    payment: BookingPayment,
    now: datetime,
    emit: Emit,
    *,
    off_session: bool,
) -> BookingPayment:
    if payment.confirmed_at is None:
        payment.status = PaymentStatus.AWAITING_CONFIRMATION.value
        return payment
    payment.authorise_at = authorisation_time(payment.starts_at or now, now)
    if payment.payment_method_id is None:
        payment.status = PaymentStatus.AWAITING_PAYMENT_METHOD.value
        return payment
    if payment.authorise_at <= now:
        return authorise(session, gateway, payment, now, emit, off_session=off_session)
    payment.status = PaymentStatus.SCHEDULED.value
    return payment


def _learn_booking(
    payment: BookingPayment,
    *,
    client_user_id: str,
    professional_user_id: str,
    amount_cents: int,
    currency: str,
    now: datetime,
) -> None:
    if payment.client_user_id not in (None, client_user_id):
        payment.payment_method_id = None
        payment.stripe_customer_id = None
    payment.client_user_id = client_user_id
    payment.professional_user_id = professional_user_id
    payment.amount_cents = amount_cents
    payment.currency = currency.upper()
    payment.application_fee_cents = 0
    payment.updated_at = now


def booking_requested(
    session: Session,
    *,
    booking_id: str,
    client_user_id: str,
    professional_user_id: str,
    amount_cents: int,
    currency: str,
    start: datetime,
    now: datetime,
) -> BookingPayment:
    """Learn a requested booking's client and price, so its card can wait for confirmation."""
    payment = find_payment(session, booking_id)
    if payment is None:
        payment = _new_payment(booking_id, PaymentStatus.AWAITING_CONFIRMATION, now)
        session.add(payment)
    if payment.confirmed_at is None and payment.cancelled_at is None:
        _learn_booking(
            payment,
            client_user_id=client_user_id,
            professional_user_id=professional_user_id,
            amount_cents=amount_cents,
            currency=currency,
            now=now,
        )
        payment.starts_at = start
    session.flush()
    return payment


def booking_confirmed(
    session: Session,
    gateway: StripeGateway,
    *,
    booking_id: str,
    client_user_id: str,
    professional_user_id: str,
    amount_cents: int,
    currency: str,
    start: datetime,
    now: datetime,
    emit: Emit,
) -> BookingPayment:
    """Learn the booking's price and parties; authorise now or schedule the authorisation.

    A confirmation of a new start for an authorised booking (a reschedule) moves the hold.
    """
    payment = find_payment(session, booking_id)
    if payment is None:
        payment = _new_payment(booking_id, PaymentStatus.AWAITING_PAYMENT_METHOD, now)
        session.add(payment)
    elif payment.status == PaymentStatus.AUTHORISED and payment.starts_at != start:
        return booking_rescheduled(
            session, gateway, booking_id=booking_id, start=start, now=now, emit=emit
        )
    _learn_booking(
        payment,
        client_user_id=client_user_id,
        professional_user_id=professional_user_id,
        amount_cents=amount_cents,
        currency=currency,
        now=now,
    )
    payment.starts_at = start
    payment.destination_account = _destination_for(session, professional_user_id)
    payment.confirmed_at = payment.confirmed_at or now
    session.flush()
    if payment.cancelled_at is not None or PaymentStatus(payment.status) not in NOT_YET_AUTHORISED:
        return payment
    return _authorise_or_schedule(session, gateway, payment, now, emit, off_session=True)


def register_payment_method(
    session: Session,
    gateway: StripeGateway,
    caller: Caller,
    booking_id: str,
    payment_method_id: str,
    now: datetime,
    emit: Emit,
) -> BookingPayment:
    """`POST /v1/bookings/{id}/payment`: the client's card for this booking.

    It may come before billing hears of the confirmation; the card then waits, and the
    confirmation drops it if the booking turns out to be someone else's.
    """
    user_id = caller.require_user()
    payment = find_payment(session, booking_id)
    if payment is not None and payment.client_user_id not in (None, user_id):
        raise Forbidden("only the booking's client pays for it")
    if payment is None:
        payment = _new_payment(booking_id, PaymentStatus.AWAITING_CONFIRMATION, now)
        payment.client_user_id = user_id
        session.add(payment)
        session.flush()
    if payment.cancelled_at is not None or PaymentStatus(payment.status) not in NOT_YET_AUTHORISED:
        raise Conflict(f"the booking's payment is already {payment.status}")
    customer = ensure_customer(session, gateway, user_id, now)
    attach_card(gateway, customer.stripe_customer_id, payment_method_id, make_default=False)
    payment.payment_method_id = payment_method_id
    payment.stripe_customer_id = customer.stripe_customer_id
    payment.failure_reason = None
    payment.updated_at = now
    return _authorise_or_schedule(session, gateway, payment, now, emit, off_session=False)


def due_authorisations(session: Session, now: datetime) -> list[BookingPayment]:
    """Scheduled authorisations whose time has come, oldest first (for the nameko timer)."""
    return list(
        session.scalars(
            select(BookingPayment)
            .where(
                BookingPayment.status == PaymentStatus.SCHEDULED.value,
                BookingPayment.authorise_at <= now,
            )
            .order_by(BookingPayment.authorise_at, BookingPayment.id)
            .limit(DUE_BATCH)
        )
    )


def authorise_due_payment(
    session: Session, gateway: StripeGateway, booking_id: str, now: datetime, emit: Emit
) -> BookingPayment | None:
    """Authorise one scheduled payment, if it is still scheduled and due (timer-safe)."""
    payment = find_payment(session, booking_id)
    if payment is None or payment.status != PaymentStatus.SCHEDULED:
        return payment
    if payment.authorise_at is None or payment.authorise_at > now:
        return payment
    return authorise(session, gateway, payment, now, emit, off_session=True)


def capture_booking_payment(
    session: Session, gateway: StripeGateway, booking_id: str, now: datetime, emit: Emit
) -> BookingPayment | None:
    """After the service is performed (or completed): take the authorised price."""
    payment = find_payment(session, booking_id)
    if payment is None or payment.cancelled_at is not None:
        return payment
    if payment.status == PaymentStatus.SCHEDULED:
        authorise(session, gateway, payment, now, emit, off_session=True)
    if payment.status == PaymentStatus.AUTHORISED:
        obj = gateway.capture_payment_intent(str(payment.payment_intent_id), None)
        return apply_intent_state(
            session, payment, IntentState.from_stripe(obj), now, emit, "performed"
        )
    if payment.status in (
        PaymentStatus.AWAITING_CONFIRMATION,
        PaymentStatus.AWAITING_PAYMENT_METHOD,
    ):
        return _fail(payment, "no_payment_method", now, emit)
    return payment


def _charge_fee_without_hold(
    session: Session,
    gateway: StripeGateway,
    payment: BookingPayment,
    fee_cents: int,
    now: datetime,
    emit: Emit,
) -> BookingPayment:
    payment.authorisation_attempts += 1
    try:
        obj = gateway.create_payment_intent(
            amount_cents=fee_cents,
            currency=str(payment.currency),
            customer_id=str(payment.stripe_customer_id),
            payment_method_id=str(payment.payment_method_id),
            capture_manual=False,
            off_session=True,
            destination_account=payment.destination_account,
            metadata={"booking_id": payment.booking_id, "purpose": "cancellation_fee"},
            idempotency_key=f"booking-{payment.id}-fee",
        )
    except CardDeclined as exc:
        return _fail(payment, exc.code, now, emit)
    payment.payment_intent_id = obj["id"]
    return apply_intent_state(
        session, payment, IntentState.from_stripe(obj), now, emit, "cancelled"
    )


def booking_cancelled(
    session: Session,
    gateway: StripeGateway,
    *,
    booking_id: str,
    fee_cents: int,
    now: datetime,
    emit: Emit,
    reason: str = "cancelled",
) -> BookingPayment:
    """Keep the policy's fee and give back the rest, whatever stage the payment reached."""
    payment = find_payment(session, booking_id)
    if payment is None:
        payment = _new_payment(booking_id, PaymentStatus.RELEASED, now)
        session.add(payment)
    if payment.cancelled_at is not None:
        return payment
    payment.cancelled_at = now
    payment.fee_cents = fee_cents
    payment.updated_at = now
    session.flush()
    status = PaymentStatus(payment.status)
    if payment.amount_cents is not None:
        fee_cents = min(fee_cents, payment.amount_cents)
    if status == PaymentStatus.AUTHORISED:
        intent_id = str(payment.payment_intent_id)
        if fee_cents > 0:
            obj = gateway.capture_payment_intent(intent_id, fee_cents)
        else:
            obj = gateway.cancel_payment_intent(intent_id)
        return apply_intent_state(session, payment, IntentState.from_stripe(obj), now, emit, reason)
    if status == PaymentStatus.CAPTURED:
        refund = payment.captured_cents - fee_cents
        if refund > 0:
            gateway.refund_payment_intent(str(payment.payment_intent_id), refund)
        obj = gateway.retrieve_payment_intent(str(payment.payment_intent_id))
        if obj is None:
            return payment
        return apply_intent_state(session, payment, IntentState.from_stripe(obj), now, emit, reason)
    if status in NOT_YET_AUTHORISED:
        if fee_cents <= 0:
            payment.status = PaymentStatus.RELEASED.value
            _emit_released(payment, 0, 0, reason, now, emit)
            return payment
        if payment.payment_method_id and payment.amount_cents and payment.stripe_customer_id:
            return _charge_fee_without_hold(session, gateway, payment, fee_cents, now, emit)
        return _fail(payment, "fee_not_collectable", now, emit)
    return payment


def booking_rescheduled(
    session: Session,
    gateway: StripeGateway,
    *,
    booking_id: str,
    start: datetime,
    now: datetime,
    emit: Emit,
) -> BookingPayment | None:
    """Move the authorisation with the start; a hold that would lapse is released for now."""
    payment = find_payment(session, booking_id)
    if payment is None or payment.cancelled_at is not None:
        return payment
    payment.starts_at = start
    payment.updated_at = now
    status = PaymentStatus(payment.status)
    if status == PaymentStatus.AUTHORISED and authorisation_time(start, now) > now:
        obj = gateway.cancel_payment_intent(str(payment.payment_intent_id))
        apply_intent_state(session, payment, IntentState.from_stripe(obj), now, emit, "rescheduled")
        payment.payment_intent_id = None
        payment.status = PaymentStatus.SCHEDULED.value
        payment.authorise_at = authorisation_time(start, now)
        return payment
    if status in (PaymentStatus.SCHEDULED, PaymentStatus.AWAITING_PAYMENT_METHOD):
        return _authorise_or_schedule(session, gateway, payment, now, emit, off_session=True)
    return payment


def reconcile_payment_intent(
    session: Session, gateway: StripeGateway, payment_intent_id: str, now: datetime, emit: Emit
) -> BookingPayment | None:
    """Webhook path: re-read the intent and apply it, if it is a booking's current intent."""
    payment = session.scalars(
        select(BookingPayment)
        .where(BookingPayment.payment_intent_id == payment_intent_id)
        .with_for_update()
    ).first()
    if payment is None:
        return None
    obj = gateway.retrieve_payment_intent(payment_intent_id)
    if obj is None:
        return payment
    return apply_intent_state(session, payment, IntentState.from_stripe(obj), now, emit, "stripe")


def booking_payment_for(session: Session, caller: Caller, booking_id: str) -> BookingPayment:
    """A booking's payment, for its client, its professional or an administrator.

    Anyone else is told it does not exist, so booking ids cannot be probed.
    """
    user_id = caller.require_user()
    payment = session.scalars(
        select(BookingPayment).where(BookingPayment.booking_id == booking_id)
    ).first()
    parties = (payment.client_user_id, payment.professional_user_id) if payment else ()
    if payment is None or (user_id not in parties and not caller.is_admin):
        raise NotFound("no payment for this booking")
    return payment


def receipts_of(session: Session, payment: BookingPayment) -> list[Receipt]:
    return list(
        session.scalars(
            select(Receipt)
            .where(Receipt.booking_payment_id == payment.id)
            .order_by(Receipt.issued_at, Receipt.id)
        )
    )


def describe_receipt(receipt: Receipt) -> dict:
    def money(cents: int) -> dict:
        return {"amount_cents": cents, "currency": receipt.currency}

    return {
        "id": receipt.id,
        "kind": receipt.kind,
        "price": money(receipt.price_cents),
        "amount": money(receipt.amount_cents),
        "processor_fee": money(receipt.processor_fee_cents),
        "platform_fee": money(receipt.platform_fee_cents),
        "destination_account": receipt.destination_account,
        "issued_at": receipt.issued_at,
    }


def describe_booking_payment(
    payment: BookingPayment, receipts: list[Receipt] | None = None
) -> dict:
    """The payment as the RPC result (`BookingPaymentSchema`) shows it, with its receipts."""
    currency = payment.currency or "USD"
    amount = payment.amount_cents or 0
    return {
        "receipts": [describe_receipt(receipt) for receipt in receipts or []],
        "booking_id": payment.booking_id,
        "status": payment.status,
        "price": {"amount_cents": amount, "currency": currency},
        "captured": {"amount_cents": payment.captured_cents, "currency": currency},
        "cancellation_fee": (
            {"amount_cents": payment.fee_cents, "currency": currency}
            if payment.fee_cents is not None
            else None
        ),
        "estimated_processor_fee": {
            "amount_cents": estimated_processor_fee(amount),
            "currency": currency,
        },
        "platform_fee": {"amount_cents": 0, "currency": currency},
        "starts_at": payment.starts_at,
        "authorise_at": payment.authorise_at,
        "payment_method_id": payment.payment_method_id,
        "destination_account": payment.destination_account,
        "failure_reason": payment.failure_reason,
    }


CAPTURING_EVENTS = frozenset({"booking_performed", "booking_completed"})
CLOSING_EVENTS = frozenset({"booking_cancelled", "booking_declined", "booking_expired"})


def handle_booking_event(
    session: Session,
    gateway: StripeGateway,
    name: str,
    event: dict,
    now: datetime,
    emit: Emit,
) -> BookingPayment | None:
    """Apply one of booking's events, loaded with its schema from `schemas.CONSUMED_EVENTS`."""
    booking_id = event["booking_id"]
    parties = {
        "client_user_id": event["client_id"],
        "professional_user_id": event["professional_id"],
        "amount_cents": event["price"]["amount_cents"],
        "currency": event["price"]["currency"],
        "start": event["start"],
    }
    if name == "booking_requested":
        return booking_requested(session, booking_id=booking_id, now=now, **parties)
    if name == "booking_confirmed":
        return booking_confirmed(
            session, gateway, booking_id=booking_id, now=now, emit=emit, **parties
        )
    if name == "booking_rescheduled":
        return booking_rescheduled(
            session, gateway, booking_id=booking_id, start=event["start"], now=now, emit=emit
        )
    if name in CAPTURING_EVENTS:
        return capture_booking_payment(session, gateway, booking_id, now, emit)
    if name in CLOSING_EVENTS:
        return booking_cancelled(
            session,
            gateway,
            booking_id=booking_id,
            fee_cents=event["fee_cents"],
            now=now,
            emit=emit,
            reason=name.removeprefix("booking_"),
        )
    return None
