"""The shape of every booking RPC argument, result and event.

Inputs refuse unknown fields; every time is ISO 8601 with an offset (a naive
time is refused: it would mean something different in every zone). The gateway
builds its OpenAPI document from these same schemas.
"""

from __future__ import annotations

from loconomics_plumbing.member_data import MemberDataPartSchema, section
from loconomics_plumbing.validation import (
    Day,
    Instant,
    MoneySchema,
    PageArgsSchema,
    StrictSchema,
    instant,
)
from marshmallow import (
    EXCLUDE,
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from .domain.lifecycle import Status
from .domain.local_time import WEEKDAYS, is_time_zone, parse_wall_time
from .domain.policies import Policy

STATUSES = tuple(status.value for status in Status)
POLICIES = tuple(policy.value for policy in Policy)
SIDES = ("client", "professional")
ACTORS = ("client", "professional", "admin", "system")
WALL_TIME = r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"
ID = validate.Length(min=1, max=64)


def _time_zone(value: str) -> None:
    if not is_time_zone(value):
        raise ValidationError("Not an IANA time zone, e.g. America/New_York.")


# --- scheduling ---------------------------------------------------------------------------


class WallRangeSchema(StrictSchema):
    start = fields.String(
        required=True,
        validate=validate.Regexp(WALL_TIME),
        metadata={"description": "Local wall time HH:MM.", "example": "09:00"},
    )
    end = fields.String(
        required=True,
        validate=validate.Regexp(WALL_TIME),
        metadata={
            "description": "Local wall time HH:MM, after start; 24:00 ends the day.",
            "example": "12:00",
        },
    )

    @validates_schema
    def _ordered(self, data: dict, **kwargs) -> None:
        if parse_wall_time(data["end"]) <= parse_wall_time(data["start"]):
            raise ValidationError("Must be after start.", "end")


def _weekly_field(**kwargs) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(WEEKDAYS)),
        values=fields.List(fields.Nested(WallRangeSchema), validate=validate.Length(max=12)),
        metadata={
            "description": "Ranges per weekday (mon..sun) in the professional's time zone; "
            "ranges of one day must not overlap (touching ranges join up).",
            "example": {
                "mon": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]
            },
        },
        **kwargs,
    )


class ScheduleInputSchema(StrictSchema):
    """`PUT /v1/me/schedule`: the whole weekly schedule at once."""

    time_zone = fields.String(
        required=True,
        validate=_time_zone,
        metadata={"description": "IANA time zone of the ranges.", "example": "America/New_York"},
    )
    weekly = _weekly_field(required=True)
    advance_notice_hours = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=24 * 90),
        metadata={"description": "How long before a start it can still be booked."},
    )
    buffer_minutes = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=24 * 60),
        metadata={
            "description": "Free time kept after each booking and around imported busy events."
        },
    )
    slot_increment_minutes = fields.Integer(
        load_default=15,
        validate=validate.Range(min=5, max=24 * 60),
        metadata={"description": "Step between offered starts, from each range's start."},
    )


class ScheduleSchema(Schema):
    professional_id = fields.String(required=True)
    time_zone = fields.String(required=True)
    weekly = _weekly_field(required=True)
    advance_notice_hours = fields.Integer(required=True)
    buffer_minutes = fields.Integer(required=True)
    slot_increment_minutes = fields.Integer(required=True)


