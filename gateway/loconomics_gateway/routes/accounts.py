"""Accounts and sessions (profiles)."""

from __future__ import annotations

from loconomics_profiles.schemas import AccountSchema, LogInSchema, SessionSchema, SignUpSchema

from ..operations import PUBLIC, Call, Operation


def create_account(call: Call) -> dict:
    return call.rpc("profiles", "sign_up", **call.body)


def create_session(call: Call) -> dict:
    return call.rpc("profiles", "log_in", **call.body)


def get_me(call: Call) -> dict:
    return call.rpc("profiles", "get_me")


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
]
