"""Reports of professionals' profiles and suspended accounts (docs/suspensions.md, profiles'
part): who may report a profile, the moderators' queue, dismissing; suspending (log-ins, links,
search, the public pages, reports upheld, events), reinstating (everything back as it was), the
list of suspensions, closure and the member's copy of their data, the queue's gauge. The domain,
then the entrypoints through nameko's worker_factory."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from unittest.mock import Mock

import pytest
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.moderation import DETAILS_MAX, NOTE_MAX
from loconomics_plumbing.telemetry import MODERATION_OLDEST_WAIT, MODERATION_OPEN_REPORTS
from loconomics_plumbing.tokens import verify_access_token
from loconomics_profiles import service as service_module
from loconomics_profiles.domain import (
    account_closures,
    accounts,
    listing_services,
    listings,
    login_sessions,
    member_data,
    member_facts,
    password_resets,
    profile_reports,
    reviews,
    suspensions,
)
from loconomics_profiles.domain import professional_profiles as profiles
from loconomics_profiles.domain import search as listing_search
from loconomics_profiles.domain.catalog import job_title_id_for
from loconomics_profiles.domain.public_profiles import PublicProfiles
from loconomics_profiles.domain.secret_tokens import new_token, token_hash
from loconomics_profiles.domain.service_areas import set_service_area
from loconomics_profiles.models import Base, EmailConfirmation, PasswordReset, Suspension
from loconomics_profiles.schemas import (
    AccountReinstatedEventSchema,
    AccountSuspendedEventSchema,
    MemberDataSchema,
    ModeratedProfileReportSchema,
    ProfileReportPageSchema,
    ProfileReportResolvedEventSchema,
    ProfileReportSchema,
    SuspensionPageSchema,
    SuspensionSchema,
)
from loconomics_profiles.service import ProfilesService
from loconomics_profiles.shop_models import (
    Listing,
    ListingSearchRow,
    ListingService,
    ProfileReport,
    ServiceArea,
)
from nameko.testing.services import worker_factory
from sqlalchemy import func, literal_column, select
from sqlalchemy.exc import IntegrityError

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
REINSTATED = LATER + timedelta(days=2)
PASSWORD = "correct horse battery"
PAINTER = job_title_id_for("house-painter")
HANDYMAN = job_title_id_for("handyman")
ROOM = {
    "name": "Room",
    "description": "Ladders included.",
    "pricing_type": "service",
    "duration_minutes": 240,
    "price": {"amount_cents": 40000, "currency": "USD"},
}
WEEKDAYS = {"mon": [{"start": "09:00", "end": "17:00"}]}
PAINTER_RATINGS = {"workmanship": 5, "punctuality": 4, "communication": 5, "value": 4}
CLIENT_RATINGS = {"communication": 5, "punctuality": 5, "respect": 5}
MOD = Caller("mod-1", frozenset({"admin"}))
OTHER_MOD = Caller("mod-2", frozenset({"admin"}))
ANONYMOUS = Caller()
ENVELOPE = ("event_id", "occurred_at")


@pytest.fixture
def work(make_work):
    return make_work(LATER, catalog_seeded_at=NOW)


def sign_up(work, email: str, name: str, roles=("client",)):
    account = accounts.sign_up(
        work.session,
        work.emit,
        email=email,
        password=PASSWORD,
        name=name,
        roles=list(roles),
        language="en",
        now=NOW,
    )
    work.commit()
    return account


def caller_of(account) -> Caller:
    return Caller(account.id, frozenset(account.roles))


def open_shop(work, account) -> dict[str, str]:
    """A profile with a slug, weekly hours, a painting listing that is on (a service, an area)
    and a handyman listing still incomplete."""
    pro = caller_of(account)
    first = account.name.lower()
    account.owner_status = "trial"
    profiles.update_profile(
        work.session,
        work.emit,
        pro,
        {
            "bio": f"{account.name}, painter",
            "slug": f"{first}-paints",
            "business_name": f"{account.name} Paints",
            "photo_url": f"https://example.org/{first}.jpg",
        },
        NOW,
    )
    member_facts.record_schedule(work.session, work.emit, account.id, WEEKDAYS, "UTC", NOW, NOW)
    on = listings.create_listing(work.session, work.emit, pro, PAINTER, NOW, intro="I paint")
    listing_services.add_service(work.session, work.emit, pro, on["id"], ROOM, NOW)
    set_service_area(work.session, work.emit, pro, on["id"], 37.77, -122.42, 10, NOW)
    listings.update_listing(work.session, work.emit, pro, on["id"], {"status": "on"}, NOW)
    incomplete = listings.create_listing(
        work.session, work.emit, pro, HANDYMAN, NOW + timedelta(minutes=1)
    )
    work.commit()
    return {"on": on["id"], "incomplete": incomplete["id"]}


def reviewed(work, client, professional, listing_id: str, booking_id: str) -> str:
    """A completed booking reviewed by both sides, so published; the client's review id."""
    reviews.record_completed_booking(
        work.session, booking_id, client.id, professional.id, NOW, listing_id=listing_id
    )
    by_client = reviews.submit_review(
        work.session, work.emit, caller_of(client), booking_id, PAINTER_RATINGS, "Neat", NOW
    )
    reviews.submit_review(
        work.session, work.emit, caller_of(professional), booking_id, CLIENT_RATINGS, "", NOW
    )
    work.commit()
    return by_client["id"]


@pytest.fixture
def world(work) -> dict:
    """Ana and Dan, professionals with a shop each (Ana reviewed by Bob); Bob and Cleo,
    clients; Ana logged in, with an unused reset link and an unconfirmed sign-up link."""
    ana = sign_up(work, "ana@example.org", "Ana", roles=("client", "professional"))
    dan = sign_up(work, "dan@example.org", "Dan", roles=("professional",))
    bob = sign_up(work, "bob@example.org", "Bob")
    cleo = sign_up(work, "cleo@example.org", "Cleo")
    shops = {"ana": open_shop(work, ana), "dan": open_shop(work, dan)}
    review_id = reviewed(work, bob, ana, shops["ana"]["on"], "b-1")
    login, refresh_token = login_sessions.open_session(work.session, ana, NOW)
    password_resets.request_reset(work.session, work.emit, email=ana.email, now=NOW)
    work.commit()
    return {
        "ana": ana,
        "dan": dan,
        "bob": bob,
        "cleo": cleo,
        "shops": shops,
        "review_id": review_id,
        "login": login,
        "refresh_token": refresh_token,
    }


def events(work, event_type: str) -> list[dict]:
    outbox = Base.metadata.tables["outbox_events"]
    rows = work.session.execute(
        select(outbox.c.payload)
        .where(outbox.c.event_type == event_type)
        .order_by(literal_column("rowid"))  # SQLite: the order they were emitted in
    ).scalars()
    return [{k: v for k, v in json.loads(row).items() if k not in ENVELOPE} for row in rows]


