from datetime import UTC, date, datetime, timedelta

import pytest
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound
from loconomics_plumbing.identity import Caller
from loconomics_profiles.domain import listing_services, listings, member_facts
from loconomics_profiles.domain import professional_profiles as profiles
from loconomics_profiles.domain.catalog import job_title_id_for, seed_catalog
from loconomics_profiles.domain.service_areas import set_service_area
from loconomics_profiles.models import Base
from loconomics_profiles.shop_models import ProfessionalProfile
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
ADMIN = Caller("admin-1", frozenset({"admin"}))
LICENSE = {"kind": "license", "name": "Massage therapist", "number": "MT-1234",
           "issuer": "California Massage Therapy Council", "state": "ca",
           "expires_on": "2026-06-30"}


def pro(user_id="pro-1"):
    return Caller(user_id, frozenset({"professional"}))


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        seed_catalog(s, NOW)
        yield s


def emit(name, payload):
    return None


def test_a_profile_is_created_on_first_edit_and_cleaned(session):
    view = profiles.update_profile(session, emit, pro(), {
        "business_name": "  Ana's Massage ", "bio": "Deep tissue.", "slug": "Ana-Rivera",
        "photo_url": "https://img.example.org/ana.jpg", "languages": ["EN-us", "es", "es",
                                                                      "zh-hant-tw"]}, NOW)
    assert view["business_name"] == "Ana's Massage"
    assert view["slug"] == "ana-rivera"
    assert view["languages"] == ["en-US", "es", "zh-Hant-TW"]
    assert profiles.my_profile(session, pro(), NOW)["bio"] == "Deep tissue."


def test_a_bio_over_four_thousand_characters_is_refused_by_name(session):
    profiles.update_profile(session, emit, pro(), {"bio": "x" * 4000}, NOW)
    with pytest.raises(Invalid) as caught:
        profiles.update_profile(session, emit, pro(), {"bio": "x" * 4001}, NOW)
    assert list(caught.value.errors) == ["bio"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/a.jpg",
                                 "https://", "https://exa mple.org/a.jpg", "/relative.jpg"])
def test_photo_urls_must_be_http_or_https(session, url):
    with pytest.raises(Invalid) as caught:
        profiles.update_profile(session, emit, pro(), {"photo_url": url}, NOW)
    assert list(caught.value.errors) == ["photo_url"]


@pytest.mark.parametrize(("slug", "problem"), [
    ("ab", "3-40"), ("x" * 41, "3-40"), ("9lives", "starting with a letter"),
    ("ana--rivera", "single hyphens"), ("ana-", "single hyphens"), ("ana_rivera", "hyphens"),
    ("admin", "reserved"), ("search", "reserved"), ("me", "3-40"),
])
def test_slug_format_and_reserved_words(session, slug, problem):
    with pytest.raises(Invalid) as caught:
        profiles.update_profile(session, emit, pro(), {"slug": slug}, NOW)
    assert problem in caught.value.errors["slug"][0]


def test_a_taken_slug_is_a_conflict_and_keeping_your_own_is_fine(session):
    profiles.update_profile(session, emit, pro("pro-1"), {"slug": "ana-rivera"}, NOW)
    profiles.update_profile(session, emit, pro("pro-1"), {"slug": "ana-rivera"}, NOW)
    with pytest.raises(Conflict) as caught:
        profiles.update_profile(session, emit, pro("pro-2"), {"slug": "ANA-RIVERA"}, NOW)
    assert caught.value.errors == {"slug": ["already taken"]}


def test_the_database_enforces_slug_uniqueness(session):
    for user in ("a", "b"):
        session.add(ProfessionalProfile(professional_id=user, bio="", slug="same",
                                        languages=[], created_at=NOW, updated_at=NOW))
    with pytest.raises(IntegrityError):
        session.flush()


def test_bad_languages_and_unknown_fields_are_named(session):
    with pytest.raises(Invalid) as caught:
        profiles.update_profile(session, emit, pro(), {
            "languages": ["english", "en", "e1"], "favourite_colour": "red"}, NOW)
    assert set(caught.value.errors) == {"languages", "favourite_colour"}
    assert "english" in caught.value.errors["languages"][0]


def test_clients_have_no_professional_profile(session):
    with pytest.raises(Forbidden):
        profiles.update_profile(session, emit, Caller("c", frozenset({"client"})), {"bio": "x"},
                                NOW)


