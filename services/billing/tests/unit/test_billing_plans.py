"""Plans as data, and their sync into Stripe (a fake here; localstripe in its own file)."""

from __future__ import annotations

import pytest
from loconomics_billing.domain.plans import (
    FREE,
    PLANS,
    PlanDrift,
    describe_plan,
    plan_by_id,
    plan_for_stripe_plan,
    sync_plans,
)
from loconomics_billing.schemas import PlanSchema
from loconomics_plumbing.errors import NotFound


def test_the_four_plans_and_what_they_cost():
    assert [(p.id, p.amount_cents, p.interval, p.ownership) for p in PLANS] == [
        ("free", 0, None, False),
        ("owner-growth-monthly", 1900, "month", True),
        ("owner-pro-monthly", 3900, "month", True),
        ("owner-pro-annual", 39000, "year", True),
    ]


def test_owner_plans_have_a_two_week_trial_and_free_has_one_listing_and_no_stripe_object():
    assert {p.trial_days for p in PLANS if p.ownership} == {14}
    assert FREE.trial_days == 0 and FREE.max_listings == 1 and FREE.stripe_plan_id is None
    assert "ownership_and_vote" not in FREE.features
    assert all("ownership_and_vote" in p.features for p in PLANS if p.ownership)


def test_stripe_ids_are_stable_and_map_back():
    assert plan_by_id("owner-growth-monthly").stripe_plan_id == "loconomics-owner-growth-monthly"
    for plan in PLANS:
        if plan.stripe_plan_id:
            assert plan_for_stripe_plan(plan.stripe_plan_id) is plan
    assert plan_for_stripe_plan("someone-elses-plan") is None
    with pytest.raises(NotFound):
        plan_by_id("gold")


def test_every_plan_matches_its_schema():
    for plan in PLANS:
        assert PlanSchema().validate(PlanSchema().dump(describe_plan(plan))) == {}


def test_sync_creates_then_changes_nothing(new_fake_stripe, now):
    stripe = new_fake_stripe(now)
    first = sync_plans(stripe)
    plans_after_first = {k: dict(v) for k, v in stripe.plans.items()}
    second = sync_plans(stripe)

    assert sorted(first.created) == [
        "loconomics-owner-growth",
        "loconomics-owner-growth-monthly",
        "loconomics-owner-pro",
        "loconomics-owner-pro-annual",
        "loconomics-owner-pro-monthly",
    ]
    assert second.created == [] and second.updated == [] and len(second.unchanged) == 5
    assert stripe.plans == plans_after_first


def test_sync_repairs_what_may_change_and_refuses_what_may_not(new_fake_stripe, now):
    stripe = new_fake_stripe(now)
    sync_plans(stripe)
    stripe.plans["loconomics-owner-pro-monthly"]["nickname"] = "Edited by hand"
    stripe.plans["loconomics-owner-pro-monthly"]["trial_period_days"] = "30"

    report = sync_plans(stripe)
    assert report.updated == ["loconomics-owner-pro-monthly"]
    assert stripe.plans["loconomics-owner-pro-monthly"]["nickname"] == "Owner Pro"
    assert stripe.plans["loconomics-owner-pro-monthly"]["trial_period_days"] == 14

    stripe.plans["loconomics-owner-pro-monthly"]["amount"] = 4900
    with pytest.raises(PlanDrift) as error:
        sync_plans(stripe)
    assert "amount" in str(error.value)
