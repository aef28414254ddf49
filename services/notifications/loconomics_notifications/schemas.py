"""The shape of every RPC argument and result, and of every event we consume or emit.

RPC inputs refuse unknown fields. Consumed events ignore fields they do not know (a producer
may add some without breaking us) but insist on the ones listed here: these schemas are the
contract the producing services follow.
"""

from __future__ import annotations

from loconomics_plumbing.member_data import MemberDataPartSchema, section
from loconomics_plumbing.moderation import (
    DISMISSED,
    NOTE_MAX,
    REPORT_REASONS,
    REPORT_STATUSES,
    SUSPENSION_REASONS,
    UPHELD,
    DismissalArgsSchema,
    RemovalArgsSchema,
    ReportArgsSchema,
)
from loconomics_plumbing.validation import PageArgsSchema as _PlumbingPageArgs
from loconomics_plumbing.validation import StrictSchema, instant, is_time_zone
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from .domain.preferences import CATEGORIES
from .models import CHANNELS, DELIVERY_STATUSES

ID = validate.Length(min=1, max=64)
CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="must be an ISO 4217 code such as USD")


def _known_zone(name: str) -> None:
    if not is_time_zone(name):
        raise ValidationError("must be an IANA time zone such as America/Los_Angeles")


def _id(description: str, **kwargs) -> fields.String:
    return fields.String(validate=ID, metadata={"description": description}, **kwargs)


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
# Each schema follows the producer's own event schema (named in its docstring) and keeps only
# what we read; a field a producer adds later is ignored, one it drops fails loudly.

SIDES = ("client", "professional")
EMAIL_CONFIRMATION_PURPOSES = ("sign_up", "change")
ACTORS = ("client", "professional", "admin", "system")


class EventSchema(_Tolerant):
    """Fields the plumbing adds to every event."""

    event_id = _id("Unique id of this event; a repeat carries the same id.", required=True)
    occurred_at = instant("When the change happened (UTC).", required=True)


def _address(description: str) -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Length(min=3, max=320),
        metadata={"description": description},
    )


def _one_time_token(description: str) -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9_-]{16,128}$", error="must be a URL-safe token of 16 to 128 characters"
        ),
        metadata={"description": description},
    )


class _AccountNoticeSchema(EventSchema):
    """An account event whose email is written as profiles says: to the name and language it
    holds at the time (the address is the subclass's own field, see `Route.address_field`)."""

    account_id = _id("The account.", required=True)
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


class _AddressedEventSchema(_AccountNoticeSchema):
    """An account event that says where its emails go: the address, name and language profiles
    holds at the time."""

    email = _address("Where emails go: the account's address.")


class AccountEventSchema(_AddressedEventSchema):
    """profiles `account_created` (profiles' `AccountCreatedEventSchema`); also takes a future
    `account_changed` with the same full snapshot."""

    time_zone = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={"description": "IANA zone, if profiles ever sends one; unknown zones mean UTC."},
    )
    roles = fields.List(
        fields.String(),
        load_default=list,
        metadata={"description": "Among client, professional, admin."},
    )


class PasswordResetRequestedSchema(_AddressedEventSchema):
    """profiles `password_reset_requested`: the one-time link to choose a new password. The
    token is kept only until its email is sent (see `Route.secrets`)."""

    reset_token = _one_time_token("URL-safe one-time token; goes into the reset link only.")
    expires_at = instant("When the token stops working.", required=True)


class PasswordChangedSchema(_AddressedEventSchema):
    """profiles `password_changed`: the security notice, whoever changed it."""

    changed_at = instant("When the password was changed.", required=True)
    how = fields.String(
        required=True,
        validate=validate.OneOf(["reset", "change"]),
        metadata={"description": "`reset` by an emailed link, `change` while signed in."},
    )


class AccountClosedSchema(_AddressedEventSchema):
    """profiles `account_closed` (profiles' `AccountClosedEventSchema`): the account is closed.
    Its original address, name and language are for the goodbye email only, and leave our data
    once it is sent or dead (see `Route.secrets`); our contact is erased."""

    closed_at = instant(
        "When the account was closed; the goodbye lapses a day later.", required=True
    )
    roles = fields.List(
        fields.String(),
        load_default=list,
        metadata={"description": "The account's roles when it closed."},
    )


