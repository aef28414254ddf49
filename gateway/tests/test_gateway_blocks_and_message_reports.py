"""Blocks and reports of messages (docs/reports-and-blocks.md) with the RPC pool replaced:
each path reaches its notifications RPC with the caller and the right arguments, bad input
never leaves the gateway, the service's refusals keep their status, a report honours
`Idempotency-Key`, and the OpenAPI document describes the eight routes."""

from __future__ import annotations

import pytest
from loconomics_gateway.routes.notifications import OPERATIONS
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound
from openapi_spec_validator import validate

REPORT = "/v1/conversations/c1/messages/m1/reports"
ADMIN = ("admin",)
MEMBER = ("client",)

ROUTES = [
    ("PUT", "/v1/me/blocks/acc-2", None, "block_member", {"account_id": "acc-2"}, 200, MEMBER),
    ("DELETE", "/v1/me/blocks/acc-2", None, "unblock_member", {"account_id": "acc-2"}, 204, MEMBER),
    ("GET", "/v1/me/blocks?limit=5&cursor=abc", None, "list_blocks",
     {"limit": 5, "cursor": "abc"}, 200, MEMBER),
    ("POST", REPORT, {"reason": "harassment", "details": "Rude."}, "report_message",
     {"conversation_id": "c1", "message_id": "m1", "reason": "harassment", "details": "Rude."},
     201, MEMBER),
    ("GET", "/v1/admin/message-reports?status=upheld&limit=3", None, "list_message_reports",
     {"status": "upheld", "limit": 3}, 200, ADMIN),
    ("POST", "/v1/admin/messages/m1/withholding", {"reason": "spam", "note": "No ads."},
     "withhold_message", {"message_id": "m1", "reason": "spam", "note": "No ads."}, 200, ADMIN),
    ("DELETE", "/v1/admin/messages/m1/withholding", None, "restore_message",
     {"message_id": "m1"}, 200, ADMIN),
    ("POST", "/v1/admin/message-reports/r1/dismissal", {"note": "Fine."},
     "dismiss_message_report", {"report_id": "r1", "note": "Fine."}, 200, ADMIN),
]  # fmt: skip


@pytest.mark.parametrize(("verb", "path", "body", "rpc", "sent", "status", "roles"), ROUTES)
def test_each_route_calls_its_rpc_for_the_caller(
    client, pool, auth, verb, path, body, rpc, sent, status, roles
):
    pool.answers[("notifications", rpc)] = None if status == 204 else {"answered": rpc}
    answer = client.simulate_request(verb, path, json=body, headers=auth("acc-7", roles))
    assert answer.status_code == status, answer.text
    if status == 204:
        assert answer.text == ""
    else:
        assert answer.json == {"answered": rpc}
    [(service, called, caller, kwargs)] = pool.asked()
    assert (service, called, kwargs) == ("notifications", rpc, sent)
    assert caller.user_id == "acc-7"


def test_the_queue_asks_for_the_open_reports_by_default(client, pool, auth):
    client.simulate_get("/v1/admin/message-reports", headers=auth("a1", ADMIN))
    [(_, _, _, sent)] = pool.asked()
    assert sent == {"status": "open", "limit": 20}


@pytest.mark.parametrize(("verb", "path", "body", "rpc", "sent", "status", "roles"), ROUTES)
def test_every_route_needs_a_signed_in_caller(
    client, pool, verb, path, body, rpc, sent, status, roles
):
    answer = client.simulate_request(verb, path, json=body)
    assert answer.status_code == 401
    assert pool.calls == []


@pytest.mark.parametrize(
    ("verb", "path", "body", "fields"),
    [
        ("POST", REPORT, {"reason": "rude"}, {"reason"}),
        ("POST", REPORT, {}, {"reason"}),
        ("POST", REPORT, {"reason": "spam", "details": "x" * 2001}, {"details"}),
        ("POST", REPORT, {"reason": "spam", "reporter_id": "someone"}, {"reporter_id"}),
        ("POST", "/v1/admin/messages/m1/withholding", {"note": "x"}, {"reason"}),
        ("POST", "/v1/admin/messages/m1/withholding", {"reason": "spam", "note": "x" * 2001},
         {"note"}),
        ("POST", "/v1/admin/message-reports/r1/dismissal", {"note": "x" * 2001}, {"note"}),
        ("POST", "/v1/admin/message-reports/r1/dismissal", {"reason": "spam"}, {"reason"}),
        ("GET", "/v1/admin/message-reports?status=closed", None, {"status"}),
        ("GET", "/v1/me/blocks?limit=0", None, {"limit"}),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_field_without_a_call(
    client, pool, auth, verb, path, body, fields
):
    answer = client.simulate_request(verb, path, json=body, headers=auth("a1", ADMIN))
    assert answer.status_code == 422, answer.text
    assert set(answer.json["errors"]) == fields
    assert pool.asked() == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Conflict("You blocked this member; unblock them to write."), 409),
        (Conflict("You already reported this message."), 409),
        (Forbidden("only a moderator (admin) may do this"), 403),
        (NotFound("no such message"), 404),
        (Invalid("no", {"account_id": ["you cannot block yourself"]}), 422),
    ],
)
def test_the_services_refusals_keep_their_status_and_words(client, pool, auth, error, status):
    for verb, path, body, rpc, _, _, roles in ROUTES:
        pool.calls.clear()
        pool.answers[("notifications", rpc)] = error
        answer = client.simulate_request(verb, path, json=body, headers=auth("acc-7", roles))
        assert answer.status_code == status, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json["detail"] == error.detail


