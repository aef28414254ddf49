"""Cancellation policies: one table that both settles a cancellation and explains it beforehand.

A policy is a list of tiers: "until N hours before the start, keep P% of the
price", then a last tier for everything later. The client is shown the same tiers
(with the deadlines computed for the start they are about to book) that the code
applies when they cancel, so what they read is what they pay.

Rules the cooperative chose:

* A deadline is inclusive: cancelling exactly 24 h before a flexible booking is free.
* A no-show is settled as a cancellation at the start time (the last tier).
* When the professional cancels, declines or lets a request expire, the client gets
  everything back, whatever the policy; so does a client withdrawing a request the
  professional has not confirmed yet.
* A booking cancelled because one of its sides closed their account is refunded in
  full, whichever side closed (`full_refund`).
* The fee is `price * percent / 100` rounded half up to a whole cent, and the refund
  is the rest, so `fee_cents + refund_cents == price_cents` always.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Policy(StrEnum):
    FLEXIBLE = "flexible"
    MODERATE = "moderate"
    STRICT = "strict"


class CancelledBy(StrEnum):
    CLIENT = "client"
    PROFESSIONAL = "professional"
    ADMIN = "admin"
    SYSTEM = "system"


@dataclass(frozen=True)
class Tier:
    """Keep `kept_percent` when cancelling up to `hours_before` the start (None: any later)."""

    hours_before: int | None
    kept_percent: int


TIERS: dict[Policy, tuple[Tier, ...]] = {
    Policy.FLEXIBLE: (Tier(24, 0), Tier(None, 50)),
    Policy.MODERATE: (Tier(24, 0), Tier(None, 100)),
    Policy.STRICT: (Tier(120, 50), Tier(None, 100)),
}

SUMMARIES: dict[Policy, str] = {
    Policy.FLEXIBLE: "Free cancellation until 24 hours before the start; after that, "
    "50% of the price is kept.",
    Policy.MODERATE: "Free cancellation until 24 hours before the start; after that, "
    "the full price is kept.",
    Policy.STRICT: "50% of the price is kept if you cancel 5 days (120 hours) or more before "
    "the start; after that, the full price is kept.",
}


@dataclass(frozen=True)
class Settlement:
    """What happens to the money when a booking ends without being performed."""

    fee_cents: int
    refund_cents: int
    kept_percent: int


def fee_for(price_cents: int, percent: int) -> int:
    """`percent` of the price, rounded half up to a whole cent (integers only)."""
    if price_cents < 0 or not 0 <= percent <= 100:
        raise ValueError("a price is never negative and a percent lies in 0..100")
    return (price_cents * percent * 2 + 100) // 200


def _settle(price_cents: int, percent: int) -> Settlement:
    fee = fee_for(price_cents, percent)
    return Settlement(fee_cents=fee, refund_cents=price_cents - fee, kept_percent=percent)


def full_refund(price_cents: int) -> Settlement:
    return _settle(price_cents, 0)


def kept_percent_at(policy: Policy, start: datetime, at: datetime) -> int:
    """The share of the price kept when a client cancels at `at` a booking starting at `start`."""
    for tier in TIERS[Policy(policy)]:
        if tier.hours_before is None or at <= start - timedelta(hours=tier.hours_before):
            return tier.kept_percent
    raise AssertionError("every policy ends with an open tier")


def settle_cancellation(
    policy: Policy,
    start: datetime,
    price_cents: int,
    cancelled_at: datetime,
    cancelled_by: CancelledBy,
    confirmed: bool = True,
) -> Settlement:
    """Fee and refund for a cancellation; only a client leaving a confirmed booking pays."""
    if cancelled_by is not CancelledBy.CLIENT or not confirmed:
        return full_refund(price_cents)
    return _settle(price_cents, kept_percent_at(policy, start, cancelled_at))


def settle_no_show(policy: Policy, start: datetime, price_cents: int) -> Settlement:
    """A client who does not come pays as if they had cancelled at the start time."""
    return _settle(price_cents, kept_percent_at(policy, start, start))


def describe(
    policy: Policy,
    start: datetime,
    price_cents: int,
    currency: str,
    time_zone: str | None = None,
) -> dict:
    """The policy as the client sees it before booking `start`: deadlines and amounts.

    Each tier says until when (UTC, and in `time_zone` if given) cancelling costs
    what; the last tier has no deadline. JSON-able, for the RPC and the app alike.
    """
    policy = Policy(policy)
    tiers = []
    for tier in TIERS[policy]:
        settlement = _settle(price_cents, tier.kept_percent)
        deadline = None if tier.hours_before is None else start - timedelta(hours=tier.hours_before)
        tiers.append(
            {
                "until": deadline.isoformat() if deadline else None,
                "until_local": _local(deadline, time_zone),
                "hours_before_start": tier.hours_before,
                "kept_percent": tier.kept_percent,
                "fee": {"amount_cents": settlement.fee_cents, "currency": currency},
                "refund": {"amount_cents": settlement.refund_cents, "currency": currency},
                "text": _tier_text(tier, settlement, currency, deadline, time_zone),
            }
        )
    return {
        "policy": policy.value,
        "summary": SUMMARIES[policy],
        "start": start.isoformat(),
        "price": {"amount_cents": price_cents, "currency": currency},
        "no_show": "A no-show counts as a cancellation at the start time.",
        "professional_cancels": "If the professional cancels, declines or does not answer "
        "in time, you get everything back.",
        "tiers": tiers,
    }


def _local(instant: datetime | None, time_zone: str | None) -> str | None:
    if instant is None or time_zone is None:
        return None
    return instant.astimezone(ZoneInfo(time_zone)).isoformat()


def _money(cents: int, currency: str) -> str:
    return f"{cents // 100}.{cents % 100:02d} {currency}"


def _tier_text(
    tier: Tier, settlement: Settlement, currency: str, deadline: datetime | None, zone: str | None
) -> str:
    if deadline is None:
        when = "After that"
    else:
        shown = deadline.astimezone(ZoneInfo(zone)) if zone else deadline
        when = f"Until {shown.strftime('%Y-%m-%d %H:%M %Z')}"
    if settlement.fee_cents == 0:
        return (
            f"{when}: cancel for free, full refund of {_money(settlement.refund_cents, currency)}."
        )
    return (
        f"{when}: {tier.kept_percent}% is kept ({_money(settlement.fee_cents, currency)}), "
        f"refund {_money(settlement.refund_cents, currency)}."
    )
