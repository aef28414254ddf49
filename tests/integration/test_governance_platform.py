"""Governance through the real gateway, broker and service processes.

Members are put on the register through the generic contract (`record_member_status`,
called by RPC with an administrator caller, as any cooperative's feeding system would),
except in the patronage test, which drives it with billing-shaped events to prove the
Loconomics mapping is wired. Time moves with the shared clock file, in small steps, and
each test puts it back as it found it: access tokens are checked against real time for
their issue time, so everyone signs up before the clock moves.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from loconomics_governance.domain import stv
from loconomics_governance.domain.blt import read_blt
from loconomics_plumbing.clock import move_clock
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from platform_client import Person

pytestmark = pytest.mark.integration

FEEDER = {"user_id": "governance-integration-tests", "roles": "admin"}
LEAD = timedelta(seconds=15)
VOTING = timedelta(seconds=60)


# Time


def clock_offset(platform) -> timedelta:
    path = Path(platform.env()["LOCONOMICS_CLOCK_FILE"])
    text = path.read_text().strip() if path.exists() else ""
    return timedelta(seconds=float(text or 0))


def platform_now(platform) -> datetime:
    return datetime.now(UTC) + clock_offset(platform)


def advance(platform, delta: timedelta) -> None:
    move_clock(platform.env()["LOCONOMICS_CLOCK_FILE"], clock_offset(platform) + delta)


@pytest.fixture(autouse=True)
def restore_clock(platform):
    before = clock_offset(platform)
    yield
    move_clock(platform.env()["LOCONOMICS_CLOCK_FILE"], before)


def wait_until(check: Callable[[], object], what: str, timeout: float = 40.0):
    """Poll until `check()` is truthy: the timer runs every few seconds, not on demand."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


# The register, through the generic RPC contract


@contextmanager
def governance_rpc(platform, context: dict = FEEDER):
    config = {"AMQP_URI": platform.amqp_uri}
    with ClusterRpcProxy(config, context_data=context, timeout=15) as proxy:
        yield proxy.governance


@pytest.fixture
def members(platform, api):
    """Sign people up and report them active since yesterday, as a feeding system would.

    They withdraw when the test ends, so later rolls (and quorums) are not theirs.
    """
    enrolled: list[Person] = []

    def enrol(*names: str) -> list[Person]:
        people = [api.sign_up(roles=["professional"], name=name) for name in names]
        since = (platform_now(platform) - timedelta(days=1)).isoformat()
        with governance_rpc(platform) as governance:
            for person, name in zip(people, names, strict=True):
                recorded = governance.record_member_status(
                    external_id=person.account_id, status="active", occurred_at=since, name=name
                )
                assert recorded["in_good_standing"] is True
        enrolled.extend(people)
        return people

    yield enrol
    with governance_rpc(platform) as governance:
        for person in enrolled:
            governance.record_member_status(
                external_id=person.account_id,
                status="withdrawn",
                occurred_at=datetime.now(UTC).isoformat(),
            )


def window(platform) -> dict:
    opens = platform_now(platform) + LEAD
    return {"opens_at": opens.isoformat(), "closes_at": (opens + VOTING).isoformat()}


def open_proposal(platform, api, author: Person, **extra) -> str:
    created = api.post(
        "/v1/governance/proposals",
        token=author.token,
        json={"title": "Adopt the 2026 budget", "kind": "ordinary", **window(platform), **extra},
    )
    assert created.status_code == 201, created.text
    pid = created.json()["proposal_id"]
    advance(platform, LEAD + timedelta(seconds=1))
    wait_until(lambda: proposal(api, author, pid)["status"] == "open", "the proposal to open")
    return pid


def close_voting(platform) -> None:
    advance(platform, VOTING + timedelta(seconds=1))


def proposal(api, person: Person, pid: str) -> dict:
    answer = api.get(f"/v1/governance/proposals/{pid}", token=person.token)
    assert answer.status_code == 200, answer.text
    return answer.json()


def vote(api, person: Person, pid: str, choice: str):
    return api.post(
        f"/v1/governance/proposals/{pid}/votes", token=person.token, json={"choice": choice}
    )


