"""Scottish STV: the count of The Scottish Local Government Elections Order 2007.

Why this rule set: it is a statute (SSI 2007/42, schedule 1, rules 45 to 52), every
Scottish council ward has been counted with it since 2007, and the councils publish
stage-by-stage results a count can be checked against. It is also plain enough for a
member to follow by hand.

The rules as implemented here:

- Quota (rule 46): floor(valid papers / (seats + 1)) + 1.
- A candidate whose votes equal or exceed the quota at the end of any stage is deemed
  elected (rule 47) and receives no further papers.
- Surplus (rule 48): *every* paper the elected candidate holds passes to its next available
  preference (the weighted inclusive Gregory method: the Order transfers all of the
  candidate's papers, not only the last parcel received). Each paper's transfer value is
  surplus x (value of the paper when the candidate received it) / the candidate's total,
  calculated to five decimal places with any remainder ignored. Papers with no next
  available preference are non-transferable. The elected candidate keeps the quota; what
  the truncation leaves behind is reported as lost to rounding.
- Several surpluses (rule 49): the highest first. Equal surpluses: the candidate who had
  more votes at the most recent earlier stage where they differed goes first; equal at
  every stage: lot.
- Exclusion (rules 50, 51): with no surplus waiting, the continuing candidate with the
  fewest votes is excluded and all their papers move at the value they arrived with.
  Equal lowest: the one who had fewer votes at the most recent earlier stage where the
  tied candidates differed (if several still share the lowest there, the look-back goes
  on among them); equal at every stage: lot.
- Last vacancies (rule 52): when the continuing candidates are no more than the vacancies
  left, they are all deemed elected and no further transfer is made.

Arithmetic is exact: votes are integers in hundred-thousandths of a vote, so the Order's
five-decimal truncation is integer floor division and every figure of a stage is the one
a returning officer would write down.

Lot: the Order leaves it to the returning officer; here anyone re-running the count from
the published ballots must get the same draw. Among the tied candidates the one whose
SHA-256 digest of "<seed>:<stage number>:<candidate id>" is smallest is drawn (it is the
one excluded, or the one whose surplus goes first). The governance service uses the
election id as the seed.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

UNITS_PER_VOTE = 100_000
FIRST_PREFERENCES = "first_preferences"
SURPLUS = "surplus"
EXCLUSION = "exclusion"
LOOK_BACK = "look_back"
LOT = "lot"


def as_votes(units: int) -> Decimal:
    """Hundred-thousandths of a vote as a Decimal with the Order's five places."""
    return Decimal(units).scaleb(-5)


@dataclass(frozen=True)
class Stage:
    """One stage of the count, with every figure a published result sheet shows."""

    number: int
    action: str
    subject: str | None
    totals: dict[str, Decimal]
    transfers: dict[str, Decimal]
    transfer_values: tuple[Decimal, ...]
    non_transferable: Decimal
    non_transferable_total: Decimal
    lost_to_rounding: Decimal
    lost_to_rounding_total: Decimal
    elected: tuple[str, ...]
    tie_break: str | None

    def as_dict(self) -> dict:
        return {
            "number": self.number,
            "action": self.action,
            "subject": self.subject,
            "totals": {cid: str(v) for cid, v in self.totals.items()},
            "transfers": {cid: str(v) for cid, v in self.transfers.items()},
            "transfer_values": [str(v) for v in self.transfer_values],
            "non_transferable": str(self.non_transferable),
            "non_transferable_total": str(self.non_transferable_total),
            "lost_to_rounding": str(self.lost_to_rounding),
            "lost_to_rounding_total": str(self.lost_to_rounding_total),
            "elected": list(self.elected),
            "tie_break": self.tie_break,
        }


