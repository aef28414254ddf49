"""Accounts and sessions (profiles)."""

from __future__ import annotations

from loconomics_plumbing.errors import Unauthorized
from loconomics_profiles.schemas import (
    AccountChangesSchema,
    AccountClosureSchema,
    AccountSchema,
    ChangePasswordSchema,
    CloseAccountSchema,
    ConfirmEmailSchema,
    EmailChangeSchema,
    LogInSchema,
    RefreshSchema,
    RequestPasswordResetSchema,
    ResetPasswordSchema,
    SessionSchema,
    SignUpSchema,
)

from ..operations import ANONYMOUS, PUBLIC, Call, Operation, Reply


def create_account(call: Call) -> dict:
    return call.rpc("profiles", "sign_up", **call.body)


def create_session(call: Call) -> dict:
    return call.rpc("profiles", "log_in", **call.body)


def refresh_session(call: Call) -> dict:
    return call.rpc("profiles", "refresh_session", **call.body)


def delete_session(call: Call) -> Reply:
    session_id = call.request.context.get("session_id")
    if not session_id:
        raise Unauthorized("This token has no session to close.")
    call.rpc("profiles", "log_out", session_id=session_id)
    call.gate.authenticator.forget(session_id)
    return Reply(status=204)


def get_me(call: Call) -> dict:
    return call.rpc("profiles", "get_me")


def change_me(call: Call) -> dict:
    return call.rpc("profiles", "change_me", **call.body)


def request_password_reset(call: Call) -> Reply:
    call.rpc("profiles", "request_password_reset", **call.body)
    return Reply(status=202)


def reset_password(call: Call) -> Reply:
    call.rpc("profiles", "reset_password", **call.body)
    return Reply(status=204)


def change_password(call: Call) -> Reply:
    session_id = call.request.context.get("session_id")
    call.rpc("profiles", "change_password", session_id=session_id, **call.body)
    return Reply(status=204)


def confirm_email(call: Call) -> Reply:
    call.rpc("profiles", "confirm_email", **call.body)
    return Reply(status=204)


def resend_email_confirmation(call: Call) -> Reply:
    call.rpc("profiles", "resend_email_confirmation")
    return Reply(status=202)


def change_email(call: Call) -> Reply:
    call.rpc("profiles", "request_email_change", **call.body)
    return Reply(status=202)


def close_account(call: Call) -> dict:
    closure = call.rpc("profiles", "close_account", **call.body)
    session_id = call.request.context.get("session_id")
    if session_id:
        call.gate.authenticator.forget(session_id)
    return closure


