"""The gateway's routes as data: one `Operation` per verb and path.

The same description drives the Falcon responder (parse, validate, authenticate,
call, answer) and the OpenAPI document, so the docs cannot drift from the code.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import falcon
from loconomics_plumbing.errors import Invalid
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.validation import flatten_messages
from marshmallow import EXCLUDE, Schema, ValidationError
from marshmallow.fields import Field

from .authentication import Authenticator
from .client_address import client_address
from .idempotency import IdempotencyStore, StoredAnswer
from .rpc import RpcPool

# Who may call an operation. ANONYMOUS ones never read the Authorization header (probes, the
# Stripe webhook, calendar feeds with their own token); PUBLIC ones serve anyone but check a
# token that is sent, since a signed-in caller may see more; SIGNED_IN ones require one.
ANONYMOUS = "anonymous"
PUBLIC = "public"
SIGNED_IN = "signed_in"


@dataclass
class Call:
    """What a route handler gets: the caller, validated input, and RPC with a deadline."""

    caller: Caller
    body: dict
    query: dict
    params: dict
    request_id: str
    pool: RpcPool
    timeout: float
    request: falcon.Request
    gate: Gate | None = None

    @property
    def client_address(self) -> str:
        """The caller's address, as far as our trusted proxies vouch for it."""
        hops = self.gate.trusted_proxy_hops if self.gate else 0
        return client_address(self.request, hops)

    def rpc(self, service: str, method: str, **kwargs: Any) -> Any:
        return self.pool.call(
            service,
            method,
            caller=self.caller,
            timeout=self.timeout,
            request_id=self.request_id,
            **kwargs,
        )


@dataclass
class Reply:
    """A non-default answer: another status, headers, or a body that is not JSON."""

    body: Any = None
    status: int | None = None
    headers: dict = field(default_factory=dict)
    content_type: str | None = None


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    handler: Callable[[Call], Any]
    tag: str
    access: str = SIGNED_IN
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    response: type[Schema] | None = None
    many: bool = False
    status: int = 200
    errors: tuple[int, ...] = ()
    description: str = ""
    timeout: float | None = None
    content_type: str = "application/json"
    idempotent: bool = True
    # Path parameters that are not opaque text, by name: the service's own field, which
    # documents them and checks them before the call (ids are opaque text)
    path_fields: dict[str, Field] = field(default_factory=dict)

    @property
    def operation_id(self) -> str:
        return self.handler.__name__

    @property
    def creates(self) -> bool:
        """A creating POST: it honours `Idempotency-Key` unless storing its answer would leak."""
        return self.method.upper() == "POST" and self.status == 201 and self.idempotent


def read_raw_body(req: falcon.Request, limit: int) -> bytes:
    if req.content_length and req.content_length > limit:
        raise falcon.HTTPContentTooLarge(description=f"Bodies are limited to {limit} bytes.")
    raw = req.bounded_stream.read(limit + 1)
    if len(raw) > limit:
        raise falcon.HTTPContentTooLarge(description=f"Bodies are limited to {limit} bytes.")
    return raw


def parse_body(raw: bytes, schema: type[Schema]) -> dict:
    if not raw.strip():
        data: Any = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise falcon.HTTPBadRequest(
                title="Bad request", description="The body is not valid JSON."
            ) from None
    if not isinstance(data, dict):
        raise Invalid("The body must be a JSON object.", {"_body": ["Expected a JSON object."]})
    try:
        schema().load(data)
    except ValidationError as error:
        raise Invalid("The input is not valid.", flatten_messages(error.messages)) from None
    return data


def read_query(req: falcon.Request, schema: type[Schema]) -> dict:
    try:
        return schema(unknown=EXCLUDE).load(req.params)
    except ValidationError as error:
        raise Invalid("The query is not valid.", flatten_messages(error.messages)) from None


def check_path(params: dict, path_fields: dict[str, Field]) -> None:
    """A typed path parameter (a year) is refused here, under the name the path gives it."""
    errors = {}
    for name, checked in path_fields.items():
        try:
            checked.deserialize(params[name])
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise Invalid("The path is not valid.", errors)


def jsonable_query(query: dict) -> dict:
    """Query values as the services expect them: ISO strings, not datetime objects."""
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in query.items()
        if value is not None
    }


@dataclass
class Gate:
    """What every responder shares: RPC, authentication, the body limit, idempotency records."""

    pool_of: Callable[[], RpcPool]
    authenticator: Authenticator
    body_limit: int
    idempotency: IdempotencyStore | None = None
    trusted_proxy_hops: int = 0


class PathResource:
    """Serves every operation sharing one path; Falcon answers 405 for the other verbs."""

    def __init__(self, operations: list[Operation], gate: Gate):
        self.operations = {op.method.upper(): op for op in operations}
        self.gate = gate
        for verb in self.operations:
            setattr(self, f"on_{verb.lower()}", self._respond)

    def _respond(self, req: falcon.Request, resp: falcon.Response, **params: str) -> None:
        op = self.operations[req.method.upper()]
        if op.access == ANONYMOUS:
            caller = Caller()
        else:
            caller = self.gate.authenticator.caller(req, required=op.access == SIGNED_IN)
        raw = read_raw_body(req, self.gate.body_limit) if op.body else b""
        body = parse_body(raw, op.body) if op.body else {}
        query = jsonable_query(read_query(req, op.query)) if op.query else {}
        check_path(params, op.path_fields)
        pool = self.gate.pool_of()
        call = Call(
            caller=caller,
            body=body,
            query=query,
            params=params,
            request_id=req.context.get("request_id") or uuid.uuid4().hex,
            pool=pool,
            timeout=op.timeout or pool.timeout,
            request=req,
            gate=self.gate,
        )
        key = req.get_header("Idempotency-Key")
        if key is None or not op.creates or self.gate.idempotency is None:
            answer(resp, op, op.handler(call))
            return
        scope = caller.user_id or f"address:{call.client_address}"
        store = self.gate.idempotency
        record_id, stored = store.begin(scope, req.method, req.path, key, raw)
        if stored is not None:
            resp.status = stored.status
            resp.content_type = stored.content_type
            resp.text = stored.body
            resp.set_header("Idempotent-Replayed", "true")
            return
        try:
            answer(resp, op, op.handler(call))
        except BaseException:
            store.abandon(record_id)
            raise
        store.finish(record_id, StoredAnswer(resp.status, resp.content_type, resp.text or ""))


def answer(resp: falcon.Response, op: Operation, result: Any) -> None:
    reply = result if isinstance(result, Reply) else Reply(body=result)
    resp.status = reply.status or op.status
    for name, value in reply.headers.items():
        resp.set_header(name, value)
    if reply.body is None:
        return
    content_type = reply.content_type or op.content_type
    resp.content_type = content_type
    if content_type == "application/json":
        resp.text = json.dumps(reply.body)
    else:
        resp.text = reply.body


def mount(app: falcon.App, operations: list[Operation], gate: Gate) -> None:
    by_path: dict[str, list[Operation]] = {}
    for op in operations:
        by_path.setdefault(op.path, []).append(op)
    for path, ops in by_path.items():
        app.add_route(path, PathResource(ops, gate))
