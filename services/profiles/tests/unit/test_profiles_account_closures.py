"""Closing an account: refused with nothing changed (wrong password, bookings not finished,
booking not answering), otherwise the member's personal data erased at once: the account's
address, name and password, its log-ins and reset links, a professional's profile, listings
and the reviews about them; reviews the member wrote stay. The domain alone, then the
entrypoint through nameko's worker_factory."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from unittest.mock import Mock

import eventlet
import pytest
from loconomics_plumbing.errors import Conflict, Invalid, NotFound, Unauthorized, Unavailable
from loconomics_plumbing.identity import Caller
from loconomics_profiles import service as service_module
from loconomics_profiles import shop_schemas
from loconomics_profiles.domain import (
    account_closures,
    accounts,
    catalog,
    listing_services,
    listings,
    login_sessions,
    member_facts,
    password_resets,
    reviews,
)
from loconomics_profiles.domain import professional_profiles as profiles
from loconomics_profiles.domain import search as listing_search
from loconomics_profiles.domain.catalog import job_title_id_for
from loconomics_profiles.domain.public_profiles import PublicProfiles
from loconomics_profiles.domain.service_areas import set_service_area
from loconomics_profiles.models import Base, LoginSession, PasswordReset
from loconomics_profiles.schemas import AccountClosedEventSchema, AccountClosureSchema
from loconomics_profiles.service import ProfilesService
from loconomics_profiles.shop_models import (
    Credential,
    JobTitle,
    Listing,
    ListingSearchRow,
    ListingService,
    ProfessionalProfile,
    ProfessionalRating,
    ProfessionalSchedule,
    Review,
    ServiceArea,
)
from nameko.exceptions import MethodNotFound, RemoteError, UnknownService
from nameko.testing.services import worker_factory
from sqlalchemy import func, select, update

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=10)
PASSWORD = "correct horse battery"
PAINTER = job_title_id_for("house-painter")
HANDYMAN = job_title_id_for("handyman")
ROOM = {
    "name": "Room",
    "description": "I bring my own ladders; ask for Ana.",
    "pricing_type": "service",
    "duration_minutes": 240,
    "price": {"amount_cents": 40000, "currency": "USD"},
}
LICENSE = {
    "kind": "license",
    "name": "Painting contractor",
    "number": "C-33",
    "issuer": "CSLB",
    "state": "CA",
    "expires_on": "2027-06-30",
}
WEEKDAYS = {"mon": [{"start": "09:00", "end": "17:00"}]}
PAINTER_RATINGS = {"workmanship": 5, "punctuality": 4, "communication": 5, "value": 4}
CLIENT_RATINGS = {"communication": 5, "punctuality": 5, "respect": 5}


@pytest.fixture
def work(make_work):
    return make_work(LATER, catalog_seeded_at=NOW)


def sign_up(work, email: str, name: str, roles=("client",), language="en"):
    account = accounts.sign_up(
        work.session,
        work.emit,
        email=email,
        password=PASSWORD,
        name=name,
        roles=list(roles),
        language=language,
        now=NOW,
    )
    work.commit()
    return account


def caller_of(account) -> Caller:
    return Caller(account.id, frozenset(account.roles))


def events(work, event_type: str) -> list[dict]:
    outbox = Base.metadata.tables["outbox_events"]
    rows = work.session.execute(
        select(outbox.c.payload).where(outbox.c.event_type == event_type)
    ).scalars()
    return [json.loads(row) for row in rows]


def open_shop(work, account) -> dict[str, str]:
    """A profile with a slug and a credential, weekly hours, a listing that is on (with a
    service and an area) and one still incomplete; the two listings' ids."""
    pro = caller_of(account)
    first = account.name.lower()
    account.owner_status = "trial"  # a second listing needs it
    profiles.update_profile(
        work.session,
        work.emit,
        pro,
        {
            "bio": f"{account.name}, painter for 20 years",
            "slug": f"{first}-paints",
            "business_name": f"{account.name} Paints",
            "photo_url": f"https://example.org/{first}.jpg",
            "languages": ["en", "es"],
        },
        NOW,
    )
    profiles.add_credential(work.session, pro, LICENSE, NOW)
    member_facts.record_schedule(work.session, work.emit, account.id, WEEKDAYS, "UTC", NOW, NOW)
    on = listings.create_listing(work.session, work.emit, pro, PAINTER, NOW, intro="I paint")
    listing_services.add_service(work.session, work.emit, pro, on["id"], ROOM, NOW)
    set_service_area(work.session, work.emit, pro, on["id"], 37.77, -122.42, 10, NOW)
    listings.update_listing(work.session, work.emit, pro, on["id"], {"status": "on"}, NOW)
    incomplete = listings.create_listing(
        work.session, work.emit, pro, HANDYMAN, NOW, intro="Small repairs too"
    )
    work.commit()
    return {"on": on["id"], "incomplete": incomplete["id"]}


