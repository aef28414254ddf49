"""The shape of every catalog, profile, listing, search and review RPC and event.

Inputs refuse unknown fields; event payloads consumed from other services ignore extra fields
(producers may add some). The domain re-checks every business rule, so these schemas are the
contract (and the OpenAPI document), not the last line of defence.

A request body the gateway validates never holds the id that is in its path: the body schema
(e.g. `ListingChangesSchema`) is a base of the RPC argument schema (`UpdateListingArgsSchema`),
which adds the id.
"""

from __future__ import annotations

from loconomics_plumbing.validation import Day, Instant, MoneySchema, StrictSchema
from marshmallow import EXCLUDE, Schema, fields, validate

from loconomics_profiles.domain.catalog_data import CATEGORIES
from loconomics_profiles.domain.listings import MAX_INTRO, POLICIES, STATUSES
from loconomics_profiles.domain.pricing import MAX_DURATION, MAX_SESSIONS, MIN_DURATION
from loconomics_profiles.domain.professional_profiles import (
    CREDENTIAL_KINDS,
    MAX_BIO,
    SLUG_PATTERN,
)
from loconomics_profiles.domain.reviews import MAX_PAGE, MAX_TEXT
from loconomics_profiles.domain.search import DEFAULT_RADIUS_KM, MAX_LIMIT, MAX_RADIUS_KM
from loconomics_profiles.domain.service_areas import MAX_AREA_RADIUS_KM

PRICING_TYPES = ("hourly", "service", "package", "consultation", "estimate", "addon")
CHECKLIST = ("services", "service_area", "schedule", "bio")
AVAILABILITY_SOURCES = ("booking", "weekly_hours")
ID = {"validate": validate.Length(min=1, max=64)}
LANGUAGE_TAG = r"^[A-Za-z]{2,3}([-_][A-Za-z]{4})?([-_]([A-Za-z]{2}|[0-9]{3}))?$"


def _id(description: str, **options) -> fields.String:
    return fields.String(**ID, metadata={"description": description}, **options)


def _about(description: str, **more) -> dict:
    return {"metadata": {"description": description, **more}}


def _page_of(item: type[Schema], description: str) -> type[Schema]:
    return type(f"{item.__name__.removesuffix('Schema')}PageSchema", (Schema,), {
        "items": fields.List(fields.Nested(item), required=True,
                             metadata={"description": description}),
        "next_cursor": fields.String(allow_none=True, metadata={
            "description": "Pass back as `cursor` for the next page; null at the end."}),
    })


class PageQuerySchema(StrictSchema):
    limit = fields.Integer(load_default=20, validate=validate.Range(1, MAX_PAGE),
                           **_about(f"How many items to return (1-{MAX_PAGE})."))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500),
                           **_about("`next_cursor` of the previous page; omit for the first."))


# Catalog

class FindJobTitlesArgsSchema(StrictSchema):
    q = fields.String(load_default="", validate=validate.Length(max=80), **_about(
        "Name or alias, any case or accents, a prefix, with a typo or two; empty lists all.",
        example="dog walk"))
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100),
                           **_about("How many titles to return (1-100), best match first."))


class JobTitleSchema(Schema):
    id = _id("Stable opaque id.", required=True)
    name = fields.String(required=True, **_about("Display name.", example="Dog walker"))
    slug = fields.String(required=True, **_about("URL-friendly name.", example="dog-walker"))
    category = fields.String(required=True, validate=validate.OneOf(tuple(CATEGORIES)),
                             **_about("Category key."))
    category_name = fields.String(required=True, **_about("Category display name."))
    aliases = fields.List(fields.String(), required=True,
                          **_about("Other names the title is found by."))
    criteria = fields.List(fields.String(), required=True, **_about(
        "What a client rates 1-5 after a booking."))
    status = fields.String(required=True, validate=validate.OneOf(
        ("listed", "proposed", "rejected", "withdrawn")), **_about(
        "`listed` for everyone; `proposed` waits for an administrator (its proposer may "
        "already use it); `rejected`; `withdrawn` when its proposer closed their account."))
    proposed_by = fields.String(**_about("Account that proposed it; shown to them and admins."))
    matched = fields.String(**_about("The name or alias the query matched."))