def event_types(work) -> list[str]:
    outbox = Base.metadata.tables["outbox_events"]
    return list(work.session.scalars(select(outbox.c.event_type).order_by(literal_column("rowid"))))


def report(work, reporter, professional: str, reason="fake_profile", details=None, at=NOW):
    return profile_reports.report_profile(
        work.session, caller_of(reporter), professional, reason, details, at
    )


def dismiss(work, report_id: str, note="Looks genuine.", at=LATER, caller=MOD) -> dict:
    return profile_reports.dismiss_profile_report(
        work.session, work.emit, caller, report_id, note, at
    )


def suspend(
    work, account, reason="fake_profile", note="Not a real business.", at=LATER, caller=MOD
) -> dict:
    suspended = suspensions.suspend_account(
        work.session, work.emit, caller, account.id, reason, note, at
    )
    work.commit()
    return suspended


def reinstate(work, account, note="Appeal heard.", at=REINSTATED, caller=MOD) -> dict:
    reinstated = suspensions.reinstate_account(
        work.session, work.emit, caller, account.id, note, at
    )
    work.commit()
    return reinstated


def queue(work, caller=MOD, **options) -> dict:
    return profile_reports.list_profile_reports(work.session, caller, **options)


def listed(work, caller=MOD, **options) -> dict:
    return suspensions.list_suspensions(work.session, caller, **options)


def search_painters(work) -> list[str]:
    found = listing_search.search(work.session, job_title="painter", lat=37.77, lng=-122.42)
    return sorted(item["professional_id"] for item in found["items"])


def search_rows(work) -> dict[str, dict]:
    columns = ListingSearchRow.__table__.columns
    return {
        row.listing_id: {c.name: getattr(row, c.name) for c in columns}
        for row in work.session.scalars(select(ListingSearchRow))
    }


def public(work, professional: str) -> dict:
    return profiles.public_profile(work.session, professional, None, LATER)


def can_log_in(work, email: str, password: str = PASSWORD):
    """True, or the error log-in answered."""
    try:
        accounts.log_in(work.session, email=email, password=password)
    except (Unauthorized, Forbidden) as error:
        return error
    return True


def reviews_shown(work, professional_id: str) -> list[str]:
    return [
        r["id"] for r in reviews.reviews_of_professional(work.session, professional_id)["items"]
    ]


def open_reports(work) -> list[ProfileReport]:
    return list(work.session.scalars(select(ProfileReport).order_by(ProfileReport.created_at)))


# who may report a profile


def test_any_signed_in_member_reports_a_profile_and_nothing_else_happens(work, world):
    ana = world["ana"]
    before = {"public": public(work, ana.id), "search": search_painters(work)}
    outbox = len(event_types(work))
    made = report(work, world["bob"], ana.id, "impersonation", "Uses my shop's name.")
    assert made == {
        "id": made["id"],
        "professional_id": ana.id,
        "reason": "impersonation",
        "details": "Uses my shop's name.",
        "status": "open",
        "created_at": NOW,
        "resolved_at": None,
    }
    # by the custom address too, stored under the account id; a professional reports another
    by_slug = report(work, world["dan"], "ANA-paints", "false_credentials")
    assert by_slug["professional_id"] == ana.id
    assert [(r.reporter_id, r.status) for r in open_reports(work)] == [
        (world["bob"].id, "open"),
        (world["dan"].id, "open"),
    ]
    assert public(work, ana.id) == before["public"]
    assert search_painters(work) == before["search"]
    assert len(event_types(work)) == outbox  # nobody is told


def test_a_profile_the_member_cannot_see_is_not_found(work, world):
    bob = world["bob"]
    with pytest.raises(NotFound):
        report(work, bob, "no-such-professional")
    with pytest.raises(NotFound):
        report(work, bob, world["cleo"].id)  # a member without a public profile
    suspend(work, world["dan"])
    with pytest.raises(NotFound):
        report(work, bob, world["dan"].id)
    with pytest.raises(NotFound):
        report(work, bob, "dan-paints")
    account_closures.close_account(
        work.session,
        work.emit,
        account_id=world["ana"].id,
        current_password=PASSWORD,
        unfinished_bookings=0,
        now=LATER,
    )
    work.commit()
    with pytest.raises(NotFound):
        report(work, bob, world["ana"].id)
    assert open_reports(work) == []


def test_reporting_your_own_profile_is_forbidden_and_signing_in_is_needed(work, world):
    with pytest.raises(Forbidden, match="your own profile"):
        report(work, world["ana"], world["ana"].id)
    with pytest.raises(Forbidden):
        report(work, world["ana"], "ana-paints")
    with pytest.raises(Unauthorized):
        profile_reports.report_profile(work.session, ANONYMOUS, world["ana"].id, "spam", None, NOW)
    assert open_reports(work) == []


def test_one_open_report_per_member_and_profile_and_again_once_resolved(work, world):
    ana, bob = world["ana"], world["bob"]
    first = report(work, bob, ana.id)
    with pytest.raises(Conflict, match="You already reported this profile."):
        report(work, bob, ana.id, "scam")
    with pytest.raises(Conflict):
        report(work, bob, "ana-paints")
    # another member, or another professional, is another report
    report(work, world["cleo"], ana.id)
    report(work, bob, world["dan"].id)
    dismiss(work, first["id"])
    again = report(work, bob, ana.id, "scam", at=LATER)
    assert again["status"] == "open" and again["id"] != first["id"]
    # upheld by a suspension: once reinstated, the profile may be reported again
    suspend(work, ana)
    reinstate(work, ana)
    third = report(work, bob, ana.id, "other", at=REINSTATED)
    counted = work.session.execute(
        select(ProfileReport.reporter_id, ProfileReport.status, func.count())
        .where(ProfileReport.professional_id == ana.id)
        .group_by(ProfileReport.reporter_id, ProfileReport.status)
    ).all()
    assert sorted(counted) == sorted(
        [
            (bob.id, "dismissed", 1),
            (bob.id, "upheld", 1),
            (bob.id, "open", 1),
            (world["cleo"].id, "upheld", 1),
        ]
    )
    assert third["status"] == "open"


def test_the_database_keeps_one_open_report_per_member_and_profile(work, world):
    ana, bob = world["ana"], world["bob"]
    report(work, bob, ana.id)
    work.commit()
    work.session.add(
        ProfileReport(
            id="twin",
            professional_id=ana.id,
            reporter_id=bob.id,
            reason="spam",
            status="open",
            created_at=NOW,
        )
    )
    with pytest.raises(IntegrityError):
        work.session.flush()
    work.rollback()
    # resolved ones do not count
    work.session.add(
        ProfileReport(
            id="old",
            professional_id=ana.id,
            reporter_id=bob.id,
            reason="spam",
            status="dismissed",
            created_at=NOW,
        )
    )
    work.commit()
    assert len(open_reports(work)) == 2