def test_a_repeated_report_with_its_key_is_answered_once(client, pool, auth):
    made = []

    def report(caller, **kwargs):
        made.append(kwargs)
        return {"id": f"r{len(made)}", "status": "open"}

    pool.answers[("notifications", "report_message")] = report
    headers = {**auth("acc-7", MEMBER), "Idempotency-Key": "report-once"}
    body = {"reason": "spam"}
    first = client.simulate_post(REPORT, json=body, headers=headers)
    again = client.simulate_post(REPORT, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json == again.json == {"id": "r1", "status": "open"}
    assert again.headers["idempotent-replayed"] == "true"
    assert len(made) == 1
    changed = client.simulate_post(REPORT, json={"reason": "scam"}, headers=headers)
    assert changed.status_code == 422 and "Idempotency-Key" in changed.json["errors"]


def test_only_the_report_is_a_creating_post():
    creating = {(op.method, op.path) for op in OPERATIONS if op.creates}
    assert ("POST", "/v1/conversations/{conversation_id}/messages/{message_id}/reports") in creating
    assert ("POST", "/v1/admin/messages/{id}/withholding") not in creating
    assert ("POST", "/v1/admin/message-reports/{id}/dismissal") not in creating


DOCUMENTED = {
    ("put", "/v1/me/blocks/{account_id}"): ("200", {"401", "404", "422"}, "BlockSchema"),
    ("delete", "/v1/me/blocks/{account_id}"): ("204", {"401", "404"}, None),
    ("get", "/v1/me/blocks"): ("200", {"401", "422"}, "BlockPageSchema"),
    ("post", "/v1/conversations/{conversation_id}/messages/{message_id}/reports"): (
        "201",
        {"401", "403", "404", "409", "422"},
        "MessageReportSchema",
    ),
    ("get", "/v1/admin/message-reports"): (
        "200",
        {"401", "403", "422"},
        "MessageReportPageSchema",
    ),
    ("post", "/v1/admin/messages/{id}/withholding"): (
        "200",
        {"401", "403", "404", "409", "422"},
        "ModeratorMessageSchema",
    ),
    ("delete", "/v1/admin/messages/{id}/withholding"): (
        "200",
        {"401", "403", "404", "409"},
        "ModeratorMessageSchema",
    ),
    ("post", "/v1/admin/message-reports/{id}/dismissal"): (
        "200",
        {"401", "403", "404", "409", "422"},
        "ModeratorMessageReportSchema",
    ),
}
BODIES = {
    ("post", "/v1/conversations/{conversation_id}/messages/{message_id}/reports"): "ReportArgs",
    ("post", "/v1/admin/messages/{id}/withholding"): "RemovalArgs",
    ("post", "/v1/admin/message-reports/{id}/dismissal"): "DismissalArgs",
}


def test_the_openapi_document_describes_the_eight_routes(client):
    spec = client.simulate_get("/openapi.json").json
    validate(spec)
    schemas = spec["components"]["schemas"]

    def named(reference: dict) -> str:
        return reference["$ref"].split("/")[-1]

    for (verb, path), (success, errors, response) in DOCUMENTED.items():
        operation = spec["paths"][path][verb]
        assert success in operation["responses"]
        assert errors <= set(operation["responses"]), (verb, path)
        assert operation["security"] == [{"bearer": []}]
        answered = operation["responses"][success].get("content")
        if response is None:
            assert answered is None
        else:
            assert named(answered["application/json"]["schema"]) == response.removesuffix("Schema")
        tag = "Administration" if "/admin/" in path else "Notifications and messaging"
        assert operation["tags"] == [tag]
    for (verb, path), body in BODIES.items():
        reference = spec["paths"][path][verb]["requestBody"]["content"]["application/json"]
        assert named(reference["schema"]) == body
    assert set(schemas["ReportArgs"]["properties"]) == {"reason", "details"}
    assert set(schemas["MessageReport"]["properties"]) == {
        "id",
        "message_id",
        "conversation_id",
        "reason",
        "details",
        "status",
        "created_at",
        "resolved_at",
    }
    assert set(schemas["Message"]["properties"]) >= {"body", "withheld"}
    assert set(schemas["Conversation"]["properties"]) >= {"can_write", "blocked_by_me"}
