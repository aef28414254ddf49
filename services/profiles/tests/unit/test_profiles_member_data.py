"""A member's copy of their data (docs/data-export.md), profiles' part: every row of theirs
with its values, nobody else's, no secret, every section even when empty, every table of the
database accounted for; then the entrypoint through nameko's worker_factory (the password
asked again, `data_export_requested` only when it is right)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from unittest.mock import Mock

import pytest
from loconomics_plumbing.errors import Invalid, Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.member_data import unaccounted_tables
from loconomics_profiles import service as service_module
from loconomics_profiles.domain import (
    account_closures,
    accounts,
    catalog,
    email_addresses,
    listing_services,
    listings,
    login_sessions,
    member_data,
    password_resets,
    reviews,
)
from loconomics_profiles.domain import professional_profiles as profiles
from loconomics_profiles.domain.catalog import job_title_id_for
from loconomics_profiles.domain.service_areas import set_service_area
from loconomics_profiles.models import Account, Base, EmailConfirmation, LoginSession, PasswordReset
from loconomics_profiles.schemas import DataExportRequestedEventSchema, MemberDataSchema
from loconomics_profiles.service import ProfilesService
from nameko.testing.services import worker_factory
from sqlalchemy import select

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
EXPORTED = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
PAINTER = job_title_id_for("house-painter")
PAINTER_RATINGS = {"workmanship": 5, "punctuality": 4, "communication": 5, "value": 4}
CLIENT_RATINGS = {"communication": 5, "punctuality": 5, "respect": 4}
SECTION_NAMES = [
    "account",
    "log_ins",
    "password_resets",
    "email_confirmations",
    "professional_profile",
    "credentials",
    "service_areas",
    "listings",
    "job_title_proposals",
    "reviews_written",
    "reviews_received",
    "review_reports",
    "profile_reports",
    "suspensions",
]


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def iso(hours: float) -> str:
    return at(hours).isoformat()


@pytest.fixture
def work(make_work):
    return make_work(EXPORTED, catalog_seeded_at=T0)


def caller_of(account) -> Caller:
    return Caller(account.id, frozenset(account.roles))


def events(work, event_type: str) -> list[dict]:
    outbox = Base.metadata.tables["outbox_events"]
    rows = work.session.execute(
        select(outbox.c.payload).where(outbox.c.event_type == event_type)
    ).scalars()
    return [json.loads(row) for row in rows]


def token_of(work, event_type: str, field: str, account, purpose: str | None = None) -> str:
    [token] = [
        event[field]
        for event in events(work, event_type)
        if event["account_id"] == account.id and purpose in (None, event.get("purpose"))
    ]
    return token


def sign_up(work, tag: str, language: str = "en") -> Account:
    account = accounts.sign_up(
        work.session,
        work.emit,
        email=f"{tag}@example.org",
        password=PASSWORD,
        name=tag.capitalize(),
        roles=["client", "professional"],
        language=language,
        now=at(0),
    )
    work.commit()
    return account


def fill(work, account, tag: str, private_client_id: str | None = None) -> dict:
    """A row of the member's in every table that can hold one; their ids and secrets."""
    pro = caller_of(account)
    known: dict = {"refresh_tokens": []}
    email_addresses.confirm(
        work.session,
        work.emit,
        token=token_of(work, "email_confirmation_requested", "confirmation_token", account),
        now=at(0.5),
    )
    first, token = login_sessions.open_session(work.session, account, at(1))
    _, _, refreshed = login_sessions.rotate(work.session, token, at(2))
    second, other_token = login_sessions.open_session(work.session, account, at(3))
    login_sessions.close(work.session, second.id, account.id, at(4))
    known["refresh_tokens"] = [token, refreshed, other_token]
    known["log_ins"] = [first.family_id, second.family_id]
    password_resets.request_reset(work.session, work.emit, email=account.email, now=at(5))
    email_addresses.request_change(
        work.session,
        work.emit,
        account_id=account.id,
        email=f"{tag}.new@example.org",
        current_password=PASSWORD,
        now=at(6),
    )
    accounts.apply_owner_status(work.session, user_id=account.id, status="trial", changed_at=at(7))
    profiles.update_profile(
        work.session,
        work.emit,
        pro,
        {
            "bio": f"{tag} paints walls",
            "slug": f"{tag}-paints",
            "business_name": f"{tag} Paints",
            "photo_url": f"https://example.org/{tag}.jpg",
            "languages": ["en", "es"],
        },
        at(8),
    )
    credential = profiles.add_credential(
        work.session,
        pro,
        {
            "kind": "license",
            "name": "Painting contractor",
            "number": f"C-{tag}",
            "issuer": "CSLB",
            "state": "CA",
            "expires_on": date(2027, 6, 30),
        },
        at(9),
    )
    proposal = catalog.propose_title(
        work.session, work.emit, pro, f"{tag} gilder", "home", at(10), aliases=[f"{tag} gold"]
    )
    painting = listings.create_listing(
        work.session, work.emit, pro, PAINTER, at(11), intro=f"{tag} paints rooms"
    )
    room = listing_services.add_service(
        work.session,
        work.emit,
        pro,
        painting["id"],
        {
            "name": "Room",
            "description": f"{tag} brings ladders",
            "pricing_type": "service",
            "duration_minutes": 240,
            "price": {"amount_cents": 40000, "currency": "USD"},
            "visible_to_client_id": private_client_id,
        },
        at(12),
    )
    hourly = listing_services.add_service(
        work.session,
        work.emit,
        pro,
        painting["id"],
        {
            "name": "Touch-ups",
            "pricing_type": "hourly",
            "duration_minutes": 60,
            "price": {"amount_cents": 5500, "currency": "USD"},
        },
        at(13),
    )
    listing_services.remove_service(
        work.session, work.emit, pro, painting["id"], hourly["id"], at(14)
    )
    set_service_area(work.session, work.emit, pro, painting["id"], 37.77, -122.42, 10, at(15))
    gilding = listings.create_listing(work.session, work.emit, pro, proposal["id"], at(16))
    listings.delete_listing(work.session, work.emit, pro, gilding["id"], at(17))
    work.commit()
    known.update(
        credential=credential["id"],
        proposal=proposal["id"],
        listings=[painting["id"], gilding["id"]],
        services=[room["id"], hourly["id"]],
        reset_token=token_of(work, "password_reset_requested", "reset_token", account),
        change_token=token_of(
            work, "email_confirmation_requested", "confirmation_token", account, "change"
        ),
    )
    return known


