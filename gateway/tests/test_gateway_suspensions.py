"""Reports of profiles and suspended accounts through the gateway, with the RPC pool scripted:
what reaches profiles, what is refused at the door, the statuses, and the OpenAPI document
(docs/suspensions.md)."""

from __future__ import annotations

import pytest
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound
from loconomics_plumbing.moderation import DETAILS_MAX, NOTE_MAX
from openapi_spec_validator import validate

ADMIN = ("admin",)
REPORT = {
    "id": "prep-1",
    "professional_id": "pro-1",
    "reason": "fake_profile",
    "details": None,
    "status": "open",
    "created_at": "2026-11-28T09:00:00+00:00",
    "resolved_at": None,
}
SUSPENSION = {
    "id": "susp-1",
    "account_id": "pro-1",
    "name": "Fay Fake",
    "email": "fay@example.org",
    "reason": "fake_profile",
    "note": None,
    "status": "current",
    "suspended_at": "2026-11-28T10:00:00+00:00",
    "suspended_by": "mod-1",
    "reinstated_at": None,
    "reinstated_by": None,
    "reinstatement_note": None,
}


def asked(pool, method: str) -> list:
    return pool.calls_to("profiles", method)


# a member reports a profile


def test_a_report_goes_to_profiles_for_the_caller_and_answers_201(client, pool, auth):
    pool.answers[("profiles", "report_profile")] = REPORT
    answer = client.simulate_post(
        "/v1/professionals/pro-1/reports",
        json={"reason": "fake_profile", "details": "The photos are a stock agency's."},
        headers=auth("client-2"),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json == REPORT
    [(_, _, caller, kwargs)] = asked(pool, "report_profile")
    assert caller.user_id == "client-2"
    assert kwargs == {
        "professional_id": "pro-1",
        "reason": "fake_profile",
        "details": "The photos are a stock agency's.",
    }


def test_a_repeated_idempotency_key_reports_once(client, pool, auth):
    pool.answers[("profiles", "report_profile")] = REPORT
    headers = {**auth("client-2"), "Idempotency-Key": "report-profile-once"}
    first = client.simulate_post(
        "/v1/professionals/pro-1/reports", json={"reason": "scam"}, headers=headers
    )
    again = client.simulate_post(
        "/v1/professionals/pro-1/reports", json={"reason": "scam"}, headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert len(asked(pool, "report_profile")) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"reason"}),
        ({"reason": "ugly"}, {"reason"}),
        ({"reason": "scam", "details": "x" * (DETAILS_MAX + 1)}, {"details"}),
        ({"reason": "scam", "professional_id": "pro-2"}, {"professional_id"}),
    ],
)
def test_a_bad_report_is_refused_at_the_door(client, pool, auth, body, fields):
    answer = client.simulate_post(
        "/v1/professionals/pro-1/reports", json=body, headers=auth("client-2")
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert set(answer.json["errors"]) == fields
    assert asked(pool, "report_profile") == []


def test_reporting_needs_a_token(client, pool):
    answer = client.simulate_post("/v1/professionals/pro-1/reports", json={"reason": "scam"})
    assert answer.status_code == 401
    assert pool.calls == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Forbidden("You cannot report your own profile."), 403),
        (NotFound("No such professional."), 404),
        (Conflict("You already reported this profile."), 409),
    ],
)
def test_profiles_refusals_of_a_report_are_problems(client, pool, auth, error, status):
    pool.answers[("profiles", "report_profile")] = error
    answer = client.simulate_post(
        "/v1/professionals/pro-1/reports", json={"reason": "scam"}, headers=auth("client-2")
    )
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json["detail"] == str(error.args[0])


# the moderators


