"""The shape of every catalog, profile, listing, search and review RPC and event.

Inputs refuse unknown fields; event payloads consumed from other services ignore extra fields
(producers may add some). The domain re-checks every business rule, so these schemas are the
contract (and the OpenAPI document), not the last line of defence.
"""

from __future__ import annotations

from loconomics_plumbing.validation import MoneySchema, StrictSchema
from marshmallow import EXCLUDE, Schema, fields, validate

from loconomics_profiles.domain.catalog_data import CATEGORIES
from loconomics_profiles.domain.listings import MAX_INTRO, POLICIES, STATUSES
from loconomics_profiles.domain.pricing import MAX_DURATION, MAX_SESSIONS, MIN_DURATION
from loconomics_profiles.domain.professional_profiles import CREDENTIAL_KINDS, MAX_BIO
from loconomics_profiles.domain.reviews import MAX_TEXT
from loconomics_profiles.domain.search import DEFAULT_RADIUS_KM, MAX_LIMIT, MAX_RADIUS_KM
from loconomics_profiles.domain.service_areas import MAX_AREA_RADIUS_KM

PRICING_TYPES = ("hourly", "service", "package", "consultation", "estimate", "addon")
ID = {"validate": validate.Length(min=1, max=64)}


def _id(description: str, **options) -> fields.String:
    return fields.String(**ID, metadata={"description": description}, **options)


def _page_of(item: type[Schema], description: str) -> type[Schema]:
    return type(f"{item.__name__.removesuffix('Schema')}PageSchema", (Schema,), {
        "items": fields.List(fields.Nested(item), required=True,
                             metadata={"description": description}),
        "next_cursor": fields.String(allow_none=True, metadata={
            "description": "Pass back as `cursor` for the next page; null at the end."}),
    })


# Catalog

class FindJobTitlesArgsSchema(StrictSchema):
    q = fields.String(load_default="", validate=validate.Length(max=80), metadata={
        "description": "Name or alias, any case or accents, a prefix, with a typo or two."})
    limit = fields.Integer(load_default=20, strict=True, validate=validate.Range(1, 100))


class JobTitleSchema(Schema):
    id = _id("Stable opaque id.", required=True)
    name = fields.String(required=True, metadata={"example": "Dog walker"})
    slug = fields.String(required=True)
    category = fields.String(required=True, validate=validate.OneOf(tuple(CATEGORIES)))
    category_name = fields.String(required=True)
    aliases = fields.List(fields.String(), required=True)
    criteria = fields.List(fields.String(), required=True, metadata={
        "description": "What a client rates 1-5 after a booking."})
    status = fields.String(required=True, validate=validate.OneOf(
        ("listed", "proposed", "rejected")))
    proposed_by = fields.String(metadata={"description": "Shown to the proposer and admins."})
    matched = fields.String(metadata={"description": "The name or alias the query matched."})


JobTitlePageSchema = _page_of(JobTitleSchema, "Best match first.")


class JobTitleIdArgsSchema(StrictSchema):
    job_title_id = _id("Job title id.", required=True)


class ProposeJobTitleArgsSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=3, max=80))
    category = fields.String(required=True, validate=validate.OneOf(tuple(CATEGORIES)))
    aliases = fields.List(fields.String(validate=validate.Length(min=2, max=80)),
                          load_default=list, validate=validate.Length(max=10))


class RejectJobTitleArgsSchema(JobTitleIdArgsSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class JobTitleDecidedEventSchema(Schema):
    """`job_title_proposed`, `job_title_approved`, `job_title_rejected`."""

    job_title_id = _id("Job title id.", required=True)
    name = fields.String(required=True)
    category = fields.String()
    proposed_by = fields.String(required=True)
    reason = fields.String()


# Professional profile and credentials

class UpdateProfileArgsSchema(StrictSchema):
    business_name = fields.String(allow_none=True, validate=validate.Length(min=1, max=120))
    bio = fields.String(validate=validate.Length(max=MAX_BIO), metadata={
        "description": f"Public bio, at most {MAX_BIO} characters."})
    photo_url = fields.Url(allow_none=True, schemes={"http", "https"},
                           validate=validate.Length(max=2048))
    slug = fields.String(allow_none=True, validate=validate.Length(min=3, max=40), metadata={
        "description": "Custom address: lowercase letters, digits, single hyphens; unique."})
    languages = fields.List(fields.String(validate=validate.Length(min=2, max=16)),
                            validate=validate.Length(max=20),
                            metadata={"description": "BCP 47 tags such as en, es-MX."})


class CredentialSchema(Schema):
    id = _id("Credential id.", required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_KINDS))
    name = fields.String(required=True)
    number = fields.String(required=True)
    issuer = fields.String(required=True)
    state = fields.String(allow_none=True, metadata={"description": "US state code."})
    expires_on = fields.Date(allow_none=True)
    expired = fields.Boolean(required=True)
    verified = fields.Boolean(required=True, metadata={
        "description": "Set only by an administrator after checking with the issuer."})
    verified_at = fields.AwareDateTime(allow_none=True)


class AddCredentialArgsSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    issuer = fields.String(required=True, validate=validate.Length(min=1, max=120))
    state = fields.String(allow_none=True, load_default=None,
                          validate=validate.Length(equal=2))
    expires_on = fields.Date(allow_none=True, load_default=None)


class UpdateCredentialArgsSchema(StrictSchema):
    credential_id = _id("Credential id.", required=True)
    kind = fields.String(validate=validate.OneOf(CREDENTIAL_KINDS))
    name = fields.String(validate=validate.Length(min=1, max=120))
    number = fields.String(validate=validate.Length(min=1, max=64))
    issuer = fields.String(validate=validate.Length(min=1, max=120))
    state = fields.String(allow_none=True, validate=validate.Length(equal=2))
    expires_on = fields.Date(allow_none=True)


class CredentialIdArgsSchema(StrictSchema):
    credential_id = _id("Credential id.", required=True)


class VerifyCredentialArgsSchema(CredentialIdArgsSchema):
    verified = fields.Boolean(required=True)


class ProfileSchema(Schema):
    professional_id = _id("The professional's account id.", required=True)
    business_name = fields.String(allow_none=True)
    bio = fields.String(required=True)
    photo_url = fields.String(allow_none=True)
    slug = fields.String(allow_none=True)
    languages = fields.List(fields.String(), required=True)
    credentials = fields.List(fields.Nested(CredentialSchema), required=True)
    updated_at = fields.AwareDateTime(metadata={"description": "Owner's view only."})


# Listings, services, service areas

