"""The shop entrypoints with nameko's worker_factory: arguments in, dumps out, events consumed
in their producers' shapes, and search asking booking for free slots (or falling back)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import Mock

import pytest
from loconomics_plumbing.errors import Forbidden, Invalid
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import UnitOfWork
from loconomics_profiles import service as service_module
from loconomics_profiles.domain.catalog import job_title_id_for, seed_catalog
from loconomics_profiles.models import Account, Base
from loconomics_profiles.service import ProfilesService
from nameko.exceptions import MethodNotFound
from nameko.testing.services import worker_factory
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PAINTER = job_title_id_for("house-painter")
ANONYMOUS = Caller()
WEEKDAYS_9_TO_5 = {day: [{"start": "09:00", "end": "17:00"}]
                   for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def unit(monkeypatch):
    monkeypatch.setattr(service_module.clock, "now", lambda: NOW)
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        seed_catalog(session, NOW)
        session.commit()
    unit = UnitOfWork(Session(engine, expire_on_commit=False), Base.metadata, clock=lambda: NOW)
    yield unit
    unit.close()
    engine.dispose()


def worker(unit, caller=ANONYMOUS, booking=None):
    return worker_factory(ProfilesService, db=unit, caller=caller, booking=booking or Mock())


def professional(unit, name: str) -> Caller:
    caller = Caller(name, frozenset({"professional"}))
    unit.session.add(Account(
        id=name, email=f"{name}@example.org", name=name, password_hash="x", language="en",
        owner_status="not_yet_owner", created_at=NOW,
    ))
    unit.commit()
    return caller


def schedule_changed(professional_id: str, weekly=None, at=NOW) -> dict:
    """Booking's `schedule_changed` as its ScheduleChangedEventSchema emits it."""
    return {
        "event_id": f"e-{professional_id}-{at.isoformat()}", "occurred_at": at.isoformat(),
        "professional_id": professional_id, "time_zone": "America/Los_Angeles",
        "weekly": WEEKDAYS_9_TO_5 if weekly is None else weekly,
        "advance_notice_hours": 0, "buffer_minutes": 15, "slot_increment_minutes": 15,
        "reason": "schedule", "changed_at": at.isoformat(),
    }


def published_listing(unit, caller: Caller, lat=37.77, lng=-122.42) -> str:
    pro = worker(unit, caller)
    pro.update_my_profile(bio="Careful painter", business_name=f"{caller.user_id} paints")
    listing = pro.create_listing(job_title_id=PAINTER, intro="Walls")
    assert listing["missing"] == ["services", "service_area", "schedule"]
    pro.add_service(listing_id=listing["id"], name="Room", pricing_type="service",
                    price={"amount_cents": 30000, "currency": "USD"}, duration_minutes=240)
    pro.set_service_area(listing_id=listing["id"], lat=lat, lng=lng, radius_km=15)
    worker(unit).on_schedule_changed(schedule_changed(caller.user_id))
    turned_on = pro.update_listing(listing_id=listing["id"], status="on")
    assert turned_on["status"] == "on"
    return listing["id"]


def test_a_listing_is_built_and_turned_on_only_when_its_checklist_holds(unit):
    ana = professional(unit, "ana")
    pro = worker(unit, ana)
    pro.update_my_profile(bio="Careful painter")
    listing = pro.create_listing(job_title_id=PAINTER)
    with pytest.raises(Invalid) as refused:
        pro.update_listing(listing_id=listing["id"], status="on")
    assert set(refused.value.errors) == {"services", "service_area", "schedule"}
    assert published_listing(unit, professional(unit, "bea"))
    assert pro.list_my_listings()["items"][0]["id"] == listing["id"]


def test_search_asks_booking_who_is_free_and_says_so(unit):
    ids = {name: published_listing(unit, professional(unit, name)) for name in ("ana", "bea")}
    booking = Mock()
    booking.professionals_with_free_slots.return_value = {"professional_ids": ["bea"]}
    window = {"available_from": "2026-03-03T17:00:00+00:00",
              "available_to": "2026-03-03T20:00:00+00:00"}
    result = worker(unit, booking=booking).search(job_title="painter", lat=37.77, lng=-122.42,
                                                  **window)
    assert [item["listing_id"] for item in result["items"]] == [ids["bea"]]
    assert result["availability"] == "booking"
    asked = booking.professionals_with_free_slots.call_args.kwargs
    assert sorted(asked["professional_ids"]) == ["ana", "bea"]
    assert (asked["from"], asked["to"]) == (window["available_from"], window["available_to"])


