import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound
from loconomics_plumbing.identity import Caller
from loconomics_profiles.domain import catalog, catalog_data
from loconomics_profiles.domain.catalog_matching import (
    EXACT,
    PREFIX,
    TYPO,
    TYPO_WORD,
    WORD_PREFIX,
    TitleTerms,
    fold,
    prefix_distance,
    rank_titles,
)
from loconomics_profiles.models import Base
from loconomics_profiles.shop_models import JobTitle
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
ADMIN = Caller("admin-1", frozenset({"admin"}))
TERMS = [TitleTerms(catalog.job_title_id_for(e.slug), e.name, e.aliases)
         for e in catalog_data.ENTRIES]


def pro(user_id="pro-1"):
    return Caller(user_id, frozenset({"professional"}))


def title_id(slug):
    return catalog.job_title_id_for(slug)


def top(query):
    return rank_titles(query, TERMS)[0]


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        catalog.seed_catalog(s, NOW)
        yield s


@pytest.fixture
def events():
    return []


@pytest.fixture
def emit(events):
    return lambda name, payload: events.append((name, payload))


def test_the_catalog_has_sixty_real_titles_with_categories_and_criteria():
    entries = catalog_data.ENTRIES
    assert len(entries) >= 60
    assert len({e.slug for e in entries}) == len(entries)
    for entry in entries:
        assert entry.category in catalog_data.CATEGORIES
        assert entry.aliases, entry.slug
        assert 3 <= len(entry.criteria) == len(set(entry.criteria))


def test_no_two_titles_share_a_name_or_alias_so_exact_lookups_are_unambiguous():
    seen = {}
    for entry in catalog_data.ENTRIES:
        for term in (entry.name, *entry.aliases):
            assert seen.setdefault(fold(term), entry.slug) == entry.slug, term


def test_seeding_is_idempotent_with_stable_ids(session):
    assert session.scalar(select(func.count()).select_from(JobTitle)) == len(catalog_data.ENTRIES)
    assert catalog.seed_catalog(session, NOW) == 0
    walker = session.get(JobTitle, title_id("dog-walker"))
    assert walker.name == "Dog walker" and walker.status == "listed"
    assert title_id("dog-walker") == catalog.job_title_id_for("dog-walker")
    assert len(title_id("dog-walker")) == 32 and "dog" not in title_id("dog-walker")


def test_seeding_brings_changed_entries_up_to_date(session, monkeypatch):
    changed = tuple(replace(e, name="Dog walking pro") if e.slug == "dog-walker" else e
                    for e in catalog_data.ENTRIES)
    monkeypatch.setattr(catalog, "ENTRIES", changed)
    assert catalog.seed_catalog(session, NOW) == 1
    assert session.get(JobTitle, title_id("dog-walker")).name == "Dog walking pro"


def test_folding_removes_accents_case_and_punctuation():
    assert fold("  Électricien / Plombier-Chauffagiste ") == "electricien plombier chauffagiste"
    assert fold("MAKE-UP Artist") == "make up artist"


def test_prefix_distance_counts_an_adjacent_swap_as_one_edit():
    assert prefix_distance("massage", "massage therapist", 1) == 0
    assert prefix_distance("masage", "massage therapist", 1) == 1
    assert prefix_distance("msasage", "massage therapist", 1) == 1
    assert prefix_distance("mssge", "massage therapist", 1) is None
    assert prefix_distance("mssge", "massage therapist", 2) == 2
    assert prefix_distance("zzzz", "plumber", 1) is None


def test_the_closest_completion_comes_first_within_a_class():
    assert [m.job_title_id for m in rank_titles("paint", TERMS)][:2] == [
        title_id("house-painter"), title_id("art-teacher")]
    assert top("tutr").job_title_id == title_id("tutor")