def complete(work, booking_id: str, client, professional, listing_id: str) -> None:
    reviews.record_completed_booking(
        work.session, booking_id, client.id, professional.id, at(20), listing_id=listing_id
    )
    work.commit()


def review(work, author, booking_id: str, ratings: dict, text: str, hours: float) -> dict:
    written = reviews.submit_review(
        work.session, work.emit, caller_of(author), booking_id, ratings, text, at(hours)
    )
    work.commit()
    return written


@pytest.fixture
def world(work):
    """Ana, with a row in every section; Bob and Cleo, with rows of their own and reviews
    with Ana and with each other."""
    ana = sign_up(work, "ana", language="fr")
    bob = sign_up(work, "bob")
    cleo = sign_up(work, "cleo")
    known = {
        "ana": fill(work, ana, "ana", private_client_id=bob.id),
        "bob": fill(work, bob, "bob"),
        "cleo": fill(work, cleo, "cleo"),
    }
    ana_listing = known["ana"]["listings"][0]
    complete(work, "b-bob-ana", bob, ana, ana_listing)
    complete(work, "b-ana-cleo", ana, cleo, known["cleo"]["listings"][0])
    complete(work, "b-cleo-ana", cleo, ana, ana_listing)
    complete(work, "b-cleo-bob", cleo, bob, known["bob"]["listings"][0])
    known["reviews"] = {
        "bob_on_ana": review(work, bob, "b-bob-ana", PAINTER_RATINGS, "Bob on Ana", 21),
        "ana_on_bob": review(work, ana, "b-bob-ana", CLIENT_RATINGS, "Ana on Bob", 22),
        "ana_on_cleo": review(work, ana, "b-ana-cleo", PAINTER_RATINGS, "Ana on Cleo", 23),
        "cleo_on_ana": review(work, cleo, "b-cleo-ana", PAINTER_RATINGS, "Cleo on Ana", 24),
        "cleo_on_bob": review(work, cleo, "b-cleo-bob", PAINTER_RATINGS, "Cleo on Bob", 25),
        "bob_on_cleo": review(work, bob, "b-cleo-bob", CLIENT_RATINGS, "Bob on Cleo", 26),
    }
    reviews.reply_to_review(
        work.session,
        work.emit,
        caller_of(ana),
        known["reviews"]["bob_on_ana"]["id"],
        "Thanks, Bob",
        at(27),
    )
    work.commit()
    return {"ana": ana, "bob": bob, "cleo": cleo, "known": known}