class EmailConfirmationRequestedSchema(_AddressedEventSchema):
    """profiles `email_confirmation_requested` (profiles' `EmailConfirmationRequestedEventSchema`):
    the link that confirms an address. `email` is the address to confirm, which the account may
    not have yet (a change), so the email goes there and never to our contact. The token is kept
    only until its email is sent or dead (see `Route.secrets`)."""

    purpose = fields.String(
        required=True,
        validate=validate.OneOf(EMAIL_CONFIRMATION_PURPOSES),
        metadata={"description": "`sign_up`: the address signed up with; `change`: a new one."},
    )
    confirmation_token = _one_time_token("URL-safe one-time token; goes into the link only.")
    expires_at = instant("When the token stops working.", required=True)


class EmailChangedSchema(_AccountNoticeSchema):
    """profiles `email_changed` (profiles' `EmailChangedEventSchema`): the security notice to the
    address the account left, with the link that takes it back. The undo token is kept only
    until its email is sent or dead (see `Route.secrets`)."""

    old_email = _address("The address the account had: the notice goes there.")
    new_email = _address("The address the account has now (confirmed).")
    changed_at = instant("When the address was changed.", required=True)
    undo_token = _one_time_token("URL-safe one-time token; goes into the undo link only.")
    undo_expires_at = instant("When the undo link stops working.", required=True)


class DataExportRequestedSchema(EventSchema):
    """profiles `data_export_requested` (profiles' `DataExportRequestedEventSchema`): a copy of
    the account's data was downloaded. It carries no address or name: the security notice goes
    to our contact's address, in the contact's language and zone."""

    account_id = _id("The account whose data was downloaded.", required=True)
    requested_at = instant("When the copy was downloaded.", required=True)


class ListedServiceSchema(_Tolerant):
    service_id = _id("The service.", required=True)
    name = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "The service's name, as the professional wrote it."},
    )


class ListingEventSchema(EventSchema):
    """profiles `listing_published` / `listing_changed`: the whole listing each time; we keep
    only its services' names, for booking emails."""

    listing_id = _id("The listing.", required=True)
    version = fields.Integer(
        load_default=0, metadata={"description": "Raised on every change; the newest wins."}
    )
    services = fields.List(
        fields.Nested(ListedServiceSchema),
        load_default=list,
        metadata={"description": "The listing's active services."},
    )


class ScheduleChangedSchema(EventSchema):
    """booking `schedule_changed`: the professional's zone, the one we show their dates in."""

    professional_id = _id("The professional.", required=True)
    time_zone = fields.String(
        required=True, validate=_known_zone, metadata={"description": "IANA zone."}
    )


class BookingEventSchema(EventSchema):
    """booking: the core every `booking_*` event carries (booking's `BookingEventSchema`), plus
    the optional fields of its subclasses we read."""

    booking_id = _id("The booking.", required=True)
    client_id = _id("The client's account id.", required=True)
    professional_id = _id("The professional's account id.", required=True)
    service_id = _id("The booked service.", load_default=None, allow_none=True)
    start = instant("Start (UTC).", required=True)
    end = instant("End (UTC).", required=True)
    time_zone = fields.String(
        required=True,
        validate=_known_zone,
        metadata={"description": "The professional's IANA zone: times are shown in it."},
    )
    price = fields.Nested(MoneySchema, required=True, metadata={"description": "Total price."})
    service_name = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "What is booked; when absent, our copy of the listing names it."},
    )
    proposed_starts = fields.List(
        instant("A start the client proposed."),
        load_default=None,
        allow_none=True,
        metadata={"description": "`booking_requested`: the 1 to 3 starts to choose from."},
    )
    refund_cents = fields.Integer(
        load_default=0,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "Given back to the client (declined, expired, cancelled)."},
    )
    fee_cents = fields.Integer(
        load_default=0,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "Cancellation fee kept, price currency."},
    )
    previous_start = instant("Start before a reschedule.", load_default=None, allow_none=True)
    previous_end = instant("End before a reschedule.", load_default=None, allow_none=True)
    cancelled_by = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(ACTORS),
        metadata={"description": "`booking_cancelled`: client, professional, admin or system."},
    )
    proposed_start = instant("A proposed new start.", load_default=None, allow_none=True)
    proposed_end = instant("A proposed new end.", load_default=None, allow_none=True)
    proposed_by = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(SIDES),
        metadata={"description": "Which side proposed the new time."},
    )
    expires_at = instant("When a request or proposal lapses.", load_default=None, allow_none=True)
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