JobTitlePageSchema = _page_of(JobTitleSchema, "Best match first.")


class JobTitleIdArgsSchema(StrictSchema):
    job_title_id = _id("Job title id.", required=True)


class ProposeJobTitleArgsSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=3, max=80),
                         **_about("The missing trade.", example="Beekeeper"))
    category = fields.String(required=True, validate=validate.OneOf(tuple(CATEGORIES)),
                             **_about("Category key, e.g. `home`, `pets`, `lessons`."))
    aliases = fields.List(fields.String(validate=validate.Length(min=2, max=80)),
                          load_default=list, validate=validate.Length(max=10),
                          **_about("Up to 10 other names."))


class JobTitleRejectionSchema(StrictSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=500),
                           **_about("Told to the proposer."))


class RejectJobTitleArgsSchema(JobTitleRejectionSchema, JobTitleIdArgsSchema):
    pass


class JobTitleDecidedEventSchema(Schema):
    """`job_title_proposed`, `job_title_approved`, `job_title_rejected`."""

    job_title_id = _id("Job title id.", required=True)
    name = fields.String(required=True, **_about("Title name."))
    category = fields.String(**_about("Category key (proposed, approved)."))
    proposed_by = fields.String(required=True, **_about("Proposer's account id."))
    reason = fields.String(**_about("Why it was rejected (rejected only)."))


# Professional profile and credentials

class UpdateProfileArgsSchema(StrictSchema):
    business_name = fields.String(allow_none=True, validate=validate.Length(min=1, max=120),
                                  **_about("Trading name; null removes it."))
    bio = fields.String(validate=validate.Length(max=MAX_BIO), **_about(
        f"Public bio, at most {MAX_BIO} characters; a listing turns on only with one."))
    photo_url = fields.Url(allow_none=True, schemes={"http", "https"},
                           validate=validate.Length(max=2048),
                           **_about("http(s) URL of a portrait or logo."))
    slug = fields.String(allow_none=True, validate=[
        validate.Length(min=3, max=40), validate.Regexp(SLUG_PATTERN.pattern)], **_about(
        "Custom address: lowercase letters, digits and single hyphens, starting with a letter; "
        "unique.", example="ana-paints"))
    languages = fields.List(fields.String(validate=[
        validate.Length(min=2, max=16), validate.Regexp(LANGUAGE_TAG)]),
        validate=validate.Length(max=20),
        **_about("BCP 47 tags such as en, es-MX.", example=["en", "es-MX"]))


class CredentialSchema(Schema):
    id = _id("Credential id.", required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_KINDS),
                         **_about("License or certification."))
    name = fields.String(required=True, **_about("What it certifies."))
    number = fields.String(required=True, **_about("Number given by the issuer."))
    issuer = fields.String(required=True, **_about("Who issued it."))
    state = fields.String(allow_none=True, **_about("US state code."))
    expires_on = Day(allow_none=True, **_about("Last valid day."))
    expired = fields.Boolean(required=True, **_about("Past its expiry today."))
    verified = fields.Boolean(required=True, **_about(
        "Set only by an administrator after checking with the issuer."))
    verified_at = Instant(allow_none=True, **_about("When it was verified."))


class AddCredentialArgsSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_KINDS),
                         **_about("License or certification."))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120),
                         **_about("What it certifies.", example="General contractor"))
    number = fields.String(required=True, validate=validate.Length(min=1, max=64),
                           **_about("Number given by the issuer."))
    issuer = fields.String(required=True, validate=validate.Length(min=1, max=120),
                           **_about("Who issued it.", example="CSLB"))
    state = fields.String(allow_none=True, load_default=None, validate=validate.Length(equal=2),
                          **_about("US state or territory code.", example="CA"))
    expires_on = Day(allow_none=True, load_default=None,
                      **_about("Last valid day; not in the past."))