class TimeOffInputSchema(StrictSchema):
    """`POST /v1/me/time-off`: one-off (`start`, `end`) or weekly (`weekday`, times, `until`)."""

    start = instant("One-off: first instant off.", load_default=None)
    end = instant("One-off: first instant back (exclusive).", load_default=None)
    weekday = fields.String(
        load_default=None,
        validate=validate.OneOf(WEEKDAYS),
        metadata={"description": "Weekly: the weekday (mon..sun)."},
    )
    start_time = fields.String(
        load_default=None,
        validate=validate.Regexp(WALL_TIME),
        metadata={"description": "Weekly: local wall time HH:MM."},
    )
    end_time = fields.String(
        load_default=None,
        validate=validate.Regexp(WALL_TIME),
        metadata={"description": "Weekly: local wall time HH:MM (24:00 ends the day)."},
    )
    until = Day(
        load_default=None,
        metadata={"description": "Weekly: last local date it applies (inclusive)."},
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def _one_kind(self, data: dict, **kwargs) -> None:
        once = ("start", "end")
        weekly = ("weekday", "start_time", "end_time", "until")
        has_once = any(data.get(name) is not None for name in once)
        has_weekly = any(data.get(name) is not None for name in weekly)
        if has_once == has_weekly:
            raise ValidationError("Give start and end, or weekday, start_time, end_time and until.")
        needed = once if has_once else weekly
        missing = {
            name: ["Missing data for required field."] for name in needed if data.get(name) is None
        }
        if missing:
            raise ValidationError(missing)
        if has_once and data["end"] <= data["start"]:
            raise ValidationError("Must be after start.", "end")
        if has_weekly and parse_wall_time(data["end_time"]) <= parse_wall_time(data["start_time"]):
            raise ValidationError("Must be after start_time.", "end_time")


class TimeOffSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("once", "weekly")))
    start = instant("One-off: first instant off.")
    end = instant("One-off: first instant back.")
    weekday = fields.String(validate=validate.OneOf(WEEKDAYS))
    start_time = fields.String()
    end_time = fields.String()
    until = Day()
    note = fields.String(allow_none=True)


class TimeOffListSchema(Schema):
    items = fields.List(fields.Nested(TimeOffSchema), required=True)


class TimeOffIdSchema(StrictSchema):
    time_off_id = fields.String(required=True, validate=ID)


class SlotsWindowSchema(StrictSchema):
    """The query of `GET /v1/professionals/{id}/slots?service_id=&from=&to=`."""

    service_id = fields.String(
        required=True, validate=ID, metadata={"description": "The service to book."}
    )
    from_ = instant("Window start (inclusive).", required=True, data_key="from")
    to = instant("Window end (exclusive); at most 62 days after from.", required=True)

    @validates_schema
    def _window(self, data: dict, **kwargs) -> None:
        if "to" in data and "from_" in data and data["to"] <= data["from_"]:
            raise ValidationError("Must be after from.", "to")


class SlotsQuerySchema(SlotsWindowSchema):
    """`find_slots`: the window of one professional's service."""

    professional_id = fields.String(
        required=True, validate=ID, metadata={"description": "The professional's account id."}
    )


class FreeProfessionalsQuerySchema(StrictSchema):
    """`professionals_with_free_slots`: search asks which of a page of professionals is free."""

    professional_ids = fields.List(
        fields.String(validate=ID),
        required=True,
        validate=validate.Length(min=1, max=25),
        metadata={"description": "Up to 25 professionals' account ids."},
    )
    from_ = instant("Window start (inclusive).", required=True, data_key="from")
    to = instant("Window end (exclusive); at most 62 days after from.", required=True)

    @validates_schema
    def _window(self, data: dict, **kwargs) -> None:
        if "to" in data and "from_" in data and data["to"] <= data["from_"]:
            raise ValidationError("Must be after from.", "to")


class FreeProfessionalsSchema(Schema):
    professional_ids = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Those with at least one bookable start in the window."},
    )


class AccountIdSchema(StrictSchema):
    """`count_unfinished_bookings`: profiles asks before closing an account."""

    account_id = fields.String(
        required=True,
        validate=ID,
        metadata={"description": "The account, as client and as professional."},
    )


class UnfinishedBookingsSchema(Schema):
    unfinished = fields.Integer(
        required=True,
        validate=validate.Range(min=0),
        metadata={
            "description": "Its bookings requested, confirmed, performed or disputed, "
            "on either side; 0 lets the account close."
        },
    )


class ProfessionalIdSchema(StrictSchema):
    professional_id = fields.String(
        load_default=None,
        validate=ID,
        metadata={"description": "Whose schedule; the caller's own when omitted."},
    )