class BookingPaymentFailedSchema(EventSchema):
    """billing `booking_payment_failed` (billing's `BookingPaymentFailedEvent`)."""

    booking_id = _id("The booking.", required=True)
    client_user_id = _id("The client, when known.", required=True, allow_none=True)
    amount_cents = _cents("Amount that could not be taken.")
    currency = fields.String(
        required=True, validate=CURRENCY, metadata={"description": "ISO 4217 currency."}
    )


class MembershipStartedSchema(EventSchema):
    """billing `membership_started`."""

    user_id = _id("The member's account.", required=True)
    plan_id = _id("The plan.", load_default=None, allow_none=True)
    plan_name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "The plan's display name."},
    )
    price = fields.Nested(MoneySchema, required=True, metadata={"description": "Per interval."})
    interval = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["month", "year"]),
        metadata={"description": "Billing interval; null for a plan without dues."},
    )
    current_period_end = instant(
        "When the first dues are due (the trial's end, if any).", load_default=None, allow_none=True
    )
    trial_end = instant(
        "End of the free trial; null without one.", load_default=None, allow_none=True
    )


class PaymentFailedSchema(EventSchema):
    """billing `payment_failed` (billing's `PaymentFailedEvent`): membership dues not collected."""

    user_id = _id("Whose payment failed.", required=True)
    amount_cents = _cents("Amount due.")
    currency = fields.String(
        required=True, validate=CURRENCY, metadata={"description": "ISO 4217 currency."}
    )
    attempt_count = _count("Tries so far at the card processor.", load_default=1)


class DuesPaidSchema(EventSchema):
    """billing `dues_paid` (billing's `DuesPaidEvent`): the receipt for membership dues."""

    user_id = _id("Who paid.", required=True)
    amount_cents = _cents("Amount paid.")
    currency = fields.String(
        required=True, validate=CURRENCY, metadata={"description": "ISO 4217 currency."}
    )
    paid_at = instant("When it was paid.", required=True)


class OwnerStatusChangedSchema(EventSchema):
    """billing `owner_status_changed` (billing's `OwnerStatusChangedEvent`)."""

    user_id = _id("The member's account.", required=True)
    from_status = fields.String(
        required=True,
        data_key="from",
        validate=validate.Length(min=1, max=40),
        metadata={"description": "Status before: not_yet_owner, trial, active, inactive, ..."},
    )
    to_status = fields.String(
        required=True,
        data_key="to",
        validate=validate.Length(min=1, max=40),
        metadata={"description": "New status: not_yet_owner, trial, active, inactive, ..."},
    )
    reason = fields.String(
        load_default=None, allow_none=True, metadata={"description": "Why, in billing's words."}
    )


def _member_ids(description: str) -> fields.List:
    return fields.List(
        fields.String(validate=ID),
        required=True,
        metadata={"description": description + " (governance external ids = account ids)."},
    )


class _BallotSchema(EventSchema):
    title = _title()
    closes_at = instant("When voting closes.", load_default=None, allow_none=True)


class ProposalOpenedSchema(_BallotSchema):
    """governance `proposal_opened` (`ProposalOpenedEvent`); its roll is kept for the result."""

    proposal_id = _id("The proposal.", required=True)
    electorate = _member_ids("Members on the roll")


class ProposalClosingSoonSchema(_BallotSchema):
    """governance `proposal_closing_soon` (`ProposalClosingSoonEvent`)."""

    proposal_id = _id("The proposal.", required=True)
    not_yet_voted = _member_ids("Members on the roll who have not voted")


class TallySchema(_Tolerant):
    yes = _count("Votes for.", required=True)
    no = _count("Votes against.", required=True)
    abstain = _count("Abstentions.", load_default=0)


