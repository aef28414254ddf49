"""The shape of every profiles RPC argument, result and event (accounts part).

The gateway builds its OpenAPI document from these same schemas.
"""

from __future__ import annotations

from loconomics_plumbing.member_data import MemberDataPartSchema, section
from loconomics_plumbing.moderation import (
    PROFILE_REPORT_REASONS,
    REPORT_REASONS,
    REPORT_STATUSES,
    SUSPENSION_REASONS,
    SUSPENSION_STATUSES,
    DismissalArgsSchema,
    ProfileReportArgsSchema,
    ReinstatementArgsSchema,
    RemovalArgsSchema,
    ReportArgsSchema,
    ReportQueueArgsSchema,
    SuspensionArgsSchema,
    SuspensionListArgsSchema,
)
from loconomics_plumbing.validation import Day, Instant, StrictSchema
from marshmallow import Schema, fields, validate

from .shop_schemas import ReviewSchema

ACCOUNT_ROLES = ("client", "professional")
LANGUAGES = ("en", "fr")
OWNER_STATUSES = ("not_yet_owner", "trial", "active", "inactive", "cancelled", "suspended")


def new_password() -> fields.String:
    """A password a member chooses: one rule for signing up, resetting and changing it."""
    return fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=10, max=200),
        metadata={"description": "At least 10 characters.", "example": "correct horse battery"},
    )


def confirming_password(what: str | None = None) -> fields.String:
    """The account's password asked again before what a stolen access token must not be
    enough for: one rule for a password change, an address change, a closure, an export."""
    metadata = {"description": f"The account's password, to confirm {what}."} if what else {}
    return fields.String(
        required=True, load_only=True, validate=validate.Length(max=200), metadata=metadata
    )


def account_name(**options) -> fields.String:
    """How the member is named to the other party and in the cooperative's register."""
    return fields.String(
        validate=validate.Length(min=1, max=120), metadata={"example": "Ana Rivera"}, **options
    )


def account_language(**options) -> fields.String:
    return fields.String(
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "Language of emails and notifications."},
        **options,
    )


class SignUpSchema(StrictSchema):
    email = fields.Email(
        required=True, validate=validate.Length(max=254), metadata={"example": "ana@example.org"}
    )
    password = new_password()
    name = account_name(required=True)
    roles = fields.List(
        fields.String(validate=validate.OneOf(ACCOUNT_ROLES)),
        required=True,
        validate=validate.Length(min=1, max=2),
        metadata={"description": "`client`, `professional`, or both."},
    )
    language = account_language(load_default="en")


class AccountChangesSchema(StrictSchema):
    """`PATCH /v1/me`: the fields given change; the email and roles are not changed here."""

    name = account_name()
    language = account_language()


class LogInSchema(StrictSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=200))


class AccountSchema(Schema):
    id = fields.String(required=True, metadata={"description": "Opaque account id."})
    email = fields.Email(required=True)
    name = fields.String(required=True)
    roles = fields.List(fields.String(validate=validate.OneOf((*ACCOUNT_ROLES, "admin"))))
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    owner_status = fields.String(
        validate=validate.OneOf(OWNER_STATUSES),
        metadata={"description": "Ownership of the cooperative, kept from billing."},
    )
    created_at = Instant(required=True)
    email_confirmed = fields.Boolean(
        dump_only=True,
        metadata={
            "description": "Whether the member confirmed this address with the link sent to "
            "it (`POST /v1/me/email-confirmations` sends it again)."
        },
    )


class SessionSchema(Schema):
    access_token = fields.String(
        required=True, metadata={"description": "Send as `Authorization: Bearer <token>`."}
    )
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(
        required=True, metadata={"description": "Seconds the access token stays valid."}
    )
    refresh_token = fields.String(
        required=True,
        metadata={"description": "Swap it for a new pair at /v1/sessions/refresh; used once."},
    )
    refresh_expires_in = fields.Integer(
        required=True, metadata={"description": "Seconds the refresh token stays valid."}
    )


class RefreshSchema(StrictSchema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=10, max=200))


class SessionCheckSchema(StrictSchema):
    session_id = fields.String(required=True, validate=validate.Length(max=36))


