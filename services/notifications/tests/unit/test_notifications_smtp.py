"""The SMTP sender against a real SMTP server (aiosmtpd) on a free local port."""

from __future__ import annotations

import socket
import ssl
import subprocess
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from loconomics_notifications.domain.deliveries import DeliveryError, deliver_due
from loconomics_notifications.domain.emails import Mailbox
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import EmailDelivery
from loconomics_notifications.smtp_sender import SmtpSender, SmtpSettings
from sqlalchemy import select

MAILBOX = Mailbox("hello@loconomics.test", link_base="https://app.loconomics.test")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An SMTP handler that keeps what it accepts, after refusing the first `refusals` emails."""

    def __init__(self, refusals: int = 0, refusal: str = "451 4.3.0 Try again later"):
        self.refusals = refusals
        self.refusal = refusal
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):
        if self.refusals:
            self.refusals -= 1
            return self.refusal
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 2.0.0 OK"


class UnknownRecipient:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user"


@pytest.fixture
def smtp_server():
    """Start an aiosmtpd server for a handler; stopped after the test."""
    started: list[Controller] = []

    def start(handler, **options) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for `localhost`, also used as the trusted CA."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _server_tls(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


def _email(to: str = "ana@example.org") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "hello@loconomics.test"
    message["To"] = to
    message["Subject"] = "Hi"
    message.set_content("Hello")
    return message


def test_an_email_reaches_the_server(smtp_server):
    inbox = Inbox()
    port = smtp_server(inbox)
    SmtpSender(SmtpSettings(port=port)).send(_email())
    assert [m["Subject"] for m in inbox.received] == ["Hi"]
    assert inbox.envelopes == [("hello@loconomics.test", ["ana@example.org"])]


def test_a_451_is_a_temporary_failure(smtp_server):
    port = smtp_server(Inbox(refusals=1))
    with pytest.raises(DeliveryError) as caught:
        SmtpSender(SmtpSettings(port=port)).send(_email())
    assert not caught.value.permanent and caught.value.reason.startswith("451")


def test_an_unknown_recipient_is_a_permanent_failure(smtp_server):
    port = smtp_server(UnknownRecipient())
    with pytest.raises(DeliveryError) as caught:
        SmtpSender(SmtpSettings(port=port)).send(_email())
    assert caught.value.permanent and caught.value.reason.startswith("550")


def test_no_server_and_a_silent_server_are_temporary_failures():
    with pytest.raises(DeliveryError) as refused:
        SmtpSender(SmtpSettings(port=free_port(), timeout=2)).send(_email())
    assert not refused.value.permanent
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = SmtpSettings(port=silent.getsockname()[1], timeout=0.3)
        with pytest.raises(DeliveryError) as timed_out:
            SmtpSender(settings).send(_email())
    assert not timed_out.value.permanent
    assert "timed out" in timed_out.value.reason.lower()


def test_starttls_with_credentials(smtp_server, certificate):
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    inbox = Inbox()
    port = smtp_server(
        inbox,
        tls_context=_server_tls(certificate),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    settings = SmtpSettings(
        host="localhost",
        port=port,
        security="starttls",
        username="coop",
        password="s3cret",
        ca_file=str(certificate[0]),
    )
    SmtpSender(settings).send(_email())
    assert logins == [(b"coop", b"s3cret")] and len(inbox.received) == 1

    wrong = SmtpSettings(**{**settings.__dict__, "password": "nope"})
    with pytest.raises(DeliveryError) as caught:
        SmtpSender(wrong).send(_email())
    assert not caught.value.permanent  # our configuration, not the message: retry after a fix
    assert "authentication" in caught.value.reason


def test_starttls_refuses_a_certificate_it_does_not_trust(smtp_server, certificate):
    port = smtp_server(Inbox(), tls_context=_server_tls(certificate), require_starttls=True)
    with pytest.raises(DeliveryError) as caught:
        SmtpSender(SmtpSettings(host="localhost", port=port, security="starttls")).send(_email())
    assert "certificate" in caught.value.reason.lower()


def test_implicit_tls(smtp_server, certificate):
    inbox = Inbox()
    port = smtp_server(inbox, ssl_context=_server_tls(certificate))
    settings = SmtpSettings(
        host="localhost", port=port, security="ssl", ca_file=str(certificate[0])
    )
    SmtpSender(settings).send(_email())
    assert len(inbox.received) == 1


def test_a_batch_reuses_one_connection_and_recovers_after_a_refusal(smtp_server):
    inbox = Inbox(refusals=1)
    port = smtp_server(inbox)
    sender = SmtpSender(SmtpSettings(port=port))
    with sender.batch() as send:
        with pytest.raises(DeliveryError):
            send(_email("a@example.org"))
        send(_email("b@example.org"))
        send(_email("c@example.org"))
    assert [m["To"] for m in inbox.received] == ["b@example.org", "c@example.org"]


def test_settings_come_from_the_environment():
    settings = SmtpSettings.from_env(
        {
            "SMTP_HOST": "smtp.example.org",
            "SMTP_PORT": "587",
            "SMTP_SECURITY": "STARTTLS",
            "SMTP_USERNAME": "u",
            "SMTP_PASSWORD": "p",
            "SMTP_TIMEOUT": "2.5",
        }
    )
    assert settings == SmtpSettings("smtp.example.org", 587, "starttls", "u", "p", 2.5, None)
    assert SmtpSettings.from_env({}) == SmtpSettings()
    with pytest.raises(ValueError):
        SmtpSettings(security="tls1.0")


# ---- The whole path: events in, emails out -----------------------------------------------------


def _booking_life(make_event, now):
    new_start = now + timedelta(days=12)
    first = make_event("booking_confirmed")
    return [
        ("booking_requested", make_event("booking_requested", occurred_at=now)),
        (
            "booking_confirmed",
            make_event("booking_confirmed", occurred_at=now + timedelta(minutes=5)),
        ),
        (
            "booking_rescheduled",
            make_event(
                "booking_rescheduled",
                occurred_at=now + timedelta(hours=1),
                start=new_start,
                previous_start=first["start"],
                previous_end=first["end"],
            ),
        ),
        (
            "booking_reminder_due",
            make_event(
                "booking_reminder_due", occurred_at=now + timedelta(days=10), start=new_start
            ),
        ),
        (
            "booking_performed",
            make_event("booking_performed", occurred_at=now + timedelta(days=12), start=new_start),
        ),
        (
            "booking_completed",
            make_event("booking_completed", occurred_at=now + timedelta(days=15), start=new_start),
        ),
        (
            "booking_review_requested",
            make_event(
                "booking_review_requested", occurred_at=now + timedelta(days=19), start=new_start
            ),
        ),
    ]


def test_a_bookings_whole_life_arrives_by_email_once_each(
    session, now, people, make_event, smtp_server
):
    inbox = Inbox()
    port = smtp_server(inbox)
    sender = SmtpSender(SmtpSettings(port=port))
    moment = now
    for name, event in _booking_life(make_event, now):
        moment += timedelta(seconds=1)
        handle_event(session, name, event, moment)
        handle_event(session, name, event, moment)  # delivered twice by the broker
    with sender.batch() as send:
        run = deliver_due(session, moment, send, MAILBOX, limit=100)
    assert run.dead == 0 and run.retrying == 0
    to_client = [
        m for m in inbox.received if m["To"].addresses[0].addr_spec == "client1@example.org"
    ]
    assert [m["Subject"] for m in to_client] == [
        "Bienvenue chez Loconomics, Chloé Martin",
        "Demande envoyée : Haircut avec Pat Rivera",
        "Réservation confirmée : Haircut avec Pat Rivera",
        "Réservation déplacée : Haircut avec Pat Rivera",
        "Rappel : Haircut avec Pat Rivera",
        "Réservation effectuée : Haircut avec Pat Rivera",
        "Réservation terminée : Haircut avec Pat Rivera",
        "Comment s'est passé Haircut avec Pat Rivera ?",
    ]
    to_pro = [m for m in inbox.received if m["To"].addresses[0].addr_spec == "pro1@example.org"]
    assert len(to_pro) == 6  # welcome + all but the client's "done" and review request
    invites = [
        part.get_content()
        for m in to_client
        for part in m.iter_attachments()
        if part.get_content_type() == "text/calendar"
    ]
    assert [i.count("SEQUENCE:") for i in invites] == [1] * 4  # the changes and the reminder
    assert ["SEQUENCE:0" in invites[0], "SEQUENCE:2" in invites[2]] == [True, True]
    assert len({m["Message-ID"] for m in inbox.received}) == len(inbox.received)


def test_a_server_refusing_for_a_while_loses_nothing(session, now, people, make_event, smtp_server):
    inbox = Inbox(refusals=7)
    port = smtp_server(inbox)
    sender = SmtpSender(SmtpSettings(port=port))
    for name, event in _booking_life(make_event, now):
        handle_event(session, name, event, now)
    expected = session.query(EmailDelivery).count()
    moment, rounds = now, 0
    while session.scalars(select(EmailDelivery).where(EmailDelivery.status != "sent")).first():
        with sender.batch() as send:
            deliver_due(session, moment, send, MAILBOX, limit=100)
        moment += timedelta(minutes=30)
        rounds += 1
        assert rounds < 10
    assert rounds > 1
    assert len(inbox.received) == expected
    assert len({m["Message-ID"] for m in inbox.received}) == expected
    retried = session.scalars(select(EmailDelivery).where(EmailDelivery.attempts > 1)).all()
    assert len(retried) == 7 and all(d.last_error.startswith("451") for d in retried)
