"""What a stored notification says to its reader, in their language, right now.

Rendered on read (inbox) and on send (email) from the notification's kept data and our
contacts: names come from our copy of each account, money and dates are written per language,
booking times in the professional's zone, other dates in the reader's own zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..models import Contact, Notification
from .calendar_invites import booking_calendar
from .contacts import contact_for
from .rendering import Rendered, phrase, phrasebook, render
from .routing import ROUTES_BY_TEMPLATE
from .wording import DEFAULT_LANGUAGE, format_date, format_moment, format_money, format_span

Values = dict[str, str]


class _Reader:
    """The recipient as the text needs them: language, zone, and names of others."""

    def __init__(self, session: Session, notification: Notification):
        self.session = session
        self.account_id = notification.recipient_id
        self.contact = contact_for(session, notification.recipient_id)
        self.language = self.contact.language if self.contact else DEFAULT_LANGUAGE
        self.zone = self.contact.time_zone if self.contact else "UTC"

    def name_of(self, account_id: str | None, fallback: str) -> str:
        contact: Contact | None = contact_for(self.session, account_id) if account_id else None
        return contact.name if contact else phrase(self.language, fallback)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _booking(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    lang = reader.language
    client = reader.name_of(data["client_id"], "client_fallback")
    professional = reader.name_of(data["professional_id"], "professional_fallback")
    currency = data["price"]["currency"]
    values = {
        "service_name": data["service_name"],
        "client_name": client,
        "professional_name": professional,
        "other_name": client if role == "professional" else professional,
        "when": format_span(_when(data["start"]), _when(data["end"]), data["time_zone"], lang),
        "price": format_money(data["price"]["amount_cents"], currency, lang),
        "refund": format_money(data.get("refund_cents") or 0, currency, lang),
        "fee": format_money(data.get("fee_cents") or 0, currency, lang),
        "previous_when": "—",
        "cancelled_by": "Loconomics",
    }
    if data.get("previous_start") and data.get("previous_end"):
        values["previous_when"] = format_span(
            _when(data["previous_start"]), _when(data["previous_end"]), data["time_zone"], lang
        )
    cancelled_by = data.get("cancelled_by")
    if cancelled_by == reader.account_id:
        values["cancelled_by"] = phrase(lang, "you")
    elif cancelled_by == data["client_id"]:
        values["cancelled_by"] = client
    elif cancelled_by == data["professional_id"]:
        values["cancelled_by"] = professional
    return values


def _label(language: str, prefix: str, value: str) -> str:
    return phrasebook(language).get(f"{prefix}_{value}", value.replace("_", " "))


def _membership_started(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    lang = reader.language
    return {
        "plan_name": data["plan_name"],
        "price": format_money(data["price"]["amount_cents"], data["price"]["currency"], lang),
        "interval": phrase(lang, f"interval_{data['interval']}"),
        "period_end": format_date(_when(data["current_period_end"]), reader.zone, lang),
    }


def _payment_failed(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    lang = reader.language
    return {
        "amount": format_money(data["amount"]["amount_cents"], data["amount"]["currency"], lang),
        "purpose": phrase(lang, f"purpose_{data['purpose']}"),
    }


def _owner_status(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    return {
        "status": _label(reader.language, "owner_status", data["owner_status"]),
        "previous_status": _label(reader.language, "owner_status", data["previous_status"]),
    }


def _vote(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    values = {"title": data["title"]}
    if "closes_at" in data:
        values["closes"] = format_moment(_when(data["closes_at"]), reader.zone, reader.language)
    if "seats" in data:
        values["seats"] = str(data["seats"])
    if "outcome" in data:
        values["outcome"] = phrase(reader.language, f"outcome_{data['outcome']}")
        values.update({k: str(data["tally"][k]) for k in ("yes", "no", "abstain")})
    if "elected" in data:
        names = [e["name"] for e in data["elected"]]
        values["elected"] = ", ".join(names) if names else phrase(reader.language, "nobody_elected")
    return values


def _patronage(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    lang, currency = reader.language, data["currency"]
    return {
        "year": str(data["year"]),
        "allocated": format_money(data["allocated_cents"], currency, lang),
        "cash": format_money(data["cash_cents"], currency, lang),
        "retained": format_money(data["retained_cents"], currency, lang),
    }


def _message(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    return {
        "sender_name": reader.name_of(data["sender_id"], "member_fallback"),
        "subject": data["subject"],
        "excerpt": data["excerpt"],
    }


def _nothing(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    return {}


_VALUES: dict[str, Callable[[dict[str, Any], str, _Reader], Values]] = {
    "welcome": _nothing,
    "membership_started": _membership_started,
    "payment_failed": _payment_failed,
    "owner_status_changed": _owner_status,
    "patronage_allocated": _patronage,
    "message_received": _message,
    **{
        name: _vote
        for name in (
            "proposal_opened",
            "proposal_closing_soon",
            "proposal_closed",
            "election_opened",
            "election_closed",
        )
    },
}

REF_KEYS = ("booking_id", "proposal_id", "election_id", "conversation_id", "message_id")


def link_path(notification: Notification) -> str:
    """Where in the app the notification leads, e.g. `/bookings/<id>`."""
    return ROUTES_BY_TEMPLATE[notification.template].link.format(**notification.data)


def refs(notification: Notification) -> dict[str, str]:
    return {k: str(notification.data[k]) for k in REF_KEYS if notification.data.get(k)}


def compose(session: Session, notification: Notification, link_base: str | None = None) -> Rendered:
    """Render for the reader; with `link_base` (the app's URL) the link becomes absolute."""
    reader = _Reader(session, notification)
    build = _VALUES.get(notification.template, _booking)
    values = build(notification.data, notification.role, reader)
    values["recipient_name"] = (
        reader.contact.name if reader.contact else phrase(reader.language, "name_fallback")
    )
    path = link_path(notification)
    return render(
        notification.template,
        notification.role,
        reader.language,
        values,
        link=(link_base.rstrip("/") + path) if link_base else path,
        transactional=notification.transactional,
    )


def calendar_attachment(
    session: Session, notification: Notification, link: str | None = None
) -> bytes | None:
    """The `.ics` for a booking notification, or None for anything else."""
    data = notification.data
    if not data.get("calendar_status"):
        return None
    reader = _Reader(session, notification)
    values = _booking(data, notification.role, reader)
    return booking_calendar(
        booking_id=data["booking_id"],
        start=_when(data["start"]),
        end=_when(data["end"]),
        time_zone=data["time_zone"],
        summary=phrase(
            reader.language,
            "calendar_summary",
            service_name=values["service_name"],
            other_name=values["other_name"],
        ),
        status=data["calendar_status"],
        sequence=data["calendar_sequence"],
        stamp=_when(data["occurred_at"]),
        description=link,
        location=data.get("location"),
    )
