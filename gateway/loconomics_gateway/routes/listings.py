"""The professional's shop window (profiles): job titles, the professional profile and its
credentials, listings with their services and service area, search, and reviews, with their
reports and moderation (docs/reports-and-blocks.md).

Every route calls one profiles RPC method; the id in the path joins the validated body.
"""

from __future__ import annotations

from loconomics_plumbing.moderation import (
    DismissalArgsSchema,
    RemovalArgsSchema,
    ReportArgsSchema,
    ReportQueueArgsSchema,
)
from loconomics_profiles.schemas import (
    ModeratedReviewReportSchema,
    ModeratedReviewSchema,
    ReviewReportPageSchema,
    ReviewReportSchema,
)
from loconomics_profiles.shop_schemas import (
    AddCredentialArgsSchema,
    CreateListingArgsSchema,
    CredentialChangesSchema,
    CredentialSchema,
    CredentialVerificationSchema,
    FindJobTitlesArgsSchema,
    JobTitlePageSchema,
    JobTitleRejectionSchema,
    JobTitleSchema,
    ListingChangesSchema,
    ListingListSchema,
    ListingSchema,
    NewServiceSchema,
    PageQuerySchema,
    ProfileSchema,
    ProposeJobTitleArgsSchema,
    PublicProfileSchema,
    ReplyInputSchema,
    ReviewInputSchema,
    ReviewPageSchema,
    ReviewSchema,
    SearchArgsSchema,
    SearchResultSchema,
    ServiceAreaInputSchema,
    ServiceAreaSchema,
    ServiceChangesSchema,
    ServiceSchema,
    UpdateProfileArgsSchema,
)

from ..operations import PUBLIC, Call, Operation, Reply

CATALOG = "Job titles"
PROFILE = "Professional profile"
LISTINGS = "Listings"
SEARCH = "Search"
REVIEWS = "Reviews"
ADMIN = "Administration"


def profiles(call: Call, method: str, **kwargs) -> dict:
    return call.rpc("profiles", method, **kwargs)


# catalog

def find_job_titles(call: Call) -> dict:
    return profiles(call, "find_job_titles", **call.query)


def get_job_title(call: Call) -> dict:
    return profiles(call, "get_job_title", job_title_id=call.params["id"])


def propose_job_title(call: Call) -> dict:
    return profiles(call, "propose_job_title", **call.body)


def list_job_title_proposals(call: Call) -> dict:
    return profiles(call, "list_job_title_proposals")


def approve_job_title(call: Call) -> dict:
    return profiles(call, "approve_job_title", job_title_id=call.params["id"])


def reject_job_title(call: Call) -> dict:
    return profiles(call, "reject_job_title", job_title_id=call.params["id"], **call.body)


# professional profile and credentials

def get_my_profile(call: Call) -> dict:
    return profiles(call, "get_my_profile")


def update_my_profile(call: Call) -> dict:
    return profiles(call, "update_my_profile", **call.body)


def add_credential(call: Call) -> dict:
    return profiles(call, "add_credential", **call.body)


def update_credential(call: Call) -> dict:
    return profiles(call, "update_credential", credential_id=call.params["id"], **call.body)


def remove_credential(call: Call) -> Reply:
    profiles(call, "remove_credential", credential_id=call.params["id"])
    return Reply(status=204)


def verify_credential(call: Call) -> dict:
    return profiles(call, "verify_credential", credential_id=call.params["id"], **call.body)


def get_professional(call: Call) -> dict:
    return profiles(call, "get_professional", professional=call.params["id"])


# listings

def create_listing(call: Call) -> dict:
    return profiles(call, "create_listing", **call.body)


def list_my_listings(call: Call) -> dict:
    return profiles(call, "list_my_listings")


def get_my_listing(call: Call) -> dict:
    return profiles(call, "get_my_listing", listing_id=call.params["id"])


def update_listing(call: Call) -> dict:
    return profiles(call, "update_listing", listing_id=call.params["id"], **call.body)


def delete_listing(call: Call) -> Reply:
    profiles(call, "delete_listing", listing_id=call.params["id"])
    return Reply(status=204)


def add_service(call: Call) -> dict:
    return profiles(call, "add_service", listing_id=call.params["id"], **call.body)


def update_service(call: Call) -> dict:
    return profiles(call, "update_service", listing_id=call.params["id"],
                    service_id=call.params["service_id"], **call.body)


