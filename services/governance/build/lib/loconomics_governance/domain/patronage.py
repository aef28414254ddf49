"""Patronage: the business each member does with the cooperative, and the year-end
allocation of a surplus in proportion to it.

Records come from events (dues paid, from billing; bookings completed, from booking),
one row per source event, so a redelivered event counts once. A member's points for a
fiscal year are dues dollars x `points_per_dues_dollar` + completed bookings x
`points_per_completed_booking` (the policy's basis, stored with every allocation).

The board (an administrator) proposes an allocation of a year's surplus; it goes to the
members as an ordinary proposal and is approved when that proposal passes, rejected
otherwise. On approval every member with a share gets a `patronage_allocated` notice.
Shares are exact to the cent (largest remainder over exact points, so they sum to the
surplus), each split into cash, rounded up so no member gets less than the allocation's
cash percent (never below the policy's minimum), and retained. Who shares: members who
have been active at some time and have patronage in that year.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from loconomics_plumbing.errors import Conflict, Invalid, NotFound
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import (
    Member,
    PatronageAllocation,
    PatronageRecord,
    PatronageShare,
    Proposal,
)
from ..policy import DEFAULT_POLICY, GovernancePolicy
from .access import Caller, require_admin, require_signed_in
from .apportion import cash_part, largest_remainder
from .decisions import ORDINARY, PASSED
from .identifiers import new_id
from .moments import utc
from .proposals import put_forward

PROPOSED = "proposed"
APPROVED = "approved"
REJECTED = "rejected"

Emit = Callable[[str, dict], None]


def fiscal_year_of(moment: datetime, policy: GovernancePolicy = DEFAULT_POLICY) -> int:
    """The fiscal year `moment` falls in, named by the calendar year the fiscal year ends in."""
    local = utc("occurred_at", moment).astimezone(ZoneInfo(policy.fiscal_time_zone))
    if policy.fiscal_year_start_month == 1 or local.month < policy.fiscal_year_start_month:
        return local.year
    return local.year + 1


def record_patronage(
    session: Session,
    external_id: str,
    occurred_at: datetime,
    source_event_id: str,
    dues_cents: int = 0,
    currency: str | None = None,
    completed_bookings: int = 0,
    *,
    now: datetime,
    policy: GovernancePolicy = DEFAULT_POLICY,
) -> dict:
    """Count one event's patronage, once per `source_event_id`. Emits nothing."""
    errors: dict[str, list[str]] = {}
    if not external_id:
        errors["external_id"] = ["is required"]
    if not source_event_id:
        errors["source_event_id"] = ["is required, so a repeated event counts once"]
    if dues_cents < 0:
        errors["dues_cents"] = ["must not be negative"]
    if completed_bookings < 0:
        errors["completed_bookings"] = ["must not be negative"]
    if dues_cents == 0 and completed_bookings == 0:
        errors["dues_cents"] = ["give dues paid or completed bookings"]
    if dues_cents and (currency or policy.currency) != policy.currency:
        errors["currency"] = [f"patronage is counted in {policy.currency}"]
    if errors:
        raise Invalid("The patronage record is not valid.", errors)
    occurred_at = utc("occurred_at", occurred_at)
    fiscal_year = fiscal_year_of(occurred_at, policy)
    seen = session.scalars(
        select(PatronageRecord.id).where(PatronageRecord.source_event_id == source_event_id)
    ).first()
    if seen is None:
        session.add(
            PatronageRecord(
                id=new_id(),
                external_id=external_id,
                fiscal_year=fiscal_year,
                dues_cents=dues_cents,
                currency=policy.currency,
                completed_bookings=completed_bookings,
                occurred_at=occurred_at,
                recorded_at=now,
                source_event_id=source_event_id,
            )
        )
        session.flush()
    return {"recorded": seen is None, "fiscal_year": fiscal_year}


def member_patronage(
    session: Session, caller: Caller, policy: GovernancePolicy = DEFAULT_POLICY
) -> dict:
    """The caller's patronage by fiscal year, with their share of any live allocation."""
    external_id = require_signed_in(caller)
    rows = session.execute(
        select(
            PatronageRecord.fiscal_year,
            func.sum(PatronageRecord.dues_cents),
            func.sum(PatronageRecord.completed_bookings),
        )
        .where(PatronageRecord.external_id == external_id)
        .group_by(PatronageRecord.fiscal_year)
        .order_by(PatronageRecord.fiscal_year.desc())
    ).all()
    shares = {
        allocation.fiscal_year: (allocation, share)
        for allocation, share in session.execute(
            select(PatronageAllocation, PatronageShare)
            .join(PatronageShare, PatronageShare.allocation_id == PatronageAllocation.id)
            .where(
                PatronageShare.external_id == external_id,
                PatronageAllocation.status != REJECTED,
            )
        ).all()
    }
    basis = _basis(policy)
    years = []
    for fiscal_year, dues, bookings in rows:
        entry = {
            "fiscal_year": fiscal_year,
            "dues": {"amount_cents": dues, "currency": policy.currency},
            "completed_bookings": bookings,
            "points": _points(dues, bookings, basis),
            "allocation": None,
        }
        if fiscal_year in shares:
            allocation, share = shares[fiscal_year]
            entry["allocation"] = {
                "allocation_id": allocation.id,
                "status": allocation.status,
                **_share_view(share, allocation.currency),
            }
        years.append(entry)
    return {"external_id": external_id, "years": years}


