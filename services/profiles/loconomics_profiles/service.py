"""The profiles nameko service: entrypoints only; the rules live in `domain`."""

from __future__ import annotations

import logging
from datetime import datetime

import eventlet
from loconomics_plumbing import clock, config
from loconomics_plumbing.dependencies import CallerIdentity, Database
from loconomics_plumbing.entrypoints import every, handles, rpc
from loconomics_plumbing.errors import CoopError, Unavailable
from loconomics_plumbing.health import Health
from loconomics_plumbing.telemetry import Telemetry, show_moderation_queue
from loconomics_plumbing.tokens import issue_access_token
from loconomics_plumbing.validation import load
from nameko.exceptions import MethodNotFound, RemoteError, UnknownService
from nameko.rpc import RpcProxy

from . import shop_schemas as shop
from .domain import (
    account_closures,
    accounts,
    catalog,
    email_addresses,
    emailed_links,
    listing_services,
    listings,
    login_sessions,
    member_data,
    member_facts,
    password_resets,
    profile_reports,
    review_reports,
    reviews,
    service_areas,
    suspensions,
    weekly_hours,
)
from .domain import professional_profiles as profiles
from .domain import search as listing_search
from .domain.public_profiles import PublicProfiles
from .models import Base
from .schemas import (
    AccountChangesSchema,
    AccountClosureSchema,
    AccountSchema,
    ChangePasswordArgsSchema,
    CloseAccountSchema,
    ConfirmEmailSchema,
    DismissProfileReportArgsSchema,
    DismissReviewReportArgsSchema,
    EmailChangeSchema,
    ExportMemberDataSchema,
    ListSuspensionsArgsSchema,
    LogInSchema,
    MemberDataSchema,
    ModeratedProfileReportSchema,
    ModeratedReviewReportSchema,
    ModeratedReviewSchema,
    OwnerStatusChangedEventSchema,
    ProfileReportPageSchema,
    ProfileReportQueueArgsSchema,
    ProfileReportSchema,
    RefreshSchema,
    ReinstateAccountArgsSchema,
    RemoveReviewArgsSchema,
    ReportProfileArgsSchema,
    ReportReviewArgsSchema,
    RequestPasswordResetSchema,
    ResetPasswordSchema,
    RestoreReviewArgsSchema,
    ReviewReportPageSchema,
    ReviewReportQueueArgsSchema,
    ReviewReportSchema,
    SessionCheckSchema,
    SessionSchema,
    SignUpSchema,
    SuspendAccountArgsSchema,
    SuspensionPageSchema,
    SuspensionSchema,
)

log = logging.getLogger(__name__)

REVIEW_PUBLICATION_SECONDS = float(config.setting("PROFILES_REVIEW_PUBLICATION_SECONDS", "600"))
"""How often reviews still blind after the 7-day period are published."""
AVAILABILITY_TIMEOUT_SECONDS = float(config.setting("PROFILES_AVAILABILITY_TIMEOUT_SECONDS", "2"))
"""How long a search waits for booking's free-slot answer before using weekly hours instead."""
MODERATION_QUEUE_SECONDS = float(config.setting("PROFILES_MODERATION_QUEUE_SECONDS", "60"))
"""How often the moderators' queues (reports of reviews, of profiles) are measured for
Prometheus."""
LINK_CLEANUP_SECONDS = float(config.setting("PROFILES_LINK_CLEANUP_SECONDS", "3600"))
"""How often password-reset and email links expired a week ago are deleted."""
BOOKING_TIMEOUT_SECONDS = float(config.setting("PROFILES_BOOKING_TIMEOUT_SECONDS", "2"))
"""How long a closure waits for booking's count of unfinished bookings (well inside the
gateway's own deadline, so the member never sees a timeout for a closure that went through)."""
BOOKING_COULD_NOT_ANSWER = (MethodNotFound, RemoteError, UnknownService, Unavailable)

