"""How a proposal is decided: quorum first, then the majority its kind requires.

- Quorum: the votes cast, abstentions included, must reach `quorum_percent` of the roll
  (an abstaining member took part). An empty roll never has a quorum.
- `ordinary`: passes when yes votes outnumber no votes; abstentions count for the quorum
  only, not for the majority (Robert's Rules: "a majority of the votes cast", abstentions
  not being votes). A tie fails.
- `special` (bylaw changes, dissolution): passes when yes votes are at least two thirds of
  the yes and no votes; exactly two thirds passes. Abstentions count for the quorum only.

All arithmetic is on whole numbers, so "exactly two thirds" is never a rounding question.
"""

from __future__ import annotations

from dataclasses import dataclass

ORDINARY = "ordinary"
SPECIAL = "special"
KINDS = (ORDINARY, SPECIAL)
PASSED = "passed"
REJECTED = "rejected"
NO_QUORUM = "no_quorum"


@dataclass(frozen=True)
class Decision:
    outcome: str
    votes_cast: int
    quorum_met: bool


def decide(
    kind: str, yes: int, no: int, abstain: int, roll_size: int, quorum_percent: int
) -> Decision:
    if kind not in KINDS:
        raise ValueError(f"unknown proposal kind {kind!r}")
    if min(yes, no, abstain, roll_size) < 0 or not 0 <= quorum_percent <= 100:
        raise ValueError("counts are never negative and a quorum is a percentage")
    cast = yes + no + abstain
    quorum_met = roll_size > 0 and cast * 100 >= quorum_percent * roll_size
    if not quorum_met:
        return Decision(NO_QUORUM, cast, False)
    majority = yes > no if kind == ORDINARY else yes > 0 and 3 * yes >= 2 * (yes + no)
    return Decision(PASSED if majority else REJECTED, cast, True)
