"""The cooperative's governance policy: the numbers its bylaws set, in one place.

Every cooperative running this service picks its own; the domain takes a
`GovernancePolicy` and never hard-codes them. `DEFAULT_POLICY` is Loconomics'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal


@dataclass(frozen=True)
class GovernancePolicy:
    quorum_percent: int = 10
    """Votes cast (abstentions included) as a share of the roll, for a proposal to count."""

    closing_reminder: timedelta = timedelta(hours=24)
    """How long before a ballot closes the roll is reminded, once."""

    allocation_voting_period: timedelta = timedelta(days=14)
    """How long the members vote on a patronage allocation the board proposes."""

    minimum_cash_percent: int = 20
    """The least share of each member's patronage dividend paid in cash (US IRC 1388(c))."""

    currency: str = "USD"
    fiscal_year_start_month: int = 1
    """Month a fiscal year starts; a fiscal year is named by the calendar year it ends in."""

    fiscal_time_zone: str = "UTC"
    points_per_dues_dollar: Decimal = Decimal("1")
    """Patronage points per dollar of membership dues paid."""

    points_per_completed_booking: Decimal = Decimal("10")
    """Patronage points per booking completed as the professional."""


DEFAULT_POLICY = GovernancePolicy()
