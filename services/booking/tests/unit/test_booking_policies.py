from datetime import UTC, datetime, timedelta

import pytest
from loconomics_booking.domain.policies import (
    CancelledBy,
    Policy,
    describe,
    fee_for,
    settle_cancellation,
    settle_no_show,
)

START = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)


def before(**delta) -> datetime:
    return START - timedelta(**delta)


@pytest.mark.parametrize(
    ("policy", "at", "fee"),
    [
        (Policy.FLEXIBLE, before(hours=48), 0),
        (Policy.FLEXIBLE, before(hours=24), 0),
        (Policy.FLEXIBLE, before(hours=23, minutes=59), 5_000),
        (Policy.FLEXIBLE, START + timedelta(minutes=5), 5_000),
        (Policy.MODERATE, before(hours=24), 0),
        (Policy.MODERATE, before(hours=23), 10_000),
        (Policy.STRICT, before(days=30), 5_000),
        (Policy.STRICT, before(hours=120), 5_000),
        (Policy.STRICT, before(hours=119, minutes=59), 10_000),
        (Policy.STRICT, before(hours=1), 10_000),
    ],
)
def test_client_cancellation_follows_each_policy_tier(policy, at, fee):
    settlement = settle_cancellation(policy, START, 10_000, at, CancelledBy.CLIENT)
    assert settlement.fee_cents == fee
    assert settlement.refund_cents == 10_000 - fee


@pytest.mark.parametrize("by", [CancelledBy.PROFESSIONAL, CancelledBy.ADMIN, CancelledBy.SYSTEM])
@pytest.mark.parametrize("policy", list(Policy))
def test_anyone_but_the_client_cancelling_refunds_everything(policy, by):
    settlement = settle_cancellation(policy, START, 12_345, START - timedelta(hours=1), by)
    assert (settlement.fee_cents, settlement.refund_cents) == (0, 12_345)


def test_withdrawing_an_unconfirmed_request_is_free_even_late():
    settlement = settle_cancellation(
        Policy.STRICT, START, 9_000, before(hours=1), CancelledBy.CLIENT, confirmed=False
    )
    assert (settlement.fee_cents, settlement.refund_cents) == (0, 9_000)


@pytest.mark.parametrize(
    ("policy", "fee"), [("flexible", 2_500), ("moderate", 5_000), ("strict", 5_000)]
)
def test_no_show_is_a_cancellation_at_the_start(policy, fee):
    settlement = settle_no_show(Policy(policy), START, 5_000)
    assert (settlement.fee_cents, settlement.refund_cents) == (fee, 5_000 - fee)


def test_fee_rounds_half_up_and_fee_plus_refund_is_the_price():
    assert fee_for(999, 50) == 500  # 499.5 rounds up
    assert fee_for(997, 50) == 499  # 498.5 rounds up
    assert fee_for(1, 50) == 1
    assert fee_for(3, 33) == 1  # 0.99
    for price in range(0, 2_000, 7):
        for policy in Policy:
            settlement = settle_cancellation(policy, START, price, START, CancelledBy.CLIENT)
            assert settlement.fee_cents + settlement.refund_cents == price
            assert isinstance(settlement.fee_cents, int)


def test_fee_refuses_nonsense():
    with pytest.raises(ValueError):
        fee_for(-1, 50)
    with pytest.raises(ValueError):
        fee_for(100, 101)


def test_description_gives_deadlines_and_amounts_for_the_chosen_start():
    terms = describe(Policy.STRICT, START, 10_001, "USD", "America/New_York")
    assert terms["policy"] == "strict"
    first, last = terms["tiers"]
    assert first["until"] == (START - timedelta(hours=120)).isoformat()
    assert first["until_local"] == "2026-06-05T11:00:00-04:00"
    assert first["fee"] == {"amount_cents": 5_001, "currency": "USD"}
    assert first["refund"] == {"amount_cents": 5_000, "currency": "USD"}
    assert "2026-06-05 11:00 EDT" in first["text"]
    assert last["until"] is None
    assert last["fee"]["amount_cents"] == 10_001
    assert last["refund"]["amount_cents"] == 0


def test_description_matches_what_is_charged():
    for policy in Policy:
        terms = describe(policy, START, 7_777, "EUR")
        for tier in terms["tiers"]:
            at = datetime.fromisoformat(tier["until"]) if tier["until"] else START
            charged = settle_cancellation(policy, START, 7_777, at, CancelledBy.CLIENT)
            assert tier["fee"]["amount_cents"] == charged.fee_cents