def governance_db(platform) -> sqlite3.Connection:
    path = Path(platform.var) / "data" / "governance.sqlite3"
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


# Proposals


def test_a_proposal_end_to_end(platform, api, members):
    ana, ben, cleo = members("Ana", "Ben", "Cleo")
    outsider = api.sign_up(roles=["client"], name="Not A Member")

    refused = api.post(
        "/v1/governance/proposals",
        token=outsider.token,
        json={"title": "Free lunch", "kind": "ordinary"},
    )
    assert refused.status_code == 403
    me = api.get("/v1/me/member", token=ana.token).json()
    assert me["in_good_standing"] is True and me["voting_rights"]["may_propose"] is True

    pid = open_proposal(platform, api, ana)
    receipts = {}
    for person, choice in ((ana, "yes"), (ben, "yes"), (cleo, "no")):
        cast = vote(api, person, pid, choice)
        assert cast.status_code == 201, cast.text
        receipts[cast.json()["receipt"]] = choice
    assert vote(api, ana, pid, "no").status_code == 409
    assert vote(api, outsider, pid, "yes").status_code == 403

    during = proposal(api, ben, pid)
    assert during["status"] == "open"
    assert during["tally"] is None and during["outcome"] is None
    assert api.get(f"/v1/governance/proposals/{pid}/ballots", token=ben.token).status_code == 409
    open_ballots = api.get("/v1/me/member", token=cleo.token).json()["voting_rights"]
    assert {"ballot_id": pid, "voted": True} in [
        {"ballot_id": b["ballot_id"], "voted": b["voted"]} for b in open_ballots["open_ballots"]
    ]

    close_voting(platform)
    closed = wait_until(
        lambda: (p := proposal(api, ben, pid))["status"] == "closed" and p, "the close"
    )
    assert closed["outcome"] == "passed"
    assert closed["tally"] == {
        "yes": 2, "no": 1, "abstain": 0, "votes_cast": 3, "roll_size": 3, "quorum_met": True
    }  # fmt: skip

    published = api.get(f"/v1/governance/proposals/{pid}/ballots", token=cleo.token).json()
    assert {b["receipt"]: b["choice"] for b in published["ballots"]} == receipts
    audit = api.get(f"/v1/governance/proposals/{pid}/audit", token=cleo.token).json()
    assert (audit["roll_size"], audit["voted"]) == (3, 3)
    assert {e["external_id"] for e in audit["entries"]} == {p.account_id for p in (ana, ben, cleo)}
    assert all(set(entry) == {"external_id", "name", "voted"} for entry in audit["entries"])


def test_a_member_votes_once_even_with_twenty_concurrent_requests(platform, api, members):
    dana, eli = members("Dana", "Eli")
    pid = open_proposal(platform, api, dana)
    start = threading.Barrier(20)

    def one_try(_):
        start.wait()
        return vote(api.__class__(api.base_url), dana, pid, "yes").status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = sorted(pool.map(one_try, range(20)))
    assert statuses == [201] + [409] * 19

    with governance_db(platform) as db:
        stored = db.execute("SELECT count(*) FROM proposal_votes WHERE proposal_id = ?", (pid,))
        assert stored.fetchone()[0] == 1
        marked = db.execute(
            "SELECT count(*) FROM roll_entries WHERE ballot_id = ? AND voted_at IS NOT NULL",
            (pid,),
        )
        assert marked.fetchone()[0] == 1
    assert vote(api, eli, pid, "no").status_code == 201


