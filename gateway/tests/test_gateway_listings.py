"""The shop window's routes alone, with the RPC pool scripted: what reaches profiles, and how."""

from __future__ import annotations

import pytest
from loconomics_gateway.routes import listings
from loconomics_plumbing.errors import Forbidden, Invalid

PRO = ("professional",)


def test_search_is_public_and_passes_json_able_arguments(client, pool):
    pool.answers[("profiles", "search")] = {"items": [], "next_cursor": None,
                                            "job_title": {"id": "t", "name": "Tutor"},
                                            "availability": "booking"}
    answer = client.simulate_get("/v1/search", params={
        "job_title": "tutor", "lat": "37.7", "lng": "-122.4", "radius_km": "10",
        "available_from": "2026-03-02T09:00:00-08:00",
        "available_to": "2026-03-02T17:00:00-08:00", "limit": "5", "utm_source": "ad"})
    assert answer.status_code == 200, answer.text
    (_, _, caller, kwargs) = pool.calls_to("profiles", "search")[0]
    assert caller.user_id is None
    assert kwargs == {"job_title": "tutor", "lat": 37.7, "lng": -122.4, "radius_km": 10.0,
                      "limit": 5, "available_from": "2026-03-02T09:00:00-08:00",
                      "available_to": "2026-03-02T17:00:00-08:00"}


@pytest.mark.parametrize("params, field", [
    ({"job_title": "tutor", "lat": "91", "lng": "0"}, "lat"),
    ({"job_title": "tutor", "lat": "0", "lng": "east"}, "lng"),
    ({"job_title": "tutor", "lat": "0", "lng": "0", "radius_km": "0"}, "radius_km"),
    ({"lat": "0", "lng": "0"}, "job_title"),
    ({"job_title": "tutor", "lat": "0", "lng": "0", "available_from": "2026-03-02T09:00"},
     "available_from"),
])
def test_bad_search_input_is_a_422_naming_the_field_and_never_reaches_profiles(
        client, pool, params, field):
    answer = client.simulate_get("/v1/search", params=params)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in answer.json["errors"]
    assert pool.calls_to("profiles", "search") == []


def test_an_unknown_title_named_by_profiles_is_a_422(client, pool):
    pool.answers[("profiles", "search")] = Invalid(
        "invalid search", {"job_title": ["unknown job title"]})
    answer = client.simulate_get("/v1/search", params={"job_title": "astronaut", "lat": "0",
                                                       "lng": "0"})
    assert answer.status_code == 422
    assert answer.json["errors"] == {"job_title": ["unknown job title"]}


def test_an_oversized_bio_is_refused_at_the_door(client, pool, auth):
    answer = client.simulate_patch("/v1/me/profile", json={"bio": "x" * 4001},
                                   headers=auth("pro-1", PRO))
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"bio"}
    assert pool.calls_to("profiles", "update_my_profile") == []
    fine = client.simulate_patch("/v1/me/profile", json={"bio": "x" * 4000},
                                 headers=auth("pro-1", PRO))
    assert fine.status_code == 200
    assert pool.calls_to("profiles", "update_my_profile")[0][3] == {"bio": "x" * 4000}


def test_the_path_id_joins_the_body_and_cannot_be_smuggled_in_it(client, pool, auth):
    patched = client.simulate_patch("/v1/me/listings/l-1", json={"status": "on"},
                                    headers=auth("pro-1", PRO))
    assert patched.status_code == 200
    (_, _, caller, kwargs) = pool.calls_to("profiles", "update_listing")[0]
    assert kwargs == {"listing_id": "l-1", "status": "on"}
    assert caller.user_id == "pro-1" and "professional" in caller.roles

    smuggled = client.simulate_patch("/v1/me/listings/l-1", json={"listing_id": "l-2"},
                                     headers=auth("pro-1", PRO))
    assert smuggled.status_code == 422 and "listing_id" in smuggled.json["errors"]

    client.simulate_patch("/v1/me/listings/l-1/services/s-9", json={"name": "Longer visit"},
                          headers=auth("pro-1", PRO))
    assert pool.calls_to("profiles", "update_service")[0][3] == {
        "listing_id": "l-1", "service_id": "s-9", "name": "Longer visit"}
    client.simulate_put("/v1/me/listings/l-1/service-area",
                        json={"lat": 37.7, "lng": -122.4, "radius_km": 12},
                        headers=auth("pro-1", PRO))
    assert pool.calls_to("profiles", "set_service_area")[0][3] == {
        "listing_id": "l-1", "lat": 37.7, "lng": -122.4, "radius_km": 12}


