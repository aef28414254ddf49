"""A small HTTP client for the gateway, shared by the cross-service tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import requests


@dataclass
class Person:
    account_id: str
    email: str
    password: str
    token: str

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


class ApiClient:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()

    def request(self, method: str, path: str, token: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        # A kept-alive connection may be closed by gunicorn just as a request reuses it.
        headers.setdefault("Connection", "close")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", 30)
        return self.http.request(method, self.base_url + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs):
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def log_in(self, person: Person) -> Person:
        """The same person with a fresh access token (roles granted since show in it)."""
        credentials = {"email": person.email, "password": person.password}
        session = self.post("/v1/sessions", json=credentials)
        assert session.status_code == 201, session.text
        token = session.json()["access_token"]
        return Person(person.account_id, person.email, person.password, token)

    def sign_up_admin(self, platform, name: str = "Cooperative Admin") -> Person:
        """An administrator, made by the operator command against `platform`'s profiles."""
        person = self.sign_up(roles=["client"], name=name)
        platform.run_module("loconomics_profiles.admin", "grant-admin", person.email)
        return self.log_in(person)

    def sign_up(self, roles: list[str] | None = None, name: str = "Test Member", **extra) -> Person:
        email = f"{uuid.uuid4().hex[:12]}@example.org"
        password = "correct horse battery staple"
        answer = self.post(
            "/v1/accounts",
            json={
                "email": email,
                "password": password,
                "name": name,
                "roles": roles or ["client"],
                **extra,
            },
        )
        assert answer.status_code == 201, answer.text
        return self.log_in(Person(answer.json()["id"], email, password, token=""))
