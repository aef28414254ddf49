"""A member's email address, through the real gateway, profiles, broker, notifications and SMTP
sink (docs/email-addresses.md): the address given at sign-up is confirmed by the emailed link;
a new address replaces the old one only once its own link is used, the old address is told and
can undo the change, and every service uses the address the account has now.
"""

from __future__ import annotations

import re
import uuid

import pytest
from platform_client import Person
from polling import wait_for
from sink_mail import mail_to

pytestmark = pytest.mark.integration

LINK = re.compile(r"/confirm-email\?token=([A-Za-z0-9_-]{20,})")


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def links_mailed_to(platform, address: str) -> list[str]:
    """The confirmation-link tokens in the emails the sink kept for `address`, oldest first."""
    found = []
    for message in mail_to(platform, address):
        found += LINK.findall(text_of(message))
    return found


def nth_link(platform, address: str, n: int) -> str:
    return wait_for(
        lambda: (links := links_mailed_to(platform, address)) and len(links) >= n and links[n - 1],
        f"confirmation link {n} to {address}",
    )


def me(api, person: Person) -> dict:
    answer = api.get("/v1/me", token=person.token)
    assert answer.status_code == 200, answer.text
    return answer.json()


def confirm(api, token: str):
    return api.post("/v1/email-confirmations/confirm", json={"token": token})


def can_log_in(api, email: str, password: str) -> bool:
    answer = api.post("/v1/sessions", json={"email": email, "password": password})
    assert answer.status_code in (201, 401), answer.text
    return answer.status_code == 201


def fresh_address() -> str:
    return f"moved-{uuid.uuid4().hex[:12]}@example.org"


def test_the_address_given_at_sign_up_is_confirmed_by_its_link_once(platform, api):
    person = api.sign_up(name="Confirming Member")
    assert me(api, person)["email_confirmed"] is False
    first = nth_link(platform, person.email, 1)

    resent = api.post("/v1/me/email-confirmations", token=person.token)
    assert resent.status_code == 202, resent.text
    newest = nth_link(platform, person.email, 2)
    superseded = confirm(api, first)
    assert superseded.status_code == 422 and "token" in superseded.json()["errors"]
    assert me(api, person)["email_confirmed"] is False

    done = confirm(api, newest)
    assert done.status_code == 204, done.text
    assert me(api, person)["email_confirmed"] is True
    again = confirm(api, newest)
    assert again.status_code == 422 and "token" in again.json()["errors"], again.text


def test_a_new_address_is_used_once_confirmed_and_the_old_one_can_undo_it(platform, api):
    person = api.sign_up(name="Moving Member")
    other = api.sign_up(name="Someone Else")
    new_address = fresh_address()

    wrong = api.put(
        "/v1/me/email",
        token=person.token,
        json={"email": new_address, "current_password": "not my password"},
    )
    assert wrong.status_code == 422 and "current_password" in wrong.json()["errors"], wrong.text
    taken = api.put(
        "/v1/me/email",
        token=person.token,
        json={"email": other.email, "current_password": person.password},
    )
    assert taken.status_code == 409 and "email" in taken.json()["errors"], taken.text

    asked = api.put(
        "/v1/me/email",
        token=person.token,
        json={"email": new_address.upper(), "current_password": person.password},
    )
    assert asked.status_code == 202, asked.text
    change_token = nth_link(platform, new_address, 1)
    assert me(api, person)["email"] == person.email, "nothing changes before the link is used"
    assert can_log_in(api, person.email, person.password)

    assert confirm(api, change_token).status_code == 204
    now = me(api, person)
    assert (now["email"], now["email_confirmed"]) == (new_address, True)
    assert can_log_in(api, new_address, person.password)
    assert not can_log_in(api, person.email, person.password)

    # The old address is told, with a link that undoes the change.
    notice = wait_for(
        lambda: next(
            (m for m in mail_to(platform, person.email) if new_address in text_of(m)), None
        ),
        "the notice to the old address",
    )
    [undo_token] = LINK.findall(text_of(notice))

    # Notifications writes to the new address from now on (its copy follows account_changed).
    changed = api.put(
        "/v1/me/password",
        token=person.token,
        json={"current_password": person.password, "password": "a brand new passphrase"},
    )
    assert changed.status_code == 204, changed.text
    wait_for(
        lambda: any("password" in m["Subject"].lower() for m in mail_to(platform, new_address)),
        "the password notice at the new address",
    )

    # Undoing: the old address is back and every log-in of the account ends.
    assert confirm(api, undo_token).status_code == 204
    assert can_log_in(api, person.email, "a brand new passphrase")
    assert not can_log_in(api, new_address, "a brand new passphrase")
    wait_for(
        lambda: api.get("/v1/me", token=person.token).status_code == 401,
        "the log-in made before the undo to end",
    )
    assert confirm(api, undo_token).status_code == 422