def year_patronage(
    session: Session, caller: Caller, fiscal_year: int, policy: GovernancePolicy = DEFAULT_POLICY
) -> dict:
    """Every member's patronage for a year, and its allocation if any (administrators)."""
    require_admin(caller)
    basis = _basis(policy)
    totals = _year_totals(session, fiscal_year)
    members = [
        {
            "external_id": external_id,
            "name": name,
            "dues": {"amount_cents": dues, "currency": policy.currency},
            "completed_bookings": bookings,
            "points": _points(dues, bookings, basis),
        }
        for external_id, (name, dues, bookings) in sorted(totals.items())
    ]
    allocation = session.scalars(
        select(PatronageAllocation)
        .where(PatronageAllocation.fiscal_year == fiscal_year)
        .order_by(PatronageAllocation.created_at.desc())
    ).first()
    return {
        "fiscal_year": fiscal_year,
        "basis": basis,
        "members": members,
        "total_points": sum((m["points"] for m in members), Decimal(0)),
        "allocation": allocation_view(session, allocation) if allocation else None,
    }


def propose_allocation(
    session: Session,
    emit: Emit,
    caller: Caller,
    fiscal_year: int,
    surplus_cents: int,
    cash_percent: int,
    currency: str | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    *,
    now: datetime,
    policy: GovernancePolicy = DEFAULT_POLICY,
) -> dict:
    """The board proposes sharing `surplus_cents` of `fiscal_year`; the members decide."""
    user_id = require_admin(caller)
    errors: dict[str, list[str]] = {}
    if surplus_cents <= 0:
        errors["surplus"] = ["must be more than zero"]
    if (currency or policy.currency) != policy.currency:
        errors["currency"] = [f"the surplus is shared in {policy.currency}"]
    if not policy.minimum_cash_percent <= cash_percent <= 100:
        errors["cash_percent"] = [
            f"must be between {policy.minimum_cash_percent} and 100: at least "
            f"{policy.minimum_cash_percent}% of each member's share is paid in cash"
        ]
    if errors:
        raise Invalid("The allocation is not valid.", errors)
    if session.scalars(
        select(PatronageAllocation.id).where(PatronageAllocation.open_year == fiscal_year)
    ).first():
        raise Conflict("That fiscal year already has an allocation proposed or approved.")
    basis = _basis(policy)
    points = {
        external_id: _points(dues, bookings, basis)
        for external_id, (_, dues, bookings) in _year_totals(session, fiscal_year).items()
    }
    points = {external_id: p for external_id, p in points.items() if p > 0}
    if not points:
        raise Conflict("No member has patronage in that fiscal year.")
    amounts = largest_remainder(surplus_cents, points)
    opens_at = opens_at or now
    closes_at = closes_at or utc("opens_at", opens_at) + policy.allocation_voting_period
    proposal = put_forward(
        session,
        emit,
        user_id,
        f"Patronage allocation for fiscal year {fiscal_year}",
        _explanation(fiscal_year, surplus_cents, policy.currency, cash_percent, len(points)),
        ORDINARY,
        opens_at,
        closes_at,
        policy.quorum_percent,
        now=now,
    )
    allocation = PatronageAllocation(
        id=new_id(),
        fiscal_year=fiscal_year,
        open_year=fiscal_year,
        surplus_cents=surplus_cents,
        currency=policy.currency,
        cash_percent=cash_percent,
        status=PROPOSED,
        proposal_id=proposal.id,
        basis={key: str(value) for key, value in basis.items()},
        created_by=user_id,
        created_at=now,
    )
    session.add(allocation)
    for external_id in sorted(amounts):
        cash, retained = cash_part(amounts[external_id], cash_percent)
        session.add(
            PatronageShare(
                id=new_id(),
                allocation_id=allocation.id,
                external_id=external_id,
                points=format(points[external_id], "f"),
                amount_cents=amounts[external_id],
                cash_cents=cash,
                retained_cents=retained,
            )
        )
    session.flush()
    emit(
        "patronage_allocation_proposed",
        {**_allocation_announcement(allocation), "members": len(amounts)},
    )
    return allocation_view(session, allocation)