class RequestPasswordResetSchema(StrictSchema):
    email = fields.Email(
        required=True,
        validate=validate.Length(max=254),
        metadata={
            "description": "Where the reset link goes, if an account has this email.",
            "example": "ana@example.org",
        },
    )


class ResetPasswordSchema(StrictSchema):
    token = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The token of the emailed reset link; it works once."},
    )
    password = new_password()


class ChangePasswordSchema(StrictSchema):
    """`PUT /v1/me/password`: the session kept open is the gateway's to tell, not the body's."""

    current_password = confirming_password()
    password = new_password()


class ChangePasswordArgsSchema(ChangePasswordSchema):
    session_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=36),
        metadata={"description": "The caller's log-in, which stays open; every other ends."},
    )


class CloseAccountSchema(StrictSchema):
    """`POST /v1/me/closure`: the member confirms with their password that it is them."""

    current_password = confirming_password("the closure")


class ExportMemberDataSchema(StrictSchema):
    """`POST /v1/me/data-export`: an access token alone must not be enough to carry off a
    member's history, so the password is asked again."""

    current_password = confirming_password("the export")


class ConfirmEmailSchema(StrictSchema):
    """`POST /v1/email-confirmations/confirm`: the link opens in any browser, signed in or not."""

    token = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "The token of the emailed link (`confirm-email?token=…`); it "
            "confirms the address given at sign-up, makes a new address the account's, or "
            "brings the old one back after a change. It works once."
        },
    )


class EmailChangeSchema(StrictSchema):
    """`PUT /v1/me/email`: the new address, and the password to show it is the member."""

    email = fields.Email(
        required=True,
        validate=validate.Length(max=254),
        metadata={
            "description": "The new address. A link goes to it; the account's address changes "
            "only when that link is used.",
            "example": "ana.rivera@example.org",
        },
    )
    current_password = confirming_password("the change")


class AccountClosureSchema(Schema):
    closed_at = Instant(
        required=True,
        metadata={
            "description": "When the account was closed; the other services finish erasing "
            "their copies moments later."
        },
    )


class OwnerStatusChangedEventSchema(Schema):
    """What profiles reads of billing's `owner_status_changed`."""

    class Meta:
        unknown = "exclude"

    user_id = fields.String(required=True)
    to = fields.String(required=True, validate=validate.OneOf(OWNER_STATUSES))
    changed_at = Instant(required=True)


class _AccountNoticeEventSchema(Schema):
    """An event about an account that says where its email goes (the address held now; for
    `account_closed`, the one held until then; for `email_confirmation_requested`, the one to
    confirm)."""

    event_id = fields.String(required=True)
    occurred_at = fields.String(required=True)
    account_id = fields.String(required=True)
    email = fields.Email(required=True)
    name = fields.String(required=True)
    language = fields.String(required=True)


class AccountCreatedEventSchema(_AccountNoticeEventSchema):
    """`account_created`, and `account_changed` with the same whole snapshot after a change."""

    roles = fields.List(fields.String(), required=True)


AccountChangedEventSchema = AccountCreatedEventSchema


class PasswordResetRequestedEventSchema(_AccountNoticeEventSchema):
    reset_token = fields.String(
        required=True,
        metadata={"description": "The reset link's token; profiles keeps only its hash."},
    )
    expires_at = Instant(required=True)


class EmailConfirmationRequestedEventSchema(_AccountNoticeEventSchema):
    """`email_confirmation_requested`: `email` is the address to confirm (for a change, the
    new one, not yet the account's), and the link goes there only. Profiles deletes this
    event's outbox row once published: it carries the token."""

    purpose = fields.String(
        required=True,
        validate=validate.OneOf(("sign_up", "change")),
        metadata={
            "description": "`sign_up`: confirm the account's address; `change`: confirm the new "
            "address, the old one staying until then."
        },
    )
    confirmation_token = fields.String(
        required=True,
        metadata={"description": "The link's token; profiles keeps only its hash."},
    )
    expires_at = Instant(required=True)


