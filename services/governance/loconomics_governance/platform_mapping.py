"""How Loconomics' own events feed governance's generic contracts.

Governance's core knows nothing of Loconomics: it takes "member X has status S since T"
(`members.record_member_status`), "member X did this much business with the
cooperative" (`patronage.record_patronage`) and "X left at T and asks to be forgotten"
(`departures.record_departure`). This module is the configuration that turns our
platform's events into those calls; another cooperative replaces it with its own.

Consumed: billing's `owner_status_changed` (`user_id`, `from`, `to`, `changed_at`) and
`dues_paid` (`user_id`, `invoice_id`, `amount_cents`, `currency`, `paid_at`), booking's
`booking_completed` (`booking_id`, `professional_id`), profiles' `account_created` and
`account_changed` (`account_id`, `name`, `email`: names for the register, since billing's
events carry none) and `account_closed` (`account_id`, `closed_at`; its email, name and
language are for the goodbye email only and are not read here), each with the plumbing's
`event_id` and `occurred_at`.

The service turns these on with `GOVERNANCE_PLATFORM_MAPPING=loconomics` (the default in
this repository); `none` leaves governance with its generic contracts only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from loconomics_plumbing.errors import Invalid, field_error

from .domain.statuses import ACTIVE, APPLICANT, INACTIVE, STATUSES, SUSPENDED, WITHDRAWN

OWNER_STATUS_TO_MEMBER_STATUS: Mapping[str, str] = {
    "not_yet_owner": APPLICANT,
    "trial": APPLICANT,
    "active": ACTIVE,
    "inactive": INACTIVE,
    "cancelled": WITHDRAWN,
    "suspended": SUSPENDED,
}
"""Billing's owner statuses (a professional's ownership of the co-op) onto member statuses.

A trial owner is not yet a member in good standing, so an applicant; `inactive` is
billing's word for dues past due, a lapsed member; a cancelled ownership is a withdrawal.
"""


def member_status_for_owner_status(
    owner_status: str, mapping: Mapping[str, str] = OWNER_STATUS_TO_MEMBER_STATUS
) -> str:
    if owner_status not in mapping:
        raise field_error("to", f"no member status is configured for {owner_status!r}")
    status = mapping[owner_status]
    if status not in STATUSES:
        raise field_error("to", f"configured member status {status!r} is unknown")
    return status


def member_report_from_owner_status_changed(
    event: Mapping, mapping: Mapping[str, str] = OWNER_STATUS_TO_MEMBER_STATUS
) -> dict:
    """Keyword arguments for `record_member_status` from billing's `owner_status_changed`."""
    _require(event, "user_id", "to", "event_id")
    return {
        "external_id": str(event["user_id"]),
        "status": member_status_for_owner_status(event["to"], mapping),
        "occurred_at": _moment(event.get("changed_at") or event.get("occurred_at")),
        "name": event.get("name"),
        "email": event.get("email"),
        "source_event_id": f"owner_status_changed:{event['event_id']}",
    }


def patronage_from_dues_paid(event: Mapping) -> dict:
    """Keyword arguments for `record_patronage`: one paid invoice counts once."""
    _require(event, "user_id", "invoice_id", "amount_cents", "currency", "paid_at")
    return {
        "external_id": str(event["user_id"]),
        "occurred_at": _moment(event["paid_at"]),
        "source_event_id": f"dues_paid:{event['invoice_id']}",
        "dues_cents": int(event["amount_cents"]),
        "currency": event["currency"],
    }


def patronage_from_booking_completed(event: Mapping) -> dict:
    """Keyword arguments for `record_patronage`: the professional completed one booking."""
    _require(event, "booking_id", "professional_id", "occurred_at")
    return {
        "external_id": str(event["professional_id"]),
        "occurred_at": _moment(event["occurred_at"]),
        "source_event_id": f"booking_completed:{event['booking_id']}",
        "completed_bookings": 1,
    }


def contact_from_account(event: Mapping) -> dict:
    """Keyword arguments for `contacts.remember_contact`: how the member is named, from
    profiles' `account_created` or `account_changed` (the whole account each time)."""
    _require(event, "account_id")
    said_at = _moment(event["occurred_at"]) if event.get("occurred_at") else None
    if said_at is not None and said_at.tzinfo is None:
        raise field_error("occurred_at", "must give its UTC offset")
    return {
        "external_id": str(event["account_id"]),
        "name": event.get("name") or None,
        "email": event.get("email") or None,
        "said_at": said_at,
    }


def departure_from_account_closed(event: Mapping) -> dict:
    """Keyword arguments for `departures.record_departure` from profiles' `account_closed`:
    the account's owner left at `closed_at` (the event's time when absent) and is forgotten.

    Only the id and the time are taken: the event's email, name and language are the
    goodbye email's, and governance keeps none of them.
    """
    field = (
        "occurred_at" if not event.get("closed_at") and event.get("occurred_at") else "closed_at"
    )
    _require(event, "account_id", "event_id", field)
    left_at = _moment(event[field], field)
    if left_at.tzinfo is None or left_at.utcoffset() is None:
        raise field_error(field, "must give its UTC offset")
    return {
        "external_id": str(event["account_id"]),
        "left_at": left_at,
        "source_event_id": f"account_closed:{event['event_id']}",
    }


def _require(event: Mapping, *keys: str) -> None:
    missing = [key for key in keys if event.get(key) in (None, "")]
    if missing:
        raise Invalid("The event is incomplete.", {key: ["is required"] for key in missing})


def _moment(value: str | datetime | None, field: str = "occurred_at") -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value or "")
    except (TypeError, ValueError):
        raise field_error(field, "must be an ISO 8601 time") from None