@dataclass(frozen=True)
class Count:
    """The whole count: who was elected, in order, and every stage."""

    candidates: tuple[str, ...]
    seats: int
    valid_papers: int
    quota: int
    elected: tuple[str, ...]
    stages: tuple[Stage, ...]

    def as_dict(self) -> dict:
        return {
            "rules": "Scottish STV (The Scottish Local Government Elections Order 2007)",
            "candidates": list(self.candidates),
            "seats": self.seats,
            "valid_papers": self.valid_papers,
            "quota": self.quota,
            "elected": list(self.elected),
            "stages": [stage.as_dict() for stage in self.stages],
        }


def count(
    ballots: Iterable[Sequence[str]],
    seats: int,
    candidates: Sequence[str] | None = None,
    seed: str = "",
) -> Count:
    """Count ranked ballots (lists of candidate ids, most preferred first) for `seats` seats.

    Preferences for ids outside `candidates` are ignored, as is a repeated preference;
    a ballot left with no preference is not a valid paper. Without `candidates`, every id
    that appears on a ballot stands.
    """
    if seats < 1:
        raise ValueError("an election fills at least one seat")
    papers = Counter()
    raw = [tuple(b) for b in ballots]
    standing = (
        tuple(candidates)
        if candidates is not None
        else tuple(sorted({cid for ballot in raw for cid in ballot}))
    )
    if len(set(standing)) != len(standing):
        raise ValueError("candidate ids must be unique")
    known = set(standing)
    for ballot in raw:
        ranking = tuple(dict.fromkeys(cid for cid in ballot if cid in known))
        if ranking:
            papers[ranking] += 1
    return _Counting(standing, seats, papers, seed).run()


