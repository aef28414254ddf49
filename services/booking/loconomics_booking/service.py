"""The booking nameko service: entrypoints only; the rules live in `domain`.

Each RPC method loads its input with the schema named in the README, calls one
domain function with the caller and `clock.now()`, and returns the domain's
JSON-able view. The unit of work (`self.db`) commits before the reply leaves.
"""

from __future__ import annotations

from collections.abc import Callable

import eventlet
from loconomics_plumbing import clock, config
from loconomics_plumbing.dependencies import CallerIdentity, Database
from loconomics_plumbing.entrypoints import every, handles, rpc
from loconomics_plumbing.errors import Invalid, NotFound
from loconomics_plumbing.health import Health
from loconomics_plumbing.telemetry import Telemetry
from loconomics_plumbing.validation import load
from prometheus_client import Counter

from .calendar_fetch import fetch_calendar
from .domain import (
    account_closures,
    availability,
    blocks,
    bookable_services,
    booking_queries,
    bookings,
    calendar_export,
    calendar_import,
    due_work,
    member_data,
    reschedules,
    suspensions,
)
from .models import Base
from .schemas import (
    AccountClosedEventSchema,
    AccountIdSchema,
    AccountSuspensionEventSchema,
    AnswerRescheduleSchema,
    BookingIdSchema,
    CalendarImportInputSchema,
    CalendarTokenSchema,
    CancellationTermsQuerySchema,
    ConfirmBookingSchema,
    CreateBookingSchema,
    DisputeSchema,
    FreeProfessionalsQuerySchema,
    FreeProfessionalsSchema,
    ListBookingsSchema,
    ListingEventSchema,
    MemberBlockEventSchema,
    MemberDataSchema,
    ProfessionalIdSchema,
    ReasonSchema,
    RescheduleSchema,
    ResolveDisputeSchema,
    ScheduleInputSchema,
    SlotsQuerySchema,
    TimeOffIdSchema,
    TimeOffInputSchema,
    UnfinishedBookingsSchema,
)

DUE_WORK_SECONDS = float(config.setting("BOOKING_DUE_WORK_SECONDS", "30"))
"""How often expiry, reminders, performed, completion and review requests are looked for."""
CALENDAR_IMPORT_SECONDS = float(config.setting("BOOKING_CALENDAR_IMPORT_SECONDS", "60"))
"""How often imported calendars due for a refresh are read (each is read every 15 minutes)."""
CALENDAR_READS_AT_ONCE = 5

BOOKINGS_CREATED = Counter(
    "loconomics_bookings_created_total",
    "Bookings created, by the status they were created in (requested or confirmed).",
    ["status"],
)
CREATION_EVENTS = {"booking_requested": "requested", "booking_confirmed": "confirmed"}


def feed_base_url() -> str:
    """Where calendar apps fetch the export feed: the public API's `/v1/calendars`."""
    public = config.setting(
        "BOOKING_FEED_BASE_URL", config.setting("GATEWAY_PUBLIC_URL", "http://127.0.0.1:8000")
    )
    return f"{public.rstrip('/')}/v1/calendars"


def _reads_internal_hosts() -> bool:
    """Only for tests and local setups: imported calendars on 127.0.0.1 or a private network."""
    return config.setting("BOOKING_CALENDAR_ALLOW_INTERNAL", "false").lower() in ("1", "true")


def read_calendar(url: str, timeout: float, max_bytes: int) -> bytes:
    return fetch_calendar(url, timeout, max_bytes, allow_internal=_reads_internal_hosts())


