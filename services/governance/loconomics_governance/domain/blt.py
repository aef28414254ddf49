"""The BLT ballot file: how anonymised election ballots are published.

BLT is the plain-text format most STV counting programs read (OpenSTV, OpaVote, Droop,
eSTV, and the files Scottish councils' preference profiles are converted to), so a member
can re-run a board election's count with software we did not write:

    <number of candidates> <seats>
    [-<withdrawn candidate number> ...]
    <weight> <preference> <preference> ... 0      (one line per ranking; numbers are 1-based)
    0
    "<candidate 1 name>"
    ...
    "<title>"

Equal preferences (`=`) and skipped ones (`-`) are not part of a Scottish ballot, so the
reader refuses them rather than guess what they mean.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


class BltError(ValueError):
    """The text is not a BLT file we can read; the message names the line."""


@dataclass(frozen=True)
class BltElection:
    seats: int
    candidates: tuple[str, ...]
    ballots: tuple[tuple[int, tuple[int, ...]], ...]
    title: str
    withdrawn: frozenset[int] = frozenset()

    def standing(self) -> list[str]:
        """Candidate numbers (as strings, the ids the count uses) not withdrawn."""
        return [str(n) for n in range(1, len(self.candidates) + 1) if n not in self.withdrawn]

    def rankings(self) -> list[tuple[str, ...]]:
        """One ranking per ballot paper, candidate numbers as strings."""
        papers: list[tuple[str, ...]] = []
        for weight, preferences in self.ballots:
            papers.extend([tuple(str(n) for n in preferences)] * weight)
        return papers

    def name_of(self, number: str) -> str:
        return self.candidates[int(number) - 1]


def read_blt(text: str) -> BltElection:
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1)]
    lines = [(n, line) for n, line in lines if line]
    if not lines:
        raise BltError("the file is empty")
    header_no, header = lines[0]
    numbers = _integers(header, header_no)
    if len(numbers) != 2 or numbers[0] < 1 or numbers[1] < 1:
        raise BltError(f"line {header_no}: expected '<candidates> <seats>'")
    candidate_count, seats = numbers
    position = 1
    withdrawn: set[int] = set()
    if position < len(lines) and lines[position][1].startswith("-"):
        line_no, line = lines[position]
        withdrawn = {-n for n in _integers(line, line_no)}
        if any(n < 1 or n > candidate_count for n in withdrawn):
            raise BltError(f"line {line_no}: withdrawn candidate out of range")
        position += 1
    ballots: list[tuple[int, tuple[int, ...]]] = []
    while True:
        if position >= len(lines):
            raise BltError("the ballots are not closed by a line holding 0")
        line_no, line = lines[position]
        position += 1
        if line == "0":
            break
        ballots.append(_ballot(line, line_no, candidate_count))
    tail = "\n".join(line for _, line in lines[position:])
    strings = [re.sub(r"\\(.)", r"\1", s) for s in _QUOTED.findall(tail)]
    if len(strings) < candidate_count:
        raise BltError(f"expected {candidate_count} candidate names, found {len(strings)}")
    names = tuple(strings[:candidate_count])
    title = strings[candidate_count] if len(strings) > candidate_count else ""
    return BltElection(seats, names, tuple(ballots), title, frozenset(withdrawn))


def write_blt(election: BltElection) -> str:
    out = [f"{len(election.candidates)} {election.seats}"]
    if election.withdrawn:
        out.append(" ".join(f"-{n}" for n in sorted(election.withdrawn)))
    for weight, preferences in election.ballots:
        out.append(" ".join(str(n) for n in (weight, *preferences, 0)))
    out.append("0")
    out.extend(_quote(name) for name in election.candidates)
    out.append(_quote(election.title))
    return "\n".join(out) + "\n"


def blt_from_rankings(
    title: str,
    seats: int,
    candidates: Sequence[tuple[str, str]],
    rankings: Iterable[Sequence[str]],
    withdrawn: Collection[str] = (),
) -> BltElection:
    """Aggregate anonymous rankings of candidate ids into a BLT election.

    `candidates` is (id, name) in the order the file numbers them; identical rankings
    become one weighted line, sorted, so the file says nothing about the order of voting.
    `withdrawn`: ids of candidates ranked on papers who no longer stand (the file's
    withdrawn line; counts skip their preferences).
    """
    number = {cid: n for n, (cid, _) in enumerate(candidates, start=1)}
    weights = Counter(tuple(number[cid] for cid in ranking) for ranking in rankings)
    return BltElection(
        seats=seats,
        candidates=tuple(name for _, name in candidates),
        ballots=tuple((weights[prefs], prefs) for prefs in sorted(weights)),
        title=title,
        withdrawn=frozenset(number[cid] for cid in withdrawn),
    )


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _integers(line: str, line_no: int) -> list[int]:
    try:
        return [int(token) for token in line.split()]
    except ValueError:
        raise BltError(f"line {line_no}: expected whole numbers, got {line!r}") from None


def _ballot(line: str, line_no: int, candidate_count: int) -> tuple[int, tuple[int, ...]]:
    if "=" in line or re.search(r"(^|\s)-(\s|$)", line):
        raise BltError(f"line {line_no}: equal or skipped preferences are not supported")
    numbers = _integers(line, line_no)
    if len(numbers) < 2 or numbers[-1] != 0:
        raise BltError(f"line {line_no}: a ballot is '<weight> <preferences> 0'")
    weight, preferences = numbers[0], tuple(numbers[1:-1])
    if weight < 1:
        raise BltError(f"line {line_no}: the weight must be a positive whole number")
    if any(n < 1 or n > candidate_count for n in preferences):
        raise BltError(f"line {line_no}: preference for an unknown candidate")
    if len(set(preferences)) != len(preferences):
        raise BltError(f"line {line_no}: a candidate is ranked twice")
    return weight, preferences
