"""On PostgreSQL, a report of a review and a moderator's decision about it at the same moment:
they are written one transaction at a time (`review_reports._held`), so a report made in the
instant of a removal is refused or upheld by it, and never left open on a removed review; a
dismissal and a removal never both resolve one report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from loconomics_plumbing.errors import Conflict, NotFound
from loconomics_plumbing.identity import Caller
from loconomics_profiles.domain import review_reports
from loconomics_profiles.domain.catalog_data import DEFAULT_CRITERIA
from loconomics_profiles.domain.reviews import (
    CLIENT_CRITERIA,
    record_completed_booking,
    submit_review,
)
from loconomics_profiles.shop_models import Review, ReviewReport
from sqlalchemy import select
from transaction_races import race

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CLIENT = Caller("client-r", frozenset({"client"}))
PRO = Caller("pro-r", frozenset({"professional"}))
REPORTER = Caller("reporter-r", frozenset({"client"}))
MODERATOR = Caller("admin-r", frozenset({"admin"}))


@pytest.fixture
def sessions(migrated_sessions):
    return migrated_sessions("profiles")


@pytest.fixture
def review_id(sessions) -> str:
    """The client's review of the professional, published: both sides reviewed."""
    with sessions() as session:
        record_completed_booking(session, "booking-r", CLIENT.user_id, PRO.user_id, NOW)
        written = submit_review(
            session,
            lambda *e: None,
            CLIENT,
            "booking-r",
            dict.fromkeys(DEFAULT_CRITERIA, 2),
            "Late and rude.",
            NOW,
        )
        submit_review(
            session,
            lambda *e: None,
            PRO,
            "booking-r",
            dict.fromkeys(CLIENT_CRITERIA, 5),
            "",
            NOW,
        )
        session.commit()
    return written["id"]


def report(review_id: str, refused: list | None = None):
    def write(session) -> None:
        try:
            review_reports.report_review(session, REPORTER, review_id, "harassment", None, NOW)
        except (NotFound, Conflict) as error:
            if refused is None:
                raise
            refused.append(error)

    return write


def removal(review_id: str):
    return lambda session: review_reports.remove_review(
        session, lambda *e: None, MODERATOR, review_id, "harassment", None, NOW
    )


def reports(sessions) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(ReviewReport.status)))


def test_a_report_made_as_the_review_is_removed_is_refused(sessions, review_id):
    refused: list = []
    race(sessions, removal(review_id), report(review_id, refused))
    assert [type(error) for error in refused] == [NotFound]
    assert reports(sessions) == []


def test_a_removal_waits_for_a_report_then_upholds_it(sessions, review_id):
    race(sessions, report(review_id), removal(review_id))
    assert reports(sessions) == ["upheld"]
    with sessions() as session:
        assert session.get(Review, review_id).removed_at is not None


def test_a_dismissal_and_a_removal_do_not_both_resolve_one_report(sessions, review_id):
    with sessions() as session:
        made = review_reports.report_review(session, REPORTER, review_id, "spam", None, NOW)
        session.commit()
    refused: list = []

    def dismissal(session) -> None:
        try:
            review_reports.dismiss_review_report(
                session, lambda *e: None, MODERATOR, made["id"], None, NOW
            )
        except Conflict as error:
            refused.append(error)

    race(sessions, removal(review_id), dismissal)
    assert [type(error) for error in refused] == [Conflict]
    assert reports(sessions) == ["upheld"]
