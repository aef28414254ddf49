"""The Scottish STV count, checked against published results of real Scottish council wards
and against small cases built to exercise one rule each."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from loconomics_governance.domain import stv
from loconomics_governance.domain.blt import read_blt

DATA = Path(__file__).resolve().parent.parent / "data"
WARDS = [
    "eilean-siar-2017-ward5-sgire-an-rubha",
    "eilean-siar-2017-ward8-loch-a-tuath",
    "eilean-siar-2017-ward6-steornabhagh-a-deas",
]


def load_ward(name: str):
    election = read_blt((DATA / f"{name}.blt").read_text())
    published = json.loads((DATA / f"{name}.result.json").read_text())
    result = stv.count(election.rankings(), election.seats, election.standing())
    return election, published, result


@pytest.mark.parametrize("ward", WARDS)
def test_count_elects_the_published_councillors(ward):
    election, published, result = load_ward(ward)

    assert result.valid_papers == published["valid_papers"]
    assert result.quota == published["quota"]
    assert [election.name_of(cid) for cid in result.elected] == published["elected"]


@pytest.mark.parametrize("ward", WARDS)
def test_every_stage_matches_the_published_figures_to_five_places(ward):
    election, published, result = load_ward(ward)

    assert len(result.stages) == len(published["stages"])
    for stage, expected in zip(result.stages, published["stages"], strict=True):
        totals = {election.name_of(cid): votes for cid, votes in stage.totals.items()}
        assert totals == {name: Decimal(v) for name, v in expected["totals"].items()}, stage.number
        assert stage.action == expected["action"]
        subject = election.name_of(stage.subject) if stage.subject else None
        assert subject == expected["subject"]


@pytest.mark.parametrize("ward", WARDS)
def test_no_vote_is_created_or_lost_unaccounted(ward):
    _, _, result = load_ward(ward)

    for stage in result.stages:
        accounted = (
            sum(stage.totals.values()) + stage.non_transferable_total + stage.lost_to_rounding_total
        )
        assert accounted == result.valid_papers, stage.number


def test_surplus_of_mixed_papers_truncates_each_transfer_value_to_five_places():
    # Loch a Tuath, stage 3: Maclean's surplus holds first preferences (value 1) and papers
    # received from Crichton at 0.45593; each value gives its own truncated transfer value.
    _, _, result = load_ward(WARDS[1])
    stage = result.stages[2]
    surplus = Decimal("344.89436") - 321

    assert stage.action == stv.SURPLUS
    first = (surplus / Decimal("344.89436")).quantize(Decimal("0.00001"), rounding="ROUND_DOWN")
    second = (surplus * Decimal("0.45593") / Decimal("344.89436")).quantize(
        Decimal("0.00001"), rounding="ROUND_DOWN"
    )
    assert set(stage.transfer_values) == {first, second}
    assert stage.lost_to_rounding > 0


def test_transfer_value_of_a_first_surplus_is_surplus_over_total_truncated():
    _, _, result = load_ward(WARDS[0])

    assert result.stages[1].transfer_values == (Decimal("0.21468"),)  # 76 / 354 = 0.214689...


def test_quota_is_droop_on_valid_papers():
    result = stv.count([["a"]] * 10 + [["b"]] * 5 + [[]] * 7, seats=2)

    assert result.valid_papers == 15
    assert result.quota == 6


def test_exclusion_tie_looks_back_to_the_latest_stage_where_they_differed():
    # Quota 10. A's surplus of 10 goes at 0.5: two papers reach B (4 -> 5), tying C (5).
    # At stage 1 B had fewer votes than C, so B is excluded; C then fills the last seat.
    ballots = [["A", "B"]] * 2 + [["A"]] * 18 + [["B"]] * 4 + [["C"]] * 5
    result = stv.count(ballots, seats=2, candidates=["A", "B", "C"])

    assert result.quota == 10
    assert result.stages[1].totals["B"] == result.stages[1].totals["C"] == Decimal(5)
    exclusion = result.stages[2]
    assert (exclusion.action, exclusion.subject) == (stv.EXCLUSION, "B")
    assert exclusion.tie_break == stv.LOOK_BACK
    assert result.elected == ("A", "C")


def test_tie_at_every_stage_is_drawn_by_a_reproducible_lot_seeded_by_the_election():
    ballots = [["A"]] * 10 + [["B"]] * 3 + [["C"]] * 3
    draws = {
        seed: stv.count(ballots, seats=2, candidates=["A", "B", "C"], seed=seed)
        for seed in ("election-1", "election-2", "election-3", "election-4")
    }

    for seed, result in draws.items():
        again = stv.count(ballots, seats=2, candidates=["A", "B", "C"], seed=seed)
        assert again.as_dict() == result.as_dict()
        excluded = result.stages[2]  # stage 2 moved A's surplus; B and C tied throughout
        assert (excluded.action, excluded.tie_break) == (stv.EXCLUSION, stv.LOT)
        assert excluded.subject in {"B", "C"}
    assert {r.stages[2].subject for r in draws.values()} == {"B", "C"}


def test_equal_surpluses_go_in_order_of_the_earlier_stage():
    # Quota 10. Stage 1: A 9, B 8, C 7, D 9, E 5. E's exclusion lifts A and B to 11 each:
    # equal surpluses of 1. At stage 1 A had more votes than B, so A's goes first.
    ballots = (
        [["A"]] * 9 + [["B"]] * 8 + [["C"]] * 7 + [["D"]] * 9 + [["E", "A"]] * 2 + [["E", "B"]] * 3
    )
    result = stv.count(ballots, seats=3, candidates=["A", "B", "C", "D", "E"])

    assert result.quota == 10
    assert result.stages[1].totals["A"] == result.stages[1].totals["B"] == Decimal(11)
    first_surplus, second_surplus = result.stages[2], result.stages[3]
    assert (first_surplus.action, first_surplus.subject) == (stv.SURPLUS, "A")
    assert first_surplus.tie_break == stv.LOOK_BACK
    assert (second_surplus.action, second_surplus.subject) == (stv.SURPLUS, "B")
    assert result.elected == ("A", "B", "D")


def test_last_vacancies_are_filled_before_any_waiting_surplus_moves():
    # Quota 6: A and B are elected at stage 1 with surpluses waiting, but C is the only
    # continuing candidate for the one seat left: C is deemed elected, nothing transferred.
    ballots = [["A"]] * 10 + [["B", "C"]] * 10 + [["C"]]
    result = stv.count(ballots, seats=3, candidates=["A", "B", "C"])

    assert result.quota == 6
    assert result.elected == ("A", "B", "C")
    assert len(result.stages) == 1
    assert result.stages[0].totals["C"] == Decimal(1)


def test_fewer_candidates_than_seats_are_all_elected_at_once():
    result = stv.count([["A"]] * 2 + [["B"]], seats=3, candidates=["A", "B"])

    assert set(result.elected) == {"A", "B"}
    assert len(result.stages) == 1
    assert set(result.stages[0].elected) == {"A", "B"}


def test_exhausted_papers_are_non_transferable():
    ballots = [["A"]] * 5 + [["B", "A"]] * 2 + [["C"]] * 4
    result = stv.count(ballots, seats=1, candidates=["A", "B", "C"])

    # Quota 6; B excluded: both papers go to A (7, elected).
    assert result.elected == ("A",)
    exclusion = result.stages[1]
    assert exclusion.subject == "B"
    assert exclusion.transfers["A"] == Decimal(2)
    assert exclusion.non_transferable == 0

    ballots = [["A"]] * 5 + [["B"]] * 2 + [["C"]] * 4
    exhausted = stv.count(ballots, seats=1, candidates=["A", "B", "C"])
    assert exhausted.stages[1].non_transferable == Decimal(2)


def test_unknown_and_repeated_preferences_are_ignored():
    result = stv.count([["X", "A", "A", "B"], ["B"]], seats=1, candidates=["A", "B"])

    assert result.stages[0].totals == {"A": Decimal(1), "B": Decimal(1)}


def test_result_is_json_ready():
    result = stv.count([["a", "b"], ["b"], ["a"]], seats=1)
    data = result.as_dict()

    json.dumps(data)
    assert data["elected"] == ["a"]
    assert data["stages"][0]["totals"] == {"a": "2.00000", "b": "1.00000"}


def test_needs_a_seat():
    with pytest.raises(ValueError):
        stv.count([["a"]], seats=0)