def test_credentials_are_unverified_until_an_admin_verifies_them(session):
    added = profiles.add_credential(session, pro(), LICENSE, NOW)
    assert added["verified"] is False and added["state"] == "CA"
    assert added["expires_on"] == date(2026, 6, 30) and added["expired"] is False
    with pytest.raises(Forbidden):
        profiles.verify_credential(session, pro(), added["id"], True, NOW)
    verified = profiles.verify_credential(session, ADMIN, added["id"], True, NOW)
    assert verified["verified"] is True and verified["verified_at"] == NOW


def test_editing_a_verified_credential_withdraws_the_verification(session):
    added = profiles.add_credential(session, pro(), LICENSE, NOW)
    profiles.verify_credential(session, ADMIN, added["id"], True, NOW)
    same = profiles.update_credential(session, pro(), added["id"], {"number": "MT-1234"}, NOW)
    assert same["verified"] is True
    edited = profiles.update_credential(session, pro(), added["id"], {"number": "MT-9999"}, NOW)
    assert edited["verified"] is False and edited["number"] == "MT-9999"


def test_an_expired_credential_shows_as_expired_and_can_still_be_corrected(session):
    added = profiles.add_credential(session, pro(), LICENSE, NOW)
    later = datetime(2026, 7, 1, tzinfo=UTC)
    corrected = profiles.update_credential(session, pro(), added["id"], {"issuer": "CAMTC"},
                                           later)
    assert corrected["expired"] is True and corrected["issuer"] == "CAMTC"
    with pytest.raises(Invalid) as caught:
        profiles.update_credential(session, pro(), added["id"], {"expires_on": "2026-01-01"},
                                   later)
    assert list(caught.value.errors) == ["expires_on"]


def test_bad_credentials_name_each_field(session):
    with pytest.raises(Invalid) as caught:
        profiles.add_credential(session, pro(), {
            "kind": "diploma", "name": "", "number": "x" * 65, "issuer": "Board",
            "state": "ZZ", "expires_on": "tomorrow"}, NOW)
    assert set(caught.value.errors) == {"kind", "name", "number", "state", "expires_on"}
    with pytest.raises(Invalid) as caught:
        profiles.add_credential(session, pro(), {
            **LICENSE, "expires_on": (NOW.date() - timedelta(days=1)).isoformat()}, NOW)
    assert list(caught.value.errors) == ["expires_on"]
    assert profiles.add_credential(session, pro(), {**LICENSE, "expires_on": date(2030, 1, 1)},
                                   NOW)["expires_on"] == date(2030, 1, 1)


def test_only_the_owner_may_touch_a_credential(session):
    added = profiles.add_credential(session, pro("pro-1"), LICENSE, NOW)
    with pytest.raises(NotFound):
        profiles.remove_credential(session, pro("pro-2"), added["id"])
    profiles.remove_credential(session, pro("pro-1"), added["id"])
    assert profiles.my_profile(session, pro("pro-1"), NOW)["credentials"] == []


def test_the_public_profile_shows_listings_that_are_on_and_prices_meant_for_the_viewer(session):
    profiles.update_profile(session, emit, pro(), {"bio": "Painter", "slug": "ana-paints"}, NOW)
    member_facts.record_schedule(session, emit, "pro-1", {"mon": [{"start": "09:00"}]}, "UTC",
                                 NOW, NOW)
    listing = listings.create_listing(session, emit, pro(), job_title_id_for("house-painter"),
                                      NOW)
    service = {"name": "Room", "pricing_type": "service", "duration_minutes": 240,
               "price": {"amount_cents": 40000, "currency": "USD"}}
    listing_services.add_service(session, emit, pro(), listing["id"], service, NOW)
    listing_services.add_service(session, emit, pro(), listing["id"], {
        **service, "name": "Friends rate", "visible_to_client_id": "client-7"}, NOW)
    set_service_area(session, emit, pro(), listing["id"], 37.7, -122.4, 10, NOW)
    assert profiles.public_profile(session, "ana-paints", None, NOW)["listings"] == []

    listings.update_listing(session, emit, pro(), listing["id"], {"status": "on"}, NOW)
    anonymous = profiles.public_profile(session, "ana-paints", None, NOW)
    assert [s["name"] for s in anonymous["listings"][0]["services"]] == ["Room"]
    assert "missing" not in anonymous["listings"][0]
    assert anonymous["rating"] == {"rating_avg": 0.0, "review_count": 0}
    chosen = profiles.public_profile(session, "pro-1", Caller("client-7", frozenset({"client"})),
                                     NOW)
    assert sorted(s["name"] for s in chosen["listings"][0]["services"]) == ["Friends rate", "Room"]
    with pytest.raises(NotFound):
        profiles.public_profile(session, "nobody", None, NOW)
