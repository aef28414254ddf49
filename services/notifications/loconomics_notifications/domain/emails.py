"""An email notification as a MIME message: text, HTML alternative, and a booking's `.ics`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy.orm import Session

from ..models import EmailDelivery, Notification
from .contacts import contact_for
from .content import DEFAULT_MODERATORS_ADDRESS, calendar_attachment, compose
from .routing import Route, route_of
from .wording import DEFAULT_ZONE


class RecipientUnknown(LookupError):
    """No contact yet for the recipient: the profile event may still be on its way."""


class LinkUnavailable(LookupError):
    """An email that is nothing without its link, and no app URL to write it with (retried:
    `NOTIFICATIONS_APP_URL` may be set by a restart before the email lapses)."""


class Unsendable(ValueError):
    """An email that can never go right; retrying will not change that, so it is dead at once."""


class BadAddress(Unsendable):
    """The contact's email cannot be written as an address; retrying will not change that."""


class AccountClosed(Unsendable):
    """The recipient closed their account after this email was made (`routing.notify` makes
    none for a closed account): it is not sent, and our contact has no address any more."""


@dataclass(frozen=True)
class Mailbox:
    """Who the cooperative's emails come from, and the app they link to."""

    address: str
    display_name: str = "Loconomics"
    link_base: str | None = None
    message_id_domain: str = "loconomics.coop"
    moderators_address: str = DEFAULT_MODERATORS_ADDRESS
    """Where members write to the moderators: named in a suspension's email, to appeal, and
    its Reply-To (`Route.replies_to_moderators`)."""


def message_id(delivery: EmailDelivery, mailbox: Mailbox) -> str:
    """The same on every retry, so a server that got it twice can tell it is one email."""
    return f"<{delivery.id}@{mailbox.message_id_domain}>"


def build_email(
    session: Session,
    delivery: EmailDelivery,
    mailbox: Mailbox,
    now: datetime,
    *,
    default_zone: str = DEFAULT_ZONE,
) -> EmailMessage:
    notification = session.get(Notification, delivery.notification_id)
    if notification is None:
        raise LookupError(f"delivery {delivery.id} has no notification")
    route = route_of(notification)
    _still_worth_sending(notification, route, mailbox, now)
    if route.addressed_by_event:
        name, address = notification.data["name"], notification.data[route.address_field]
    else:
        contact = contact_for(session, delivery.recipient_id)
        if contact is None:
            raise RecipientUnknown(f"no contact for account {delivery.recipient_id} yet")
        if contact.closed_at is not None:
            raise AccountClosed(f"account {delivery.recipient_id} is closed")
        name, address = contact.name, contact.email
    rendered = compose(
        session,
        notification,
        link_base=mailbox.link_base,
        default_zone=default_zone,
        moderators_address=mailbox.moderators_address,
    )
    message = EmailMessage()
    local, _, domain = mailbox.address.rpartition("@")
    message["From"] = Address(mailbox.display_name, local, domain)
    try:
        message["To"] = Address(name, addr_spec=address)
    except (ValueError, IndexError) as problem:
        raise BadAddress(f"cannot mail {address!r}: {problem}") from None
    if route.replies_to_moderators:
        message["Reply-To"] = Address(mailbox.display_name, addr_spec=mailbox.moderators_address)
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(delivery, mailbox)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    invite = calendar_attachment(session, notification, link=rendered.link)
    if invite is not None:
        message.add_attachment(
            invite.decode("utf-8"),
            subtype="calendar",
            filename="booking.ics",
            params={"method": "PUBLISH"},
        )
    # After the body parts: setting content moves Content-* headers into the subparts.
    message["Content-Language"] = rendered.language
    return message


def _still_worth_sending(
    notification: Notification, route: Route, mailbox: Mailbox, now: datetime
) -> None:
    """Refuse an email that has lapsed or whose secret is gone (it was sent or given up
    before, and an operator replayed it): the member asks again. No error names the secret."""
    data = notification.data
    if any(key not in data for key in route.secrets):
        what = "one-time link" if route.needs_link else "address"
        raise Unsendable(f"its {what} was dropped after an earlier send or failure")
    if route.lapses_at:
        lapses = datetime.fromisoformat(data[route.lapses_at]) + route.lapses_after
        if now >= lapses:
            raise Unsendable(f"it lapsed at {lapses.isoformat()} before it could be sent")
    if route.needs_link and not mailbox.link_base:
        raise LinkUnavailable("NOTIFICATIONS_APP_URL is not set: this email is only its link")
