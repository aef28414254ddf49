"""Sharing a sum of cents exactly.

`largest_remainder`: each key gets the whole cents of its exact (rational) share; the cents
left over, fewer than the keys with a fractional part, go one each to the largest
fractional parts, equal ones broken by ascending key, so the result never depends on the
order the weights came in. The parts always sum to the total.

`cash_part`: a member's share split into cash and retained; the cash rounds up, so nobody
receives less than the cash percent of their share in cash.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction


def largest_remainder(
    total: int, weights: Mapping[str, Fraction | Decimal | int]
) -> dict[str, int]:
    if total < 0:
        raise ValueError("the total to share is never negative")
    exact_weights = {key: Fraction(weight) for key, weight in weights.items()}
    if any(weight < 0 for weight in exact_weights.values()):
        raise ValueError("weights are never negative")
    whole = sum(exact_weights.values(), Fraction(0))
    if whole == 0:
        if total:
            raise ValueError("nothing to share in proportion to")
        return dict.fromkeys(exact_weights, 0)
    exact = {key: total * weight / whole for key, weight in exact_weights.items()}
    parts = {key: share.numerator // share.denominator for key, share in exact.items()}
    left_over = total - sum(parts.values())
    by_remainder = sorted(exact, key=lambda key: (-(exact[key] - parts[key]), key))
    for key in by_remainder[:left_over]:
        parts[key] += 1
    return parts


def cash_part(amount_cents: int, cash_percent: int) -> tuple[int, int]:
    """(cash, retained) for one share; cash is at least `cash_percent` of it, to the cent."""
    if amount_cents < 0 or not 0 <= cash_percent <= 100:
        raise ValueError("a share is never negative and a cash percent is a percentage")
    cash = -(-amount_cents * cash_percent // 100)
    return cash, amount_cents - cash