def export(work, account, password: str = PASSWORD) -> dict:
    part = member_data.export_member_data(
        work.session,
        work.emit,
        account_id=account.id,
        current_password=password,
        now=EXPORTED,
    )
    work.commit()
    return MemberDataSchema().dump(part)


def records(part: dict, section: str) -> list[dict]:
    return part["sections"][section]["records"]


# what is in it


def test_every_row_of_the_member_is_there_with_its_values(work, world):
    ana, bob, cleo, known = world["ana"], world["bob"], world["cleo"], world["known"]["ana"]
    part = export(work, ana)
    assert part["service"] == "profiles"
    assert list(part["sections"]) == SECTION_NAMES
    assert all(part["sections"][name]["about"] for name in SECTION_NAMES)

    assert records(part, "account") == [
        {
            "id": ana.id,
            "email": "ana@example.org",
            "name": "Ana",
            "language": "fr",
            "roles": ["client", "professional"],
            "owner_status": "trial",
            "owner_status_changed_at": iso(7),
            "created_at": iso(0),
            "email_confirmed": True,
            "email_confirmed_at": iso(0.5),
            "password_set": True,
        }
    ]
    thirty_days = 30 * 24
    assert records(part, "log_ins") == [
        {
            "id": known["log_ins"][0],
            "created_at": iso(1),
            "last_used_at": iso(2),
            "refreshes": 1,
            "expires_at": iso(2 + thirty_days),
            "revoked_at": None,
        },
        {
            "id": known["log_ins"][1],
            "created_at": iso(3),
            "last_used_at": iso(3),
            "refreshes": 0,
            "expires_at": iso(3 + thirty_days),
            "revoked_at": iso(4),
        },
    ]
    [reset] = records(part, "password_resets")
    assert {k: v for k, v in reset.items() if k != "id"} == {
        "requested_at": iso(5),
        "expires_at": iso(6),
        "used_at": None,
    }
    confirmations = records(part, "email_confirmations")
    assert [{k: v for k, v in c.items() if k != "id"} for c in confirmations] == [
        {
            "purpose": "sign_up",
            "email": "ana@example.org",
            "requested_at": iso(0),
            "expires_at": iso(48),
            "used_at": iso(0.5),
        },
        {
            "purpose": "change",
            "email": "ana.new@example.org",
            "requested_at": iso(6),
            "expires_at": iso(54),
            "used_at": None,
        },
    ]
    assert records(part, "professional_profile") == [
        {
            "business_name": "ana Paints",
            "bio": "ana paints walls",
            "photo_url": "https://example.org/ana.jpg",
            "slug": "ana-paints",
            "languages": ["en", "es"],
            "created_at": iso(8),
            "updated_at": iso(8),
        }
    ]
    assert records(part, "credentials") == [
        {
            "id": known["credential"],
            "kind": "license",
            "name": "Painting contractor",
            "number": "C-ana",
            "issuer": "CSLB",
            "state": "CA",
            "expires_on": "2027-06-30",
            "verified": False,
            "verified_at": None,
            "created_at": iso(9),
            "updated_at": iso(9),
        }
    ]
    painting, gilding = known["listings"]
    assert records(part, "service_areas") == [
        {
            "listing_id": painting,
            "lat": 37.77,
            "lng": -122.42,
            "radius_km": 10.0,
            "travels": True,
            "at_location": False,
            "updated_at": iso(15),
        }
    ]
    first, second = records(part, "listings")
    assert [first["id"], second["id"]] == [painting, gilding]
    assert {k: first[k] for k in first if k not in ("services", "version", "updated_at")} == {
        "id": painting,
        "job_title_id": PAINTER,
        "job_title_name": "House painter",
        "intro": "ana paints rooms",
        "status": "incomplete",
        "cancellation_policy": "flexible",
        "instant_booking": False,
        "rating_avg": 4.5,
        "review_count": 1,
        "created_at": iso(11),
        "published_at": None,
    }
    room, hourly = known["services"]
    assert first["services"] == [
        {
            "id": room,
            "name": "Room",
            "description": "ana brings ladders",
            "pricing_type": "service",
            "amount_cents": 40000,
            "currency": "USD",
            "duration_minutes": 240,
            "sessions": None,
            "first_time_clients_only": False,
            "visible_to_client_id": bob.id,
            "active": True,
            "created_at": iso(12),
            "updated_at": iso(12),
        },
        {
            "id": hourly,
            "name": "Touch-ups",
            "description": "",
            "pricing_type": "hourly",
            "amount_cents": 5500,
            "currency": "USD",
            "duration_minutes": 60,
            "sessions": None,
            "first_time_clients_only": False,
            "visible_to_client_id": None,
            "active": False,
            "created_at": iso(13),
            "updated_at": iso(14),
        },
    ]
    assert (second["job_title_id"], second["job_title_name"]) == (known["proposal"], "ana gilder")
    assert (second["status"], second["services"]) == ("deleted", [])
    assert records(part, "job_title_proposals") == [
        {
            "id": known["proposal"],
            "name": "ana gilder",
            "slug": "ana-gilder",
            "category": "home",
            "aliases": ["ana gold"],
            "status": "proposed",
            "proposed_at": iso(10),
            "decided_at": None,
        }
    ]
    written = world["known"]["reviews"]
    assert records(part, "reviews_written") == [
        {
            "id": written["ana_on_bob"]["id"],
            "booking_id": "b-bob-ana",
            "author_role": "professional",
            "other_party": {"account_id": bob.id, "name": "Bob"},
            "listing_id": painting,
            "job_title_id": PAINTER,
            "ratings": CLIENT_RATINGS,
            "rating": pytest.approx(14 / 3),
            "text": "Ana on Bob",
            "created_at": iso(22),
            "published_at": iso(22),
            "reply_text": None,
            "replied_at": None,
            "removed_at": None,
            "removal_reason": None,
            "removal_note": None,
        },
        {
            "id": written["ana_on_cleo"]["id"],
            "booking_id": "b-ana-cleo",
            "author_role": "client",
            "other_party": {"account_id": cleo.id, "name": "Cleo"},
            "listing_id": world["known"]["cleo"]["listings"][0],
            "job_title_id": PAINTER,
            "ratings": PAINTER_RATINGS,
            "rating": 4.5,
            "text": "Ana on Cleo",
            "created_at": iso(23),
            "published_at": None,
            "reply_text": None,
            "replied_at": None,
            "removed_at": None,
            "removal_reason": None,
            "removal_note": None,
        },
    ]
    assert records(part, "reviews_received") == [
        {
            "id": written["bob_on_ana"]["id"],
            "booking_id": "b-bob-ana",
            "author_role": "client",
            "other_party": {"account_id": bob.id, "name": "Bob"},
            "listing_id": painting,
            "job_title_id": PAINTER,
            "ratings": PAINTER_RATINGS,
            "rating": 4.5,
            "text": "Bob on Ana",
            "created_at": iso(21),
            "published_at": iso(22),
            "reply_text": "Thanks, Bob",
            "replied_at": iso(27),
        }
    ]