def test_a_reason_from_the_profile_list_and_details_within_the_limit(work, world):
    ana, bob = world["ana"], world["bob"]
    with pytest.raises(Invalid) as caught:
        report(work, bob, ana.id, "rude", "x" * (DETAILS_MAX + 1))
    assert set(caught.value.errors) == {"reason", "details"}
    assert open_reports(work) == []
    for reason, reporter in (("fake_profile", bob), ("false_credentials", world["cleo"])):
        assert report(work, reporter, ana.id, reason)["reason"] == reason
    longest = report(work, bob, world["dan"].id, "other", "x" * DETAILS_MAX)
    assert len(longest["details"]) == DETAILS_MAX


# the queue


@pytest.fixture
def reported(work, world) -> dict:
    """Four reports made out of order: of Ana by Bob (3h), Cleo (1h) and Dan (2h); of Dan by
    Bob (1h, the same time as Cleo's)."""
    ana, dan = world["ana"].id, world["dan"].id
    made = {
        "bob_ana": report(work, world["bob"], ana, at=NOW + timedelta(hours=3)),
        "cleo_ana": report(work, world["cleo"], ana, "scam", at=NOW + timedelta(hours=1)),
        "dan_ana": report(work, world["dan"], ana, "impersonation", at=NOW + timedelta(hours=2)),
        "bob_dan": report(work, world["bob"], dan, "spam", "Ads.", at=NOW + timedelta(hours=1)),
    }
    work.commit()
    return made


def test_the_queue_is_oldest_first_paged_by_cursor(work, world, reported):
    expected = sorted(reported.values(), key=lambda r: (r["created_at"], r["id"]))
    seen, cursor, pages = [], None, 0
    while True:
        page = queue(work, limit=3, cursor=cursor)
        pages += 1
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["items"]) == 3
    assert pages == 2
    assert [item["id"] for item in seen] == [r["id"] for r in expected]
    assert [item["id"] for item in queue(work)["items"]] == [r["id"] for r in expected]
    with pytest.raises(Invalid) as caught:
        queue(work, cursor="not-a-cursor")
    assert set(caught.value.errors) == {"cursor"}
    with pytest.raises(Invalid) as caught:
        queue(work, status="closed", limit=0)
    assert set(caught.value.errors) == {"status", "limit"}


def test_each_report_carries_the_professional_and_their_open_reports(work, world, reported):
    ana, dan = world["ana"], world["dan"]
    dismiss(work, reported["cleo_ana"]["id"], note="Fine.")
    listings.delete_listing(
        work.session, work.emit, caller_of(dan), world["shops"]["dan"]["incomplete"], NOW
    )
    items = {item["id"]: item for item in queue(work)["items"]}
    assert reported["cleo_ana"]["id"] not in items
    assert items[reported["bob_ana"]["id"]] == {
        **reported["bob_ana"],
        "reporter_id": world["bob"].id,
        "resolved_by": None,
        "resolution_note": None,
        "professional": {
            "id": ana.id,
            "name": "Ana",
            "business_name": "Ana Paints",
            "photo_url": "https://example.org/ana.jpg",
            "job_titles": ["House painter", "Handyman"],
            "suspended": False,
            "report_count": 2,  # open ones: the dismissed one does not count
        },
    }
    assert items[reported["bob_dan"]["id"]]["professional"] == {
        "id": dan.id,
        "name": "Dan",
        "business_name": "Dan Paints",
        "photo_url": "https://example.org/dan.jpg",
        "job_titles": ["House painter"],  # the deleted listing is not shown
        "suspended": False,
        "report_count": 1,
    }


def test_the_queue_shows_one_status_at_a_time_and_who_is_suspended(work, world, reported):
    dismiss(work, reported["bob_dan"]["id"])
    suspend(work, world["ana"])
    assert queue(work)["items"] == []
    assert [i["id"] for i in queue(work, status="dismissed")["items"]] == [
        reported["bob_dan"]["id"]
    ]
    upheld = queue(work, status="upheld")["items"]
    assert [i["id"] for i in upheld] == [
        reported["cleo_ana"]["id"],
        reported["dan_ana"]["id"],
        reported["bob_ana"]["id"],
    ]
    assert {
        (i["professional"]["suspended"], i["professional"]["report_count"]) for i in upheld
    } == {(True, 0)}
    reinstate(work, world["ana"])
    upheld = queue(work, status="upheld")["items"]
    assert {i["professional"]["suspended"] for i in upheld} == {False}
    assert {i["status"] for i in upheld} == {"upheld"}  # reports stay resolved


def test_only_moderators_read_the_queue(work, world, reported):
    with pytest.raises(Forbidden):
        queue(work, caller=caller_of(world["ana"]))
    with pytest.raises(Unauthorized):
        queue(work, caller=ANONYMOUS)


# dismissing


def test_dismissing_a_report_keeps_the_profile_and_tells_the_reporter(work, world, reported):
    dismissed = dismiss(work, reported["bob_ana"]["id"], note="It is a real business.")
    assert (dismissed["status"], dismissed["resolved_at"], dismissed["resolved_by"]) == (
        "dismissed",
        LATER,
        "mod-1",
    )
    assert dismissed["resolution_note"] == "It is a real business."
    assert dismissed["professional"]["report_count"] == 2
    assert events(work, "profile_report_resolved") == [
        {
            "report_id": reported["bob_ana"]["id"],
            "professional_id": world["ana"].id,
            "reporter_id": world["bob"].id,
            "outcome": "dismissed",
            "note": "It is a real business.",
            "resolved_at": LATER.isoformat(),
        }
    ]
    for payload in events(work, "profile_report_resolved"):
        assert ProfileReportResolvedEventSchema().validate(payload) == {}
        assert set(payload) == set(ProfileReportResolvedEventSchema().fields)
    assert events(work, "account_suspended") == []
    assert public(work, world["ana"].id)["business_name"] == "Ana Paints"
    still_open = sorted(r.id for r in open_reports(work) if r.status == "open")
    assert still_open == sorted(reported[k]["id"] for k in ("cleo_ana", "bob_dan", "dan_ana"))