def search_painters(work) -> list[str]:
    found = listing_search.search(work.session, job_title="painter", lat=37.77, lng=-122.42)
    return [item["professional_id"] for item in found["items"]]


def close(work, account, password=PASSWORD, unfinished=0, at=LATER):
    closed = account_closures.close_account(
        work.session,
        work.emit,
        account_id=account.id,
        current_password=password,
        unfinished_bookings=unfinished,
        now=at,
    )
    work.commit()
    return closed


def can_log_in(work, email: str, password: str = PASSWORD) -> bool:
    try:
        accounts.log_in(work.session, email=email, password=password)
    except Unauthorized:
        return False
    return True


@pytest.fixture
def ana(work):
    """A professional (and client) with a shop, a log-in and an unused reset link."""
    account = sign_up(
        work, "ana@example.org", "Ana", roles=("client", "professional"), language="fr"
    )
    open_shop(work, account)
    return account


def nothing_changed(work, account, login: LoginSession) -> None:
    work.rollback()
    assert account.closed_at is None
    assert (account.email, account.name) == ("ana@example.org", "Ana")
    assert can_log_in(work, "ana@example.org")
    assert login_sessions.is_active(work.session, login.id, LATER)
    assert work.session.scalar(select(func.count()).select_from(PasswordReset)) == 1
    assert search_painters(work) == [account.id]
    assert profiles.public_profile(work.session, "ana-paints", None, LATER)["bio"]
    assert events(work, "account_closed") == events(work, "listing_removed") == []


def logged_in_with_a_reset(work, account) -> LoginSession:
    login, _ = login_sessions.open_session(work.session, account, NOW)
    password_resets.request_reset(work.session, work.emit, email=account.email, now=NOW)
    work.commit()
    return login


# refusals


def test_a_wrong_password_changes_nothing(work, ana):
    login = logged_in_with_a_reset(work, ana)
    with pytest.raises(Invalid) as refused:
        close(work, ana, password="not my password")
    assert refused.value.errors == {"current_password": ["Wrong password."]}
    assert refused.value.detail == "The current password is wrong."
    nothing_changed(work, ana, login)


@pytest.mark.parametrize(
    ("unfinished", "message"),
    [
        (
            2,
            "2 bookings are not finished: cancel them or wait until they are completed, "
            "then close the account.",
        ),
        (
            1,
            "1 booking is not finished: cancel it or wait until it is completed, "
            "then close the account.",
        ),
    ],
)
def test_bookings_not_finished_refuse_and_change_nothing(work, ana, unfinished, message):
    login = logged_in_with_a_reset(work, ana)
    with pytest.raises(Conflict) as refused:
        close(work, ana, unfinished=unfinished)
    assert refused.value.errors == {"bookings": [message]}
    assert refused.value.detail == "Some bookings are not finished."
    nothing_changed(work, ana, login)


def test_a_closed_account_cannot_be_closed_again(work, ana):
    close(work, ana)
    with pytest.raises(Unauthorized, match="This account is closed."):
        close(work, ana)
    assert len(events(work, "account_closed")) == 1


# the erasure