class EmailChangedEventSchema(Schema):
    """`email_changed`: the security notice to the OLD address after a change, with the link
    that brings it back. Profiles deletes this event's outbox row once published: it carries
    the token. (The new address reaches the other services' copies with `account_changed`.)"""

    event_id = fields.String(required=True)
    occurred_at = fields.String(required=True)
    account_id = fields.String(required=True)
    name = fields.String(required=True)
    language = fields.String(required=True)
    old_email = fields.Email(required=True, metadata={"description": "Where the notice goes."})
    new_email = fields.Email(required=True)
    changed_at = Instant(required=True)
    undo_token = fields.String(
        required=True,
        metadata={
            "description": "The token of the link bringing the old address back; profiles "
            "keeps only its hash."
        },
    )
    undo_expires_at = Instant(required=True)


class PasswordChangedEventSchema(_AccountNoticeEventSchema):
    changed_at = Instant(required=True)
    how = fields.String(required=True, validate=validate.OneOf(("reset", "change")))


class AccountClosedEventSchema(_AccountNoticeEventSchema):
    """`account_closed`. The email, name and language are the ones the account had before
    closing erased them, for the goodbye email only: nobody may keep them (profiles deletes this
    event's outbox row once published)."""

    closed_at = Instant(required=True)
    roles = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "The account's roles, e.g. client and professional."},
    )


class DataExportRequestedEventSchema(Schema):
    """`data_export_requested`: the member downloaded a copy of their data; notifications
    sends the security notice. No address in it: notifications has its own copy."""

    event_id = fields.String(required=True)
    occurred_at = fields.String(required=True)
    account_id = fields.String(required=True)
    requested_at = Instant(required=True)


# Reports of reviews and their moderation (docs/reports-and-blocks.md). The request bodies are
# the shared ones of `loconomics_plumbing.moderation`; the RPC arguments add the id of the path.


def _review_id(description: str = "Review id.") -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": description},
    )


class ReportReviewArgsSchema(ReportArgsSchema):
    review_id = _review_id("The published review reported.")


ReviewReportQueueArgsSchema = ReportQueueArgsSchema


class RemoveReviewArgsSchema(RemovalArgsSchema):
    review_id = _review_id()


class RestoreReviewArgsSchema(StrictSchema):
    review_id = _review_id()


class DismissReviewReportArgsSchema(DismissalArgsSchema):
    report_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Report id."},
    )


def _reason(description: str, **options) -> fields.String:
    return fields.String(
        validate=validate.OneOf(REPORT_REASONS),
        metadata={"description": f"{description} One of: {', '.join(REPORT_REASONS)}."},
        **options,
    )


class ReviewReportSchema(Schema):
    """A report as its reporter sees it."""

    id = fields.String(required=True, metadata={"description": "Report id."})
    review_id = fields.String(required=True, metadata={"description": "The review reported."})
    reason = _reason("Why it was reported.", required=True)
    details = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The reporter's own words (erased if they close their account)."},
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf(REPORT_STATUSES),
        metadata={
            "description": "`open` until a moderator decides; `upheld` (the review was removed) "
            "or `dismissed` (it stays)."
        },
    )
    created_at = Instant(required=True, metadata={"description": "When it was reported."})
    resolved_at = Instant(
        allow_none=True, required=True, metadata={"description": "When a moderator decided."}
    )


class ModeratedReviewSchema(ReviewSchema):
    """A review as a moderator sees it: its text whatever its state, and its removal."""

    removed_at = Instant(
        allow_none=True,
        required=True,
        metadata={"description": "When a moderator removed it; null while it is shown."},
    )
    removal_reason = _reason("Why it was removed; null unless removed.", allow_none=True)
    removal_note = fields.String(
        allow_none=True, metadata={"description": "The moderator's note to the author."}
    )
    removed_by = fields.String(
        allow_none=True, metadata={"description": "The moderator who removed it."}
    )
    report_count = fields.Integer(
        required=True, metadata={"description": "Reports of this review, in any status."}
    )