def test_only_an_open_report_is_dismissed_and_only_by_a_moderator(work, world, reported):
    dismiss(work, reported["bob_ana"]["id"])
    with pytest.raises(Conflict, match="already resolved"):
        dismiss(work, reported["bob_ana"]["id"], note="Again.")
    suspend(work, world["ana"])
    with pytest.raises(Conflict):
        dismiss(work, reported["cleo_ana"]["id"])  # upheld
    with pytest.raises(NotFound):
        dismiss(work, "no-such-report")
    with pytest.raises(Forbidden):
        dismiss(work, reported["bob_dan"]["id"], caller=caller_of(world["dan"]))
    with pytest.raises(Unauthorized):
        dismiss(work, reported["bob_dan"]["id"], caller=ANONYMOUS)
    with pytest.raises(Invalid) as caught:
        dismiss(work, reported["bob_dan"]["id"], note="x" * (NOTE_MAX + 1))
    assert set(caught.value.errors) == {"note"}
    row = work.session.get(ProfileReport, reported["bob_dan"]["id"])
    assert (row.status, row.resolved_at) == ("open", None)
    dismissals = [e for e in events(work, "profile_report_resolved") if e["outcome"] == "dismissed"]
    assert len(dismissals) == 1


# suspending: who, and the answers


def test_a_suspension_is_the_moderators_record(work, world):
    ana = world["ana"]
    suspended = suspend(work, ana, "scam", "Took deposits and vanished.")
    assert suspended == {
        "id": suspended["id"],
        "account_id": ana.id,
        "name": "Ana",
        "email": "ana@example.org",
        "reason": "scam",
        "note": "Took deposits and vanished.",
        "status": "current",
        "suspended_at": LATER,
        "suspended_by": "mod-1",
        "reinstated_at": None,
        "reinstated_by": None,
        "reinstatement_note": None,
    }
    assert SuspensionSchema().validate(SuspensionSchema().dump(suspended)) == {}
    assert events(work, "account_suspended") == [
        {
            "account_id": ana.id,
            "suspension_id": suspended["id"],
            "reason": "scam",
            "note": "Took deposits and vanished.",
            "suspended_at": LATER.isoformat(),
        }
    ]
    for payload in events(work, "account_suspended"):
        assert AccountSuspendedEventSchema().validate(payload) == {}
        assert set(payload) == set(AccountSuspendedEventSchema().fields)


def test_suspending_is_refused_for_an_unknown_closed_own_or_suspended_account(work, world):
    with pytest.raises(NotFound):
        suspensions.suspend_account(work.session, work.emit, MOD, "nobody", "spam", None, LATER)
    account_closures.close_account(
        work.session,
        work.emit,
        account_id=world["cleo"].id,
        current_password=PASSWORD,
        unfinished_bookings=0,
        now=LATER,
    )
    work.commit()
    with pytest.raises(NotFound):
        suspend(work, world["cleo"])
    own = Caller(world["dan"].id, frozenset({"admin", "professional"}))
    with pytest.raises(Invalid) as caught:
        suspend(work, world["dan"], caller=own)
    assert caught.value.status == 422
    assert set(caught.value.errors) == {"account_id"}
    suspend(work, world["ana"])
    with pytest.raises(Conflict, match="This account is already suspended."):
        suspend(work, world["ana"], "spam", None, caller=OTHER_MOD)
    assert work.session.scalar(select(func.count()).select_from(Suspension)) == 1
    assert len(events(work, "account_suspended")) == 1


def test_only_moderators_suspend_with_a_reason_from_the_list(work, world):
    ana = world["ana"]
    with pytest.raises(Forbidden):
        suspend(work, ana, caller=caller_of(world["dan"]))
    with pytest.raises(Unauthorized):
        suspend(work, ana, caller=ANONYMOUS)
    with pytest.raises(Invalid) as caught:
        suspend(work, ana, "rude", "x" * (NOTE_MAX + 1))
    assert set(caught.value.errors) == {"reason", "note"}
    assert work.session.scalar(select(func.count()).select_from(Suspension)) == 0
    assert events(work, "account_suspended") == []
    for reason in ("fake_profile", "impersonation", "false_credentials"):
        suspend(work, ana, reason, None)
        reinstate(work, ana)
    assert [e["reason"] for e in events(work, "account_suspended")] == [
        "fake_profile",
        "impersonation",
        "false_credentials",
    ]


def test_the_database_keeps_one_current_suspension_per_account(work, world):
    suspend(work, world["ana"])
    work.session.add(
        Suspension(
            id=str(uuid.uuid4()),
            account_id=world["ana"].id,
            reason="spam",
            suspended_at=LATER,
            suspended_by="mod-2",
        )
    )
    with pytest.raises(IntegrityError):
        work.session.flush()
    work.rollback()
    reinstate(work, world["ana"])
    suspend(work, world["ana"], at=REINSTATED + timedelta(days=1))  # a new one, after the lift
    assert work.session.scalar(select(func.count()).select_from(Suspension)) == 2


# suspending: signing in


def test_a_suspension_ends_every_log_in_and_deletes_the_links(work, world):
    ana = world["ana"]
    other, _ = login_sessions.open_session(work.session, ana, NOW)
    bob_login, _ = login_sessions.open_session(work.session, world["bob"], NOW)
    work.commit()
    assert (
        work.session.scalar(
            select(func.count())
            .select_from(EmailConfirmation)
            .where(EmailConfirmation.account_id == ana.id)
        )
        == 1
    )
    suspend(work, ana)
    for login in (world["login"], other):
        assert not login_sessions.is_active(work.session, login.id, LATER)
    assert login_sessions.is_active(work.session, bob_login.id, LATER)
    for model in (PasswordReset, EmailConfirmation):
        assert (
            work.session.scalar(
                select(func.count()).select_from(model).where(model.account_id == ana.id)
            )
            == 0
        )
    # another member's links stay
    assert (
        work.session.scalar(
            select(func.count())
            .select_from(EmailConfirmation)
            .where(EmailConfirmation.account_id == world["bob"].id)
        )
        == 1
    )


def test_a_suspended_member_with_the_right_password_is_told_and_let_in_nowhere(
    work, world, monkeypatch
):
    monkeypatch.setenv("LOCONOMICS_MODERATORS_EMAIL", "moderators@coop.example")
    suspend(work, world["ana"])
    refused = can_log_in(work, "ana@example.org")
    assert isinstance(refused, Forbidden) and refused.status == 403
    assert refused.detail == (
        "This account is suspended. To ask why or to appeal, write to the cooperative at "
        "moderators@coop.example."
    )
    wrong = can_log_in(work, "ana@example.org", "not the password")
    assert isinstance(wrong, Unauthorized) and wrong.detail == "The email or password is wrong."
    assert can_log_in(work, "bob@example.org") is True
    with pytest.raises(Forbidden, match="This account is suspended."):
        login_sessions.rotate(work.session, world["refresh_token"], LATER)
    work.rollback()


def test_a_refresh_token_is_refused_while_suspended_even_one_not_revoked(work, world):
    """A log-in that escaped revocation (made in the instant of the suspension on a database
    without the lock) still gets no new tokens."""
    ana = world["ana"]
    suspend(work, ana)
    _, escaped = login_sessions.open_session(work.session, ana, LATER)
    work.commit()
    with pytest.raises(Forbidden):
        login_sessions.rotate(work.session, escaped, LATER)


