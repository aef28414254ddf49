"""Governance routes with the RPC pool replaced: what each path asks of the service."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from falcon import testing
from jsonschema import Draft202012Validator
from loconomics_gateway.app import create_app
from loconomics_gateway.routes import governance
from loconomics_gateway.settings import Settings
from loconomics_governance.schemas import MyPatronageSchema, YearPatronageSchema
from loconomics_plumbing.errors import Conflict, Forbidden
from loconomics_plumbing.tokens import issue_access_token
from openapi_spec_validator import validate


class FakeGovernance:
    """Answers governance RPCs from a script; records each call with its caller."""

    timeout = 1.0

    def __init__(self):
        self.calls = []
        self.answers = {}

    def call(self, service, method, caller=None, timeout=None, request_id=None, **kwargs):
        self.calls.append((service, method, caller, kwargs))
        answer = self.answers.get(method, {"answered": method})
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def pool():
    return FakeGovernance()


@pytest.fixture
def client(pool):
    return testing.TestClient(create_app(Settings.from_env(), pool_of=lambda: pool))


def auth(user_id="member-1", roles=("professional",)):
    token, _ = issue_access_token(user_id, list(roles), datetime.now(UTC))
    return {"Authorization": f"Bearer {token}"}


WINDOW = {"opens_at": "2030-01-01T09:00:00+00:00", "closes_at": "2030-01-08T09:00:00+00:00"}

ROUTES = [
    ("GET", "/v1/me/member", None, "my_membership", {}, 200),
    ("GET", "/v1/governance/members?status=active&limit=5", None, "list_members",
     {"status": "active", "limit": 5}, 200),
    ("GET", "/v1/governance/members/acc-9", None, "get_member", {"external_id": "acc-9"}, 200),
    ("POST", "/v1/governance/proposals",
     {"title": "Adopt the budget", "body": "...", "kind": "ordinary", **WINDOW},
     "create_proposal",
     {"title": "Adopt the budget", "body": "...", "kind": "ordinary", **WINDOW}, 201),
    ("GET", "/v1/governance/proposals?status=open", None, "list_proposals",
     {"status": "open", "limit": 20}, 200),
    ("GET", "/v1/governance/proposals/p1", None, "get_proposal", {"proposal_id": "p1"}, 200),
    ("PUT", "/v1/governance/proposals/p1/schedule", WINDOW, "schedule_proposal",
     {"proposal_id": "p1", **WINDOW}, 200),
    ("POST", "/v1/governance/proposals/p1/votes", {"choice": "abstain"}, "cast_vote",
     {"proposal_id": "p1", "choice": "abstain"}, 201),
    ("GET", "/v1/governance/proposals/p1/ballots", None, "proposal_ballots",
     {"proposal_id": "p1"}, 200),
    ("GET", "/v1/governance/proposals/p1/audit", None, "proposal_audit",
     {"proposal_id": "p1"}, 200),
    ("POST", "/v1/governance/elections", {"title": "Board 2030", "seats": 3, **WINDOW},
     "create_election", {"title": "Board 2030", "seats": 3, **WINDOW}, 201),
    ("GET", "/v1/governance/elections", None, "list_elections", {"limit": 20}, 200),
    ("GET", "/v1/governance/elections/e1", None, "get_election", {"election_id": "e1"}, 200),
    ("POST", "/v1/governance/elections/e1/candidates", {"statement": "I will listen."},
     "nominate", {"election_id": "e1", "statement": "I will listen."}, 201),
    ("DELETE", "/v1/governance/elections/e1/candidates/me", None, "withdraw",
     {"election_id": "e1"}, 200),
    ("POST", "/v1/governance/elections/e1/ballots", {"ranking": ["c2", "c1"]}, "cast_ballot",
     {"election_id": "e1", "ranking": ["c2", "c1"]}, 201),
    ("GET", "/v1/governance/elections/e1/result", None, "election_result",
     {"election_id": "e1"}, 200),
    ("GET", "/v1/governance/elections/e1/ballots", None, "election_ballots",
     {"election_id": "e1"}, 200),
    ("GET", "/v1/governance/elections/e1/audit", None, "election_audit",
     {"election_id": "e1"}, 200),
    ("GET", "/v1/me/patronage", None, "my_patronage", {}, 200),
    ("GET", "/v1/governance/patronage/2025", None, "year_patronage", {"fiscal_year": "2025"}, 200),
    ("POST", "/v1/governance/patronage/2025/allocation",
     {"surplus": {"amount_cents": 1_000_001, "currency": "USD"}, "cash_percent": 30},
     "propose_allocation",
     {"fiscal_year": "2025", "surplus": {"amount_cents": 1_000_001, "currency": "USD"},
      "cash_percent": 30}, 201),
    ("GET", "/v1/governance/allocations/a1", None, "get_allocation", {"allocation_id": "a1"}, 200),
]  # fmt: skip


@pytest.mark.parametrize(("verb", "path", "body", "method", "kwargs", "status"), ROUTES)
def test_each_route_asks_governance_once_with_the_caller(
    client, pool, verb, path, body, method, kwargs, status
):
    answer = client.simulate_request(
        verb, path, json=body, headers=auth("acc-3", ("professional", "admin"))
    )
    assert answer.status_code == status, answer.text
    assert answer.json == {"answered": method}
    [(service, called, caller, sent)] = pool.calls
    assert (service, called, sent) == ("governance", method, kwargs)
    assert caller.user_id == "acc-3" and caller.roles == {"professional", "admin"}


def test_every_governance_route_needs_a_token(client, pool):
    for verb, path, body, *_ in ROUTES:
        answer = client.simulate_request(verb, path, json=body)
        assert answer.status_code == 401, path
    assert pool.calls == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/governance/proposals/p1/votes", {"choice": "maybe"}, "choice"),
        ("/v1/governance/proposals/p1/votes", {"choice": "yes", "member": "x"}, "member"),
        ("/v1/governance/elections/e1/ballots", {"ranking": []}, "ranking"),
        ("/v1/governance/elections", {"title": "Board", "seats": 0, **WINDOW}, "seats"),
        ("/v1/governance/proposals", {"title": "T", "kind": "urgent"}, "kind"),
        (
            "/v1/governance/patronage/2025/allocation",
            {"surplus": {"amount_cents": -1}, "cash_percent": 30},
            "surplus.amount_cents",
        ),
    ],
)
def test_bad_input_is_refused_before_any_rpc(client, pool, path, body, field):
    answer = client.simulate_post(path, json=body, headers=auth())
    assert answer.status_code == 422
    assert field in answer.json["errors"]
    assert pool.calls == []


def test_a_second_vote_is_a_409_problem(client, pool):
    pool.answers["cast_vote"] = Conflict("You have already voted on this ballot.")
    answer = client.simulate_post(
        "/v1/governance/proposals/p1/votes", json={"choice": "yes"}, headers=auth()
    )
    assert answer.status_code == 409
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json["detail"] == "You have already voted on this ballot."


def test_the_service_decides_who_may_call_an_election(client, pool):
    pool.answers["create_election"] = Forbidden("Only an administrator may do this.")
    answer = client.simulate_post(
        "/v1/governance/elections", json={"title": "Board", "seats": 2, **WINDOW}, headers=auth()
    )
    assert answer.status_code == 403
    assert pool.calls[0][1] == "create_election"


def test_published_ballots_as_a_blt_file(client, pool):
    blt = '3 2\n1 1 2 0\n1 3 0\n0\n"Ana"\n"Bo"\n"Cy"\n"Board"\n'
    pool.answers["election_ballots"] = {"election_id": "e1", "ballots": [], "blt": blt}
    answer = client.simulate_get("/v1/governance/elections/e1/ballots.blt", headers=auth())
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert 'filename="election-e1.blt"' in answer.headers["content-disposition"]
    assert answer.text == blt
    assert pool.calls[0][1:4:2] == ("election_ballots", {"election_id": "e1"})


def test_openapi_documents_every_governance_route(client):
    spec = client.simulate_get("/openapi.json").json
    validate(spec)
    documented = {
        (verb.upper(), path)
        for path, verbs in spec["paths"].items()
        for verb in verbs
        if "Governance" in verbs[verb]["tags"]
    }
    assert documented == {(op.method, op.path) for op in governance.OPERATIONS}
    vote = spec["paths"]["/v1/governance/proposals/{proposal_id}/votes"]["post"]
    assert {"201", "401", "403", "409", "422"} <= set(vote["responses"])
    blt = spec["paths"]["/v1/governance/elections/{election_id}/ballots.blt"]["get"]
    assert "text/plain; charset=utf-8" in blt["responses"]["200"]["content"]


def test_patronage_points_are_documented_as_the_text_the_service_sends(client):
    """Points are exact decimals sent as text ("19.5"); the document must not promise numbers."""
    spec = client.simulate_get("/openapi.json").json
    share = {"allocation_id": "a1", "status": "proposed", "points": Decimal("19.5")}
    mine = MyPatronageSchema().dump(
        {
            "external_id": "m1",
            "years": [
                {
                    "fiscal_year": 2026,
                    "dues": {"amount_cents": 1900, "currency": "USD"},
                    "completed_bookings": 3,
                    "points": Decimal("19.5"),
                    "allocation": share,
                }
            ],
        }
    )
    year = YearPatronageSchema().dump(
        {
            "fiscal_year": 2026,
            "basis": {"dues_dollar": Decimal("1"), "completed_booking": Decimal("0.5")},
            "members": [{"external_id": "m1", "name": None, "points": Decimal("19.5")}],
            "total_points": Decimal("19.5"),
            "allocation": None,
        }
    )
    assert mine["years"][0]["points"] == "19.5" and year["total_points"] == "19.5"
    for path, answer in (("/v1/me/patronage", mine), ("/v1/governance/patronage/{year}", year)):
        schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        Draft202012Validator({**schema["schema"], "components": spec["components"]}).validate(
            answer
        )


def test_the_patronage_year_is_documented_as_the_services_own_integer(client):
    """An app can tell a year from an id: the document gives the range the service checks."""
    spec = client.simulate_get("/openapi.json").json
    for path, verb in (
        ("/v1/governance/patronage/{year}", "get"),
        ("/v1/governance/patronage/{year}/allocation", "post"),
    ):
        (year,) = spec["paths"][path][verb]["parameters"]
        assert year["name"] == "year" and year["in"] == "path"
        assert year["schema"]["type"] == "integer"
        assert (year["schema"]["minimum"], year["schema"]["maximum"]) == (1900, 9999)
    election = spec["paths"]["/v1/governance/elections/{election_id}"]["get"]["parameters"]
    assert election[0]["schema"] == {"type": "string"}
    validate(spec)


@pytest.mark.parametrize("year", ["twenty", "1899", "10000", "2025.5"])
def test_a_year_that_is_not_one_is_refused_under_its_path_name_without_a_call(client, pool, year):
    for method, path in (
        ("GET", f"/v1/governance/patronage/{year}"),
        ("POST", f"/v1/governance/patronage/{year}/allocation"),
    ):
        body = {"surplus": {"amount_cents": 100, "currency": "USD"}, "cash_percent": 40}
        answer = client.simulate_request(
            method, path, json=body if method == "POST" else None, headers=auth(roles=("admin",))
        )
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert list(answer.json["errors"]) == ["year"]
    assert pool.calls == []