class SlotsSchema(Schema):
    items = fields.List(
        Instant(format="iso"),
        required=True,
        metadata={"description": "Every bookable start in the window, ascending, UTC."},
    )


class CalendarImportInputSchema(StrictSchema):
    """`PUT /v1/me/calendar`: the iCal URL whose events count as busy time (null unlinks)."""

    import_url = fields.String(
        required=True,
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={
            "description": "http(s) or webcal URL of an iCal feed.",
            "example": "webcal://calendar.example.org/private/abc/basic.ics",
        },
    )


class CalendarSettingsSchema(Schema):
    export_url = fields.String(
        required=True, metadata={"description": "Secret iCal feed of bookings and time off."}
    )
    import_url = fields.String(allow_none=True)
    import_status = fields.String(
        validate=validate.OneOf(("none", "pending", "ok", "failing")),
        metadata={"description": "none, pending (not read yet), ok, failing."},
    )
    import_error = fields.String(allow_none=True)
    import_checked_at = Instant(format="iso", allow_none=True)
    import_succeeded_at = Instant(format="iso", allow_none=True)


class CalendarTokenSchema(StrictSchema):
    token = fields.String(required=True, validate=validate.Length(min=20, max=64))


# --- bookings -----------------------------------------------------------------------------


class BookingRequestSchema(StrictSchema):
    """`POST /v1/bookings`: one `start` (instant, or a professional booking their client)
    or one to three `proposed_starts` (a request). Send an `Idempotency-Key` header:
    a repeat with the same key and body returns the first booking, another body is 422."""

    service_id = fields.String(
        required=True, validate=ID, metadata={"description": "The service to book."}
    )
    start = instant("The start to book.", load_default=None)
    proposed_starts = fields.List(
        Instant(format="iso"),
        load_default=None,
        validate=validate.Length(min=1, max=3),
        metadata={"description": "One to three starts for the professional to choose from."},
    )
    client_id = fields.String(
        load_default=None,
        validate=ID,
        metadata={"description": "Only when a professional books their own client."},
    )

    @validates_schema
    def _one_form(self, data: dict, **kwargs) -> None:
        if (data.get("start") is None) == (not data.get("proposed_starts")):
            raise ValidationError("Give start or proposed_starts (not both).", "start")


class CreateBookingSchema(BookingRequestSchema):
    """`create_booking`: the request plus the Idempotency-Key the gateway passes on."""

    idempotency_key = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=255),
        metadata={"description": "The Idempotency-Key header: a repeat returns the first booking."},
    )


class BookingIdSchema(StrictSchema):
    booking_id = fields.String(required=True, validate=ID)


class StartBodySchema(StrictSchema):
    """`POST /v1/bookings/{id}/confirm` and `/reschedule`: a start."""

    start = instant(
        "confirm: one of the request's proposed starts; reschedule: the new start.",
        required=True,
    )


class ReasonBodySchema(StrictSchema):
    """`POST /v1/bookings/{id}/decline` and `/cancel`: an optional reason."""

    reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": "Shown to the other side."},
    )


class AnswerBodySchema(StrictSchema):
    """`POST /v1/bookings/{id}/reschedule/answer`."""

    accept = fields.Boolean(required=True, metadata={"description": "Accept or decline the move."})


class DisputeBodySchema(StrictSchema):
    """`POST /v1/bookings/{id}/dispute`."""

    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "What went wrong, for the admin who decides."},
    )


class ResolveBodySchema(StrictSchema):
    """`POST /v1/bookings/{id}/resolve` (admin)."""

    outcome = fields.String(
        required=True,
        validate=validate.OneOf(("completed", "refunded")),
        metadata={"description": "completed: the professional is paid; refunded: all back."},
    )


class ConfirmBookingSchema(StartBodySchema, BookingIdSchema):
    pass


class ReasonSchema(ReasonBodySchema, BookingIdSchema):
    pass


class RescheduleSchema(StartBodySchema, BookingIdSchema):
    pass


