from datetime import UTC, datetime, timedelta

import pytest
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_profiles.domain import listings, reviews
from loconomics_profiles.domain.catalog import job_title_id_for, seed_catalog
from loconomics_profiles.domain.service_areas import set_service_area
from loconomics_profiles.models import Base
from loconomics_profiles.shop_models import ListingSearchRow, ProfessionalRating
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
WALKER = job_title_id_for("dog-walker")
PRO = Caller("pro-1", frozenset({"professional"}))
CLIENT = Caller("client-1", frozenset({"client"}))
GOOD = {"care_for_animals": 5, "reliability": 5, "communication": 4, "value": 4}
FAIR_CLIENT = {"communication": 4, "punctuality": 3, "respect": 5}


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        seed_catalog(s, NOW)
        yield s


@pytest.fixture
def events():
    return []


@pytest.fixture
def emit(events):
    return lambda name, payload: events.append((name, payload))


@pytest.fixture
def listing_id(session, emit):
    listing = listings.create_listing(session, emit, PRO, WALKER, NOW)
    set_service_area(session, emit, PRO, listing["id"], 37.77, -122.42, 5, NOW)
    return listing["id"]


def completed(session, booking_id="b-1", client_id="client-1", listing_id=None):
    reviews.record_completed_booking(session, booking_id, client_id, "pro-1", NOW,
                                     job_title_id=WALKER, listing_id=listing_id)


def published(events):
    return [payload for name, payload in events if name == "review_published"]


def test_only_a_completed_booking_can_be_reviewed(session, emit):
    with pytest.raises(NotFound):
        reviews.submit_review(session, emit, CLIENT, "b-unknown", GOOD, "", NOW)


def test_only_the_two_people_of_the_booking_may_review(session, emit):
    completed(session)
    with pytest.raises(Forbidden):
        reviews.submit_review(session, emit, Caller("client-2", frozenset({"client"})), "b-1",
                              GOOD, "", NOW)
    with pytest.raises(Unauthorized):
        reviews.submit_review(session, emit, Caller(), "b-1", GOOD, "", NOW)


def test_a_repeated_completion_event_is_ignored(session):
    completed(session)
    assert not reviews.record_completed_booking(session, "b-1", "someone", "else", NOW)


def test_the_client_rates_each_criterion_of_the_job_title(session, emit):
    completed(session)
    with pytest.raises(Invalid) as caught:
        reviews.submit_review(session, emit, CLIENT, "b-1", {
            "care_for_animals": 6, "reliability": 0, "value": 4, "quality": 5}, "x" * 4001, NOW)
    assert set(caught.value.errors) == {"ratings.care_for_animals", "ratings.reliability",
                                        "ratings.communication", "ratings.quality", "text"}
    with pytest.raises(Invalid) as caught:
        reviews.submit_review(session, emit, CLIENT, "b-1", {**GOOD, "value": 4.5}, "", NOW)
    assert set(caught.value.errors) == {"ratings.value"}


def test_reviews_stay_blind_until_both_sides_have_written(session, emit, events, listing_id):
    completed(session, listing_id=listing_id)
    mine = reviews.submit_review(session, emit, CLIENT, "b-1", GOOD, "Lovely walks", NOW)
    assert mine["published_at"] is None and mine["rating"] == 4.5
    assert published(events) == []
    assert reviews.reviews_of_professional(session, "pro-1")["items"] == []
    later = NOW + timedelta(days=2)
    theirs = reviews.submit_review(session, emit, PRO, "b-1", FAIR_CLIENT, "On time", later)
    assert theirs["published_at"] == later
    assert {p["author_role"] for p in published(events)} == {"client", "professional"}
    client_event = next(p for p in published(events) if p["author_role"] == "client")
    assert client_event["subject_id"] == "pro-1" and client_event["listing_id"] == listing_id
    assert client_event["ratings"] == GOOD and client_event["text"] == "Lovely walks"
    page = reviews.reviews_of_professional(session, "pro-1")
    assert [r["id"] for r in page["items"]] == [mine["id"]]
    assert reviews.reviews_of_client(session, PRO, "client-1")["items"][0]["id"] == theirs["id"]