OPERATIONS = [
    Operation(
        "POST",
        "/v1/accounts",
        "Sign up with email and password",
        create_account,
        tag="Accounts",
        access=PUBLIC,
        body=SignUpSchema,
        response=AccountSchema,
        status=201,
        errors=(409,),
    ),
    Operation(
        "POST",
        "/v1/sessions",
        "Log in: exchange email and password for an access token",
        create_session,
        tag="Accounts",
        access=PUBLIC,
        body=LogInSchema,
        response=SessionSchema,
        status=201,
        errors=(401,),
        description="Idempotency-Key is ignored here: a stored answer would keep live tokens.",
        idempotent=False,
    ),
    Operation(
        "POST",
        "/v1/sessions/refresh",
        "Swap a refresh token for a new access and refresh token",
        refresh_session,
        tag="Accounts",
        access=PUBLIC,
        body=RefreshSchema,
        response=SessionSchema,
        status=201,
        errors=(401,),
        description="Each refresh token works once. Presenting a used one again revokes "
        "every token of that log-in. Idempotency-Key is ignored here: a replayed answer "
        "would hand out a used refresh token's successor again.",
        idempotent=False,
    ),
    Operation(
        "DELETE",
        "/v1/sessions/current",
        "Log out: revoke the session of this access token",
        delete_session,
        tag="Accounts",
        status=204,
        description="The access token and every refresh token of this log-in stop working.",
    ),
    Operation(
        "GET",
        "/v1/me",
        "The signed-in account, its roles and owner status",
        get_me,
        tag="Accounts",
        response=AccountSchema,
        errors=(404,),
    ),
    Operation(
        "PATCH",
        "/v1/me",
        "Change my name or the language of my emails and notifications",
        change_me,
        tag="Accounts",
        body=AccountChangesSchema,
        response=AccountSchema,
        errors=(404,),
        description="Only the fields sent change. The cooperative's register and the "
        "notifications use the new name and language from then on.",
    ),
    Operation(
        "POST",
        "/v1/password-resets",
        "Forgot my password: email a link to choose a new one",
        request_password_reset,
        tag="Accounts",
        access=ANONYMOUS,
        body=RequestPasswordResetSchema,
        status=202,
        description="Always 202 for a well-formed email, whether or not an account has it; "
        "if one does, a link valid for an hour goes to it and earlier links stop working.",
    ),
    Operation(
        "POST",
        "/v1/password-resets/confirm",
        "Choose a new password with the token of an emailed link",
        reset_password,
        tag="Accounts",
        access=ANONYMOUS,
        body=ResetPasswordSchema,
        status=204,
        description="The token works once, within its hour. Every log-in of the account ends. "
        "A token that is not valid, used or expired: 422 with `errors.token`.",
    ),
    Operation(
        "PUT",
        "/v1/me/password",
        "Change my password, giving the current one",
        change_password,
        tag="Accounts",
        body=ChangePasswordSchema,
        status=204,
        description="Every other log-in of the account ends; this one stays open. A wrong "
        "current password: 422 with `errors.current_password`.",
    ),
    Operation(
        "POST",
        "/v1/me/closure",
        "Close my account: erase my personal data, giving the current password",
        close_account,
        tag="Accounts",
        body=CloseAccountSchema,
        response=AccountClosureSchema,
        status=202,
        errors=(409, 503),
        description="The account is closed at once: every log-in ends, the email address is "
        "free for a new sign-up, listings and the public profile are gone. The other services "
        "erase their copies within moments; finished bookings, invoices and receipts, the "
        "member register and patronage owed are kept, without contact details. Bookings not "
        "finished (requested, confirmed, performed or disputed): 409 with `errors.bookings`; "
        "cancel them or wait until they are completed. A wrong current password: 422 with "
        "`errors.current_password`. Nothing changes on either refusal.",
    ),
    Operation(
        "POST",
        "/v1/email-confirmations/confirm",
        "Confirm an email address with the token of an emailed link",
        confirm_email,
        tag="Accounts",
        access=ANONYMOUS,
        body=ConfirmEmailSchema,
        status=204,
        errors=(409,),
        description="What the link was sent for happens: the address given at sign-up is "
        "confirmed, a new address replaces the old one, or (the link sent to the old address "
        "after a change) the old address comes back and every log-in ends. The token works "
        "once. A token not valid, used or expired: 422 with `errors.token`; the address taken "
        "by another account meanwhile: 409 with `errors.email`.",
    ),
    Operation(
        "POST",
        "/v1/me/email-confirmations",
        "Send the link confirming my email address again",
        resend_email_confirmation,
        tag="Accounts",
        status=202,
        description="Nothing is sent when the address is confirmed already, or after five "
        "links in an hour; the answer is the same. Only the newest link works.",
    ),
    Operation(
        "PUT",
        "/v1/me/email",
        "Change my email address, giving the current password",
        change_email,
        tag="Accounts",
        body=EmailChangeSchema,
        status=202,
        errors=(409,),
        description="A link goes to the new address; the address changes when it is used, "
        "and the old address is then told, with a link that undoes the change for a week. A "
        "wrong current password: 422 with `errors.current_password`; an address another "
        "account has: 409 with `errors.email`.",
    ),
]