def test_no_reset_is_sent_or_completed_while_suspended(work, world):
    ana = world["ana"]
    [made] = events(work, "password_reset_requested")
    suspend(work, ana)
    password_resets.request_reset(work.session, work.emit, email="ana@example.org", now=LATER)
    work.commit()
    assert len(events(work, "password_reset_requested")) == 1
    assert work.session.scalar(select(func.count()).select_from(PasswordReset)) == 0
    # the link sent before is gone with its row
    with pytest.raises(Invalid) as caught:
        password_resets.reset_password(
            work.session,
            work.emit,
            token=made["reset_token"],
            password="a brand new one",
            now=LATER,
        )
    assert set(caught.value.errors) == {"token"}
    work.rollback()
    # a link made in the instant of the suspension does not work either
    token = new_token()
    work.session.add(
        PasswordReset(
            id=str(uuid.uuid4()),
            account_id=ana.id,
            token_hash=token_hash(token),
            created_at=LATER,
            expires_at=LATER + timedelta(hours=1),
        )
    )
    work.commit()
    with pytest.raises(Forbidden):
        password_resets.reset_password(
            work.session, work.emit, token=token, password="a brand new one", now=LATER
        )
    work.rollback()
    assert accounts.has_password(work.session.get(type(ana), ana.id), PASSWORD)
    assert events(work, "password_changed") == []


def test_a_suspended_member_cannot_close_their_account(work, world):
    ana = world["ana"]
    suspend(work, ana)
    with pytest.raises(Forbidden, match="suspended"):
        account_closures.close_account(
            work.session,
            work.emit,
            account_id=ana.id,
            current_password=PASSWORD,
            unfinished_bookings=0,
            now=LATER,
        )
    work.rollback()
    assert work.session.get(type(ana), ana.id).closed_at is None
    assert events(work, "account_closed") == []


# suspending: out of every public place, nothing erased


def test_the_professional_leaves_search_the_public_pages_and_their_reviews_page(work, world):
    ana, dan = world["ana"], world["dan"]
    kept = PublicProfiles(lambda view: view)
    kept.read(work.session, ana.id, None, LATER)
    assert len(kept) == 1
    assert search_painters(work) == sorted([ana.id, dan.id])
    assert reviews_shown(work, ana.id) == [world["review_id"]]
    suspend(work, ana)
    assert search_painters(work) == [dan.id]
    assert set(search_rows(work)) == {world["shops"]["dan"]["on"]}
    for address in (ana.id, "ana-paints"):
        with pytest.raises(NotFound):
            public(work, address)
    with pytest.raises(NotFound):
        kept.read(work.session, ana.id, None, LATER)  # a kept answer is not served
    assert len(kept) == 0
    assert reviews_shown(work, ana.id) == []
    assert reviews.reviews_of_professional(work.session, ana.id)["next_cursor"] is None
    # someone else's public pages are untouched
    assert public(work, "dan-paints")["business_name"] == "Dan Paints"


def test_nothing_is_erased_and_the_members_own_views_are_untouched(work, world):
    ana = world["ana"]
    pro = caller_of(ana)
    before = {
        "profile": profiles.my_profile(work.session, pro, LATER),
        "listings": listings.list_own_listings(work.session, pro),
        "services": work.session.scalar(select(func.count()).select_from(ListingService)),
        "areas": work.session.scalar(select(func.count()).select_from(ServiceArea)),
    }
    announced = len(event_types(work))
    suspend(work, ana)
    # no listing event: the listings keep their status; only the suspension is announced
    assert event_types(work)[announced:] == ["account_suspended"]
    assert profiles.my_profile(work.session, pro, LATER) == before["profile"]
    assert listings.list_own_listings(work.session, pro) == before["listings"]
    assert [item["status"] for item in before["listings"]] == ["on", "incomplete"]
    assert (
        work.session.scalar(select(func.count()).select_from(ListingService)) == before["services"]
    )
    assert work.session.scalar(select(func.count()).select_from(ServiceArea)) == before["areas"]
    # the reviews the member wrote stay (Ana's of Bob)
    written = reviews.reviews_of_client(work.session, caller_of(world["bob"]), world["bob"].id)
    assert [r["author_id"] for r in written["items"]] == [ana.id]


def test_a_change_while_suspended_never_brings_a_listing_back_to_search(work, world):
    ana, dan = world["ana"], world["dan"]
    suspend(work, ana)
    # a review published meanwhile (the ratings reindex the listing) ...
    reviewed(work, world["cleo"], ana, world["shops"]["ana"]["on"], "b-2")
    # ... billing's word (every listing settles again) ...
    member_facts.record_owner_status(work.session, work.emit, ana.id, "inactive", LATER, LATER)
    # ... and a token still in flight changing the listing
    listings.update_listing(
        work.session,
        work.emit,
        caller_of(ana),
        world["shops"]["ana"]["on"],
        {"intro": "Still painting"},
        LATER,
    )
    work.commit()
    assert search_painters(work) == [dan.id]
    assert world["shops"]["ana"]["on"] not in search_rows(work)
    reinstate(work, ana)
    row = search_rows(work)[world["shops"]["ana"]["on"]]
    assert (row["review_count"], row["status"]) == (2, "on")  # as the listing is now


# suspending upholds the reports


def test_a_suspension_upholds_every_open_report_of_the_profile_and_tells_each_reporter(
    work, world, reported
):
    ana = world["ana"]
    dismiss(work, reported["cleo_ana"]["id"], note="Fine.", at=NOW + timedelta(hours=5))
    by_ana = report(work, ana, world["dan"].id, at=NOW + timedelta(hours=6))  # hers stays open
    suspended = suspend(work, ana, "impersonation", "Not Ana Paints.")
    rows = {row.id: row for row in open_reports(work)}
    for key in ("bob_ana", "dan_ana"):
        row = rows[reported[key]["id"]]
        assert (row.status, row.resolved_at, row.resolved_by, row.resolution_note) == (
            "upheld",
            LATER,
            "mod-1",
            None,
        )
    assert rows[reported["cleo_ana"]["id"]].status == "dismissed"
    assert rows[reported["cleo_ana"]["id"]].resolution_note == "Fine."
    assert rows[reported["bob_dan"]["id"]].status == "open"
    assert rows[by_ana["id"]].status == "open"
    # account_suspended first, then one per report upheld, oldest report first
    assert event_types(work)[-3:] == [
        "account_suspended",
        "profile_report_resolved",
        "profile_report_resolved",
    ]
    upheld = [e for e in events(work, "profile_report_resolved") if e["outcome"] == "upheld"]
    assert upheld == [
        {
            "report_id": reported[key]["id"],
            "professional_id": ana.id,
            "reporter_id": reporter.id,
            "outcome": "upheld",
            "note": None,
            "resolved_at": LATER.isoformat(),
        }
        for key, reporter in (("dan_ana", world["dan"]), ("bob_ana", world["bob"]))
    ]
    for payload in events(work, "profile_report_resolved"):
        assert ProfileReportResolvedEventSchema().validate(payload) == {}
    assert suspended["status"] == "current"


