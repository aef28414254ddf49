"""The generic member statuses every cooperative maps its own onto."""

from __future__ import annotations

APPLICANT = "applicant"
ACTIVE = "active"
INACTIVE = "inactive"
SUSPENDED = "suspended"
WITHDRAWN = "withdrawn"

STATUSES = (APPLICANT, ACTIVE, INACTIVE, SUSPENDED, WITHDRAWN)
GOOD_STANDING = ACTIVE
"""Only an active member is in good standing: may vote, propose and stand for the board."""