@pytest.mark.parametrize(
    ("path", "method", "default", "given", "passed"),
    [
        (
            "/v1/admin/profile-reports",
            "list_profile_reports",
            {"status": "open", "limit": 20},
            {"status": "dismissed", "limit": "5", "cursor": "abc"},
            {"status": "dismissed", "limit": 5, "cursor": "abc"},
        ),
        (
            "/v1/admin/suspensions",
            "list_suspensions",
            {"status": "current", "limit": 20},
            {"status": "lifted", "account_id": "pro-1", "limit": "3"},
            {"status": "lifted", "account_id": "pro-1", "limit": 3},
        ),
    ],
)
def test_the_lists_pass_their_query_with_defaults(
    client, pool, auth, path, method, default, given, passed
):
    pool.answers[("profiles", method)] = {"items": [], "next_cursor": None}
    answer = client.simulate_get(path, headers=auth("mod-1", ADMIN))
    assert answer.status_code == 200, answer.text
    assert answer.json == {"items": [], "next_cursor": None}
    assert client.simulate_get(path, params=given, headers=auth("mod-1", ADMIN)).status_code == 200
    [first, second] = asked(pool, method)
    assert first[2].user_id == "mod-1" and first[2].is_admin
    assert first[3] == default
    assert second[3] == passed


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/admin/profile-reports", {"status": "closed"}, "status"),
        ("/v1/admin/profile-reports", {"limit": "0"}, "limit"),
        ("/v1/admin/suspensions", {"status": "open"}, "status"),
        ("/v1/admin/suspensions", {"account_id": "x" * 65}, "account_id"),
    ],
)
def test_a_bad_list_query_is_refused_at_the_door(client, pool, auth, path, params, field):
    answer = client.simulate_get(path, params=params, headers=auth("mod-1", ADMIN))
    assert answer.status_code == 422
    assert field in answer.json["errors"]
    assert pool.asked() == []


def test_suspending_reinstating_and_dismissing_reach_profiles_with_the_path_id(client, pool, auth):
    headers = auth("mod-1", ADMIN)
    pool.answers[("profiles", "suspend_account")] = SUSPENSION
    suspended = client.simulate_post(
        "/v1/admin/accounts/pro-1/suspension",
        json={"reason": "impersonation", "note": "Not the business named."},
        headers=headers,
    )
    assert suspended.status_code == 201, suspended.text
    assert suspended.json == SUSPENSION
    assert asked(pool, "suspend_account")[0][3] == {
        "account_id": "pro-1",
        "reason": "impersonation",
        "note": "Not the business named.",
    }
    reinstated = client.simulate_post(
        "/v1/admin/accounts/pro-1/reinstatement", json={"note": "Appeal heard."}, headers=headers
    )
    assert reinstated.status_code == 200, reinstated.text
    assert asked(pool, "reinstate_account")[0][3] == {
        "account_id": "pro-1",
        "note": "Appeal heard.",
    }
    bare = client.simulate_post("/v1/admin/accounts/pro-2/reinstatement", headers=headers)
    assert bare.status_code == 200, bare.text
    assert asked(pool, "reinstate_account")[1][3] == {"account_id": "pro-2"}
    dismissed = client.simulate_post(
        "/v1/admin/profile-reports/prep-1/dismissal", json={"note": "Checked."}, headers=headers
    )
    assert dismissed.status_code == 200, dismissed.text
    assert asked(pool, "dismiss_profile_report")[0][3] == {
        "report_id": "prep-1",
        "note": "Checked.",
    }
    assert {call[2].user_id for call in pool.asked()} == {"mod-1"}


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        ("/v1/admin/accounts/pro-1/suspension", {}, {"reason"}),
        ("/v1/admin/accounts/pro-1/suspension", {"reason": "annoying"}, {"reason"}),
        (
            "/v1/admin/accounts/pro-1/suspension",
            {"reason": "scam", "note": "x" * (NOTE_MAX + 1)},
            {"note"},
        ),
        ("/v1/admin/accounts/pro-1/suspension", {"reason": "scam", "until": "never"}, {"until"}),
        ("/v1/admin/accounts/pro-1/reinstatement", {"note": "x" * (NOTE_MAX + 1)}, {"note"}),
        ("/v1/admin/accounts/pro-1/reinstatement", {"reason": "scam"}, {"reason"}),
        ("/v1/admin/profile-reports/prep-1/dismissal", {"outcome": "upheld"}, {"outcome"}),
    ],
)
def test_a_bad_decision_is_refused_at_the_door(client, pool, auth, path, body, fields):
    answer = client.simulate_post(path, json=body, headers=auth("mod-1", ADMIN))
    assert answer.status_code == 422, answer.text
    assert set(answer.json["errors"]) == fields
    assert pool.asked() == []


