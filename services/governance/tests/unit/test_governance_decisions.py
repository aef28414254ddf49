"""Quorum and majorities, at and around their edges."""

from __future__ import annotations

import pytest
from loconomics_governance.domain.decisions import (
    NO_QUORUM,
    ORDINARY,
    PASSED,
    REJECTED,
    SPECIAL,
    decide,
)


@pytest.mark.parametrize(
    ("yes", "no", "abstain", "outcome"),
    [
        (6, 5, 0, PASSED),
        (5, 5, 0, REJECTED),  # a tie fails
        (5, 6, 0, REJECTED),
        (3, 2, 40, PASSED),  # abstentions do not count against
        (1, 0, 0, PASSED),
        (0, 0, 10, REJECTED),  # only abstentions: no majority for
    ],
)
def test_ordinary_needs_more_yes_than_no(yes, no, abstain, outcome):
    assert decide(ORDINARY, yes, no, abstain, roll_size=100, quorum_percent=0).outcome == outcome


@pytest.mark.parametrize(
    ("yes", "no", "abstain", "outcome"),
    [
        (2, 1, 0, PASSED),  # exactly two thirds passes
        (20, 10, 5, PASSED),  # exactly two thirds of yes + no, abstentions aside
        (66, 34, 0, REJECTED),  # 66% is short of two thirds
        (67, 33, 0, PASSED),
        (199, 100, 0, REJECTED),  # 199/299 = 0.66555...
        (200, 100, 0, PASSED),
        (0, 0, 9, REJECTED),
        (1, 0, 0, PASSED),
    ],
)
def test_special_needs_two_thirds_of_yes_and_no(yes, no, abstain, outcome):
    assert decide(SPECIAL, yes, no, abstain, roll_size=1000, quorum_percent=0).outcome == outcome


@pytest.mark.parametrize(
    ("cast", "roll", "percent", "met"),
    [
        (10, 100, 10, True),  # exactly the quorum
        (9, 100, 10, False),
        (1, 3, 33, True),  # 33.3% >= 33%
        (1, 3, 34, False),
        (0, 0, 0, False),  # an empty roll never has a quorum
        (0, 5, 0, True),
    ],
)
def test_quorum_is_votes_cast_over_the_roll(cast, roll, percent, met):
    decision = decide(ORDINARY, cast, 0, 0, roll_size=roll, quorum_percent=percent)

    assert decision.quorum_met is met
    assert (decision.outcome == NO_QUORUM) is not met


def test_abstentions_count_toward_the_quorum():
    without = decide(ORDINARY, 3, 1, 0, roll_size=20, quorum_percent=25)
    with_abstentions = decide(ORDINARY, 3, 1, 1, roll_size=20, quorum_percent=25)

    assert without.outcome == NO_QUORUM
    assert with_abstentions.outcome == PASSED
    assert with_abstentions.votes_cast == 5


def test_refuses_nonsense():
    with pytest.raises(ValueError):
        decide("constitutional", 1, 0, 0, 1, 0)
    with pytest.raises(ValueError):
        decide(ORDINARY, -1, 0, 0, 1, 0)
    with pytest.raises(ValueError):
        decide(ORDINARY, 1, 0, 0, 1, 101)