def remove_service(call: Call) -> Reply:
    profiles(call, "remove_service", listing_id=call.params["id"],
             service_id=call.params["service_id"])
    return Reply(status=204)


def set_service_area(call: Call) -> dict:
    return profiles(call, "set_service_area", listing_id=call.params["id"], **call.body)


# search and reviews

def search(call: Call) -> dict:
    return profiles(call, "search", **call.query)


def submit_review(call: Call) -> dict:
    return profiles(call, "submit_review", booking_id=call.params["id"], **call.body)


def reply_to_review(call: Call) -> dict:
    return profiles(call, "reply_to_review", review_id=call.params["id"], **call.body)


def list_professional_reviews(call: Call) -> dict:
    return profiles(call, "list_professional_reviews", professional_id=call.params["id"],
                    **call.query)


def list_client_reviews(call: Call) -> dict:
    return profiles(call, "list_client_reviews", client_id=call.params["id"], **call.query)


# reports of reviews, and their moderation

def report_review(call: Call) -> dict:
    return profiles(call, "report_review", review_id=call.params["id"], **call.body)


def list_review_reports(call: Call) -> dict:
    return profiles(call, "list_review_reports", **call.query)


def remove_review(call: Call) -> dict:
    return profiles(call, "remove_review", review_id=call.params["id"], **call.body)


def restore_review(call: Call) -> dict:
    return profiles(call, "restore_review", review_id=call.params["id"])


def dismiss_review_report(call: Call) -> dict:
    return profiles(call, "dismiss_review_report", report_id=call.params["id"], **call.body)


CHECKLIST = ("A listing turns `on` only with at least one service open to every client (not "
             "only an add-on), a service area, weekly hours in the schedule (booking) and a "
             "bio; otherwise 422 names each missing item (`services`, `service_area`, "
             "`schedule`, `bio`).")
OWNER_ONLY = ("Instant booking and a policy other than `flexible` are for members whose owner "
              "status is `active` (403 otherwise); they fall back to the defaults when the "
              "owner status lapses.")
SCORE = ("Matches listings that are `on`, offer the job title (id, name or alias; typos "
         "tolerated when unambiguous, otherwise 422 with suggestions), whose service area covers "
         "the client and lie within the client's `radius_km` (edges included). Ranked by score "
         "= 0.6 x (r - 1) / 4 + 0.4 x 0.5^(distance_km / 5), where r = (5 x 3.5 + n x "
         "rating_avg) / (5 + n) over n published reviews; equal scores by listing id. With "
         "`available_from` and `available_to`, only professionals with a free slot in the "
         "window (booking's answer; `availability` says `weekly_hours` when booking could not "
         "answer and open weekly hours were used); such a page may hold fewer than `limit` "
         "items, only a null `next_cursor` means the end.")
BLIND = ("Reviews are double-blind: published when both the client and the professional have "
         "reviewed the booking, or 7 days after one side did.")
MODERATORS = "Administrators only (403 for anyone else)."

