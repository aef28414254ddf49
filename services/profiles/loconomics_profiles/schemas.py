"""The shape of every profiles RPC argument, result and event (accounts part).

The gateway builds its OpenAPI document from these same schemas.
"""

from __future__ import annotations

from loconomics_plumbing.validation import Instant, StrictSchema
from marshmallow import Schema, fields, validate

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

    current_password = fields.String(
        required=True, load_only=True, validate=validate.Length(max=200)
    )
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

    current_password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(max=200),
        metadata={"description": "The account's password, to confirm the closure."},
    )


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
    current_password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(max=200),
        metadata={"description": "The account's password, to confirm the change."},
    )


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