class ModeratedReviewReportSchema(ReviewReportSchema):
    """A report as a moderator sees it, with the review it is about."""

    reporter_id = fields.String(required=True, metadata={"description": "Who reported it."})
    resolved_by = fields.String(
        allow_none=True, required=True, metadata={"description": "The moderator who decided."}
    )
    resolution_note = fields.String(
        allow_none=True,
        required=True,
        metadata={
            "description": "The note told to the reporter: the removal's note when upheld, the "
            "dismissal's when dismissed."
        },
    )
    review = fields.Nested(
        ModeratedReviewSchema, required=True, metadata={"description": "The review reported."}
    )


class ReviewReportPageSchema(Schema):
    items = fields.List(
        fields.Nested(ModeratedReviewReportSchema),
        required=True,
        metadata={"description": "Oldest first: first come, first answered."},
    )
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "Pass back as `cursor` for the next page; null at the end."},
    )


class ReviewRemovedEventSchema(Schema):
    """`review_removed`: a moderator removed a published review; its author is told (inbox
    and email, transactional), with the reason and the note."""

    review_id = fields.String(required=True)
    booking_id = fields.String(required=True)
    author_id = fields.String(required=True, metadata={"description": "Who is told."})
    author_role = fields.String(required=True, validate=validate.OneOf(("client", "professional")))
    subject_id = fields.String(required=True, metadata={"description": "Who was reviewed."})
    professional_id = fields.String(required=True)
    client_id = fields.String(required=True)
    reason = _reason("Why it was removed.", required=True)
    note = fields.String(
        allow_none=True, required=True, metadata={"description": "The moderator's note."}
    )
    removed_at = Instant(required=True)


class ReviewReportResolvedEventSchema(Schema):
    """`review_report_resolved`: one per report a moderator's decision resolved; the reporter
    is told the outcome."""

    report_id = fields.String(required=True)
    review_id = fields.String(required=True)
    reporter_id = fields.String(required=True, metadata={"description": "Who is told."})
    outcome = fields.String(required=True, validate=validate.OneOf(("upheld", "dismissed")))
    note = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The removal's note when upheld, the dismissal's when dismissed."},
    )
    resolved_at = Instant(required=True)


# Reports of professionals' profiles, and suspended accounts (docs/suspensions.md). The request
# bodies are the shared ones of `loconomics_plumbing.moderation`; the RPC arguments add the id
# of the path.


def _id_field(description: str) -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": description},
    )


class ReportProfileArgsSchema(ProfileReportArgsSchema):
    professional_id = _id_field("The professional whose profile is reported.")


ProfileReportQueueArgsSchema = ReportQueueArgsSchema


class DismissProfileReportArgsSchema(DismissalArgsSchema):
    report_id = _id_field("Report id.")


class SuspendAccountArgsSchema(SuspensionArgsSchema):
    account_id = _id_field("The account suspended.")


class ReinstateAccountArgsSchema(ReinstatementArgsSchema):
    account_id = _id_field("The account whose suspension is lifted.")


ListSuspensionsArgsSchema = SuspensionListArgsSchema


def _profile_reason(description: str, **options) -> fields.String:
    return fields.String(
        validate=validate.OneOf(PROFILE_REPORT_REASONS),
        metadata={"description": f"{description} One of: {', '.join(PROFILE_REPORT_REASONS)}."},
        **options,
    )


def _suspension_reason(description: str, **options) -> fields.String:
    return fields.String(
        validate=validate.OneOf(SUSPENSION_REASONS),
        metadata={"description": f"{description} One of: {', '.join(SUSPENSION_REASONS)}."},
        **options,
    )


class ProfileReportSchema(Schema):
    """A report of a professional's profile as its reporter sees it."""

    id = fields.String(required=True, metadata={"description": "Report id."})
    professional_id = fields.String(
        required=True, metadata={"description": "The professional whose profile was reported."}
    )
    reason = _profile_reason("Why it was reported.", required=True)
    details = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The reporter's own words (erased if they close their account)."},
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf(REPORT_STATUSES),
        metadata={
            "description": "`open` until a moderator decides; `upheld` (the account was "
            "suspended) or `dismissed` (the profile stays)."
        },
    )
    created_at = Instant(required=True, metadata={"description": "When it was reported."})
    resolved_at = Instant(
        allow_none=True, required=True, metadata={"description": "When a moderator decided."}
    )


