"""The owner status machine: what a person is to the cooperative, derived, recorded, announced.

The status is never set by hand. It is derived from four facts: the subscription's status at
Stripe, whether its plan is an owner plan, whether the person signed the owner
acknowledgment, and whether an administrator suspended them. Deriving (rather than stepping
through allowed transitions) is what lets webhooks arrive late, twice or shuffled and still
settle on the right status. Every change is kept as a history row and announced as
`owner_status_changed`, which profiles uses to gate features and governance to keep its
member register.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Membership, OwnerStatusChange
from .acknowledgment import signed_acknowledgment
from .events import Emit
from .plans import plan_by_id


class OwnerStatus(StrEnum):
    NOT_YET_OWNER = "not_yet_owner"
    TRIAL = "trial"
    ACTIVE = "active"
    INACTIVE = "inactive"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"


PAST_DUE_STATUSES = frozenset({"past_due", "unpaid", "paused"})
ENDED_STATUSES = frozenset({"canceled"})


def derive_owner_status(
    *,
    subscription_status: str | None,
    owner_plan: bool,
    acknowledged: bool,
    suspended: bool,
) -> OwnerStatus:
    """The status these facts imply; `subscription_status` is Stripe's (see stripe_state).

    - An administrator's suspension overrides everything.
    - No subscription, or one on a plan that carries no ownership: not yet an owner.
    - A running trial is a trial, signed or not; ownership starts with the first paid period.
    - Paid and in good standing: an owner (`active`) only once the acknowledgment is signed.
    - Payment past due: `inactive`; subscription ended: `cancelled`.
    - A first payment that never went through (`incomplete`, `incomplete_expired`): not yet.
    """
    if suspended:
        return OwnerStatus.SUSPENDED
    if subscription_status is None or not owner_plan:
        return OwnerStatus.NOT_YET_OWNER
    if subscription_status == "trialing":
        return OwnerStatus.TRIAL
    if subscription_status == "active":
        return OwnerStatus.ACTIVE if acknowledged else OwnerStatus.NOT_YET_OWNER
    if subscription_status in PAST_DUE_STATUSES:
        return OwnerStatus.INACTIVE
    if subscription_status in ENDED_STATUSES:
        return OwnerStatus.CANCELLED
    return OwnerStatus.NOT_YET_OWNER


def record_owner_status(
    session: Session,
    membership: Membership,
    status: OwnerStatus,
    reason: str,
    now: datetime,
    emit: Emit,
) -> OwnerStatusChange | None:
    """Store a new status with its history row and announce it; the same status is a no-op."""
    previous = membership.owner_status
    if previous == status.value:
        return None
    last = session.scalar(
        select(func.max(OwnerStatusChange.sequence)).where(
            OwnerStatusChange.user_id == membership.user_id
        )
    )
    change = OwnerStatusChange(
        user_id=membership.user_id,
        sequence=(last or 0) + 1,
        from_status=previous,
        to_status=status.value,
        plan_id=membership.plan_id,
        reason=reason,
        changed_at=now,
    )
    session.add(change)
    membership.owner_status = status.value
    membership.updated_at = now
    emit(
        "owner_status_changed",
        {
            "user_id": membership.user_id,
            "from": previous,
            "to": status.value,
            "plan_id": membership.plan_id,
            "reason": reason,
            "changed_at": now.isoformat(),
        },
    )
    return change


def refresh_owner_status(
    session: Session, membership: Membership, reason: str, now: datetime, emit: Emit
) -> OwnerStatus:
    """Derive the status from what billing knows now, and record it if it changed."""
    status = derive_owner_status(
        subscription_status=membership.subscription_status,
        owner_plan=plan_by_id(membership.plan_id).ownership,
        acknowledged=signed_acknowledgment(session, membership.user_id) is not None,
        suspended=membership.suspended,
    )
    record_owner_status(session, membership, status, reason, now, emit)
    return status


def owner_status_history(session: Session, user_id: str) -> list[OwnerStatusChange]:
    return list(
        session.scalars(
            select(OwnerStatusChange)
            .where(OwnerStatusChange.user_id == user_id)
            .order_by(OwnerStatusChange.sequence)
        )
    )
