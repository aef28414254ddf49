"""A whole board election and a proposal, through governance's RPC and nothing else.

Needs only RabbitMQ and the governance service (no gateway, no other Loconomics service):

    AMQP_URI=amqp://guest:guest@127.0.0.1:5672/ python deploy/governance-alone/example_election.py

It registers nine members through the generic contract (`record_member_status`), calls a
two-seat board election and puts a proposal to the members, has four members stand, waits
for voting to open, casts ranked ballots and votes, waits for the close, then prints every
stage of the Scottish STV count, checks each voter's receipt against the published
ballots, and prints the proposal's outcome. The board's calls carry an administrator
caller; each member's calls carry that member's id: nameko context data, as your own
application would set it.

Voting windows are a few seconds long, so the script calls `run_timetable` (administrators)
once each window has passed instead of waiting for the service's timer.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

BOARD = {"user_id": "example-board", "roles": "admin"}
NAMES = ("Ana", "Ben", "Cleo", "Dev", "Eve", "Fay", "Gus", "Hal", "Ida")
CANDIDATES = ("Ana", "Ben", "Cleo", "Dev")
# Who ranks whom (candidate names, most preferred first) and how each votes on the proposal.
BALLOTS = {
    "Ana": ("Ana", "Cleo", "Ben"),
    "Eve": ("Ana", "Cleo", "Ben"),
    "Fay": ("Ana", "Cleo", "Ben"),
    "Gus": ("Ana", "Cleo", "Ben"),
    "Hal": ("Ana", "Cleo", "Ben"),
    "Ben": ("Ben", "Dev"),
    "Ida": ("Ben", "Dev"),
    "Cleo": ("Cleo", "Ben"),
    "Dev": ("Dev", "Ben"),
}
VOTES = {
    "Ana": "yes", "Ben": "yes", "Cleo": "no", "Dev": "yes", "Eve": "abstain",
    "Fay": "yes", "Gus": "no", "Hal": "yes",
}  # fmt: skip


class Cooperative:
    """One RPC proxy per caller: the board, and each member by their own id."""

    def __init__(self, amqp_uri: str, stack: ExitStack, prefix: str):
        self.config = {"AMQP_URI": amqp_uri}
        self.stack = stack
        self.prefix = prefix
        self.proxies: dict[str, object] = {}

    def member_id(self, name: str) -> str:
        return f"{self.prefix}-{name.lower()}"

    def _proxy(self, key: str, context: dict):
        if key not in self.proxies:
            cluster = ClusterRpcProxy(self.config, context_data=context, timeout=30)
            self.proxies[key] = self.stack.enter_context(cluster)
        return self.proxies[key].governance

    @property
    def board(self):
        return self._proxy("board", BOARD)

    def member(self, name: str):
        return self._proxy(name, {"user_id": self.member_id(name), "roles": ""})


def wait_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.5)


def statuses(coop: Cooperative, eid: str, pid: str) -> str:
    """The run that opened or closed them may be ours or the service's own timer."""
    election = coop.board.get_election(election_id=eid)["status"]
    proposal = coop.board.get_proposal(proposal_id=pid)["status"]
    return f"{election} for the election, {proposal} for the proposal"


def stage_line(stage: dict, names: dict[str, str]) -> str:
    subject = names.get(stage["subject"], "")
    if stage["action"] == "first_preferences":
        what = "first preferences"
    elif stage["action"] == "surplus":
        values = ", ".join(stage["transfer_values"])
        what = f"surplus of {subject} transferred at {values}"
    else:
        what = f"{subject} excluded"
    totals = ", ".join(f"{names[cid]} {votes}" for cid, votes in stage["totals"].items())
    line = f"  Stage {stage['number']} ({what}): {totals}"
    if stage["non_transferable_total"] != "0.00000":
        line += f"; non-transferable {stage['non_transferable_total']}"
    if stage["elected"]:
        line += f"; elected {', '.join(names[cid] for cid in stage['elected'])}"
    if stage["tie_break"]:
        line += f" (tie broken by {stage['tie_break']})"
    return line