class _Counting:
    """The mutable state of one count; `run` walks the rules stage by stage."""

    def __init__(self, candidates: tuple[str, ...], seats: int, papers: Counter, seed: str) -> None:
        self.candidates = candidates
        self.seats = seats
        self.seed = seed
        self.valid = sum(papers.values())
        self.quota_votes = self.valid // (seats + 1) + 1
        self.quota = self.quota_votes * UNITS_PER_VOTE
        self.papers = papers
        self.votes: dict[str, int] = dict.fromkeys(candidates, 0)
        self.held: dict[str, Counter] = {cid: Counter() for cid in candidates}
        self.continuing: set[str] = set(candidates)
        self.elected: list[str] = []
        self.waiting_surplus: list[str] = []
        self.history: list[dict[str, int]] = []
        self.stages: list[Stage] = []
        self.non_transferable_total = 0
        self.lost_total = 0

    def run(self) -> Count:
        for ranking, number in self.papers.items():
            first = ranking[0]
            self.held[first][(ranking, UNITS_PER_VOTE)] += number
            self.votes[first] += number * UNITS_PER_VOTE
        self._record(FIRST_PREFERENCES, None, (), 0, 0, None)
        while len(self.elected) < self.seats:
            vacancies = self.seats - len(self.elected)
            if len(self.continuing) <= vacancies:
                self._fill_last_vacancies()
                break
            if self.waiting_surplus:
                self._transfer_surplus()
            else:
                self._exclude_lowest()
        return Count(
            candidates=self.candidates,
            seats=self.seats,
            valid_papers=self.valid,
            quota=self.quota_votes,
            elected=tuple(self.elected),
            stages=tuple(self.stages),
        )

    def _next_preference(self, ranking: tuple[str, ...]) -> str | None:
        # Papers only ever move past elected or excluded candidates, so the first
        # continuing candidate on the paper is its next available preference.
        for cid in ranking:
            if cid in self.continuing:
                return cid
        return None

    def _transfer_surplus(self) -> None:
        surpluses = {cid: self.votes[cid] - self.quota for cid in self.waiting_surplus}
        highest = max(surpluses.values())
        tied = [cid for cid, surplus in surpluses.items() if surplus == highest]
        subject, tie_break = self._break_tie(tied, prefer_lowest=False)
        self.waiting_surplus.remove(subject)
        surplus, total = surpluses[subject], self.votes[subject]
        non_transferable = 0
        moved = 0
        values = set()
        for (ranking, value), number in self.held[subject].items():
            transfer_value = surplus * value // total
            values.add(transfer_value)
            target = self._next_preference(ranking)
            if target is None:
                non_transferable += number * transfer_value
            elif transfer_value:
                self.held[target][(ranking, transfer_value)] += number
                self.votes[target] += number * transfer_value
                moved += number * transfer_value
        self.held[subject] = Counter()
        self.votes[subject] = self.quota
        lost = surplus - moved - non_transferable
        self._record(
            SURPLUS, subject, tuple(sorted(values, reverse=True)), non_transferable, lost, tie_break
        )

    def _exclude_lowest(self) -> None:
        lowest = min(self.votes[cid] for cid in self.continuing)
        tied = sorted(cid for cid in self.continuing if self.votes[cid] == lowest)
        subject, tie_break = self._break_tie(tied, prefer_lowest=True)
        self.continuing.remove(subject)
        non_transferable = 0
        for (ranking, value), number in self.held[subject].items():
            target = self._next_preference(ranking)
            if target is None:
                non_transferable += number * value
            else:
                self.held[target][(ranking, value)] += number
                self.votes[target] += number * value
        self.held[subject] = Counter()
        self.votes[subject] = 0
        self._record(EXCLUSION, subject, (), non_transferable, 0, tie_break)

    def _fill_last_vacancies(self) -> None:
        deemed = sorted(self.continuing, key=self._standing_order)
        self.elected.extend(deemed)
        self.continuing.clear()
        last = self.stages[-1]
        self.stages[-1] = replace(last, elected=last.elected + tuple(deemed))

    def _standing_order(self, cid: str) -> tuple[int, int]:
        return -self.votes[cid], self.candidates.index(cid)

    def _break_tie(self, tied: list[str], prefer_lowest: bool) -> tuple[str, str | None]:
        if len(tied) == 1:
            return tied[0], None
        remaining = sorted(tied)
        for totals in reversed(self.history[:-1]):
            figures = {cid: totals[cid] for cid in remaining}
            if len(set(figures.values())) > 1:
                pick = min(figures.values()) if prefer_lowest else max(figures.values())
                remaining = [cid for cid in remaining if figures[cid] == pick]
                if len(remaining) == 1:
                    return remaining[0], LOOK_BACK
        stage_number = len(self.stages) + 1
        drawn = min(
            remaining,
            key=lambda cid: hashlib.sha256(f"{self.seed}:{stage_number}:{cid}".encode()).digest(),
        )
        return drawn, LOT

    def _record(
        self,
        action: str,
        subject: str | None,
        transfer_values: tuple[int, ...],
        non_transferable: int,
        lost: int,
        tie_break: str | None,
    ) -> None:
        previous = self.history[-1] if self.history else dict.fromkeys(self.candidates, 0)
        totals = dict(self.votes)
        self.history.append(totals)
        self.non_transferable_total += non_transferable
        self.lost_total += lost
        newly = sorted(
            (cid for cid in self.continuing if self.votes[cid] >= self.quota),
            key=self._standing_order,
        )
        for cid in newly:
            self.continuing.remove(cid)
            self.elected.append(cid)
            if self.votes[cid] > self.quota:
                self.waiting_surplus.append(cid)
        self.stages.append(
            Stage(
                number=len(self.stages) + 1,
                action=action,
                subject=subject,
                totals={cid: as_votes(units) for cid, units in totals.items()},
                transfers={cid: as_votes(totals[cid] - previous[cid]) for cid in self.candidates},
                transfer_values=tuple(as_votes(v) for v in transfer_values),
                non_transferable=as_votes(non_transferable),
                non_transferable_total=as_votes(self.non_transferable_total),
                lost_to_rounding=as_votes(lost),
                lost_to_rounding_total=as_votes(self.lost_total),
                elected=tuple(newly),
                tie_break=tie_break,
            )
        )
