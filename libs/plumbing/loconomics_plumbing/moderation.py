"""Reports and moderation: the words shared by every part that takes reports
(docs/reports-and-blocks.md).

A member reports something another member wrote (a review, a message) for one of
`REPORT_REASONS`; a moderator (an administrator) upholds the report by removing or withholding
what it is about, or dismisses it. Written once here so the parts cannot drift apart, and usable
by a service of another cooperative.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from email.utils import parseaddr

from marshmallow import fields, validate

from .validation import PageArgsSchema, StrictSchema

REPORT_REASONS = (
    "spam",
    "harassment",
    "hate",
    "sexual_content",
    "violence_or_threats",
    "private_information",
    "scam",
    "false_or_misleading",
    "conflict_of_interest",
    "other",
)
"""Why a member reports something, and why a moderator removes it: one vocabulary for both."""

OPEN, UPHELD, DISMISSED = "open", "upheld", "dismissed"
REPORT_STATUSES = (OPEN, UPHELD, DISMISSED)

DETAILS_MAX = 2000
"""The reporter's own words, optional."""
NOTE_MAX = 2000
"""A moderator's note on a decision, optional; shown to the member the decision concerns."""


def reason_field(description: str, reasons: tuple[str, ...] = REPORT_REASONS) -> fields.String:
    return fields.String(
        required=True,
        validate=validate.OneOf(reasons),
        metadata={"description": f"{description} One of: {', '.join(reasons)}."},
    )


def _text_field(limit: int, description: str) -> fields.String:
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=limit),
        metadata={"description": f"{description} At most {limit} characters."},
    )


class ReportArgsSchema(StrictSchema):
    """What a member says when they report something."""

    reason = reason_field("Why it should not be here.")
    details = _text_field(DETAILS_MAX, "Anything the moderators should know (optional).")


class RemovalArgsSchema(StrictSchema):
    """A moderator removing (or withholding) what was reported."""

    reason = reason_field("Why it is removed; the author is told.")
    note = _text_field(NOTE_MAX, "A note to the author (optional).")


class DismissalArgsSchema(StrictSchema):
    """A moderator dismissing a report: what was reported stays."""

    note = _text_field(NOTE_MAX, "A note to the reporter (optional).")


class ReportQueueArgsSchema(PageArgsSchema):
    """The moderators' queue: reports in one status, oldest first."""

    status = fields.String(
        load_default=OPEN,
        validate=validate.OneOf(REPORT_STATUSES),
        metadata={"description": "open (the default), upheld or dismissed."},
    )


# Reports of a professional's profile, and suspensions (docs/suspensions.md)

PROFILE_REPORT_REASONS = REPORT_REASONS[:-1] + (
    "fake_profile",
    "impersonation",
    "false_credentials",
    "other",
)
"""Why a member reports a professional's profile, and why a moderator suspends an account: a
profile can be false in ways a review or a message cannot."""

SUSPENSION_REASONS = PROFILE_REPORT_REASONS

CURRENT, LIFTED = "current", "lifted"
SUSPENSION_STATUSES = (CURRENT, LIFTED)


class ProfileReportArgsSchema(StrictSchema):
    """What a member says when they report a professional's profile."""

    reason = reason_field("Why this profile should not be here.", PROFILE_REPORT_REASONS)
    details = _text_field(DETAILS_MAX, "Anything the moderators should know (optional).")


class SuspensionArgsSchema(StrictSchema):
    """A moderator suspending an account: the member is told the reason and the note."""

    reason = reason_field("Why the account is suspended; the member is told.", SUSPENSION_REASONS)
    note = _text_field(NOTE_MAX, "A note to the member (optional).")


class ReinstatementArgsSchema(StrictSchema):
    """A moderator lifting a suspension: the member is told, with the note."""

    note = _text_field(NOTE_MAX, "A note to the member (optional).")


class SuspensionListArgsSchema(PageArgsSchema):
    """The moderators' list of suspensions, newest first."""

    status = fields.String(
        load_default=CURRENT,
        validate=validate.OneOf(SUSPENSION_STATUSES),
        metadata={"description": "current (the default) or lifted."},
    )
    account_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Only this account's suspensions (optional)."},
    )


MODERATORS_EMAIL_SETTING = "LOCONOMICS_MODERATORS_EMAIL"
DEFAULT_MODERATORS_EMAIL = "moderators@loconomics.coop"


def moderators_email(env: Mapping[str, str] = os.environ) -> str:
    """Where members write to the moderators (to ask why, to appeal): one address for the
    whole platform, which profiles names in a suspended member's 403 and notifications in the
    suspension email (and its Reply-To). `ValueError` when it is not a bare address."""
    address = env.get(MODERATORS_EMAIL_SETTING) or DEFAULT_MODERATORS_EMAIL
    if parseaddr(address)[1] != address or "@" not in address:
        raise ValueError(f"{MODERATORS_EMAIL_SETTING} must be an email address, not {address!r}")
    return address
