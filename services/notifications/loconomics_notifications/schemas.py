"""The shape of every RPC argument and result, and of every event we consume or emit.

RPC inputs refuse unknown fields. Consumed events ignore fields they do not know (a producer
may add some without breaking us) but insist on the ones listed here: these schemas are the
contract the producing services follow.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from loconomics_plumbing.validation import PageArgsSchema as _PlumbingPageArgs
from loconomics_plumbing.validation import StrictSchema
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from .domain.preferences import CATEGORIES
from .models import CHANNELS, DELIVERY_STATUSES

ID = validate.Length(min=1, max=64)
CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="must be an ISO 4217 code such as USD")


def _known_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("must be an IANA time zone such as America/Los_Angeles") from None


def _id(description: str, **kwargs) -> fields.String:
    return fields.String(validate=ID, metadata={"description": description}, **kwargs)


def _moment(description: str, **kwargs) -> fields.AwareDateTime:
    return fields.AwareDateTime(metadata={"description": description}, **kwargs)


def _cents(description: str) -> fields.Integer:
    return fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": description},
    )


def _count(description: str, **kwargs) -> fields.Integer:
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": description},
        **kwargs,
    )


def _title() -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Length(min=1, max=300),
        metadata={"description": "Title, as members see it."},
    )


class _Tolerant(Schema):
    class Meta:
        unknown = EXCLUDE


class MoneySchema(_Tolerant):
    amount_cents = fields.Integer(
        required=True, strict=True, metadata={"description": "Amount in minor units (cents)."}
    )
    currency = fields.String(
        required=True, validate=CURRENCY, metadata={"description": "ISO 4217 currency."}
    )


# ---- Events consumed -----------------------------------------------------------------------


class EventSchema(_Tolerant):
    """Fields the plumbing adds to every event."""

    event_id = _id("Unique id of this event; a repeat carries the same id.", required=True)
    occurred_at = _moment("When the change happened (UTC).", required=True)


class AccountEventSchema(EventSchema):
    """profiles: `account_created`, `account_changed` (a full snapshot each time)."""

    account_id = _id("The account.", required=True)
    email = fields.String(
        required=True,
        validate=validate.Length(min=3, max=320),
        metadata={"description": "Where emails go."},
    )
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Display name used in greetings and to the other party."},
    )
    language = fields.String(
        load_default="en",
        validate=validate.Length(max=16),
        metadata={"description": "BCP 47 tag; `fr`/`fr-CA` get French, anything else English."},
    )
    time_zone = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={"description": "IANA zone for dates outside bookings; unknown zones mean UTC."},
    )
    roles = fields.List(
        fields.String(),
        load_default=list,
        metadata={"description": "Among client, professional, admin."},
    )


class BookingEventSchema(EventSchema):
    """booking: `booking_requested|confirmed|declined|expired|cancelled|rescheduled|completed`,
    `booking_reminder_due` (48 h before), `booking_review_requested`."""

    booking_id = _id("The booking.", required=True)
    client_id = _id("The client's account id.", required=True)
    professional_id = _id("The professional's account id.", required=True)
    start = _moment("Start (UTC).", required=True)
    end = _moment("End (UTC).", required=True)
    time_zone = fields.String(
        required=True,
        validate=_known_zone,
        metadata={"description": "The professional's IANA zone: times are shown in it."},
    )
    service_name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "What is booked, as the professional names it."},
    )
    price = fields.Nested(MoneySchema, required=True, metadata={"description": "Total price."})
    refund_cents = fields.Integer(
        load_default=0,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "Refunded to the client (cancellation), price currency."},
    )
    fee_cents = fields.Integer(
        load_default=0,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "Cancellation fee kept, price currency."},
    )
    previous_start = _moment("Start before a reschedule.", load_default=None, allow_none=True)
    previous_end = _moment("End before a reschedule.", load_default=None, allow_none=True)
    cancelled_by = _id(
        "Account that cancelled (cancellation only).", load_default=None, allow_none=True
    )
    location = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=300),
        metadata={"description": "Where it happens, if known; goes into the calendar entry."},
    )

    @validates_schema
    def _ordered(self, data: dict, **kwargs) -> None:
        if data["end"] <= data["start"]:
            raise ValidationError("must be after start", "end")
        if (data.get("previous_start") is None) != (data.get("previous_end") is None):
            raise ValidationError("give both previous_start and previous_end", "previous_end")


class MembershipStartedSchema(EventSchema):
    """billing: `membership_started`."""

    account_id = _id("The member's account.", required=True)
    plan_id = _id("The plan.", load_default=None, allow_none=True)
    plan_name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "The plan's display name."},
    )
    price = fields.Nested(MoneySchema, required=True, metadata={"description": "Per interval."})
    interval = fields.String(
        required=True,
        validate=validate.OneOf(["month", "year"]),
        metadata={"description": "Billing interval."},
    )
    current_period_end = _moment("End of the first paid period.", required=True)


class PaymentFailedSchema(EventSchema):
    """billing: `payment_failed`."""

    account_id = _id("Whose payment failed.", required=True)
    amount = fields.Nested(MoneySchema, required=True, metadata={"description": "Amount due."})
    purpose = fields.String(
        load_default="other",
        validate=validate.OneOf(["membership", "booking", "other"]),
        metadata={"description": "What the payment was for."},
    )
    booking_id = _id("The booking, when purpose is booking.", load_default=None, allow_none=True)


class OwnerStatusChangedSchema(EventSchema):
    """billing: `owner_status_changed`."""

    account_id = _id("The member's account.", required=True)
    owner_status = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "New status, e.g. owner, pending, lapsed, suspended, none."},
    )
    previous_status = fields.String(
        load_default="none",
        validate=validate.Length(max=40),
        metadata={"description": "Status before the change."},
    )


def _member_ids() -> fields.List:
    return fields.List(
        fields.String(validate=ID),
        required=True,
        metadata={"description": "Members to tell (external ids, equal to account ids)."},
    )


class ProposalEventSchema(EventSchema):
    """governance: `proposal_opened`, `proposal_closing_soon` (24 h before, to those who have
    not voted yet)."""

    proposal_id = _id("The proposal.", required=True)
    title = fields.String(
        required=True,
        validate=validate.Length(min=1, max=300),
        metadata={"description": "Proposal title."},
    )
    kind = fields.String(load_default=None, allow_none=True, metadata={"description": "Kind."})
    closes_at = _moment("When voting closes.", required=True)
    member_ids = _member_ids()


class TallySchema(_Tolerant):
    yes = _count("Votes for.", required=True)
    no = _count("Votes against.", required=True)
    abstain = _count("Abstentions.", load_default=0)


class ProposalClosedSchema(EventSchema):
    """governance: `proposal_closed`."""

    proposal_id = _id("The proposal.", required=True)
    title = _title()
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(["passed", "rejected", "no_quorum"]),
        metadata={"description": "Result of the vote."},
    )
    tally = fields.Nested(TallySchema, required=True, metadata={"description": "Votes cast."})
    member_ids = _member_ids()


class ElectionOpenedSchema(EventSchema):
    """governance: `election_opened`."""

    election_id = _id("The election.", required=True)
    title = _title()
    seats = fields.Integer(
        required=True, validate=validate.Range(min=1), metadata={"description": "Seats to fill."}
    )
    closes_at = _moment("When voting closes.", required=True)
    member_ids = _member_ids()


class ElectedSchema(_Tolerant):
    candidate_id = _id("Candidate.", required=True)
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Display name."},
    )


class ElectionClosedSchema(EventSchema):
    """governance: `election_closed`."""

    election_id = _id("The election.", required=True)
    title = _title()
    elected = fields.List(
        fields.Nested(ElectedSchema),
        required=True,
        metadata={"description": "Elected candidates, in order of election."},
    )
    member_ids = _member_ids()


class AllocationSchema(_Tolerant):
    member_id = _id("The member (equal to the account id).", required=True)
    allocated_cents = _cents("Patronage allocated to the member.")
    cash_cents = _cents("Part paid in cash.")
    retained_cents = _cents("Part retained in the member's capital account.")


class PatronageAllocatedSchema(EventSchema):
    """governance: `patronage_allocated`, one event per year's allocation run."""

    year = fields.Integer(
        required=True,
        validate=validate.Range(min=2000, max=2200),
        metadata={"description": "Fiscal year allocated."},
    )
    currency = fields.String(
        required=True, validate=CURRENCY, metadata={"description": "ISO 4217 currency."}
    )
    allocations = fields.List(
        fields.Nested(AllocationSchema),
        required=True,
        metadata={"description": "One line per member."},
    )


