"""The membership plans, as data, and their idempotent sync into Stripe.

Plans live in code (reviewed, versioned) rather than in a table, and Stripe is told about them
by `sync_plans`, which is safe to run on every deploy. Stripe ids are stable strings
(`loconomics-owner-growth-monthly`), so a sync looks objects up by id instead of searching.
A Stripe plan's price and interval cannot change after creation; if the data here disagrees
with Stripe on those, sync stops with `PlanDrift` and a new plan id (e.g. `...-v2`) is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loconomics_plumbing.errors import Conflict, NotFound

from ..stripe_gateway import StripeGateway

OWNER_TRIAL_DAYS = 14

BASE_FEATURES = ("public_profile", "client_bookings", "messaging", "booking_payments")
OWNER_FEATURES = BASE_FEATURES + (
    "ownership_and_vote",
    "patronage_dividends",
    "calendar_sync",
    "instant_booking",
)
PRO_FEATURES = OWNER_FEATURES + ("unlimited_listings", "booking_analytics", "priority_support")


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    description: str
    amount_cents: int
    currency: str
    interval: str | None
    ownership: bool
    max_listings: int | None
    features: tuple[str, ...]
    trial_days: int = 0
    stripe_product_id: str | None = None
    stripe_product_name: str | None = None

    @property
    def stripe_plan_id(self) -> str | None:
        """Free needs no Stripe object: nobody is asked for a card to stay on it."""
        return f"loconomics-{self.id}" if self.amount_cents else None

    @property
    def is_paid(self) -> bool:
        return self.amount_cents > 0


FREE = Plan(
    id="free",
    name="Free",
    description="A public profile and one listing. No ownership.",
    amount_cents=0,
    currency="USD",
    interval=None,
    ownership=False,
    max_listings=1,
    features=BASE_FEATURES,
)
OWNER_GROWTH_MONTHLY = Plan(
    id="owner-growth-monthly",
    name="Owner Growth",
    description="Become a worker-owner: up to five listings, a vote and patronage dividends.",
    amount_cents=1900,
    currency="USD",
    interval="month",
    ownership=True,
    max_listings=5,
    features=OWNER_FEATURES,
    trial_days=OWNER_TRIAL_DAYS,
    stripe_product_id="loconomics-owner-growth",
    stripe_product_name="Owner Growth",
)
OWNER_PRO_MONTHLY = Plan(
    id="owner-pro-monthly",
    name="Owner Pro",
    description="Worker-owner with unlimited listings, booking analytics and priority support.",
    amount_cents=3900,
    currency="USD",
    interval="month",
    ownership=True,
    max_listings=None,
    features=PRO_FEATURES,
    trial_days=OWNER_TRIAL_DAYS,
    stripe_product_id="loconomics-owner-pro",
    stripe_product_name="Owner Pro",
)
OWNER_PRO_ANNUAL = Plan(
    id="owner-pro-annual",
    name="Owner Pro Annual",
    description="Owner Pro paid yearly: two months free.",
    amount_cents=39000,
    currency="USD",
    interval="year",
    ownership=True,
    max_listings=None,
    features=PRO_FEATURES,
    trial_days=OWNER_TRIAL_DAYS,
    stripe_product_id="loconomics-owner-pro",
    stripe_product_name="Owner Pro",
)

PLANS: tuple[Plan, ...] = (FREE, OWNER_GROWTH_MONTHLY, OWNER_PRO_MONTHLY, OWNER_PRO_ANNUAL)
PLAN_IDS: tuple[str, ...] = tuple(plan.id for plan in PLANS)


def plan_by_id(plan_id: str) -> Plan:
    for plan in PLANS:
        if plan.id == plan_id:
            return plan
    raise NotFound(f"no plan {plan_id!r}")


def plan_for_stripe_plan(stripe_plan_id: str | None) -> Plan | None:
    """The plan a Stripe subscription is on; None for a Stripe plan that is not ours."""
    for plan in PLANS:
        if plan.stripe_plan_id is not None and plan.stripe_plan_id == stripe_plan_id:
            return plan
    return None


class PlanDrift(Conflict):
    """Stripe holds a plan under our id whose price or interval differs from the data here."""


@dataclass
class PlanSyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _plan_metadata(plan: Plan) -> dict[str, str]:
    return {
        "loconomics_plan_id": plan.id,
        "ownership": "true" if plan.ownership else "false",
        "max_listings": "unlimited" if plan.max_listings is None else str(plan.max_listings),
    }


def _metadata_differs(wanted: dict[str, str], actual: dict | None) -> bool:
    actual = actual or {}
    return any(str(actual.get(key)) != value for key, value in wanted.items())


def _sync_product(gateway: StripeGateway, plan: Plan, report: PlanSyncReport) -> None:
    product_id = plan.stripe_product_id
    assert product_id is not None and plan.stripe_product_name is not None
    metadata = {"loconomics_product": product_id}
    existing = gateway.retrieve_product(product_id)
    if existing is None:
        gateway.create_product(product_id, plan.stripe_product_name, metadata)
        report.created.append(product_id)
        return
    changes: dict = {}
    if existing.get("name") != plan.stripe_product_name:
        changes["name"] = plan.stripe_product_name
    if _metadata_differs(metadata, existing.get("metadata")):
        changes["metadata"] = metadata
    if changes:
        gateway.update_product(product_id, changes)
        report.updated.append(product_id)
    else:
        report.unchanged.append(product_id)


def _sync_plan(gateway: StripeGateway, plan: Plan, report: PlanSyncReport) -> None:
    stripe_plan_id = plan.stripe_plan_id
    assert stripe_plan_id is not None and plan.interval is not None
    metadata = _plan_metadata(plan)
    trial = plan.trial_days or None
    existing = gateway.retrieve_plan(stripe_plan_id)
    if existing is None:
        gateway.create_plan(
            plan_id=stripe_plan_id,
            product_id=str(plan.stripe_product_id),
            amount_cents=plan.amount_cents,
            currency=plan.currency,
            interval=plan.interval,
            nickname=plan.name,
            trial_period_days=trial,
            metadata=metadata,
        )
        report.created.append(stripe_plan_id)
        return
    fixed = {
        "amount": (int(existing.get("amount") or 0), plan.amount_cents),
        "currency": (str(existing.get("currency", "")).upper(), plan.currency),
        "interval": (existing.get("interval"), plan.interval),
        "interval_count": (int(existing.get("interval_count") or 1), 1),
        "product": (_product_id(existing.get("product")), plan.stripe_product_id),
    }
    drifted = sorted(name for name, (actual, wanted) in fixed.items() if actual != wanted)
    if drifted:
        raise PlanDrift(
            f"Stripe plan {stripe_plan_id} differs on {', '.join(drifted)}; "
            "give the plan a new Stripe id instead of editing it",
        )
    changes: dict = {}
    if existing.get("nickname") != plan.name:
        changes["nickname"] = plan.name
    actual_trial = existing.get("trial_period_days")
    if (int(actual_trial) if actual_trial not in (None, "") else None) != trial:
        changes["trial_period_days"] = trial
    if existing.get("active") is False:
        changes["active"] = True
    if _metadata_differs(metadata, existing.get("metadata")):
        changes["metadata"] = metadata
    if changes:
        gateway.update_plan(stripe_plan_id, changes)
        report.updated.append(stripe_plan_id)
    else:
        report.unchanged.append(stripe_plan_id)


def _product_id(product: str | dict | None) -> str | None:
    if isinstance(product, dict):
        return product.get("id")
    return product


def sync_plans(gateway: StripeGateway, plans: tuple[Plan, ...] = PLANS) -> PlanSyncReport:
    """Make Stripe hold exactly our paid plans; running it twice changes nothing."""
    report = PlanSyncReport()
    products_done: set[str] = set()
    for plan in plans:
        if not plan.is_paid:
            continue
        if plan.stripe_product_id not in products_done:
            _sync_product(gateway, plan, report)
            products_done.add(str(plan.stripe_product_id))
        _sync_plan(gateway, plan, report)
    return report


def describe_plan(plan: Plan) -> dict:
    """The plan as the RPC result (`PlanSchema`) shows it."""
    return {
        "id": plan.id,
        "name": plan.name,
        "description": plan.description,
        "price": {"amount_cents": plan.amount_cents, "currency": plan.currency},
        "interval": plan.interval,
        "ownership": plan.ownership,
        "max_listings": plan.max_listings,
        "features": list(plan.features),
        "trial_days": plan.trial_days,
    }