def test_a_lone_review_is_published_seven_days_after_it_was_written(session, emit, events):
    completed(session)
    reviews.submit_review(session, emit, CLIENT, "b-1", GOOD, "", NOW)
    almost = NOW + reviews.BLIND_PERIOD - timedelta(seconds=1)
    assert reviews.publish_due_reviews(session, emit, almost) == 0
    due = NOW + reviews.BLIND_PERIOD
    assert reviews.publish_due_reviews(session, emit, due) == 1
    assert [p["published_at"] for p in published(events)] == [due.isoformat()]
    assert reviews.publish_due_reviews(session, emit, due + timedelta(days=1)) == 0
    with pytest.raises(Conflict):
        reviews.submit_review(session, emit, PRO, "b-1", FAIR_CLIENT, "", due)


def test_one_review_per_side_per_booking(session, emit):
    completed(session)
    reviews.submit_review(session, emit, CLIENT, "b-1", GOOD, "", NOW)
    with pytest.raises(Conflict):
        reviews.submit_review(session, emit, CLIENT, "b-1", GOOD, "again", NOW)


def test_averages_follow_published_client_reviews(session, emit, listing_id):
    for n, care in enumerate((5, 3)):
        completed(session, f"b-{n}", f"client-{n}", listing_id)
        ratings = {**GOOD, "care_for_animals": care}
        reviews.submit_review(session, emit, Caller(f"client-{n}", frozenset({"client"})),
                              f"b-{n}", ratings, "", NOW)
    assert session.get(ListingSearchRow, listing_id).review_count == 0
    reviews.submit_review(session, emit, PRO, "b-0", FAIR_CLIENT, "", NOW)
    row = session.get(ListingSearchRow, listing_id)
    assert (row.rating_avg, row.review_count) == (4.5, 1)
    reviews.publish_due_reviews(session, emit, NOW + reviews.BLIND_PERIOD)
    row = session.get(ListingSearchRow, listing_id)
    assert (row.rating_avg, row.review_count) == (pytest.approx(4.25), 2)
    listing = listings.get_own_listing(session, PRO, listing_id)
    assert (listing["rating_avg"], listing["review_count"]) == (pytest.approx(4.25), 2)
    overall = session.get(ProfessionalRating, "pro-1")
    assert (overall.rating_avg, overall.review_count) == (pytest.approx(4.25), 2)


def test_the_completion_event_may_name_only_the_listing(session, emit, listing_id):
    reviews.record_completed_booking(session, "b-9", "client-1", "pro-1", NOW,
                                     listing_id=listing_id)
    with pytest.raises(Invalid) as caught:
        reviews.submit_review(session, emit, CLIENT, "b-9", {"quality": 5}, "", NOW)
    assert "ratings.care_for_animals" in caught.value.errors


def test_the_professional_replies_once_to_a_published_review(session, emit, events):
    completed(session)
    review = reviews.submit_review(session, emit, CLIENT, "b-1", GOOD, "", NOW)
    with pytest.raises(NotFound):
        reviews.reply_to_review(session, emit, PRO, review["id"], "Thanks!", NOW)
    reviews.publish_due_reviews(session, emit, NOW + reviews.BLIND_PERIOD)
    with pytest.raises(Forbidden):
        reviews.reply_to_review(session, emit, CLIENT, review["id"], "Me too", NOW)
    with pytest.raises(Invalid):
        reviews.reply_to_review(session, emit, PRO, review["id"], "  ", NOW)
    replied = reviews.reply_to_review(session, emit, PRO, review["id"], "Thanks!", NOW)
    assert replied["reply_text"] == "Thanks!" and events[-1][0] == "review_replied"
    with pytest.raises(Conflict):
        reviews.reply_to_review(session, emit, PRO, review["id"], "Again", NOW)


def test_review_pages_are_newest_first_and_the_cursor_walks_them_all(session, emit):
    ids = []
    for n in range(5):
        completed(session, f"b-{n}", f"client-{n}")
        written = NOW + timedelta(hours=n)
        ids.append(reviews.submit_review(session, emit, Caller(f"client-{n}", frozenset()),
                                         f"b-{n}", GOOD, str(n), written)["id"])
        reviews.publish_due_reviews(session, emit, written + reviews.BLIND_PERIOD)
    seen, cursor = [], None
    while True:
        page = reviews.reviews_of_professional(session, "pro-1", limit=2, cursor=cursor)
        seen.extend(r["id"] for r in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    with pytest.raises(Invalid) as caught:
        reviews.reviews_of_professional(session, "pro-1", cursor="bm9wZQ")
    assert list(caught.value.errors) == ["cursor"]


def test_client_reviews_are_for_professionals_and_the_client(session):
    with pytest.raises(Forbidden):
        reviews.reviews_of_client(session, Caller("client-2", frozenset({"client"})), "client-1")
    assert reviews.reviews_of_client(session, CLIENT, "client-1")["items"] == []
