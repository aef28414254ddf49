"""Reports of professionals' profiles, and suspended accounts (profiles; docs/suspensions.md).

Members report a professional's profile to the moderators; a moderator dismisses a report, or
suspends the account, which upholds every open report of that profile. A suspension is lifted
by a reinstatement. Every route calls one profiles RPC method; the id in the path joins the
validated body.
"""

from __future__ import annotations

from loconomics_plumbing.moderation import (
    DismissalArgsSchema,
    ProfileReportArgsSchema,
    ReinstatementArgsSchema,
    ReportQueueArgsSchema,
    SuspensionArgsSchema,
    SuspensionListArgsSchema,
)
from loconomics_profiles.schemas import (
    ModeratedProfileReportSchema,
    ProfileReportPageSchema,
    ProfileReportSchema,
    SuspensionPageSchema,
    SuspensionSchema,
)

from ..operations import Call, Operation
from .listings import ADMIN, MODERATORS, PROFILE


def profiles(call: Call, method: str, **kwargs) -> dict:
    return call.rpc("profiles", method, **kwargs)


def report_profile(call: Call) -> dict:
    return profiles(call, "report_profile", professional_id=call.params["id"], **call.body)


def list_profile_reports(call: Call) -> dict:
    return profiles(call, "list_profile_reports", **call.query)


def dismiss_profile_report(call: Call) -> dict:
    return profiles(call, "dismiss_profile_report", report_id=call.params["id"], **call.body)


def suspend_account(call: Call) -> dict:
    return profiles(call, "suspend_account", account_id=call.params["account_id"], **call.body)


def reinstate_account(call: Call) -> dict:
    return profiles(call, "reinstate_account", account_id=call.params["account_id"], **call.body)


def list_suspensions(call: Call) -> dict:
    return profiles(call, "list_suspensions", **call.query)


OPERATIONS = [
    Operation(
        "POST",
        "/v1/professionals/{id}/reports",
        "Report a professional's profile to the moderators",
        report_profile,
        tag=PROFILE,
        body=ProfileReportArgsSchema,
        response=ProfileReportSchema,
        status=201,
        errors=(403, 404, 409, 422),
        description="Any signed-in member, about a professional whose public profile "
        "they can see (404 otherwise: unknown, closed or suspended). 403 for your own "
        "profile; 409 while your earlier report of it is open (once it is resolved you "
        "may report it again). Nothing changes until a moderator decides, and nobody "
        "else is told.",
    ),
    Operation(
        "GET",
        "/v1/admin/profile-reports",
        "Reports of profiles, oldest first",
        list_profile_reports,
        tag=ADMIN,
        query=ReportQueueArgsSchema,
        response=ProfileReportPageSchema,
        errors=(403, 422),
        description=f"{MODERATORS} Reports in one status (`open` by default), first "
        "come, first answered, each with the professional it is about and how many open "
        "reports of them wait.",
    ),
    Operation(
        "POST",
        "/v1/admin/profile-reports/{id}/dismissal",
        "Dismiss a report of a profile",
        dismiss_profile_report,
        tag=ADMIN,
        body=DismissalArgsSchema,
        response=ModeratedProfileReportSchema,
        errors=(403, 404, 409, 422),
        description=f"{MODERATORS} The profile stays; the reporter is told, with the "
        "note. 409 when the report is not open. A report is upheld by suspending the "
        "account.",
    ),
    Operation(
        "POST",
        "/v1/admin/accounts/{account_id}/suspension",
        "Suspend an account",
        suspend_account,
        tag=ADMIN,
        body=SuspensionArgsSchema,
        response=SuspensionSchema,
        status=201,
        errors=(403, 404, 409, 422),
        description=f"{MODERATORS} At once: every log-in of the member ends and a new "
        "one answers 403; their profile and listings leave search and the public pages; "
        "nobody can message or book them; their open bookings are cancelled with a full "
        "refund; every open report of their profile is upheld. They are told by email, "
        "with the reason and the note. Nothing is erased. 404 for an unknown or closed "
        "account, 409 when it is already suspended, 422 for your own account.",
    ),
    Operation(
        "POST",
        "/v1/admin/accounts/{account_id}/reinstatement",
        "Lift an account's suspension",
        reinstate_account,
        tag=ADMIN,
        body=ReinstatementArgsSchema,
        response=SuspensionSchema,
        errors=(403, 404, 409, 422),
        description=f"{MODERATORS} The member can sign in again and their profile and "
        "listings come back as they were; cancelled bookings stay cancelled. They are "
        "told by email and in their inbox, with the note. 409 when the account is not "
        "suspended.",
    ),
    Operation(
        "GET",
        "/v1/admin/suspensions",
        "Suspensions, newest first",
        list_suspensions,
        tag=ADMIN,
        query=SuspensionListArgsSchema,
        response=SuspensionPageSchema,
        errors=(403, 422),
        description=f"{MODERATORS} The current suspensions (the default) or the lifted "
        "ones, of every account or of one (`account_id`): the record of the moderators' "
        "decisions.",
    ),
]