class CredentialChangesSchema(StrictSchema):
    kind = fields.String(validate=validate.OneOf(CREDENTIAL_KINDS),
                         **_about("License or certification."))
    name = fields.String(validate=validate.Length(min=1, max=120), **_about("What it certifies."))
    number = fields.String(validate=validate.Length(min=1, max=64),
                           **_about("Number given by the issuer."))
    issuer = fields.String(validate=validate.Length(min=1, max=120), **_about("Who issued it."))
    state = fields.String(allow_none=True, validate=validate.Length(equal=2),
                          **_about("US state or territory code."))
    expires_on = Day(allow_none=True, **_about("Last valid day."))


class CredentialIdArgsSchema(StrictSchema):
    credential_id = _id("Credential id.", required=True)


class UpdateCredentialArgsSchema(CredentialChangesSchema, CredentialIdArgsSchema):
    pass


class CredentialVerificationSchema(StrictSchema):
    verified = fields.Boolean(required=True, **_about(
        "True once checked with the issuer; false withdraws it."))


class VerifyCredentialArgsSchema(CredentialVerificationSchema, CredentialIdArgsSchema):
    pass


class ProfileSchema(Schema):
    professional_id = _id("The professional's account id.", required=True)
    business_name = fields.String(allow_none=True, **_about("Trading name."))
    bio = fields.String(required=True, **_about("Public bio."))
    photo_url = fields.String(allow_none=True, **_about("Portrait or logo URL."))
    slug = fields.String(allow_none=True, **_about("Custom address, usable in place of the id."))
    languages = fields.List(fields.String(), required=True, **_about("BCP 47 tags."))
    credentials = fields.List(fields.Nested(CredentialSchema), required=True,
                              **_about("Licenses and certifications, oldest first."))
    updated_at = Instant(**_about("Last change (owner's view only)."))


# Listings, services, service areas

class ServiceSchema(Schema):
    id = _id("Service id.", required=True)
    listing_id = _id("Listing id.", required=True)
    name = fields.String(required=True, **_about("What the client books."))
    description = fields.String(required=True, **_about("Details."))
    pricing_type = fields.String(required=True, validate=validate.OneOf(PRICING_TYPES),
                                 **_about("How the price reads."))
    price = fields.Nested(MoneySchema, allow_none=True, required=True, **_about(
        "Per hour for `hourly`, for all sessions for `package`; may be null for "
        "`consultation` and `estimate`."))
    duration_minutes = fields.Integer(allow_none=True, required=True, **_about(
        "Length of one session (minimum booked for `hourly`); null only for an add-on."))
    sessions = fields.Integer(allow_none=True, required=True,
                              **_about("Sessions in a package; null otherwise."))
    first_time_clients_only = fields.Boolean(required=True,
                                             **_about("A package only for new clients."))
    visible_to_client_id = fields.String(allow_none=True, required=True, **_about(
        "When set, only this client sees and may book this price."))
    active = fields.Boolean(required=True, **_about("False once withdrawn."))


class ServiceAreaSchema(Schema):
    lat = fields.Float(required=True, **_about("Centre latitude (degrees)."))
    lng = fields.Float(required=True, **_about("Centre longitude (degrees)."))
    radius_km = fields.Float(required=True, **_about("Radius served, in km."))
    travels = fields.Boolean(required=True, **_about("Goes to the client."))
    at_location = fields.Boolean(required=True, **_about(
        "Receives clients at their own place."))


