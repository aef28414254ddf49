"""The producers' schemas are the contract: our sample of every consumed event is exactly
what its producer's own schema accepts, and our consumer schema takes it. If a producer
renames or drops a field we read, this fails here rather than in production."""

from __future__ import annotations

import pytest
from loconomics_billing.schemas import EMITTED_EVENTS as BILLING_EVENTS
from loconomics_booking.schemas import EMITTED_EVENTS as BOOKING_EVENTS
from loconomics_governance.schemas import EVENT_SCHEMAS as GOVERNANCE_EVENTS
from loconomics_notifications.domain.routing import COPIES, PRODUCERS, ROUTES
from loconomics_notifications.service import NotificationsService
from loconomics_profiles.schemas import (
    AccountChangedEventSchema,
    AccountClosedEventSchema,
    AccountCreatedEventSchema,
    AccountReinstatedEventSchema,
    AccountSuspendedEventSchema,
    DataExportRequestedEventSchema,
    EmailChangedEventSchema,
    EmailConfirmationRequestedEventSchema,
    PasswordChangedEventSchema,
    PasswordResetRequestedEventSchema,
    ProfileReportResolvedEventSchema,
    ReviewRemovedEventSchema,
    ReviewReportResolvedEventSchema,
)
from loconomics_profiles.shop_schemas import ListingEventSchema
from nameko.events import EventHandler

PRODUCER_SCHEMAS = {
    "profiles": {
        "account_created": AccountCreatedEventSchema,
        "account_changed": AccountChangedEventSchema,
        "account_closed": AccountClosedEventSchema,
        "listing_published": ListingEventSchema,
        "listing_changed": ListingEventSchema,
        "password_reset_requested": PasswordResetRequestedEventSchema,
        "password_changed": PasswordChangedEventSchema,
        "email_confirmation_requested": EmailConfirmationRequestedEventSchema,
        "email_changed": EmailChangedEventSchema,
        "data_export_requested": DataExportRequestedEventSchema,
        "review_removed": ReviewRemovedEventSchema,
        "review_report_resolved": ReviewReportResolvedEventSchema,
        "account_suspended": AccountSuspendedEventSchema,
        "account_reinstated": AccountReinstatedEventSchema,
        "profile_report_resolved": ProfileReportResolvedEventSchema,
    },
    "booking": BOOKING_EVENTS,
    "billing": BILLING_EVENTS,
    "governance": GOVERNANCE_EVENTS,
}
SUBSCRIBED = [(source, name) for source, names in PRODUCERS.items() for name in names]


@pytest.mark.parametrize(("source", "name"), SUBSCRIBED)
def test_each_sample_is_what_its_producer_sends(make_event, source, name):
    same_shape = {"account_changed": "account_created", "listing_changed": "listing_published"}
    payload = make_event(same_shape.get(name, name))
    schema = PRODUCER_SCHEMAS[source][name]()
    plumbing = {"event_id", "occurred_at"} - set(schema.fields)  # added by the outbox
    assert schema.validate({k: v for k, v in payload.items() if k not in plumbing}) == {}


@pytest.mark.parametrize(("source", "name"), SUBSCRIBED)
def test_our_schema_takes_the_producers_payload(make_event, source, name):
    schema = ROUTES[name].schema if name in ROUTES else COPIES[name][0]
    same_shape = {"account_changed": "account_created", "listing_changed": "listing_published"}
    sample = make_event(same_shape.get(name, name))
    assert schema().validate(sample) == {}


@pytest.mark.parametrize(("source", "name"), SUBSCRIBED)
def test_every_field_we_insist_on_is_one_its_producer_must_send(source, name):
    ours = ROUTES[name].schema if name in ROUTES else COPIES[name][0]
    theirs = PRODUCER_SCHEMAS[source][name]()
    required = {key for key, field in ours().fields.items() if field.required}
    promised = {key for key, field in theirs.fields.items() if field.required}
    assert required - promised - {"event_id", "occurred_at"} == set()  # the outbox adds these


def test_the_service_subscribes_to_exactly_the_routed_events_once_each():
    subscriptions = [
        (entrypoint.source_service, entrypoint.event_type)
        for method in vars(NotificationsService).values()
        for entrypoint in getattr(method, "nameko_entrypoints", ())
        if isinstance(entrypoint, EventHandler)
    ]
    assert sorted(subscriptions) == sorted(SUBSCRIBED)