def osa(a, b):
    """Textbook optimal-string-alignment distance, the reference for the fast version."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            substitution = d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, substitution)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def test_prefix_distance_agrees_with_the_textbook_definition():
    rng = random.Random(11)
    for _ in range(3000):
        query = "".join(rng.choice("abcde ") for _ in range(rng.randint(1, 9)))
        candidate = "".join(rng.choice("abcde ") for _ in range(rng.randint(1, 12)))
        limit = rng.randint(0, 2)
        best = min(osa(query, candidate[:n]) for n in range(len(candidate) + 1))
        assert prefix_distance(query, candidate, limit) == (best if best <= limit else None), (
            query, candidate, limit)


def test_exact_beats_prefix_beats_word_beats_typo():
    assert (top("masseuse").job_title_id, top("masseuse").match_class) == (
        title_id("massage-therapist"), EXACT)
    assert top("plum").match_class == PREFIX
    assert (top("walker").job_title_id, top("walker").match_class) == (
        title_id("dog-walker"), WORD_PREFIX)
    assert (top("plumbr").job_title_id, top("plumbr").match_class) == (title_id("plumber"), TYPO)
    assert (top("hous paintr").job_title_id, top("hous paintr").distance) == (
        title_id("house-painter"), 2)
    assert (top("paintr").job_title_id, top("paintr").match_class) == (
        title_id("house-painter"), TYPO)
    face_painter = [m for m in rank_titles("paintr", TERMS)
                    if m.job_title_id == title_id("face-painter")]
    assert face_painter[0].match_class == TYPO_WORD


def test_short_queries_allow_no_typo_and_nonsense_finds_nothing():
    assert rank_titles("dgo", TERMS) == []
    assert rank_titles("qqqqzzzz", TERMS) == []
    assert rank_titles("  ", TERMS) == []


def test_ranking_is_deterministic_whatever_the_input_order():
    expected = [m.job_title_id for m in rank_titles("dog", TERMS)]
    assert expected == [title_id("dog-walker"), title_id("pet-sitter"), title_id("dog-groomer"),
                        title_id("dog-trainer")]
    shuffled = list(TERMS)
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert [m.job_title_id for m in rank_titles("dog", shuffled)] == expected


def test_find_titles_lists_alphabetically_without_a_query_and_ranks_with_one(session):
    everything = catalog.find_titles(session, None, "", limit=100)
    assert [t["name"] for t in everything] == sorted((t["name"] for t in everything),
                                                     key=fold)
    found = catalog.find_titles(session, None, "Massage")
    assert found[0]["name"] == "Massage therapist"
    assert found[0]["category"] == "wellness" and found[0]["category_name"]
    assert "technique" in found[0]["criteria"]


def test_resolve_takes_ids_names_aliases_and_unambiguous_matches(session):
    assert catalog.resolve_title(session, title_id("florist"), None).slug == "florist"
    assert catalog.resolve_title(session, "DOG WALKER", None).slug == "dog-walker"
    assert catalog.resolve_title(session, "Masseuse", None).slug == "massage-therapist"
    assert catalog.resolve_title(session, "magican", None).slug == "magician"


def test_resolve_refuses_ambiguous_and_unknown_titles_naming_the_field(session):
    with pytest.raises(Invalid) as caught:
        catalog.resolve_title(session, "dog", None)
    assert "Dog walker" in caught.value.errors["job_title"][0]
    with pytest.raises(Invalid) as caught:
        catalog.resolve_title(session, "astronaut", None)
    assert caught.value.errors == {"job_title": ["unknown job title"]}


def test_a_proposal_is_usable_at_once_by_its_proposer_only(session, emit, events):
    proposal = catalog.propose_title(session, emit, pro(), "Beekeeper", "outdoor", NOW,
                                     aliases=["Bee removal", "apiarist"])
    assert proposal["status"] == "proposed" and proposal["proposed_by"] == "pro-1"
    assert events[0][0] == "job_title_proposed"
    assert catalog.usable_title(session, proposal["id"], "pro-1").name == "Beekeeper"
    with pytest.raises(Invalid):
        catalog.usable_title(session, proposal["id"], "pro-2")
    assert catalog.find_titles(session, pro(), "beekeep")[0]["id"] == proposal["id"]
    assert catalog.find_titles(session, pro("pro-2"), "beekeep") == []
    assert catalog.find_titles(session, None, "apiarist") == []
    with pytest.raises(NotFound):
        catalog.get_title(session, proposal["id"], pro("pro-2"))


def test_an_approved_proposal_is_listed_for_everyone(session, emit, events):
    proposal = catalog.propose_title(session, emit, pro(), "Beekeeper", "outdoor", NOW)
    with pytest.raises(Forbidden):
        catalog.approve_title(session, emit, pro(), proposal["id"], NOW)
    assert [t["id"] for t in catalog.list_proposals(session, ADMIN)] == [proposal["id"]]
    approved = catalog.approve_title(session, emit, ADMIN, proposal["id"], NOW)
    assert approved["status"] == "listed"
    assert events[-1] == ("job_title_approved", {
        "job_title_id": proposal["id"], "name": "Beekeeper", "category": "outdoor",
        "proposed_by": "pro-1"})
    assert catalog.find_titles(session, None, "beekeeper")[0]["id"] == proposal["id"]
    assert "proposed_by" not in catalog.find_titles(session, None, "beekeeper")[0]
    assert catalog.usable_title(session, proposal["id"], "pro-2").status == "listed"
    with pytest.raises(Conflict):
        catalog.approve_title(session, emit, ADMIN, proposal["id"], NOW)


def test_a_rejected_proposal_is_no_longer_usable(session, emit):
    proposal = catalog.propose_title(session, emit, pro(), "Beekeeper", "outdoor", NOW)
    catalog.reject_title(session, emit, ADMIN, proposal["id"], NOW, reason="too rare")
    with pytest.raises(Invalid):
        catalog.usable_title(session, proposal["id"], "pro-1")


def test_a_proposal_already_covered_by_the_catalog_is_a_conflict(session, emit):
    with pytest.raises(Conflict) as caught:
        catalog.propose_title(session, emit, pro(), "Maid", "cleaning", NOW)
    assert "House cleaner" in caught.value.errors["name"][0]
    catalog.propose_title(session, emit, pro(), "Beekeeper", "outdoor", NOW)
    with pytest.raises(Conflict):
        catalog.propose_title(session, emit, pro(), "beekeeper", "outdoor", NOW)


def test_two_professionals_may_propose_the_same_name_but_only_one_is_listed(session, emit):
    first = catalog.propose_title(session, emit, pro("pro-1"), "Beekeeper", "outdoor", NOW)
    second = catalog.propose_title(session, emit, pro("pro-2"), "Beekeeper", "outdoor", NOW)
    catalog.approve_title(session, emit, ADMIN, first["id"], NOW)
    with pytest.raises(Conflict):
        catalog.approve_title(session, emit, ADMIN, second["id"], NOW)


def test_bad_proposals_name_each_field(session, emit):
    with pytest.raises(Invalid) as caught:
        catalog.propose_title(session, emit, pro(), "!!", "space", NOW, aliases=["x"])
    assert set(caught.value.errors) == {"name", "category", "aliases"}
    with pytest.raises(Forbidden):
        catalog.propose_title(session, emit, Caller("c", frozenset({"client"})), "Beekeeper",
                              "outdoor", NOW)


def test_pending_proposals_are_capped(session, emit):
    for n in range(catalog.MAX_PENDING_PROPOSALS):
        catalog.propose_title(session, emit, pro(), f"Trade number {n}", "home", NOW)
    with pytest.raises(Conflict):
        catalog.propose_title(session, emit, pro(), "One trade too many", "home", NOW)
