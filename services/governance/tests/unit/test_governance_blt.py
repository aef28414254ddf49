"""Reading and writing BLT ballot files."""

from __future__ import annotations

from pathlib import Path

import pytest
from loconomics_governance.domain import stv
from loconomics_governance.domain.blt import (
    BltElection,
    BltError,
    blt_from_rankings,
    read_blt,
    write_blt,
)

DATA = Path(__file__).resolve().parent.parent / "data"


def test_reads_a_published_ward_file():
    election = read_blt((DATA / "eilean-siar-2017-ward8-loch-a-tuath.blt").read_text())

    assert election.seats == 3
    assert election.candidates[0] == "Donald Finlayson Crichton"
    assert election.title == "Comhairle nan Eilean Siar 2017, Ward 8: Loch a Tuath"
    assert sum(weight for weight, _ in election.ballots) == 1282
    assert election.ballots[0] == (46, (1,))
    assert len(election.rankings()) == 1282


@pytest.mark.parametrize(
    "name",
    [
        "eilean-siar-2017-ward5-sgire-an-rubha",
        "eilean-siar-2017-ward6-steornabhagh-a-deas",
        "eilean-siar-2017-ward8-loch-a-tuath",
    ],
)
def test_write_then_read_gives_the_same_election_and_the_same_count(name):
    original = read_blt((DATA / f"{name}.blt").read_text())

    again = read_blt(write_blt(original))

    assert again == original
    first = stv.count(original.rankings(), original.seats, original.standing())
    second = stv.count(again.rankings(), again.seats, again.standing())
    assert first.as_dict() == second.as_dict()


def test_round_trips_withdrawn_candidates_and_awkward_names():
    election = BltElection(
        seats=1,
        candidates=('Ann "Nan" O\'Neil', "Back\\slash", "Cy"),
        ballots=((2, (1, 3)), (1, (3,))),
        title="Board, 2026",
        withdrawn=frozenset({2}),
    )

    text = write_blt(election)

    assert text.splitlines()[1] == "-2"
    assert read_blt(text) == election
    assert read_blt(text).standing() == ["1", "3"]


def test_tolerates_padding_and_blank_lines():
    text = '3 1   \n\n2 1 2 0   \n1 3 0\n0\n"A"\n"B"\n"C"\n"Title"\n\n'

    election = read_blt(text)

    assert election.ballots == ((2, (1, 2)), (1, (3,)))
    assert election.candidates == ("A", "B", "C")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("2\n0\n", "line 1"),
        ('2 1\n1 1 2\n0\n"A"\n"B"\n', "line 2"),
        ('2 1\n1 1=2 0\n0\n"A"\n"B"\n', "equal or skipped"),
        ('2 1\n1 1 - 2 0\n0\n"A"\n"B"\n', "equal or skipped"),
        ('2 1\n1 1 3 0\n0\n"A"\n"B"\n', "unknown candidate"),
        ('2 1\n1 1 1 0\n0\n"A"\n"B"\n', "ranked twice"),
        ('2 1\n0 1 0\n0\n"A"\n"B"\n', "weight"),
        ('2 1\n1 1 0\n"A"\n"B"\n', "line 3"),
        ("2 1\n1 1 0\n", "closed"),
        ('2 1\n1 1 0\n0\n"A"\n', "2 candidate names"),
        ('2 1\n-3\n1 1 0\n0\n"A"\n"B"\n', "withdrawn"),
    ],
)
def test_refuses_what_it_cannot_read_and_says_where(text, message):
    with pytest.raises(BltError, match=message):
        read_blt(text)


def test_anonymous_rankings_become_sorted_weighted_lines():
    candidates = [("c-x", "Xena"), ("c-y", "Yuri"), ("c-z", "Zoe")]
    rankings = [["c-z"], ["c-x", "c-y"], ["c-z"], ["c-x", "c-y"], ["c-y", "c-z", "c-x"]]

    election = blt_from_rankings("Board 2026", 2, candidates, rankings)

    assert election.candidates == ("Xena", "Yuri", "Zoe")
    assert election.ballots == ((2, (1, 2)), (1, (2, 3, 1)), (2, (3,)))
    assert read_blt(write_blt(election)).rankings().count(("3",)) == 2
