"""What a platform's SMTP sink kept: one .eml file per message, in its mail folder."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage


def mail_to(platform, address: str) -> list[EmailMessage]:
    """What the SMTP sink kept for `address`, oldest first."""
    found = []
    for path in sorted(platform.maildir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if address in message["X-Envelope-To"]:
            found.append(message)
    return found


def mail_saying(platform, address: str, *words: str) -> list[EmailMessage]:
    """Mail to `address` whose subject or plain text has every one of `words` (any case)."""
    found = []
    for message in mail_to(platform, address):
        body = message.get_body(preferencelist=("plain",))
        text = f"{message['Subject']}\n{body.get_content() if body else ''}".lower()
        if all(word.lower() in text for word in words):
            found.append(message)
    return found