class ProposalClosedSchema(_BallotSchema):
    """governance `proposal_closed` (`ProposalClosedEvent`): told to the roll kept at opening."""

    proposal_id = _id("The proposal.", required=True)
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(["passed", "rejected", "no_quorum"]),
        metadata={"description": "Result of the vote."},
    )
    tally = fields.Nested(TallySchema, required=True, metadata={"description": "Votes cast."})


class _ElectionSchema(_BallotSchema):
    election_id = _id("The election.", required=True)
    seats = fields.Integer(
        required=True, validate=validate.Range(min=1), metadata={"description": "Seats to fill."}
    )


class ElectionOpenedSchema(_ElectionSchema):
    """governance `election_opened` (`ElectionOpenedEvent`); its roll is kept for the result."""

    electorate = _member_ids("Members on the roll")


class ElectionClosingSoonSchema(_ElectionSchema):
    """governance `election_closing_soon` (`ElectionClosingSoonEvent`)."""

    not_yet_voted = _member_ids("Members on the roll who have not voted")


class ElectedSchema(_Tolerant):
    candidate_id = _id("Candidate.", required=True)
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Display name."},
    )


class ElectionClosedSchema(_ElectionSchema):
    """governance `election_closed` (`ElectionClosedEvent`): told to the roll kept at opening."""

    elected = fields.List(
        fields.Nested(ElectedSchema),
        required=True,
        metadata={"description": "Elected candidates, in order of election."},
    )


class PatronageAllocatedSchema(EventSchema):
    """governance `patronage_allocated` (`PatronageAllocatedEvent`): one member's notice."""

    allocation_id = _id("The allocation.", required=True)
    fiscal_year = fields.Integer(
        required=True,
        validate=validate.Range(min=2000, max=2200),
        metadata={"description": "Fiscal year allocated."},
    )
    external_id = _id("The member (governance external id = account id).", required=True)
    amount = fields.Nested(MoneySchema, required=True, metadata={"description": "Allocated."})
    cash = fields.Nested(MoneySchema, required=True, metadata={"description": "Paid in cash."})
    retained = fields.Nested(
        MoneySchema, required=True, metadata={"description": "Retained in the capital account."}
    )


def _moderation_note(description: str) -> fields.String:
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=NOTE_MAX),
        metadata={"description": description},
    )


class ReviewRemovedSchema(EventSchema):
    """profiles `review_removed` (docs/reports-and-blocks.md): a moderator removed a review;
    its author is told which booking's review, why, and the moderator's note."""

    review_id = _id("The review.", required=True)
    booking_id = _id("The booking it was about.", required=True)
    author_id = _id("Who wrote it: the one told.", required=True)
    subject_id = _id("Who it was about.", required=True)
    reason = fields.String(
        required=True,
        validate=validate.OneOf(REPORT_REASONS),
        metadata={"description": "Why it was removed (plumbing's REPORT_REASONS)."},
    )
    note = _moderation_note("The moderator's note to the author, if any.")
    removed_at = instant("When it was removed.", required=True)


class ReviewReportResolvedSchema(EventSchema):
    """profiles `review_report_resolved` (docs/reports-and-blocks.md): one per report resolved;
    its reporter is told the outcome."""

    report_id = _id("The report.", required=True)
    review_id = _id("The review reported.", required=True)
    reporter_id = _id("Who reported it: the one told.", required=True)
    outcome = fields.String(
        required=True,
        validate=validate.OneOf([UPHELD, DISMISSED]),
        metadata={"description": "`upheld` (the review was removed) or `dismissed` (it stays)."},
    )
    note = _moderation_note("The removal's note when upheld, the dismissal's when dismissed.")
    resolved_at = instant("When the report was resolved.", required=True)


class AccountSuspendedSchema(EventSchema):
    """profiles `account_suspended` (docs/suspensions.md): a moderator suspended an account; we
    keep that it is suspended (no messages to or from it) and tell the member, by email only,
    why and how to appeal."""

    account_id = _id("The account suspended: the one told.", required=True)
    suspension_id = _id("The suspension.", required=True)
    reason = fields.String(
        required=True,
        validate=validate.OneOf(SUSPENSION_REASONS),
        metadata={"description": "Why (plumbing's SUSPENSION_REASONS)."},
    )
    note = _moderation_note("The moderator's note to the member, if any.")
    suspended_at = instant("When it was suspended: the time of this change.", required=True)


