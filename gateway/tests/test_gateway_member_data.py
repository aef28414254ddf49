"""A member's copy of their data with the RPC pool replaced: who is asked, in which order, what
the download looks like, and that a refusal or a missing service gives no document."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from falcon import testing
from loconomics_gateway.app import create_app
from loconomics_gateway.rate_limits import STRICT_ROUTES
from loconomics_plumbing.errors import Invalid, Unavailable
from openapi_spec_validator import validate

PATH = "/v1/me/data-export"
BODY = {"current_password": "my current passphrase"}
SERVICES = ("profiles", "booking", "billing", "governance", "notifications")


def part(service: str) -> dict:
    """A service's part, distinct per service so the test sees each lands under its name."""
    return {
        "service": service,
        "sections": {f"{service}_things": {"about": "Why.", "records": [{"of": service}]}},
    }


def answering(pool) -> None:
    for service in SERVICES:
        pool.answers[(service, "export_member_data")] = part(service)


def export_calls(pool) -> list:
    return [c for c in pool.asked() if c[1] == "export_member_data"]


def test_every_service_answers_for_the_caller_and_profiles_gets_the_password(client, pool, auth):
    answering(pool)
    answer = client.simulate_post(PATH, json=BODY, headers=auth("acc-3"))
    assert answer.status_code == 200, answer.text
    calls = export_calls(pool)
    assert [service for service, *_ in calls] == list(SERVICES)
    assert {caller.user_id for _, _, caller, _ in calls} == {"acc-3"}
    assert [sent for *_, sent in calls] == [BODY, {}, {}, {}, {}]


def test_the_download_holds_each_part_under_its_service_and_names_the_day(client, pool, auth):
    answering(pool)
    before = datetime.now(UTC)
    answer = client.simulate_post(PATH, json=BODY, headers=auth("acc-3"))
    document = answer.json
    assert document["format"] == "loconomics-member-data"
    assert document["version"] == 1
    assert document["account_id"] == "acc-3"
    assert document["services"] == {service: part(service) for service in SERVICES}
    exported_at = datetime.fromisoformat(document["exported_at"])
    assert before <= exported_at <= datetime.now(UTC)
    day = exported_at.date().isoformat()
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="loconomics-data-{day}.json"'
    )
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-type"] == "application/json"


def test_a_wrong_password_stops_the_export_before_any_other_service_is_asked(client, pool, auth):
    answering(pool)
    pool.answers[("profiles", "export_member_data")] = Invalid(
        "The current password is wrong.", {"current_password": ["Wrong password."]}
    )
    answer = client.simulate_post(PATH, json=BODY, headers=auth())
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "current_password" in answer.json["errors"]
    assert [service for service, *_ in export_calls(pool)] == ["profiles"]


def test_a_service_unable_to_answer_fails_the_whole_export(client, pool, auth):
    """Never a partial copy that would pass for a complete one."""
    for missing in SERVICES[1:]:
        answering(pool)
        pool.answers[(missing, "export_member_data")] = Unavailable(f"{missing} is busy")
        answer = client.simulate_post(PATH, json=BODY, headers=auth())
        assert answer.status_code == 503, (missing, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert "services" not in answer.json


def test_a_bad_body_is_refused_with_the_field_named_and_no_call(client, pool, auth):
    for body, fields in (
        ({}, {"current_password"}),
        ({"current_password": "x" * 201}, {"current_password"}),
        ({"current_password": "x", "account_id": "someone-else"}, {"account_id"}),
    ):
        answer = client.simulate_post(PATH, json=body, headers=auth())
        assert answer.status_code == 422, (body, answer.text)
        assert set(answer.json["errors"]) == fields
    assert export_calls(pool) == []


def test_exporting_needs_a_token(client, pool):
    answer = client.simulate_post(PATH, json=BODY)
    assert answer.status_code == 401
    assert pool.calls == []


def test_the_export_is_in_the_strict_rate_limit(pool, settings, auth):
    """Every service is asked and a password tried: the limit of log-ins, not of reads."""
    assert ("POST", PATH) in STRICT_ROUTES
    answering(pool)
    limited = dataclasses.replace(settings, rate_limits_enabled=True, rate_limit_strict="2/minute")
    client = testing.TestClient(create_app(limited, pool_of=lambda: pool))
    statuses = [client.simulate_post(PATH, json=BODY, headers=auth()).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_the_openapi_document_describes_the_download(client):
    spec = client.simulate_get("/openapi.json").json
    validate(spec)
    operation = spec["paths"][PATH]["post"]
    assert set(operation["responses"]) >= {"200", "401", "422", "503"}
    assert operation["security"] == [{"bearer": []}]

    def schema(reference: dict) -> dict:
        return spec["components"]["schemas"][reference["$ref"].split("/")[-1]]

    body = schema(operation["requestBody"]["content"]["application/json"]["schema"])
    assert body["required"] == ["current_password"]
    answered = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(schema(answered)["properties"]) == {
        "format",
        "version",
        "exported_at",
        "account_id",
        "services",
    }
