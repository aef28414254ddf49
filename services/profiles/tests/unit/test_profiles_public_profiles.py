"""Public profiles kept between reads: every change the page shows is seen by the next read.

Each test reads through `PublicProfiles` copies (one per process of the service in real life)
and changes data in transactions of their own, as another copy would.
"""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from loconomics_plumbing.errors import NotFound
from loconomics_plumbing.identity import Caller
from loconomics_profiles import shop_schemas
from loconomics_profiles.domain import listing_services, listings, member_facts, reviews
from loconomics_profiles.domain import professional_profiles as profiles
from loconomics_profiles.domain.catalog import job_title_id_for, seed_catalog
from loconomics_profiles.domain.public_profiles import PublicProfiles
from loconomics_profiles.domain.service_areas import set_service_area
from loconomics_profiles.models import Account, Base
from loconomics_profiles.shop_models import Listing, ListingService, ProfessionalProfile
from sqlalchemy import create_engine, select
from sqlalchemy.orm import sessionmaker

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
ADMIN = Caller("admin-1", frozenset({"admin"}))
CLIENT = Caller("client-7", frozenset({"client"}))
OTHER_CLIENT = Caller("client-8", frozenset({"client"}))
ROOM = {"name": "Room", "pricing_type": "service", "duration_minutes": 240,
        "price": {"amount_cents": 40000, "currency": "USD"}}
LICENSE = {"kind": "license", "name": "Painting contractor", "number": "C-33",
           "issuer": "CSLB", "state": "CA", "expires_on": "2026-06-30"}


def pro(user_id="pro-1"):
    return Caller(user_id, frozenset({"professional"}))


def emit(name, payload):
    return None


def seeded(engine):
    Base.metadata.create_all(engine)
    factory = sessionmaker(engine)
    with factory() as session:
        seed_catalog(session, NOW)
        session.commit()
    return factory


@pytest.fixture
def sessions(tmp_path):
    return seeded(create_engine(f"sqlite:///{tmp_path / 'profiles.db'}"))


def change(sessions, *steps):
    """Each step in one transaction of its own, committed; what the last one gave."""
    result = None
    for step in steps:
        with sessions() as session:
            result = step(session)
            session.commit()
    return result


class Copy(PublicProfiles):
    """A copy of the service: its own kept answers; counts the answers it had to build."""

    def __init__(self, capacity=100):
        super().__init__(self._render, capacity)
        self.built = 0

    def _render(self, view):
        self.built += 1
        return shop_schemas.PublicProfileSchema().dump(view)

    def show(self, sessions, professional, viewer=None, now=NOW):
        with sessions() as session:
            answer = self.read(session, professional, viewer, now)
            session.commit()
            return answer


def publish(sessions, user_id="pro-1", slug="ana"):
    """A professional with a profile, a credential and a listing that is on with two services
    and an area; the listing's id."""

    def steps(session):
        profiles.update_profile(session, emit, pro(user_id), {"bio": "Walls", "slug": slug}, NOW)
        profiles.add_credential(session, pro(user_id), LICENSE, NOW)
        member_facts.record_schedule(session, emit, user_id, {"mon": [{"start": "09:00"}]},
                                     "UTC", NOW, NOW)
        listing = listings.create_listing(session, emit, pro(user_id),
                                          job_title_id_for("house-painter"), NOW)
        for name in ("Room", "Hall"):
            listing_services.add_service(session, emit, pro(user_id), listing["id"],
                                         {**ROOM, "name": name}, NOW)
        set_service_area(session, emit, pro(user_id), listing["id"], 37.7, -122.4, 10, NOW)
        listings.update_listing(session, emit, pro(user_id), listing["id"], {"status": "on"}, NOW)
        return listing["id"]

    return change(sessions, steps)


def stamp_of(sessions, user_id="pro-1"):
    with sessions() as session:
        return session.get(ProfessionalProfile, user_id).public_stamp


def service_id(session, listing_id, name):
    return session.scalar(select(ListingService.id).where(
        ListingService.listing_id == listing_id, ListingService.name == name))