# Built once: a marshmallow schema holds no per-call state, and building one (with its nested
# schemas) cost more than the dump itself on the public profile read (docs/performance.md).
PROFESSIONAL_ARGS = shop.ProfessionalArgsSchema()
PUBLIC_PROFILE = shop.PublicProfileSchema()
SEARCH_ARGS = shop.SearchArgsSchema()
SEARCH_RESULT = shop.SearchResultSchema()
# Rendered public profiles of this process, checked against the database on every read.
PUBLIC_PROFILES = PublicProfiles(PUBLIC_PROFILE.dump)


class ProfilesService(Health):
    name = "profiles"

    # A reset or email confirmation token, and a closed account's address, travel to
    # notifications in their events; their outbox rows go once published.
    db = Database(
        Base.metadata,
        forget_once_published=frozenset(
            {
                "password_reset_requested",
                "email_confirmation_requested",
                "email_changed",
                "account_closed",
            }
        ),
    )
    caller = CallerIdentity()
    telemetry = Telemetry()
    booking = RpcProxy("booking")

    # accounts and sessions

    @rpc
    def sign_up(self, **fields) -> dict:
        data = load(SignUpSchema(), fields)
        account = accounts.sign_up(self.db.session, self.db.emit, now=clock.now(), **data)
        return AccountSchema().dump(account)

    @rpc
    def log_in(self, **fields) -> dict:
        data = load(LogInSchema(), fields)
        account = accounts.log_in(self.db.session, **data)
        login, refresh_token = login_sessions.open_session(self.db.session, account, clock.now())
        return self._session_answer(account, login, refresh_token)

    @rpc
    def refresh_session(self, **fields) -> dict:
        data = load(RefreshSchema(), fields)
        try:
            account, login, refresh_token = login_sessions.rotate(
                self.db.session, data["refresh_token"], clock.now()
            )
        except login_sessions.RefreshTokenReused:
            self.db.commit()
            raise
        return self._session_answer(account, login, refresh_token)

    @rpc
    def log_out(self, **fields) -> dict:
        data = load(SessionCheckSchema(), fields)
        login_sessions.close(
            self.db.session, data["session_id"], self.caller.require_user(), clock.now()
        )
        return {"logged_out": True}

    @rpc
    def check_session(self, **fields) -> dict:
        data = load(SessionCheckSchema(), fields)
        active = login_sessions.is_active(self.db.session, data["session_id"], clock.now())
        return {"active": active}

    def _session_answer(self, account, login, refresh_token: str) -> dict:
        now = clock.now()
        token, lifetime = issue_access_token(account.id, account.roles, now, session_id=login.id)
        return SessionSchema().dump(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": lifetime,
                "refresh_token": refresh_token,
                "refresh_expires_in": int((login.expires_at - now).total_seconds()),
            }
        )

    @rpc
    def get_me(self) -> dict:
        account = accounts.current_account(self.db.session, self.caller.require_user())
        return AccountSchema().dump(account)

    @rpc
    def change_me(self, **fields) -> dict:
        data = load(AccountChangesSchema(), fields)
        account = accounts.change_account(
            self.db.session, self.db.emit, self.caller.require_user(), data
        )
        return AccountSchema().dump(account)

    # the email address

    @rpc
    def confirm_email(self, **fields) -> dict:
        data = load(ConfirmEmailSchema(), fields)
        email_addresses.confirm(self.db.session, self.db.emit, token=data["token"], now=clock.now())
        return {}

    @rpc
    def resend_email_confirmation(self) -> dict:
        email_addresses.resend_confirmation(
            self.db.session, self.db.emit, account_id=self.caller.require_user(), now=clock.now()
        )
        return {}

    @rpc
    def request_email_change(self, **fields) -> dict:
        data = load(EmailChangeSchema(), fields)
        email_addresses.request_change(
            self.db.session,
            self.db.emit,
            account_id=self.caller.require_user(),
            now=clock.now(),
            **data,
        )
        return {}

    # passwords

    @rpc
    def request_password_reset(self, **fields) -> dict:
        data = load(RequestPasswordResetSchema(), fields)
        password_resets.request_reset(self.db.session, self.db.emit, now=clock.now(), **data)
        return {}

    @rpc
    def reset_password(self, **fields) -> dict:
        data = load(ResetPasswordSchema(), fields)
        password_resets.reset_password(self.db.session, self.db.emit, now=clock.now(), **data)
        return {}

    @rpc
    def change_password(self, **fields) -> dict:
        data = load(ChangePasswordArgsSchema(), fields)
        password_resets.change_password(
            self.db.session,
            self.db.emit,
            account_id=self.caller.require_user(),
            current_password=data["current_password"],
            password=data["password"],
            keep_session_id=data["session_id"],
            now=clock.now(),
        )
        return {}

    # closing the account

    @rpc
    def close_account(self, **fields) -> dict:
        data = load(CloseAccountSchema(), fields)
        account_id = self.caller.require_user()
        unfinished = self._unfinished_bookings(account_id)
        account = account_closures.close_account(
            self.db.session,
            self.db.emit,
            account_id=account_id,
            current_password=data["current_password"],
            unfinished_bookings=unfinished,
            now=clock.now(),
        )
        self.db.commit()
        PUBLIC_PROFILES.forget(account_id)
        return AccountClosureSchema().dump(account)

    def _unfinished_bookings(self, account_id: str) -> int:
        """Booking's count, asked before the database is touched; without it nothing closes."""
        try:
            with eventlet.Timeout(BOOKING_TIMEOUT_SECONDS):
                answer = self.booking.count_unfinished_bookings(account_id=account_id)
        # Any refusal of booking's (a typed error) is booking's trouble, not the member's input.
        except (*BOOKING_COULD_NOT_ANSWER, CoopError, eventlet.Timeout) as error:
            log.warning("booking could not count unfinished bookings (%r)", error)
            raise Unavailable(
                "Booking cannot say whether your bookings are finished; try again later."
            ) from None
        return answer["unfinished"]

    # a copy of the member's data

    @rpc
    def export_member_data(self, **fields) -> dict:
        data = load(ExportMemberDataSchema(), fields)
        part = member_data.export_member_data(
            self.db.session,
            self.db.emit,
            account_id=self.caller.require_user(),
            current_password=data["current_password"],
            now=clock.now(),
        )
        self.db.commit()
        return MemberDataSchema().dump(part)

    # job-title catalog

    @rpc
    def find_job_titles(self, **fields) -> dict:
        data = load(shop.FindJobTitlesArgsSchema(), fields)
        titles = catalog.find_titles(self.db.session, self.caller, data["q"], data["limit"])
        return shop.JobTitlePageSchema().dump({"items": titles, "next_cursor": None})

    @rpc
    def get_job_title(self, **fields) -> dict:
        data = load(shop.JobTitleIdArgsSchema(), fields)
        title = catalog.get_title(self.db.session, data["job_title_id"], self.caller)
        return shop.JobTitleSchema().dump(title)

    @rpc
    def propose_job_title(self, **fields) -> dict:
        data = load(shop.ProposeJobTitleArgsSchema(), fields)
        title = catalog.propose_title(
            self.db.session, self.db.emit, self.caller, now=clock.now(), **data
        )
        return shop.JobTitleSchema().dump(title)

    @rpc
    def list_job_title_proposals(self) -> dict:
        titles = catalog.list_proposals(self.db.session, self.caller)
        return shop.JobTitlePageSchema().dump({"items": titles, "next_cursor": None})

    @rpc
    def approve_job_title(self, **fields) -> dict:
        data = load(shop.JobTitleIdArgsSchema(), fields)
        title = catalog.approve_title(
            self.db.session, self.db.emit, self.caller, data["job_title_id"], clock.now()
        )
        return shop.JobTitleSchema().dump(title)

    @rpc
    def reject_job_title(self, **fields) -> dict:
        data = load(shop.RejectJobTitleArgsSchema(), fields)
        title = catalog.reject_title(
            self.db.session, self.db.emit, self.caller, data["job_title_id"], clock.now(),
            reason=data["reason"],
        )
        return shop.JobTitleSchema().dump(title)

    # professional profile and credentials

    @rpc
    def get_my_profile(self) -> dict:
        profile = profiles.my_profile(self.db.session, self.caller, clock.now())
        return shop.ProfileSchema().dump(profile)

    @rpc
    def update_my_profile(self, **fields) -> dict:
        changes = load(shop.UpdateProfileArgsSchema(), fields)
        profile = profiles.update_profile(
            self.db.session, self.db.emit, self.caller, changes, clock.now()
        )
        return shop.ProfileSchema().dump(profile)

    @rpc
    def add_credential(self, **fields) -> dict:
        data = load(shop.AddCredentialArgsSchema(), fields)
        credential = profiles.add_credential(self.db.session, self.caller, data, clock.now())
        return shop.CredentialSchema().dump(credential)

    @rpc
    def update_credential(self, **fields) -> dict:
        changes = load(shop.UpdateCredentialArgsSchema(), fields)
        credential_id = changes.pop("credential_id")
        credential = profiles.update_credential(
            self.db.session, self.caller, credential_id, changes, clock.now()
        )
        return shop.CredentialSchema().dump(credential)

    @rpc
    def remove_credential(self, **fields) -> None:
        data = load(shop.CredentialIdArgsSchema(), fields)
        profiles.remove_credential(self.db.session, self.caller, data["credential_id"])

    @rpc
    def verify_credential(self, **fields) -> dict:
        data = load(shop.VerifyCredentialArgsSchema(), fields)
        credential = profiles.verify_credential(
            self.db.session, self.caller, data["credential_id"], data["verified"], clock.now()
        )
        return shop.CredentialSchema().dump(credential)

    @rpc
    def get_professional(self, **fields) -> dict:
        data = load(PROFESSIONAL_ARGS, fields)
        return PUBLIC_PROFILES.read(self.db.session, data["professional"], self.caller, clock.now())

    # listings, services, service areas

    @rpc
    def create_listing(self, **fields) -> dict:
        data = load(shop.CreateListingArgsSchema(), fields)
        listing = listings.create_listing(
            self.db.session, self.db.emit, self.caller, now=clock.now(), **data
        )
        return shop.ListingSchema().dump(listing)

    @rpc
    def list_my_listings(self) -> dict:
        rows = listings.list_own_listings(self.db.session, self.caller)
        return shop.ListingListSchema().dump({"items": rows, "next_cursor": None})

    @rpc
    def get_my_listing(self, **fields) -> dict:
        data = load(shop.ListingIdArgsSchema(), fields)
        listing = listings.get_own_listing(self.db.session, self.caller, data["listing_id"])
        return shop.ListingSchema().dump(listing)

    @rpc
    def update_listing(self, **fields) -> dict:
        changes = load(shop.UpdateListingArgsSchema(), fields)
        listing_id = changes.pop("listing_id")
        listing = listings.update_listing(
            self.db.session, self.db.emit, self.caller, listing_id, changes, clock.now()
        )
        return shop.ListingSchema().dump(listing)

    @rpc
    def delete_listing(self, **fields) -> None:
        data = load(shop.ListingIdArgsSchema(), fields)
        listings.delete_listing(
            self.db.session, self.db.emit, self.caller, data["listing_id"], clock.now()
        )

    @rpc
    def add_service(self, **fields) -> dict:
        values = load(shop.AddServiceArgsSchema(), fields)
        listing_id = values.pop("listing_id")
        service = listing_services.add_service(
            self.db.session, self.db.emit, self.caller, listing_id, values, clock.now()
        )
        return shop.ServiceSchema().dump(service)

    @rpc
    def update_service(self, **fields) -> dict:
        changes = load(shop.UpdateServiceArgsSchema(), fields)
        listing_id, service_id = changes.pop("listing_id"), changes.pop("service_id")
        service = listing_services.update_service(
            self.db.session, self.db.emit, self.caller, listing_id, service_id, changes,
            clock.now(),
        )
        return shop.ServiceSchema().dump(service)

    @rpc
    def remove_service(self, **fields) -> None:
        data = load(shop.ServiceIdArgsSchema(), fields)
        listing_services.remove_service(
            self.db.session, self.db.emit, self.caller, data["listing_id"], data["service_id"],
            clock.now(),
        )

    @rpc
    def set_service_area(self, **fields) -> dict:
        data = load(shop.SetServiceAreaArgsSchema(), fields)
        area = service_areas.set_service_area(
            self.db.session, self.db.emit, self.caller, now=clock.now(), **data
        )
        return shop.ServiceAreaSchema().dump(area)

    # search

    @rpc
    def search(self, **fields) -> dict:
        data = load(SEARCH_ARGS, fields)
        windowed = data["available_from"] is not None and data["available_to"] is not None
        answered_by = ["booking"] if windowed else [None]
        result = listing_search.search(
            self.db.session, caller=self.caller,
            has_free_slot=self._free_slot_check(answered_by), **data,
        )
        return SEARCH_RESULT.dump({**result, "availability": answered_by[0]})

    def _free_slot_check(self, answered_by: list) -> listing_search.FreeSlotCheck:
        """Booking's answer while it gives one; the weekly hours kept here once it cannot.

        The read transaction ends before booking is asked, so no database lock (SQLite's
        single writer) is held while waiting on another service.
        """

        def check(professional_ids: list[str], start: datetime, end: datetime) -> set[str]:
            if answered_by[0] == "booking":
                self.db.commit()
                try:
                    with eventlet.Timeout(AVAILABILITY_TIMEOUT_SECONDS):
                        answer = self.booking.professionals_with_free_slots(**{
                            "professional_ids": professional_ids,
                            "from": start.isoformat(),
                            "to": end.isoformat(),
                        })
                    return set(answer["professional_ids"])
                except (*BOOKING_COULD_NOT_ANSWER, eventlet.Timeout) as error:
                    log.warning("booking could not say who is free (%r); searching by weekly "
                                "hours instead", error)
                    answered_by[0] = "weekly_hours"
            return weekly_hours.professionals_open(
                self.db.session, professional_ids, start, end, clock.now()
            )

        return check

    # reviews

    @rpc
    def submit_review(self, **fields) -> dict:
        data = load(shop.SubmitReviewArgsSchema(), fields)
        review = reviews.submit_review(
            self.db.session, self.db.emit, self.caller, now=clock.now(), **data
        )
        return shop.ReviewSchema().dump(review)

    @rpc
    def reply_to_review(self, **fields) -> dict:
        data = load(shop.ReplyArgsSchema(), fields)
        review = reviews.reply_to_review(
            self.db.session, self.db.emit, self.caller, data["review_id"], data["text"],
            clock.now(),
        )
        return shop.ReviewSchema().dump(review)

    @rpc
    def list_professional_reviews(self, **fields) -> dict:
        data = load(shop.ProfessionalReviewsArgsSchema(), fields)
        page = reviews.reviews_of_professional(self.db.session, **data)
        return shop.ReviewPageSchema().dump(page)

    @rpc
    def list_client_reviews(self, **fields) -> dict:
        data = load(shop.ClientReviewsArgsSchema(), fields)
        page = reviews.reviews_of_client(self.db.session, self.caller, **data)
        return shop.ReviewPageSchema().dump(page)

    # reports of reviews, and their moderation

    @rpc
    def report_review(self, **fields) -> dict:
        data = load(ReportReviewArgsSchema(), fields)
        report = review_reports.report_review(
            self.db.session, self.caller, data["review_id"], data["reason"], data["details"],
            clock.now(),
        )
        return ReviewReportSchema().dump(report)

    @rpc
    def list_review_reports(self, **fields) -> dict:
        data = load(ReviewReportQueueArgsSchema(), fields)
        page = review_reports.list_review_reports(self.db.session, self.caller, **data)
        return ReviewReportPageSchema().dump(page)

    @rpc
    def remove_review(self, **fields) -> dict:
        data = load(RemoveReviewArgsSchema(), fields)
        review = review_reports.remove_review(
            self.db.session, self.db.emit, self.caller, data["review_id"], data["reason"],
            data["note"], clock.now(),
        )
        return ModeratedReviewSchema().dump(review)

    @rpc
    def restore_review(self, **fields) -> dict:
        data = load(RestoreReviewArgsSchema(), fields)
        review = review_reports.restore_review(self.db.session, self.caller, data["review_id"])
        return ModeratedReviewSchema().dump(review)

    @rpc
    def dismiss_review_report(self, **fields) -> dict:
        data = load(DismissReviewReportArgsSchema(), fields)
        report = review_reports.dismiss_review_report(
            self.db.session, self.db.emit, self.caller, data["report_id"], data["note"],
            clock.now(),
        )
        return ModeratedReviewReportSchema().dump(report)

    # reports of profiles, and suspended accounts

    @rpc
    def report_profile(self, **fields) -> dict:
        data = load(ReportProfileArgsSchema(), fields)
        report = profile_reports.report_profile(
            self.db.session, self.caller, data["professional_id"], data["reason"],
            data["details"], clock.now(),
        )
        return ProfileReportSchema().dump(report)

    @rpc
    def list_profile_reports(self, **fields) -> dict:
        data = load(ProfileReportQueueArgsSchema(), fields)
        page = profile_reports.list_profile_reports(self.db.session, self.caller, **data)
        return ProfileReportPageSchema().dump(page)

    @rpc
    def dismiss_profile_report(self, **fields) -> dict:
        data = load(DismissProfileReportArgsSchema(), fields)
        report = profile_reports.dismiss_profile_report(
            self.db.session, self.db.emit, self.caller, data["report_id"], data["note"],
            clock.now(),
        )
        return ModeratedProfileReportSchema().dump(report)

    @rpc
    def suspend_account(self, **fields) -> dict:
        data = load(SuspendAccountArgsSchema(), fields)
        suspension = suspensions.suspend_account(
            self.db.session, self.db.emit, self.caller, data["account_id"], data["reason"],
            data["note"], clock.now(),
        )
        self.db.commit()
        PUBLIC_PROFILES.forget(data["account_id"])  # it holds their personal data
        return SuspensionSchema().dump(suspension)

    @rpc
    def reinstate_account(self, **fields) -> dict:
        data = load(ReinstateAccountArgsSchema(), fields)
        suspension = suspensions.reinstate_account(
            self.db.session, self.db.emit, self.caller, data["account_id"], data["note"],
            clock.now(),
        )
        return SuspensionSchema().dump(suspension)

    @rpc
    def list_suspensions(self, **fields) -> dict:
        data = load(ListSuspensionsArgsSchema(), fields)
        page = suspensions.list_suspensions(self.db.session, self.caller, **data)
        return SuspensionPageSchema().dump(page)

    @every(REVIEW_PUBLICATION_SECONDS)
    def publish_due_reviews(self) -> None:
        reviews.publish_due_reviews(self.db.session, self.db.emit, clock.now())

    @every(MODERATION_QUEUE_SECONDS)
    def measure_moderation_queue(self) -> None:
        """How many reports of reviews and of profiles wait for a moderator, and for how long
        (Prometheus)."""
        now = clock.now()
        waiting, oldest = review_reports.open_queue(self.db.session)
        show_moderation_queue(self.name, "review", waiting, oldest, now)
        waiting, oldest = profile_reports.open_queue(self.db.session)
        show_moderation_queue(self.name, "profile", waiting, oldest, now)

    @every(LINK_CLEANUP_SECONDS)
    def forget_expired_links(self) -> None:
        emailed_links.forget_expired(self.db.session, clock.now())

    # facts other services announce

    @handles("billing", "owner_status_changed")
    def on_owner_status_changed(self, payload: dict) -> None:
        change = load(OwnerStatusChangedEventSchema(), payload)
        member_facts.record_owner_status(
            self.db.session, self.db.emit, change["user_id"], change["to"],
            change["changed_at"], clock.now(),
        )

    @handles("booking", "schedule_changed")
    def on_schedule_changed(self, payload: dict) -> None:
        schedule = load(shop.ScheduleChangedEventSchema(), payload)
        member_facts.record_schedule(
            self.db.session, self.db.emit, schedule["professional_id"], schedule["weekly"],
            schedule["time_zone"], schedule["changed_at"], clock.now(),
            advance_notice_hours=schedule["advance_notice_hours"],
        )

    @handles("booking", "booking_completed")
    def on_booking_completed(self, payload: dict) -> None:
        booking = load(shop.BookingCompletedEventSchema(), payload)
        reviews.record_completed_booking(
            self.db.session, booking["booking_id"], booking["client_id"],
            booking["professional_id"], booking["occurred_at"],
            listing_id=booking["listing_id"], job_title_id=booking["job_title_id"],
        )
