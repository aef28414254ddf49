"""How a service may be priced, one rule set per pricing type.

Booking bills from these figures, so they are integers of the currency's minor unit and every
bookable type carries a duration (booking needs one to find slots):

    hourly        price per hour (> 0) and the minimum length booked, in minutes
    service       fixed price (> 0) and duration
    package       price of all sessions together (> 0), duration of one session, 2-100 sessions,
                  optionally for first-time clients only
    consultation  duration; the price may be absent or zero (a free first talk)
    estimate      duration of the visit; no price needed (the quote comes after)
    addon         price (> 0) added to another service; extra duration optional
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from loconomics_plumbing.errors import Invalid

MAX_AMOUNT_CENTS = 10_000_000
MIN_DURATION, MAX_DURATION = 5, 24 * 60
MAX_SESSIONS = 100
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class PricingRule:
    price_required: bool
    free_allowed: bool
    duration_required: bool
    packaged: bool = False


PRICING_RULES: dict[str, PricingRule] = {
    "hourly": PricingRule(price_required=True, free_allowed=False, duration_required=True),
    "service": PricingRule(price_required=True, free_allowed=False, duration_required=True),
    "package": PricingRule(price_required=True, free_allowed=False, duration_required=True,
                           packaged=True),
    "consultation": PricingRule(price_required=False, free_allowed=True, duration_required=True),
    "estimate": PricingRule(price_required=False, free_allowed=True, duration_required=True),
    "addon": PricingRule(price_required=True, free_allowed=False, duration_required=False),
}

SERVICE_FIELDS = (
    "name", "description", "pricing_type", "price", "duration_minutes", "sessions",
    "first_time_clients_only", "visible_to_client_id",
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _price_errors(price: object, rule: PricingRule, errors: dict[str, list[str]]) -> None:
    if price is None:
        if rule.price_required:
            errors["price"] = ["required for this pricing type"]
        return
    if not isinstance(price, Mapping) or set(price) != {"amount_cents", "currency"}:
        errors["price"] = ["must be {amount_cents, currency}"]
        return
    amount, currency = price["amount_cents"], price["currency"]
    lowest = 0 if rule.free_allowed else 1
    if not _is_int(amount) or not lowest <= amount <= MAX_AMOUNT_CENTS:
        errors["price.amount_cents"] = [
            f"must be a whole number of cents from {lowest} to {MAX_AMOUNT_CENTS}"
        ]
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        errors["price.currency"] = ["must be an ISO 4217 code such as USD"]


def check_service(fields: Mapping[str, object], professional_id: str) -> dict:
    """The service as it will be stored, or Invalid naming every field that breaks a rule."""
    errors: dict[str, list[str]] = {}
    unknown = set(fields) - set(SERVICE_FIELDS)
    for field in sorted(unknown):
        errors[field] = ["unknown field"]
    name = fields.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        errors["name"] = ["must be 1-100 characters"]
    description = fields.get("description") or ""
    if not isinstance(description, str) or len(description) > 1000:
        errors["description"] = ["at most 1000 characters"]
    pricing_type = fields.get("pricing_type")
    rule = PRICING_RULES.get(pricing_type) if isinstance(pricing_type, str) else None
    if rule is None:
        errors["pricing_type"] = [f"must be one of: {', '.join(PRICING_RULES)}"]
        raise Invalid("the service is invalid", errors)

    _price_errors(fields.get("price"), rule, errors)
    duration = fields.get("duration_minutes")
    if duration is None:
        if rule.duration_required:
            errors["duration_minutes"] = ["required for this pricing type"]
    elif not _is_int(duration) or not MIN_DURATION <= duration <= MAX_DURATION:
        errors["duration_minutes"] = [f"must be {MIN_DURATION} to {MAX_DURATION} minutes"]

    sessions = fields.get("sessions")
    first_time_only = fields.get("first_time_clients_only", False)
    if rule.packaged:
        if not _is_int(sessions) or not 2 <= sessions <= MAX_SESSIONS:
            errors["sessions"] = [f"a package has 2 to {MAX_SESSIONS} sessions"]
    elif sessions is not None:
        errors["sessions"] = ["only a package has sessions"]
    if not isinstance(first_time_only, bool):
        errors["first_time_clients_only"] = ["must be true or false"]
    elif first_time_only and not rule.packaged:
        errors["first_time_clients_only"] = ["only a package may be limited to first-time clients"]

    client_id = fields.get("visible_to_client_id")
    if client_id is not None and (
        not isinstance(client_id, str) or not 1 <= len(client_id) <= 64
    ):
        errors["visible_to_client_id"] = ["must be a client id"]
    elif client_id == professional_id:
        errors["visible_to_client_id"] = ["must be a client, not yourself"]
    if errors:
        raise Invalid("the service is invalid", errors)

    price = fields.get("price")
    return {
        "name": name.strip(),
        "description": description,
        "pricing_type": pricing_type,
        "amount_cents": price["amount_cents"] if price else None,
        "currency": price["currency"] if price else None,
        "duration_minutes": duration,
        "sessions": sessions if rule.packaged else None,
        "first_time_clients_only": bool(first_time_only),
        "visible_to_client_id": client_id,
    }


def money(amount_cents: int | None, currency: str | None) -> dict | None:
    if amount_cents is None or currency is None:
        return None
    return {"amount_cents": amount_cents, "currency": currency}