def test_the_address_name_password_log_ins_and_reset_links_are_erased(work, ana):
    login, refresh_token = login_sessions.open_session(work.session, ana, NOW)
    password_resets.request_reset(work.session, work.emit, email=ana.email, now=NOW)
    work.commit()
    [requested] = events(work, "password_reset_requested")
    old_hash = ana.password_hash

    closed = close(work, ana)

    assert closed.id == ana.id and closed.closed_at == LATER
    assert ana.email == f"closed-{ana.id}@closed.invalid"
    assert ana.name == "Former member"
    assert ana.password_hash != old_hash and not accounts.has_password(ana, PASSWORD)
    assert ana.roles == ["client", "professional"], "the roles are no personal data"
    assert not login_sessions.is_active(work.session, login.id, LATER)
    with pytest.raises(Unauthorized):
        login_sessions.rotate(work.session, refresh_token, LATER)
    work.rollback()
    assert work.session.scalars(select(PasswordReset)).all() == []
    with pytest.raises(Invalid):
        password_resets.reset_password(
            work.session,
            work.emit,
            token=requested["reset_token"],
            password="a new one!!",
            now=LATER,
        )


def test_log_in_fails_with_the_usual_answer(work, ana):
    close(work, ana)
    for email in ("ana@example.org", ana.email):
        with pytest.raises(Unauthorized) as refused:
            accounts.log_in(work.session, email=email, password=PASSWORD)
        assert refused.value.detail == "The email or password is wrong."


def test_the_old_email_can_sign_up_again_as_a_new_account(work, ana):
    close(work, ana)
    again = sign_up(work, "ANA@example.org", "Ana again")
    assert again.id != ana.id and again.email == "ana@example.org"
    assert can_log_in(work, "ana@example.org")


def test_nobody_can_take_a_closed_accounts_address_before_it_closes(work):
    with pytest.raises(Invalid) as refused:
        sign_up(work, "closed-someone@closed.invalid", "Squatter")
    assert set(refused.value.errors) == {"email"}
    with pytest.raises(Invalid):
        sign_up(work, "x@invalid", "Squatter")


def test_the_closed_account_is_no_longer_anybodys(work, ana):
    close(work, ana)
    with pytest.raises(Unauthorized, match="This account is closed."):
        accounts.current_account(work.session, ana.id)
    with pytest.raises(Unauthorized):
        accounts.change_account(work.session, work.emit, ana.id, {"name": "Ana"})
    with pytest.raises(Unauthorized):
        password_resets.change_password(
            work.session,
            work.emit,
            account_id=ana.id,
            current_password=PASSWORD,
            password="another passphrase",
            now=LATER,
        )
    password_resets.request_reset(work.session, work.emit, email=ana.email, now=LATER)
    work.commit()
    assert events(work, "password_reset_requested") == [], "no link to a closed account"
    assert events(work, "account_changed") == []


# the professional's shop


def test_every_listing_is_removed_as_deleting_it_removes_it(work, ana):
    on = work.session.scalar(select(Listing).where(Listing.status == "on"))
    version = on.version
    close(work, ana)
    assert set(work.session.scalars(select(Listing.status))) == {"deleted"}
    [removed] = events(work, "listing_removed")
    envelope = {"event_id", "occurred_at"}
    body = {key: value for key, value in removed.items() if key not in envelope}
    assert shop_schemas.ListingEventSchema().validate(body) == {}
    assert (removed["listing_id"], removed["status"]) == (on.id, "deleted")
    assert removed["version"] == version + 1
    assert removed["service_area"] is not None, "the same payload a deletion sends"
    assert listings.list_own_listings(work.session, caller_of(ana)) == []


def test_what_the_listings_said_about_the_member_and_where_they_work_is_erased(work, ana):
    close(work, ana)
    assert set(work.session.scalars(select(Listing.intro))) == {""}
    assert set(work.session.scalars(select(ListingService.description))) == {""}
    assert work.session.scalars(select(ListingService.name)).all() == ["Room"]
    assert work.session.scalars(select(ServiceArea)).all() == []
    assert work.session.scalars(select(ListingSearchRow)).all() == []
    assert work.session.get(ProfessionalSchedule, ana.id) is None


def test_search_no_longer_finds_them(work, ana):
    bea = sign_up(work, "bea@example.org", "Bea", roles=("professional",))
    open_shop(work, bea)
    assert sorted(search_painters(work)) == sorted([ana.id, bea.id])
    close(work, ana)
    assert search_painters(work) == [bea.id]


