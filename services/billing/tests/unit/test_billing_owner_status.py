"""The owner status machine: every combination of facts, and how changes are recorded."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from loconomics_billing.domain.membership import (
    get_or_create_membership,
    reinstate_owner,
    sign_owner_acknowledgment,
    status_history_for,
    suspend_owner,
)
from loconomics_billing.domain.owner_status import (
    OwnerStatus,
    derive_owner_status,
    owner_status_history,
    record_owner_status,
    refresh_owner_status,
)
from loconomics_billing.models import OwnerStatusChange
from loconomics_plumbing.errors import Forbidden, Invalid, Unauthorized
from loconomics_plumbing.identity import Caller
from sqlalchemy import select

STRIPE_STATUSES = [
    None,
    "trialing",
    "active",
    "past_due",
    "unpaid",
    "paused",
    "canceled",
    "incomplete",
    "incomplete_expired",
]

# The rule, written as a table a reviewer can check line by line (suspension and non-owner
# plans are handled before it).
EXPECTED_FOR_OWNER_PLAN = {
    ("trialing", False): OwnerStatus.TRIAL,
    ("trialing", True): OwnerStatus.TRIAL,
    ("active", False): OwnerStatus.NOT_YET_OWNER,
    ("active", True): OwnerStatus.ACTIVE,
    ("past_due", False): OwnerStatus.INACTIVE,
    ("past_due", True): OwnerStatus.INACTIVE,
    ("unpaid", False): OwnerStatus.INACTIVE,
    ("unpaid", True): OwnerStatus.INACTIVE,
    ("paused", False): OwnerStatus.INACTIVE,
    ("paused", True): OwnerStatus.INACTIVE,
    ("canceled", False): OwnerStatus.CANCELLED,
    ("canceled", True): OwnerStatus.CANCELLED,
    ("incomplete", False): OwnerStatus.NOT_YET_OWNER,
    ("incomplete", True): OwnerStatus.NOT_YET_OWNER,
    ("incomplete_expired", False): OwnerStatus.NOT_YET_OWNER,
    ("incomplete_expired", True): OwnerStatus.NOT_YET_OWNER,
}


@pytest.mark.parametrize(
    ("subscription_status", "owner_plan", "acknowledged", "suspended"),
    list(itertools.product(STRIPE_STATUSES, [False, True], [False, True], [False, True])),
)
def test_every_combination_of_facts_has_the_documented_status(
    subscription_status, owner_plan, acknowledged, suspended
):
    status = derive_owner_status(
        subscription_status=subscription_status,
        owner_plan=owner_plan,
        acknowledged=acknowledged,
        suspended=suspended,
    )
    if suspended:
        assert status is OwnerStatus.SUSPENDED
    elif subscription_status is None or not owner_plan:
        assert status is OwnerStatus.NOT_YET_OWNER
    else:
        assert status is EXPECTED_FOR_OWNER_PLAN[(subscription_status, acknowledged)]


def test_active_is_reached_only_with_a_paid_owner_plan_and_a_signature():
    reaching_active = [
        facts
        for facts in itertools.product(STRIPE_STATUSES, [False, True], [False, True], [False, True])
        if derive_owner_status(
            subscription_status=facts[0],
            owner_plan=facts[1],
            acknowledged=facts[2],
            suspended=facts[3],
        )
        is OwnerStatus.ACTIVE
    ]
    assert reaching_active == [("active", True, True, False)]


def test_a_change_is_recorded_in_history_and_announced_once(session, events, now):
    membership = get_or_create_membership(session, "m-1", now)
    membership.plan_id = "owner-growth-monthly"
    change = record_owner_status(
        session, membership, OwnerStatus.TRIAL, "subscribed", now, events.emit
    )
    again = record_owner_status(
        session,
        membership,
        OwnerStatus.TRIAL,
        "subscribed",
        now + timedelta(minutes=1),
        events.emit,
    )

    assert change is not None and again is None
    assert membership.owner_status == "trial"
    assert events.named("owner_status_changed") == [
        {
            "user_id": "m-1",
            "from": "not_yet_owner",
            "to": "trial",
            "plan_id": "owner-growth-monthly",
            "reason": "subscribed",
            "changed_at": now.isoformat(),
        }
    ]
    rows = session.scalars(select(OwnerStatusChange)).all()
    assert [(row.from_status, row.to_status, row.reason) for row in rows] == [
        ("not_yet_owner", "trial", "subscribed")
    ]


def test_history_keeps_order_even_within_one_instant(session, events, now):
    membership = get_or_create_membership(session, "m-2", now)
    membership.plan_id = "owner-pro-monthly"
    for status in (OwnerStatus.TRIAL, OwnerStatus.ACTIVE, OwnerStatus.INACTIVE, OwnerStatus.ACTIVE):
        record_owner_status(session, membership, status, "step", now, events.emit)

    history = owner_status_history(session, "m-2")
    assert [(row.sequence, row.from_status, row.to_status) for row in history] == [
        (1, "not_yet_owner", "trial"),
        (2, "trial", "active"),
        (3, "active", "inactive"),
        (4, "inactive", "active"),
    ]


def test_signing_the_acknowledgment_makes_a_paying_owner_active(session, events, now):
    membership = get_or_create_membership(session, "m-3", now)
    membership.plan_id = "owner-growth-monthly"
    membership.subscription_status = "active"
    refresh_owner_status(session, membership, "paid", now, events.emit)
    assert membership.owner_status == "not_yet_owner"

    signature = sign_owner_acknowledgment(
        session, Caller("m-3", frozenset({"professional"})), "203.0.113.9", now, events.emit
    )

    assert membership.owner_status == "active"
    assert signature.ip_address == "203.0.113.9" and signature.signed_at == now
    assert len(signature.text_sha256) == 64
    assert [e["to"] for e in events.named("owner_status_changed")] == ["active"]


def test_signing_twice_keeps_the_first_signature(session, events, now):
    caller = Caller("m-4", frozenset({"professional"}))
    first = sign_owner_acknowledgment(session, caller, "2001:db8::1", now, events.emit)
    second = sign_owner_acknowledgment(
        session, caller, "198.51.100.7", now + timedelta(days=1), events.emit
    )
    assert second.id == first.id and second.ip_address == "2001:db8::1"


@pytest.mark.parametrize(
    ("ip_address", "version", "field"),
    [("not-an-ip", None, "ip_address"), ("192.0.2.1", "1999-01", "version")],
)
def test_a_bad_signature_request_names_the_field(session, events, now, ip_address, version, field):
    with pytest.raises(Invalid) as error:
        sign_owner_acknowledgment(
            session, Caller("m-5", frozenset()), ip_address, now, events.emit, version=version
        )
    assert field in error.value.errors


def test_signing_needs_a_signed_in_person(session, events, now):
    with pytest.raises(Unauthorized):
        sign_owner_acknowledgment(session, Caller(None, frozenset()), "192.0.2.1", now, events.emit)


def test_an_administrator_suspends_and_reinstates(session, events, now):
    membership = get_or_create_membership(session, "m-6", now)
    membership.plan_id = "owner-pro-annual"
    membership.subscription_status = "trialing"
    refresh_owner_status(session, membership, "subscribed", now, events.emit)
    admin = Caller("admin-1", frozenset({"admin"}))

    suspend_owner(session, admin, "m-6", "harassing clients", now, events.emit)
    assert membership.owner_status == "suspended" and membership.suspended
    reinstate_owner(session, admin, "m-6", now + timedelta(days=3), events.emit)

    assert membership.owner_status == "trial" and not membership.suspended
    changes = [(e["from"], e["to"]) for e in events.named("owner_status_changed")]
    assert changes == [("not_yet_owner", "trial"), ("trial", "suspended"), ("suspended", "trial")]
    assert "harassing clients" in events.named("owner_status_changed")[1]["reason"]


def test_only_an_administrator_may_suspend(session, events, now):
    with pytest.raises(Forbidden):
        suspend_owner(
            session, Caller("m-7", frozenset({"professional"})), "m-8", "no", now, events.emit
        )


def test_history_is_for_the_member_and_administrators(session, events, now):
    membership = get_or_create_membership(session, "m-9", now)
    record_owner_status(session, membership, OwnerStatus.SUSPENDED, "test", now, events.emit)

    own = status_history_for(session, Caller("m-9", frozenset()), "m-9")
    by_admin = status_history_for(session, Caller("ops", frozenset({"admin"})), "m-9")

    assert [row.to_status for row in own] == [row.to_status for row in by_admin] == ["suspended"]
    with pytest.raises(Forbidden):
        status_history_for(session, Caller("m-10", frozenset()), "m-9")