class AnswerRescheduleSchema(AnswerBodySchema, BookingIdSchema):
    pass


class DisputeSchema(DisputeBodySchema, BookingIdSchema):
    pass


class ResolveDisputeSchema(ResolveBodySchema, BookingIdSchema):
    pass


class ListBookingsSchema(PageArgsSchema):
    as_ = fields.String(
        load_default="client",
        data_key="as",
        validate=validate.OneOf(SIDES),
        metadata={"description": "The caller's bookings as client or as professional."},
    )
    status = fields.List(
        fields.String(validate=validate.OneOf(STATUSES)),
        load_default=None,
        metadata={"description": "Only these statuses."},
    )


class BookingsQuerySchema(PageArgsSchema):
    """The query of `GET /v1/bookings?as=&status=&limit=&cursor=`."""

    as_ = fields.String(
        load_default="client",
        data_key="as",
        validate=validate.OneOf(SIDES),
        metadata={"description": "The caller's bookings as client or as professional."},
    )
    status = fields.String(
        load_default=None,
        validate=validate.Regexp(rf"^({'|'.join(STATUSES)})(,({'|'.join(STATUSES)}))*$"),
        metadata={
            "description": "Only these statuses, comma-separated.",
            "example": "requested,confirmed",
        },
    )


class TermsStartSchema(StrictSchema):
    """The query of `GET /v1/services/{id}/cancellation-terms?start=`."""

    start = instant("The start the client is about to book.", required=True)


class CancellationTermsQuerySchema(TermsStartSchema):
    service_id = fields.String(required=True, validate=ID)


class PendingRescheduleSchema(Schema):
    start = Instant(format="iso", required=True)
    end = Instant(format="iso", required=True)
    proposed_by = fields.String(validate=validate.OneOf(SIDES))
    expires_at = Instant(format="iso", allow_none=True)


class SettlementSchema(Schema):
    fee = fields.Nested(MoneySchema, required=True, metadata={"description": "Kept."})
    refund = fields.Nested(MoneySchema, required=True, metadata={"description": "Given back."})


class BookingSchema(Schema):
    id = fields.String(required=True)
    client_id = fields.String(required=True)
    professional_id = fields.String(required=True)
    service_id = fields.String(required=True)
    listing_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    start = Instant(
        format="iso",
        required=True,
        metadata={"description": "Confirmed start; for a request, its first proposed start."},
    )
    end = Instant(format="iso", required=True)
    time_zone = fields.String(required=True, metadata={"description": "The professional's zone."})
    price = fields.Nested(MoneySchema, required=True)
    policy = fields.String(required=True, validate=validate.OneOf(POLICIES))
    instant = fields.Boolean(required=True)
    created_by = fields.String(validate=validate.OneOf(SIDES))
    proposed_starts = fields.List(Instant(format="iso"))
    expires_at = Instant(format="iso", allow_none=True)
    pending_reschedule = fields.Nested(PendingRescheduleSchema, allow_none=True)
    closed_at = Instant(format="iso", allow_none=True)
    closed_by = fields.String(allow_none=True, validate=validate.OneOf(ACTORS))
    close_reason = fields.String(allow_none=True)
    settlement = fields.Nested(SettlementSchema, allow_none=True)
    confirmed_at = Instant(format="iso", allow_none=True)
    performed_at = Instant(format="iso", allow_none=True)
    completed_at = Instant(format="iso", allow_none=True)
    disputed_at = Instant(format="iso", allow_none=True)
    created_at = Instant(format="iso", required=True)
    updated_at = Instant(format="iso", required=True)


