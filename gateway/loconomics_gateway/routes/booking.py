"""Scheduling and bookings (booking): schedules, time off, slots, calendar sync, the lifecycle.

Every handler is one RPC to booking. Path parameters become the RPC's ids; the
`Idempotency-Key` of `POST /v1/bookings` is passed on, so a repeat returns the
first booking even where the gateway's own idempotency records do not reach
(another gateway database, a record older than a day).
"""

from __future__ import annotations

from loconomics_booking.schemas import (
    AnswerBodySchema,
    BookingPageSchema,
    BookingRequestSchema,
    BookingSchema,
    BookingsQuerySchema,
    CalendarImportInputSchema,
    CalendarSettingsSchema,
    CancellationQuoteSchema,
    CancellationTermsSchema,
    DisputeBodySchema,
    ReasonBodySchema,
    ResolveBodySchema,
    ScheduleInputSchema,
    ScheduleSchema,
    SlotsSchema,
    SlotsWindowSchema,
    StartBodySchema,
    TermsStartSchema,
    TimeOffInputSchema,
    TimeOffListSchema,
    TimeOffSchema,
)

from ..operations import ANONYMOUS, PUBLIC, Call, Operation, Reply

SCHEDULING = "Scheduling"
BOOKINGS = "Bookings"
ICALENDAR = "text/calendar"


# scheduling


def put_schedule(call: Call) -> dict:
    return call.rpc("booking", "set_schedule", **call.body)


def get_schedule(call: Call) -> dict:
    return call.rpc("booking", "get_schedule")


def add_time_off(call: Call) -> dict:
    return call.rpc("booking", "add_time_off", **call.body)


def list_time_off(call: Call) -> dict:
    return call.rpc("booking", "list_time_off")


def remove_time_off(call: Call) -> Reply:
    call.rpc("booking", "remove_time_off", time_off_id=call.params["id"])
    return Reply(status=204)


def find_slots(call: Call) -> dict:
    return call.rpc(
        "booking",
        "find_slots",
        professional_id=call.params["id"],
        service_id=call.query["service_id"],
        to=call.query["to"],
        **{"from": call.query["from_"]},
    )


def get_calendar(call: Call) -> dict:
    return call.rpc("booking", "calendar_settings")


def put_calendar(call: Call) -> dict:
    return call.rpc("booking", "set_calendar_import", **call.body)


def reset_calendar(call: Call) -> dict:
    return call.rpc("booking", "reset_calendar_token")


