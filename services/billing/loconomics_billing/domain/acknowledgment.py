"""The owner acknowledgment: its versioned text, and whether a person has signed it.

Ownership in the cooperative is personal: one member, one share, never sold or passed on.
An owner plan alone does not make someone an owner; signing this text does. The text is
versioned, and a signature records the version and a hash of the exact words, so a later
edit can never change what someone agreed to. A wording change that alters the meaning gets
a new version, and only versions listed in `ACCEPTED_VERSIONS` count.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import OwnerAcknowledgment

ACKNOWLEDGMENT_TEXTS: dict[str, str] = {
    "2025-01": (
        "I am joining Loconomics Cooperative as a worker-owner. I understand that my "
        "ownership is personal to me: it is held by me alone, carries one vote, and cannot be "
        "sold, transferred, assigned or inherited. It ends when my owner membership ends. I "
        "will take part in the cooperative's governance in good faith, and I understand that "
        "patronage dividends, if any, are decided each year by the members."
    ),
}
CURRENT_VERSION = "2025-01"
ACCEPTED_VERSIONS: frozenset[str] = frozenset({CURRENT_VERSION})


def acknowledgment_text(version: str = CURRENT_VERSION) -> str:
    return ACKNOWLEDGMENT_TEXTS[version]


def text_sha256(version: str) -> str:
    return hashlib.sha256(acknowledgment_text(version).encode("utf-8")).hexdigest()


def signed_acknowledgment(session: Session, user_id: str) -> OwnerAcknowledgment | None:
    """The person's signature of an accepted version, the newest if several."""
    return session.scalars(
        select(OwnerAcknowledgment)
        .where(
            OwnerAcknowledgment.user_id == user_id,
            OwnerAcknowledgment.version.in_(sorted(ACCEPTED_VERSIONS)),
        )
        .order_by(OwnerAcknowledgment.signed_at.desc())
        .limit(1)
    ).first()