class BookingPageSchema(Schema):
    items = fields.List(fields.Nested(BookingSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class PolicyTierSchema(Schema):
    until = Instant(
        format="iso", allow_none=True, metadata={"description": "Deadline (UTC); null: after."}
    )
    until_local = fields.String(allow_none=True, metadata={"description": "Same, local time."})
    hours_before_start = fields.Integer(allow_none=True)
    kept_percent = fields.Integer(validate=validate.Range(min=0, max=100))
    fee = fields.Nested(MoneySchema)
    refund = fields.Nested(MoneySchema)
    text = fields.String(metadata={"description": "The tier in words, for the client."})


class CancellationTermsSchema(Schema):
    policy = fields.String(required=True, validate=validate.OneOf(POLICIES))
    summary = fields.String(required=True)
    start = Instant(format="iso", required=True)
    price = fields.Nested(MoneySchema, required=True)
    no_show = fields.String()
    professional_cancels = fields.String()
    tiers = fields.List(fields.Nested(PolicyTierSchema), required=True)


class CancellationQuoteSchema(Schema):
    booking_id = fields.String(required=True)
    fee = fields.Nested(MoneySchema, required=True)
    refund = fields.Nested(MoneySchema, required=True)
    kept_percent = fields.Integer(required=True)
    policy = fields.Nested(CancellationTermsSchema, required=True)


# --- events emitted -----------------------------------------------------------------------


class EventSchema(Schema):
    """What the plumbing adds to every event."""

    event_id = fields.String()
    occurred_at = Instant(format="iso")


class BookingEventSchema(EventSchema):
    """The core of every booking_* event."""

    booking_id = fields.String(required=True)
    client_id = fields.String(required=True)
    professional_id = fields.String(required=True)
    service_id = fields.String(required=True)
    listing_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    start = Instant(format="iso", required=True)
    end = Instant(format="iso", required=True)
    time_zone = fields.String(required=True)
    price = fields.Nested(MoneySchema, required=True)
    policy = fields.String(required=True, validate=validate.OneOf(POLICIES))
    instant = fields.Boolean(required=True)
    created_by = fields.String(required=True, validate=validate.OneOf(SIDES))


class BookingRequestedEventSchema(BookingEventSchema):
    proposed_starts = fields.List(Instant(format="iso"), required=True)
    expires_at = Instant(format="iso", required=True)


class BookingConfirmedEventSchema(BookingEventSchema):
    previous_start = Instant(format="iso")
    previous_end = Instant(format="iso")
    rescheduled_by = fields.String(validate=validate.OneOf(SIDES))


class _MoneyOutcome(BookingEventSchema):
    fee_cents = fields.Integer(required=True, metadata={"description": "Kept from the client."})
    refund_cents = fields.Integer(required=True, metadata={"description": "Given back."})
    kept_percent = fields.Integer(required=True)


class BookingDeclinedEventSchema(_MoneyOutcome):
    declined_by = fields.String(required=True)
    reason = fields.String(allow_none=True)


class BookingExpiredEventSchema(_MoneyOutcome):
    pass


class BookingCancelledEventSchema(_MoneyOutcome):
    cancelled_by = fields.String(required=True, validate=validate.OneOf(ACTORS))
    reported_by = fields.String(metadata={"description": "Who reported a no-show."})
    reason = fields.String(allow_none=True, metadata={"description": "no_show, dispute, or text."})
    no_show = fields.Boolean(required=True)


class BookingRescheduledEventSchema(BookingEventSchema):
    previous_start = Instant(format="iso", required=True)
    previous_end = Instant(format="iso", required=True)
    rescheduled_by = fields.String(required=True, validate=validate.OneOf(SIDES))


class BookingRescheduleProposedEventSchema(BookingEventSchema):
    proposed_start = Instant(format="iso", required=True)
    proposed_end = Instant(format="iso", required=True)
    proposed_by = fields.String(required=True, validate=validate.OneOf(SIDES))
    expires_at = Instant(format="iso", required=True)


class BookingRescheduleDeclinedEventSchema(BookingEventSchema):
    proposed_start = Instant(format="iso", required=True)
    proposed_by = fields.String(required=True, validate=validate.OneOf(SIDES))
    declined_by = fields.String(required=True, validate=validate.OneOf(SIDES))


class BookingRescheduleExpiredEventSchema(BookingEventSchema):
    proposed_start = Instant(format="iso", allow_none=True)
    proposed_by = fields.String(allow_none=True, validate=validate.OneOf(SIDES))


class BookingCompletedEventSchema(BookingEventSchema):
    completed_by = fields.String(
        required=True, validate=validate.OneOf(("client", "admin", "system"))
    )


class BookingDisputedEventSchema(BookingEventSchema):
    disputed_by = fields.String(required=True, validate=validate.OneOf(SIDES))
    reason = fields.String(required=True)


class ScheduleChangedEventSchema(EventSchema):
    professional_id = fields.String(required=True)
    time_zone = fields.String(required=True)
    weekly = _weekly_field(required=True)
    advance_notice_hours = fields.Integer(required=True)
    buffer_minutes = fields.Integer(required=True)
    slot_increment_minutes = fields.Integer(required=True)
    reason = fields.String(
        required=True, validate=validate.OneOf(("schedule", "time_off", "calendar_import"))
    )
    changed_at = Instant(format="iso", required=True)


class CalendarImportFailedEventSchema(EventSchema):
    professional_id = fields.String(required=True)
    reason = fields.String(required=True)
    failed_at = Instant(format="iso", required=True)


EMITTED_EVENTS: dict[str, type[Schema]] = {
    "booking_requested": BookingRequestedEventSchema,
    "booking_confirmed": BookingConfirmedEventSchema,
    "booking_declined": BookingDeclinedEventSchema,
    "booking_expired": BookingExpiredEventSchema,
    "booking_cancelled": BookingCancelledEventSchema,
    "booking_rescheduled": BookingRescheduledEventSchema,
    "booking_reschedule_proposed": BookingRescheduleProposedEventSchema,
    "booking_reschedule_declined": BookingRescheduleDeclinedEventSchema,
    "booking_reschedule_expired": BookingRescheduleExpiredEventSchema,
    "booking_performed": BookingEventSchema,
    "booking_completed": BookingCompletedEventSchema,
    "booking_disputed": BookingDisputedEventSchema,
    "booking_reminder_due": BookingEventSchema,
    "booking_review_requested": BookingEventSchema,
    "schedule_changed": ScheduleChangedEventSchema,
    "calendar_import_failed": CalendarImportFailedEventSchema,
}


# --- events consumed ----------------------------------------------------------------------


class ListedServiceSchema(Schema):
    """One service of a listing as profiles publishes it (unknown extra fields ignored)."""

    class Meta:
        unknown = INCLUDE

    service_id = fields.String(required=True, validate=ID)
    name = fields.String(load_default="", validate=validate.Length(max=200))
    pricing_type = fields.String(load_default="service")
    price = fields.Nested(
        MoneySchema,
        load_default=None,
        allow_none=True,
        metadata={"description": "None: free (consultation, estimate)."},
    )
    duration_minutes = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=5, max=24 * 60),
        metadata={"description": "None: not bookable on its own (add-ons)."},
    )
    sessions = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    first_time_clients_only = fields.Boolean(load_default=False)
    visible_to_client_id = fields.String(load_default=None, allow_none=True, validate=ID)
    active = fields.Boolean(load_default=True)


