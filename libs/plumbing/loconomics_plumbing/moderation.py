"""Reports and moderation: the words shared by every part that takes reports
(docs/reports-and-blocks.md).

A member reports something another member wrote (a review, a message) for one of
`REPORT_REASONS`; a moderator (an administrator) upholds the report by removing or withholding
what it is about, or dismisses it. Written once here so the parts cannot drift apart, and usable
by a service of another cooperative.
"""

from __future__ import annotations

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


def reason_field(description: str) -> fields.String:
    return fields.String(
        required=True,
        validate=validate.OneOf(REPORT_REASONS),
        metadata={"description": f"{description} One of: {', '.join(REPORT_REASONS)}."},
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
