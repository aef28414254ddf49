"""A member's copy of billing's data (docs/data-export.md): every section, only their rows,
no secret, and every table of the database accounted for.

The rows are written straight into the tables, with values the test can look for, and the
export is read through the schema as the entrypoint answers; Stripe is never needed.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from loconomics_billing.dependencies import StripeAccount
from loconomics_billing.domain.acknowledgment import acknowledgment_text, text_sha256
from loconomics_billing.domain.member_data import (
    ABOUT,
    NOTHING_TO_SHOW,
    SECTIONS,
    SECTIONS_BY_TABLE,
    export_member_data,
)
from loconomics_billing.models import (
    Base,
    BookingPayment,
    DuesPayment,
    Membership,
    MembershipInvoice,
    OwnerAcknowledgment,
    OwnerStatusChange,
    PayoutAccount,
    ProcessedStripeEvent,
    Receipt,
    StripeCustomer,
)
from loconomics_billing.schemas import MemberDataSchema, MemberDataSectionsSchema
from loconomics_billing.service import BillingService
from loconomics_plumbing.errors import Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.member_data import unaccounted_tables
from nameko.testing.services import worker_factory
from sqlalchemy import insert, text

SECTION_NAMES = [
    "stripe_customer",
    "membership",
    "owner_status_changes",
    "owner_acknowledgments",
    "membership_invoices",
    "dues_payments",
    "booking_payments",
    "receipts",
    "payout_accounts",
]
# A PaymentIntent's client secret, as Stripe returns it: billing must never hand one out.
CLIENT_SECRET = "pi_3ada_secret_Zq81TmUvNoPe"


def at(now, days: int = 0, hours: int = 0) -> str:
    return (now + timedelta(days=days, hours=hours)).isoformat()


def add_member(session, now, user: str, ip: str, counterpart: str) -> dict[str, str]:
    """Every kind of row billing keeps, for `user`; markers the other member must never see.

    `user` pays `counterpart` for one booking and is paid by them for another. Where there
    are several rows, the order they are stored or indexed in is not the export's once
    `exported` reverses unordered selects, so the export has to order them itself.
    """
    session.add(
        StripeCustomer(
            id=f"sc-{user}", user_id=user, stripe_customer_id=f"cus_{user}", created_at=now
        )
    )
    session.add(
        Membership(
            id=f"ms-{user}",
            user_id=user,
            plan_id="owner-pro-monthly",
            stripe_subscription_id=f"sub_{user}",
            stripe_item_id=f"si_{user}",
            subscription_status="active",
            trial_end=now + timedelta(days=14),
            current_period_start=now + timedelta(days=14),
            current_period_end=now + timedelta(days=44),
            cancel_at_period_end=True,
            trial_used=True,
            subscription_generation=1,
            owner_status="active",
            suspended=False,
            suspension_reason=None,
            created_at=now,
            updated_at=now + timedelta(days=14),
        )
    )
    for sequence, (before, after, days) in reversed(
        list(enumerate([("not_yet_owner", "trial", 0), ("trial", "active", 14)], start=1))
    ):
        session.add(
            OwnerStatusChange(
                id=f"osc-{user}-{sequence}",
                user_id=user,
                sequence=sequence,
                from_status=before,
                to_status=after,
                plan_id="owner-pro-monthly",
                reason=f"{user}'s subscription {sequence}",
                changed_at=now + timedelta(days=days),
            )
        )
    session.add(
        OwnerAcknowledgment(
            id=f"ack-{user}",
            user_id=user,
            version="2025-01",
            text_sha256=text_sha256("2025-01"),
            ip_address=ip,
            signed_at=now + timedelta(days=1),
        )
    )
    for n, days in ((2, 44), (1, 14)):
        session.add(
            MembershipInvoice(
                id=f"mi-{user}-{n}",
                stripe_invoice_id=f"in_{user}_{n}",
                user_id=user,
                stripe_subscription_id=f"sub_{user}",
                plan_id="owner-pro-monthly",
                status="paid",
                amount_due_cents=3900,
                amount_paid_cents=3900,
                currency="USD",
                period_start=now + timedelta(days=days),
                period_end=now + timedelta(days=days + 30),
                paid_at=now + timedelta(days=days + n - 1),
                issued_at=now + timedelta(days=days),
                failed_attempts_reported=n - 1,
                updated_at=now + timedelta(days=days, hours=1),
            )
        )
    for n, days in ((1, 14), (2, 46)):
        session.add(
            DuesPayment(
                id=f"dp-{user}-{n}",
                stripe_invoice_id=f"in_{user}_{n}",
                user_id=user,
                amount_cents=3900,
                currency="USD",
                paid_at=now + timedelta(days=days),
                fiscal_year=2026,
            )
        )
    session.add(
        PayoutAccount(
            id=f"pa-{user}",
            user_id=user,
            stripe_account_id=f"acct_{user}",
            created_at=now + timedelta(days=2),
        )
    )
    add_booking(session, now + timedelta(days=5), f"bk-{counterpart}-{user}", counterpart, user)
    add_booking(session, now + timedelta(days=3), f"bk-{user}-{counterpart}", user, counterpart)
    session.flush()
    return {
        "customer": f"cus_{user}",
        "subscription": f"sub_{user}",
        "invoice": f"in_{user}_1",
        "payout": f"acct_{user}",
        "ip": ip,
        "reason": f"{user}'s subscription",
        "booking paid": f"bk-{user}-{counterpart}",
        "booking done": f"bk-{counterpart}-{user}",
        "card": f"pm_{user}",
    }


def add_booking(session, when, booking_id: str, client: str, professional: str) -> None:
    """A booking performed and paid for: the payment and its receipt."""
    session.add(
        BookingPayment(
            id=f"bp-{booking_id}",
            booking_id=booking_id,
            client_user_id=client,
            professional_user_id=professional,
            amount_cents=10000,
            currency="USD",
            starts_at=when + timedelta(days=1),
            status="captured",
            payment_method_id=f"pm_{client}",
            stripe_customer_id=f"cus_{client}",
            payment_intent_id=f"pi_{booking_id}",
            destination_account=f"acct_{professional}",
            application_fee_cents=0,
            authorise_at=when,
            authorisation_attempts=1,
            captured_cents=10000,
            fee_cents=None,
            failure_reason=None,
            confirmed_at=when,
            cancelled_at=None,
            created_at=when,
            updated_at=when + timedelta(days=1),
        )
    )
    session.flush()
    session.add(
        Receipt(
            id=f"rc-{booking_id}",
            booking_payment_id=f"bp-{booking_id}",
            booking_id=booking_id,
            payer_user_id=client,
            payee_user_id=professional,
            kind="payment",
            price_cents=10000,
            amount_cents=10000,
            processor_fee_cents=320,
            platform_fee_cents=0,
            currency="USD",
            destination_account=f"acct_{professional}",
            issued_at=when + timedelta(days=1),
        )
    )


def add_plumbing_rows(session, now) -> None:
    """A relayed event that carried a client secret, and a Stripe event applied."""
    session.execute(
        insert(Base.metadata.tables["outbox_events"]).values(
            event_id="ev-1",
            event_type="booking_payment_authorised",
            payload=json.dumps({"client_user_id": "ada", "client_secret": CLIENT_SECRET}),
            created_at=now,
        )
    )
    session.execute(
        insert(Base.metadata.tables["processed_events"]).values(
            handler_key="booking:booking_confirmed:ev-ada", processed_at=now
        )
    )
    session.add(
        ProcessedStripeEvent(
            stripe_event_id="evt_ada_1",
            event_type="invoice.paid",
            outcome="applied",
            processed_at=now,
        )
    )
    session.flush()


def exported(session, user_id: str) -> dict:
    """As the entrypoint answers: dumped by the schema, through JSON.

    SQLite is told to return unordered rows backwards, so a query that forgot its ORDER BY
    (and got the order right by luck of an index) is caught.
    """
    session.execute(text("PRAGMA reverse_unordered_selects = ON"))
    return json.loads(json.dumps(MemberDataSchema().dump(export_member_data(session, user_id))))


def records(part: dict, section: str) -> list[dict]:
    return part["sections"][section]["records"]


# what a member gets


def test_a_member_gets_every_row_of_theirs_with_its_values(session, now):
    add_member(session, now, "ada", "192.0.2.10", counterpart="carl")

    part = exported(session, "ada")

    assert part["service"] == "billing"
    assert list(part["sections"]) == SECTION_NAMES
    assert records(part, "stripe_customer") == [
        {"stripe_customer_id": "cus_ada", "created_at": "2026-03-02T15:00:00+00:00"}
    ]
    assert records(part, "membership") == [
        {
            "id": "ms-ada",
            "plan_id": "owner-pro-monthly",
            "owner_status": "active",
            "stripe_subscription_id": "sub_ada",
            "subscription_status": "active",
            "trial_end": at(now, 14),
            "trial_used": True,
            "current_period_start": at(now, 14),
            "current_period_end": at(now, 44),
            "cancel_at_period_end": True,
            "suspended": False,
            "suspension_reason": None,
            "created_at": at(now),
            "updated_at": at(now, 14),
        }
    ]
    assert records(part, "owner_status_changes") == [
        {
            "id": "osc-ada-1",
            "sequence": 1,
            "from_status": "not_yet_owner",
            "to_status": "trial",
            "plan_id": "owner-pro-monthly",
            "reason": "ada's subscription 1",
            "changed_at": at(now),
        },
        {
            "id": "osc-ada-2",
            "sequence": 2,
            "from_status": "trial",
            "to_status": "active",
            "plan_id": "owner-pro-monthly",
            "reason": "ada's subscription 2",
            "changed_at": at(now, 14),
        },
    ]
    assert records(part, "owner_acknowledgments") == [
        {
            "id": "ack-ada",
            "version": "2025-01",
            "text": acknowledgment_text("2025-01"),
            "text_sha256": text_sha256("2025-01"),
            "ip_address": "192.0.2.10",
            "signed_at": at(now, 1),
        }
    ]
    invoices = records(part, "membership_invoices")
    assert [i["id"] for i in invoices] == ["mi-ada-1", "mi-ada-2"]  # oldest first
    assert invoices[0] == {
        "id": "mi-ada-1",
        "stripe_invoice_id": "in_ada_1",
        "stripe_subscription_id": "sub_ada",
        "plan_id": "owner-pro-monthly",
        "status": "paid",
        "amount_due_cents": 3900,
        "amount_paid_cents": 3900,
        "currency": "USD",
        "period_start": at(now, 14),
        "period_end": at(now, 44),
        "issued_at": at(now, 14),
        "paid_at": at(now, 14),
        "failed_attempts_reported": 0,
        "updated_at": at(now, 14, 1),
    }
    assert (invoices[1]["paid_at"], invoices[1]["failed_attempts_reported"]) == (at(now, 45), 1)
    assert records(part, "dues_payments") == [
        {
            "id": "dp-ada-1",
            "stripe_invoice_id": "in_ada_1",
            "amount_cents": 3900,
            "currency": "USD",
            "paid_at": at(now, 14),
            "fiscal_year": 2026,
        },
        {
            "id": "dp-ada-2",
            "stripe_invoice_id": "in_ada_2",
            "amount_cents": 3900,
            "currency": "USD",
            "paid_at": at(now, 46),
            "fiscal_year": 2026,
        },
    ]
    assert records(part, "payout_accounts") == [
        {"id": "pa-ada", "stripe_account_id": "acct_ada", "created_at": at(now, 2)}
    ]


def test_booking_payments_and_receipts_say_whether_the_member_paid_or_was_paid(session, now):
    add_member(session, now, "ada", "192.0.2.10", counterpart="carl")

    part = exported(session, "ada")

    payments = records(part, "booking_payments")
    assert [(p["booking_id"], p["role"]) for p in payments] == [
        ("bk-ada-carl", "payer"),  # day 3
        ("bk-carl-ada", "payee"),  # day 5
    ]
    assert payments[0] == {
        "id": "bp-bk-ada-carl",
        "role": "payer",
        "booking_id": "bk-ada-carl",
        "client_user_id": "ada",
        "professional_user_id": "carl",
        "status": "captured",
        "amount_cents": 10000,
        "currency": "USD",
        "starts_at": at(now, 4),
        "stripe_customer_id": "cus_ada",
        "payment_method_id": "pm_ada",
        "payment_intent_id": "pi_bk-ada-carl",
        "destination_account": None,
        "application_fee_cents": 0,
        "authorise_at": at(now, 3),
        "authorisation_attempts": 1,
        "captured_cents": 10000,
        "fee_cents": None,
        "failure_reason": None,
        "confirmed_at": at(now, 3),
        "cancelled_at": None,
        "created_at": at(now, 3),
        "updated_at": at(now, 4),
    }
    # As the professional, the client's Stripe customer and card are not hers to take, and as
    # the client, the professional's Connect account is not either; her own is in her copy.
    as_payee = payments[1]
    assert (as_payee["client_user_id"], as_payee["professional_user_id"]) == ("carl", "ada")
    assert (as_payee["stripe_customer_id"], as_payee["payment_method_id"]) == (None, None)
    assert as_payee["destination_account"] == "acct_ada"
    assert "cus_carl" not in json.dumps(part)
    assert "pm_carl" not in json.dumps(part)
    assert "acct_carl" not in json.dumps(part)

    receipts = records(part, "receipts")
    assert [(r["id"], r["role"]) for r in receipts] == [
        ("rc-bk-ada-carl", "payer"),
        ("rc-bk-carl-ada", "payee"),
    ]
    assert receipts[0] == {
        "id": "rc-bk-ada-carl",
        "role": "payer",
        "booking_id": "bk-ada-carl",
        "booking_payment_id": "bp-bk-ada-carl",
        "payer_user_id": "ada",
        "payee_user_id": "carl",
        "kind": "payment",
        "price_cents": 10000,
        "amount_cents": 10000,
        "processor_fee_cents": 320,
        "platform_fee_cents": 0,
        "currency": "USD",
        "destination_account": None,
        "issued_at": at(now, 4),
    }


def test_the_other_party_of_a_booking_gets_it_as_payee(session, now):
    add_member(session, now, "ada", "192.0.2.10", counterpart="carl")

    carl = exported(session, "carl")

    assert [(p["booking_id"], p["role"]) for p in records(carl, "booking_payments")] == [
        ("bk-ada-carl", "payee"),
        ("bk-carl-ada", "payer"),
    ]
    assert [(r["booking_id"], r["role"]) for r in records(carl, "receipts")] == [
        ("bk-ada-carl", "payee"),
        ("bk-carl-ada", "payer"),
    ]
    text = json.dumps(carl)
    assert "cus_ada" not in text and "pm_ada" not in text
    others = [s for s in SECTION_NAMES if s not in ("booking_payments", "receipts")]
    assert [s for s in others if records(carl, s)] == []


def test_another_members_rows_never_appear(session, now):
    add_member(session, now, "ada", "192.0.2.10", counterpart="carl")
    bob = add_member(session, now, "bob", "198.51.100.77", counterpart="dan")

    part = exported(session, "ada")

    text = json.dumps(part)
    for what, value in bob.items():
        assert value not in text, f"bob's {what} ({value}) is in ada's export"
    assert "bob" not in text and "dan" not in text
    for section in SECTION_NAMES:
        ids = [r.get("id") for r in records(part, section)]
        assert not [i for i in ids if i and "bob" in i], section
    # and bob's own export has his rows, none of ada's
    bob_text = json.dumps(exported(session, "bob"))
    assert "cus_bob" in bob_text and "192.0.2.10" not in bob_text and "ada" not in bob_text


def test_no_secret_is_exported(session, now):
    add_member(session, now, "ada", "192.0.2.10", counterpart="carl")
    add_plumbing_rows(session, now)

    text = json.dumps(exported(session, "ada"))

    assert CLIENT_SECRET not in text
    assert "evt_ada_1" not in text  # Stripe event ids: bookkeeping, linked to no one
    assert "si_ada" not in text  # the subscription item: how billing addresses Stripe


def test_no_table_keeps_a_stripe_secret_and_no_record_field_names_one():
    """Billing stores ids, never a key, a webhook secret or a PaymentIntent client secret;
    a column or a field that looks like one must be looked at before it can be exported."""
    secret_words = ("secret", "token", "password", "api_key")
    columns = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
    ]
    assert [c for c in columns if any(word in c for word in secret_words)] == []
    sections = MemberDataSectionsSchema().fields
    for name, section in sections.items():
        record_fields = section.schema.fields["records"].inner.schema.fields
        assert [f for f in record_fields if any(word in f for word in secret_words)] == [], name


def test_a_member_with_nothing_gets_every_section_empty(session, now):
    add_member(session, now, "ada", "192.0.2.10", counterpart="carl")

    part = exported(session, "nobody")

    assert part["service"] == "billing"
    assert list(part["sections"]) == SECTION_NAMES
    for name, section in part["sections"].items():
        assert section == {"about": ABOUT[name], "records": []}
        assert len(section["about"]) > 20


def test_the_schema_dumps_every_field_the_domain_gives(session, now):
    """marshmallow drops keys it does not know: a field added to one side only is caught."""
    add_member(session, now, "ada", "192.0.2.10", counterpart="carl")
    raw = export_member_data(session, "ada")
    dumped = MemberDataSchema().dump(raw)

    assert list(MemberDataSectionsSchema().fields) == list(SECTIONS) == SECTION_NAMES
    for name in SECTION_NAMES:
        assert raw["sections"][name]["records"], name
        for before, after in zip(
            raw["sections"][name]["records"], dumped["sections"][name]["records"], strict=True
        ):
            assert set(before) == set(after), name


# every table accounted for


def test_every_table_feeds_a_section_or_says_why_it_holds_nothing():
    assert unaccounted_tables(Base.metadata, SECTIONS_BY_TABLE, NOTHING_TO_SHOW) == {}
    assert {"outbox_events", "processed_events", "processed_stripe_events"} <= set(NOTHING_TO_SHOW)
    assert all(len(reason) > 20 for reason in NOTHING_TO_SHOW.values())
    sections_fed = {s for names in SECTIONS_BY_TABLE.values() for s in names}
    assert sections_fed == set(SECTIONS)


# the entrypoint


class NoStripe:
    """The export answers from billing's database: any Stripe call fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"export_member_data called Stripe ({name})")


def billing(unit, caller: Caller):
    account = StripeAccount(NoStripe(), "whsec_member_data_test")
    return worker_factory(BillingService, db=unit, caller=caller, stripe=account)


def test_the_entrypoint_answers_for_the_caller_without_stripe(unit, now):
    add_member(unit.session, now, "ada", "192.0.2.10", counterpart="carl")
    add_member(unit.session, now, "bob", "198.51.100.77", counterpart="dan")
    unit.commit()

    part = billing(unit, Caller("ada", frozenset({"client"}))).export_member_data()

    text = json.dumps(part)
    assert part["service"] == "billing"
    assert list(part["sections"]) == SECTION_NAMES
    assert records(part, "stripe_customer") == [
        {"stripe_customer_id": "cus_ada", "created_at": "2026-03-02T15:00:00+00:00"}
    ]
    assert "cus_bob" not in text and "whsec_member_data_test" not in text


def test_the_entrypoint_needs_a_caller(unit, now):
    add_member(unit.session, now, "ada", "192.0.2.10", counterpart="carl")
    unit.commit()

    with pytest.raises(Unauthorized):
        billing(unit, Caller()).export_member_data()