def test_nothing_in_the_database_links_a_ballot_to_its_voter(platform, api, members):
    people = members("Fay", "Gus", "Hal", "Ida", "Jo")
    pid = open_proposal(platform, api, people[0])
    receipts = []
    for person, choice in zip(people, ("yes", "no", "yes", "abstain", "yes"), strict=True):
        cast = vote(api, person, pid, choice)
        assert cast.status_code == 201
        receipts.append(cast.json()["receipt"])

    with governance_db(platform) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(proposal_votes)")]
        assert columns == ["id", "proposal_id", "choice", "receipt"]
        schema = db.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'proposal_votes'"
        ).fetchone()[0]
        assert "WITHOUT ROWID" in schema.upper()
        with pytest.raises(sqlite3.OperationalError):
            db.execute("SELECT rowid FROM proposal_votes")
        rows = db.execute(
            # `+proposal_id` keeps SQLite off the receipt index: a scan of the table itself
            "SELECT id, proposal_id, choice, receipt FROM proposal_votes WHERE +proposal_id = ?",
            (pid,),
        ).fetchall()
        ids_while_open = {row[0] for row in rows}
        identities = {
            value for row in db.execute("SELECT id, external_id FROM members") for value in row
        }
        names = {row[0] for row in db.execute("SELECT name FROM members WHERE name IS NOT NULL")}
        on_roll = db.execute(
            "SELECT member_id, voted_at FROM roll_entries WHERE ballot_id = ?", (pid,)
        ).fetchall()
        outbox = [row[0] for row in db.execute("SELECT payload FROM outbox_events")]
    assert sorted(row[3] for row in rows) == sorted(receipts)
    stored_order = [row[0] for row in rows]
    assert stored_order == sorted(stored_order), "stored in the order of the random key"
    values = {value for row in rows for value in row}
    assert not any(identity in value for identity in identities for value in values)
    assert not values & names
    assert len(on_roll) == 5 and all(voted_at for _, voted_at in on_roll)
    assert not any(receipt in payload for receipt in receipts for payload in outbox)

    close_voting(platform)
    wait_until(lambda: proposal(api, people[1], pid)["status"] == "closed", "the close")
    with governance_db(platform) as db:
        after = db.execute(
            "SELECT id, receipt FROM proposal_votes WHERE proposal_id = ?", (pid,)
        ).fetchall()
    assert sorted(receipt for _, receipt in after) == sorted(receipts)
    assert not {ballot_id for ballot_id, _ in after} & ids_while_open, "resealed at close"


# Board elections