def service_names(answer):
    """The names of the services on the one listing, sorted (all were made at NOW)."""
    return sorted(service["name"] for service in answer["listings"][0]["services"])


def credential_id(session):
    return profiles.my_profile(session, pro(), NOW)["credentials"][0]["id"]


def test_a_second_read_is_the_kept_answer_and_the_same_as_building_it(sessions):
    publish(sessions)
    copy = Copy()
    first = copy.show(sessions, "ana")
    again = copy.show(sessions, "pro-1")
    assert copy.built == 1
    with sessions() as session:
        built = shop_schemas.PublicProfileSchema().dump(
            profiles.public_profile(session, "ana", None, NOW))
    assert first == again == built
    assert service_names(first) == ["Hall", "Room"]


def _review_published(session, listing_id):
    reviews.record_completed_booking(session, "b-1", "client-7", "pro-1", NOW,
                                     listing_id=listing_id)
    reviews.submit_review(session, emit, CLIENT, "b-1", {
        "workmanship": 5, "punctuality": 4, "communication": 5, "value": 4}, "Neat", NOW)
    reviews.publish_due_reviews(session, emit, NOW + timedelta(days=8))


# (what changes, the change in a transaction of its own, what the next read must show)
CHANGES = [
    ("bio", lambda s, lid: profiles.update_profile(s, emit, pro(), {"bio": "Doors"}, NOW),
     lambda a: a["bio"] == "Doors"),
    ("languages",
     lambda s, lid: profiles.update_profile(s, emit, pro(), {"languages": ["es"]}, NOW),
     lambda a: a["languages"] == ["es"]),
    ("credential added",
     lambda s, lid: profiles.add_credential(s, pro(), {**LICENSE, "number": "C-34"}, NOW),
     lambda a: len(a["credentials"]) == 2),
    ("credential edited",
     lambda s, lid: profiles.update_credential(s, pro(), credential_id(s), {"name": "Glazier"},
                                               NOW),
     lambda a: a["credentials"][0]["name"] == "Glazier"),
    ("credential verified",
     lambda s, lid: profiles.verify_credential(s, ADMIN, credential_id(s), True, NOW),
     lambda a: a["credentials"][0]["verified"] is True),
    ("credential removed",
     lambda s, lid: profiles.remove_credential(s, pro(), credential_id(s)),
     lambda a: a["credentials"] == []),
    ("listing switched off",
     lambda s, lid: listings.update_listing(s, emit, pro(), lid, {"status": "off"}, NOW),
     lambda a: a["listings"] == []),
    ("listing intro",
     lambda s, lid: listings.update_listing(s, emit, pro(), lid, {"intro": "Since 1999"}, NOW),
     lambda a: a["listings"][0]["intro"] == "Since 1999"),
    ("service added",
     lambda s, lid: listing_services.add_service(s, emit, pro(), lid, {**ROOM, "name": "Deck"},
                                                 NOW),
     lambda a: service_names(a) == ["Deck", "Hall", "Room"]),
    ("service repriced",
     lambda s, lid: listing_services.update_service(
         s, emit, pro(), lid, service_id(s, lid, "Room"),
         {"price": {"amount_cents": 45000, "currency": "USD"}}, NOW),
     lambda a: {x["name"]: x["price"]["amount_cents"] for x in a["listings"][0]["services"]}
     == {"Room": 45000, "Hall": 40000}),
    ("service removed",
     lambda s, lid: listing_services.remove_service(s, emit, pro(), lid,
                                                    service_id(s, lid, "Hall"), NOW),
     lambda a: service_names(a) == ["Room"]),
    ("service area moved",
     lambda s, lid: set_service_area(s, emit, pro(), lid, 37.7, -122.4, 25, NOW),
     lambda a: a["listings"][0]["service_area"]["radius_km"] == 25),
    ("review published", _review_published,
     lambda a: a["rating"]["review_count"] == 1 and a["listings"][0]["review_count"] == 1),
]