class ServiceSchema(Schema):
    id = _id("Service id.", required=True)
    listing_id = _id("Listing id.", required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    pricing_type = fields.String(required=True, validate=validate.OneOf(PRICING_TYPES))
    price = fields.Nested(MoneySchema, allow_none=True, required=True, metadata={
        "description": "Per hour for `hourly`, for all sessions for `package`; may be null "
                       "for `consultation` and `estimate`."})
    duration_minutes = fields.Integer(allow_none=True, required=True)
    sessions = fields.Integer(allow_none=True, required=True)
    first_time_clients_only = fields.Boolean(required=True)
    visible_to_client_id = fields.String(allow_none=True, required=True, metadata={
        "description": "When set, only this client sees and may book this price."})
    active = fields.Boolean(required=True)


class ServiceAreaSchema(Schema):
    lat = fields.Float(required=True)
    lng = fields.Float(required=True)
    radius_km = fields.Float(required=True)
    travels = fields.Boolean(required=True, metadata={"description": "Goes to the client."})
    at_location = fields.Boolean(required=True, metadata={
        "description": "Receives clients at their own place."})


class ListingSchema(Schema):
    id = _id("Listing id.", required=True)
    professional_id = _id("Owner's account id.", required=True)
    job_title_id = _id("Job title id.", required=True)
    intro = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    cancellation_policy = fields.String(required=True, validate=validate.OneOf(POLICIES))
    instant_booking = fields.Boolean(required=True)
    rating_avg = fields.Float(required=True)
    review_count = fields.Integer(required=True)
    services = fields.List(fields.Nested(ServiceSchema), required=True)
    service_area = fields.Nested(ServiceAreaSchema, allow_none=True, required=True)
    version = fields.Integer(required=True)
    missing = fields.List(fields.String(validate=validate.OneOf(
        ("services", "service_area", "schedule", "bio"))), metadata={
        "description": "Owner's view: checklist items still needed before turning on."})


class ListingListSchema(Schema):
    items = fields.List(fields.Nested(ListingSchema), required=True)


class CreateListingArgsSchema(StrictSchema):
    job_title_id = _id("A listed job title, or one you proposed.", required=True)
    intro = fields.String(load_default="", validate=validate.Length(max=MAX_INTRO))
    cancellation_policy = fields.String(load_default="flexible",
                                        validate=validate.OneOf(POLICIES), metadata={
        "description": "Other than flexible only for active owners."})
    instant_booking = fields.Boolean(load_default=False, metadata={
        "description": "Only for active owners."})


class ListingIdArgsSchema(StrictSchema):
    listing_id = _id("Listing id.", required=True)


class UpdateListingArgsSchema(ListingIdArgsSchema):
    intro = fields.String(validate=validate.Length(max=MAX_INTRO))
    cancellation_policy = fields.String(validate=validate.OneOf(POLICIES))
    instant_booking = fields.Boolean()
    status = fields.String(validate=validate.OneOf(("on", "off")), metadata={
        "description": "`on` only when the checklist holds; 422 names what is missing."})


class _ServiceFields(StrictSchema):
    description = fields.String(validate=validate.Length(max=1000))
    price = fields.Nested(MoneySchema, allow_none=True)
    duration_minutes = fields.Integer(strict=True, allow_none=True,
                                      validate=validate.Range(MIN_DURATION, MAX_DURATION))
    sessions = fields.Integer(strict=True, allow_none=True,
                              validate=validate.Range(2, MAX_SESSIONS),
                              metadata={"description": "Packages only."})
    first_time_clients_only = fields.Boolean(metadata={"description": "Packages only."})
    visible_to_client_id = fields.String(allow_none=True, **ID)


class AddServiceArgsSchema(_ServiceFields, ListingIdArgsSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    pricing_type = fields.String(required=True, validate=validate.OneOf(PRICING_TYPES))


class UpdateServiceArgsSchema(_ServiceFields, ListingIdArgsSchema):
    service_id = _id("Service id.", required=True)
    name = fields.String(validate=validate.Length(min=1, max=100))
    pricing_type = fields.String(validate=validate.OneOf(PRICING_TYPES))


class ServiceIdArgsSchema(ListingIdArgsSchema):
    service_id = _id("Service id.", required=True)


class SetServiceAreaArgsSchema(ListingIdArgsSchema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    radius_km = fields.Float(required=True, validate=validate.Range(
        0, MAX_AREA_RADIUS_KM, min_inclusive=False))
    travels = fields.Boolean(load_default=True)
    at_location = fields.Boolean(load_default=False)


class ListingEventServiceSchema(Schema):
    service_id = _id("Service id.", required=True)
    name = fields.String(required=True)
    pricing_type = fields.String(required=True, validate=validate.OneOf(PRICING_TYPES))
    price = fields.Nested(MoneySchema, allow_none=True, required=True)
    duration_minutes = fields.Integer(allow_none=True, required=True)
    sessions = fields.Integer(allow_none=True, required=True)
    first_time_clients_only = fields.Boolean(required=True)
    visible_to_client_id = fields.String(allow_none=True, required=True)


class ListingEventSchema(Schema):
    """`listing_published`, `listing_changed`, `listing_removed`: the whole bookable state.

    Keep the highest `version` seen per listing; an older one arriving late is stale.
    """

    listing_id = _id("Listing id.", required=True)
    professional_id = _id("Owner's account id.", required=True)
    job_title_id = _id("Job title id.", required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    cancellation_policy = fields.String(required=True, validate=validate.OneOf(POLICIES))
    instant_booking = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    services = fields.List(fields.Nested(ListingEventServiceSchema), required=True)
    service_area = fields.Nested(ServiceAreaSchema, allow_none=True, required=True)


# Public profile

class PublicListingSchema(ListingSchema):
    class Meta:
        exclude = ("missing",)


class RatingSchema(Schema):
    rating_avg = fields.Float(required=True)
    review_count = fields.Integer(required=True)


class PublicProfileSchema(ProfileSchema):
    listings = fields.List(fields.Nested(PublicListingSchema), required=True)
    rating = fields.Nested(RatingSchema, required=True)

    class Meta:
        exclude = ("updated_at",)


class ProfessionalArgsSchema(StrictSchema):
    professional = fields.String(required=True, validate=validate.Length(min=1, max=64),
                                 metadata={"description": "Account id or custom slug."})


# Search

class SearchArgsSchema(StrictSchema):
    job_title = fields.String(required=True, validate=validate.Length(min=1, max=80), metadata={
        "description": "Job title id, name or alias (typos tolerated if unambiguous)."})
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    radius_km = fields.Float(load_default=DEFAULT_RADIUS_KM, validate=validate.Range(
        0, MAX_RADIUS_KM, min_inclusive=False))
    limit = fields.Integer(load_default=20, strict=True, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    available_from = fields.AwareDateTime(load_default=None, allow_none=True)
    available_to = fields.AwareDateTime(load_default=None, allow_none=True, metadata={
        "description": "With available_from: only professionals with a free slot in between."})


class SearchItemSchema(Schema):
    listing_id = _id("Listing id.", required=True)
    professional_id = _id("Professional's account id.", required=True)
    job_title_id = _id("Job title id.", required=True)
    distance_km = fields.Float(required=True)
    rating_avg = fields.Float(required=True)
    review_count = fields.Integer(required=True)
    score = fields.Float(required=True, metadata={
        "description": "0-1: 0.6 x Bayesian rating + 0.4 x distance decay (halves every 5 km)."})
    travels = fields.Boolean(required=True)
    at_location = fields.Boolean(required=True)
    business_name = fields.String(allow_none=True)
    slug = fields.String(allow_none=True)
    photo_url = fields.String(allow_none=True)


class SearchJobTitleSchema(Schema):
    id = _id("Job title id.", required=True)
    name = fields.String(required=True)


class SearchResultSchema(_page_of(SearchItemSchema, "Best score first; ties by listing id.")):
    job_title = fields.Nested(SearchJobTitleSchema, required=True, metadata={
        "description": "The job title the query resolved to."})


# Reviews

class SubmitReviewArgsSchema(StrictSchema):
    booking_id = _id("A completed booking of yours.", required=True)
    ratings = fields.Dict(keys=fields.String(), values=fields.Integer(
        strict=True, validate=validate.Range(1, 5)), required=True, metadata={
        "description": "1-5 for each criterion of the job title (or of the client)."})
    text = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))


class ReplyArgsSchema(StrictSchema):
    review_id = _id("Review id.", required=True)
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))


class ReviewSchema(Schema):
    id = _id("Review id.", required=True)
    booking_id = _id("Booking id.", required=True)
    author_role = fields.String(required=True, validate=validate.OneOf(("client",
                                                                         "professional")))
    author_id = _id("Who wrote it.", required=True)
    subject_id = _id("Who is reviewed.", required=True)
    professional_id = _id("The booking's professional.", required=True)
    client_id = _id("The booking's client.", required=True)
    listing_id = fields.String(allow_none=True, required=True)
    job_title_id = fields.String(allow_none=True, required=True)
    ratings = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    rating = fields.Float(required=True, metadata={"description": "Mean of the ratings."})
    text = fields.String(required=True)
    reply_text = fields.String(allow_none=True, required=True)
    replied_at = fields.AwareDateTime(allow_none=True, required=True)
    created_at = fields.AwareDateTime(required=True)
    published_at = fields.AwareDateTime(allow_none=True, required=True, metadata={
        "description": "Null while blind: until both sides reviewed or 7 days passed."})


ReviewPageSchema = _page_of(ReviewSchema, "Newest first.")


class ReviewListArgsSchema(StrictSchema):
    limit = fields.Integer(load_default=20, strict=True, validate=validate.Range(1, 50))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ProfessionalReviewsArgsSchema(ReviewListArgsSchema):
    professional_id = _id("Professional's account id.", required=True)


class ClientReviewsArgsSchema(ReviewListArgsSchema):
    client_id = _id("Client's account id.", required=True)


class ReviewPublishedEventSchema(Schema):
    review_id = _id("Review id.", required=True)
    booking_id = _id("Booking id.", required=True)
    author_role = fields.String(required=True)
    author_id = fields.String(required=True)
    subject_id = fields.String(required=True)
    professional_id = fields.String(required=True)
    client_id = fields.String(required=True)
    listing_id = fields.String(allow_none=True, required=True)
    job_title_id = fields.String(allow_none=True, required=True)
    ratings = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    rating = fields.Float(required=True)
    text = fields.String(required=True)
    published_at = fields.AwareDateTime(required=True)


class ReviewRepliedEventSchema(Schema):
    review_id = _id("Review id.", required=True)
    booking_id = _id("Booking id.", required=True)
    professional_id = fields.String(required=True)
    client_id = fields.String(required=True)
    reply_text = fields.String(required=True)


# Events consumed from booking

class ScheduleChangedEventSchema(Schema):
    """What profiles reads of booking's `schedule_changed`."""

    class Meta:
        unknown = EXCLUDE

    professional_id = _id("Professional's account id.", required=True)
    time_zone = fields.String(load_default=None, allow_none=True)
    weekly = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw()),
                         load_default=dict, metadata={
        "description": "Weekday -> ranges; any non-empty day means weekly hours exist."})
    occurred_at = fields.AwareDateTime(required=True)


class BookingCompletedEventSchema(Schema):
    """What profiles reads of booking's `booking_completed` (opens reviews)."""

    class Meta:
        unknown = EXCLUDE

    booking_id = _id("Booking id.", required=True)
    client_id = _id("Client's account id.", required=True)
    professional_id = _id("Professional's account id.", required=True)
    listing_id = fields.String(load_default=None, allow_none=True)
    job_title_id = fields.String(load_default=None, allow_none=True)
    occurred_at = fields.AwareDateTime(required=True)
