"""Nothing lost when the mail server or the notifications service is away, on a platform of our
own: its services send to an SMTP server we control (accepting, or refusing every message
with 451 or 550), and we stop and start its notifications process at will.

Only the processes these tests need run (broker vhost, profiles, notifications, gateway), so
the gateway's /readyz is not used; sign-up answering is what "up" means here.
"""

from __future__ import annotations

import contextlib
import email
import json
import os
import sys
import time
import urllib.parse
from email import policy
from pathlib import Path

import pytest
import requests
from local_platform import ROOT, Platform
from platform_client import ApiClient, Person
from polling import wait_for

pytestmark = pytest.mark.integration

SMTP_SERVER = '''
"""An SMTP server whose answer to each message is read from a file: empty accepts and keeps
the message as .eml (as the platform's own sink does), a code such as 451 or 550 refuses it
(and logs the refusal)."""
import argparse, asyncio, sys
from pathlib import Path
from aiosmtpd.controller import Controller

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int)
parser.add_argument("--folder", type=Path)
parser.add_argument("--sink", type=Path, help="the folder of the platform's smtp_sink.py")
args = parser.parse_args()
sys.path.insert(0, str(args.sink))
from smtp_sink import KeepEverything

class Switchable(KeepEverything):
    def __init__(self, folder):
        super().__init__(folder / "mail")
        self.folder = folder

    async def handle_DATA(self, server, session, envelope):
        mode = (self.folder / "mode").read_text().strip()
        if mode:
            with open(self.folder / "refused.log", "a") as log:
                log.write(",".join(envelope.rcpt_tos) + "\\n")
            return f"{mode} 4.3.2 not now" if mode.startswith("4") else f"{mode} 5.7.1 refused"
        return await super().handle_DATA(server, session, envelope)

controller = Controller(Switchable(args.folder), hostname="127.0.0.1", port=args.port)
controller.start()
asyncio.run(asyncio.Event().wait())
'''