# ---- Events emitted ------------------------------------------------------------------------


class ConversationStartedSchema(Schema):
    """Emitted as `conversation_started`."""

    conversation_id = _id("The conversation.", required=True)
    client_id = _id("Client participant.", required=True)
    professional_id = _id("Professional participant.", required=True)
    booking_id = _id("Booking it is about.", allow_none=True)


class MessageSentSchema(Schema):
    """Emitted as `message_sent`; the body stays here, only the fact leaves."""

    conversation_id = _id("The conversation.", required=True)
    message_id = _id("The message.", required=True)
    seq = fields.Integer(required=True, metadata={"description": "Position in the thread."})
    sender_id = _id("Who wrote it.", required=True)
    recipient_id = _id("Who it is for.", required=True)


# ---- RPC: inbox ----------------------------------------------------------------------------


class PageArgsSchema(_PlumbingPageArgs):
    """`limit` (1..100, default 20) and `cursor` (the previous page's `next_cursor`)."""


class ListNotificationsArgsSchema(PageArgsSchema):
    """`notifications.list_notifications` (GET /v1/me/notifications)."""

    unread_only = fields.Boolean(load_default=False, metadata={"description": "Only unread."})


class NotificationSchema(Schema):
    id = _id("The notification.")
    kind = fields.String(metadata={"description": "What happened, e.g. booking_confirmed."})
    category = fields.String(
        validate=validate.OneOf(CATEGORIES), metadata={"description": "Preference category."}
    )
    transactional = fields.Boolean(metadata={"description": "Sent whatever the preferences."})
    title = fields.String(metadata={"description": "One line, in the reader's language."})
    body = fields.String(metadata={"description": "Plain text, in the reader's language."})
    link = fields.String(allow_none=True, metadata={"description": "App path to open."})
    refs = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Ids of what it is about (booking_id, proposal_id...)."},
    )
    created_at = _moment("When it was created.")
    read_at = _moment("When the reader marked it read.", allow_none=True)