@pytest.mark.parametrize(("what", "make", "shows"), CHANGES, ids=[c[0] for c in CHANGES])
def test_a_change_made_through_another_copy_is_shown_by_the_next_read(sessions, what, make,
                                                                       shows):
    listing_id = publish(sessions)
    copy = Copy()
    before = copy.show(sessions, "ana")
    assert not shows(before)
    stamp = stamp_of(sessions)
    change(sessions, lambda session: make(session, listing_id))
    assert stamp_of(sessions) != stamp
    after = copy.show(sessions, "ana")
    assert shows(after)
    assert copy.built == 2


def test_a_change_landing_while_an_answer_is_built_is_shown_by_the_next_read(sessions,
                                                                            monkeypatch):
    """The profile row is read first, on its own; the rest after it. A change committed in
    between may be half shown by that answer, which is kept under the stamp from before it,
    so the next read builds again and shows all of it."""
    from loconomics_profiles.domain import public_profiles

    listing_id = publish(sessions)
    build_rest = public_profiles.public_profile_of
    raced = []

    def change_then_build_rest(session, found, viewer_id, now):
        if not raced:
            raced.append(found.public_stamp)
            change(sessions,
                   lambda s: profiles.update_profile(s, emit, pro(), {"bio": "Raced"}, NOW),
                   lambda s: listings.update_listing(s, emit, pro(), listing_id,
                                                     {"intro": "Raced"}, NOW))
        return build_rest(session, found, viewer_id, now)

    monkeypatch.setattr(public_profiles, "public_profile_of", change_then_build_rest)
    copy = Copy()
    first = copy.show(sessions, "ana")
    assert first["bio"] == "Walls"  # the profile row from before the change
    assert first["listings"][0]["intro"] == "Raced"  # the rest from after it
    assert raced[0] != stamp_of(sessions)
    second = copy.show(sessions, "ana")
    assert second["bio"] == "Raced" and second["listings"][0]["intro"] == "Raced"
    assert copy.built == 2


def test_a_change_to_one_professional_keeps_the_answers_kept_for_others(sessions):
    publish(sessions, "pro-1", "ana")
    publish(sessions, "pro-2", "bob-paints")
    copy = Copy()
    copy.show(sessions, "ana")
    copy.show(sessions, "bob-paints")
    stamp = stamp_of(sessions, "pro-1")
    change(sessions, lambda s: profiles.update_profile(s, emit, pro("pro-2"), {"bio": "B"}, NOW))
    assert stamp_of(sessions, "pro-1") == stamp
    copy.show(sessions, "ana")
    assert copy.built == 2
    assert copy.show(sessions, "bob-paints")["bio"] == "B"
    assert copy.built == 3


def test_a_change_nothing_public_shows_keeps_the_stamp(sessions):
    publish(sessions)
    stamp = stamp_of(sessions)

    def rename_account(session):
        session.add(Account(id="pro-1", email="ana@example.org", name="Ana", password_hash="x",
                            language="en", owner_status="none", created_at=NOW))

    change(sessions, rename_account)
    assert stamp_of(sessions) == stamp


def test_a_change_rolled_back_leaves_the_kept_answer_true(sessions):
    publish(sessions)
    copy = Copy()
    copy.show(sessions, "ana")
    with sessions() as session:
        profiles.update_profile(session, emit, pro(), {"bio": "Never"}, NOW)
        session.flush()
        session.rollback()
    assert copy.show(sessions, "ana")["bio"] == "Walls"
    assert copy.built == 1


def test_a_price_for_one_client_is_shown_to_that_client_only(sessions):
    listing_id = publish(sessions)
    change(sessions, lambda s: listing_services.add_service(
        s, emit, pro(), listing_id, {**ROOM, "name": "Friends rate",
                                     "visible_to_client_id": CLIENT.user_id}, NOW))
    copy = Copy()

    def names(viewer):
        return service_names(copy.show(sessions, "ana", viewer))

    assert names(None) == ["Hall", "Room"]
    assert names(CLIENT) == ["Friends rate", "Hall", "Room"]
    assert names(None) == ["Hall", "Room"]
    assert names(OTHER_CLIENT) == ["Hall", "Room"]
    assert names(CLIENT) == ["Friends rate", "Hall", "Room"]
    # the anonymous answer was kept; each signed-in viewer's was built for them
    assert copy.built == 4