class ListingSchema(Schema):
    id = _id("Listing id.", required=True)
    professional_id = _id("Owner's account id.", required=True)
    job_title_id = _id("Job title id.", required=True)
    intro = fields.String(required=True, **_about("What this listing offers."))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES), **_about(
        "`incomplete` (checklist not met), `off` (hidden), `on` (searchable, bookable)."))
    cancellation_policy = fields.String(required=True, validate=validate.OneOf(POLICIES),
                                        **_about("Applied by booking to cancellations."))
    instant_booking = fields.Boolean(required=True,
                                     **_about("Clients book without waiting for approval."))
    rating_avg = fields.Float(required=True, **_about("Mean of published client reviews."))
    review_count = fields.Integer(required=True, **_about("Published client reviews."))
    services = fields.List(fields.Nested(ServiceSchema), required=True,
                           **_about("Active services this viewer may see."))
    service_area = fields.Nested(ServiceAreaSchema, allow_none=True, required=True,
                                 **_about("Where the professional works; null until set."))
    version = fields.Integer(required=True, **_about("Grows on every change."))
    missing = fields.List(fields.String(validate=validate.OneOf(CHECKLIST)), **_about(
        "Owner's view: checklist items still needed before turning on."))


class ListingListSchema(Schema):
    items = fields.List(fields.Nested(ListingSchema), required=True,
                        **_about("Oldest first; deleted listings are left out."))
    next_cursor = fields.String(allow_none=True, **_about("Always null: one page holds all."))


class CreateListingArgsSchema(StrictSchema):
    job_title_id = _id("A listed job title, or one you proposed.", required=True)
    intro = fields.String(load_default="", validate=validate.Length(max=MAX_INTRO),
                          **_about(f"What this listing offers, at most {MAX_INTRO} characters."))
    cancellation_policy = fields.String(load_default="flexible",
                                        validate=validate.OneOf(POLICIES), **_about(
        "Other than flexible only for active owners (403 otherwise)."))
    instant_booking = fields.Boolean(load_default=False, **_about(
        "Only for active owners (403 otherwise)."))


class ListingIdArgsSchema(StrictSchema):
    listing_id = _id("Listing id.", required=True)


class ListingChangesSchema(StrictSchema):
    intro = fields.String(validate=validate.Length(max=MAX_INTRO),
                          **_about(f"At most {MAX_INTRO} characters."))
    cancellation_policy = fields.String(validate=validate.OneOf(POLICIES), **_about(
        "Other than flexible only for active owners."))
    instant_booking = fields.Boolean(**_about("Only for active owners."))
    status = fields.String(validate=validate.OneOf(("on", "off")), **_about(
        "`on` only when the checklist holds; 422 names what is missing."))


class UpdateListingArgsSchema(ListingChangesSchema, ListingIdArgsSchema):
    pass


class _ServiceFields(StrictSchema):
    description = fields.String(validate=validate.Length(max=1000),
                                **_about("Details, at most 1000 characters."))
    price = fields.Nested(MoneySchema, allow_none=True, **_about(
        "Required except for `consultation` and `estimate`; per hour for `hourly`."))
    duration_minutes = fields.Integer(strict=True, allow_none=True,
                                      validate=validate.Range(MIN_DURATION, MAX_DURATION),
                                      **_about("Required except for an add-on."))
    sessions = fields.Integer(strict=True, allow_none=True,
                              validate=validate.Range(2, MAX_SESSIONS),
                              **_about("Packages only: how many sessions."))
    first_time_clients_only = fields.Boolean(**_about("Packages only."))
    visible_to_client_id = fields.String(allow_none=True, **ID, **_about(
        "Make this a private price for one client."))


class NewServiceSchema(_ServiceFields):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100),
                         **_about("What the client books.", example="Two-hour deep clean"))
    pricing_type = fields.String(required=True, validate=validate.OneOf(PRICING_TYPES),
                                 **_about("How the price reads."))


class AddServiceArgsSchema(NewServiceSchema, ListingIdArgsSchema):
    pass


