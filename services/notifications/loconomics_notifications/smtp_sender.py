"""Handing emails to an SMTP server, and saying whether a refusal is worth retrying.

Kept out of the domain: it does network I/O. The domain's `deliver_due` calls a sender and
only needs to know, through `DeliveryError`, whether a failure is temporary (4xx, network,
authentication or TLS trouble: fixable on our side or theirs) or permanent (5xx about this
message or its recipient), which goes straight to the dead-letter list.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage

from .domain.deliveries import DeliveryError

SECURITY = ("none", "starttls", "ssl")
Send = Callable[[EmailMessage], None]


@dataclass(frozen=True)
class SmtpSettings:
    """Defaults reach the local SMTP sink; production sets host, port, TLS and credentials."""

    host: str = "127.0.0.1"
    port: int = 1025
    security: str = "none"
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    ca_file: str | None = None

    def __post_init__(self) -> None:
        if self.security not in SECURITY:
            raise ValueError(f"security must be one of {SECURITY}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SmtpSettings:
        """`SMTP_HOST|PORT|SECURITY|USERNAME|PASSWORD|TIMEOUT|CA_FILE`, shared with the platform
        launcher, which points `SMTP_HOST`/`SMTP_PORT` at its local sink."""
        prefix = "SMTP_"
        return cls(
            host=env.get(prefix + "HOST", cls.host),
            port=int(env.get(prefix + "PORT", cls.port)),
            security=env.get(prefix + "SECURITY", cls.security).lower(),
            username=env.get(prefix + "USERNAME") or None,
            password=env.get(prefix + "PASSWORD") or None,
            timeout=float(env.get(prefix + "TIMEOUT", cls.timeout)),
            ca_file=env.get(prefix + "CA_FILE") or None,
        )


def _refusal(code: int, text: bytes | str) -> DeliveryError:
    reason = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return DeliveryError(f"{code} {reason}".strip(), permanent=500 <= code < 600)


class SmtpSender:
    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=self._tls()
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=self._tls())
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _transmit(self, smtp: smtplib.SMTP, message: EmailMessage) -> None:
        refused = smtp.send_message(message)
        if refused:
            code, text = next(iter(refused.values()))
            raise _refusal(code, text)

    def _attempt(self, action: Callable[[], None]) -> None:
        try:
            action()
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise _refusal(code, text) from error
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryError(f"authentication failed: {error.smtp_code}") from error
        except smtplib.SMTPResponseException as error:
            raise _refusal(error.smtp_code, error.smtp_error) from error
        except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from error

    def send(self, message: EmailMessage) -> None:
        """Send one email on its own connection."""

        def once() -> None:
            smtp = self._connect()
            try:
                self._transmit(smtp, message)
            finally:
                _quit(smtp)

        self._attempt(once)

    @contextmanager
    def batch(self) -> Iterator[Send]:
        """A `send` reusing one connection for many emails; a failure drops it for the next."""
        held: list[smtplib.SMTP] = []

        def send(message: EmailMessage) -> None:
            def once() -> None:
                if not held:
                    held.append(self._connect())
                try:
                    self._transmit(held[0], message)
                except BaseException:
                    _quit(held.pop())
                    raise

            self._attempt(once)

        try:
            yield send
        finally:
            if held:
                _quit(held.pop())


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