class ListingEventSchema(Schema):
    """`listing_published`, `listing_changed`, `listing_removed` from profiles.

    Each describes the whole listing; `version` (raised on every change) or
    `changed_at` orders them. Unknown fields are kept out of the way, not refused:
    the producer may add fields without breaking booking.
    """

    class Meta:
        unknown = INCLUDE

    listing_id = fields.String(required=True, validate=ID)
    professional_id = fields.String(load_default=None, validate=ID)
    version = fields.Integer(load_default=None, validate=validate.Range(min=0))
    changed_at = Instant(format="iso", load_default=None)
    cancellation_policy = fields.String(load_default=None, validate=validate.OneOf(POLICIES))
    instant_booking = fields.Boolean(load_default=False)
    status = fields.String(
        load_default="on", metadata={"description": "Only an `on` listing is bookable."}
    )
    services = fields.List(fields.Nested(ListedServiceSchema), load_default=list)

    @validates_schema
    def _ordered(self, data: dict, **kwargs) -> None:
        if data.get("version") is None and data.get("changed_at") is None:
            raise ValidationError("A listing event needs version or changed_at.", "version")
        if data.get("services"):
            missing = {
                name: ["Needed when services are listed."]
                for name in ("professional_id", "cancellation_policy")
                if data.get(name) is None
            }
            if missing:
                raise ValidationError(missing)