# reinstating


def test_reinstating_brings_everything_back_as_it_was(work, world, reported):
    ana, dan = world["ana"], world["dan"]
    before = {
        "public": public(work, "ana-paints"),
        "search": search_painters(work),
        "rows": search_rows(work),
        "reviews": reviews_shown(work, ana.id),
    }
    suspended = suspend(work, ana)
    reinstated = reinstate(work, ana, "We heard your appeal.")
    assert reinstated == {
        **suspended,
        "status": "lifted",
        "reinstated_at": REINSTATED,
        "reinstated_by": "mod-1",
        "reinstatement_note": "We heard your appeal.",
    }
    assert public(work, "ana-paints") == before["public"]
    assert search_painters(work) == before["search"] == sorted([ana.id, dan.id])
    assert search_rows(work) == before["rows"]
    assert reviews_shown(work, ana.id) == before["reviews"]
    # signs in afresh; the log-ins revoked stay revoked
    assert can_log_in(work, "ana@example.org") is True
    assert not login_sessions.is_active(work.session, world["login"].id, REINSTATED)
    with pytest.raises(Unauthorized):
        login_sessions.rotate(work.session, world["refresh_token"], REINSTATED)
    work.rollback()
    # reports stay resolved
    assert {r.status for r in open_reports(work) if r.professional_id == ana.id} == {"upheld"}
    assert events(work, "account_reinstated") == [
        {
            "account_id": ana.id,
            "suspension_id": suspended["id"],
            "note": "We heard your appeal.",
            "reinstated_at": REINSTATED.isoformat(),
        }
    ]
    for payload in events(work, "account_reinstated"):
        assert AccountReinstatedEventSchema().validate(payload) == {}
        assert set(payload) == set(AccountReinstatedEventSchema().fields)
    # a reset can be asked for again
    password_resets.request_reset(work.session, work.emit, email=ana.email, now=REINSTATED)
    work.commit()
    assert len(events(work, "password_reset_requested")) == 2


def test_reinstating_is_refused_unless_suspended_and_only_by_another_moderator(work, world):
    ana = world["ana"]
    with pytest.raises(Conflict, match="This account is not suspended."):
        reinstate(work, ana)
    with pytest.raises(NotFound):
        suspensions.reinstate_account(work.session, work.emit, MOD, "nobody", None, LATER)
    suspend(work, ana)
    with pytest.raises(Forbidden):
        reinstate(work, ana, caller=caller_of(world["dan"]))
    with pytest.raises(Unauthorized):
        reinstate(work, ana, caller=ANONYMOUS)
    with pytest.raises(Invalid) as caught:
        reinstate(work, ana, "x" * (NOTE_MAX + 1))
    assert set(caught.value.errors) == {"note"}
    with pytest.raises(Invalid) as caught:
        reinstate(work, ana, caller=Caller(ana.id, frozenset({"admin"})))
    assert set(caught.value.errors) == {"account_id"}
    assert events(work, "account_reinstated") == []
    reinstate(work, ana)
    with pytest.raises(Conflict):
        reinstate(work, ana, at=REINSTATED + timedelta(hours=1))
    assert len(events(work, "account_reinstated")) == 1


# the list of suspensions


def test_the_list_is_newest_first_by_status_and_by_account(work, world):
    ana, dan, bob, cleo = world["ana"], world["dan"], world["bob"], world["cleo"]
    first = suspend(work, ana, at=NOW + timedelta(hours=1))
    suspend(work, dan, "spam", None, at=NOW + timedelta(hours=3))
    suspend(work, bob, "harassment", None, at=NOW + timedelta(hours=2))
    reinstate(work, ana, at=NOW + timedelta(hours=5))
    second = suspend(work, ana, "scam", None, at=NOW + timedelta(hours=6))
    reinstate(work, bob, at=NOW + timedelta(hours=4))
    suspend(work, cleo, at=NOW + timedelta(hours=2))  # the same moment as Bob's: by id
    current = listed(work)["items"]
    tied = sorted(
        [i for i in current if i["suspended_at"] == NOW + timedelta(hours=2)],
        key=lambda i: i["id"],
        reverse=True,
    )
    assert [i["account_id"] for i in current] == [ana.id, dan.id, *[i["account_id"] for i in tied]]
    assert [i["account_id"] for i in tied] == [cleo.id]
    assert current[0]["id"] == second["id"]
    lifted = listed(work, status="lifted")["items"]
    assert [(i["account_id"], i["reinstated_at"]) for i in lifted] == [
        (ana.id, NOW + timedelta(hours=5)),
        (bob.id, NOW + timedelta(hours=4)),
    ]
    assert lifted[0]["id"] == first["id"]
    assert [i["id"] for i in listed(work, status="lifted", account_id=ana.id)["items"]] == [
        first["id"]
    ]
    assert [i["id"] for i in listed(work, account_id=ana.id)["items"]] == [second["id"]]
    assert listed(work, account_id="nobody")["items"] == []
    # paging
    seen, cursor = [], None
    while True:
        page = listed(work, limit=1, cursor=cursor)
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in current]
    seen, cursor = [], None
    while True:
        page = listed(work, status="lifted", limit=1, cursor=cursor)
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in lifted]


def test_only_moderators_read_the_list_and_arguments_are_checked(work, world):
    with pytest.raises(Forbidden):
        listed(work, caller=caller_of(world["ana"]))
    with pytest.raises(Unauthorized):
        listed(work, caller=ANONYMOUS)
    with pytest.raises(Invalid) as caught:
        listed(work, status="open", limit=101)
    assert set(caught.value.errors) == {"status", "limit"}
    with pytest.raises(Invalid) as caught:
        listed(work, cursor="nope")
    assert set(caught.value.errors) == {"cursor"}


# closure


def close(work, account, at=REINSTATED + timedelta(days=1)):
    account_closures.close_account(
        work.session,
        work.emit,
        account_id=account.id,
        current_password=PASSWORD,
        unfinished_bookings=0,
        now=at,
    )
    work.commit()