def test_a_review_still_blind_is_not_shown_to_its_subject(work, world):
    blind = world["known"]["reviews"]["cleo_on_ana"]
    assert blind["published_at"] is None
    dumped = json.dumps(export(work, world["ana"]))
    assert blind["id"] not in dumped
    assert "Cleo on Ana" not in dumped


def test_a_closed_other_party_is_named_as_the_app_names_them(work, world):
    account_closures.close_account(
        work.session,
        work.emit,
        account_id=world["bob"].id,
        current_password=PASSWORD,
        unfinished_bookings=0,
        now=EXPORTED,
    )
    work.commit()
    part = export(work, world["ana"])
    [written, _] = records(part, "reviews_written")
    assert written["other_party"] == {"account_id": world["bob"].id, "name": "Former member"}


# what is not in it


def test_nothing_of_another_member_is_there(work, world):
    bob, cleo, known = world["bob"], world["cleo"], world["known"]
    dumped = json.dumps(export(work, world["ana"]))
    others = []
    for tag, member in (("bob", bob), ("cleo", cleo)):
        theirs = known[tag]
        others += [
            member.email,
            f"{tag}.new@example.org",
            f"{tag} paints walls",
            f"{tag}-paints",
            f"C-{tag}",
            f"{tag} gilder",
            f"{tag} brings ladders",
            theirs["credential"],
            theirs["proposal"],
            *theirs["log_ins"],
            *theirs["services"],
        ]
        if tag == "bob":  # Cleo's painting listing is the one Ana booked
            others += theirs["listings"]
        others.append(theirs["listings"][1])
        for model in (EmailConfirmation, LoginSession, PasswordReset):
            others += work.session.scalars(
                select(model.id).where(model.account_id == member.id)
            ).all()
    reviews_between_others = [known["reviews"]["cleo_on_bob"], known["reviews"]["bob_on_cleo"]]
    others += [written["id"] for written in reviews_between_others]
    others += ["Cleo on Bob", "Bob on Cleo", "b-cleo-bob"]
    assert [value for value in others if value in dumped] == []
    # another member appears only as the other party of a review or the client of a price
    assert dumped.count(bob.id) == 3
    assert dumped.count(cleo.id) == 1