class BookingService(Health):
    name = "booking"

    db = Database(Base.metadata)
    caller = CallerIdentity()
    telemetry = Telemetry()

    # scheduling

    @rpc
    def set_schedule(self, **fields) -> dict:
        data = load(ScheduleInputSchema(), fields)
        return availability.set_schedule(
            self.db.session, self.db.emit, self.caller, data, clock.now()
        )

    @rpc
    def get_schedule(self, **fields) -> dict:
        data = load(ProfessionalIdSchema(), fields)
        professional_id = data["professional_id"] or self.caller.require_role("professional")
        return availability.get_schedule(self.db.session, professional_id)

    @rpc
    def add_time_off(self, **fields) -> dict:
        data = load(TimeOffInputSchema(), fields)
        return availability.add_time_off(
            self.db.session, self.db.emit, self.caller, data, clock.now()
        )

    @rpc
    def remove_time_off(self, **fields) -> None:
        data = load(TimeOffIdSchema(), fields)
        availability.remove_time_off(
            self.db.session, self.db.emit, self.caller, data["time_off_id"], clock.now()
        )

    @rpc
    def list_time_off(self) -> dict:
        return {"items": availability.list_time_off(self.db.session, self.caller, clock.now())}

    @rpc
    def find_slots(self, **fields) -> dict:
        data = load(SlotsQuerySchema(), fields)
        starts = availability.find_slots(
            self.db.session,
            data["professional_id"],
            data["service_id"],
            data["from_"],
            data["to"],
            clock.now(),
        )
        return {"items": [start.isoformat() for start in starts]}

    @rpc
    def professionals_with_free_slots(self, **fields) -> dict:
        data = load(FreeProfessionalsQuerySchema(), fields)
        free = availability.professionals_with_free_slots(
            self.db.session, data["professional_ids"], data["from_"], data["to"], clock.now()
        )
        return FreeProfessionalsSchema().dump({"professional_ids": free})

    @rpc
    def cancellation_terms(self, **fields) -> dict:
        data = load(CancellationTermsQuerySchema(), fields)
        return booking_queries.cancellation_terms(
            self.db.session, data["service_id"], data["start"]
        )

    # bookings

    @rpc
    def create_booking(self, **fields) -> dict:
        data = load(CreateBookingSchema(), fields)
        created: list[str] = []
        booking = bookings.create_booking(
            self.db.session, self._noting(created), self.caller, data, clock.now()
        )
        self.db.commit()
        for status in created:
            BOOKINGS_CREATED.labels(status).inc()
        return booking

    def _noting(self, created: list[str]) -> Callable[[str, dict], None]:
        """`emit`, remembering whether a new booking was made (a replay emits nothing)."""

        def emit(event_type: str, payload: dict) -> None:
            if event_type in CREATION_EVENTS:
                created.append(CREATION_EVENTS[event_type])
            self.db.emit(event_type, payload)

        return emit

    @rpc
    def get_booking(self, **fields) -> dict:
        data = load(BookingIdSchema(), fields)
        return booking_queries.get_booking(self.db.session, self.caller, data["booking_id"])

    @rpc
    def list_bookings(self, **fields) -> dict:
        data = load(ListBookingsSchema(), fields)
        return booking_queries.list_bookings(
            self.db.session,
            self.caller,
            as_=data["as_"],
            statuses=data["status"],
            limit=data["limit"],
            cursor=data["cursor"],
        )

    @rpc
    def confirm_booking(self, **fields) -> dict:
        data = load(ConfirmBookingSchema(), fields)
        return bookings.confirm_booking(
            self.db.session,
            self.db.emit,
            self.caller,
            data["booking_id"],
            data["start"],
            clock.now(),
        )

    @rpc
    def decline_booking(self, **fields) -> dict:
        data = load(ReasonSchema(), fields)
        return bookings.decline_booking(
            self.db.session,
            self.db.emit,
            self.caller,
            data["booking_id"],
            clock.now(),
            reason=data["reason"],
        )

    @rpc
    def cancel_booking(self, **fields) -> dict:
        data = load(ReasonSchema(), fields)
        return bookings.cancel_booking(
            self.db.session,
            self.db.emit,
            self.caller,
            data["booking_id"],
            clock.now(),
            reason=data["reason"],
        )

    @rpc
    def cancellation_quote(self, **fields) -> dict:
        data = load(BookingIdSchema(), fields)
        return booking_queries.cancellation_quote(
            self.db.session, self.caller, data["booking_id"], clock.now()
        )

    @rpc
    def reschedule_booking(self, **fields) -> dict:
        data = load(RescheduleSchema(), fields)
        return reschedules.reschedule_booking(
            self.db.session,
            self.db.emit,
            self.caller,
            data["booking_id"],
            data["start"],
            clock.now(),
        )

    @rpc
    def answer_reschedule(self, **fields) -> dict:
        data = load(AnswerRescheduleSchema(), fields)
        return reschedules.answer_reschedule(
            self.db.session,
            self.db.emit,
            self.caller,
            data["booking_id"],
            data["accept"],
            clock.now(),
        )

    @rpc
    def complete_booking(self, **fields) -> dict:
        data = load(BookingIdSchema(), fields)
        return bookings.complete_booking(
            self.db.session, self.db.emit, self.caller, data["booking_id"], clock.now()
        )

    @rpc
    def report_no_show(self, **fields) -> dict:
        data = load(BookingIdSchema(), fields)
        return bookings.report_no_show(
            self.db.session, self.db.emit, self.caller, data["booking_id"], clock.now()
        )

    @rpc
    def dispute_booking(self, **fields) -> dict:
        data = load(DisputeSchema(), fields)
        return bookings.dispute_booking(
            self.db.session,
            self.db.emit,
            self.caller,
            data["booking_id"],
            data["reason"],
            clock.now(),
        )

    @rpc
    def resolve_dispute(self, **fields) -> dict:
        data = load(ResolveDisputeSchema(), fields)
        return bookings.resolve_dispute(
            self.db.session,
            self.db.emit,
            self.caller,
            data["booking_id"],
            data["outcome"],
            clock.now(),
        )

    @rpc
    def count_unfinished_bookings(self, **fields) -> dict:
        """Internal (profiles, before closing an account); the gateway does not expose it."""
        data = load(AccountIdSchema(), fields)
        unfinished = account_closures.count_unfinished(self.db.session, data["account_id"])
        return UnfinishedBookingsSchema().dump({"unfinished": unfinished})

    @rpc
    def export_member_data(self) -> dict:
        """The caller's part of their copy of their data (docs/data-export.md)."""
        account_id = self.caller.require_user()
        return MemberDataSchema().dump(member_data.export_member_data(self.db.session, account_id))

    # calendar sync

    @rpc
    def calendar_settings(self) -> dict:
        return calendar_export.calendar_settings(
            self.db.session, self.caller, feed_base_url(), clock.now()
        )

    @rpc
    def reset_calendar_token(self) -> dict:
        return calendar_export.reset_export_token(
            self.db.session, self.caller, feed_base_url(), clock.now()
        )

    @rpc
    def set_calendar_import(self, **fields) -> dict:
        data = load(CalendarImportInputSchema(), fields)
        return calendar_import.set_import_url(
            self.db.session,
            self.db.emit,
            self.caller,
            data["import_url"],
            feed_base_url(),
            clock.now(),
        )

    @rpc
    def calendar_feed(self, **fields) -> str:
        """The feed is public and its token the only secret: a malformed token is just unknown."""
        try:
            data = load(CalendarTokenSchema(), fields)
        except Invalid:
            raise NotFound("No such calendar.") from None
        return calendar_export.export_feed(self.db.session, data["token"], clock.now()).decode()

    # listings from profiles

    @handles("profiles", "listing_published")
    def on_listing_published(self, payload: dict) -> None:
        self._apply_listing("listing_published", payload)

    @handles("profiles", "listing_changed")
    def on_listing_changed(self, payload: dict) -> None:
        self._apply_listing("listing_changed", payload)

    @handles("profiles", "listing_removed")
    def on_listing_removed(self, payload: dict) -> None:
        self._apply_listing("listing_removed", payload)

    def _apply_listing(self, event_type: str, payload: dict) -> None:
        listing = load(ListingEventSchema(), payload)
        bookable_services.apply_listing_event(self.db.session, event_type, listing, clock.now())

    # accounts from profiles

    @handles("profiles", "account_closed")
    def on_account_closed(self, payload: dict) -> None:
        closure = load(AccountClosedEventSchema(), payload)
        account_closures.close_account(
            self.db.session, self.db.emit, closure["account_id"], clock.now()
        )

    @handles("profiles", "account_suspended")
    def on_account_suspended(self, payload: dict) -> None:
        change = load(AccountSuspensionEventSchema(), payload)
        suspensions.apply_suspension_change(
            self.db.session,
            self.db.emit,
            change["account_id"],
            True,
            change["suspended_at"],
            clock.now(),
        )

    @handles("profiles", "account_reinstated")
    def on_account_reinstated(self, payload: dict) -> None:
        change = load(AccountSuspensionEventSchema(), payload)
        suspensions.apply_suspension_change(
            self.db.session,
            self.db.emit,
            change["account_id"],
            False,
            change["reinstated_at"],
            clock.now(),
        )

    # blocks from notifications

    @handles("notifications", "member_blocked")
    def on_member_blocked(self, payload: dict) -> None:
        change = load(MemberBlockEventSchema(), payload)
        blocks.apply_block_change(
            self.db.session, change["blocker_id"], change["blocked_id"], True, change["blocked_at"]
        )

    @handles("notifications", "member_unblocked")
    def on_member_unblocked(self, payload: dict) -> None:
        change = load(MemberBlockEventSchema(), payload)
        blocks.apply_block_change(
            self.db.session,
            change["blocker_id"],
            change["blocked_id"],
            False,
            change["unblocked_at"],
        )

    # time

    @every(DUE_WORK_SECONDS)
    def run_due_work(self) -> None:
        due_work.due_work(self.db.session, self.db.emit, clock.now())

    @every(CALENDAR_IMPORT_SECONDS)
    def refresh_calendars(self) -> None:
        """Claim (commit), read every feed outside any transaction, record each (commit)."""
        due = calendar_import.claim_due_imports(self.db.session, clock.now())
        self.db.commit()
        if not due:
            return
        readers = eventlet.GreenPool(CALENDAR_READS_AT_ONCE)
        outcomes = readers.imap(
            lambda item: calendar_import.read_feed(
                read_calendar, item["url"], item["time_zone"], clock.now()
            ),
            due,
        )
        for item, outcome in zip(due, outcomes, strict=True):
            calendar_import.record_import(
                self.db.session,
                self.db.emit,
                item["professional_id"],
                item["url"],
                outcome,
                clock.now(),
            )
            self.db.commit()
