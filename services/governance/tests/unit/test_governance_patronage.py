"""Patronage: records from events, exact-to-the-cent allocation, the members' approval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from loconomics_governance import platform_mapping
from loconomics_governance.domain import patronage, proposals, timetable
from loconomics_governance.domain.apportion import cash_part, largest_remainder
from loconomics_governance.domain.members import record_member_status
from loconomics_governance.policy import GovernancePolicy
from loconomics_governance.schemas import (
    AllocationSchema,
    MyPatronageSchema,
    ProposeAllocationArgs,
    YearPatronageSchema,
)
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid
from marshmallow import ValidationError

FY_MOMENT = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "start_month", "zone", "year"),
    [
        (datetime(2024, 12, 31, 23, 59, tzinfo=UTC), 1, "UTC", 2024),
        (datetime(2024, 7, 1, tzinfo=UTC), 7, "UTC", 2025),
        (datetime(2024, 6, 30, 23, 59, tzinfo=UTC), 7, "UTC", 2024),
        # 05:00 UTC on 1 January is still New Year's Eve in Los Angeles.
        (datetime(2025, 1, 1, 5, tzinfo=UTC), 1, "America/Los_Angeles", 2024),
    ],
)
def test_fiscal_year_is_named_by_the_year_it_ends(moment, start_month, zone, year):
    policy = GovernancePolicy(fiscal_year_start_month=start_month, fiscal_time_zone=zone)

    assert patronage.fiscal_year_of(moment, policy) == year


def test_each_source_event_counts_once(session, t0):
    first = patronage.record_patronage(
        session, "m-1", FY_MOMENT, "dues:inv-1", dues_cents=2500, now=t0
    )
    again = patronage.record_patronage(
        session, "m-1", FY_MOMENT, "dues:inv-1", dues_cents=2500, now=t0
    )

    assert first == {"recorded": True, "fiscal_year": 2024}
    assert again == {"recorded": False, "fiscal_year": 2024}


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"dues_cents": -1}, "dues_cents"),
        ({"completed_bookings": -2}, "completed_bookings"),
        ({}, "dues_cents"),
        ({"dues_cents": 100, "currency": "EUR"}, "currency"),
        ({"dues_cents": 100, "source_event_id": ""}, "source_event_id"),
    ],
)
def test_invalid_patronage_records_name_the_field(session, t0, args, field):
    kwargs = {"source_event_id": "ev", **args}
    with pytest.raises(Invalid) as error:
        patronage.record_patronage(session, "m-1", FY_MOMENT, now=t0, **kwargs)
    assert field in error.value.errors


@pytest.mark.parametrize(
    ("total", "weights"),
    [
        (100, {"a": 1, "b": 1, "c": 1}),
        (1, {"a": 1, "b": 1, "c": 1}),
        (1_000_003, {"a": 3, "b": 7, "c": 11, "d": 13, "e": 17, "f": 19, "g": 23}),
        (99_999, {"a": Decimal("0.01"), "b": Decimal("12.34"), "c": Decimal("1234.5")}),
        (7, {"a": 1, "b": 0, "c": 1}),
        (123_456_789, {f"m{n:03d}": n * n + 1 for n in range(250)}),
        (0, {"a": 5, "b": 6}),
    ],
)
def test_largest_remainder_parts_sum_exactly_and_stay_within_a_cent(total, weights):
    parts = largest_remainder(total, weights)

    assert sum(parts.values()) == total
    whole = sum(Decimal(w) for w in weights.values())
    for key, weight in weights.items():
        exact = Decimal(total) * Decimal(weight) / whole
        assert abs(parts[key] - exact) < 1
        assert parts[key] >= 0


def test_largest_remainder_breaks_equal_remainders_by_key_whatever_the_input_order():
    forwards = largest_remainder(100, {"a": 1, "b": 1, "c": 1})
    backwards = largest_remainder(100, {"c": 1, "b": 1, "a": 1})

    assert forwards == backwards == {"a": 34, "b": 33, "c": 33}
    assert largest_remainder(2, {"x": 1, "y": 1, "z": 1}) == {"x": 1, "y": 1, "z": 0}
    assert largest_remainder(7, {"a": 1, "b": 0, "c": 1})["b"] == 0


def test_largest_remainder_refuses_nonsense():
    with pytest.raises(ValueError):
        largest_remainder(-1, {"a": 1})
    with pytest.raises(ValueError):
        largest_remainder(5, {"a": -1, "b": 2})
    with pytest.raises(ValueError):
        largest_remainder(5, {"a": 0})


@pytest.mark.parametrize(
    ("amount", "percent", "cash", "retained"),
    [
        (1, 20, 1, 0),  # a cent cannot be split: it is paid
        (99, 20, 20, 79),  # 19.8 rounds up
        (100, 20, 20, 80),
        (12_345, 33, 4_074, 8_271),
        (500, 100, 500, 0),
        (0, 20, 0, 0),
    ],
)
def test_cash_part_never_falls_below_the_percent(amount, percent, cash, retained):
    assert cash_part(amount, percent) == (cash, retained)
    assert cash * 100 >= amount * percent


def with_patronage(session, enrol, t0):
    """Three members with dues and bookings in 2024, one non-member, one never-active."""
    enrol("ann", "bob", "cat")
    record_member_status(session, lambda *_: None, "applicant", "applicant", t0, now=t0)
    rows = [
        ("ann", 12_000, 0),
        ("ann", 0, 3),
        ("bob", 6_000, 0),
        ("cat", 0, 1),
        ("outsider", 50_000, 9),
        ("applicant", 9_000, 0),
    ]
    for n, (user, dues, bookings) in enumerate(rows):
        patronage.record_patronage(
            session,
            user,
            FY_MOMENT,
            f"ev-{n}",
            dues_cents=dues,
            completed_bookings=bookings,
            now=t0,
        )


def test_year_patronage_lists_members_and_their_points(session, t0, enrol, admin, as_member):
    with_patronage(session, enrol, t0)

    year = patronage.year_patronage(session, admin, 2024)

    # Default basis: 1 point per dues dollar, 10 per completed booking.
    assert [(m["external_id"], m["points"]) for m in year["members"]] == [
        ("ann", Decimal(150)),
        ("bob", Decimal(60)),
        ("cat", Decimal(10)),
    ]
    assert year["total_points"] == 220
    YearPatronageSchema().dump(year)
    with pytest.raises(Forbidden):
        patronage.year_patronage(session, as_member("ann"), 2024)


def test_allocation_shares_sum_to_the_surplus_and_respect_the_cash_floor(
    session, emit, t0, enrol, admin
):
    with_patronage(session, enrol, t0)

    allocation = patronage.propose_allocation(
        session, emit, admin, 2024, surplus_cents=100_001, cash_percent=20, now=t0
    )

    shares = {s["external_id"]: s for s in allocation["shares"]}
    assert set(shares) == {"ann", "bob", "cat"}
    assert sum(s["amount"]["amount_cents"] for s in shares.values()) == 100_001
    # 100001 x 150/220 = 68182.5, x 60/220 = 27273, x 10/220 = 4545.5: ties by member id.
    assert [shares[m]["amount"]["amount_cents"] for m in ("ann", "bob", "cat")] == [
        68_183,
        27_273,
        4_545,
    ]
    for share in shares.values():
        amount = share["amount"]["amount_cents"]
        cash = share["cash"]["amount_cents"]
        assert cash + share["retained"]["amount_cents"] == amount
        assert cash * 100 >= amount * 20
    assert (
        allocation["cash_total"]["amount_cents"] + allocation["retained_total"]["amount_cents"]
        == 100_001
    )
    assert allocation["status"] == patronage.PROPOSED
    AllocationSchema().dump(allocation)
    proposed = emit.last("patronage_allocation_proposed")
    assert (proposed["members"], proposed["surplus"]["amount_cents"]) == (3, 100_001)


def test_the_cash_percent_has_a_floor_and_only_the_board_proposes(
    session, emit, t0, enrol, admin, as_member
):
    with_patronage(session, enrol, t0)

    with pytest.raises(Invalid) as error:
        patronage.propose_allocation(session, emit, admin, 2024, 10_000, 19, now=t0)
    assert "cash_percent" in error.value.errors
    with pytest.raises(Invalid) as error:
        patronage.propose_allocation(session, emit, admin, 2024, 0, 50, currency="EUR", now=t0)
    assert set(error.value.errors) == {"surplus", "currency"}
    with pytest.raises(Forbidden):
        patronage.propose_allocation(session, emit, as_member("ann"), 2024, 10_000, 50, now=t0)
    with pytest.raises(Conflict):
        patronage.propose_allocation(session, emit, admin, 1999, 10_000, 50, now=t0)
    lenient = GovernancePolicy(minimum_cash_percent=10)
    assert (
        patronage.propose_allocation(
            session, emit, admin, 2024, 10_000, 10, now=t0, policy=lenient
        )["cash_percent"]
        == 10
    )


def test_approved_by_the_members_then_every_member_is_notified(
    session, emit, t0, enrol, admin, as_member
):
    with_patronage(session, enrol, t0)
    allocation = patronage.propose_allocation(session, emit, admin, 2024, 10_000, 25, now=t0)
    with pytest.raises(Conflict):
        patronage.propose_allocation(session, emit, admin, 2024, 20_000, 25, now=t0)
    proposal = proposals.get_proposal(session, admin, allocation["proposal_id"])
    assert (proposal["kind"], proposal["status"]) == ("ordinary", "scheduled")
    assert proposal["closes_at"] - proposal["opens_at"] == timedelta(days=14)

    timetable.open_due(session, emit, now=t0)
    for user in ("ann", "bob"):
        proposals.cast_vote(session, as_member(user), proposal["proposal_id"], "yes", now=t0)
    settled = timetable.close_due(session, emit, now=t0 + timedelta(days=14))

    assert settled["allocations_settled"] == [allocation["allocation_id"]]
    assert (
        emit.last("patronage_allocation_approved")["allocation_id"] == allocation["allocation_id"]
    )
    notices = {n["external_id"]: n for n in emit.all("patronage_allocated")}
    assert set(notices) == {"ann", "bob", "cat"}
    assert sum(n["amount"]["amount_cents"] for n in notices.values()) == 10_000
    mine = patronage.member_patronage(session, as_member("ann"))
    assert mine["years"][0]["allocation"]["status"] == patronage.APPROVED
    assert mine["years"][0]["allocation"]["amount"] == notices["ann"]["amount"]
    MyPatronageSchema().dump(mine)
    assert patronage.year_patronage(session, admin, 2024)["allocation"]["status"] == "approved"


def test_rejected_by_the_members_the_board_may_propose_again(
    session, emit, t0, enrol, admin, as_member
):
    with_patronage(session, enrol, t0)
    first = patronage.propose_allocation(session, emit, admin, 2024, 10_000, 25, now=t0)
    timetable.open_due(session, emit, now=t0)
    for user in ("ann", "bob", "cat"):
        proposals.cast_vote(session, as_member(user), first["proposal_id"], "no", now=t0)

    timetable.close_due(session, emit, now=t0 + timedelta(days=14))

    assert emit.last("patronage_allocation_rejected")["outcome"] == "rejected"
    assert emit.all("patronage_allocated") == []
    assert patronage.member_patronage(session, as_member("ann"))["years"][0]["allocation"] is None
    second = patronage.propose_allocation(
        session, emit, admin, 2024, 8_000, 50, now=t0 + timedelta(days=15)
    )
    assert second["status"] == patronage.PROPOSED


def test_platform_events_feed_patronage_once_each(session, t0, enrol, admin):
    enrol("pro-1")
    dues = {
        "event_id": "e-1",
        "occurred_at": t0.isoformat(),
        "user_id": "pro-1",
        "invoice_id": "in_1",
        "amount_cents": 2_900,
        "currency": "USD",
        "paid_at": FY_MOMENT.isoformat(),
        "fiscal_year": 2024,
    }
    completed = {
        "event_id": "e-2",
        "occurred_at": (FY_MOMENT + timedelta(days=1)).isoformat(),
        "booking_id": "b-1",
        "professional_id": "pro-1",
        "client_id": "c-1",
    }
    for event in (dues, dues, completed, {**completed, "event_id": "e-3"}):
        args = (
            platform_mapping.patronage_from_dues_paid(event)
            if "invoice_id" in event
            else platform_mapping.patronage_from_booking_completed(event)
        )
        patronage.record_patronage(session, **args, now=t0)

    member = patronage.year_patronage(session, admin, 2024)["members"][0]
    assert member["dues"]["amount_cents"] == 2_900
    assert member["completed_bookings"] == 1
    with pytest.raises(Invalid):
        platform_mapping.patronage_from_dues_paid({"user_id": "pro-1"})


def test_allocation_arguments_carry_money_as_cents_and_currency():
    loaded = ProposeAllocationArgs().load(
        {
            "fiscal_year": 2024,
            "surplus": {"amount_cents": 123_456, "currency": "USD"},
            "cash_percent": 20,
        }
    )
    assert loaded["surplus"] == {"amount_cents": 123_456, "currency": "USD"}
    with pytest.raises(ValidationError) as error:
        ProposeAllocationArgs().load(
            {"fiscal_year": 2024, "surplus": {"amount": 1.5}, "cash_percent": 120}
        )
    assert set(error.value.messages) == {"surplus", "cash_percent"}