class AccountClosedEventSchema(Schema):
    """`account_closed` from profiles: what booking reads of it.

    The event also carries the address, name and language for the goodbye email;
    booking must not keep them, so they are dropped on loading, like every other
    field not named here (the roles too: booking clears whatever it holds for the
    account, whichever roles it had).
    """

    class Meta:
        unknown = EXCLUDE

    event_id = fields.String()
    occurred_at = Instant(format="iso")
    account_id = fields.String(required=True, validate=ID)
    closed_at = Instant(
        format="iso", required=True, metadata={"description": "When profiles closed it."}
    )


class MemberBlockEventSchema(Schema):
    """`member_blocked` and `member_unblocked` from notifications: what booking reads of them
    (docs/reports-and-blocks.md). The time of the change is `blocked_at` or `unblocked_at`."""

    class Meta:
        unknown = EXCLUDE

    event_id = fields.String()
    occurred_at = Instant(format="iso")
    blocker_id = fields.String(required=True, validate=ID)
    blocked_id = fields.String(required=True, validate=ID)
    blocked_at = Instant(format="iso")
    unblocked_at = Instant(format="iso")

    @validates_schema
    def _one_time(self, data: dict, **kwargs) -> None:
        if ("blocked_at" in data) == ("unblocked_at" in data):
            raise ValidationError("Give blocked_at or unblocked_at.", "_schema")


class AccountSuspensionEventSchema(Schema):
    """`account_suspended` and `account_reinstated` from profiles: what booking reads of them
    (docs/suspensions.md). The time of the change is `suspended_at` or `reinstated_at`; the
    reason and the moderators' note are not booking's to keep."""

    class Meta:
        unknown = EXCLUDE

    event_id = fields.String()
    occurred_at = Instant(format="iso")
    account_id = fields.String(required=True, validate=ID)
    suspended_at = Instant(format="iso")
    reinstated_at = Instant(format="iso")

    @validates_schema
    def _one_time(self, data: dict, **kwargs) -> None:
        if ("suspended_at" in data) == ("reinstated_at" in data):
            raise ValidationError("Give suspended_at or reinstated_at.", "_schema")


# --- a member's copy of their data (docs/data-export.md) ------------------------------------


class ScheduleRecordSchema(Schema):
    time_zone = fields.String(required=True)
    weekly = _weekly_field(required=True)
    advance_notice_hours = fields.Integer(required=True)
    buffer_minutes = fields.Integer(required=True)
    slot_increment_minutes = fields.Integer(required=True)
    updated_at = Instant(format="iso", required=True)


class TimeOffRecordSchema(Schema):
    id = fields.String(required=True)
    start = Instant(format="iso", required=True)
    end = Instant(format="iso", required=True)
    note = fields.String(allow_none=True)
    created_at = Instant(format="iso", required=True)


class WeeklyTimeOffRecordSchema(Schema):
    id = fields.String(required=True)
    weekday = fields.String(required=True, validate=validate.OneOf(WEEKDAYS))
    start_time = fields.String(required=True)
    end_time = fields.String(required=True)
    until = Day(required=True)
    note = fields.String(allow_none=True)
    created_at = Instant(format="iso", required=True)


class CalendarLinkRecordSchema(Schema):
    export_feed = fields.Boolean(
        required=True,
        metadata={"description": "Whether a secret export feed exists (its address is left out)."},
    )
    import_url = fields.String(allow_none=True)
    import_status = fields.String(validate=validate.OneOf(("none", "pending", "ok", "failing")))
    import_error = fields.String(allow_none=True)
    import_checked_at = Instant(format="iso", allow_none=True)
    import_succeeded_at = Instant(format="iso", allow_none=True)
    import_failures = fields.Integer(metadata={"description": "Failed reads in a row."})
    import_next_at = Instant(format="iso", allow_none=True)
    updated_at = Instant(format="iso", required=True)