def test_search_falls_back_on_weekly_hours_when_booking_cannot_answer(unit):
    published_listing(unit, professional(unit, "ana"))
    booking = Mock()
    booking.professionals_with_free_slots.side_effect = MethodNotFound("no such method")
    search = worker(unit, booking=booking).search
    open_hours = search(job_title="painter", lat=37.77, lng=-122.42,
                        available_from="2026-03-03T17:00:00+00:00",
                        available_to="2026-03-03T20:00:00+00:00")
    assert open_hours["availability"] == "weekly_hours"
    assert [item["professional_id"] for item in open_hours["items"]] == ["ana"]
    night = search(job_title="painter", lat=37.77, lng=-122.42,
                   available_from="2026-03-04T06:00:00+00:00",
                   available_to="2026-03-04T08:00:00+00:00")
    assert night["items"] == [] and night["availability"] == "weekly_hours"


def test_search_without_a_window_never_asks_booking(unit):
    published_listing(unit, professional(unit, "ana"))
    booking = Mock()
    result = worker(unit, booking=booking).search(job_title="house painter", lat=37.77,
                                                  lng=-122.42, limit="5")
    assert result["availability"] is None and len(result["items"]) == 1
    booking.professionals_with_free_slots.assert_not_called()
    with pytest.raises(Invalid) as bad:
        worker(unit).search(job_title="astronaut", lat=95, lng=-122.42)
    assert set(bad.value.errors) == {"lat"}
    with pytest.raises(Invalid) as unknown:
        worker(unit).search(job_title="astronaut", lat=37.77, lng=-122.42)
    assert set(unknown.value.errors) == {"job_title"}


def test_owner_status_from_billing_gates_instant_booking_and_a_lapse_resets_it(unit):
    ana = professional(unit, "ana")
    listing_id = published_listing(unit, ana)
    pro = worker(unit, ana)
    with pytest.raises(Forbidden):
        pro.update_listing(listing_id=listing_id, instant_booking=True)

    def owner_status_changed(to: str, at: datetime) -> dict:
        return {"event_id": f"os-{to}", "occurred_at": at.isoformat(), "user_id": "ana",
                "from": "trial", "to": to, "plan_id": "owner-growth-monthly",
                "reason": "subscription", "changed_at": at.isoformat()}

    worker(unit).on_owner_status_changed(owner_status_changed("active", NOW))
    changed = pro.update_listing(listing_id=listing_id, instant_booking=True,
                                 cancellation_policy="strict")
    assert (changed["instant_booking"], changed["cancellation_policy"]) == (True, "strict")
    worker(unit).on_owner_status_changed(owner_status_changed("inactive",
                                                              NOW + timedelta(days=30)))
    lapsed = pro.get_my_listing(listing_id=listing_id)
    assert (lapsed["instant_booking"], lapsed["cancellation_policy"]) == (False, "flexible")
    assert lapsed["status"] == "on"


def test_a_schedule_without_hours_takes_a_listing_off_search(unit):
    ana = professional(unit, "ana")
    listing_id = published_listing(unit, ana)
    later = NOW + timedelta(hours=1)
    worker(unit).on_schedule_changed(schedule_changed("ana", weekly={}, at=later))
    listing = worker(unit, ana).get_my_listing(listing_id=listing_id)
    assert listing["status"] == "incomplete" and listing["missing"] == ["schedule"]
    assert worker(unit).search(job_title="painter", lat=37.77, lng=-122.42)["items"] == []


def test_booking_completed_opens_a_double_blind_review_published_by_the_timer(unit, monkeypatch):
    ana = professional(unit, "ana")
    listing_id = published_listing(unit, ana)
    worker(unit).on_booking_completed({
        "event_id": "bc-1", "occurred_at": NOW.isoformat(), "booking_id": "b-1",
        "client_id": "cleo", "professional_id": "ana", "service_id": "s-1",
        "listing_id": listing_id, "status": "completed", "start": NOW.isoformat(),
        "end": NOW.isoformat(), "time_zone": "UTC",
        "price": {"amount_cents": 30000, "currency": "USD"}, "policy": "flexible",
        "instant": False, "created_by": "client", "completed_by": "client",
    })
    cleo = worker(unit, Caller("cleo", frozenset({"client"})))
    review = cleo.submit_review(booking_id="b-1", text="Neat", ratings={
        "workmanship": 5, "punctuality": 4, "communication": 5, "value": 4})
    assert review["published_at"] is None and review["job_title_id"] == PAINTER
    assert worker(unit).list_professional_reviews(professional_id="ana")["items"] == []

    monkeypatch.setattr(service_module.clock, "now", lambda: NOW + timedelta(days=7))
    worker(unit).publish_due_reviews()
    page = worker(unit).list_professional_reviews(professional_id="ana", limit="10")
    assert [r["id"] for r in page["items"]] == [review["id"]]
    public = worker(unit).get_professional(professional="ana")
    assert public["rating"] == {"rating_avg": 4.5, "review_count": 1}
