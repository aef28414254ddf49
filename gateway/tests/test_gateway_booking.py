"""Booking's routes alone, with the RPC pool scripted: what reaches booking, what comes back."""

from __future__ import annotations

from loconomics_plumbing.errors import Conflict, NotFound
from openapi_spec_validator import validate

PRO = ("pro-1", ("professional",))
CLIENT = ("client-1", ("client",))
WEEKLY = {"mon": [{"start": "09:00", "end": "12:00"}]}


def test_schedule_is_sent_whole_and_checked_first(client, pool, auth):
    body = {"time_zone": "Europe/Paris", "weekly": WEEKLY, "buffer_minutes": 15}
    pool.answers[("booking", "set_schedule")] = {"professional_id": "pro-1", **body}
    answer = client.simulate_put("/v1/me/schedule", json=body, headers=auth(*PRO))
    assert answer.status_code == 200
    service, method, caller, kwargs = pool.calls_to("booking", "set_schedule")[0]
    assert kwargs == body and caller.user_id == "pro-1"
    refused = client.simulate_put(
        "/v1/me/schedule",
        json={"time_zone": "Nowhere/Else", "weekly": {"funday": []}},
        headers=auth(*PRO),
    )
    assert refused.status_code == 422
    assert "time_zone" in refused.json["errors"]
    assert len(pool.calls_to("booking", "set_schedule")) == 1


def test_slots_are_public_and_take_the_window_from_the_query(client, pool):
    pool.answers[("booking", "find_slots")] = {"items": ["2026-03-09T13:00:00+00:00"]}
    answer = client.simulate_get(
        "/v1/professionals/pro-1/slots",
        params={
            "service_id": "svc-1",
            "from": "2026-03-09T00:00:00-05:00",
            "to": "2026-03-10T00:00:00-05:00",
        },
    )
    assert answer.status_code == 200
    assert answer.json == {"items": ["2026-03-09T13:00:00+00:00"]}
    kwargs = pool.calls_to("booking", "find_slots")[0][3]
    assert kwargs == {
        "professional_id": "pro-1",
        "service_id": "svc-1",
        "from": "2026-03-09T00:00:00-05:00",
        "to": "2026-03-10T00:00:00-05:00",
    }
    naive = client.simulate_get(
        "/v1/professionals/pro-1/slots",
        params={"service_id": "svc-1", "from": "2026-03-09T00:00:00", "to": "2026-03-10"},
    )
    assert naive.status_code == 422
    assert {"from", "to"} <= set(naive.json["errors"])