def test_a_closing_reporter_leaves_their_reports_without_their_words(work, world, reported):
    bob = world["bob"]
    dismiss(work, reported["bob_ana"]["id"])
    close(work, bob)
    theirs = list(
        work.session.scalars(select(ProfileReport).where(ProfileReport.reporter_id == bob.id))
    )
    assert len(theirs) == 2
    assert {row.details for row in theirs} == {None}
    assert {row.status for row in theirs} == {"open", "dismissed"}
    assert len(queue(work)["items"]) == 3  # still waiting for a moderator


def test_reports_of_a_closing_professionals_profile_go_with_it(work, world, reported):
    close(work, world["dan"])  # Dan reported Ana; Bob reported Dan
    remaining = {row.id for row in open_reports(work)}
    assert reported["bob_dan"]["id"] not in remaining
    assert reported["dan_ana"]["id"] in remaining  # Dan's own report stays
    assert [i["professional"]["id"] for i in queue(work)["items"]] == [world["ana"].id] * 3


def test_the_suspensions_of_a_closed_account_stay_with_their_notes(work, world):
    ana = world["ana"]
    made = suspend(work, ana, "scam", "Deposits taken.")
    reinstate(work, ana, "Refunds made.")
    close(work, ana)
    with pytest.raises(NotFound):
        suspend(work, ana, at=REINSTATED + timedelta(days=2))
    with pytest.raises(NotFound):
        suspensions.reinstate_account(work.session, work.emit, MOD, ana.id, None, LATER)
    [kept] = listed(work, status="lifted")["items"]
    assert kept == {
        **made,
        "name": "Former member",
        "email": f"closed-{ana.id}@closed.invalid",
        "status": "lifted",
        "note": "Deposits taken.",
        "reinstated_at": REINSTATED,
        "reinstated_by": "mod-1",
        "reinstatement_note": "Refunds made.",
    }


# the member's copy of their data


def export(work, account) -> dict:
    part = member_data.export_member_data(
        work.session, work.emit, account_id=account.id, current_password=PASSWORD, now=LATER
    )
    work.commit()
    return MemberDataSchema().dump(part)


def records(part: dict, name: str) -> list[dict]:
    return part["sections"][name]["records"]


def test_the_reporters_copy_holds_their_reports_without_who_decided(work, world, reported):
    bob = world["bob"]
    dismiss(work, reported["bob_dan"]["id"], note="A real shop.")
    suspend(work, world["ana"])
    raw = member_data.export_member_data(
        work.session, work.emit, account_id=bob.id, current_password=PASSWORD, now=LATER
    )
    assert {key for record in raw["sections"]["profile_reports"]["records"] for key in record} == {
        "id",
        "professional_id",
        "reason",
        "details",
        "status",
        "created_at",
        "resolved_at",
        "resolution_note",
    }
    part = export(work, bob)
    assert records(part, "profile_reports") == [
        {
            "id": reported["bob_dan"]["id"],
            "professional_id": world["dan"].id,
            "reason": "spam",
            "details": "Ads.",
            "status": "dismissed",
            "created_at": (NOW + timedelta(hours=1)).isoformat(),
            "resolved_at": LATER.isoformat(),
            "resolution_note": "A real shop.",
        },
        {
            "id": reported["bob_ana"]["id"],
            "professional_id": world["ana"].id,
            "reason": "fake_profile",
            "details": None,
            "status": "upheld",
            "created_at": (NOW + timedelta(hours=3)).isoformat(),
            "resolved_at": LATER.isoformat(),
            "resolution_note": None,
        },
    ]
    assert records(part, "suspensions") == []
    assert "mod-1" not in json.dumps(part)


def test_the_members_copy_holds_their_suspensions_not_who_decided_nor_who_reported_them(
    work, world, reported
):
    ana = world["ana"]
    first = suspend(work, ana, "scam", "Deposits taken.", at=LATER)
    reinstate(work, ana, "Refunds made.", at=REINSTATED)
    second = suspend(work, ana, "spam", None, at=REINSTATED + timedelta(hours=1), caller=OTHER_MOD)
    reinstate(work, ana, None, at=REINSTATED + timedelta(hours=2))
    raw = member_data.export_member_data(
        work.session, work.emit, account_id=ana.id, current_password=PASSWORD, now=LATER
    )
    kept = raw["sections"]["suspensions"]["records"]
    assert {key for record in kept for key in record} == {
        "id",
        "reason",
        "note",
        "status",
        "suspended_at",
        "reinstated_at",
        "reinstatement_note",
    }
    part = export(work, ana)
    assert records(part, "suspensions") == [
        {
            "id": first["id"],
            "reason": "scam",
            "note": "Deposits taken.",
            "status": "lifted",
            "suspended_at": LATER.isoformat(),
            "reinstated_at": REINSTATED.isoformat(),
            "reinstatement_note": "Refunds made.",
        },
        {
            "id": second["id"],
            "reason": "spam",
            "note": None,
            "status": "lifted",
            "suspended_at": (REINSTATED + timedelta(hours=1)).isoformat(),
            "reinstated_at": (REINSTATED + timedelta(hours=2)).isoformat(),
            "reinstatement_note": None,
        },
    ]
    assert records(part, "profile_reports") == []  # reports about her are not hers
    dumped = json.dumps(part)
    assert "mod-1" not in dumped and "mod-2" not in dumped
    for key in ("bob_ana", "cleo_ana", "dan_ana"):
        assert reported[key]["id"] not in dumped


# the entrypoints


@pytest.fixture
def unit(work, monkeypatch):
    monkeypatch.setattr(service_module.clock, "now", lambda: LATER)
    return work


def worker(unit, caller=ANONYMOUS):
    return worker_factory(ProfilesService, db=unit, caller=caller, booking=Mock())


def test_the_report_entrypoints_validate_and_answer_the_contracts_views(unit, world):
    ana, bob = world["ana"], world["bob"]
    with pytest.raises(Invalid) as caught:
        worker(unit, caller_of(bob)).report_profile(professional_id=ana.id, reason="rude", x=1)
    assert set(caught.value.errors) == {"reason", "x"}
    made = worker(unit, caller_of(bob)).report_profile(
        professional_id="ana-paints", reason="fake_profile"
    )
    assert ProfileReportSchema().validate(made) == {}
    assert set(made) == {
        "id",
        "professional_id",
        "reason",
        "details",
        "status",
        "created_at",
        "resolved_at",
    }
    assert (made["professional_id"], made["created_at"]) == (ana.id, LATER.isoformat())
    with pytest.raises(Conflict):
        worker(unit, caller_of(bob)).report_profile(professional_id=ana.id, reason="spam")
    other = worker(unit, caller_of(world["cleo"])).report_profile(
        professional_id=ana.id, reason="scam", details="Took my deposit."
    )
    with pytest.raises(Forbidden):
        worker(unit, caller_of(bob)).list_profile_reports()
    page = worker(unit, MOD).list_profile_reports(limit=1)
    assert ProfileReportPageSchema().validate(page) == {}
    first, second = sorted((made["id"], other["id"]))
    assert [i["id"] for i in page["items"]] == [first]
    assert page["items"][0]["professional"]["report_count"] == 2
    rest = worker(unit, MOD).list_profile_reports(status="open", cursor=page["next_cursor"])
    assert [i["id"] for i in rest["items"]] == [second] and rest["next_cursor"] is None
    with pytest.raises(Invalid) as caught:
        worker(unit, MOD).list_profile_reports(status="closed", limit=0)
    assert set(caught.value.errors) == {"status", "limit"}
    dismissed = worker(unit, MOD).dismiss_profile_report(report_id=other["id"], note="Paid back.")
    assert ModeratedProfileReportSchema().validate(dismissed) == {}
    assert (dismissed["status"], dismissed["resolution_note"]) == ("dismissed", "Paid back.")
    with pytest.raises(Conflict):
        worker(unit, MOD).dismiss_profile_report(report_id=other["id"])
    with pytest.raises(NotFound):
        worker(unit, MOD).dismiss_profile_report(report_id="nope")