@pytest.mark.parametrize(
    ("path", "method", "body"),
    [
        ("/v1/admin/accounts/pro-1/suspension", "suspend_account", {"reason": "scam"}),
        ("/v1/admin/accounts/pro-1/reinstatement", "reinstate_account", {}),
        ("/v1/admin/profile-reports/prep-1/dismissal", "dismiss_profile_report", {}),
    ],
)
@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Forbidden("no"), 403),
        (NotFound("no such account"), 404),
        (Conflict("already"), 409),
        (Invalid("not you", {"account_id": ["You cannot suspend your own account."]}), 422),
    ],
)
def test_profiles_refusals_of_a_decision_are_problems(
    client, pool, auth, path, method, body, error, status
):
    pool.answers[("profiles", method)] = error
    answer = client.simulate_post(path, json=body, headers=auth("mod-1", ADMIN))
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_member_who_is_not_a_moderator_gets_403_from_profiles(client, pool, auth):
    pool.answers[("profiles", "list_suspensions")] = Forbidden("This needs an administrator.")
    answer = client.simulate_get("/v1/admin/suspensions", headers=auth("client-2"))
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert client.simulate_get("/v1/admin/suspensions").status_code == 401


# the OpenAPI document

ROUTES = {
    ("/v1/professionals/{id}/reports", "post"): ("201", {"401", "403", "404", "409", "422"}),
    ("/v1/admin/profile-reports", "get"): ("200", {"401", "403", "422"}),
    ("/v1/admin/profile-reports/{id}/dismissal", "post"): (
        "200",
        {"401", "403", "404", "409", "422"},
    ),
    ("/v1/admin/accounts/{account_id}/suspension", "post"): (
        "201",
        {"401", "403", "404", "409", "422"},
    ),
    ("/v1/admin/accounts/{account_id}/reinstatement", "post"): (
        "200",
        {"401", "403", "404", "409", "422"},
    ),
    ("/v1/admin/suspensions", "get"): ("200", {"401", "403", "422"}),
}


def _schema_name(ref: dict) -> str:
    return ref["$ref"].rsplit("/", 1)[1]


def test_the_openapi_document_describes_the_six_routes(client):
    spec = client.simulate_get("/openapi.json").json
    validate(spec)
    for (path, verb), (success, refusals) in ROUTES.items():
        operation = spec["paths"][path][verb]
        assert operation["security"] == [{"bearer": []}], path
        assert success in operation["responses"], (path, verb)
        assert refusals <= set(operation["responses"]), (path, verb)
        for code in refusals:
            content = operation["responses"][code]["content"]
            assert "application/problem+json" in content, (path, verb, code)
    tags = {(path, verb): spec["paths"][path][verb]["tags"] for path, verb in ROUTES}
    assert tags.pop(("/v1/professionals/{id}/reports", "post")) == ["Professional profile"]
    assert {tuple(tag) for tag in tags.values()} == {("Administration",)}

    def body_of(path, verb):
        content = spec["paths"][path][verb]["requestBody"]["content"]["application/json"]
        return _schema_name(content["schema"])

    def answer_of(path, verb, code):
        content = spec["paths"][path][verb]["responses"][code]["content"]["application/json"]
        return _schema_name(content["schema"])

    assert body_of("/v1/professionals/{id}/reports", "post") == "ProfileReportArgs"
    assert body_of("/v1/admin/accounts/{account_id}/suspension", "post") == "SuspensionArgs"
    assert body_of("/v1/admin/accounts/{account_id}/reinstatement", "post") == "ReinstatementArgs"
    assert answer_of("/v1/professionals/{id}/reports", "post", "201") == "ProfileReport"
    assert answer_of("/v1/admin/profile-reports", "get", "200") == "ProfileReportPage"
    assert (
        answer_of("/v1/admin/profile-reports/{id}/dismissal", "post", "200")
        == "ModeratedProfileReport"
    )
    assert answer_of("/v1/admin/accounts/{account_id}/suspension", "post", "201") == "Suspension"
    assert answer_of("/v1/admin/suspensions", "get", "200") == "SuspensionPage"
    reasons = spec["components"]["schemas"]["SuspensionArgs"]["properties"]["reason"]
    assert {"fake_profile", "impersonation", "false_credentials"} <= set(reasons["enum"])
