"""A member's copy of their data: the one route that asks every service (docs/data-export.md).

The right of access covers what each service keeps, so each answers its own part for the
caller. profiles goes first: it checks the password again, and a wrong one stops the export
before anyone else is asked. A service that cannot answer fails the whole request (503), so a
partial copy never passes for a complete one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from loconomics_profiles.schemas import ExportMemberDataSchema
from marshmallow import Schema, fields

from ..operations import Call, Operation, Reply

FORMAT = "loconomics-member-data"
VERSION = 1
PARTS_AFTER_PROFILES = ("booking", "billing", "governance", "notifications")


class SectionSchema(Schema):
    about = fields.String(
        required=True, metadata={"description": "What this is and why the cooperative keeps it."}
    )
    records = fields.List(fields.Dict(), required=True)


class ServicePartSchema(Schema):
    service = fields.String(required=True, metadata={"example": "booking"})
    sections = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(SectionSchema),
        required=True,
        metadata={"description": "Every section the service has, empty ones included."},
    )


class MemberDataSchema(Schema):
    format = fields.String(required=True, metadata={"example": FORMAT})
    version = fields.Integer(required=True, metadata={"example": VERSION})
    exported_at = fields.DateTime(required=True)
    account_id = fields.String(required=True)
    services = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(ServicePartSchema),
        required=True,
        metadata={"description": "profiles, booking, billing, governance and notifications."},
    )


def export_member_data(call: Call) -> Reply:
    parts = {"profiles": call.rpc("profiles", "export_member_data", **call.body)}
    for service in PARTS_AFTER_PROFILES:
        parts[service] = call.rpc(service, "export_member_data")
    exported_at = datetime.now(UTC)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": exported_at.isoformat(),
        "account_id": call.caller.user_id,
        "services": parts,
    }
    filename = f"loconomics-data-{exported_at.date().isoformat()}.json"
    return Reply(
        body=document,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


OPERATIONS = [
    Operation(
        "POST",
        "/v1/me/data-export",
        "Download a copy of everything the cooperative keeps about me",
        export_member_data,
        tag="Accounts",
        body=ExportMemberDataSchema,
        response=MemberDataSchema,
        errors=(503,),
        description="One JSON file (a download) with every service's part: the account, "
        "profile and listings, reviews, schedule and bookings, membership, invoices and "
        "payments, the register and patronage, the inbox, emails sent and conversations. "
        "Every section is present, empty ones included; no password, token or secret is in "
        "it. The current password is asked again: a wrong one gives 422 with "
        "`errors.current_password` and nothing is exported. The member is emailed a notice "
        "that a copy was downloaded. A service unable to answer: 503 for the whole request.",
    ),
]
