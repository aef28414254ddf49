"""Reports of reviews and their moderation through the gateway, with the RPC pool scripted:
what reaches profiles, what is refused at the door, the statuses, and the OpenAPI document."""

from __future__ import annotations

import pytest
from loconomics_plumbing.errors import Conflict, Forbidden, NotFound
from loconomics_plumbing.moderation import DETAILS_MAX, NOTE_MAX
from openapi_spec_validator import validate

ADMIN = ("admin",)
REPORT = {
    "id": "rep-1",
    "review_id": "r-1",
    "reason": "spam",
    "details": None,
    "status": "open",
    "created_at": "2026-11-26T09:00:00+00:00",
    "resolved_at": None,
}


def asked(pool, method: str) -> list:
    return pool.calls_to("profiles", method)


# a member reports


def test_a_report_goes_to_profiles_for_the_caller_and_answers_201(client, pool, auth):
    pool.answers[("profiles", "report_review")] = REPORT
    answer = client.simulate_post(
        "/v1/reviews/r-1/reports",
        json={"reason": "spam", "details": "Copied from another site."},
        headers=auth("client-2"),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json == REPORT
    [(_, _, caller, kwargs)] = asked(pool, "report_review")
    assert caller.user_id == "client-2"
    assert kwargs == {"review_id": "r-1", "reason": "spam", "details": "Copied from another site."}


def test_a_repeated_idempotency_key_reports_once(client, pool, auth):
    pool.answers[("profiles", "report_review")] = REPORT
    headers = {**auth("client-2"), "Idempotency-Key": "report-once"}
    first = client.simulate_post(
        "/v1/reviews/r-1/reports", json={"reason": "spam"}, headers=headers
    )
    again = client.simulate_post(
        "/v1/reviews/r-1/reports", json={"reason": "spam"}, headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json == first.json
    assert len(asked(pool, "report_review")) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"reason"}),
        ({"reason": "rude"}, {"reason"}),
        ({"reason": "spam", "details": "x" * (DETAILS_MAX + 1)}, {"details"}),
        ({"reason": "spam", "review_id": "r-2"}, {"review_id"}),
    ],
)
def test_a_bad_report_is_refused_at_the_door(client, pool, auth, body, fields):
    answer = client.simulate_post("/v1/reviews/r-1/reports", json=body, headers=auth("client-2"))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert set(answer.json["errors"]) == fields
    assert asked(pool, "report_review") == []


def test_reporting_needs_a_token(client, pool):
    answer = client.simulate_post("/v1/reviews/r-1/reports", json={"reason": "spam"})
    assert answer.status_code == 401
    assert pool.calls == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Forbidden("You cannot report your own review."), 403),
        (NotFound("No such review."), 404),
        (Conflict("You already reported this review."), 409),
    ],
)
def test_profiles_refusals_of_a_report_are_problems(client, pool, auth, error, status):
    pool.answers[("profiles", "report_review")] = error
    answer = client.simulate_post(
        "/v1/reviews/r-1/reports", json={"reason": "spam"}, headers=auth("client-2")
    )
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json["detail"] == str(error.args[0])


# the moderators


def test_the_queue_passes_its_query_and_defaults_to_open(client, pool, auth):
    pool.answers[("profiles", "list_review_reports")] = {"items": [], "next_cursor": None}
    answer = client.simulate_get("/v1/admin/review-reports", headers=auth("mod-1", ADMIN))
    assert answer.status_code == 200, answer.text
    assert answer.json == {"items": [], "next_cursor": None}
    client.simulate_get(
        "/v1/admin/review-reports",
        params={"status": "upheld", "limit": "5", "cursor": "abc"},
        headers=auth("mod-1", ADMIN),
    )
    [first, second] = asked(pool, "list_review_reports")
    assert first[2].user_id == "mod-1" and first[2].is_admin
    assert first[3] == {"status": "open", "limit": 20}
    assert second[3] == {"status": "upheld", "limit": 5, "cursor": "abc"}


@pytest.mark.parametrize(
    ("params", "field"), [({"status": "closed"}, "status"), ({"limit": "0"}, "limit")]
)
def test_a_bad_queue_query_is_refused_at_the_door(client, pool, auth, params, field):
    answer = client.simulate_get(
        "/v1/admin/review-reports", params=params, headers=auth("mod-1", ADMIN)
    )
    assert answer.status_code == 422
    assert field in answer.json["errors"]
    assert asked(pool, "list_review_reports") == []


def test_a_member_who_is_not_a_moderator_gets_403_from_profiles(client, pool, auth):
    pool.answers[("profiles", "list_review_reports")] = Forbidden("This needs an administrator.")
    answer = client.simulate_get("/v1/admin/review-reports", headers=auth("client-2"))
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert client.simulate_get("/v1/admin/review-reports").status_code == 401


