"""What the card processor keeps from a payment, estimated for receipts.

The cooperative takes no commission (`platform_fee_cents` is always 0), but the card network
and Stripe do take a fee, and members should see it. The estimate uses Stripe's standard US
card pricing, 2.9% + 30 cents per successful charge. Rounding: the percentage part is rounded
half up to the whole cent (1750 cents → 50.75 → 51), then the 30 cents are added. Nothing is
charged, nothing is kept: a zero amount has a zero fee. Stripe does not return its fee on a
refund, so a refund receipt shows no fee of its own.
"""

from __future__ import annotations

PERCENT_PER_MILLE = 29
FIXED_CENTS = 30


def estimated_processor_fee(amount_cents: int) -> int:
    if amount_cents <= 0:
        return 0
    return (amount_cents * PERCENT_PER_MILLE + 500) // 1000 + FIXED_CENTS