def test_the_public_profile_answers_not_found_even_where_it_was_kept(work, ana):
    kept = PublicProfiles(shop_schemas.PublicProfileSchema().dump)
    elsewhere = PublicProfiles(shop_schemas.PublicProfileSchema().dump)
    for copy in (kept, elsewhere):
        assert copy.read(work.session, ana.id, None, NOW)["bio"] == "Ana, painter for 20 years"
        work.commit()
    close(work, ana)
    kept.forget(ana.id)
    assert len(kept) == 0
    for copy in (kept, elsewhere):
        for asked in (ana.id, "ana-paints"):
            with pytest.raises(NotFound):
                copy.read(work.session, asked, None, LATER)
    assert len(elsewhere) == 0, "asked for by id, its kept answer is dropped"
    assert work.session.get(ProfessionalProfile, ana.id) is None
    assert work.session.scalars(select(Credential)).all() == []


# reviews


def completed(work, booking_id: str, client, professional, listing_id=None) -> None:
    reviews.record_completed_booking(
        work.session, booking_id, client.id, professional.id, NOW, listing_id=listing_id
    )
    work.commit()


def review(work, author, booking_id: str, ratings: dict, text: str) -> dict:
    written = reviews.submit_review(
        work.session, work.emit, caller_of(author), booking_id, ratings, text, NOW
    )
    work.commit()
    return written


def test_reviews_the_member_wrote_stay_shown_as_by_a_former_member(work, ana):
    """Reviews hold the author's id, never a copy of the name: whoever shows the author finds
    the account named `Former member`, and the reply to the review stays too."""
    bea = sign_up(work, "bea@example.org", "Bea", roles=("professional",))
    cleo = sign_up(work, "cleo@example.org", "Cleo")
    open_shop(work, bea)
    bea_listing = work.session.scalar(
        select(Listing.id).where(Listing.professional_id == bea.id, Listing.status == "on")
    )
    completed(work, "b-ana-bea", ana, bea, bea_listing)  # ana as client of bea
    completed(work, "b-cleo-ana", cleo, ana)  # ana as professional of cleo
    as_client = review(work, ana, "b-ana-bea", PAINTER_RATINGS, "Neat work")
    review(work, bea, "b-ana-bea", CLIENT_RATINGS, "Kind client")
    as_professional = review(work, ana, "b-cleo-ana", CLIENT_RATINGS, "Great client")
    reviews.publish_due_reviews(work.session, work.emit, NOW + timedelta(days=7))
    reviews.reply_to_review(
        work.session, work.emit, caller_of(bea), as_client["id"], "Thank you!", NOW
    )
    work.commit()
    rating_before = work.session.get(ProfessionalRating, bea.id).rating_avg

    close(work, ana)

    [of_bea] = reviews.reviews_of_professional(work.session, bea.id)["items"]
    assert (of_bea["id"], of_bea["author_id"], of_bea["text"]) == (
        as_client["id"],
        ana.id,
        "Neat work",
    )
    assert of_bea["reply_text"] == "Thank you!"
    assert work.session.get(ProfessionalRating, bea.id).rating_avg == rating_before == 4.5
    [of_cleo] = reviews.reviews_of_client(work.session, caller_of(cleo), cleo.id)["items"]
    assert (of_cleo["id"], of_cleo["author_id"]) == (as_professional["id"], ana.id)
    assert accounts.get_account(work.session, ana.id).name == "Former member"


def test_reviews_about_a_closed_professional_go_with_the_profile(work, ana):
    cleo = sign_up(work, "cleo@example.org", "Cleo")
    dan = sign_up(work, "dan@example.org", "Dan")
    listing_id = work.session.scalar(select(Listing.id).where(Listing.status == "on"))
    completed(work, "b-cleo", cleo, ana, listing_id)
    completed(work, "b-dan", dan, ana, listing_id)
    about_ana = review(work, cleo, "b-cleo", PAINTER_RATINGS, "Ana was careful")
    reviews.publish_due_reviews(work.session, work.emit, NOW + timedelta(days=7))
    reviews.reply_to_review(
        work.session, work.emit, caller_of(ana), about_ana["id"], "Thanks, Cleo", NOW
    )
    work.commit()
    assert work.session.get(ProfessionalRating, ana.id).review_count == 1

    close(work, ana)

    assert reviews.reviews_of_professional(work.session, ana.id)["items"] == []
    assert work.session.scalars(select(Review)).all() == []
    assert work.session.get(ProfessionalRating, ana.id) is None
    with pytest.raises(Conflict):
        review(work, dan, "b-dan", PAINTER_RATINGS, "Too late")
    work.rollback()
    assert work.session.scalars(select(Review)).all() == []