class NotificationPageSchema(Schema):
    items = fields.List(
        fields.Nested(NotificationSchema), metadata={"description": "Newest first."}
    )
    next_cursor = fields.String(allow_none=True, metadata={"description": "Null on the last page."})
    unread_count = fields.Integer(metadata={"description": "Unread in-app notifications."})


class NotificationIdArgsSchema(StrictSchema):
    """`notifications.mark_read` (POST /v1/me/notifications/{id}/read)."""

    notification_id = _id("The notification.", required=True)


class UnreadCountSchema(Schema):
    unread_count = fields.Integer(metadata={"description": "Unread in-app notifications."})


class MarkedCountSchema(Schema):
    marked = fields.Integer(metadata={"description": "How many were marked read."})


# ---- RPC: preferences ----------------------------------------------------------------------


class ChannelChoiceSchema(StrictSchema):
    email = fields.Boolean(metadata={"description": "Receive by email."})
    in_app = fields.Boolean(metadata={"description": "Receive in the app's inbox."})


PreferencesUpdateSchema = StrictSchema.from_dict(
    {
        category: fields.Nested(
            ChannelChoiceSchema, metadata={"description": f"Choices for `{category}`."}
        )
        for category in CATEGORIES
    },
    name="PreferencesUpdateSchema",
)
PreferencesUpdateSchema.__doc__ = (
    "`notifications.set_preferences` (PUT /v1/me/notification-preferences): categories and "
    "channels left out keep their value; booking.email and payment.email cannot be false."
)


class PreferencesSchema(Schema):
    preferences = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CATEGORIES)),
        values=fields.Dict(
            keys=fields.String(validate=validate.OneOf(CHANNELS)), values=fields.Boolean()
        ),
        metadata={"description": "category → channel → on/off."},
    )
    locked = fields.List(
        fields.String(), metadata={"description": "`category.channel` pairs always on."}
    )


# ---- RPC: messaging ------------------------------------------------------------------------


