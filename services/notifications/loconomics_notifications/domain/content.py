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

from ..models import Contact, MessageWithholding, Notification
from .calendar_invites import booking_calendar
from .contacts import contact_for
from .known_services import service_name
from .rendering import Rendered, phrase, phrasebook, render
from .routing import route_of
from .wording import (
    DEFAULT_LANGUAGE,
    DEFAULT_ZONE,
    format_date,
    format_moment,
    format_money,
    format_span,
    language_of,
)

Values = dict[str, str]

DEFAULT_MODERATORS_ADDRESS = "moderators@loconomics.coop"
"""Where a member writes to the moderators (to appeal a suspension), unless the settings say."""


class _Reader:
    """The recipient as the text needs them: name, language, zone, and names of others.

    Name and language are our contact's, or the event's own when it is addressed by the event
    (a password or address email goes as profiles says, contact or not); the zone is the
    contact's."""

    def __init__(
        self,
        session: Session,
        notification: Notification,
        default_zone: str,
        moderators_address: str = DEFAULT_MODERATORS_ADDRESS,
    ):
        self.session = session
        self.moderators_address = moderators_address
        self.account_id = notification.recipient_id
        self.contact = contact_for(session, notification.recipient_id)
        self.name = self.contact.name if self.contact else None
        self.language = self.contact.language if self.contact else DEFAULT_LANGUAGE
        if route_of(notification).addressed_by_event:
            self.name = notification.data.get("name")  # a goodbye's is dropped once it is sent
            self.language = language_of(notification.data.get("language"))
        self.zone = (self.contact.time_zone if self.contact else None) or default_zone

    def name_of(self, account_id: str | None, fallback: str) -> str:
        """Another account's name; a closed account is a former member, in the reader's words."""
        contact: Contact | None = contact_for(self.session, account_id) if account_id else None
        if contact is not None and contact.closed_at is not None:
            return phrase(self.language, "former_member")
        return contact.name if contact else phrase(self.language, fallback)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _booking(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    lang, zone = reader.language, data["time_zone"]
    client = reader.name_of(data["client_id"], "client_fallback")
    professional = reader.name_of(data["professional_id"], "professional_fallback")
    currency = data["price"]["currency"]
    start, end = _when(data["start"]), _when(data["end"])
    starts = [_when(s) for s in data.get("proposed_starts") or []] or [start]
    service = (
        data.get("service_name")
        or service_name(reader.session, data.get("service_id"))
        or phrase(lang, "service_fallback")
    )
    values = {
        "service_name": service,
        "client_name": client,
        "professional_name": professional,
        "other_name": client if role == "professional" else professional,
        "when": format_span(start, end, zone, lang),
        "proposed_times": "\n".join(
            f"- {format_span(s, s + (end - start), zone, lang)}" for s in starts
        ),
        "price": format_money(data["price"]["amount_cents"], currency, lang),
        "refund": format_money(data.get("refund_cents") or 0, currency, lang),
        "fee": format_money(data.get("fee_cents") or 0, currency, lang),
        "previous_when": "—",
        "proposed_when": "—",
        "answer_by": "—",
        "cancelled_by": "Loconomics",
    }
    if data.get("previous_start") and data.get("previous_end"):
        values["previous_when"] = format_span(
            _when(data["previous_start"]), _when(data["previous_end"]), zone, lang
        )
    if data.get("proposed_start"):
        proposed = _when(data["proposed_start"])
        proposed_end = _when(data["proposed_end"]) if data.get("proposed_end") else None
        values["proposed_when"] = format_span(
            proposed, proposed_end or proposed + (end - start), zone, lang
        )
    if data.get("expires_at"):
        values["answer_by"] = format_moment(_when(data["expires_at"]), zone, lang)
    side = data.get("cancelled_by")
    if side == role:
        values["cancelled_by"] = phrase(lang, "you")
    elif side == "client":
        values["cancelled_by"] = client
    elif side == "professional":
        values["cancelled_by"] = professional
    return values


def _label(language: str, prefix: str, value: str) -> str:
    return phrasebook(language).get(f"{prefix}_{value}", value.replace("_", " "))


def _money(cents: int, currency: str, reader: _Reader) -> str:
    return format_money(cents, currency, reader.language)


def _membership_started(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    lang = reader.language
    price = _money(data["price"]["amount_cents"], data["price"]["currency"], reader)
    first_due, trial_end = data.get("current_period_end"), data.get("trial_end")
    when = trial_end or first_due
    day = format_date(_when(when), reader.zone, lang) if when else "—"
    return {
        "plan_name": data["plan_name"],
        "price_terms": phrase(lang, f"price_per_{data.get('interval') or 'once'}", price=price),
        "first_dues": phrase(
            lang, "first_dues_after_trial" if trial_end else "period_ends", day=day
        ),
    }


def _payment_failed(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    return {
        "amount": _money(data["amount_cents"], data["currency"], reader),
        "purpose": phrase(reader.language, f"purpose_{data['purpose']}"),
    }


def _dues_paid(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    return {
        "amount": _money(data["amount_cents"], data["currency"], reader),
        "paid_on": format_date(_when(data["paid_at"]), reader.zone, reader.language),
    }


def _owner_status(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    return {
        "status": _label(reader.language, "owner_status", data["to"]),
        "previous_status": _label(reader.language, "owner_status", data["from"]),
        "meaning": phrasebook(reader.language).get(f"owner_meaning_{data['to']}", ""),
    }


def _vote(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    values = {"title": data["title"], "closes": "—"}
    if data.get("closes_at"):
        values["closes"] = format_moment(_when(data["closes_at"]), reader.zone, reader.language)
    if "seats" in data:
        values["seats"] = str(data["seats"])
    if "outcome" in data:
        values["outcome"] = phrase(reader.language, f"outcome_{data['outcome']}")
        values.update({k: str(data["tally"].get(k, 0)) for k in ("yes", "no", "abstain")})
    if "elected" in data:
        names = [e["name"] for e in data["elected"]]
        values["elected"] = ", ".join(names) if names else phrase(reader.language, "nobody_elected")
    return values


def _patronage(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    return {
        "year": str(data["fiscal_year"]),
        **{
            key: _money(data[part]["amount_cents"], data[part]["currency"], reader)
            for key, part in (("allocated", "amount"), ("cash", "cash"), ("retained", "retained"))
        },
    }


def _message(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    """A message withheld since keeps its notification, without its text."""
    withheld = reader.session.get(MessageWithholding, data["message_id"]) is not None
    return {
        "sender_name": reader.name_of(data["sender_id"], "member_fallback"),
        "subject": data["subject"],
        "excerpt": phrase(reader.language, "withheld_excerpt") if withheld else data["excerpt"],
    }


def _reason(reader: _Reader, reason: str) -> str:
    return _label(reader.language, "reason", reason)


def _note_line(reader: _Reader, note: str | None) -> str:
    """The moderator's note as a paragraph of its own, or nothing."""
    return "\n\n" + phrase(reader.language, "moderators_note", note=note) if note else ""


def _review_removed(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    return {
        "subject_name": reader.name_of(data["subject_id"], "member_fallback"),
        "removed_on": format_moment(_when(data["removed_at"]), reader.zone, reader.language),
        "reason": _reason(reader, data["reason"]),
        "note_line": _note_line(reader, data.get("note")),
    }


def _message_withheld(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    return {
        "subject": data["subject"],
        "other_name": reader.name_of(data["other_id"], "member_fallback"),
        "sent_on": format_moment(_when(data["sent_at"]), reader.zone, reader.language),
        "reason": _reason(reader, data["reason"]),
        "note_line": _note_line(reader, data.get("note")),
    }


def _report_resolved(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    """What was reported and what the moderators decided; a dismissal's note is for the
    reporter, a removal's for the author alone."""
    lang, outcome = reader.language, data["outcome"]
    kind = data["kind"]
    if kind == "message":
        sender = reader.name_of(data["sender_id"], "member_fallback")
        what = phrase(lang, "reported_message", sender_name=sender, subject=data["subject"])
    elif kind == "profile":
        what = _reported_profile(reader, data["professional_id"])
    else:
        what = phrase(lang, "reported_review")
    words = phrasebook(lang)
    return {
        "what": what,
        "decision": words.get(f"{kind}_report_decision_{outcome}")
        or phrase(lang, f"report_decision_{outcome}"),
        "outcome": words.get(f"{kind}_report_outcome_{outcome}")
        or phrase(lang, f"report_outcome_{outcome}"),
        "note_line": _note_line(reader, data.get("note") if outcome == "dismissed" else None),
    }


def _reported_profile(reader: _Reader, professional_id: str) -> str:
    """The professional by name when we know them (a closed one is no longer named)."""
    contact = contact_for(reader.session, professional_id)
    if contact is None or contact.closed_at is not None:
        return phrase(reader.language, "reported_profile_unnamed")
    return phrase(reader.language, "reported_profile", professional_name=contact.name)


def _account_suspended(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    return {
        "suspended_on": format_moment(_when(data["suspended_at"]), reader.zone, reader.language),
        "reason": _reason(reader, data["reason"]),
        "note_line": _note_line(reader, data.get("note")),
        "moderators_address": reader.moderators_address,
    }


def _account_reinstated(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    return {
        "reinstated_on": format_moment(_when(data["reinstated_at"]), reader.zone, reader.language),
        "note_line": _note_line(reader, data.get("note")),
    }


def _password_reset(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    return {"expires": format_moment(_when(data["expires_at"]), reader.zone, reader.language)}


def _password_changed(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    when = format_moment(_when(data["changed_at"]), reader.zone, reader.language)
    return {"how_changed": phrase(reader.language, f"password_{data['how']}", when=when)}


def _email_confirmation(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    """Sign-up and change say why the link came, and what ignoring it means, differently."""
    lang, purpose = reader.language, data["purpose"]
    expires = format_moment(_when(data["expires_at"]), reader.zone, lang)
    return {
        "which_address": phrase(lang, f"address_to_confirm_{purpose}"),
        "request": phrase(lang, f"confirm_address_{purpose}", expires=expires),
        "if_not_you": phrase(lang, f"confirm_address_not_you_{purpose}"),
    }


def _email_changed(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    return {
        "new_email": data["new_email"],
        "changed_on": format_moment(_when(data["changed_at"]), reader.zone, reader.language),
        "undo_until": format_moment(_when(data["undo_expires_at"]), reader.zone, reader.language),
    }


def _account_closed(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    return {"closed_on": format_moment(_when(data["closed_at"]), reader.zone, reader.language)}


def _data_export_requested(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    when = _when(data["requested_at"])
    return {"requested_on": format_moment(when, reader.zone, reader.language)}


def _nothing(data: dict[str, Any], role: str, reader: _Reader) -> Values:
    return {}


_VALUES: dict[str, Callable[[dict[str, Any], str, _Reader], Values]] = {
    "welcome": _nothing,
    "password_reset": _password_reset,
    "password_changed": _password_changed,
    "account_closed": _account_closed,
    "data_export_requested": _data_export_requested,
    "email_confirmation": _email_confirmation,
    "email_changed": _email_changed,
    "membership_started": _membership_started,
    "payment_failed": _payment_failed,
    "dues_paid": _dues_paid,
    "owner_status_changed": _owner_status,
    "patronage_allocated": _patronage,
    "message_received": _message,
    "review_removed": _review_removed,
    "message_withheld": _message_withheld,
    "report_resolved": _report_resolved,
    "account_suspended": _account_suspended,
    "account_reinstated": _account_reinstated,
    **{
        name: _vote
        for name in (
            "proposal_opened",
            "proposal_closing_soon",
            "proposal_closed",
            "election_opened",
            "election_closing_soon",
            "election_closed",
        )
    },
}

REF_KEYS = (
    "booking_id",
    "proposal_id",
    "election_id",
    "allocation_id",
    "conversation_id",
    "message_id",
    "review_id",
    "report_id",
)


def link_path(notification: Notification) -> str:
    """Where in the app the notification leads, e.g. `/bookings/<id>`."""
    return route_of(notification).link.format(**notification.data)


def refs(notification: Notification) -> dict[str, str]:
    return {k: str(notification.data[k]) for k in REF_KEYS if notification.data.get(k)}


def _reading(
    session: Session,
    notification: Notification,
    default_zone: str,
    moderators_address: str = DEFAULT_MODERATORS_ADDRESS,
) -> tuple[_Reader, Values]:
    reader = _Reader(session, notification, default_zone, moderators_address)
    build = _VALUES.get(notification.template, _booking)
    values = build(notification.data, notification.role, reader)
    values["recipient_name"] = reader.name or phrase(reader.language, "name_fallback")
    return reader, values


def subject_of(
    session: Session, notification: Notification, default_zone: str = DEFAULT_ZONE
) -> str:
    """The subject line alone, for a member's copy of their data: written without the link,
    so it needs no one-time token, and still written once the token has left the data."""
    reader, values = _reading(session, notification, default_zone)
    rendered = render(
        notification.template,
        notification.role,
        reader.language,
        values,
        transactional=notification.transactional,
    )
    return rendered.subject


def compose(
    session: Session,
    notification: Notification,
    link_base: str | None = None,
    default_zone: str = DEFAULT_ZONE,
    moderators_address: str = DEFAULT_MODERATORS_ADDRESS,
) -> Rendered:
    """Render for the reader; with `link_base` (the app's URL) the link becomes absolute.
    Dates other than a booking's are shown in the reader's zone, else in `default_zone`;
    `moderators_address` is where the member writes to appeal (a suspension)."""
    reader, values = _reading(session, notification, default_zone, moderators_address)
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
    reader = _Reader(session, notification, DEFAULT_ZONE)
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