OPERATIONS = [
    Operation("GET", "/v1/job-titles", "The job-title catalog, best match first",
              find_job_titles, tag=CATALOG, access=PUBLIC, query=FindJobTitlesArgsSchema,
              response=JobTitlePageSchema,
              description="Lookup by name or alias, any case or accents, by prefix and with "
              "a typo or two. A signed-in professional also sees the titles they proposed."),
    Operation("GET", "/v1/job-titles/{id}", "One job title", get_job_title, tag=CATALOG,
              access=PUBLIC, response=JobTitleSchema, errors=(404, 422)),
    Operation("POST", "/v1/job-titles", "Propose a missing job title", propose_job_title,
              tag=CATALOG, body=ProposeJobTitleArgsSchema, response=JobTitleSchema, status=201,
              errors=(403, 409),
              description="Professionals only. Usable by its proposer at once; listed for "
              "everyone once an administrator approves it. 409 when the catalog already has "
              "the name or alias, or five proposals are waiting."),
    Operation("GET", "/v1/admin/job-titles/proposals", "Job titles waiting for approval",
              list_job_title_proposals, tag=ADMIN, response=JobTitlePageSchema,
              errors=(403,)),
    Operation("POST", "/v1/admin/job-titles/{id}/approval", "Approve a proposed job title",
              approve_job_title, tag=ADMIN, response=JobTitleSchema,
              errors=(403, 404, 409, 422),
              description="409 when it is no longer a proposal, or a listed title already "
              "has its name."),
    Operation("POST", "/v1/admin/job-titles/{id}/rejection", "Reject a proposed job title",
              reject_job_title, tag=ADMIN, body=JobTitleRejectionSchema,
              response=JobTitleSchema, errors=(403, 404, 409)),

    Operation("GET", "/v1/me/profile", "My professional profile", get_my_profile,
              tag=PROFILE, response=ProfileSchema, errors=(403,)),
    Operation("PATCH", "/v1/me/profile",
              "Change my bio, business name, photo URL, custom address or languages",
              update_my_profile, tag=PROFILE, body=UpdateProfileArgsSchema,
              response=ProfileSchema, errors=(403, 409),
              description="Send only what changes. 409 when the custom address (slug) is "
              "taken; 422 names an oversized bio or a malformed slug, URL or language."),
    Operation("POST", "/v1/me/credentials", "Add a license or certification",
              add_credential, tag=PROFILE, body=AddCredentialArgsSchema,
              response=CredentialSchema, status=201, errors=(403,),
              description="Unverified until an administrator checks it with the issuer."),
    Operation("PATCH", "/v1/me/credentials/{id}", "Correct a license or certification",
              update_credential, tag=PROFILE, body=CredentialChangesSchema,
              response=CredentialSchema, errors=(403, 404),
              description="Any change withdraws the verification."),
    Operation("DELETE", "/v1/me/credentials/{id}", "Remove a license or certification",
              remove_credential, tag=PROFILE, status=204, errors=(403, 404, 422)),
    Operation("PUT", "/v1/admin/credentials/{id}/verification",
              "Mark a credential verified (or not)", verify_credential, tag=ADMIN,
              body=CredentialVerificationSchema, response=CredentialSchema,
              errors=(403, 404)),
    Operation("GET", "/v1/professionals/{id}",
              "A professional's public profile: listings, services, rating",
              get_professional, tag=PROFILE, access=PUBLIC, response=PublicProfileSchema,
              errors=(404, 422),
              description="By account id or custom address (slug). Only listings that are "
              "on; a price offered to one client is shown only to that client."),

    Operation("POST", "/v1/me/listings", "Open a listing for a job title", create_listing,
              tag=LISTINGS, body=CreateListingArgsSchema, response=ListingSchema, status=201,
              errors=(403, 409),
              description=f"Starts `incomplete`. {OWNER_ONLY} The free plan holds one "
              "listing (403 for a second). 409 when a listing already offers the title; 422 "
              "names an unknown job title."),
    Operation("GET", "/v1/me/listings", "My listings, with what each still needs",
              list_my_listings, tag=LISTINGS, response=ListingListSchema, errors=(403,)),
    Operation("GET", "/v1/me/listings/{id}", "One of my listings", get_my_listing,
              tag=LISTINGS, response=ListingSchema, errors=(403, 404, 422)),
    Operation("PATCH", "/v1/me/listings/{id}",
              "Change a listing's intro, policy or instant booking, or turn it on or off",
              update_listing, tag=LISTINGS, body=ListingChangesSchema, response=ListingSchema,
              errors=(403, 404), description=f"{CHECKLIST} {OWNER_ONLY}"),
    Operation("DELETE", "/v1/me/listings/{id}", "Delete a listing", delete_listing,
              tag=LISTINGS, status=204, errors=(403, 404, 422),
              description="It leaves search at once; past bookings and reviews keep it."),
    Operation("POST", "/v1/me/listings/{id}/services", "Add a priced service to a listing",
              add_service, tag=LISTINGS, body=NewServiceSchema, response=ServiceSchema,
              status=201, errors=(403, 404),
              description="Pricing types: `hourly` (price per hour, minimum duration), "
              "`service` (fixed price and duration), `package` (price of 2-100 sessions, "
              "optionally first-time clients only), `consultation` and `estimate` (duration, "
              "price optional), `addon` (price). Money in integer cents. "
              "`visible_to_client_id` makes a private price for one client."),
    Operation("PATCH", "/v1/me/listings/{id}/services/{service_id}", "Change a service",
              update_service, tag=LISTINGS, body=ServiceChangesSchema, response=ServiceSchema,
              errors=(403, 404),
              description="The merged service must still meet its pricing type's rules."),
    Operation("DELETE", "/v1/me/listings/{id}/services/{service_id}", "Withdraw a service",
              remove_service, tag=LISTINGS, status=204, errors=(403, 404, 422),
              description="422 when it is the last service keeping a listing on (turn the "
              "listing off first)."),
    Operation("PUT", "/v1/me/listings/{id}/service-area",
              "Set where a listing's professional works", set_service_area, tag=LISTINGS,
              body=ServiceAreaInputSchema, response=ServiceAreaSchema, errors=(403, 404),
              description="A point and a radius (at most 250 km); travels to clients, "
              "receives them at the professional's place, or both."),

    Operation("GET", "/v1/search", "Find professionals for a job title near a point", search,
              tag=SEARCH, access=PUBLIC, query=SearchArgsSchema, response=SearchResultSchema,
              description=SCORE),

    Operation("POST", "/v1/bookings/{id}/review", "Review a completed booking",
              submit_review, tag=REVIEWS, body=ReviewInputSchema, response=ReviewSchema,
              status=201, errors=(403, 404, 409),
              description="The client rates each criterion of the job title 1-5 (the "
              "professional rates the client's communication, punctuality and respect), once "
              f"per booking. {BLIND} 404 until booking reports the booking completed."),
    Operation("POST", "/v1/reviews/{id}/reply", "Reply to a published review of me",
              reply_to_review, tag=REVIEWS, body=ReplyInputSchema, response=ReviewSchema,
              status=201, errors=(403, 404, 409),
              description="The reviewed professional only, once."),
    Operation("GET", "/v1/professionals/{id}/reviews", "Published reviews of a professional",
              list_professional_reviews, tag=REVIEWS, access=PUBLIC, query=PageQuerySchema,
              response=ReviewPageSchema, description=f"Newest first. {BLIND}"),
    Operation("GET", "/v1/clients/{id}/reviews", "Published reviews of a client",
              list_client_reviews, tag=REVIEWS, query=PageQuerySchema,
              response=ReviewPageSchema, errors=(403,),
              description="For professionals deciding on a request, and the client themself."),
    Operation("POST", "/v1/reviews/{id}/reports", "Report a published review to the moderators",
              report_review, tag=REVIEWS, body=ReportArgsSchema, response=ReviewReportSchema,
              status=201, errors=(403, 404, 409, 422),
              description="Any signed-in member who can read the review (a professional's "
              "review of a client: professionals and that client), once per review: 409 for a "
              "second report, whatever became of the first. 403 for your own review; 404 for "
              "a review you cannot read (unknown, not yet published, removed). The review "
              "stays published until a moderator decides, and nobody else is told."),
    Operation("GET", "/v1/admin/review-reports", "Reports of reviews, oldest first",
              list_review_reports, tag=ADMIN, query=ReportQueueArgsSchema,
              response=ReviewReportPageSchema, errors=(403, 422),
              description=f"{MODERATORS} Reports in one status (`open` by default), first "
              "come, first answered, each with the review it is about and how many reports "
              "that review had."),
    Operation("POST", "/v1/admin/reviews/{id}/removal", "Remove a published review",
              remove_review, tag=ADMIN, body=RemovalArgsSchema, response=ModeratedReviewSchema,
              errors=(403, 404, 409, 422),
              description=f"{MODERATORS} The review leaves every page and rating (its text is "
              "kept) and every open report of it is upheld; its author is told the reason and "
              "the note, each reporter the outcome. 409 when it is already removed."),
    Operation("DELETE", "/v1/admin/reviews/{id}/removal", "Restore a removed review",
              restore_review, tag=ADMIN, response=ModeratedReviewSchema,
              errors=(403, 404, 409),
              description=f"{MODERATORS} For a moderator's mistake: the review is shown and "
              "counted again; its reports stay resolved and nobody is told. 409 when it is "
              "not removed."),
    Operation("POST", "/v1/admin/review-reports/{id}/dismissal", "Dismiss a report of a review",
              dismiss_review_report, tag=ADMIN, body=DismissalArgsSchema,
              response=ModeratedReviewReportSchema, errors=(403, 404, 409, 422),
              description=f"{MODERATORS} The review stays; the reporter is told, with the "
              "note. 409 when the report is not open."),
]