class SwitchableSmtp:
    """The test's handle on the server: what it answers, what it refused, what it kept."""

    def __init__(self, folder: Path):
        self.folder = folder

    def answer(self, code: str) -> None:
        (self.folder / "mode").write_text(code)

    def refusals_for(self, address: str) -> int:
        path = self.folder / "refused.log"
        return path.read_text().split().count(address) if path.exists() else 0

    def welcomes_to(self, address: str) -> list[email.message.EmailMessage]:
        """The welcome emails it kept for `address` (a sign-up also asks to confirm it)."""
        return [
            m
            for m in self.mail_to(address)
            if m["Subject"].startswith(("Welcome to Loconomics", "Bienvenue chez Loconomics"))
        ]

    def mail_to(self, address: str) -> list[email.message.EmailMessage]:
        found = []
        for path in sorted((self.folder / "mail").glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if address in message["X-Envelope-To"]:
                found.append(message)
        return found


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """A platform of our own: profiles, notifications and the gateway, mailing our server."""
    var = tmp_path_factory.mktemp("notifications-own")
    smtp_folder = var / "switchable-smtp"
    smtp_folder.mkdir()
    smtp = SwitchableSmtp(smtp_folder)
    smtp.answer("")
    amqp_port = int(os.environ.get("TEST_AMQP_PORT", "5673"))
    platform = Platform.isolated(
        var,
        amqp_port,
        extra_env={
            "NOTIFICATIONS_RETRY_FIRST_SECONDS": "1",
            "NOTIFICATIONS_RETRY_MAX_SECONDS": "2",
            "NOTIFICATIONS_RETRY_ATTEMPTS": "30",
            "NOTIFICATIONS_DELIVERY_INTERVAL_SECONDS": "0.5",
            "GATEWAY_RPC_TIMEOUT_SECONDS": "3",
            "GATEWAY_WORKERS": "1",
        },
    )
    smtp_port = platform.smtp_port  # our server in place of the platform's own sink
    script = var / "switchable_smtp.py"
    script.write_text(SMTP_SERVER)
    try:
        platform.start_broker()
        platform.spawn(
            "switchable-smtp",
            [
                sys.executable,
                str(script),
                "--port",
                str(smtp_port),
                "--folder",
                str(smtp_folder),
                "--sink",
                str(ROOT / "deploy" / "local"),
            ],
        )
        platform.wait_port(smtp_port)
        platform.migrate()
        for service in ("profiles", "notifications"):
            platform.start_service(service)
        platform.start_gateway()
        api = ApiClient(platform.gateway_url)
        wait_for(lambda: _answers(api), "the gateway and profiles to answer", timeout=90)
        yield platform, api, smtp
    finally:
        platform.stop(broker=False)
        with contextlib.suppress(OSError):
            platform.drop_vhost()


def _answers(api: ApiClient) -> bool:
    with contextlib.suppress(requests.RequestException):
        return (
            api.post("/v1/sessions", json={"email": "x@example.org", "password": "x"}).status_code
            == 401
        )
    return False


def test_a_server_refusing_for_a_while_loses_nothing_and_doubles_nothing(own):
    platform, api, smtp = own
    smtp.answer("451")
    people = [api.sign_up(name=f"Patient {n}") for n in range(3)]
    wait_for(
        lambda: all(smtp.refusals_for(p.email) >= 2 for p in people),
        "every welcome email to be refused twice",
    )
    assert all(smtp.mail_to(p.email) == [] for p in people)
    smtp.answer("")
    wait_for(lambda: all(smtp.welcomes_to(p.email) for p in people), "the welcome emails")
    time.sleep(2)  # a few more delivery ticks: nothing is sent twice
    for number, person in enumerate(people):
        (welcome,) = smtp.welcomes_to(person.email)
        assert welcome["Subject"] == f"Welcome to Loconomics, Patient {number}"


def test_a_permanent_refusal_waits_in_the_dead_letters_until_an_operator_replays_it(own):
    platform, api, smtp = own
    smtp.answer("")
    operator = api.sign_up_admin(platform, name="Operator")
    smtp.answer("550")
    person = api.sign_up(name="Bounced Once")

    def dead_letters() -> dict[str, dict]:
        """The person's dead emails by kind: a sign-up sends the welcome and a link."""
        page = api.get("/v1/admin/email-dead-letters?limit=100", token=operator.token).json()
        return {d["kind"]: d for d in page["items"] if d["recipient_id"] == person.account_id}

    def dead_letter() -> list[dict]:
        return [d for kind, d in dead_letters().items() if kind == "welcome"]

    (dead,) = wait_for(dead_letter, "the welcome email in the dead letters")
    assert (dead["status"], dead["kind"], dead["attempts"]) == ("dead", "welcome", 1)
    assert dead["last_error"].startswith("550")
    assert api.get("/v1/admin/email-dead-letters", token=person.token).status_code == 403
    wait_for(lambda: len(dead_letters()) == 2, "both of the sign-up's emails to be dead")
    refused = smtp.refusals_for(person.email)
    assert refused == 2
    time.sleep(2)
    assert smtp.refusals_for(person.email) == refused  # dead means no more tries

    smtp.answer("")
    replay = api.post(
        "/v1/admin/email-dead-letters/replay",
        json={"delivery_ids": [dead["id"]]},
        token=operator.token,
    )
    assert replay.status_code == 200, replay.text
    assert replay.json() == {"replayed": 1}
    (welcome,) = wait_for(lambda: smtp.welcomes_to(person.email), "the replayed email")
    assert welcome["Message-ID"] == f"<{dead['id']}@loconomics.coop>"
    assert dead_letter() == []


OUTAGE_SECONDS = 60  # the "notifications stopped for a minute"


def test_notifications_stopped_for_a_minute_blocks_nobody_and_sends_what_happened_meanwhile(own):
    """Notifications stopped for a whole minute, with sign-ups at its start, middle and end.
    The events wait in notifications' own queue, durable, with no TTL, expiry, length limit or
    policy that could drop them as time passes, and nothing else consumes them; after the
    minute they are all still there, and every one is delivered once when it comes back."""
    platform, api, smtp = own
    smtp.answer("")
    assert platform.stop_processes(["notifications"]) == ["notifications"]
    queue = "evt-profiles-account_created--notifications.on_account_created"
    try:
        wait_for(lambda: _queue(platform, queue)["consumers"] == 0, "notifications to leave")
        outage_began = time.monotonic()
        waiting = _queue(platform, queue)["messages"]
        person = api.sign_up(name="Signed Up During Outage", language="fr")
        assert time.monotonic() - outage_began < 5, "sign-up waited for notifications"
        assert api.get("/v1/me", token=person.token).status_code == 200
        unavailable = api.get("/v1/me/notifications", token=person.token)
        assert unavailable.status_code in (503, 504)
        assert unavailable.headers["Content-Type"].startswith("application/problem+json")
        others = []
        for n, at in enumerate((OUTAGE_SECONDS / 2, OUTAGE_SECONDS - 5)):
            time.sleep(max(0.0, outage_began + at - time.monotonic()))
            asked = time.monotonic()
            others.append(api.sign_up(name=f"Also Meanwhile {n}"))
            assert time.monotonic() - asked < 5, "sign-up waited for notifications"
        time.sleep(max(0.0, outage_began + OUTAGE_SECONDS - time.monotonic()))
        held = wait_for(
            lambda: (q := _queue(platform, queue))["messages"] == waiting + 3 and q,
            "the three account_created events still waiting after a minute",
            timeout=10,
        )
        assert held["durable"] and not held["auto_delete"]
        assert not {"x-message-ttl", "x-expires", "x-max-length", "x-max-length-bytes"} & set(
            held["arguments"]
        )
        assert held.get("policy") in (None, "")
        assert json.loads(platform.management("GET", f"/api/policies/{platform.vhost}")) == []
        assert all(smtp.mail_to(p.email) == [] for p in (person, *others))
    finally:
        platform.start_service("notifications")
    (welcome,) = wait_for(lambda: smtp.welcomes_to(person.email), "the welcome email after restart")
    assert welcome["Subject"] == "Bienvenue chez Loconomics, Signed Up During Outage"
    inbox = wait_for(
        lambda: _inbox(api, person), "the notifications service to answer again", timeout=30
    )
    assert [n["kind"] for n in inbox["items"]] == ["welcome"]
    for n, other in enumerate(others):
        (mail,) = wait_for(lambda o=other: smtp.welcomes_to(o.email), "every welcome after restart")
        assert mail["Subject"] == f"Welcome to Loconomics, Also Meanwhile {n}"
    wait_for(lambda: _queue(platform, queue)["messages"] == 0, "the queue to drain")
    time.sleep(1)  # a few more delivery ticks: nothing is sent twice
    assert all(len(smtp.welcomes_to(p.email)) == 1 for p in (person, *others))


def _queue(platform: Platform, name: str) -> dict:
    quoted = urllib.parse.quote(name, safe="")
    return json.loads(platform.management("GET", f"/api/queues/{platform.vhost}/{quoted}"))


def _inbox(api: ApiClient, person: Person) -> dict | None:
    answer = api.get("/v1/me/notifications", token=person.token)
    return answer.json() if answer.status_code == 200 else None
