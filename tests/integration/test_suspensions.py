"""Reports of a professional's profile and a suspended account, through the real gateway, the
services, the broker and the SMTP sink (docs/suspensions.md).

Members report a professional's profile; a moderator dismisses one report and suspends the
account, which upholds the other. At once the member cannot sign in and their profile leaves
the public pages; once notifications and booking have heard of it, nobody can write to them or
book them, and their open booking is cancelled with a full refund. They are told why by email.
A reinstatement gives everything back but the cancelled booking.
"""

from __future__ import annotations

import pytest
from booking_requests import requested_booking
from platform_client import ApiClient, Person
from polling import wait_for
from sink_mail import mail_saying

pytestmark = pytest.mark.integration


def emails(platform, person: Person, *words: str) -> list:
    """Mail to the person whose subject or text has every one of `words`."""
    return mail_saying(platform, person.email, *words)


def log_in(api: ApiClient, person: Person):
    return api.post("/v1/sessions", json={"email": person.email, "password": person.password})


def queue(api: ApiClient, admin: Person, status: str) -> dict[str, dict]:
    answer = api.get(
        "/v1/admin/profile-reports", token=admin.token, params={"status": status, "limit": 100}
    )
    assert answer.status_code == 200, answer.text
    return {item["id"]: item for item in answer.json()["items"]}


def test_a_reported_professional_is_suspended_then_reinstated(platform, api, admin):
    pro = api.sign_up(roles=["professional"], name="Fay Fake")
    client = api.sign_up(name="Cleo Client")
    neighbour = api.sign_up(name="Ned Neighbour")
    booking = requested_booking(api, platform, client, pro)
    started = api.post(
        "/v1/conversations",
        token=client.token,
        json={"to": pro.account_id, "subject": "Your licence", "body": "Which number is it?"},
    )
    assert started.status_code == 201, started.text
    conversation = f"/v1/conversations/{started.json()['conversation']['id']}"
    bio = api.patch(
        "/v1/me/profile", token=pro.token, json={"bio": "Licensed electrician, 20 years."}
    )
    assert bio.status_code == 200, bio.text
    profile = f"/v1/professionals/{pro.account_id}"
    assert api.get(profile).status_code == 200

    # members report the profile
    reports = f"{profile}/reports"
    made = api.post(
        reports,
        token=client.token,
        json={"reason": "false_credentials", "details": "The licence number is someone else's."},
    )
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "open"
    assert api.post(reports, token=client.token, json={"reason": "scam"}).status_code == 409
    assert api.post(reports, token=pro.token, json={"reason": "scam"}).status_code == 403
    bad = api.post(reports, token=neighbour.token, json={"reason": "boring"})
    assert bad.status_code == 422 and "reason" in bad.json()["errors"], bad.text
    second = api.post(reports, token=neighbour.token, json={"reason": "fake_profile"})
    assert second.status_code == 201, second.text
    assert api.get(profile).status_code == 200, "a report alone changes nothing"

    # the moderators' queue, one report dismissed
    assert api.get("/v1/admin/profile-reports", token=pro.token).status_code == 403
    waiting = queue(api, admin, "open")
    assert {made.json()["id"], second.json()["id"]} <= set(waiting)
    assert waiting[made.json()["id"]]["professional"]["id"] == pro.account_id
    assert waiting[made.json()["id"]]["professional"]["report_count"] == 2
    dismissed = api.post(
        f"/v1/admin/profile-reports/{second.json()['id']}/dismissal",
        token=admin.token,
        json={"note": "The photos are their own."},
    )
    assert dismissed.status_code == 200, dismissed.text
    wait_for(
        lambda: emails(platform, neighbour, "The photos are their own."),
        "the reporter to be told the report was dismissed",
    )

    # the account is suspended
    suspension = f"/v1/admin/accounts/{pro.account_id}/suspension"
    suspended = api.post(
        suspension,
        token=admin.token,
        json={"reason": "false_credentials", "note": "Send us your licence to appeal."},
    )
    assert suspended.status_code == 201, suspended.text
    assert suspended.json()["status"] == "current"
    again = api.post(suspension, token=admin.token, json={"reason": "scam"})
    assert again.status_code == 409, again.text
    assert again.headers["content-type"] == "application/problem+json"
    own = api.post(
        f"/v1/admin/accounts/{admin.account_id}/suspension",
        token=admin.token,
        json={"reason": "scam"},
    )
    assert own.status_code == 422 and "account_id" in own.json()["errors"], own.text

    refused = log_in(api, pro)
    assert refused.status_code == 403, refused.text
    assert "suspended" in refused.json()["detail"].lower()
    wait_for(
        lambda: api.get("/v1/me", token=pro.token).status_code == 401,
        "the professional's access token to stop working",
    )
    assert api.get(profile).status_code == 404
    assert made.json()["id"] in queue(api, admin, "upheld")
    wait_for(
        lambda: emails(platform, pro, "Send us your licence to appeal."),
        "the professional to be told why, by email",
    )
    wait_for(lambda: emails(platform, client, "profile"), "the reporter's outcome")

    def cancelled():
        answer = api.get(f"/v1/bookings/{booking['id']}", token=client.token)
        assert answer.status_code == 200, answer.text
        return answer.json() if answer.json()["status"] == "cancelled" else None

    gone = wait_for(cancelled, "booking to cancel the suspended professional's booking")
    assert (gone["closed_by"], gone["close_reason"]) == ("professional", "account suspended")
    assert gone["settlement"]["refund"]["amount_cents"] == gone["price"]["amount_cents"], gone

    def refused_to_write():
        answer = api.post(f"{conversation}/messages", token=client.token, json={"body": "Hi?"})
        return answer.json() if answer.status_code == 409 else None  # a 409 Response is falsy

    blocked = wait_for(refused_to_write, "notifications to hear of the suspension")
    assert blocked["detail"] == "This member's account is suspended."
    shown = api.get(conversation, token=client.token).json()["conversation"]
    assert (shown["can_write"], shown["other_suspended"]) == (False, True)
    rebook = api.post(
        "/v1/bookings",
        token=client.token,
        json={"service_id": booking["service_id"], "proposed_starts": [booking["start"]]},
    )
    assert rebook.status_code == 409, rebook.text
    assert rebook.json()["detail"] == "This professional is not taking bookings."

    listed = api.get(
        "/v1/admin/suspensions", token=admin.token, params={"account_id": pro.account_id}
    )
    assert [s["id"] for s in listed.json()["items"]] == [suspended.json()["id"]], listed.text

    # reinstated
    reinstatement = f"/v1/admin/accounts/{pro.account_id}/reinstatement"
    back = api.post(reinstatement, token=admin.token, json={"note": "Licence checked, sorry."})
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "lifted"
    assert api.post(reinstatement, token=admin.token, json={}).status_code == 409
    assert log_in(api, pro).status_code == 201
    assert api.get(profile).status_code == 200
    wait_for(
        lambda: emails(platform, pro, "Licence checked, sorry."),
        "the professional to be told they are back",
    )

    def written():
        answer = api.post(
            f"{conversation}/messages", token=client.token, json={"body": "Welcome back."}
        )
        return answer.status_code == 201

    wait_for(written, "notifications to hear of the reinstatement")
    lifted = api.get(
        "/v1/admin/suspensions",
        token=admin.token,
        params={"status": "lifted", "account_id": pro.account_id},
    )
    assert [s["reinstatement_note"] for s in lifted.json()["items"]] == ["Licence checked, sorry."]
    still = api.get(f"/v1/bookings/{booking['id']}", token=client.token).json()
    assert still["status"] == "cancelled", "a reinstatement brings no booking back"
