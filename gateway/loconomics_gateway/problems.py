"""RFC 9457 problem details: the one shape of every error the gateway answers."""

from __future__ import annotations

import json
import logging

import falcon
from loconomics_plumbing.errors import CoopError

from .rpc import BrokerUnavailable, DeadlineExceeded, ServiceUnavailable

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
TYPE_BASE = "https://loconomics.coop/problems/"


def problem_body(status: int, title: str, detail: str, errors: dict | None = None) -> dict:
    body = {
        "type": TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


def answer(
    resp: falcon.Response,
    status: int,
    title: str,
    detail: str,
    errors: dict | None = None,
    retry_after: int | None = None,
) -> None:
    resp.status = status
    resp.content_type = PROBLEM
    resp.text = json.dumps(problem_body(status, title, detail, errors))
    if retry_after is not None:
        resp.set_header("Retry-After", str(retry_after))


def install(app: falcon.App, retry_after: int) -> None:
    """Route every failure, ours or Falcon's, to a problem+json answer."""

    def typed_error(req, resp, error: CoopError, params):
        retry = retry_after if error.status == 503 else None
        answer(resp, error.status, error.title, error.detail, error.errors or None, retry)

    def broker_down(req, resp, error, params):
        answer(
            resp,
            503,
            "Service unavailable",
            "The platform's message broker cannot be reached; try again shortly.",
            retry_after=retry_after,
        )

    def service_down(req, resp, error, params):
        answer(
            resp,
            503,
            "Service unavailable",
            f"The {error} service is not running; try again shortly.",
            retry_after=retry_after,
        )

    def too_slow(req, resp, error, params):
        answer(resp, 504, "Gateway timeout", "A service did not answer in time; try again.")

    def http_error(req, resp, error: falcon.HTTPError, params):
        status = error.status_code
        title = error.title or falcon.code_to_http_status(status)[4:]
        detail = error.description or title
        answer(resp, status, title, detail)
        for name, value in (error.headers or {}).items():
            resp.set_header(name, value)

    def unexpected(req, resp, error: Exception, params):
        log.exception("unexpected error on %s %s", req.method, req.path)
        answer(resp, 500, "Internal server error", "Something failed on our side.")

    app.add_error_handler(Exception, unexpected)
    app.add_error_handler(falcon.HTTPError, http_error)
    app.add_error_handler(CoopError, typed_error)
    app.add_error_handler(BrokerUnavailable, broker_down)
    app.add_error_handler(ServiceUnavailable, service_down)
    app.add_error_handler(DeadlineExceeded, too_slow)
