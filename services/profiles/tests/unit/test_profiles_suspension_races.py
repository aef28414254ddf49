"""On PostgreSQL, a suspension and what else touches the same account at the same moment: they
run one transaction at a time on the account's suspension lock (`account_standing.hold`), so a
report of the profile made in the instant of a suspension is refused or upheld by it, never
left open; a dismissal and a suspension never both resolve one report; a log-in or a refresh
in flight is refused, or its new log-in is revoked by the suspension; a listing change in flight
never brings the listing back to search; two moderators never suspend one account twice; a
closure and a suspension never both go through. The partial unique indexes hold on PostgreSQL
too."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from loconomics_plumbing.errors import Conflict, Forbidden, NotFound
from loconomics_plumbing.identity import Caller
from loconomics_profiles.domain import (
    account_closures,
    accounts,
    listing_services,
    listings,
    login_sessions,
    member_facts,
    profile_reports,
    suspensions,
)
from loconomics_profiles.domain import professional_profiles as profiles
from loconomics_profiles.domain.catalog import job_title_id_for, seed_catalog
from loconomics_profiles.domain.service_areas import set_service_area
from loconomics_profiles.models import Account, LoginSession, Suspension
from loconomics_profiles.shop_models import ListingSearchRow, ProfileReport
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from transaction_races import race

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
PASSWORD = "correct horse battery"
PAINTER = job_title_id_for("house-painter")
MODERATOR = Caller("admin-s", frozenset({"admin"}))
OTHER_MODERATOR = Caller("admin-t", frozenset({"admin"}))
ROOM = {
    "name": "Room",
    "pricing_type": "service",
    "duration_minutes": 240,
    "price": {"amount_cents": 40000, "currency": "USD"},
}


def nothing(*_event) -> None:
    return None


@pytest.fixture
def sessions(migrated_sessions):
    return migrated_sessions("profiles")


@pytest.fixture
def world(sessions) -> dict:
    """Ana, a professional with a listing on (so a search row), a log-in and a refresh token;
    Bob, a client who may report her."""
    with sessions() as session:
        seed_catalog(session, NOW)
        ana = accounts.sign_up(
            session,
            nothing,
            email="ana@example.org",
            password=PASSWORD,
            name="Ana",
            roles=["client", "professional"],
            language="en",
            now=NOW,
        )
        bob = accounts.sign_up(
            session,
            nothing,
            email="bob@example.org",
            password=PASSWORD,
            name="Bob",
            roles=["client"],
            language="en",
            now=NOW,
        )
        pro = Caller(ana.id, frozenset({"professional"}))
        profiles.update_profile(session, nothing, pro, {"bio": "Painter", "slug": "ana"}, NOW)
        member_facts.record_schedule(
            session,
            nothing,
            ana.id,
            {"mon": [{"start": "09:00", "end": "17:00"}]},
            "UTC",
            NOW,
            NOW,
        )
        listing = listings.create_listing(session, nothing, pro, PAINTER, NOW)
        listing_services.add_service(session, nothing, pro, listing["id"], ROOM, NOW)
        set_service_area(session, nothing, pro, listing["id"], 37.77, -122.42, 10, NOW)
        listings.update_listing(session, nothing, pro, listing["id"], {"status": "on"}, NOW)
        login, refresh_token = login_sessions.open_session(session, ana, NOW)
        session.commit()
        return {
            "ana": ana.id,
            "bob": bob.id,
            "pro": pro,
            "listing": listing["id"],
            "login": login.id,
            "refresh_token": refresh_token,
        }


def suspension(account_id: str, refused: list | None = None, caller: Caller = MODERATOR):
    def write(session) -> None:
        try:
            suspensions.suspend_account(
                session, nothing, caller, account_id, "fake_profile", None, LATER
            )
        except (Conflict, NotFound) as error:
            if refused is None:
                raise
            refused.append(error)

    return write


def report(world: dict, refused: list | None = None):
    def write(session) -> None:
        try:
            profile_reports.report_profile(
                session,
                Caller(world["bob"], frozenset({"client"})),
                world["ana"],
                "fake_profile",
                None,
                LATER,
            )
        except (NotFound, Conflict) as error:
            if refused is None:
                raise
            refused.append(error)

    return write


def reports(sessions) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(ProfileReport.status)))


def suspended(sessions, account_id: str) -> list[Suspension]:
    with sessions() as session:
        return list(
            session.scalars(
                select(Suspension).where(
                    Suspension.account_id == account_id, Suspension.reinstated_at.is_(None)
                )
            )
        )


def active_logins(sessions, account_id: str) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(
                select(LoginSession.id).where(
                    LoginSession.account_id == account_id, LoginSession.revoked_at.is_(None)
                )
            )
        )


def search_row(sessions, listing_id: str) -> ListingSearchRow | None:
    with sessions() as session:
        return session.get(ListingSearchRow, listing_id)


# reports and dismissals


def test_a_report_made_as_the_professional_is_suspended_is_refused(sessions, world):
    refused: list = []
    race(sessions, suspension(world["ana"]), report(world, refused))
    assert [type(error) for error in refused] == [NotFound]
    assert reports(sessions) == []


def test_a_suspension_waits_for_a_report_then_upholds_it(sessions, world):
    race(sessions, report(world), suspension(world["ana"]))
    assert reports(sessions) == ["upheld"]
    assert len(suspended(sessions, world["ana"])) == 1


def test_a_dismissal_and_a_suspension_do_not_both_resolve_one_report(sessions, world):
    with sessions() as session:
        report(world)(session)
        session.commit()
        report_id = session.scalar(select(ProfileReport.id))
    refused: list = []

    def dismissal(session) -> None:
        try:
            profile_reports.dismiss_profile_report(
                session, nothing, MODERATOR, report_id, "Fine.", LATER
            )
        except Conflict as error:
            refused.append(error)

    race(sessions, suspension(world["ana"]), dismissal)
    assert [type(error) for error in refused] == [Conflict]
    assert reports(sessions) == ["upheld"]


def test_a_suspension_after_a_dismissal_leaves_it_dismissed(sessions, world):
    with sessions() as session:
        report(world)(session)
        session.commit()
        report_id = session.scalar(select(ProfileReport.id))

    def dismissal(session) -> None:
        profile_reports.dismiss_profile_report(
            session, nothing, MODERATOR, report_id, "Fine.", LATER
        )

    race(sessions, dismissal, suspension(world["ana"]))
    assert reports(sessions) == ["dismissed"]


# signing in


def log_in(refused: list):
    def write(session) -> None:
        try:
            account = accounts.log_in(session, email="ana@example.org", password=PASSWORD)
            login_sessions.open_session(session, account, LATER)
        except Forbidden as error:
            refused.append(error)

    return write


def test_a_log_in_made_as_the_account_is_suspended_is_refused(sessions, world):
    refused: list = []
    race(sessions, suspension(world["ana"]), log_in(refused))
    assert [type(error) for error in refused] == [Forbidden]
    assert active_logins(sessions, world["ana"]) == []


def test_a_suspension_waits_for_a_log_in_then_revokes_it(sessions, world):
    refused: list = []
    race(sessions, log_in(refused), suspension(world["ana"]))
    assert refused == []
    assert active_logins(sessions, world["ana"]) == []


def refresh(world: dict, refused: list):
    def write(session) -> None:
        try:
            login_sessions.rotate(session, world["refresh_token"], LATER)
        except Forbidden as error:
            refused.append(error)

    return write


def test_a_refresh_made_as_the_account_is_suspended_is_refused(sessions, world):
    refused: list = []
    race(sessions, suspension(world["ana"]), refresh(world, refused))
    assert [type(error) for error in refused] == [Forbidden]
    assert active_logins(sessions, world["ana"]) == []


def test_a_suspension_waits_for_a_refresh_then_revokes_its_new_log_in(sessions, world):
    refused: list = []
    race(sessions, refresh(world, refused), suspension(world["ana"]))
    assert refused == []
    assert active_logins(sessions, world["ana"]) == []
    with sessions() as session:
        assert len(list(session.scalars(select(LoginSession.id)))) == 2  # the refresh happened


# search


def listing_change(world: dict):
    return lambda session: listings.update_listing(
        session, nothing, world["pro"], world["listing"], {"intro": "Still painting"}, LATER
    )


def test_a_listing_changed_as_the_professional_is_suspended_stays_out_of_search(sessions, world):
    assert search_row(sessions, world["listing"]) is not None
    race(sessions, suspension(world["ana"]), listing_change(world))
    assert search_row(sessions, world["listing"]) is None


def test_a_suspension_waits_for_a_listing_change_then_takes_it_out_of_search(sessions, world):
    race(sessions, listing_change(world), suspension(world["ana"]))
    assert search_row(sessions, world["listing"]) is None


def test_a_listing_changed_as_the_professional_is_reinstated_is_back_in_search(sessions, world):
    with sessions() as session:
        suspension(world["ana"])(session)
        session.commit()

    def reinstatement(session) -> None:
        suspensions.reinstate_account(session, nothing, MODERATOR, world["ana"], None, LATER)

    race(sessions, reinstatement, listing_change(world))
    row = search_row(sessions, world["listing"])
    assert row is not None and row.status == "on"


# one current suspension, and closure


def test_two_moderators_suspending_at_once_make_one_suspension(sessions, world):
    refused: list = []
    race(
        sessions,
        suspension(world["ana"]),
        suspension(world["ana"], refused, caller=OTHER_MODERATOR),
    )
    assert [type(error) for error in refused] == [Conflict]
    assert [s.suspended_by for s in suspended(sessions, world["ana"])] == ["admin-s"]


def closure(account_id: str, refused: list):
    def write(session) -> None:
        try:
            account_closures.close_account(
                session,
                nothing,
                account_id=account_id,
                current_password=PASSWORD,
                unfinished_bookings=0,
                now=LATER,
            )
        except Forbidden as error:
            refused.append(error)

    return write


def test_a_closure_made_as_the_account_is_suspended_is_refused(sessions, world):
    refused: list = []
    race(sessions, suspension(world["ana"]), closure(world["ana"], refused))
    assert [type(error) for error in refused] == [Forbidden]
    with sessions() as session:
        assert session.get(Account, world["ana"]).closed_at is None


def test_a_suspension_made_as_the_account_closes_is_not_found(sessions, world):
    closed: list = []
    refused: list = []
    race(sessions, closure(world["ana"], closed), suspension(world["ana"], refused))
    assert closed == []
    assert [type(error) for error in refused] == [NotFound]
    assert suspended(sessions, world["ana"]) == []


def test_the_partial_unique_indexes_hold_on_postgresql(sessions, world):
    def current(session) -> Suspension:
        return Suspension(
            id=str(uuid.uuid4()),
            account_id=world["ana"],
            reason="spam",
            suspended_at=LATER,
            suspended_by="admin-s",
        )

    with sessions() as session:
        session.add_all([current(session), current(session)])
        with pytest.raises(IntegrityError):
            session.commit()
    with sessions() as session:
        lifted = current(session)
        lifted.reinstated_at = LATER
        session.add_all([lifted, current(session)])
        session.commit()

    def open_report(status: str) -> ProfileReport:
        return ProfileReport(
            id=uuid.uuid4().hex,
            professional_id=world["ana"],
            reporter_id=world["bob"],
            reason="spam",
            status=status,
            created_at=NOW,
        )

    with sessions() as session:
        session.add_all([open_report("open"), open_report("open")])
        with pytest.raises(IntegrityError):
            session.commit()
    with sessions() as session:
        session.add_all([open_report("open"), open_report("dismissed"), open_report("upheld")])
        session.commit()
        assert len(list(session.scalars(select(ProfileReport.id)))) == 3