class ServiceChangesSchema(_ServiceFields):
    name = fields.String(validate=validate.Length(min=1, max=100),
                         **_about("What the client books."))
    pricing_type = fields.String(validate=validate.OneOf(PRICING_TYPES),
                                 **_about("How the price reads."))


class UpdateServiceArgsSchema(ServiceChangesSchema, ListingIdArgsSchema):
    service_id = _id("Service id.", required=True)


class ServiceIdArgsSchema(ListingIdArgsSchema):
    service_id = _id("Service id.", required=True)


class ServiceAreaInputSchema(StrictSchema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90),
                       **_about("Centre latitude, -90 to 90.", example=37.7749))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180),
                       **_about("Centre longitude, -180 to 180.", example=-122.4194))
    radius_km = fields.Float(required=True, validate=validate.Range(
        0, MAX_AREA_RADIUS_KM, min_inclusive=False),
        **_about(f"Radius served, above 0 and at most {MAX_AREA_RADIUS_KM:g} km."))
    travels = fields.Boolean(load_default=True, **_about("Goes to the client."))
    at_location = fields.Boolean(load_default=False,
                                 **_about("Receives clients at their own place."))


class SetServiceAreaArgsSchema(ServiceAreaInputSchema, ListingIdArgsSchema):
    pass


class ListingEventServiceSchema(Schema):
    service_id = _id("Service id.", required=True)
    name = fields.String(required=True, **_about("Service name."))
    pricing_type = fields.String(required=True, validate=validate.OneOf(PRICING_TYPES),
                                 **_about("How the price reads."))
    price = fields.Nested(MoneySchema, allow_none=True, required=True, **_about("Price."))
    duration_minutes = fields.Integer(allow_none=True, required=True,
                                      **_about("Length of one session."))
    sessions = fields.Integer(allow_none=True, required=True, **_about("Package sessions."))
    first_time_clients_only = fields.Boolean(required=True, **_about("Package for new clients."))
    visible_to_client_id = fields.String(allow_none=True, required=True,
                                         **_about("The one client who may book it, if any."))


class ListingEventSchema(Schema):
    """`listing_published`, `listing_changed`, `listing_removed`: the whole bookable state.

    Keep the highest `version` seen per listing; an older one arriving late is stale.
    """

    listing_id = _id("Listing id.", required=True)
    professional_id = _id("Owner's account id.", required=True)
    job_title_id = _id("Job title id.", required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES),
                           **_about("Status after the change."))
    cancellation_policy = fields.String(required=True, validate=validate.OneOf(POLICIES),
                                        **_about("Policy booking applies."))
    instant_booking = fields.Boolean(required=True, **_about("Book without approval."))
    version = fields.Integer(required=True, **_about("Keep the highest seen."))
    services = fields.List(fields.Nested(ListingEventServiceSchema), required=True,
                           **_about("Active services."))
    service_area = fields.Nested(ServiceAreaSchema, allow_none=True, required=True,
                                 **_about("Where the professional works."))


# Public profile

class PublicListingSchema(ListingSchema):
    class Meta:
        exclude = ("missing",)


class RatingSchema(Schema):
    rating_avg = fields.Float(required=True, **_about("Mean of published client reviews."))
    review_count = fields.Integer(required=True, **_about("Published client reviews."))


class PublicProfileSchema(ProfileSchema):
    listings = fields.List(fields.Nested(PublicListingSchema), required=True, **_about(
        "Listings that are on; private prices appear only to their client."))
    rating = fields.Nested(RatingSchema, required=True, **_about("Across all listings."))

    class Meta:
        exclude = ("updated_at",)


class ProfessionalArgsSchema(StrictSchema):
    professional = fields.String(required=True, validate=validate.Length(min=1, max=64),
                                 **_about("Account id or custom slug."))


# Search

