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