class ReportedProfessionalSchema(Schema):
    """The professional a report is about, as a moderator sees them."""

    id = fields.String(required=True, metadata={"description": "Their account id."})
    name = fields.String(
        allow_none=True, required=True, metadata={"description": "Their account's name."}
    )
    business_name = fields.String(allow_none=True, required=True)
    photo_url = fields.String(allow_none=True, required=True)
    job_titles = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "The job titles of their listings (not deleted), oldest first."},
    )
    suspended = fields.Boolean(
        required=True, metadata={"description": "Whether their account is suspended now."}
    )
    report_count = fields.Integer(
        required=True, metadata={"description": "Open reports of their profile."}
    )


class ModeratedProfileReportSchema(ProfileReportSchema):
    """A report of a profile as a moderator sees it, with the professional it is about."""

    reporter_id = fields.String(required=True, metadata={"description": "Who reported it."})
    resolved_by = fields.String(
        allow_none=True, required=True, metadata={"description": "The moderator who decided."}
    )
    resolution_note = fields.String(
        allow_none=True,
        required=True,
        metadata={
            "description": "The dismissal's note, told to the reporter; null when upheld (a "
            "suspension's note is the member's)."
        },
    )
    professional = fields.Nested(
        ReportedProfessionalSchema,
        required=True,
        metadata={"description": "The professional whose profile was reported."},
    )


class ProfileReportPageSchema(Schema):
    items = fields.List(
        fields.Nested(ModeratedProfileReportSchema),
        required=True,
        metadata={"description": "Oldest first: first come, first answered."},
    )
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "Pass back as `cursor` for the next page; null at the end."},
    )


class SuspensionSchema(Schema):
    """A suspension as a moderator sees it: the record of the decision, and its lifting."""

    id = fields.String(required=True, metadata={"description": "Suspension id."})
    account_id = fields.String(required=True, metadata={"description": "The account suspended."})
    name = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The account's name now (`Former member` once closed)."},
    )
    email = fields.String(
        allow_none=True, required=True, metadata={"description": "The account's email now."}
    )
    reason = _suspension_reason("Why it was suspended; the member is told.", required=True)
    note = fields.String(
        allow_none=True, required=True, metadata={"description": "The note told to the member."}
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf(SUSPENSION_STATUSES),
        metadata={"description": "`current` until a moderator reinstates the account; `lifted`."},
    )
    suspended_at = Instant(required=True)
    suspended_by = fields.String(
        required=True, metadata={"description": "The moderator who suspended it."}
    )
    reinstated_at = Instant(allow_none=True, required=True)
    reinstated_by = fields.String(
        allow_none=True, required=True, metadata={"description": "The moderator who lifted it."}
    )
    reinstatement_note = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The note told to the member when it was lifted."},
    )


class SuspensionPageSchema(Schema):
    items = fields.List(
        fields.Nested(SuspensionSchema),
        required=True,
        metadata={
            "description": "Newest first: current ones by when they began, lifted ones by "
            "when they were lifted."
        },
    )
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "Pass back as `cursor` for the next page; null at the end."},
    )


class AccountSuspendedEventSchema(Schema):
    """`account_suspended`: a moderator suspended an account. Booking cancels the member's
    open bookings and takes no new ones; notifications stops messages and emails the member
    the reason and the note."""

    account_id = fields.String(required=True, metadata={"description": "Who is suspended."})
    suspension_id = fields.String(required=True)
    reason = _suspension_reason("Why it was suspended.", required=True)
    note = fields.String(
        allow_none=True, required=True, metadata={"description": "The moderator's note."}
    )
    suspended_at = Instant(required=True, metadata={"description": "The time of this change."})


class AccountReinstatedEventSchema(Schema):
    """`account_reinstated`: a moderator lifted the account's suspension; the member is told,
    with the note."""

    account_id = fields.String(required=True)
    suspension_id = fields.String(required=True, metadata={"description": "The one lifted."})
    note = fields.String(
        allow_none=True, required=True, metadata={"description": "The moderator's note."}
    )
    reinstated_at = Instant(required=True, metadata={"description": "The time of this change."})