class SearchArgsSchema(StrictSchema):
    job_title = fields.String(required=True, validate=validate.Length(min=1, max=80), **_about(
        "Job title id, name or alias (typos tolerated if unambiguous).", example="house cleaner"))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90),
                       **_about("Client's latitude, -90 to 90.", example=37.7749))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180),
                       **_about("Client's longitude, -180 to 180.", example=-122.4194))
    radius_km = fields.Float(load_default=DEFAULT_RADIUS_KM, validate=validate.Range(
        0, MAX_RADIUS_KM, min_inclusive=False), **_about(
        f"How far the client looks, above 0 and at most {MAX_RADIUS_KM:g} km "
        f"(default {DEFAULT_RADIUS_KM:g})."))
    limit = fields.Integer(load_default=20, validate=validate.Range(1, MAX_LIMIT),
                           **_about(f"Results per page (1-{MAX_LIMIT})."))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500),
                           **_about("`next_cursor` of the previous page."))
    available_from = Instant(load_default=None, allow_none=True, **_about(
        "With available_to: only professionals with a free slot in between (ISO 8601 with "
        "offset)."))
    available_to = Instant(load_default=None, allow_none=True, **_about(
        "End of the window; at most 31 days after available_from."))


class SearchItemSchema(Schema):
    listing_id = _id("Listing id.", required=True)
    professional_id = _id("Professional's account id.", required=True)
    job_title_id = _id("Job title id.", required=True)
    distance_km = fields.Float(required=True, **_about("From the client to the area's centre."))
    rating_avg = fields.Float(required=True, **_about("Mean of published client reviews."))
    review_count = fields.Integer(required=True, **_about("Published client reviews."))
    score = fields.Float(required=True, **_about(
        "0-1: 0.6 x Bayesian rating + 0.4 x distance decay (halves every 5 km)."))
    travels = fields.Boolean(required=True, **_about("Goes to the client."))
    at_location = fields.Boolean(required=True, **_about("Receives clients at their place."))
    business_name = fields.String(allow_none=True, **_about("Trading name."))
    slug = fields.String(allow_none=True, **_about("Custom address of the profile."))
    photo_url = fields.String(allow_none=True, **_about("Portrait or logo URL."))


class SearchJobTitleSchema(Schema):
    id = _id("Job title id.", required=True)
    name = fields.String(required=True, **_about("Job title name."))


class SearchResultSchema(_page_of(SearchItemSchema, "Best score first; ties by listing id.")):
    job_title = fields.Nested(SearchJobTitleSchema, required=True, **_about(
        "The job title the query resolved to."))
    availability = fields.String(allow_none=True, validate=validate.OneOf(AVAILABILITY_SOURCES),
                                 **_about(
        "Who judged the time window: `booking` (free slots), or `weekly_hours` (open hours "
        "only, when booking could not answer); null without a window."))


# Reviews

class ReviewInputSchema(StrictSchema):
    ratings = fields.Dict(keys=fields.String(), values=fields.Integer(
        strict=True, validate=validate.Range(1, 5)), required=True, **_about(
        "1-5 for each criterion of the job title (or, from the professional, of the client).",
        example={"quality": 5, "punctuality": 4, "communication": 5, "value": 4}))
    text = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT),
                         **_about(f"At most {MAX_TEXT} characters."))


class SubmitReviewArgsSchema(ReviewInputSchema):
    booking_id = _id("A completed booking of yours.", required=True)


class ReplyInputSchema(StrictSchema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT),
                         **_about(f"The professional's answer, at most {MAX_TEXT} characters."))


class ReplyArgsSchema(ReplyInputSchema):
    review_id = _id("Review id.", required=True)