def test_no_secret_is_there(work, world):
    ana, known = world["ana"], world["known"]["ana"]
    secrets = [
        ana.password_hash,
        PASSWORD,
        known["reset_token"],
        known["change_token"],
        *known["refresh_tokens"],
    ]
    for table in ("login_sessions", "password_resets", "email_confirmations"):
        column = "refresh_hash" if table == "login_sessions" else "token_hash"
        model = Base.metadata.tables[table]
        secrets += work.session.scalars(
            select(model.c[column]).where(model.c.account_id == ana.id)
        ).all()
    assert len(secrets) == 2 + 2 + 3 + 3 + 1 + 2
    dumped = json.dumps(export(work, ana))
    assert [secret for secret in secrets if secret in dumped] == []


def test_a_member_with_nothing_gets_every_section_empty(work):
    account = Account(
        id="quiet",
        email="quiet@example.org",
        name="Quiet",
        password_hash="",
        language="en",
        owner_status="not_yet_owner",
        created_at=T0,
    )
    accounts.set_password(account, PASSWORD)
    work.session.add(account)
    work.commit()
    part = export(work, account)
    assert list(part["sections"]) == SECTION_NAMES
    assert records(part, "account") == [
        {
            "id": "quiet",
            "email": "quiet@example.org",
            "name": "Quiet",
            "language": "en",
            "roles": [],
            "owner_status": "not_yet_owner",
            "owner_status_changed_at": None,
            "created_at": iso(0),
            "email_confirmed": False,
            "email_confirmed_at": None,
            "password_set": True,
        }
    ]
    assert {name: records(part, name) for name in SECTION_NAMES[1:]} == {
        name: [] for name in SECTION_NAMES[1:]
    }