class StartConversationArgsSchema(StrictSchema):
    """`notifications.start_conversation` (POST /v1/conversations)."""

    to = _id("Account id of the other party.", required=True)
    subject = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "What it is about."},
    )
    body = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"description": "The first message."},
    )
    booking_id = _id("The booking it is about, if any.", load_default=None, allow_none=True)


class PostMessageArgsSchema(StrictSchema):
    """`notifications.post_message` (POST /v1/conversations/{id}/messages)."""

    conversation_id = _id("The conversation.", required=True)
    body = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"description": "The message."},
    )


class ConversationArgsSchema(PageArgsSchema):
    """`notifications.get_conversation` (GET /v1/conversations/{id}): messages newest first."""

    conversation_id = _id("The conversation.", required=True)


class ConversationIdArgsSchema(StrictSchema):
    """`notifications.mark_conversation_read` (POST /v1/conversations/{id}/read)."""

    conversation_id = _id("The conversation.", required=True)


class PartySchema(Schema):
    account_id = _id("Account id.")
    name = fields.String(allow_none=True, metadata={"description": "Display name, if known."})


class ConversationSchema(Schema):
    id = _id("The conversation.")
    subject = fields.String(metadata={"description": "What it is about."})
    booking_id = _id("Booking it is about.", allow_none=True)
    my_role = fields.String(
        validate=validate.OneOf(["client", "professional"]),
        metadata={"description": "The reader's side in this conversation."},
    )
    other_party = fields.Nested(PartySchema, metadata={"description": "Who the reader talks to."})
    message_count = fields.Integer(metadata={"description": "Messages so far."})
    unread_count = fields.Integer(metadata={"description": "Messages the reader has not seen."})
    created_at = _moment("Started at.")
    last_message_at = _moment("Latest message at.")


class MessageSchema(Schema):
    id = _id("The message.")
    conversation_id = _id("The conversation.")
    seq = fields.Integer(metadata={"description": "1, 2, 3... within the conversation."})
    sender_id = _id("Who wrote it.")
    mine = fields.Boolean(metadata={"description": "Whether the reader wrote it."})
    body = fields.String(metadata={"description": "The text, as written."})
    created_at = _moment("Sent at.")


class ConversationPageSchema(Schema):
    items = fields.List(
        fields.Nested(ConversationSchema), metadata={"description": "Latest activity first."}
    )
    next_cursor = fields.String(allow_none=True, metadata={"description": "Null on the last page."})


class MessagePageSchema(Schema):
    items = fields.List(fields.Nested(MessageSchema), metadata={"description": "Newest first."})
    next_cursor = fields.String(allow_none=True, metadata={"description": "Null on the last page."})


class ConversationDetailSchema(Schema):
    conversation = fields.Nested(ConversationSchema, metadata={"description": "The thread."})
    messages = fields.Nested(
        MessagePageSchema, metadata={"description": "A page of its messages, newest first."}
    )


class StartedConversationSchema(Schema):
    conversation = fields.Nested(ConversationSchema, metadata={"description": "The thread."})
    message = fields.Nested(MessageSchema, metadata={"description": "The message just sent."})


# ---- RPC: operators ------------------------------------------------------------------------


class DeliverySchema(Schema):
    id = _id("The delivery.")
    notification_id = _id("The email notification.")
    recipient_id = _id("The recipient's account.")
    kind = fields.String(metadata={"description": "What the email is about."})
    status = fields.String(
        validate=validate.OneOf(DELIVERY_STATUSES),
        metadata={"description": "pending, failed (retrying), sent or dead."},
    )
    attempts = fields.Integer(metadata={"description": "Tries so far."})
    last_error = fields.String(
        allow_none=True, metadata={"description": "Why the last try failed."}
    )
    next_attempt_at = _moment("When it is tried next.", allow_none=True)
    updated_at = _moment("Last change.")


class DeliveryPageSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema), metadata={"description": "Oldest first."})
    next_cursor = fields.String(allow_none=True, metadata={"description": "Null on the last page."})


class ReplayArgsSchema(StrictSchema):
    """`notifications.replay_dead_deliveries` (operators; admin only)."""

    delivery_ids = fields.List(
        fields.String(validate=ID),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=1000),
        metadata={"description": "Which dead deliveries; all of them when absent."},
    )


class ReplayResultSchema(Schema):
    replayed = fields.Integer(metadata={"description": "Deliveries put back in the queue."})