def test_removing_restoring_and_dismissing_reach_profiles_with_the_path_id(client, pool, auth):
    headers = auth("mod-1", ADMIN)
    removed = client.simulate_post(
        "/v1/admin/reviews/r-1/removal",
        json={"reason": "harassment", "note": "Keep it civil."},
        headers=headers,
    )
    assert removed.status_code == 200, removed.text
    assert asked(pool, "remove_review")[0][3] == {
        "review_id": "r-1",
        "reason": "harassment",
        "note": "Keep it civil.",
    }
    restored = client.simulate_delete("/v1/admin/reviews/r-1/removal", headers=headers)
    assert restored.status_code == 200, restored.text
    assert asked(pool, "restore_review")[0][3] == {"review_id": "r-1"}
    dismissed = client.simulate_post(
        "/v1/admin/review-reports/rep-1/dismissal", json={"note": "Fair."}, headers=headers
    )
    assert dismissed.status_code == 200, dismissed.text
    assert asked(pool, "dismiss_review_report")[0][3] == {"report_id": "rep-1", "note": "Fair."}
    bare = client.simulate_post("/v1/admin/review-reports/rep-2/dismissal", headers=headers)
    assert bare.status_code == 200, bare.text
    assert asked(pool, "dismiss_review_report")[1][3] == {"report_id": "rep-2"}
    assert {call[2].user_id for call in pool.asked()} == {"mod-1"}


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        ("/v1/admin/reviews/r-1/removal", {}, {"reason"}),
        ("/v1/admin/reviews/r-1/removal", {"reason": "rude"}, {"reason"}),
        (
            "/v1/admin/reviews/r-1/removal",
            {"reason": "spam", "note": "x" * (NOTE_MAX + 1)},
            {"note"},
        ),
        ("/v1/admin/reviews/r-1/removal", {"reason": "spam", "review_id": "r-2"}, {"review_id"}),
        ("/v1/admin/review-reports/rep-1/dismissal", {"note": "x" * (NOTE_MAX + 1)}, {"note"}),
        ("/v1/admin/review-reports/rep-1/dismissal", {"outcome": "upheld"}, {"outcome"}),
    ],
)
def test_a_bad_decision_is_refused_at_the_door(client, pool, auth, path, body, fields):
    answer = client.simulate_post(path, json=body, headers=auth("mod-1", ADMIN))
    assert answer.status_code == 422, answer.text
    assert set(answer.json["errors"]) == fields
    assert pool.asked() == []


@pytest.mark.parametrize(
    ("verb", "path", "method", "body"),
    [
        ("POST", "/v1/admin/reviews/r-1/removal", "remove_review", {"reason": "spam"}),
        ("DELETE", "/v1/admin/reviews/r-1/removal", "restore_review", None),
        ("POST", "/v1/admin/review-reports/rep-1/dismissal", "dismiss_review_report", {}),
    ],
)
@pytest.mark.parametrize(
    ("error", "status"),
    [(Forbidden("no"), 403), (NotFound("no such thing"), 404), (Conflict("already"), 409)],
)
def test_profiles_refusals_of_a_decision_are_problems(
    client, pool, auth, verb, path, method, body, error, status
):
    pool.answers[("profiles", method)] = error
    answer = client.simulate_request(verb, path, json=body, headers=auth("mod-1", ADMIN))
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"


# the OpenAPI document

ROUTES = {
    ("/v1/reviews/{id}/reports", "post"): ("201", {"401", "403", "404", "409", "422"}),
    ("/v1/admin/review-reports", "get"): ("200", {"401", "403", "422"}),
    ("/v1/admin/reviews/{id}/removal", "post"): ("200", {"401", "403", "404", "409", "422"}),
    ("/v1/admin/reviews/{id}/removal", "delete"): ("200", {"401", "403", "404", "409"}),
    ("/v1/admin/review-reports/{id}/dismissal", "post"): (
        "200",
        {"401", "403", "404", "409", "422"},
    ),
}


def _schema_name(ref: dict) -> str:
    return ref["$ref"].rsplit("/", 1)[1]


def test_the_openapi_document_describes_the_five_routes(client):
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
    assert tags.pop(("/v1/reviews/{id}/reports", "post")) == ["Reviews"]
    assert {tuple(tag) for tag in tags.values()} == {("Administration",)}

    def body_of(path, verb):
        content = spec["paths"][path][verb]["requestBody"]["content"]["application/json"]
        return _schema_name(content["schema"])

    def answer_of(path, verb, code):
        content = spec["paths"][path][verb]["responses"][code]["content"]["application/json"]
        return _schema_name(content["schema"])

    assert body_of("/v1/reviews/{id}/reports", "post") == "ReportArgs"
    assert body_of("/v1/admin/reviews/{id}/removal", "post") == "RemovalArgs"
    assert body_of("/v1/admin/review-reports/{id}/dismissal", "post") == "DismissalArgs"
    assert answer_of("/v1/reviews/{id}/reports", "post", "201") == "ReviewReport"
    assert answer_of("/v1/admin/review-reports", "get", "200") == "ReviewReportPage"
    assert answer_of("/v1/admin/reviews/{id}/removal", "post", "200") == "ModeratedReview"
    assert answer_of("/v1/admin/reviews/{id}/removal", "delete", "200") == "ModeratedReview"
    assert (
        answer_of("/v1/admin/review-reports/{id}/dismissal", "post", "200")
        == "ModeratedReviewReport"
    )
    report = spec["components"]["schemas"]["ReviewReport"]["properties"]
    assert set(report) == {
        "id",
        "review_id",
        "reason",
        "details",
        "status",
        "created_at",
        "resolved_at",
    }
    moderated = spec["components"]["schemas"]["ModeratedReviewReport"]["properties"]
    assert {"reporter_id", "resolved_by", "resolution_note", "review"} <= set(moderated)
    review = spec["components"]["schemas"]["ModeratedReview"]["properties"]
    assert {"removed_at", "removal_reason", "removal_note", "removed_by", "report_count"} <= set(
        review
    )
    queue = spec["paths"]["/v1/admin/review-reports"]["get"]["parameters"]
    assert {p["name"] for p in queue if p["in"] == "query"} == {"status", "limit", "cursor"}