def settle_allocations(
    session: Session, emit: Emit, proposal_ids: Iterable[str], *, now: datetime
) -> list[str]:
    """After their proposals close: approve (and notify every member) or reject."""
    ids = list(proposal_ids)
    if not ids:
        return []
    settled = []
    pending = session.execute(
        select(PatronageAllocation, Proposal)
        .join(Proposal, Proposal.id == PatronageAllocation.proposal_id)
        .where(PatronageAllocation.proposal_id.in_(ids), PatronageAllocation.status == PROPOSED)
    ).all()
    for allocation, proposal in pending:
        allocation.decided_at = now
        if proposal.outcome == PASSED:
            allocation.status = APPROVED
            emit("patronage_allocation_approved", _allocation_announcement(allocation))
            for share in _shares(session, allocation.id):
                if share.amount_cents > 0:
                    emit(
                        "patronage_allocated",
                        {
                            "allocation_id": allocation.id,
                            "fiscal_year": allocation.fiscal_year,
                            "external_id": share.external_id,
                            **_share_view(share, allocation.currency),
                        },
                    )
        else:
            allocation.status = REJECTED
            allocation.open_year = None
            emit(
                "patronage_allocation_rejected",
                {**_allocation_announcement(allocation), "outcome": proposal.outcome},
            )
        settled.append(allocation.id)
    session.flush()
    return settled


def allocation_view(session: Session, allocation: PatronageAllocation) -> dict:
    shares = _shares(session, allocation.id)
    return {
        "allocation_id": allocation.id,
        "fiscal_year": allocation.fiscal_year,
        "status": allocation.status,
        "surplus": {"amount_cents": allocation.surplus_cents, "currency": allocation.currency},
        "cash_percent": allocation.cash_percent,
        "proposal_id": allocation.proposal_id,
        "basis": allocation.basis,
        "created_by": allocation.created_by,
        "created_at": allocation.created_at,
        "decided_at": allocation.decided_at,
        "cash_total": {
            "amount_cents": sum(s.cash_cents for s in shares),
            "currency": allocation.currency,
        },
        "retained_total": {
            "amount_cents": sum(s.retained_cents for s in shares),
            "currency": allocation.currency,
        },
        "shares": [
            {"external_id": s.external_id, **_share_view(s, allocation.currency)} for s in shares
        ],
    }


def get_allocation(session: Session, caller: Caller, allocation_id: str) -> dict:
    require_admin(caller)
    allocation = session.get(PatronageAllocation, allocation_id)
    if allocation is None:
        raise NotFound("No allocation with that id.")
    return allocation_view(session, allocation)


def _basis(policy: GovernancePolicy) -> dict[str, Decimal]:
    return {
        "points_per_dues_dollar": policy.points_per_dues_dollar,
        "points_per_completed_booking": policy.points_per_completed_booking,
    }


def _points(dues_cents: int, bookings: int, basis: dict[str, Decimal]) -> Decimal:
    return (
        Decimal(dues_cents) * basis["points_per_dues_dollar"] / 100
        + Decimal(bookings) * basis["points_per_completed_booking"]
    )


def _year_totals(session: Session, fiscal_year: int) -> dict[str, tuple[str | None, int, int]]:
    """(name, dues cents, completed bookings) per member who has ever been active."""
    rows = session.execute(
        select(
            PatronageRecord.external_id,
            Member.name,
            func.sum(PatronageRecord.dues_cents),
            func.sum(PatronageRecord.completed_bookings),
        )
        .join(Member, Member.external_id == PatronageRecord.external_id)
        .where(PatronageRecord.fiscal_year == fiscal_year, Member.joined_at.is_not(None))
        .group_by(PatronageRecord.external_id, Member.name)
    ).all()
    return {external_id: (name, dues, bookings) for external_id, name, dues, bookings in rows}


def _shares(session: Session, allocation_id: str) -> list[PatronageShare]:
    return list(
        session.scalars(
            select(PatronageShare)
            .where(PatronageShare.allocation_id == allocation_id)
            .order_by(PatronageShare.external_id)
        )
    )


def _share_view(share: PatronageShare, currency: str) -> dict:
    return {
        "points": share.points,
        "amount": {"amount_cents": share.amount_cents, "currency": currency},
        "cash": {"amount_cents": share.cash_cents, "currency": currency},
        "retained": {"amount_cents": share.retained_cents, "currency": currency},
    }


def _allocation_announcement(allocation: PatronageAllocation) -> dict:
    return {
        "allocation_id": allocation.id,
        "fiscal_year": allocation.fiscal_year,
        "proposal_id": allocation.proposal_id,
        "surplus": {"amount_cents": allocation.surplus_cents, "currency": allocation.currency},
        "cash_percent": allocation.cash_percent,
    }


def _explanation(
    fiscal_year: int, surplus_cents: int, currency: str, cash_percent: int, members: int
) -> str:
    return (
        f"The board proposes to allocate a surplus of {surplus_cents // 100}."
        f"{surplus_cents % 100:02d} {currency} "
        f"for fiscal year {fiscal_year} to {members} members in proportion to their "
        f"patronage, {cash_percent}% of each share paid in cash and the rest retained. "
        "Voting yes approves the allocation."
    )