def test_without_private_prices_signed_in_viewers_share_the_kept_answer(sessions):
    publish(sessions)
    copy = Copy()
    copy.show(sessions, "ana", CLIENT)
    copy.show(sessions, "ana", OTHER_CLIENT)
    copy.show(sessions, "ana")
    assert copy.built == 1


def test_a_credential_shows_expired_from_the_day_after_its_date_without_any_change(sessions):
    publish(sessions)
    change(sessions, lambda s: profiles.update_credential(
        s, pro(), credential_id(s), {"expires_on": NOW.date().isoformat()}, NOW))
    copy = Copy()
    assert copy.show(sessions, "ana")["credentials"][0]["expired"] is False
    later_that_day = NOW + timedelta(hours=11)
    assert copy.show(sessions, "ana", now=later_that_day)["credentials"][0]["expired"] is False
    assert copy.built == 1
    next_day = datetime.combine(NOW.date() + timedelta(days=1), datetime.min.time(), UTC)
    assert copy.show(sessions, "ana", now=next_day)["credentials"][0]["expired"] is True
    assert copy.built == 2


def test_an_old_custom_address_stops_answering_once_it_changes(sessions):
    publish(sessions)
    copy = Copy()
    copy.show(sessions, "ana")
    change(sessions, lambda s: profiles.update_profile(s, emit, pro(), {"slug": "ana-b"}, NOW))
    with pytest.raises(NotFound):
        copy.show(sessions, "ana")
    assert copy.show(sessions, "ANA-B")["slug"] == "ana-b"


def test_a_deleted_listing_leaves_the_page(sessions):
    listing_id = publish(sessions)
    copy = Copy()
    assert len(copy.show(sessions, "ana")["listings"]) == 1
    change(sessions, lambda s: listings.delete_listing(s, emit, pro(), listing_id, NOW))
    assert copy.show(sessions, "ana")["listings"] == []
    with sessions() as session:
        assert session.get(Listing, listing_id).status == listings.DELETED


def test_the_answer_kept_longest_ago_makes_room(sessions):
    publish(sessions, "pro-1", "ana")
    publish(sessions, "pro-2", "bob-paints")
    copy = Copy(capacity=1)
    copy.show(sessions, "ana")
    copy.show(sessions, "bob-paints")
    assert len(copy) == 1
    copy.show(sessions, "bob-paints")
    assert copy.built == 2
    copy.show(sessions, "ana")
    assert copy.built == 3


def test_an_unknown_professional_is_not_found_and_keeps_nothing(sessions):
    copy = Copy()
    with pytest.raises(NotFound):
        copy.show(sessions, "nobody")
    assert len(copy) == 0


@pytest.mark.postgres
def test_on_postgresql_two_changes_at_once_to_one_professional_both_land(postgres_url):
    """Both restamp the profile row: the second waits for the first to commit, then lands."""
    engine = create_engine(postgres_url)
    try:
        sessions = seeded(engine)
        listing_id = publish(sessions)
        copy = Copy()
        copy.show(sessions, "ana")
        stamp = stamp_of(sessions)
        first, second = sessions(), sessions()
        profiles.add_credential(first, pro(), {**LICENSE, "number": "C-40"}, NOW)
        first.flush()
        landed = threading.Event()

        def meanwhile():
            listings.update_listing(second, emit, pro(), listing_id, {"intro": "Since 1999"}, NOW)
            second.commit()
            landed.set()

        other = threading.Thread(target=meanwhile)
        other.start()
        assert not landed.wait(0.5)  # held by the first one's stamp on the profile row
        first.commit()
        other.join(10)
        assert landed.is_set()
        first.close()
        second.close()
        answer = copy.show(sessions, "ana")
        assert len(answer["credentials"]) == 2
        assert answer["listings"][0]["intro"] == "Since 1999"
        assert stamp_of(sessions) != stamp
        assert copy.built == 2
    finally:
        engine.dispose()