class AccountReinstatedSchema(EventSchema):
    """profiles `account_reinstated` (docs/suspensions.md): a moderator lifted a suspension;
    we keep that the account is no longer suspended and tell the member, with the note."""

    account_id = _id("The account reinstated: the one told.", required=True)
    suspension_id = _id("The suspension lifted.", required=True)
    note = _moderation_note("The moderator's note to the member, if any.")
    reinstated_at = instant("When it was lifted: the time of this change.", required=True)


class ProfileReportResolvedSchema(EventSchema):
    """profiles `profile_report_resolved` (docs/suspensions.md): one per report of a
    professional's profile resolved; its reporter is told the outcome."""

    report_id = _id("The report.", required=True)
    professional_id = _id("The professional whose profile was reported.", required=True)
    reporter_id = _id("Who reported it: the one told.", required=True)
    outcome = fields.String(
        required=True,
        validate=validate.OneOf([UPHELD, DISMISSED]),
        metadata={"description": "`upheld` (the account was suspended) or `dismissed` (it stays)."},
    )
    note = _moderation_note("The dismissal's note; null when upheld (the note is the member's).")
    resolved_at = instant("When the report was resolved.", required=True)


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


class MemberBlockedSchema(Schema):
    """Emitted as `member_blocked` (booking refuses new bookings between the two)."""

    blocker_id = _id("Who blocked.", required=True)
    blocked_id = _id("Who is blocked.", required=True)
    blocked_at = instant("When the block was made.", required=True)


class MemberUnblockedSchema(Schema):
    """Emitted as `member_unblocked`."""

    blocker_id = _id("Who had blocked.", required=True)
    blocked_id = _id("Who was blocked.", required=True)
    unblocked_at = instant("When the block was lifted.", required=True)


EMITTED_EVENTS: dict[str, type[Schema]] = {
    "conversation_started": ConversationStartedSchema,
    "message_sent": MessageSentSchema,
    "member_blocked": MemberBlockedSchema,
    "member_unblocked": MemberUnblockedSchema,
}
"""Published on `notifications.events` (the plumbing adds `event_id` and `occurred_at`)."""


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
    created_at = instant("When it was created.")
    read_at = instant("When the reader marked it read.", allow_none=True)


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
    created_at = instant("Started at.")
    last_message_at = instant("Latest message at.")
    can_write = fields.Boolean(
        metadata={
            "description": "Whether the reader can write here: false once either side closed "
            "their account, while either is suspended, or while either blocks the other."
        }
    )
    blocked_by_me = fields.Boolean(
        metadata={"description": "Whether the reader blocked the other party."}
    )
    other_suspended = fields.Boolean(
        metadata={
            "description": "Whether the other party's account is suspended: nobody writes "
            "to them meanwhile (`can_write` is false)."
        }
    )


class MessageSchema(Schema):
    id = _id("The message.")
    conversation_id = _id("The conversation.")
    seq = fields.Integer(metadata={"description": "1, 2, 3... within the conversation."})
    sender_id = _id("Who wrote it.")
    mine = fields.Boolean(metadata={"description": "Whether the reader wrote it."})
    body = fields.String(
        allow_none=True,
        metadata={"description": "The text, as written; null when the moderators withheld it."},
    )
    withheld = fields.Boolean(
        metadata={"description": "Whether the moderators withheld it (its text is not shown)."}
    )
    created_at = instant("Sent at.")


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


# ---- RPC: blocks ---------------------------------------------------------------------------


class AccountIdArgsSchema(StrictSchema):
    """`notifications.block_member` / `unblock_member` (PUT|DELETE /v1/me/blocks/{account_id})."""

    account_id = _id("The member to block or unblock.", required=True)


class BlockSchema(Schema):
    account_id = _id("The member blocked.")
    name = fields.String(allow_none=True, metadata={"description": "Their name, if known."})
    blocked_at = instant("When they were blocked.")


class BlockPageSchema(Schema):
    items = fields.List(fields.Nested(BlockSchema), metadata={"description": "Newest first."})
    next_cursor = fields.String(allow_none=True, metadata={"description": "Null on the last page."})


# ---- RPC: reports of messages (docs/reports-and-blocks.md) ---------------------------------