# the event


def test_the_event_carries_the_original_addressee_for_the_goodbye_email(work, ana):
    close(work, ana)
    [closed] = events(work, "account_closed")
    assert AccountClosedEventSchema().validate(closed) == {}
    assert set(closed) == set(AccountClosedEventSchema().fields)
    assert closed == {
        "account_id": ana.id,
        "closed_at": "2026-12-06T09:00:00+00:00",
        "roles": ["client", "professional"],
        "email": "ana@example.org",
        "name": "Ana",
        "language": "fr",
        "event_id": closed["event_id"],
        "occurred_at": LATER.isoformat(),
    }


def test_events_that_carried_the_address_leave_the_outbox_at_once_sent_or_not(work, ana):
    bea = sign_up(work, "bea@example.org", f"Bea, not {ana.id}")  # only ana's events go
    password_resets.request_reset(work.session, work.emit, email=ana.email, now=NOW)
    outbox = Base.metadata.tables["outbox_events"]
    work.session.execute(update(outbox).values(published_at=NOW))
    accounts.change_account(work.session, work.emit, ana.id, {"name": "Ana R"})  # not yet
    work.commit()
    close(work, ana)
    assert [e["account_id"] for e in events(work, "account_created")] == [bea.id]
    assert events(work, "account_changed") == [], "not sent yet, and not needed"
    assert events(work, "password_reset_requested") == []
    assert len(events(work, "account_closed")) == 1
    assert events(work, "listing_published"), "events without the address stay"
    everything = "\n".join(work.session.connection().connection.driver_connection.iterdump())
    assert everything.count("ana@example.org") == 1  # account_closed, until it is sent


def test_proposals_still_waiting_leave_the_queue_and_listed_ones_stay(work, ana):
    pro, admin = caller_of(ana), Caller("admin-1", frozenset({"admin"}))
    waiting = catalog.propose_title(work.session, work.emit, pro, "Beekeeper", "outdoor", NOW)
    listed = catalog.propose_title(work.session, work.emit, pro, "Muralist", "home", NOW)
    catalog.approve_title(work.session, work.emit, admin, listed["id"], NOW)
    bob = sign_up(work, "bob@example.org", "Bob", roles=("professional",))
    others = catalog.propose_title(
        work.session, work.emit, caller_of(bob), "Beekeeper", "outdoor", NOW
    )
    work.commit()

    close(work, ana)

    queue = catalog.list_proposals(work.session, admin)
    assert [title["id"] for title in queue] == [others["id"]]
    statuses = {
        title.id: (title.status, title.decided_at)
        for title in work.session.scalars(select(JobTitle))
        if title.proposed_by == ana.id
    }
    assert statuses == {waiting["id"]: ("withdrawn", LATER), listed["id"]: ("listed", NOW)}


def test_a_client_closes_too(work):
    cleo = sign_up(work, "cleo@example.org", "Cleo")
    close(work, cleo)
    [closed] = events(work, "account_closed")
    assert closed["roles"] == ["client"] and closed["email"] == "cleo@example.org"
    assert cleo.name == "Former member"
    assert events(work, "listing_removed") == []


# the entrypoint


@pytest.fixture
def unit(work, monkeypatch):
    monkeypatch.setattr(service_module.clock, "now", lambda: LATER)
    return work


def booking_answering(count: int, unit=None) -> Mock:
    """Booking's `count_unfinished_bookings`; with `unit`, it checks that nothing of the
    database is in use while it is asked (no transaction, so no lock, held while waiting)."""

    def answer(account_id):
        if unit is not None:
            assert not unit.session.in_transaction()
        return {"unfinished": count}

    booking = Mock()
    booking.count_unfinished_bookings.side_effect = answer
    return booking