class ProfileReportResolvedEventSchema(Schema):
    """`profile_report_resolved`: one per report of a profile a moderator's decision resolved
    (one per dismissal; every open one of the profile at a suspension); the reporter is told."""

    report_id = fields.String(required=True)
    professional_id = fields.String(required=True)
    reporter_id = fields.String(required=True, metadata={"description": "Who is told."})
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(("upheld", "dismissed")),
        metadata={"description": "`upheld`: the account was suspended; `dismissed`: it stays."},
    )
    note = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The dismissal's note; null when upheld."},
    )
    resolved_at = Instant(required=True)


# A member's copy of their data (docs/data-export.md): one schema per section's record, each
# field named, so a new column never reaches the copy unless a field is added here.


class ReviewPartyRecordSchema(Schema):
    account_id = fields.String(required=True)
    name = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The account's name as the app shows it."},
    )


class AccountRecordSchema(Schema):
    id = fields.String(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    language = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    owner_status = fields.String(required=True)
    owner_status_changed_at = Instant(allow_none=True, required=True)
    created_at = Instant(required=True)
    email_confirmed = fields.Boolean(required=True)
    email_confirmed_at = Instant(allow_none=True, required=True)
    password_set = fields.Boolean(
        required=True, metadata={"description": "A password exists; its hash is not shown."}
    )


class LogInRecordSchema(Schema):
    id = fields.String(required=True, metadata={"description": "The log-in (all its refreshes)."})
    created_at = Instant(required=True, metadata={"description": "When the member logged in."})
    last_used_at = Instant(
        required=True, metadata={"description": "When its refresh token was last used."}
    )
    refreshes = fields.Integer(required=True)
    expires_at = Instant(required=True)
    revoked_at = Instant(allow_none=True, required=True)


class PasswordResetRecordSchema(Schema):
    id = fields.String(required=True)
    requested_at = Instant(required=True)
    expires_at = Instant(required=True)
    used_at = Instant(
        allow_none=True,
        required=True,
        metadata={"description": "Used, or superseded by a newer link; null if neither."},
    )


class EmailConfirmationRecordSchema(Schema):
    id = fields.String(required=True)
    purpose = fields.String(required=True)
    email = fields.String(required=True, metadata={"description": "Where the link went."})
    requested_at = Instant(required=True)
    expires_at = Instant(required=True)
    used_at = Instant(allow_none=True, required=True)


class ProfessionalProfileRecordSchema(Schema):
    business_name = fields.String(allow_none=True, required=True)
    bio = fields.String(required=True)
    photo_url = fields.String(allow_none=True, required=True)
    slug = fields.String(allow_none=True, required=True)
    languages = fields.List(fields.String(), required=True)
    created_at = Instant(required=True)
    updated_at = Instant(required=True)


class CredentialRecordSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    number = fields.String(required=True)
    issuer = fields.String(required=True)
    state = fields.String(allow_none=True, required=True)
    expires_on = Day(allow_none=True, required=True)
    verified = fields.Boolean(required=True)
    verified_at = Instant(allow_none=True, required=True)
    created_at = Instant(required=True)
    updated_at = Instant(required=True)


class ServiceAreaRecordSchema(Schema):
    listing_id = fields.String(required=True)
    lat = fields.Float(required=True)
    lng = fields.Float(required=True)
    radius_km = fields.Float(required=True)
    travels = fields.Boolean(required=True)
    at_location = fields.Boolean(required=True)
    updated_at = Instant(required=True)


class ListingServiceRecordSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    pricing_type = fields.String(required=True)
    amount_cents = fields.Integer(allow_none=True, required=True)
    currency = fields.String(allow_none=True, required=True)
    duration_minutes = fields.Integer(allow_none=True, required=True)
    sessions = fields.Integer(allow_none=True, required=True)
    first_time_clients_only = fields.Boolean(required=True)
    visible_to_client_id = fields.String(allow_none=True, required=True)
    active = fields.Boolean(required=True)
    created_at = Instant(required=True)
    updated_at = Instant(required=True)


class ListingRecordSchema(Schema):
    id = fields.String(required=True)
    job_title_id = fields.String(required=True)
    job_title_name = fields.String(allow_none=True, required=True)
    intro = fields.String(required=True)
    status = fields.String(required=True)
    cancellation_policy = fields.String(required=True)
    instant_booking = fields.Boolean(required=True)
    rating_avg = fields.Float(required=True)
    review_count = fields.Integer(required=True)
    version = fields.Integer(required=True)
    created_at = Instant(required=True)
    updated_at = Instant(required=True)
    published_at = Instant(allow_none=True, required=True)
    services = fields.List(fields.Nested(ListingServiceRecordSchema), required=True)


class JobTitleProposalRecordSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    slug = fields.String(required=True)
    category = fields.String(required=True)
    aliases = fields.List(fields.String(), required=True)
    status = fields.String(required=True)
    proposed_at = Instant(required=True)
    decided_at = Instant(allow_none=True, required=True)


class ReviewRecordSchema(Schema):
    id = fields.String(required=True)
    booking_id = fields.String(required=True)
    author_role = fields.String(required=True)
    other_party = fields.Nested(
        ReviewPartyRecordSchema,
        required=True,
        metadata={"description": "Who is reviewed (written) or who wrote it (received)."},
    )
    listing_id = fields.String(allow_none=True, required=True)
    job_title_id = fields.String(allow_none=True, required=True)
    ratings = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    rating = fields.Float(required=True)
    text = fields.String(required=True)
    created_at = Instant(required=True)
    published_at = Instant(allow_none=True, required=True)
    reply_text = fields.String(allow_none=True, required=True)
    replied_at = Instant(allow_none=True, required=True)


class WrittenReviewRecordSchema(ReviewRecordSchema):
    """A review the member wrote, and whether a moderator removed it (it keeps its text)."""

    removed_at = Instant(
        allow_none=True,
        required=True,
        metadata={"description": "When a moderator removed it from the app; null if shown."},
    )
    removal_reason = fields.String(allow_none=True, required=True)
    removal_note = fields.String(allow_none=True, required=True)


class ReviewReportRecordSchema(Schema):
    """A report the member made (who decided is not shown)."""

    id = fields.String(required=True)
    review_id = fields.String(required=True)
    reason = fields.String(required=True)
    details = fields.String(allow_none=True, required=True)
    status = fields.String(required=True)
    created_at = Instant(required=True)
    resolved_at = Instant(allow_none=True, required=True)


class ProfileReportRecordSchema(Schema):
    """A report of a profile the member made (who decided is not shown)."""

    id = fields.String(required=True)
    professional_id = fields.String(required=True)
    reason = fields.String(required=True)
    details = fields.String(allow_none=True, required=True)
    status = fields.String(required=True)
    created_at = Instant(required=True)
    resolved_at = Instant(allow_none=True, required=True)
    resolution_note = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The moderators' note to the member when they dismissed it."},
    )


