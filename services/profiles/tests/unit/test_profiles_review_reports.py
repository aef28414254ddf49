"""Reports of reviews and their moderation (docs/reports-and-blocks.md): who may report what,
the moderators' queue, removing, restoring and dismissing, what each tells whom, and what a
closure and a member's copy of their data do with reports. The domain, then the entrypoints
through nameko's worker_factory."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from unittest.mock import Mock

import pytest
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.moderation import DETAILS_MAX, NOTE_MAX
from loconomics_plumbing.telemetry import MODERATION_OLDEST_WAIT, MODERATION_OPEN_REPORTS
from loconomics_profiles import service as service_module
from loconomics_profiles.domain import (
    account_closures,
    accounts,
    listings,
    member_data,
    review_reports,
    reviews,
)
from loconomics_profiles.domain.catalog import job_title_id_for
from loconomics_profiles.domain.service_areas import set_service_area
from loconomics_profiles.models import Account, AccountRole, Base
from loconomics_profiles.schemas import (
    MemberDataSchema,
    ModeratedReviewReportSchema,
    ModeratedReviewSchema,
    ReviewRemovedEventSchema,
    ReviewReportPageSchema,
    ReviewReportResolvedEventSchema,
    ReviewReportSchema,
)
from loconomics_profiles.service import ProfilesService
from loconomics_profiles.shop_models import (
    ListingSearchRow,
    ProfessionalRating,
    Review,
    ReviewReport,
)
from nameko.testing.services import worker_factory
from sqlalchemy import func, literal_column, select

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
PASSWORD = "correct horse battery"
WALKER = job_title_id_for("dog-walker")
GOOD = {"care_for_animals": 5, "reliability": 5, "communication": 4, "value": 4}  # 4.5
POOR = {"care_for_animals": 2, "reliability": 2, "communication": 2, "value": 2}  # 2.0
FAIR_CLIENT = {"communication": 4, "punctuality": 3, "respect": 5}

PRO = Caller("pro-1", frozenset({"professional"}))
OTHER_PRO = Caller("pro-2", frozenset({"professional"}))
CLIENT = Caller("client-1", frozenset({"client"}))
STRANGER = Caller("client-2", frozenset({"client"}))
THIRD = Caller("client-3", frozenset({"client"}))
NEWCOMER = Caller("client-4", frozenset({"client"}))
MOD = Caller("mod-1", frozenset({"admin"}))
ANONYMOUS = Caller()
ENVELOPE = ("event_id", "occurred_at")


@pytest.fixture
def work(make_work):
    return make_work(NOW, catalog_seeded_at=NOW)


@pytest.fixture
def world(work) -> dict:
    """pro-1's listing, reviewed by client-1 (4.5) and client-3 (2.0), each booking reviewed
    by both sides, so all four reviews are published."""
    listing = listings.create_listing(work.session, work.emit, PRO, WALKER, NOW)
    set_service_area(work.session, work.emit, PRO, listing["id"], 37.77, -122.42, 5, NOW)
    good, pro_on_client = both_reviewed(work, listing["id"], "b-1", CLIENT, GOOD)
    poor, pro_on_third = both_reviewed(work, listing["id"], "b-3", THIRD, POOR)
    work.commit()
    return {
        "listing_id": listing["id"],
        "good": good,
        "poor": poor,
        "pro_on_client": pro_on_client,
        "pro_on_third": pro_on_third,
    }


def both_reviewed(work, listing_id: str, booking_id: str, client: Caller, ratings: dict):
    reviews.record_completed_booking(
        work.session,
        booking_id,
        client.user_id,
        PRO.user_id,
        NOW,
        listing_id=listing_id,
        job_title_id=WALKER,
    )
    by_client = reviews.submit_review(
        work.session, work.emit, client, booking_id, ratings, f"{client.user_id} on pro-1", NOW
    )
    by_pro = reviews.submit_review(
        work.session, work.emit, PRO, booking_id, FAIR_CLIENT, f"pro-1 on {client.user_id}", NOW
    )
    return by_client["id"], by_pro["id"]


def report(work, caller: Caller, review_id: str, reason="spam", details=None, at=NOW) -> dict:
    return review_reports.report_review(work.session, caller, review_id, reason, details, at)


def remove(work, review_id: str, reason="harassment", note="Please keep it civil.", at=LATER):
    return review_reports.remove_review(work.session, work.emit, MOD, review_id, reason, note, at)


def dismiss(work, report_id: str, note="An honest opinion.", at=LATER, caller=MOD) -> dict:
    return review_reports.dismiss_review_report(
        work.session, work.emit, caller, report_id, note, at
    )


def events(work, event_type: str) -> list[dict]:
    outbox = Base.metadata.tables["outbox_events"]
    rows = work.session.execute(
        select(outbox.c.payload)
        .where(outbox.c.event_type == event_type)
        .order_by(literal_column("rowid"))  # SQLite: the order they were emitted in
    ).scalars()
    return [{k: v for k, v in json.loads(row).items() if k not in ENVELOPE} for row in rows]


def outbox_size(work) -> int:
    outbox = Base.metadata.tables["outbox_events"]
    return work.session.scalar(select(func.count()).select_from(outbox))


def shown_ids(work, professional_id="pro-1") -> list[str]:
    page = reviews.reviews_of_professional(work.session, professional_id)
    return sorted(item["id"] for item in page["items"])


def ratings_of(work, listing_id: str) -> dict:
    listing = listings.get_own_listing(work.session, PRO, listing_id)
    row = work.session.get(ListingSearchRow, listing_id)
    rating = work.session.get(ProfessionalRating, "pro-1")
    return {
        "listing": (listing["rating_avg"], listing["review_count"]),
        "search": (row.rating_avg, row.review_count),
        "professional": (rating.rating_avg, rating.review_count),
    }


def report_rows(work) -> list[ReviewReport]:
    return list(work.session.scalars(select(ReviewReport).order_by(ReviewReport.reporter_id)))


def queue(work, caller=MOD, **options) -> dict:
    return review_reports.list_review_reports(work.session, caller, **options)


# who may report what


def test_any_signed_in_member_reports_a_published_review_and_nothing_else_happens(work, world):
    before = {"shown": shown_ids(work), "ratings": ratings_of(work, world["listing_id"])}
    outbox = outbox_size(work)
    mine = report(work, STRANGER, world["good"], "false_or_misleading", "Never walked my dog.")
    assert mine == {
        "id": mine["id"],
        "review_id": world["good"],
        "reason": "false_or_misleading",
        "details": "Never walked my dog.",
        "status": "open",
        "created_at": NOW,
        "resolved_at": None,
    }
    # the reviewed member above all
    assert report(work, PRO, world["good"], "harassment")["status"] == "open"
    assert len(report_rows(work)) == 2
    assert shown_ids(work) == before["shown"]
    assert ratings_of(work, world["listing_id"]) == before["ratings"]
    assert outbox_size(work) == outbox  # neither the author nor anyone else is told


def test_a_review_the_caller_cannot_read_is_not_found(work, world):
    # unknown
    with pytest.raises(NotFound):
        report(work, STRANGER, "no-such-review")
    # still blind
    listing_id = world["listing_id"]
    reviews.record_completed_booking(
        work.session,
        "b-blind",
        NEWCOMER.user_id,
        "pro-1",
        NOW,
        listing_id=listing_id,
        job_title_id=WALKER,
    )
    blind = reviews.submit_review(work.session, work.emit, NEWCOMER, "b-blind", GOOD, "", NOW)
    with pytest.raises(NotFound):
        report(work, STRANGER, blind["id"])
    # removed
    remove(work, world["poor"])
    with pytest.raises(NotFound):
        report(work, STRANGER, world["poor"])
    # a professional's review of a client: for professionals and that client only
    with pytest.raises(NotFound):
        report(work, STRANGER, world["pro_on_client"])
    assert report(work, CLIENT, world["pro_on_client"])["status"] == "open"
    assert report(work, OTHER_PRO, world["pro_on_client"])["status"] == "open"
    assert {row.reporter_id for row in report_rows(work)} == {"client-1", "pro-2"}


def test_reporting_your_own_review_is_forbidden_and_signing_in_is_needed(work, world):
    with pytest.raises(Forbidden):
        report(work, CLIENT, world["good"])
    with pytest.raises(Forbidden):
        report(work, PRO, world["pro_on_client"])
    with pytest.raises(Unauthorized):
        report(work, ANONYMOUS, world["good"])
    assert report_rows(work) == []


def test_one_report_per_member_and_review_whatever_became_of_the_first(work, world):
    first = report(work, STRANGER, world["good"])
    with pytest.raises(Conflict, match="already reported"):
        report(work, STRANGER, world["good"], "hate")
    dismiss(work, first["id"])
    with pytest.raises(Conflict, match="already reported"):
        report(work, STRANGER, world["good"])
    # another review, or another member, is another report
    report(work, STRANGER, world["poor"])
    report(work, THIRD, world["good"])
    counted = work.session.execute(
        select(ReviewReport.reporter_id, ReviewReport.review_id, func.count()).group_by(
            ReviewReport.reporter_id, ReviewReport.review_id
        )
    ).all()
    assert sorted(counted) == sorted(
        [
            ("client-2", world["good"], 1),
            ("client-2", world["poor"], 1),
            ("client-3", world["good"], 1),
        ]
    )


def test_a_reason_from_the_list_and_details_within_the_limit(work, world):
    with pytest.raises(Invalid) as caught:
        report(work, STRANGER, world["good"], "rude", "x" * (DETAILS_MAX + 1))
    assert set(caught.value.errors) == {"reason", "details"}
    with pytest.raises(Invalid) as caught:
        report(work, STRANGER, world["good"], None)
    assert set(caught.value.errors) == {"reason"}
    assert report_rows(work) == []
    longest = report(work, STRANGER, world["good"], "other", "x" * DETAILS_MAX)
    assert len(longest["details"]) == DETAILS_MAX


# the queue


@pytest.fixture
def reported(work, world) -> dict:
    """Five reports, made out of order: of client-1's review by client-2 (3h), client-3 (1h)
    and pro-2 (2h); of pro-1's review of client-1 by client-1 (1h, the same time as
    client-3's); of client-3's review by pro-1 (4h)."""
    made = {
        "stranger": report(work, STRANGER, world["good"], at=NOW + timedelta(hours=3)),
        "third": report(work, THIRD, world["good"], "hate", at=NOW + timedelta(hours=1)),
        "other_pro": report(work, OTHER_PRO, world["good"], at=NOW + timedelta(hours=2)),
        "client": report(
            work, CLIENT, world["pro_on_client"], "harassment", "Rude.", at=NOW + timedelta(hours=1)
        ),
        "pro": report(work, PRO, world["poor"], "false_or_misleading", at=NOW + timedelta(hours=4)),
    }
    work.commit()
    return made


def test_the_queue_is_oldest_first_paged_by_cursor(work, world, reported):
    expected = sorted(reported.values(), key=lambda r: (r["created_at"], r["id"]))
    seen, cursor, pages = [], None, 0
    while True:
        page = queue(work, limit=2, cursor=cursor)
        pages += 1
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["items"]) == 2
    assert pages == 3
    assert [item["id"] for item in seen] == [r["id"] for r in expected]
    assert [item["id"] for item in queue(work)["items"]] == [r["id"] for r in expected]
    with pytest.raises(Invalid) as caught:
        queue(work, cursor="not-a-cursor")
    assert set(caught.value.errors) == {"cursor"}


def test_each_report_in_the_queue_carries_the_review_and_how_often_it_was_reported(
    work, world, reported
):
    dismiss(work, reported["third"]["id"], note="Fair criticism.")
    items = {item["id"]: item for item in queue(work)["items"]}
    assert reported["third"]["id"] not in items
    item = items[reported["stranger"]["id"]]
    written = reviews.review_view(work.session.get(Review, world["good"]))
    assert item == {
        **reported["stranger"],
        "reporter_id": "client-2",
        "resolved_by": None,
        "resolution_note": None,
        "review": {
            **written,
            "removed_at": None,
            "removal_reason": None,
            "removal_note": None,
            "removed_by": None,
            "report_count": 3,  # the dismissed one counts
        },
    }
    assert item["review"]["text"] == "client-1 on pro-1"
    assert items[reported["client"]["id"]]["review"]["report_count"] == 1


def test_the_queue_shows_one_status_at_a_time(work, world, reported):
    dismiss(work, reported["client"]["id"])
    remove(work, world["good"])
    assert [i["id"] for i in queue(work)["items"]] == [reported["pro"]["id"]]
    assert [i["id"] for i in queue(work, status="open")["items"]] == [reported["pro"]["id"]]
    assert [i["id"] for i in queue(work, status="dismissed")["items"]] == [reported["client"]["id"]]
    upheld = queue(work, status="upheld")["items"]
    assert [i["id"] for i in upheld] == [
        reported["third"]["id"],
        reported["other_pro"]["id"],
        reported["stranger"]["id"],
    ]
    assert {i["review"]["removed_at"] for i in upheld} == {LATER}
    with pytest.raises(Invalid) as caught:
        queue(work, status="closed")
    assert set(caught.value.errors) == {"status"}


def test_only_moderators_read_the_queue(work, world, reported):
    with pytest.raises(Forbidden):
        queue(work, caller=PRO)
    with pytest.raises(Forbidden):
        queue(work, caller=STRANGER)
    with pytest.raises(Unauthorized):
        queue(work, caller=ANONYMOUS)


# removing


def test_removing_a_review_hides_it_recomputes_the_ratings_and_upholds_its_open_reports(
    work, world, reported
):
    listing_id = world["listing_id"]
    assert ratings_of(work, listing_id) == {
        "listing": (3.25, 2),
        "search": (3.25, 2),
        "professional": (3.25, 2),
    }
    dismissed = dismiss(work, reported["third"]["id"], note="Fair.", at=NOW + timedelta(hours=6))
    moderated = remove(work, world["good"])
    assert moderated == {
        **reviews.review_view(work.session.get(Review, world["good"])),
        "removed_at": LATER,
        "removal_reason": "harassment",
        "removal_note": "Please keep it civil.",
        "removed_by": "mod-1",
        "report_count": 3,
    }
    assert moderated["text"] == "client-1 on pro-1"  # nothing is destroyed
    assert shown_ids(work) == [world["poor"]]
    assert ratings_of(work, listing_id) == {
        "listing": (2.0, 1),
        "search": (2.0, 1),
        "professional": (2.0, 1),
    }
    with pytest.raises(NotFound):
        reviews.reply_to_review(work.session, work.emit, PRO, world["good"], "Sorry.", LATER)
    rows = {row.reporter_id: row for row in report_rows(work)}
    for reporter in ("client-2", "pro-2"):
        row = rows[reporter]
        assert (row.status, row.resolved_at, row.resolved_by, row.resolution_note) == (
            "upheld",
            LATER,
            "mod-1",
            "Please keep it civil.",
        )
    third = rows["client-3"]
    assert (third.status, third.resolved_at, third.resolution_note) == (
        "dismissed",
        dismissed["resolved_at"],
        "Fair.",
    )
    # reports of other reviews are not touched
    assert (rows["client-1"].status, rows["pro-1"].status) == ("open", "open")


def test_a_removal_tells_the_author_and_each_reporter_it_resolved(work, world, reported):
    dismiss(work, reported["third"]["id"], note="Fair.")
    remove(work, world["good"], "harassment", None)
    assert events(work, "review_removed") == [
        {
            "review_id": world["good"],
            "booking_id": "b-1",
            "author_id": "client-1",
            "author_role": "client",
            "subject_id": "pro-1",
            "professional_id": "pro-1",
            "client_id": "client-1",
            "reason": "harassment",
            "note": None,
            "removed_at": LATER.isoformat(),
        }
    ]
    upheld = [e for e in events(work, "review_report_resolved") if e["outcome"] == "upheld"]
    assert sorted(upheld, key=lambda e: e["reporter_id"]) == [
        {
            "report_id": reported[who]["id"],
            "review_id": world["good"],
            "reporter_id": reporter,
            "outcome": "upheld",
            "note": None,
            "resolved_at": LATER.isoformat(),
        }
        for who, reporter in (("stranger", "client-2"), ("other_pro", "pro-2"))
    ]
    for payload in events(work, "review_removed"):
        assert ReviewRemovedEventSchema().validate(payload) == {}
        assert set(payload) == set(ReviewRemovedEventSchema().fields)
    for payload in events(work, "review_report_resolved"):
        assert ReviewReportResolvedEventSchema().validate(payload) == {}
        assert set(payload) == set(ReviewReportResolvedEventSchema().fields)


def test_a_removed_review_cannot_be_removed_again(work, world):
    remove(work, world["good"])
    outbox = outbox_size(work)
    with pytest.raises(Conflict):
        remove(work, world["good"], "spam", "again", at=LATER + timedelta(hours=1))
    assert outbox_size(work) == outbox
    review = work.session.get(Review, world["good"])
    assert (review.removal_reason, review.removed_at) == ("harassment", LATER)


def test_a_professionals_review_of_a_client_leaves_the_client_reviews(work, world):
    before = ratings_of(work, world["listing_id"])
    remove(work, world["pro_on_client"])
    page = reviews.reviews_of_client(work.session, OTHER_PRO, "client-1")
    assert page["items"] == []
    assert [i["id"] for i in reviews.reviews_of_client(work.session, PRO, "client-3")["items"]] == [
        world["pro_on_third"]
    ]
    assert ratings_of(work, world["listing_id"]) == before  # client reviews only are counted


def test_a_removed_review_still_holds_its_side_of_the_booking(work, world):
    remove(work, world["good"])
    with pytest.raises(Conflict):
        reviews.submit_review(work.session, work.emit, CLIENT, "b-1", GOOD, "Again", LATER)


def test_only_moderators_remove_and_only_published_reviews(work, world):
    for caller, error in ((PRO, Forbidden), (CLIENT, Forbidden), (ANONYMOUS, Unauthorized)):
        with pytest.raises(error):
            review_reports.remove_review(
                work.session, work.emit, caller, world["good"], "spam", None, LATER
            )
    with pytest.raises(NotFound):
        remove(work, "no-such-review")
    reviews.record_completed_booking(
        work.session, "b-blind", NEWCOMER.user_id, "pro-1", NOW, job_title_id=WALKER
    )
    blind = reviews.submit_review(work.session, work.emit, NEWCOMER, "b-blind", GOOD, "", NOW)
    with pytest.raises(NotFound):
        remove(work, blind["id"])
    with pytest.raises(Invalid) as caught:
        remove(work, world["good"], "rude", "x" * (NOTE_MAX + 1))
    assert set(caught.value.errors) == {"reason", "note"}
    assert work.session.get(Review, world["good"]).removed_at is None
    assert events(work, "review_removed") == []


# restoring


def test_restoring_shows_and_counts_the_review_again_and_tells_nobody(work, world, reported):
    remove(work, world["good"])
    outbox = outbox_size(work)
    restored = review_reports.restore_review(work.session, MOD, world["good"])
    assert restored == {
        **reviews.review_view(work.session.get(Review, world["good"])),
        "removed_at": None,
        "removal_reason": None,
        "removal_note": None,
        "removed_by": None,
        "report_count": 3,
    }
    assert shown_ids(work) == sorted([world["good"], world["poor"]])
    assert ratings_of(work, world["listing_id"])["professional"] == (3.25, 2)
    assert ratings_of(work, world["listing_id"])["search"] == (3.25, 2)
    assert outbox_size(work) == outbox
    rows = {row.reporter_id: row.status for row in report_rows(work)}
    assert rows == {
        "client-2": "upheld",
        "client-3": "upheld",
        "pro-2": "upheld",
        "client-1": "open",
        "pro-1": "open",
    }
    # a reporter whose report was upheld cannot report it again; someone else can
    with pytest.raises(Conflict):
        report(work, STRANGER, world["good"])
    report(work, NEWCOMER, world["good"])
    reviews.reply_to_review(work.session, work.emit, PRO, world["good"], "Thanks.", LATER)


def test_only_a_removed_review_is_restored_and_only_by_a_moderator(work, world):
    with pytest.raises(Conflict):
        review_reports.restore_review(work.session, MOD, world["good"])
    remove(work, world["good"])
    with pytest.raises(Forbidden):
        review_reports.restore_review(work.session, PRO, world["good"])
    with pytest.raises(NotFound):
        review_reports.restore_review(work.session, MOD, "no-such-review")
    review_reports.restore_review(work.session, MOD, world["good"])
    with pytest.raises(Conflict):
        review_reports.restore_review(work.session, MOD, world["good"])
    # removed again later: nothing open to uphold this time
    remove(work, world["good"], at=LATER + timedelta(days=1))
    assert len(events(work, "review_removed")) == 2
    assert events(work, "review_report_resolved") == []


# dismissing


def test_dismissing_a_report_keeps_the_review_and_tells_the_reporter(work, world, reported):
    dismissed = dismiss(work, reported["stranger"]["id"], note="An honest opinion.")
    assert dismissed["status"] == "dismissed"
    assert (dismissed["resolved_at"], dismissed["resolved_by"], dismissed["resolution_note"]) == (
        LATER,
        "mod-1",
        "An honest opinion.",
    )
    assert dismissed["reporter_id"] == "client-2"
    assert dismissed["review"]["id"] == world["good"]
    assert dismissed["review"]["removed_at"] is None
    assert dismissed["review"]["report_count"] == 3
    assert events(work, "review_report_resolved") == [
        {
            "report_id": reported["stranger"]["id"],
            "review_id": world["good"],
            "reporter_id": "client-2",
            "outcome": "dismissed",
            "note": "An honest opinion.",
            "resolved_at": LATER.isoformat(),
        }
    ]
    assert events(work, "review_removed") == []
    assert world["good"] in shown_ids(work)
    # the other reports of that review stay open
    assert {row.reporter_id for row in report_rows(work) if row.status == "open"} == {
        "client-3",
        "pro-2",
        "client-1",
        "pro-1",
    }


def test_only_an_open_report_is_dismissed_and_only_by_a_moderator(work, world, reported):
    dismiss(work, reported["stranger"]["id"])
    with pytest.raises(Conflict):
        dismiss(work, reported["stranger"]["id"], note="Again.")
    remove(work, world["good"])
    with pytest.raises(Conflict):
        dismiss(work, reported["third"]["id"])  # upheld
    with pytest.raises(NotFound):
        dismiss(work, "no-such-report")
    with pytest.raises(Forbidden):
        dismiss(work, reported["pro"]["id"], caller=PRO)
    with pytest.raises(Unauthorized):
        dismiss(work, reported["pro"]["id"], caller=ANONYMOUS)
    with pytest.raises(Invalid) as caught:
        dismiss(work, reported["pro"]["id"], note="x" * (NOTE_MAX + 1))
    assert set(caught.value.errors) == {"note"}
    row = work.session.get(ReviewReport, reported["pro"]["id"])
    assert (row.status, row.resolved_at) == ("open", None)
    dismissals = [e for e in events(work, "review_report_resolved") if e["outcome"] == "dismissed"]
    assert len(dismissals) == 1


# closing an account


def account_for(work, caller: Caller, name: str) -> Account:
    account = Account(
        id=caller.user_id,
        email=f"{caller.user_id}@example.org",
        name=name,
        password_hash="",
        language="en",
        owner_status="not_yet_owner",
        created_at=NOW,
        role_rows=[AccountRole(role=role) for role in sorted(caller.roles)],
    )
    accounts.set_password(account, PASSWORD)
    work.session.add(account)
    work.session.flush()
    return account


def close(work, caller: Caller) -> None:
    account_closures.close_account(
        work.session,
        work.emit,
        account_id=caller.user_id,
        current_password=PASSWORD,
        unfinished_bookings=0,
        now=LATER,
    )
    work.commit()


def test_a_closing_reporter_leaves_their_reports_without_their_words(work, world, reported):
    account_for(work, STRANGER, "Stranger")
    report(work, STRANGER, world["poor"], "spam", "Copied from elsewhere.")
    remove(work, world["poor"])
    close(work, STRANGER)
    theirs = work.session.scalars(
        select(ReviewReport).where(ReviewReport.reporter_id == "client-2")
    ).all()
    assert len(theirs) == 2
    assert {row.details for row in theirs} == {None}
    assert {row.status for row in theirs} == {"open", "upheld"}
    # other members' words stay
    assert work.session.get(ReviewReport, reported["client"]["id"]).details == "Rude."


def test_reports_of_a_closing_professionals_reviews_go_with_them(work, world, reported):
    account_for(work, PRO, "Pat")
    close(work, PRO)
    remaining = {row.id for row in report_rows(work)}
    # client reviews of pro-1 are deleted with their reports; pro-1's reviews of clients stay
    assert remaining == {reported["client"]["id"]}
    assert work.session.get(Review, world["good"]) is None
    assert work.session.get(Review, world["pro_on_client"]) is not None
    assert [i["id"] for i in queue(work)["items"]] == [reported["client"]["id"]]


# a copy of the member's data


def export(work, caller: Caller) -> dict:
    part = member_data.export_member_data(
        work.session, work.emit, account_id=caller.user_id, current_password=PASSWORD, now=LATER
    )
    return MemberDataSchema().dump(part)


def records(part: dict, name: str) -> list[dict]:
    return part["sections"][name]["records"]


def test_the_reporters_copy_holds_their_reports_without_who_decided(work, world, reported):
    account_for(work, STRANGER, "Stranger")
    remove(work, world["good"])
    report(work, STRANGER, world["poor"], "other", "Odd.", at=NOW + timedelta(hours=9))
    part = export(work, STRANGER)
    assert records(part, "review_reports") == [
        {
            "id": reported["stranger"]["id"],
            "review_id": world["good"],
            "reason": "spam",
            "details": None,
            "status": "upheld",
            "created_at": (NOW + timedelta(hours=3)).isoformat(),
            "resolved_at": LATER.isoformat(),
        },
        {
            "id": records(part, "review_reports")[1]["id"],
            "review_id": world["poor"],
            "reason": "other",
            "details": "Odd.",
            "status": "open",
            "created_at": (NOW + timedelta(hours=9)).isoformat(),
            "resolved_at": None,
        },
    ]
    assert "mod-1" not in json.dumps(part)


def test_the_authors_copy_marks_their_removed_review_and_hides_who_reported_it(
    work, world, reported
):
    account_for(work, CLIENT, "Cleo")
    account_for(work, PRO, "Pat")
    remove(work, world["good"], "harassment", "Please keep it civil.")
    author = export(work, CLIENT)
    written = {r["id"]: r for r in records(author, "reviews_written")}
    assert written[world["good"]]["text"] == "client-1 on pro-1"
    assert {
        k: written[world["good"]][k] for k in ("removed_at", "removal_reason", "removal_note")
    } == {
        "removed_at": LATER.isoformat(),
        "removal_reason": "harassment",
        "removal_note": "Please keep it civil.",
    }
    # client-1's own report (of pro-1's review of them) is there; reports of their review not
    assert [r["id"] for r in records(author, "review_reports")] == [reported["client"]["id"]]
    dumped = json.dumps(author)
    for who in ("client-2", "client-3", "pro-2", "mod-1"):
        assert who not in dumped
    # the reviewed professional no longer receives the removed review
    received = [r["id"] for r in records(export(work, PRO), "reviews_received")]
    assert world["good"] not in received and world["poor"] in received


# the entrypoints


@pytest.fixture
def unit(work, monkeypatch):
    monkeypatch.setattr(service_module.clock, "now", lambda: LATER)
    return work


def worker(unit, caller=ANONYMOUS):
    return worker_factory(ProfilesService, db=unit, caller=caller, booking=Mock())


def test_the_entrypoints_validate_and_answer_the_contracts_views(unit, world):
    with pytest.raises(Invalid) as caught:
        worker(unit, STRANGER).report_review(review_id=world["good"], reason="rude", extra=1)
    assert set(caught.value.errors) == {"reason", "extra"}
    with pytest.raises(Invalid) as caught:
        worker(unit, STRANGER).report_review(
            review_id=world["good"], reason="spam", details="x" * (DETAILS_MAX + 1)
        )
    assert set(caught.value.errors) == {"details"}
    assert report_rows(unit) == []

    made = worker(unit, STRANGER).report_review(review_id=world["good"], reason="spam")
    assert ReviewReportSchema().validate(made) == {}
    assert set(made) == {
        "id",
        "review_id",
        "reason",
        "details",
        "status",
        "created_at",
        "resolved_at",
    }
    assert (made["details"], made["created_at"]) == (None, LATER.isoformat())
    other = worker(unit, THIRD).report_review(
        review_id=world["good"], reason="hate", details="Slurs."
    )

    with pytest.raises(Forbidden):
        worker(unit, STRANGER).list_review_reports()
    page = worker(unit, MOD).list_review_reports(limit=1)
    assert ReviewReportPageSchema().validate(page) == {}
    first, second = sorted((made["id"], other["id"]))  # made at the same time: by id
    assert [i["id"] for i in page["items"]] == [first]
    rest = worker(unit, MOD).list_review_reports(status="open", cursor=page["next_cursor"])
    assert [i["id"] for i in rest["items"]] == [second] and rest["next_cursor"] is None
    with pytest.raises(Invalid) as caught:
        worker(unit, MOD).list_review_reports(status="closed", limit=0)
    assert set(caught.value.errors) == {"status", "limit"}

    dismissed = worker(unit, MOD).dismiss_review_report(report_id=other["id"], note="Quoted.")
    assert ModeratedReviewReportSchema().validate(dismissed) == {}
    assert (dismissed["status"], dismissed["resolution_note"]) == ("dismissed", "Quoted.")
    assert dismissed["review"]["report_count"] == 2

    with pytest.raises(Invalid) as caught:
        worker(unit, MOD).remove_review(review_id=world["good"])
    assert set(caught.value.errors) == {"reason"}
    removed = worker(unit, MOD).remove_review(review_id=world["good"], reason="spam")
    assert ModeratedReviewSchema().validate(removed) == {}
    assert (removed["removed_at"], removed["removal_note"], removed["removed_by"]) == (
        LATER.isoformat(),
        None,
        "mod-1",
    )
    assert world["good"] not in [
        i["id"] for i in worker(unit).list_professional_reviews(professional_id="pro-1")["items"]
    ]
    restored = worker(unit, MOD).restore_review(review_id=world["good"])
    assert ModeratedReviewSchema().validate(restored) == {}
    assert restored["removed_at"] is None
    with pytest.raises(Conflict):
        worker(unit, MOD).restore_review(review_id=world["good"])

    resolved = events(unit, "review_report_resolved")
    assert [(e["reporter_id"], e["outcome"]) for e in resolved] == [
        ("client-3", "dismissed"),
        ("client-2", "upheld"),
    ]
    assert len(events(unit, "review_removed")) == 1


def queue_gauges() -> tuple[float, float]:
    return (
        MODERATION_OPEN_REPORTS.labels("profiles", "review")._value.get(),
        MODERATION_OLDEST_WAIT.labels("profiles", "review")._value.get(),
    )


def test_the_timer_publishes_how_many_reports_wait_and_the_oldest_ones_wait(unit, reported):
    hour = 3600.0
    worker(unit).measure_moderation_queue()
    assert queue_gauges() == (5, 23 * hour)  # the oldest at 1 h, measured a day after NOW
    remove(unit, reported["stranger"]["review_id"])  # upholds three of them
    dismiss(unit, reported["client"]["id"])
    unit.commit()
    worker(unit).measure_moderation_queue()
    assert queue_gauges() == (1, 20 * hour)  # only pro-1's, made at 4 h
    dismiss(unit, reported["pro"]["id"])
    unit.commit()
    worker(unit).measure_moderation_queue()
    assert queue_gauges() == (0, 0)
