"""Our copies of other services' facts: service names from listings, zones from schedules and
bookings (profiles sends none)."""

from __future__ import annotations

from loconomics_notifications.domain.content import compose
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import Contact, KnownService, Notification
from sqlalchemy import select


def _listing(make_event, version, name, event=None):
    services = [{"service_id": "svc1", "name": name}, {"service_id": "svc2", "name": ""}]
    return make_event("listing_published", version=version, services=services, event=event)


def test_the_newest_listing_version_names_a_service(session, now, make_event):
    handle_event(session, "listing_changed", _listing(make_event, 3, "Cut and style"), now)
    handle_event(session, "listing_changed", _listing(make_event, 2, "Old name"), now)
    assert session.get(KnownService, "svc1").name == "Cut and style"
    assert session.get(KnownService, "svc2") is None  # nameless services are not kept


def test_a_renamed_service_is_named_anew_in_emails_not_yet_read(session, now, people, make_event):
    event = make_event("booking_confirmed")
    handle_event(session, "booking_confirmed", event, now)
    handle_event(session, "listing_changed", _listing(make_event, 5, "Beard trim"), now)
    notification = session.scalars(
        select(Notification).where(
            Notification.event_id == event["event_id"], Notification.recipient_id == "pro1"
        )
    ).first()
    assert (
        compose(session, notification).subject == "Booking confirmed: Beard trim with Chloé Martin"
    )


def test_an_account_without_a_zone_learns_it_from_its_first_booking(
    session, now, make_account, make_event
):
    handle_event(session, "account_created", make_account("client1", "Chloé"), now)
    assert session.get(Contact, "client1").time_zone is None
    handle_event(session, "booking_requested", make_event("booking_requested"), now)
    assert session.get(Contact, "client1").time_zone == "America/Los_Angeles"
    other = make_event("booking_requested", booking_id="bk2", time_zone="Europe/Paris")
    handle_event(session, "booking_requested", other, now)
    assert session.get(Contact, "client1").time_zone == "America/Los_Angeles"


def test_a_professionals_schedule_always_sets_their_zone(session, now, make_account, make_event):
    handle_event(
        session, "account_created", make_account("pro1", "Pat", time_zone="Europe/Paris"), now
    )
    handle_event(session, "schedule_changed", make_event("schedule_changed"), now)
    assert session.get(Contact, "pro1").time_zone == "America/Los_Angeles"


def test_dates_of_a_reader_whose_zone_is_unknown_use_the_default_zone(
    session, now, make_account, make_event
):
    handle_event(session, "account_created", make_account("pro1", "Pat"), now)
    event = make_event(
        "proposal_opened", electorate=["pro1"], closes_at="2026-03-08T20:00:00+00:00"
    )
    handle_event(session, "proposal_opened", event, now)
    notification = session.scalars(
        select(Notification).where(Notification.event_id == event["event_id"])
    ).first()
    assert "at 8:00\u00a0PM (UTC)" in compose(session, notification).body
    in_chicago = compose(session, notification, default_zone="America/Chicago").body
    assert "Sunday, March 8, 2026 at 3:00\u00a0PM (Chicago time)" in in_chicago


def test_a_schedule_for_someone_we_do_not_know_changes_nothing(session, now, make_event):
    handle_event(session, "schedule_changed", make_event("schedule_changed"), now)
    assert session.scalars(select(Contact)).all() == []
