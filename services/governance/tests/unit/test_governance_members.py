"""The member register: the generic status contract, order tolerance, the history."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from loconomics_governance import platform_mapping
from loconomics_governance.domain.members import (
    get_member,
    list_members,
    my_membership,
    record_member_status,
    statuses_at,
)
from loconomics_governance.models import Member, MemberStatusChange
from loconomics_governance.schemas import (
    MemberDetailSchema,
    MemberPageSchema,
    MemberRecordedSchema,
    MyMembershipSchema,
    RecordMemberStatusArgs,
)
from loconomics_plumbing.errors import Forbidden, Invalid, NotFound, Unauthorized
from loconomics_plumbing.identity import Caller
from marshmallow import ValidationError
from sqlalchemy import select


def test_first_report_creates_the_member_and_announces_the_status(session, emit, t0):
    result = record_member_status(
        session, emit, "u-1", "active", t0, name="Ada", email="ada@example.org", now=t0
    )

    assert result["changed"] is True
    assert result["in_good_standing"] is True
    assert result["joined_at"] == t0
    event = emit.last("member_status_changed")
    assert event["external_id"] == "u-1"
    assert (event["status"], event["previous_status"]) == ("active", None)
    assert event["in_good_standing"] is True
    MemberRecordedSchema().dump(result)


def test_emits_only_on_a_real_change(session, emit, t0):
    record_member_status(session, emit, "u-1", "applicant", t0, now=t0)
    record_member_status(session, emit, "u-1", "applicant", t0 + timedelta(days=1), now=t0)
    record_member_status(session, emit, "u-1", "active", t0 + timedelta(days=2), now=t0)

    changes = emit.all("member_status_changed")
    assert [(e["previous_status"], e["status"]) for e in changes] == [
        (None, "applicant"),
        ("applicant", "active"),
    ]


def test_an_older_report_is_kept_in_history_but_does_not_overwrite(session, emit, t0):
    record_member_status(session, emit, "u-1", "active", t0, now=t0)
    emit.clear()

    late = record_member_status(
        session, emit, "u-1", "inactive", t0 - timedelta(days=3), now=t0 + timedelta(hours=1)
    )

    assert late["changed"] is False
    assert late["status"] == "active"
    assert emit.events == []
    history = session.scalars(select(MemberStatusChange).order_by(MemberStatusChange.occurred_at))
    assert [(c.status, c.applied) for c in history] == [("inactive", False), ("active", True)]


def test_reports_in_any_order_end_in_the_same_current_status(session, emit, t0):
    reports = [("applicant", 0), ("active", 5), ("inactive", 40), ("active", 60)]
    for order, user in ((reports, "in-order"), (list(reversed(reports)), "reversed")):
        for status, day in order:
            record_member_status(session, emit, user, status, t0 + timedelta(days=day), now=t0)

    members = {m.external_id: m for m in session.scalars(select(Member))}
    assert members["in-order"].status == members["reversed"].status == "active"
    assert members["in-order"].status_since == members["reversed"].status_since
    assert members["reversed"].status_since == t0 + timedelta(days=60)


def test_join_date_is_the_earliest_time_reported_active(session, emit, t0):
    record_member_status(session, emit, "u-1", "active", t0, now=t0)
    record_member_status(session, emit, "u-1", "active", t0 - timedelta(days=9), now=t0)

    member = session.scalars(select(Member)).one()
    assert member.joined_at == t0 - timedelta(days=9)
    assert member.status_since == t0


def test_a_repeated_source_event_changes_nothing(session, emit, t0):
    record_member_status(session, emit, "u-1", "active", t0, source_event_id="ev-1", now=t0)
    again = record_member_status(
        session, emit, "u-1", "withdrawn", t0 + timedelta(days=1), source_event_id="ev-1", now=t0
    )

    assert again["changed"] is False
    assert again["status"] == "active"
    assert len(session.scalars(select(MemberStatusChange)).all()) == 1


def test_times_are_normalised_to_utc_and_naive_ones_refused(session, emit, t0):
    eastern = timezone(timedelta(hours=-5))
    result = record_member_status(session, emit, "u-1", "active", t0.astimezone(eastern), now=t0)
    assert result["status_since"] == t0
    assert result["status_since"].utcoffset() == timedelta(0)

    with pytest.raises(Invalid) as error:
        record_member_status(session, emit, "u-2", "active", t0.replace(tzinfo=None), now=t0)
    assert "occurred_at" in error.value.errors


def test_unknown_status_is_refused(session, emit, t0):
    with pytest.raises(Invalid) as error:
        record_member_status(session, emit, "u-1", "owner", t0, now=t0)
    assert "status" in error.value.errors


def test_status_at_a_moment_reads_the_history(session, emit, t0):
    record_member_status(session, emit, "u-1", "active", t0, now=t0)
    record_member_status(session, emit, "u-1", "inactive", t0 + timedelta(days=10), now=t0)
    member_id = session.scalars(select(Member.id)).one()

    assert statuses_at(session, t0 - timedelta(seconds=1)) == {}
    assert statuses_at(session, t0 + timedelta(days=5)) == {member_id: "active"}
    assert statuses_at(session, t0 + timedelta(days=10)) == {member_id: "inactive"}


def test_my_membership_shows_voting_rights(session, emit, t0, as_member):
    record_member_status(session, emit, "u-1", "active", t0, now=t0)
    record_member_status(session, emit, "u-2", "suspended", t0, now=t0)

    mine = my_membership(session, as_member("u-1"))
    theirs = my_membership(session, as_member("u-2"))

    assert mine["voting_rights"]["may_vote"] is True
    assert theirs["voting_rights"] == {
        "may_vote": False,
        "may_propose": False,
        "may_stand": False,
        "open_ballots": [],
    }
    MyMembershipSchema().dump(mine)
    with pytest.raises(NotFound):
        my_membership(session, as_member("stranger"))
    with pytest.raises(Unauthorized):
        my_membership(session, Caller())


def test_a_member_record_is_for_the_member_and_admins(session, emit, t0, as_member, admin):
    record_member_status(session, emit, "u-1", "applicant", t0, now=t0)
    record_member_status(session, emit, "u-1", "active", t0 + timedelta(days=1), now=t0)

    own = get_member(session, as_member("u-1"), "u-1")
    assert [h["status"] for h in own["history"]] == ["applicant", "active"]
    assert get_member(session, admin, "u-1")["status"] == "active"
    MemberDetailSchema().dump(own)
    with pytest.raises(Forbidden):
        get_member(session, as_member("u-2"), "u-1")
    with pytest.raises(NotFound):
        get_member(session, admin, "nobody")


def test_admins_page_through_the_register(session, emit, t0, admin, as_member):
    for n in range(5):
        record_member_status(session, emit, f"u-{n}", "active", t0, now=t0 + timedelta(minutes=n))
    record_member_status(session, emit, "lapsed", "inactive", t0, now=t0)

    first = list_members(session, admin, status="active", limit=3)
    second = list_members(session, admin, status="active", limit=3, cursor=first["next_cursor"])

    assert [m["external_id"] for m in first["items"]] == ["u-4", "u-3", "u-2"]
    assert [m["external_id"] for m in second["items"]] == ["u-1", "u-0"]
    assert second["next_cursor"] is None
    MemberPageSchema().dump(first)
    with pytest.raises(Forbidden):
        list_members(session, as_member("u-1"))
    with pytest.raises(Invalid):
        list_members(session, admin, cursor="not-a-cursor")


def test_record_args_refuse_unknown_fields_and_bad_values():
    schema = RecordMemberStatusArgs()
    loaded = schema.load(
        {"external_id": "u-1", "status": "active", "occurred_at": "2025-03-01T12:00:00+00:00"}
    )
    assert loaded["source_event_id"] is None

    with pytest.raises(ValidationError) as error:
        schema.load(
            {
                "external_id": "u-1",
                "status": "owner",
                "occurred_at": "2025-03-01T12:00:00",
                "colour": "red",
            }
        )
    assert set(error.value.messages) == {"status", "occurred_at", "colour"}


@pytest.mark.parametrize(
    ("owner_status", "member_status"),
    [
        ("not_yet_owner", "applicant"),
        ("trial", "applicant"),
        ("active", "active"),
        ("inactive", "inactive"),
        ("cancelled", "withdrawn"),
        ("suspended", "suspended"),
    ],
)
def test_billing_owner_statuses_map_onto_member_statuses(owner_status, member_status):
    assert platform_mapping.member_status_for_owner_status(owner_status) == member_status


def test_the_mapping_is_configuration(session, emit, t0):
    custom = {"gold": "active", "lead": "inactive"}

    assert platform_mapping.member_status_for_owner_status("gold", custom) == "active"
    with pytest.raises(Invalid):
        platform_mapping.member_status_for_owner_status("active", custom)
    with pytest.raises(Invalid):
        platform_mapping.member_status_for_owner_status("x", {"x": "emperor"})


def test_owner_status_changed_drives_the_register(session, emit, t0):
    event = {
        "event_id": "e-1",
        "occurred_at": (t0 + timedelta(seconds=1)).isoformat(),
        "user_id": "u-9",
        "from": "trial",
        "to": "active",
        "plan_id": "owner-monthly",
        "reason": "invoice paid",
        "changed_at": t0.isoformat(),
    }

    report = platform_mapping.member_report_from_owner_status_changed(event)
    result = record_member_status(session, emit, **report, now=t0)
    repeat = record_member_status(session, emit, **report, now=t0)

    assert report["occurred_at"] == t0
    assert result["status"] == "active"
    assert repeat["changed"] is False
    with pytest.raises(Invalid) as error:
        platform_mapping.member_report_from_owner_status_changed({"user_id": "u-9"})
    assert set(error.value.errors) == {"to", "event_id"}