# the password, and what is announced


def test_a_wrong_password_exports_and_announces_nothing(work, world):
    with pytest.raises(Invalid) as refused:
        export(work, world["ana"], password="not my password")
    assert refused.value.errors == {"current_password": ["Wrong password."]}
    assert refused.value.detail == "The current password is wrong."
    work.rollback()
    assert events(work, "data_export_requested") == []


def test_a_right_password_announces_the_copy(work, world):
    export(work, world["ana"])
    [event] = events(work, "data_export_requested")
    assert DataExportRequestedEventSchema().validate(event) == {}
    assert {k: event[k] for k in ("account_id", "requested_at")} == {
        "account_id": world["ana"].id,
        "requested_at": EXPORTED.isoformat(),
    }
    assert set(event) == {"event_id", "occurred_at", "account_id", "requested_at"}


# every table accounted for


def test_every_table_feeds_a_section_or_says_why_not():
    shown, not_shown = member_data.SECTIONS_BY_TABLE, member_data.NOTHING_TO_SHOW
    assert unaccounted_tables(Base.metadata, shown, not_shown) == {}
    assert all(reason.strip() for reason in not_shown.values())
    fed = {section for sections in shown.values() for section in sections}
    assert fed == set(member_data.SECTIONS)
    assert list(member_data.SECTIONS) == SECTION_NAMES
    assert list(MemberDataSchema().fields["sections"].nested().fields) == SECTION_NAMES


# the entrypoint


@pytest.fixture
def unit(work, monkeypatch):
    monkeypatch.setattr(service_module.clock, "now", lambda: EXPORTED)
    return work


def worker(unit, caller=None):
    return worker_factory(ProfilesService, db=unit, caller=caller or Caller(), booking=Mock())


def test_the_entrypoint_answers_the_caller_and_announces_it(unit, world):
    ana = world["ana"]
    answer = worker(unit, caller_of(ana)).export_member_data(current_password=PASSWORD)
    assert not unit.session.in_transaction()  # the announcement is committed with the answer
    assert MemberDataSchema().validate(answer) == {}
    assert answer == export(unit, ana)
    assert [e["account_id"] for e in events(unit, "data_export_requested")] == [ana.id, ana.id]


def test_the_entrypoint_needs_a_caller(unit, world):
    with pytest.raises(Unauthorized):
        worker(unit).export_member_data(current_password=PASSWORD)
    assert events(unit, "data_export_requested") == []


def test_the_entrypoint_needs_the_password(unit, world):
    service = worker(unit, caller_of(world["ana"]))
    with pytest.raises(Invalid) as refused:
        service.export_member_data()
    assert set(refused.value.errors) == {"current_password"}
    with pytest.raises(Invalid) as refused:
        service.export_member_data(current_password="not my password")
    assert refused.value.errors == {"current_password": ["Wrong password."]}
    unit.rollback()
    assert events(unit, "data_export_requested") == []


def test_a_closed_account_has_nothing_to_export(unit, world):
    ana = world["ana"]
    account_closures.close_account(
        unit.session,
        unit.emit,
        account_id=ana.id,
        current_password=PASSWORD,
        unfinished_bookings=0,
        now=EXPORTED,
    )
    unit.commit()
    with pytest.raises(Unauthorized, match="This account is closed."):
        worker(unit, caller_of(ana)).export_member_data(current_password=PASSWORD)
    unit.rollback()
    assert events(unit, "data_export_requested") == []
