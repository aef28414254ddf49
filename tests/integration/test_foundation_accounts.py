"""Sign-up, log-in and /v1/me through the real gateway, broker and profiles service."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"


def test_sign_up_log_in_and_me(api):
    created = api.post(
        "/v1/accounts",
        json={
            "email": "Maria.Lopez@Example.org",
            "password": PASSWORD,
            "name": "Maria Lopez",
            "roles": ["client", "professional"],
            "language": "fr",
        },
    )
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["email"] == "maria.lopez@example.org"
    assert account["roles"] == ["client", "professional"]
    assert account["owner_status"] == "not_yet_owner"
    assert "password" not in account

    session = api.post(
        "/v1/sessions", json={"email": "maria.lopez@example.org", "password": PASSWORD}
    )
    assert session.status_code == 201, session.text
    token = session.json()
    assert token["token_type"] == "Bearer"
    assert 0 < token["expires_in"] <= 3600

    me = api.get("/v1/me", token=token["access_token"])
    assert me.status_code == 200
    assert me.json()["id"] == account["id"]
    assert me.json()["language"] == "fr"


def test_every_bad_field_is_named(api):
    answer = api.post(
        "/v1/accounts",
        json={"email": "not-an-email", "password": "short", "roles": ["landlord"]},
    )
    assert answer.status_code == 422
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["status"] == 422
    assert set(problem["errors"]) == {"email", "password", "name", "roles.0"}


def test_unknown_fields_are_refused(api):
    answer = api.post(
        "/v1/accounts",
        json={
            "email": "x@example.org",
            "password": PASSWORD,
            "name": "X",
            "roles": ["client"],
            "is_admin": True,
        },
    )
    assert answer.status_code == 422
    assert "is_admin" in answer.json()["errors"]


def test_duplicate_email_is_a_conflict_whatever_its_case(api):
    person = api.sign_up()
    answer = api.post(
        "/v1/accounts",
        json={
            "email": person.email.upper(),
            "password": PASSWORD,
            "name": "Twin",
            "roles": ["client"],
        },
    )
    assert answer.status_code == 409
    assert answer.json()["errors"] == {"email": ["Already registered."]}


def test_wrong_password_and_unknown_email_look_the_same(api):
    person = api.sign_up()
    wrong = api.post("/v1/sessions", json={"email": person.email, "password": "not the one!"})
    unknown = api.post("/v1/sessions", json={"email": "nobody@example.org", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Basic abc", "Bearer not.a.token"],
)
def test_me_needs_a_valid_bearer_token(api, header):
    answer = api.get("/v1/me", headers={"Authorization": header} if header else {})
    assert answer.status_code == 401
    assert answer.headers["Content-Type"].startswith("application/problem+json")


def test_malformed_and_oversized_bodies(api):
    broken = api.post(
        "/v1/accounts", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["title"] == "Bad request"
    not_object = api.post("/v1/accounts", json=["a", "list"])
    assert not_object.status_code == 422
    huge = api.post(
        "/v1/accounts",
        data=b'{"name": "' + b"x" * 400_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413


def test_unknown_route_is_a_problem(api):
    answer = api.get("/v1/nowhere")
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("application/problem+json")


def test_an_operator_can_make_an_administrator(api, admin):
    me = api.get("/v1/me", token=admin.token)
    assert me.status_code == 200
    assert "admin" in me.json()["roles"]


def test_refresh_rotates_and_log_out_revokes(api):
    person = api.sign_up()
    first = api.post("/v1/sessions", json={"email": person.email, "password": person.password})
    tokens = first.json()
    refreshed = api.post("/v1/sessions/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 201, refreshed.text
    pair = refreshed.json()
    assert pair["refresh_token"] != tokens["refresh_token"]
    assert api.get("/v1/me", token=pair["access_token"]).status_code == 200

    reused = api.post("/v1/sessions/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 401
    burnt = api.post("/v1/sessions/refresh", json={"refresh_token": pair["refresh_token"]})
    assert burnt.status_code == 401

    second = api.post(
        "/v1/sessions", json={"email": person.email, "password": person.password}
    ).json()
    assert api.delete("/v1/sessions/current", token=second["access_token"]).status_code == 204
    time.sleep(6)
    assert api.get("/v1/me", token=second["access_token"]).status_code == 401
    assert api.get("/v1/me", token=person.token).status_code == 200