class ReportMessageArgsSchema(ReportArgsSchema):
    """`notifications.report_message`
    (POST /v1/conversations/{conversation_id}/messages/{message_id}/reports)."""

    conversation_id = _id("The conversation.", required=True)
    message_id = _id("The message reported.", required=True)


class MessageIdArgsSchema(StrictSchema):
    """`notifications.restore_message` (DELETE /v1/admin/messages/{id}/withholding)."""

    message_id = _id("The message.", required=True)


class WithholdMessageArgsSchema(RemovalArgsSchema):
    """`notifications.withhold_message` (POST /v1/admin/messages/{id}/withholding)."""

    message_id = _id("The message.", required=True)


class DismissMessageReportArgsSchema(DismissalArgsSchema):
    """`notifications.dismiss_message_report` (POST /v1/admin/message-reports/{id}/dismissal)."""

    report_id = _id("The report.", required=True)


class MessageReportSchema(Schema):
    """A report of a message, as its reporter sees it."""

    id = _id("The report.")
    message_id = _id("The message reported.")
    conversation_id = _id("Its conversation.")
    reason = fields.String(
        validate=validate.OneOf(REPORT_REASONS), metadata={"description": "Why it was reported."}
    )
    details = fields.String(
        allow_none=True, metadata={"description": "The reporter's own words, if any."}
    )
    status = fields.String(
        validate=validate.OneOf(REPORT_STATUSES),
        metadata={"description": "open, upheld (the message was withheld) or dismissed."},
    )
    created_at = instant("When it was reported.")
    resolved_at = instant("When a moderator decided; null while open.", allow_none=True)


class ModeratorMessageSchema(Schema):
    """A message as the moderators see it: always its text."""

    id = _id("The message.")
    conversation_id = _id("The conversation.")
    seq = fields.Integer(metadata={"description": "1, 2, 3... within the conversation."})
    sender_id = _id("Who wrote it.")
    body = fields.String(metadata={"description": "The text, as written, withheld or not."})
    created_at = instant("Sent at.")
    withheld_at = instant("When it was withheld; null when shown.", allow_none=True)
    withheld_reason = fields.String(
        allow_none=True, metadata={"description": "Why it was withheld; null when shown."}
    )
    withheld_note = fields.String(
        allow_none=True, metadata={"description": "The moderator's note to its sender, if any."}
    )
    report_count = fields.Integer(metadata={"description": "Reports of it, in any status."})


class ModeratorMessageReportSchema(MessageReportSchema):
    """A report as the moderators see it, with the message reported."""

    reporter_id = _id("Who reported it.")
    resolved_by = _id("The moderator who decided; null while open.", allow_none=True)
    resolution_note = fields.String(
        allow_none=True, metadata={"description": "The note given with the decision, if any."}
    )
    message = fields.Nested(ModeratorMessageSchema, metadata={"description": "What was reported."})


class QueuedMessageReportSchema(ModeratorMessageReportSchema):
    context = fields.List(
        fields.Nested(ModeratorMessageSchema),
        metadata={
            "description": "Up to the 5 messages before it in its conversation, oldest first."
        },
    )


class MessageReportPageSchema(Schema):
    items = fields.List(
        fields.Nested(QueuedMessageReportSchema), metadata={"description": "Oldest first."}
    )
    next_cursor = fields.String(allow_none=True, metadata={"description": "Null on the last page."})


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
    next_attempt_at = instant("When it is tried next.", allow_none=True)
    updated_at = instant("Last change.")


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


# ---- RPC: a member's copy of their data (docs/data-export.md) ------------------------------
# One schema per section's record, every field named: a new column never leaks by accident.


class MemberContactSchema(Schema):
    account_id = _id("The account.")
    name = fields.String(metadata={"description": "The name emails greet you by."})
    email = fields.String(metadata={"description": "The address your emails go to."})
    language = fields.String(metadata={"description": "The language they are written in."})
    time_zone = fields.String(
        allow_none=True,
        metadata={"description": "The zone dates are shown in; null until learned."},
    )
    roles = fields.List(
        fields.String(), metadata={"description": "Client, professional, admin, as profiles says."}
    )
    closed = fields.Boolean(metadata={"description": "Whether the account is closed."})
    closed_at = instant("When the account was closed; null while open.", allow_none=True)
    as_of = instant("When profiles last changed what this copy holds.")