def test_the_suspension_entrypoints_and_their_effects_through_every_door(unit, world):
    ana = world["ana"]
    service_module.PUBLIC_PROFILES.read(unit.session, ana.id, None, LATER)
    unit.commit()
    assert worker(unit).get_professional(professional="ana-paints")["business_name"]
    session = worker(unit).log_in(email="ana@example.org", password=PASSWORD)
    with pytest.raises(Invalid) as caught:
        worker(unit, MOD).suspend_account(account_id=ana.id, reason="rude")
    assert set(caught.value.errors) == {"reason"}
    with pytest.raises(Invalid) as caught:
        worker(unit, MOD).suspend_account(account_id=MOD.user_id, reason="spam")
    assert set(caught.value.errors) == {"account_id"}
    with pytest.raises(NotFound):
        worker(unit, MOD).suspend_account(account_id="nobody", reason="spam")
    suspended = worker(unit, MOD).suspend_account(account_id=ana.id, reason="fake_profile")
    assert SuspensionSchema().validate(suspended) == {}
    assert (suspended["status"], suspended["note"], suspended["suspended_at"]) == (
        "current",
        None,
        LATER.isoformat(),
    )
    assert not unit.session.in_transaction()  # committed before the kept answer is dropped
    assert ana.id not in service_module.PUBLIC_PROFILES._kept
    with pytest.raises(Conflict):
        worker(unit, MOD).suspend_account(account_id=ana.id, reason="spam")
    unit.rollback()

    with pytest.raises(Forbidden, match="This account is suspended."):
        worker(unit).log_in(email="ana@example.org", password=PASSWORD)
    unit.rollback()
    with pytest.raises(Unauthorized):
        worker(unit).log_in(email="ana@example.org", password="not the password")
    unit.rollback()
    with pytest.raises(Forbidden):
        worker(unit).refresh_session(refresh_token=session["refresh_token"])
    unit.rollback()
    assert worker(unit).check_session(session_id=_sid(session)) == {"active": False}
    assert worker(unit).request_password_reset(email="ana@example.org") == {}
    unit.commit()
    assert len(events(unit, "password_reset_requested")) == 1  # the one of the world only
    with pytest.raises(NotFound):
        worker(unit).get_professional(professional="ana-paints")
    found = worker(unit).search(job_title="painter", lat=37.77, lng=-122.42)
    assert [i["professional_id"] for i in found["items"]] == [world["dan"].id]
    assert worker(unit).list_professional_reviews(professional_id=ana.id)["items"] == []

    page = worker(unit, MOD).list_suspensions()
    assert SuspensionPageSchema().validate(page) == {}
    assert [i["id"] for i in page["items"]] == [suspended["id"]]
    with pytest.raises(Invalid) as caught:
        worker(unit, MOD).list_suspensions(status="open", extra=True)
    assert set(caught.value.errors) == {"status", "extra"}
    with pytest.raises(Forbidden):
        worker(unit, caller_of(world["bob"])).list_suspensions()

    with pytest.raises(Invalid) as caught:
        worker(unit, MOD).reinstate_account(account_id=ana.id, note="x" * (NOTE_MAX + 1))
    assert set(caught.value.errors) == {"note"}
    reinstated = worker(unit, MOD).reinstate_account(account_id=ana.id, note="Sorry.")
    assert SuspensionSchema().validate(reinstated) == {}
    assert (reinstated["status"], reinstated["reinstatement_note"]) == ("lifted", "Sorry.")
    with pytest.raises(Conflict):
        worker(unit, MOD).reinstate_account(account_id=ana.id)
    unit.rollback()
    assert worker(unit).get_professional(professional="ana-paints")["business_name"]
    assert set(worker(unit).log_in(email="ana@example.org", password=PASSWORD)) >= {
        "access_token",
        "refresh_token",
    }
    assert worker(unit, MOD).list_suspensions(status="lifted")["items"][0]["id"] == suspended["id"]
    assert [e["account_id"] for e in events(unit, "account_suspended")] == [ana.id]
    assert [e["account_id"] for e in events(unit, "account_reinstated")] == [ana.id]


def _sid(session: dict) -> str:
    return verify_access_token(session["access_token"], LATER).session_id


def queue_gauges(subject: str) -> tuple[float, float]:
    return (
        MODERATION_OPEN_REPORTS.labels("profiles", subject)._value.get(),
        MODERATION_OLDEST_WAIT.labels("profiles", subject)._value.get(),
    )


def test_the_timer_publishes_the_queue_of_profile_reports(unit, world, reported):
    hour = 3600.0
    worker(unit).measure_moderation_queue()
    assert queue_gauges("profile") == (4, 23 * hour)  # the oldest at 1 h, measured a day after
    assert queue_gauges("review") == (0, 0)  # the reviews' queue is measured apart
    suspend(unit, world["ana"])  # upholds three
    worker(unit).measure_moderation_queue()
    assert queue_gauges("profile") == (1, 23 * hour)  # Bob's report of Dan, at 1 h
    dismiss(unit, reported["bob_dan"]["id"])
    unit.commit()
    worker(unit).measure_moderation_queue()
    assert queue_gauges("profile") == (0, 0)


def test_listing_rows_keep_their_own_status_through_a_suspension(work, world):
    ana = world["ana"]
    statuses = dict(
        work.session.execute(
            select(Listing.id, Listing.status).where(Listing.professional_id == ana.id)
        ).all()
    )
    suspend(work, ana)
    assert (
        dict(
            work.session.execute(
                select(Listing.id, Listing.status).where(Listing.professional_id == ana.id)
            ).all()
        )
        == statuses
    )
    reinstate(work, ana)
    assert search_rows(work)[world["shops"]["ana"]["on"]]["status"] == "on"
