"""Operations endpoints: liveness, readiness, metrics, and the API's own documentation."""

from __future__ import annotations

import json

from marshmallow import Schema, fields

from ..metrics import exposition
from ..operations import ANONYMOUS, Call, Operation, Reply
from ..problems import problem_body
from ..rpc import BrokerUnavailable, DeadlineExceeded, ServiceUnavailable

SERVICES = ("profiles", "booking", "billing", "governance", "notifications")
READINESS_TIMEOUT = 2.0


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


class ReadinessSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})
    services = fields.Dict(keys=fields.String(), values=fields.String())


def healthz(call: Call) -> dict:
    return {"status": "ok"}


def readyz(call: Call) -> Reply:
    """Ready when the broker and every service answer a ping within two seconds."""
    states: dict[str, str] = {}
    for service in SERVICES:
        try:
            call.pool.call(service, "ping", timeout=READINESS_TIMEOUT, request_id=call.request_id)
            states[service] = "ok"
        except BrokerUnavailable:
            states[service] = "broker unavailable"
        except ServiceUnavailable:
            states[service] = "not running"
        except DeadlineExceeded:
            states[service] = "not answering"
    if all(state == "ok" for state in states.values()):
        return Reply(body={"status": "ok", "services": states})
    down = ", ".join(f"{name}: {state}" for name, state in states.items() if state != "ok")
    body = {**problem_body(503, "Service unavailable", f"Not ready ({down})."), "services": states}
    return Reply(
        body=json.dumps(body),
        status=503,
        headers={"Retry-After": "2"},
        content_type="application/problem+json",
    )


def metrics(call: Call) -> Reply:
    payload, content_type = exposition()
    return Reply(body=payload.decode(), content_type=content_type)


OPERATIONS = [
    Operation(
        "GET", "/healthz", "Process alive", healthz, tag="Operations", access=ANONYMOUS,
        response=HealthSchema,
    ),
    Operation(
        "GET",
        "/readyz",
        "Broker and every service answer",
        readyz,
        tag="Operations",
        access=ANONYMOUS,
        response=ReadinessSchema,
        description="503 with the state of each service when any does not answer.",
    ),
    Operation(
        "GET",
        "/metrics",
        "Prometheus metrics of the gateway",
        metrics,
        tag="Operations",
        access=ANONYMOUS,
        content_type="text/plain; version=0.0.4; charset=utf-8",
    ),
]