class MemberPreferenceSchema(Schema):
    category = fields.String(
        validate=validate.OneOf(CATEGORIES), metadata={"description": "Preference category."}
    )
    channel = fields.String(
        validate=validate.OneOf(CHANNELS), metadata={"description": "email or in_app."}
    )
    enabled = fields.Boolean(metadata={"description": "Your choice: on or off."})
    updated_at = instant("When you made it.")


class MemberEmailSchema(Schema):
    id = _id("The email delivery.")
    template = fields.String(metadata={"description": "Which email, e.g. password_changed."})
    subject = fields.String(metadata={"description": "Its subject line, in your language."})
    to_email = fields.String(
        allow_none=True,
        metadata={"description": "The address it went (or goes) to; see `address_source`."},
    )
    address_source = fields.String(
        validate=validate.OneOf(["event", "contact"]),
        metadata={
            "description": "`event`: the address the event named, kept with the email; "
            "`contact`: your address on file, the one we hold now (such an email is "
            "addressed when it is sent)."
        },
    )
    category = fields.String(
        validate=validate.OneOf(CATEGORIES), metadata={"description": "Preference category."}
    )
    transactional = fields.Boolean(metadata={"description": "Sent whatever the preferences."})
    status = fields.String(
        validate=validate.OneOf(DELIVERY_STATUSES),
        metadata={"description": "pending, failed (retrying), sent or dead (given up)."},
    )
    attempts = fields.Integer(metadata={"description": "Tries so far."})
    created_at = instant("When it was made.")
    sent_at = instant("When the mail server took it; null until then.", allow_none=True)
    next_attempt_at = instant("When it is tried next; null when done.", allow_none=True)
    updated_at = instant("Its last change.")


class MemberMessageSchema(Schema):
    id = _id("The message.")
    seq = fields.Integer(metadata={"description": "1, 2, 3... within the conversation."})
    sender_id = _id("Who wrote it.")
    mine = fields.Boolean(metadata={"description": "Whether you wrote it."})
    body = fields.String(
        allow_none=True,
        metadata={
            "description": "The text, as written; null for the other party's message the "
            "moderators withheld (yours keep their text)."
        },
    )
    withheld = fields.Boolean(metadata={"description": "Whether the moderators withheld it."})
    withheld_at = instant("When your message was withheld; null otherwise.", allow_none=True)
    withheld_reason = fields.String(
        allow_none=True, metadata={"description": "Why your message was withheld; null otherwise."}
    )
    created_at = instant("Sent at.")


class MemberConversationSchema(Schema):
    id = _id("The conversation.")
    subject = fields.String(metadata={"description": "What it is about."})
    booking_id = _id("Booking it is about.", allow_none=True)
    my_role = fields.String(
        validate=validate.OneOf(["client", "professional"]),
        metadata={"description": "Your side in this conversation."},
    )
    other_party = fields.Nested(
        PartySchema, metadata={"description": "Who you talk to: account id and shown name."}
    )
    message_count = fields.Integer(metadata={"description": "Messages so far."})
    unread_count = fields.Integer(metadata={"description": "Messages you have not seen."})
    created_at = instant("Started at.")
    last_message_at = instant("Latest message at.")
    messages = fields.List(
        fields.Nested(MemberMessageSchema),
        metadata={"description": "Every message, both ways, oldest first."},
    )


class MemberDataSectionsSchema(Schema):
    contact = section(MemberContactSchema, "The copy used to address email.")
    preferences = section(MemberPreferenceSchema, "Your notification choices.")
    notifications = section(NotificationSchema, "The in-app inbox.")
    email_deliveries = section(MemberEmailSchema, "Emails made for you.")
    conversations = section(MemberConversationSchema, "Your conversations and messages.")
    blocks = section(BlockSchema, "The members you blocked.")
    message_reports = section(MessageReportSchema, "The messages you reported.")


class MemberDataSchema(MemberDataPartSchema):
    """`notifications.export_member_data`: notifications' part of a member's copy."""

    sections = fields.Nested(
        MemberDataSectionsSchema,
        required=True,
        metadata={"description": "Every section, empty ones included."},
    )