class SuspensionRecordSchema(Schema):
    """A suspension of the member's account (who decided is not shown)."""

    id = fields.String(required=True)
    reason = fields.String(required=True)
    note = fields.String(allow_none=True, required=True)
    status = fields.String(required=True)
    suspended_at = Instant(required=True)
    reinstated_at = Instant(allow_none=True, required=True)
    reinstatement_note = fields.String(allow_none=True, required=True)


class MemberDataSectionsSchema(Schema):
    account = section(AccountRecordSchema)
    log_ins = section(LogInRecordSchema)
    password_resets = section(PasswordResetRecordSchema)
    email_confirmations = section(EmailConfirmationRecordSchema)
    professional_profile = section(ProfessionalProfileRecordSchema)
    credentials = section(CredentialRecordSchema)
    service_areas = section(ServiceAreaRecordSchema)
    listings = section(ListingRecordSchema)
    job_title_proposals = section(JobTitleProposalRecordSchema)
    reviews_written = section(WrittenReviewRecordSchema)
    reviews_received = section(ReviewRecordSchema)
    review_reports = section(ReviewReportRecordSchema)
    profile_reports = section(ProfileReportRecordSchema)
    suspensions = section(SuspensionRecordSchema)


class MemberDataSchema(MemberDataPartSchema):
    """profiles' part of a member's copy of their data (docs/data-export.md)."""

    sections = fields.Nested(MemberDataSectionsSchema, required=True)