class ReviewSchema(Schema):
    id = _id("Review id.", required=True)
    booking_id = _id("Booking id.", required=True)
    author_role = fields.String(required=True, validate=validate.OneOf(
        ("client", "professional")), **_about("Which side wrote it."))
    author_id = _id("Who wrote it.", required=True)
    subject_id = _id("Who is reviewed.", required=True)
    professional_id = _id("The booking's professional.", required=True)
    client_id = _id("The booking's client.", required=True)
    listing_id = fields.String(allow_none=True, required=True, **_about("Listing booked."))
    job_title_id = fields.String(allow_none=True, required=True, **_about("Its job title."))
    ratings = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                          **_about("1-5 per criterion."))
    rating = fields.Float(required=True, **_about("Mean of the ratings."))
    text = fields.String(required=True, **_about("What the author wrote."))
    reply_text = fields.String(allow_none=True, required=True,
                               **_about("The professional's answer, once."))
    replied_at = Instant(allow_none=True, required=True, **_about("When answered."))
    created_at = Instant(required=True, **_about("When written."))
    published_at = Instant(allow_none=True, required=True, **_about(
        "Null while blind: until both sides reviewed or 7 days passed."))


ReviewPageSchema = _page_of(ReviewSchema, "Newest first.")


class ReviewListArgsSchema(PageQuerySchema):
    pass


class ProfessionalReviewsArgsSchema(ReviewListArgsSchema):
    professional_id = _id("Professional's account id.", required=True)


class ClientReviewsArgsSchema(ReviewListArgsSchema):
    client_id = _id("Client's account id.", required=True)


class ReviewPublishedEventSchema(Schema):
    review_id = _id("Review id.", required=True)
    booking_id = _id("Booking id.", required=True)
    author_role = fields.String(required=True, **_about("client or professional."))
    author_id = fields.String(required=True, **_about("Who wrote it."))
    subject_id = fields.String(required=True, **_about("Who is reviewed."))
    professional_id = fields.String(required=True, **_about("The booking's professional."))
    client_id = fields.String(required=True, **_about("The booking's client."))
    listing_id = fields.String(allow_none=True, required=True, **_about("Listing booked."))
    job_title_id = fields.String(allow_none=True, required=True, **_about("Its job title."))
    ratings = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                          **_about("1-5 per criterion."))
    rating = fields.Float(required=True, **_about("Mean of the ratings."))
    text = fields.String(required=True, **_about("Review text."))
    published_at = Instant(required=True, **_about("When it became public."))


class ReviewRepliedEventSchema(Schema):
    review_id = _id("Review id.", required=True)
    booking_id = _id("Booking id.", required=True)
    professional_id = fields.String(required=True, **_about("Who replied."))
    client_id = fields.String(required=True, **_about("Who wrote the review."))
    reply_text = fields.String(required=True, **_about("The answer."))


# Events consumed from booking (booking's `schemas.py` is the contract)

class ScheduleChangedEventSchema(Schema):
    """What profiles reads of booking's `schedule_changed`."""

    class Meta:
        unknown = EXCLUDE

    professional_id = _id("Professional's account id.", required=True)
    time_zone = fields.String(load_default=None, allow_none=True,
                              **_about("IANA zone of the weekly ranges."))
    weekly = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw()),
                         load_default=dict, **_about(
        "Weekday (mon..sun) -> [{start, end}] local wall times; any non-empty day means weekly "
        "hours exist."))
    advance_notice_hours = fields.Integer(load_default=0, **_about(
        "Hours ahead a booking must be made."))
    changed_at = Instant(required=True, **_about(
        "When booking changed it; the latest wins."))


class BookingCompletedEventSchema(Schema):
    """What profiles reads of booking's `booking_completed` (opens reviews)."""

    class Meta:
        unknown = EXCLUDE

    booking_id = _id("Booking id.", required=True)
    client_id = _id("Client's account id.", required=True)
    professional_id = _id("Professional's account id.", required=True)
    listing_id = fields.String(load_default=None, allow_none=True, **_about("Listing booked."))
    job_title_id = fields.String(load_default=None, allow_none=True,
                                 **_about("Its job title (found from the listing if absent)."))
    occurred_at = Instant(required=True, **_about("When it was completed."))