def test_deletes_answer_204_and_creations_201(client, pool, auth):
    headers = auth("pro-1", PRO)
    assert client.simulate_delete("/v1/me/listings/l-1", headers=headers).status_code == 204
    assert client.simulate_delete("/v1/me/listings/l-1/services/s-1",
                                  headers=headers).status_code == 204
    assert client.simulate_delete("/v1/me/credentials/c-1", headers=headers).status_code == 204
    assert pool.calls_to("profiles", "remove_service")[0][3] == {"listing_id": "l-1",
                                                                 "service_id": "s-1"}
    created = client.simulate_post("/v1/me/listings", json={"job_title_id": "t-1"},
                                   headers=headers)
    assert created.status_code == 201
    review = client.simulate_post("/v1/bookings/b-1/review",
                                  json={"ratings": {"value": 5}, "text": "Great"},
                                  headers=auth("client-1"))
    assert review.status_code == 201
    assert pool.calls_to("profiles", "submit_review")[0][3] == {
        "booking_id": "b-1", "ratings": {"value": 5}, "text": "Great"}


def test_a_review_rating_out_of_range_is_named(client, pool, auth):
    answer = client.simulate_post("/v1/bookings/b-1/review", json={"ratings": {"value": 6}},
                                  headers=auth("client-1"))
    assert answer.status_code == 422
    assert "ratings.value.value" in answer.json["errors"]
    assert pool.calls_to("profiles", "submit_review") == []


def test_signed_in_routes_need_a_token_and_refusals_are_problems(client, pool, auth):
    assert client.simulate_get("/v1/me/listings").status_code == 401
    assert pool.calls_to("profiles", "list_my_listings") == []
    pool.answers[("profiles", "update_listing")] = Forbidden(
        "these options need owner status active",
        {"instant_booking": ["instant booking is for owners in good standing"]})
    refused = client.simulate_patch("/v1/me/listings/l-1", json={"instant_booking": True},
                                    headers=auth("pro-1", PRO))
    assert refused.status_code == 403
    assert refused.json["errors"]["instant_booking"]


def test_public_reads_carry_the_viewer_when_signed_in(client, pool, auth):
    client.simulate_get("/v1/professionals/ana-paints")
    client.simulate_get("/v1/professionals/ana-paints", headers=auth("client-7"))
    (anonymous, viewer) = pool.calls_to("profiles", "get_professional")
    assert anonymous[3] == {"professional": "ana-paints"} and anonymous[2].user_id is None
    assert viewer[2].user_id == "client-7"
    client.simulate_get("/v1/professionals/p-1/reviews", params={"limit": "3"})
    assert pool.calls_to("profiles", "list_professional_reviews")[0][3] == {
        "professional_id": "p-1", "limit": 3}


def _schemas_of(spec: dict, value) -> list[str]:
    found = []
    if isinstance(value, dict):
        ref = value.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            found.append(ref.rsplit("/", 1)[1])
        for item in value.values():
            found += _schemas_of(spec, item)
    elif isinstance(value, list):
        for item in value:
            found += _schemas_of(spec, item)
    return found


def test_every_field_of_the_shop_window_is_described_in_the_openapi_document(client):
    spec = client.simulate_get("/openapi.json").json
    paths = {op.path for op in listings.OPERATIONS}
    assert {"/v1/job-titles", "/v1/me/profile", "/v1/me/listings/{id}/service-area",
            "/v1/search", "/v1/bookings/{id}/review", "/v1/professionals/{id}/reviews"} <= paths
    pending = [name for path in paths for name in _schemas_of(spec, spec["paths"][path])]
    seen, undescribed = set(), []
    while pending:
        name = pending.pop()
        if name in seen or name == "Problem":
            continue
        seen.add(name)
        schema = spec["components"]["schemas"][name]
        for field, prop in schema.get("properties", {}).items():
            if not (prop.get("description") or prop.get("example") is not None):
                undescribed.append(f"{name}.{field}")
            pending += _schemas_of(spec, prop)
    for path in paths:
        for operation in spec["paths"][path].values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    assert parameter.get("description"), (path, parameter["name"])
    assert seen and not undescribed, undescribed


def test_documented_refusals(client):
    spec = client.simulate_get("/openapi.json").json
    create = spec["paths"]["/v1/me/listings"]["post"]["responses"]
    assert {"201", "401", "403", "409", "422"} <= set(create)
    review = spec["paths"]["/v1/bookings/{id}/review"]["post"]["responses"]
    assert {"201", "403", "404", "409", "422"} <= set(review)
    search = spec["paths"]["/v1/search"]["get"]
    assert search["security"] == [{}, {"bearer": []}]  # open, but a sent token is checked
    assert {"401", "422"} <= set(search["responses"])
    assert "0.5^(distance_km / 5)" in search["description"]


def test_no_body_or_query_of_a_route_with_an_id_in_its_path_carries_an_id():
    ids = {"listing_id", "service_id", "credential_id", "booking_id", "review_id",
           "job_title_id", "professional_id", "client_id", "professional"}
    checked = 0
    for op in listings.OPERATIONS:
        if "{" not in op.path:
            continue
        for schema in (op.body, op.query):
            if schema is not None:
                assert not set(schema().fields) & ids, op.path
                checked += 1
    assert checked >= 10