def calendar_feed(call: Call) -> Reply:
    feed = call.rpc("booking", "calendar_feed", token=call.params["token"])
    return Reply(
        body=feed,
        content_type=f"{ICALENDAR}; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


def cancellation_terms(call: Call) -> dict:
    return call.rpc(
        "booking", "cancellation_terms", service_id=call.params["id"], start=call.query["start"]
    )


# bookings


def create_booking(call: Call) -> dict:
    key = call.request.get_header("Idempotency-Key")
    extra = {"idempotency_key": key} if key else {}
    return call.rpc("booking", "create_booking", **call.body, **extra)


def list_bookings(call: Call) -> dict:
    query = call.query
    statuses = query["status"].split(",") if query.get("status") else None
    return call.rpc(
        "booking",
        "list_bookings",
        limit=query["limit"],
        cursor=query.get("cursor"),
        status=statuses,
        **{"as": query["as_"]},
    )


def get_booking(call: Call) -> dict:
    return call.rpc("booking", "get_booking", booking_id=call.params["id"])


def _act(method: str):
    """A handler for `POST /v1/bookings/{id}/<action>`: the body, plus the booking's id."""

    def handler(call: Call) -> dict:
        return call.rpc("booking", method, booking_id=call.params["id"], **call.body)

    handler.__name__ = method
    return handler


def cancellation_quote(call: Call) -> dict:
    return call.rpc("booking", "cancellation_quote", booking_id=call.params["id"])


def _action(path: str, summary: str, method: str, body=None, errors=(403, 404, 409)) -> Operation:
    return Operation(
        "POST",
        f"/v1/bookings/{{id}}/{path}",
        summary,
        _act(method),
        tag=BOOKINGS,
        body=body,
        response=BookingSchema,
        errors=errors,
    )


OPERATIONS = [
    Operation(
        "PUT",
        "/v1/me/schedule",
        "Set your weekly schedule, in your time zone",
        put_schedule,
        tag=SCHEDULING,
        body=ScheduleInputSchema,
        response=ScheduleSchema,
        errors=(403,),
    ),
    Operation(
        "GET",
        "/v1/me/schedule",
        "Your weekly schedule",
        get_schedule,
        tag=SCHEDULING,
        response=ScheduleSchema,
        errors=(403,),
    ),
    Operation(
        "POST",
        "/v1/me/time-off",
        "Add time off: one-off (start, end) or weekly (weekday, times, until)",
        add_time_off,
        tag=SCHEDULING,
        body=TimeOffInputSchema,
        response=TimeOffSchema,
        status=201,
        errors=(403,),
    ),
    Operation(
        "GET",
        "/v1/me/time-off",
        "Your current and future time off",
        list_time_off,
        tag=SCHEDULING,
        response=TimeOffListSchema,
        errors=(403,),
    ),
    Operation(
        "DELETE",
        "/v1/me/time-off/{id}",
        "Remove time off",
        remove_time_off,
        tag=SCHEDULING,
        status=204,
        errors=(403, 404),
    ),
    Operation(
        "GET",
        "/v1/professionals/{id}/slots",
        "Every bookable start of a professional's service in a window (at most 62 days)",
        find_slots,
        tag=SCHEDULING,
        access=PUBLIC,
        query=SlotsWindowSchema,
        response=SlotsSchema,
        errors=(404,),
    ),
    Operation(
        "GET",
        "/v1/me/calendar",
        "Your secret iCal feed URL and how the imported calendar is doing",
        get_calendar,
        tag=SCHEDULING,
        response=CalendarSettingsSchema,
        errors=(403,),
    ),
    Operation(
        "PUT",
        "/v1/me/calendar",
        "Import busy time from an iCal URL (null stops importing)",
        put_calendar,
        tag=SCHEDULING,
        body=CalendarImportInputSchema,
        response=CalendarSettingsSchema,
        errors=(403,),
    ),
    Operation(
        "POST",
        "/v1/me/calendar/reset",
        "Replace the secret of your iCal feed; the old URL stops working",
        reset_calendar,
        tag=SCHEDULING,
        response=CalendarSettingsSchema,
        errors=(403,),
    ),
    Operation(
        "GET",
        "/v1/calendars/{token}.ics",
        "The iCal feed of a professional's bookings and time off (the token is the secret)",
        calendar_feed,
        tag=SCHEDULING,
        access=ANONYMOUS,
        content_type=ICALENDAR,
        errors=(404,),
    ),
    Operation(
        "GET",
        "/v1/services/{id}/cancellation-terms",
        "The cancellation policy of a service for a start, shown before booking",
        cancellation_terms,
        tag=BOOKINGS,
        access=PUBLIC,
        query=TermsStartSchema,
        response=CancellationTermsSchema,
        errors=(404,),
    ),
    Operation(
        "POST",
        "/v1/bookings",
        "Book a service: confirmed at once (instant) or requested with 1-3 proposed starts",
        create_booking,
        tag=BOOKINGS,
        body=BookingRequestSchema,
        response=BookingSchema,
        status=201,
        errors=(403, 404, 409),
        description="Send an `Idempotency-Key` header: a repeat with the same key and body "
        "returns the first booking; the same key with another body is 422.",
    ),
    Operation(
        "GET",
        "/v1/bookings",
        "Your bookings as client or as professional, by start",
        list_bookings,
        tag=BOOKINGS,
        query=BookingsQuerySchema,
        response=BookingPageSchema,
    ),
    Operation(
        "GET",
        "/v1/bookings/{id}",
        "One of your bookings",
        get_booking,
        tag=BOOKINGS,
        response=BookingSchema,
        errors=(404,),
    ),
    Operation(
        "GET",
        "/v1/bookings/{id}/cancellation-quote",
        "What cancelling now would cost, before you decide",
        cancellation_quote,
        tag=BOOKINGS,
        response=CancellationQuoteSchema,
        errors=(404,),
    ),
    _action(
        "confirm",
        "Confirm a request at one of its proposed starts",
        "confirm_booking",
        StartBodySchema,
    ),
    _action("decline", "Decline a request (full refund)", "decline_booking", ReasonBodySchema),
    _action(
        "cancel",
        "Cancel under the booking's policy (refund and fee)",
        "cancel_booking",
        ReasonBodySchema,
    ),
    _action(
        "reschedule",
        "Move a booking, or propose a move the other side answers",
        "reschedule_booking",
        StartBodySchema,
    ),
    _action(
        "reschedule/answer",
        "Accept or decline the other side's proposed move",
        "answer_reschedule",
        AnswerBodySchema,
    ),
    _action("complete", "Confirm the service was given (client)", "complete_booking"),
    _action(
        "no-show", "Report that the client did not come (a late cancellation)", "report_no_show"
    ),
    _action(
        "dispute",
        "Contest a performed booking before it completes",
        "dispute_booking",
        DisputeBodySchema,
    ),
    _action(
        "resolve",
        "Close a dispute: completed or refunded (admin)",
        "resolve_dispute",
        ResolveBodySchema,
    ),
]