def test_a_booking_carries_the_idempotency_key_to_booking(client, pool, auth):
    made = []

    def create(caller=None, **kwargs):
        made.append(kwargs)
        return {"id": "b-1", "status": "requested"}

    pool.answers[("booking", "create_booking")] = create
    body = {"service_id": "svc-1", "proposed_starts": ["2026-03-09T10:00:00-05:00"]}
    headers = {**auth(*CLIENT), "Idempotency-Key": "book-once"}
    first = client.simulate_post("/v1/bookings", json=body, headers=headers)
    again = client.simulate_post("/v1/bookings", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json == again.json == {"id": "b-1", "status": "requested"}
    assert made == [{**body, "idempotency_key": "book-once"}]
    changed = client.simulate_post(
        "/v1/bookings",
        json={**body, "proposed_starts": ["2026-03-09T11:00:00-05:00"]},
        headers=headers,
    )
    assert changed.status_code == 422
    without_key = client.simulate_post("/v1/bookings", json=body, headers=auth(*CLIENT))
    assert without_key.status_code == 201
    assert "idempotency_key" not in made[-1]


def test_booking_input_is_refused_before_any_call(client, pool, auth):
    both = {"service_id": "s", "start": "2026-03-09T10:00:00Z", "proposed_starts": []}
    answer = client.simulate_post("/v1/bookings", json=both, headers=auth(*CLIENT))
    assert answer.status_code == 422
    smuggled = {"service_id": "s", "start": "2026-03-09T10:00:00Z", "idempotency_key": "x"}
    answer = client.simulate_post("/v1/bookings", json=smuggled, headers=auth(*CLIENT))
    assert answer.status_code == 422 and "idempotency_key" in answer.json["errors"]
    assert client.simulate_post("/v1/bookings", json={"service_id": "s"}).status_code == 401
    assert pool.calls_to("booking", "create_booking") == []


def test_a_taken_slot_is_409_problem(client, pool, auth):
    pool.answers[("booking", "create_booking")] = Conflict(
        "This time is no longer available.", {"start": ["This time is no longer available."]}
    )
    answer = client.simulate_post(
        "/v1/bookings",
        json={"service_id": "s", "start": "2026-03-09T10:00:00Z"},
        headers=auth(*CLIENT),
    )
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json["errors"] == {"start": ["This time is no longer available."]}


def test_actions_name_the_booking_from_the_path(client, pool, auth):
    pool.answers[("booking", "confirm_booking")] = {"id": "b-7", "status": "confirmed"}
    answer = client.simulate_post(
        "/v1/bookings/b-7/confirm", json={"start": "2026-03-09T15:00:00Z"}, headers=auth(*PRO)
    )
    assert answer.status_code == 200
    assert pool.calls_to("booking", "confirm_booking")[0][3] == {
        "booking_id": "b-7",
        "start": "2026-03-09T15:00:00Z",
    }
    for path, method, body in [
        ("decline", "decline_booking", {"reason": "Away"}),
        ("cancel", "cancel_booking", {}),
        ("reschedule", "reschedule_booking", {"start": "2026-03-10T15:00:00Z"}),
        ("reschedule/answer", "answer_reschedule", {"accept": True}),
        ("complete", "complete_booking", {}),
        ("no-show", "report_no_show", {}),
        ("dispute", "dispute_booking", {"reason": "Never came"}),
        ("resolve", "resolve_dispute", {"outcome": "refunded"}),
    ]:
        reply = client.simulate_post(f"/v1/bookings/b-7/{path}", json=body, headers=auth(*PRO))
        assert reply.status_code == 200, (path, reply.text)
        assert pool.calls_to("booking", method)[-1][3] == {"booking_id": "b-7", **body}
    missing = client.simulate_post("/v1/bookings/b-7/confirm", json={}, headers=auth(*PRO))
    assert missing.status_code == 422 and "start" in missing.json["errors"]


def test_listing_bookings_splits_statuses_and_pages(client, pool, auth):
    pool.answers[("booking", "list_bookings")] = {"items": [], "next_cursor": None}
    answer = client.simulate_get(
        "/v1/bookings",
        params={"as": "professional", "status": "requested,confirmed", "limit": "5"},
        headers=auth(*PRO),
    )
    assert answer.status_code == 200
    assert pool.calls_to("booking", "list_bookings")[0][3] == {
        "as": "professional",
        "status": ["requested", "confirmed"],
        "limit": 5,
        "cursor": None,
    }
    bad = client.simulate_get("/v1/bookings", params={"status": "lost"}, headers=auth(*PRO))
    assert bad.status_code == 422


def test_the_calendar_feed_is_icalendar_text_and_unknown_tokens_404(client, pool):
    feed = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    pool.answers[("booking", "calendar_feed")] = feed
    answer = client.simulate_get("/v1/calendars/abcdefghijklmnopqrstuvwxyz.ics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    assert answer.text == feed
    assert pool.calls_to("booking", "calendar_feed")[0][3] == {
        "token": "abcdefghijklmnopqrstuvwxyz"
    }
    pool.answers[("booking", "calendar_feed")] = NotFound("No such calendar.")
    assert client.simulate_get("/v1/calendars/old-token-000000000000.ics").status_code == 404


def test_time_off_and_calendar_settings_routes(client, pool, auth):
    pool.answers[("booking", "add_time_off")] = {"id": "t-1", "kind": "once"}
    body = {"start": "2026-03-09T10:00:00Z", "end": "2026-03-09T12:00:00Z"}
    created = client.simulate_post("/v1/me/time-off", json=body, headers=auth(*PRO))
    assert created.status_code == 201
    removed = client.simulate_delete("/v1/me/time-off/t-1", headers=auth(*PRO))
    assert removed.status_code == 204
    assert pool.calls_to("booking", "remove_time_off")[0][3] == {"time_off_id": "t-1"}
    pool.answers[("booking", "set_calendar_import")] = {"export_url": "x", "import_url": None}
    unlinked = client.simulate_put("/v1/me/calendar", json={"import_url": None}, headers=auth(*PRO))
    assert unlinked.status_code == 200
    reset = client.simulate_post("/v1/me/calendar/reset", headers=auth(*PRO))
    assert reset.status_code == 200
    assert pool.calls_to("booking", "reset_calendar_token")


def test_terms_are_public_and_need_a_start(client, pool):
    pool.answers[("booking", "cancellation_terms")] = {"policy": "strict"}
    answer = client.simulate_get(
        "/v1/services/svc-1/cancellation-terms", params={"start": "2026-03-09T10:00:00Z"}
    )
    assert answer.status_code == 200
    assert pool.calls_to("booking", "cancellation_terms")[0][3] == {
        "service_id": "svc-1",
        "start": "2026-03-09T10:00:00+00:00",
    }
    assert client.simulate_get("/v1/services/svc-1/cancellation-terms").status_code == 422


def test_the_openapi_document_describes_booking(client):
    spec = client.simulate_get("/openapi.json").json
    validate(spec)
    paths = spec["paths"]
    for path in (
        "/v1/me/schedule",
        "/v1/professionals/{id}/slots",
        "/v1/calendars/{token}.ics",
        "/v1/bookings",
        "/v1/bookings/{id}/reschedule/answer",
    ):
        assert path in paths, path
    create = paths["/v1/bookings"]["post"]
    assert {"201", "409", "422"} <= set(create["responses"])
    feed = paths["/v1/calendars/{token}.ics"]["get"]
    assert "text/calendar" in feed["responses"]["200"]["content"]
    assert "security" not in feed