def run(amqp_uri: str, lead: float, voting: float, blt_path: Path | None) -> int:
    prefix = f"example-{secrets.token_hex(3)}"
    with ExitStack() as stack:
        coop = Cooperative(amqp_uri, stack, prefix)
        print(f"Governance at {amqp_uri.rsplit('@', 1)[-1]} answers: {coop.board.ping()}")

        since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        for name in NAMES:
            coop.board.record_member_status(
                external_id=coop.member_id(name),
                status="active",
                occurred_at=since,
                name=name,
                source_event_id=f"{prefix}-joined-{name}",
            )
        print(f"Registered {len(NAMES)} members in good standing: {', '.join(NAMES)}")

        opens = datetime.now(UTC) + timedelta(seconds=lead)
        closes = opens + timedelta(seconds=voting)
        window = {"opens_at": opens.isoformat(), "closes_at": closes.isoformat()}
        election = coop.board.create_election(
            title="Board of directors", seats=2, nominations_close_at=opens.isoformat(), **window
        )
        eid = election["election_id"]
        proposal = coop.member("Ana").create_proposal(
            title="Adopt the 2026 budget", kind="ordinary", body="As circulated.", **window
        )
        pid = proposal["proposal_id"]
        print(f"Called election {eid} (2 seats) and proposal {pid}; voting opens at {opens:%X}")

        candidate_of = {}
        for name in CANDIDATES:
            stood = coop.member(name).nominate(election_id=eid, statement=f"{name} will serve.")
            candidate_of[name] = stood["candidate_id"]
        print(f"Standing: {', '.join(CANDIDATES)}")

        wait_until(opens)
        coop.board.run_timetable()
        print(f"Voting is {statuses(coop, eid, pid)}")

        receipts = {}
        for name, ranking in BALLOTS.items():
            cast = coop.member(name).cast_ballot(
                election_id=eid, ranking=[candidate_of[c] for c in ranking]
            )
            receipts[name] = cast["receipt"]
        for name, choice in VOTES.items():
            coop.member(name).cast_vote(proposal_id=pid, choice=choice)
        try:
            coop.member("Ana").cast_ballot(election_id=eid, ranking=[candidate_of["Dev"]])
            print("A second ballot was accepted!")
            return 1
        except RemoteError as error:
            if error.exc_type != "Conflict":
                raise
            print(f"Cast {len(receipts)} ballots and {len(VOTES)} votes; a second ballot: refused")

        wait_until(closes)
        coop.board.run_timetable()
        print(f"Voting is {statuses(coop, eid, pid)}")

        result = coop.member("Ida").election_result(election_id=eid)
        names = {c["candidate_id"]: c["name"] for c in result["candidates"]}
        print(
            f"\n{result['title']}: {result['rules']}\n"
            f"  {result['valid_papers']} valid papers, {result['seats']} seats, "
            f"quota {result['quota']}"
        )
        for stage in result["stages"]:
            print(stage_line(stage, names))
        print(f"Elected: {', '.join(c['name'] for c in result['elected'])}")

        published = coop.member("Ida").election_ballots(election_id=eid)
        found = {b["receipt"] for b in published["ballots"]}
        missing = [name for name, receipt in receipts.items() if receipt not in found]
        print(
            f"Published ballots: {len(published['ballots'])}; every voter's receipt found: "
            f"{'yes' if not missing else 'no, missing ' + ', '.join(missing)}"
        )
        if blt_path is not None:
            blt_path.write_text(published["blt"], encoding="utf-8")
            print(f"BLT file written to {blt_path}")

        decided = coop.member("Ida").get_proposal(proposal_id=pid)
        tally = decided["tally"]
        audit = coop.member("Ida").proposal_audit(proposal_id=pid)
        print(
            f"\nProposal '{decided['title']}': {decided['outcome']} "
            f"(yes {tally['yes']}, no {tally['no']}, abstain {tally['abstain']}; "
            f"roll {tally['roll_size']}, quorum {'met' if tally['quorum_met'] else 'not met'})"
        )
        print(f"Eligibility audit: {audit['voted']} of {audit['roll_size']} members voted")
        return 1 if missing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--amqp-uri",
        default=os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
        help="the broker governance listens on (default: $AMQP_URI)",
    )
    parser.add_argument("--lead-seconds", type=float, default=3.0, help="until voting opens")
    parser.add_argument("--voting-seconds", type=float, default=6.0, help="how long it stays open")
    parser.add_argument("--blt", type=Path, help="write the published ballots to this BLT file")
    args = parser.parse_args(argv)
    return run(args.amqp_uri, args.lead_seconds, args.voting_seconds, args.blt)


if __name__ == "__main__":
    sys.exit(main())