class BusyIntervalRecordSchema(Schema):
    id = fields.String(required=True)
    start = Instant(format="iso", required=True)
    end = Instant(format="iso", required=True)
    source_uid = fields.String(metadata={"description": "The event's UID in your calendar."})


class BookableServiceRecordSchema(Schema):
    service_id = fields.String(required=True)
    listing_id = fields.String(required=True)
    name = fields.String(required=True)
    pricing_type = fields.String(required=True)
    duration_minutes = fields.Integer(required=True)
    sessions = fields.Integer(allow_none=True)
    price_cents = fields.Integer(required=True)
    currency = fields.String(required=True)
    policy = fields.String(required=True, validate=validate.OneOf(POLICIES))
    instant_booking = fields.Boolean(required=True)
    first_time_clients_only = fields.Boolean(required=True)
    visible_to_client_id = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    updated_at = Instant(format="iso", required=True)


class BookingRecordSchema(Schema):
    """A booking in the member's copy, on either side."""

    id = fields.String(required=True)
    client_id = fields.String(required=True)
    professional_id = fields.String(required=True)
    service_id = fields.String(required=True)
    service_name = fields.String(
        allow_none=True, metadata={"description": "As booking's copy of the service names it."}
    )
    listing_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    start = Instant(format="iso", required=True)
    end = Instant(format="iso", required=True)
    time_zone = fields.String(required=True)
    price_cents = fields.Integer(required=True)
    currency = fields.String(required=True)
    policy = fields.String(required=True, validate=validate.OneOf(POLICIES))
    instant = fields.Boolean(required=True)
    created_by = fields.String(validate=validate.OneOf(SIDES))
    proposed_starts = fields.List(Instant(format="iso"))
    expires_at = Instant(format="iso", allow_none=True)
    confirmed_at = Instant(format="iso", allow_none=True)
    reschedule_start = Instant(format="iso", allow_none=True)
    reschedule_end = Instant(format="iso", allow_none=True)
    reschedule_proposed_by = fields.String(allow_none=True)
    reschedule_expires_at = Instant(format="iso", allow_none=True)
    reminder_sent_at = Instant(format="iso", allow_none=True)
    performed_at = Instant(format="iso", allow_none=True)
    completed_at = Instant(format="iso", allow_none=True)
    completed_by = fields.String(allow_none=True)
    disputed_at = Instant(format="iso", allow_none=True)
    disputed_by = fields.String(allow_none=True)
    dispute_reason = fields.String(
        allow_none=True, metadata={"description": "Only in the copy of the side that disputed."}
    )
    review_requested_at = Instant(format="iso", allow_none=True)
    closed_at = Instant(format="iso", allow_none=True)
    closed_by = fields.String(allow_none=True)
    close_reason = fields.String(allow_none=True)
    fee_cents = fields.Integer(allow_none=True, metadata={"description": "Kept from the client."})
    refund_cents = fields.Integer(allow_none=True, metadata={"description": "Given back."})
    created_at = Instant(format="iso", required=True)
    updated_at = Instant(format="iso", required=True)


class MemberDataSectionsSchema(Schema):
    schedule = section(ScheduleRecordSchema)
    time_off = section(TimeOffRecordSchema)
    weekly_time_off = section(WeeklyTimeOffRecordSchema)
    calendar_link = section(CalendarLinkRecordSchema)
    busy_intervals = section(BusyIntervalRecordSchema)
    bookable_services = section(BookableServiceRecordSchema)
    bookings_as_client = section(BookingRecordSchema)
    bookings_as_professional = section(BookingRecordSchema)


class MemberDataSchema(MemberDataPartSchema):
    """`export_member_data`: booking's part of the member's copy of their data."""

    sections = fields.Nested(MemberDataSectionsSchema, required=True)
