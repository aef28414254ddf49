"""A member looks after their own account, through the real gateway, profiles, broker,
notifications and SMTP sink.

A forgotten password: the member asks for a link by email, the link's token sets a new password
once, every log-in of the account ends, and the member is told by email that the password
changed; the token is in no database once its email has gone (profiles keeps its hash). A
signed-in change needs the current password. A new name or language is what the other party and
the emails use next.
"""

from __future__ import annotations

import re

import pytest
from platform_client import Person
from polling import wait_for
from service_databases import database_text
from sink_mail import mail_to

pytestmark = pytest.mark.integration

NEW_PASSWORD = "a brand new passphrase"
NEWER_PASSWORD = "another passphrase again"
TOKEN = re.compile(r"/reset-password\?token=([A-Za-z0-9_-]{20,})")


def reset_token_mailed_to(platform, address: str) -> str:
    """The token in the reset email the sink kept for `address`."""

    def token():
        for message in mail_to(platform, address):
            found = TOKEN.search(message.get_body(("plain",)).get_content())
            if found:
                return found.group(1)
        return None

    return wait_for(token, f"a password reset email to {address}")


def can_log_in(api, email: str, password: str) -> bool:
    answer = api.post("/v1/sessions", json={"email": email, "password": password})
    assert answer.status_code in (201, 401), answer.text
    return answer.status_code == 201


def test_a_forgotten_password_is_reset_once_by_the_emailed_link(platform, api):
    person = api.sign_up(name="Forgetful Member")
    logged_in = api.post("/v1/sessions", json={"email": person.email, "password": person.password})
    refresh_token = logged_in.json()["refresh_token"]

    asked = api.post("/v1/password-resets", json={"email": person.email.upper()})
    assert asked.status_code == 202, asked.text
    nobody = api.post("/v1/password-resets", json={"email": "nobody-here@example.org"})
    assert nobody.status_code == 202, nobody.text
    assert nobody.content == asked.content

    token = reset_token_mailed_to(platform, person.email)
    assert can_log_in(api, person.email, person.password), "asking alone changes nothing"

    weak = api.post("/v1/password-resets/confirm", json={"token": token, "password": "short"})
    assert weak.status_code == 422 and "password" in weak.json()["errors"], weak.text
    done = api.post("/v1/password-resets/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert done.status_code == 204, done.text

    assert not can_log_in(api, person.email, person.password)
    assert can_log_in(api, person.email, NEW_PASSWORD)
    again = api.post("/v1/password-resets/confirm", json={"token": token, "password": "x" * 12})
    assert again.status_code == 422 and "token" in again.json()["errors"], again.text
    assert can_log_in(api, person.email, NEW_PASSWORD), "a used link changes nothing"

    # Every log-in of the account ended: its refresh token, and soon its access token.
    refreshed = api.post("/v1/sessions/refresh", json={"refresh_token": refresh_token})
    assert refreshed.status_code == 401, refreshed.text
    wait_for(
        lambda: api.get("/v1/me", token=person.token).status_code == 401,
        "the old access token to stop working",
    )

    wait_for(
        lambda: len(mail_to(platform, person.email)) >= 3,
        "the welcome, reset and password-changed emails",
    )
    assert not mail_to(platform, "nobody-here@example.org")
    wait_for(
        lambda: token not in database_text(platform, "notifications"),
        "the token to leave the notifications database once its email went",
    )
    # profiles keeps only its hash; the event that carried it left the outbox once published
    assert token not in database_text(platform, "profiles")


def test_a_signed_in_member_changes_their_password_with_the_current_one(platform, api):
    person = api.sign_up(name="Careful Member")
    wrong = api.put(
        "/v1/me/password",
        token=person.token,
        json={"current_password": "not my password", "password": NEW_PASSWORD},
    )
    assert wrong.status_code == 422 and "current_password" in wrong.json()["errors"], wrong.text
    assert can_log_in(api, person.email, person.password)

    anonymous = api.put(
        "/v1/me/password", json={"current_password": person.password, "password": NEWER_PASSWORD}
    )
    assert anonymous.status_code == 401

    changed = api.put(
        "/v1/me/password",
        token=person.token,
        json={"current_password": person.password, "password": NEWER_PASSWORD},
    )
    assert changed.status_code == 204, changed.text
    assert not can_log_in(api, person.email, person.password)
    assert can_log_in(api, person.email, NEWER_PASSWORD)
    renewed = api.log_in(Person(person.account_id, person.email, NEWER_PASSWORD, token=""))
    assert api.get("/v1/me", token=renewed.token).status_code == 200
    wait_for(
        lambda: len(mail_to(platform, person.email)) >= 2,
        "the welcome and password-changed emails",
    )


def test_the_name_and_language_a_member_changes_to_are_what_everyone_uses_next(platform, api):
    person = api.sign_up(roles=["professional"], name="Lea")
    changed = api.patch("/v1/me", token=person.token, json={"name": "Léa Dubois", "language": "fr"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["language"]) == ("Léa Dubois", "fr")
    refused = api.patch("/v1/me", token=person.token, json={"email": "someone@example.org"})
    assert refused.status_code == 422 and "email" in refused.json()["errors"], refused.text
    me = api.get("/v1/me", token=person.token).json()
    assert (me["name"], me["language"], me["email"]) == ("Léa Dubois", "fr", person.email)

    # Notifications' copy of the account follows (account_changed): the other party sees the
    # new name, and the message's email to the member speaks French.
    client = api.sign_up(name="Sam Client")
    started = api.post(
        "/v1/conversations",
        token=client.token,
        json={"to": person.account_id, "subject": "Bonjour", "body": "Are you free on Monday?"},
    )
    assert started.status_code == 201, started.text
    conversation_id = started.json()["conversation"]["id"]
    wait_for(
        lambda: (
            api.get(f"/v1/conversations/{conversation_id}", token=client.token).json()[
                "conversation"
            ]["other_party"]["name"]
            == "Léa Dubois"
        ),
        "the client to see the member's new name",
    )
    subject = "Nouveau message de Sam Client : Bonjour"
    notice = wait_for(
        lambda: next((m for m in mail_to(platform, person.email) if m["Subject"] == subject), None),
        "the message's email, in French",
    )
    assert str(notice["To"]) == f"Léa Dubois <{person.email}>"