def test_a_board_election_counted_by_scottish_stv(platform, api, admin, members):
    names = ["Ana", "Ben", "Cleo", "Dev", "Eve", "Fay", "Gus", "Hal", "Ida"]
    people = dict(zip(names, members(*names), strict=True))
    opens = platform_now(platform) + LEAD
    body = {
        "title": "Board of directors",
        "seats": 2,
        "opens_at": opens.isoformat(),
        "closes_at": (opens + VOTING).isoformat(),
    }
    assert (
        api.post("/v1/governance/elections", token=people["Ana"].token, json=body).status_code
        == 403
    )
    created = api.post("/v1/governance/elections", token=admin.token, json=body)
    assert created.status_code == 201, created.text
    eid = created.json()["election_id"]

    candidates = {}
    for name in ("Ana", "Ben", "Cleo", "Dev"):
        stood = api.post(
            f"/v1/governance/elections/{eid}/candidates",
            token=people[name].token,
            json={"statement": f"{name} for the board"},
        )
        assert stood.status_code == 201, stood.text
        candidates[name] = stood.json()["candidate_id"]
    again = api.post(f"/v1/governance/elections/{eid}/candidates", token=people["Ana"].token)
    assert again.status_code == 409

    advance(platform, LEAD + timedelta(seconds=1))
    wait_until(
        lambda: (
            api.get(f"/v1/governance/elections/{eid}", token=admin.token).json()["status"] == "open"
        ),
        "the election to open",
    )
    late = api.post(f"/v1/governance/elections/{eid}/candidates", token=people["Eve"].token)
    assert late.status_code == 409

    a, b, c, d = (candidates[n] for n in ("Ana", "Ben", "Cleo", "Dev"))
    profile = {
        "Ana": [a, c, b], "Eve": [a, c, b], "Fay": [a, c, b], "Gus": [a, c, b], "Hal": [a, c, b],
        "Ben": [b, d], "Ida": [b, d], "Cleo": [c, b], "Dev": [d, b],
    }  # fmt: skip
    receipts = {}
    for name, ranking in profile.items():
        cast = api.post(
            f"/v1/governance/elections/{eid}/ballots",
            token=people[name].token,
            json={"ranking": ranking},
        )
        assert cast.status_code == 201, cast.text
        receipts[cast.json()["receipt"]] = ranking
    second = api.post(
        f"/v1/governance/elections/{eid}/ballots", token=people["Ana"].token, json={"ranking": [b]}
    )
    assert second.status_code == 409
    assert api.get(f"/v1/governance/elections/{eid}/result", token=admin.token).status_code == 409

    advance(platform, VOTING + timedelta(seconds=1))
    result = wait_until(
        lambda: (
            (r := api.get(f"/v1/governance/elections/{eid}/result", token=admin.token)).status_code
            == 200
            and r.json()
        ),
        "the count",
    )
    # 9 papers, 2 seats: quota 4. Ana 5 is elected, her surplus of 1 goes to Cleo at 0.2 a
    # paper; Dev (1) is excluded, his paper goes to Ben; Cleo (2) is excluded and Ben reaches 5.
    assert result["quota"] == 4 and result["valid_papers"] == 9
    assert [e["name"] for e in result["elected"]] == ["Ana", "Ben"]
    by_id = {v: k for k, v in candidates.items()}
    stages = [
        (s["action"], by_id.get(s["subject"]), {by_id[k]: v for k, v in s["totals"].items()})
        for s in result["stages"]
    ]
    assert stages == [
        ("first_preferences", None,
         {"Ana": "5.00000", "Ben": "2.00000", "Cleo": "1.00000", "Dev": "1.00000"}),
        ("surplus", "Ana",
         {"Ana": "4.00000", "Ben": "2.00000", "Cleo": "2.00000", "Dev": "1.00000"}),
        ("exclusion", "Dev",
         {"Ana": "4.00000", "Ben": "3.00000", "Cleo": "2.00000", "Dev": "0.00000"}),
        ("exclusion", "Cleo",
         {"Ana": "4.00000", "Ben": "5.00000", "Cleo": "0.00000", "Dev": "0.00000"}),
    ]  # fmt: skip
    assert result["stages"][1]["transfer_values"] == ["0.20000"]

    published = api.get(f"/v1/governance/elections/{eid}/ballots", token=people["Ida"].token)
    assert {b["receipt"]: b["ranking"] for b in published.json()["ballots"]} == receipts
    blt = api.get(f"/v1/governance/elections/{eid}/ballots.blt", token=people["Ida"].token)
    assert blt.headers["Content-Type"].startswith("text/plain")
    recount = read_blt(blt.text)
    again = stv.count(recount.rankings(), recount.seats, recount.standing(), seed=eid)
    assert [recount.name_of(number) for number in again.elected] == ["Ana", "Ben"]
    audit = api.get(f"/v1/governance/elections/{eid}/audit", token=people["Ida"].token).json()
    assert (audit["roll_size"], audit["voted"]) == (9, 9)


# Patronage, fed by billing-shaped events


