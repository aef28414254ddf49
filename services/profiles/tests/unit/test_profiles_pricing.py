import pytest
from loconomics_plumbing.errors import Invalid
from loconomics_profiles.domain.pricing import PRICING_RULES, check_service

USD = {"amount_cents": 4500, "currency": "USD"}


def errors_of(fields):
    with pytest.raises(Invalid) as caught:
        check_service(fields, "pro-1")
    return caught.value.errors


def test_every_api_pricing_type_has_a_rule():
    assert set(PRICING_RULES) == {"hourly", "service", "package", "consultation", "estimate",
                                  "addon"}


@pytest.mark.parametrize("pricing_type", ["hourly", "service"])
def test_hourly_and_service_need_a_positive_price_and_a_duration(pricing_type):
    assert set(errors_of({"name": "Cut", "pricing_type": pricing_type})) == {
        "price", "duration_minutes"}
    assert set(errors_of({"name": "Cut", "pricing_type": pricing_type, "duration_minutes": 30,
                          "price": {"amount_cents": 0, "currency": "USD"}})) == {
        "price.amount_cents"}
    stored = check_service({"name": " Cut ", "pricing_type": pricing_type, "price": USD,
                            "duration_minutes": 30}, "pro-1")
    assert stored["name"] == "Cut"
    assert (stored["amount_cents"], stored["currency"]) == (4500, "USD")


def test_a_package_needs_sessions_and_may_be_for_first_time_clients_only():
    assert set(errors_of({"name": "Ten", "pricing_type": "package", "price": USD,
                          "duration_minutes": 60})) == {"sessions"}
    assert set(errors_of({"name": "Ten", "pricing_type": "package", "price": USD,
                          "duration_minutes": 60, "sessions": 1})) == {"sessions"}
    stored = check_service({"name": "Ten", "pricing_type": "package", "price": USD,
                            "duration_minutes": 60, "sessions": 10,
                            "first_time_clients_only": True}, "pro-1")
    assert stored["sessions"] == 10 and stored["first_time_clients_only"] is True


def test_package_only_fields_are_refused_elsewhere():
    assert set(errors_of({"name": "Cut", "pricing_type": "service", "price": USD,
                          "duration_minutes": 30, "sessions": 3,
                          "first_time_clients_only": True})) == {
        "sessions", "first_time_clients_only"}


@pytest.mark.parametrize("pricing_type", ["consultation", "estimate"])
def test_consultations_and_estimates_may_be_free_or_unpriced(pricing_type):
    unpriced = check_service({"name": "Chat", "pricing_type": pricing_type,
                              "duration_minutes": 20}, "pro-1")
    assert (unpriced["amount_cents"], unpriced["currency"]) == (None, None)
    free = check_service({"name": "Chat", "pricing_type": pricing_type, "duration_minutes": 20,
                          "price": {"amount_cents": 0, "currency": "USD"}}, "pro-1")
    assert free["amount_cents"] == 0
    assert set(errors_of({"name": "Chat", "pricing_type": pricing_type})) == {
        "duration_minutes"}


def test_an_addon_needs_a_price_but_no_duration():
    assert set(errors_of({"name": "Trim", "pricing_type": "addon"})) == {"price"}
    assert check_service({"name": "Trim", "pricing_type": "addon", "price": USD},
                         "pro-1")["duration_minutes"] is None


@pytest.mark.parametrize("price", [
    {"amount_cents": 45.5, "currency": "USD"},
    {"amount_cents": True, "currency": "USD"},
    {"amount_cents": -1, "currency": "USD"},
    {"amount_cents": 10**9, "currency": "USD"},
])
def test_money_is_whole_cents_in_range(price):
    assert "price.amount_cents" in errors_of({"name": "Cut", "pricing_type": "service",
                                              "price": price, "duration_minutes": 30})


@pytest.mark.parametrize("price", [{"amount_cents": 100, "currency": "usd"},
                                   {"amount_cents": 100, "currency": "DOLLAR"}])
def test_currency_is_an_iso_code(price):
    assert set(errors_of({"name": "Cut", "pricing_type": "service", "price": price,
                          "duration_minutes": 30})) == {"price.currency"}


def test_a_price_for_one_client_must_name_a_client_other_than_yourself():
    stored = check_service({"name": "Cut", "pricing_type": "service", "price": USD,
                            "duration_minutes": 30, "visible_to_client_id": "client-7"}, "pro-1")
    assert stored["visible_to_client_id"] == "client-7"
    assert set(errors_of({"name": "Cut", "pricing_type": "service", "price": USD,
                          "duration_minutes": 30, "visible_to_client_id": "pro-1"})) == {
        "visible_to_client_id"}


def test_unknown_types_fields_and_durations_are_named():
    assert set(errors_of({"name": "", "pricing_type": "barter"})) == {"name", "pricing_type"}
    assert set(errors_of({"name": "Cut", "pricing_type": "service", "price": USD,
                          "duration_minutes": 2, "colour": "red"})) == {
        "duration_minutes", "colour"}