def worker(unit, caller=None, booking=None):
    return worker_factory(
        ProfilesService, db=unit, caller=caller or Caller(), booking=booking or Mock()
    )


def test_the_entrypoint_asks_booking_first_then_closes(unit, ana):
    login = logged_in_with_a_reset(unit, ana)
    booking = booking_answering(0, unit)
    service = worker(unit, caller_of(ana), booking)
    answer = service.close_account(current_password=PASSWORD)
    assert answer == {"closed_at": "2026-12-06T09:00:00+00:00"}
    assert AccountClosureSchema().validate(answer) == {}
    booking.count_unfinished_bookings.assert_called_once_with(account_id=ana.id)
    anonymous = worker(unit)
    assert anonymous.check_session(session_id=login.id) == {"active": False}
    with pytest.raises(Unauthorized):
        anonymous.log_in(email="ana@example.org", password=PASSWORD)
    with pytest.raises(Unauthorized, match="This account is closed."):
        service.get_me()
    again = anonymous.sign_up(
        email="ana@example.org", password=PASSWORD, name="Ana", roles=["client"]
    )
    assert again["id"] != ana.id
    with pytest.raises(NotFound):
        anonymous.get_professional(professional="ana-paints")


def test_the_entrypoint_refuses_with_nothing_changed(unit, ana):
    login = logged_in_with_a_reset(unit, ana)
    with pytest.raises(Conflict) as refused:
        worker(unit, caller_of(ana), booking_answering(3)).close_account(current_password=PASSWORD)
    assert refused.value.errors == {
        "bookings": [
            "3 bookings are not finished: cancel them or wait until they are completed, "
            "then close the account."
        ]
    }
    nothing_changed(unit, ana, login)
    with pytest.raises(Invalid) as refused:
        worker(unit, caller_of(ana), booking_answering(0)).close_account(
            current_password="not my password"
        )
    assert set(refused.value.errors) == {"current_password"}
    nothing_changed(unit, ana, login)


def slow(account_id):
    eventlet.sleep(1)
    return {"unfinished": 0}


@pytest.mark.parametrize(
    "trouble",
    [
        MethodNotFound("count_unfinished_bookings"),
        RemoteError("KeyError", "boom"),
        UnknownService("booking"),
        Unavailable("The database is busy; try again."),
        Invalid("The input is not valid.", {"account_id": ["Missing data."]}),
        slow,
    ],
    ids=[
        "method-not-found",
        "remote-error",
        "unknown-service",
        "unavailable",
        "refused",
        "timeout",
    ],
)
def test_booking_not_answering_is_unavailable_and_changes_nothing(unit, ana, monkeypatch, trouble):
    monkeypatch.setattr(service_module, "BOOKING_TIMEOUT_SECONDS", 0.05)
    login = logged_in_with_a_reset(unit, ana)
    booking = Mock()
    booking.count_unfinished_bookings.side_effect = trouble
    with pytest.raises(Unavailable):
        worker(unit, caller_of(ana), booking).close_account(current_password=PASSWORD)
    nothing_changed(unit, ana, login)


def test_the_entrypoint_needs_a_signed_in_caller_and_its_password(unit, ana):
    with pytest.raises(Unauthorized):
        worker(unit).close_account(current_password=PASSWORD)
    with pytest.raises(Invalid) as refused:
        worker(unit, caller_of(ana)).close_account(password=PASSWORD)
    assert set(refused.value.errors) == {"current_password", "password"}
    assert ana.closed_at is None


def test_the_closing_copy_forgets_the_profile_it_kept(unit, ana):
    anonymous = worker(unit)
    anonymous.get_professional(professional=ana.id)
    kept = len(service_module.PUBLIC_PROFILES)
    worker(unit, caller_of(ana), booking_answering(0)).close_account(current_password=PASSWORD)
    assert len(service_module.PUBLIC_PROFILES) == kept - 1


def test_the_event_leaves_the_outbox_once_published():
    assert ProfilesService.db.forget_once_published == {
        "password_reset_requested",
        "email_confirmation_requested",
        "email_changed",
        "account_closed",
    }