def test_patronage_from_billing_events_and_an_allocation_to_the_cent(platform, api, admin):
    people = [api.sign_up(roles=["professional"], name=n) for n in ("Kim", "Lou", "Max")]
    changed_at = platform_now(platform) - timedelta(days=400)
    dues = (1_000, 2_000, 3_333)
    dispatch = event_dispatcher({"AMQP_URI": platform.amqp_uri})
    for n, (person, cents) in enumerate(zip(people, dues, strict=True)):
        dispatch(
            "billing",
            "owner_status_changed",
            {
                "event_id": f"test-owner-{person.account_id}",
                "occurred_at": changed_at.isoformat(),
                "user_id": person.account_id,
                "from": "trial",
                "to": "active",
                "plan_id": "owner-growth-monthly",
                "reason": "subscription_active",
                "changed_at": changed_at.isoformat(),
            },
        )
        dispatch(
            "billing",
            "dues_paid",
            {
                "event_id": f"test-dues-{person.account_id}",
                "occurred_at": "2024-06-01T12:00:00+00:00",
                "user_id": person.account_id,
                "invoice_id": f"in_test_{n}_{person.account_id[:8]}",
                "amount_cents": cents,
                "currency": "USD",
                "paid_at": "2024-06-01T12:00:00+00:00",
                "fiscal_year": 2024,
            },
        )
    for person, name in zip(people, ("Kim", "Lou", "Max"), strict=True):
        me = wait_until(
            lambda p=person: (
                (r := api.get("/v1/me/member", token=p.token)).status_code == 200 and r.json()
            ),
            "billing's owner_status_changed to reach the register",
        )
        assert me["status"] == "active"
        named = wait_until(
            lambda p=person, n=name: api.get("/v1/me/member", token=p.token).json()["name"] == n,
            "the name from profiles' account_created",
        )
        assert named
    with governance_rpc(platform) as governance:
        governance.record_patronage(
            external_id=people[0].account_id,
            occurred_at="2024-07-01T00:00:00+00:00",
            source_event_id=f"test-bookings-{people[0].account_id}",
            completed_bookings=3,
        )

    ours = {p.account_id for p in people}

    def year_of_ours():
        answer = api.get("/v1/governance/patronage/2024", token=admin.token)
        assert answer.status_code == 200, answer.text
        found = [m for m in answer.json()["members"] if m["external_id"] in ours]
        return found if len(found) == 3 else None

    year = wait_until(year_of_ours, "dues_paid to reach patronage")
    points = {m["external_id"]: m["points"] for m in year}
    assert points[people[0].account_id] == "40"
    assert points[people[2].account_id] == "33.33"

    assert api.get("/v1/governance/patronage/2024", token=people[0].token).status_code == 403
    for not_a_year in ("twenty", "1899", "10000"):
        refused = api.get(f"/v1/governance/patronage/{not_a_year}", token=admin.token)
        assert refused.status_code == 422, (not_a_year, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert list(refused.json()["errors"]) == ["year"], refused.text
    body = {"surplus": {"amount_cents": 1_000_003, "currency": "USD"}, "cash_percent": 35}
    assert (
        api.post(
            "/v1/governance/patronage/2024/allocation",
            token=admin.token,
            json={**body, "cash_percent": 10},
        ).status_code
        == 422
    )
    assert (
        api.post(
            "/v1/governance/patronage/2024/allocation", token=people[0].token, json=body
        ).status_code
        == 403
    )
    proposed = api.post(
        "/v1/governance/patronage/2024/allocation",
        token=admin.token,
        json={**body, **window(platform)},
    )
    assert proposed.status_code == 201, proposed.text
    allocation = proposed.json()
    shares = allocation["shares"]
    assert sum(s["amount"]["amount_cents"] for s in shares) == 1_000_003
    for share in shares:
        amount = share["amount"]["amount_cents"]
        cash, retained = share["cash"]["amount_cents"], share["retained"]["amount_cents"]
        assert cash + retained == amount
        assert cash * 100 >= 35 * amount > (cash - 1) * 100
    assert (
        allocation["cash_total"]["amount_cents"] + allocation["retained_total"]["amount_cents"]
        == 1_000_003
    )

    pid = allocation["proposal_id"]
    advance(platform, LEAD + timedelta(seconds=1))
    wait_until(lambda: proposal(api, admin, pid)["status"] == "open", "the allocation vote")
    for person in people:
        assert vote(api, person, pid, "yes").status_code == 201
    close_voting(platform)
    wait_until(lambda: proposal(api, admin, pid)["status"] == "closed", "the allocation close")
    decided = proposal(api, admin, pid)
    assert decided["outcome"] == "passed", decided["tally"]
    mine = wait_until(
        lambda: [
            y
            for y in api.get("/v1/me/patronage", token=people[2].token).json()["years"]
            if y["fiscal_year"] == 2024 and (y["allocation"] or {}).get("status") == "approved"
        ],
        "the allocation to be approved",
    )
    [max_share] = [s for s in shares if s["external_id"] == people[2].account_id]
    assert mine[0]["allocation"]["amount"] == max_share["amount"]
