from datetime import UTC, date, datetime, timedelta

import pytest
from loconomics_booking.domain.availability import (
    add_time_off,
    find_slots,
    get_schedule,
    list_time_off,
    remove_time_off,
    set_schedule,
)
from loconomics_booking.models import BusyInterval
from loconomics_plumbing.errors import Forbidden, Invalid, NotFound

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
WED = (datetime(2026, 3, 4, tzinfo=UTC), datetime(2026, 3, 5, tzinfo=UTC))


def hours(starts: list[datetime]) -> list[str]:
    return [start.strftime("%H:%M") for start in starts]


def test_schedule_is_replaced_and_announced(session, emit, pro):
    view = set_schedule(
        session,
        emit,
        pro,
        {
            "time_zone": "Europe/Paris",
            "weekly": {
                "tue": [{"start": "14:00", "end": "18:00"}, {"start": "08:00", "end": "12:00"}]
            },
            "advance_notice_hours": 4,
            "buffer_minutes": 10,
            "slot_increment_minutes": 30,
        },
        NOW,
    )
    assert view["weekly"]["tue"][0] == {"start": "08:00", "end": "12:00"}
    assert get_schedule(session, "pro-1") == view
    event = emit.last("schedule_changed")
    assert (event["reason"], event["time_zone"], event["buffer_minutes"]) == (
        "schedule",
        "Europe/Paris",
        10,
    )


def test_schedule_refuses_overlapping_ranges_bad_zones_and_clients(session, emit, pro, client):
    overlapping = {"mon": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]}
    with pytest.raises(Invalid) as refused:
        set_schedule(session, emit, pro, {"time_zone": "UTC", "weekly": overlapping}, NOW)
    assert "weekly.mon" in refused.value.errors
    with pytest.raises(Invalid):
        set_schedule(session, emit, pro, {"time_zone": "Moon/Base", "weekly": {}}, NOW)
    with pytest.raises(Forbidden):
        set_schedule(session, emit, client, {"time_zone": "UTC", "weekly": {}}, NOW)
    assert emit.events == []


def test_a_professional_without_schedule_has_no_slots(session, setup_pro):
    setup_pro()
    assert get_schedule(session, "nobody")["weekly"] == {}


def test_time_off_removes_slots_and_comes_back_when_deleted(session, emit, pro, setup_pro):
    setup_pro(time_zone="UTC", weekly={"wed": [{"start": "09:00", "end": "13:00"}]})
    off = add_time_off(
        session,
        emit,
        pro,
        {
            "start": datetime(2026, 3, 4, 10, tzinfo=UTC),
            "end": datetime(2026, 3, 4, 11, tzinfo=UTC),
        },
        NOW,
    )
    assert emit.last("schedule_changed")["reason"] == "time_off"
    starts = find_slots(session, "pro-1", "svc-1", *WED, NOW)
    assert hours(starts) == ["09:00", "11:00", "11:15", "11:30", "11:45", "12:00"]
    assert [item["id"] for item in list_time_off(session, pro, NOW)] == [off["id"]]
    remove_time_off(session, emit, pro, off["id"], NOW)
    assert len(find_slots(session, "pro-1", "svc-1", *WED, NOW)) == 13
    with pytest.raises(NotFound):
        remove_time_off(session, emit, pro, off["id"], NOW)


def test_weekly_time_off_is_kept_in_wall_clock_time(session, emit, pro, setup_pro):
    setup_pro(weekly={"wed": [{"start": "09:00", "end": "13:00"}]})
    weekly = add_time_off(
        session,
        emit,
        pro,
        {"weekday": "wed", "start_time": "09:00", "end_time": "12:00", "until": date(2026, 3, 11)},
        NOW,
    )
    assert weekly["kind"] == "weekly"
    before_dst = find_slots(
        session,
        "pro-1",
        "svc-1",
        datetime(2026, 3, 4, tzinfo=UTC),
        datetime(2026, 3, 5, tzinfo=UTC),
        NOW,
    )
    after_dst = find_slots(
        session,
        "pro-1",
        "svc-1",
        datetime(2026, 3, 11, tzinfo=UTC),
        datetime(2026, 3, 12, tzinfo=UTC),
        NOW,
    )
    ended = find_slots(
        session,
        "pro-1",
        "svc-1",
        datetime(2026, 3, 18, tzinfo=UTC),
        datetime(2026, 3, 19, tzinfo=UTC),
        NOW,
    )
    assert hours(before_dst) == ["17:00"]  # 12:00 EST
    assert hours(after_dst) == ["16:00"]  # 12:00 EDT
    assert len(ended) == 13
    with pytest.raises(Invalid):
        add_time_off(
            session,
            emit,
            pro,
            {
                "weekday": "wed",
                "start_time": "12:00",
                "end_time": "09:00",
                "until": date(2026, 3, 11),
            },
            NOW,
        )


def test_imported_busy_time_blocks_slots_with_the_buffer(session, setup_pro):
    setup_pro(
        time_zone="UTC", weekly={"wed": [{"start": "09:00", "end": "13:00"}]}, buffer_minutes=30
    )
    session.add(
        BusyInterval(
            professional_id="pro-1",
            start=datetime(2026, 3, 4, 11, tzinfo=UTC),
            end=datetime(2026, 3, 4, 11, 30, tzinfo=UTC),
            source_uid="x",
        )
    )
    session.flush()
    starts = find_slots(session, "pro-1", "svc-1", *WED, NOW)
    assert hours(starts) == ["09:00", "09:15", "09:30", "12:00"]


def test_slot_window_and_service_are_checked(session, setup_pro):
    setup_pro()
    with pytest.raises(Invalid):
        find_slots(session, "pro-1", "svc-1", WED[1], WED[0], NOW)
    with pytest.raises(Invalid):
        find_slots(session, "pro-1", "svc-1", WED[0], WED[0] + timedelta(days=63), NOW)
    with pytest.raises(NotFound):
        find_slots(session, "pro-2", "svc-1", *WED, NOW)
    with pytest.raises(NotFound):
        find_slots(session, "pro-1", "svc-unknown", *WED, NOW)
