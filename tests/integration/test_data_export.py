"""A member downloads a copy of their data, through the real gateway, the five services, the
broker, localstripe and the SMTP sink (docs/data-export.md).

A professional owner (a Stripe trial, a schedule, a bookable service) and a client who asks
them for a booking and writes to them each export: every service's part comes back with what
that service keeps about them, and nothing of the other's private data or of any secret. The
member is emailed a notice; a wrong password exports nothing and sends no notice.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from booking_requests import requested_booking
from platform_client import Person
from polling import wait_for
from service_databases import rows
from sink_mail import mail_to
from stripe_local import browser_card, set_up_stripe, stripe_client

pytestmark = pytest.mark.integration

SERVICES = ("profiles", "booking", "billing", "governance", "notifications")


def export(api, person: Person, password: str | None = None):
    return api.post(
        "/v1/me/data-export",
        token=person.token,
        json={"current_password": person.password if password is None else password},
    )


def records(document: dict, service: str, section: str) -> str:
    """One section's records as text, to look for values in."""
    return json.dumps(document["services"][service]["sections"][section]["records"])


def notices(platform, person: Person) -> list:
    return [m for m in mail_to(platform, person.email) if "data" in m["Subject"].lower()]


def test_each_member_gets_what_every_service_keeps_about_them_and_nothing_else(platform, api):
    set_up_stripe(platform)
    owner = api.sign_up(roles=["professional"], name="Olive Owner")
    client = api.sign_up(name="Casey Client")
    joined = api.put(
        "/v1/me/membership",
        token=owner.token,
        json={
            "plan_id": "owner-growth-monthly",
            "payment_method_id": browser_card(platform, stripe_client(platform)),
        },
    )
    assert joined.status_code == 200, joined.text
    bio = api.patch("/v1/me/profile", token=owner.token, json={"bio": "Walls and ceilings."})
    assert bio.status_code == 200, bio.text
    booking = requested_booking(api, platform, client, owner)
    started = api.post(
        "/v1/conversations",
        token=client.token,
        json={"to": owner.account_id, "subject": "The hallway", "body": "Eggshell or matte?"},
    )
    assert started.status_code == 201, started.text
    wait_for(
        lambda: rows(
            platform, "governance", "SELECT status FROM members WHERE external_id = ?",
            owner.account_id,
        ) == [("applicant",)],
        "the register to list the trial owner",
    )  # fmt: skip

    # A wrong password: nothing, and no notice.
    wrong = export(api, client, "not my password")
    assert wrong.status_code == 422, wrong.text
    assert "current_password" in wrong.json()["errors"]

    answer = export(api, client)
    assert answer.status_code == 200, answer.text
    download = answer.headers["content-disposition"]
    assert download.startswith('attachment; filename="loconomics-data-'), download
    mine = answer.json()
    assert mine["account_id"] == client.account_id
    assert set(mine["services"]) == set(SERVICES)
    for service in SERVICES:
        part = mine["services"][service]
        assert part["service"] == service
        assert part["sections"], service
        for name, section in part["sections"].items():
            assert section["about"].strip(), (service, name)
            assert isinstance(section["records"], list), (service, name)
    assert client.email in records(mine, "profiles", "account")
    assert booking["id"] in records(mine, "booking", "bookings_as_client")
    assert records(mine, "booking", "bookings_as_professional") == "[]"
    assert "Eggshell or matte?" in records(mine, "notifications", "conversations")
    assert records(mine, "billing", "membership") == "[]"

    theirs = export(api, owner)
    assert theirs.status_code == 200, theirs.text
    owners = theirs.json()
    assert booking["id"] in records(owners, "booking", "bookings_as_professional")
    assert "UTC" in records(owners, "booking", "schedule")
    assert "Walls and ceilings." in records(owners, "profiles", "professional_profile")
    assert "owner-growth-monthly" in records(owners, "billing", "membership")
    assert "applicant" in records(owners, "governance", "member")
    assert "Eggshell or matte?" in records(owners, "notifications", "conversations")

    # Neither sees the other's address, log-ins or account, nor any secret of their own.
    [(client_hash,)] = rows(
        platform, "profiles", "SELECT password_hash FROM accounts WHERE id = ?", client.account_id
    )
    mine_text, owners_text = json.dumps(mine), json.dumps(owners)
    for secret in (client.password, client.token, client_hash, owner.email, owner.token):
        assert secret not in mine_text
    for secret in (owner.password, owner.token, client.email, client.token):
        assert secret not in owners_text

    # Each is told, once per download, at their own address.
    notice = wait_for(lambda: notices(platform, client) or None, "the client's notice")
    assert len(notice) == 1, [m["Subject"] for m in notice]
    assert "Casey Client" in str(notice[0]["To"])
    wait_for(lambda: len(notices(platform, owner)) == 1, "the owner's notice")
    assert datetime.fromisoformat(mine["exported_at"]).tzinfo is not None


def test_a_closed_account_has_nothing_to_export(platform, api):
    member = api.sign_up(name="Gone Soon")
    assert (
        api.post(
            "/v1/me/closure", token=member.token, json={"current_password": member.password}
        ).status_code
        == 202
    )
    wait_for(
        lambda: export(api, member).status_code == 401,
        "the closed account's token to stop working",
    )
